//! Site configuration: the TOML file, its defaults, and the resolved [`Config`] the library uses.
//!
//! Every section is a serde struct with `deny_unknown_fields` and defaults, so an empty file (or
//! none) is a valid configuration and a typo is an error naming the key and its line. Values that
//! need checking (country codes, time zones, regexes, hours, dates) are newtypes validated while
//! deserializing, so their errors carry the line too. `main` merges command-line flags into the
//! file's values and calls [`Config::resolve`]; nothing downstream reads flags or the environment.

use crate::calendar::{BusinessHours, Calendar};
use crate::error::{Error, Result};
use crate::rules::{RulesSettings, Severity};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The commented example written by `tollguard init` (also parsed by a unit test).
pub const EXAMPLE: &str = include_str!("config_example.toml");

/// ISO 3166 alpha-2 country known to libphonenumber, e.g. `DE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Country(pub phonenumber::country::Id);

impl FromStr for Country {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let up = s.trim().to_ascii_uppercase();
        phonenumber::country::Id::from_str(&up)
            .map(Country)
            .map_err(|_| {
                format!("unknown country code `{s}` (expected ISO 3166 alpha-2, e.g. DE, US, GB)")
            })
    }
}
impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}
impl Country {
    /// The two-letter code.
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }
}

/// An IANA time zone name, e.g. `Europe/Berlin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TimeZone(pub Tz);

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Tz::from_str(s.trim())
            .map(TimeZone)
            .map_err(|_| format!("unknown time zone `{s}` (expected an IANA name, e.g. Europe/Berlin, America/New_York, UTC)"))
    }
}
impl TryFrom<String> for TimeZone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// A regular expression checked at load time.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct Pattern(pub regex::Regex);

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        regex::Regex::new(&s)
            .map(Pattern)
            .map_err(|e| format!("invalid regular expression `{s}`: {e}"))
    }
}

/// A calendar date `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Date(pub NaiveDate);

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Date)
            .map_err(|_| format!("invalid date `{s}` (expected YYYY-MM-DD)"))
    }
}

/// Opening hours of one weekday, `"08:00-12:00, 13:00-18:00"`, or `""` for closed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Hours(pub Vec<(u16, u16)>);

impl TryFrom<String> for Hours {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        crate::calendar::parse_ranges(&s).map(Hours)
    }
}

impl Hours {
    fn day() -> Hours {
        Hours(vec![(8 * 60, 18 * 60)])
    }
}

/// A glob pattern checked at load time (trunk names, contexts).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct GlobPattern(pub String);

impl TryFrom<String> for GlobPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        globset::Glob::new(&s)
            .map(|_| GlobPattern(s.clone()))
            .map_err(|e| format!("invalid pattern `{s}`: {e}"))
    }
}

impl From<&str> for GlobPattern {
    fn from(s: &str) -> Self {
        GlobPattern(s.to_string())
    }
}

/// Which party calls are attributed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SubjectBy {
    /// The calling extension (or trunk, for relayed calls). The default.
    #[default]
    Extension,
    /// The account code when the row has one, else the extension.
    Account,
}

/// The whole configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// Where the PBX is and how its dial plan looks.
    pub site: SiteSettings,
    /// How input files are read.
    pub import: ImportSettings,
    /// Rate decks and risk lists.
    pub rates: RatesSettings,
    /// Report options.
    pub report: ReportSettings,
    /// Per-rule settings, `[rules.<rule-name>]`.
    pub rules: RulesSettings,
    /// `[allow]`: known-good destinations left out of every rule.
    pub allow: AllowSettings,
    /// `[[groups]]`: subject groups with their own rule settings and allowed destinations.
    pub groups: Vec<crate::groups::GroupSettings>,
    /// `[state]`: the nightly run's state directory, history retention, baselines, quiet period.
    pub state: crate::state::StateSettings,
    /// `[email]`: where alerts go and how they are sent.
    pub email: crate::email::settings::EmailSettings,
}

/// `[allow]`: destinations the site calls legitimately (branch offices, suppliers abroad).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllowSettings {
    /// E.164 numbers or prefixes (`"+33 1 44*"`, `"+4930123456"`): calls to them are left out
    /// of every rule (they still count in the summary and the CSV export).
    pub destinations: crate::number::allow::AllowList,
}

/// `[site]`: the PBX's location and dial plan.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteSettings {
    /// Site name shown in reports (optional).
    pub name: String,
    /// Home country (ISO alpha-2): how national numbers are read. Default `DE`.
    pub country: Country,
    /// Site time zone for business hours and report times. Default: the machine's time zone.
    pub timezone: Option<TimeZone>,
    /// Currency of estimated costs. Default `EUR` (the built-in deck's currency).
    pub currency: String,
    /// What an extension looks like (regex over the whole number). Default `^[0-9]{2,6}$`.
    pub extension_pattern: Pattern,
    /// Channel peers that are trunks (glob patterns over the peer name, e.g. `telekom*`, or
    /// the channel, e.g. `DAHDI/*`). Peers that are not extensions count as trunks anyway.
    pub trunks: Vec<GlobPattern>,
    /// Dialplan contexts where calls from the outside arrive (glob patterns).
    pub inbound_contexts: Vec<GlobPattern>,
    /// Outside-line access code dialled before external numbers (e.g. `9`, `0`). Default none.
    pub outside_line_code: String,
    /// International call prefix. Default: the home country's (`00`, `011`...).
    pub international_prefix: Option<String>,
    /// Whom calls are attributed to: `extension` (default) or `account`.
    pub subject_by: SubjectBy,
    /// Business hours per weekday.
    pub business_hours: BusinessHoursSettings,
    /// Public holidays.
    pub holidays: HolidaySettings,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            name: String::new(),
            country: Country(phonenumber::country::Id::DE),
            timezone: None,
            currency: "EUR".into(),
            extension_pattern: Pattern(regex::Regex::new(DEFAULT_EXTENSION_PATTERN).unwrap()),
            trunks: Vec::new(),
            inbound_contexts: DEFAULT_INBOUND_CONTEXTS.iter().map(|&s| s.into()).collect(),
            outside_line_code: String::new(),
            international_prefix: None,
            subject_by: SubjectBy::Extension,
            business_hours: BusinessHoursSettings::default(),
            holidays: HolidaySettings::default(),
        }
    }
}

/// Default extension shape: 2 to 6 digits.
pub const DEFAULT_EXTENSION_PATTERN: &str = "^[0-9]{2,6}$";

/// Default inbound contexts: FreePBX, Issabel and common hand-written dial plans.
pub const DEFAULT_INBOUND_CONTEXTS: &[&str] = &[
    "from-trunk*",
    "from-pstn*",
    "from-did*",
    "ext-did*",
    "from-external*",
    "from-sip-external",
    "from-dahdi",
    "from-zaptel",
    "incoming*",
    "inbound*",
];

/// `[site.business_hours]`: opening hours per weekday, `"08:00-18:00"`, several ranges separated
/// by commas, or `""` for closed all day.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessHoursSettings {
    /// Monday hours. Default `08:00-18:00`.
    pub monday: Hours,
    /// Tuesday hours. Default `08:00-18:00`.
    pub tuesday: Hours,
    /// Wednesday hours. Default `08:00-18:00`.
    pub wednesday: Hours,
    /// Thursday hours. Default `08:00-18:00`.
    pub thursday: Hours,
    /// Friday hours. Default `08:00-18:00`.
    pub friday: Hours,
    /// Saturday hours. Default closed.
    pub saturday: Hours,
    /// Sunday hours. Default closed.
    pub sunday: Hours,
}

impl Default for BusinessHoursSettings {
    fn default() -> Self {
        BusinessHoursSettings {
            monday: Hours::day(),
            tuesday: Hours::day(),
            wednesday: Hours::day(),
            thursday: Hours::day(),
            friday: Hours::day(),
            saturday: Hours(Vec::new()),
            sunday: Hours(Vec::new()),
        }
    }
}

/// `[site.holidays]`: days treated as closed all day.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HolidaySettings {
    /// Use the built-in national holiday calendar of the home country (default true).
    pub builtin: bool,
    /// Extra closed dates (`YYYY-MM-DD`): company holidays, regional holidays.
    pub dates: Vec<Date>,
}

impl Default for HolidaySettings {
    fn default() -> Self {
        HolidaySettings {
            builtin: true,
            dates: Vec::new(),
        }
    }
}

/// `[import]`: how inputs are read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportSettings {
    /// Force a format instead of auto-detection (see `tollguard formats`).
    pub format: Option<String>,
    /// Time zone of the timestamps in the files. Default: the site time zone.
    pub timezone: Option<TimeZone>,
    /// Treat any rejected row as a fatal error.
    pub strict: bool,
    /// A column mapping for CSV exports tollguard has no importer for (format `generic`).
    pub mapping: Option<crate::import::generic::MappingSettings>,
}

/// `[rates]`: where prices and risk tiers come from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RatesSettings {
    /// Your carrier's rate deck: CSV `prefix,description,rate` (per minute, site currency);
    /// the longest matching prefix wins over the built-in indicative deck.
    pub carrier_deck: Option<PathBuf>,
    /// Extra high-risk lists in the format of `rates/high-risk.csv`.
    pub high_risk: Vec<PathBuf>,
    /// Use the built-in high-risk list (default true).
    pub builtin_high_risk: bool,
    /// Site-currency units per EUR, to convert the built-in EUR deck (default 1.0).
    pub eur_exchange_rate: f64,
}

impl Default for RatesSettings {
    fn default() -> Self {
        RatesSettings {
            carrier_deck: None,
            high_risk: Vec::new(),
            builtin_high_risk: true,
            eur_exchange_rate: 1.0,
        }
    }
}

/// `[report]`: output options.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Lowest severity that makes the exit code 1 (default `medium`).
    pub fail_on: Severity,
    /// Lowest severity shown in reports (default `low`).
    pub min_severity: Severity,
    /// Destinations listed per finding (default 5).
    pub top_destinations: usize,
    /// Rejected rows shown in detail (all are counted). Default 10.
    pub show_rejects: usize,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            fail_on: Severity::Medium,
            min_severity: Severity::Low,
            top_destinations: 5,
            show_rejects: 10,
        }
    }
}

impl ConfigFile {
    /// Parses a configuration from TOML text; `path` is used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, path)
    }
}

/// Where the site time zone came from (shown in reports, because it changes every verdict).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TzSource {
    /// `--tz` on the command line.
    CommandLine,
    /// The configuration file.
    Config,
    /// The machine's time zone.
    System,
    /// Nothing known: UTC.
    Fallback,
}

/// The resolved configuration every stage reads.
#[derive(Debug)]
pub struct Config {
    /// Site settings (dial plan, country).
    pub site: SiteSettings,
    /// Site time zone (business hours, report times).
    pub tz: Tz,
    /// Where `tz` came from.
    pub tz_source: TzSource,
    /// Time zone of the CDR timestamps.
    pub source_tz: Tz,
    /// Whether the user stated `source_tz` (`--source-tz`, `[import] timezone`); if not, formats
    /// that write UTC by nature (3CX) are read as UTC.
    pub source_tz_stated: bool,
    /// Opening hours and holidays, ready to query.
    pub calendar: Calendar,
    /// Import settings.
    pub import: ImportSettings,
    /// Rates settings.
    pub rates: RatesSettings,
    /// Report settings.
    pub report: ReportSettings,
    /// Rule settings.
    pub rules: RulesSettings,
    /// Known-good destinations left out of every rule.
    pub allow: crate::number::allow::AllowList,
    /// Subject groups, in file order (a subject belongs to the first that matches).
    pub groups: Vec<crate::groups::Group>,
    /// Nightly state settings.
    pub state: crate::state::StateSettings,
    /// Email settings as configured (validated when an alert is sent, with the command line's
    /// overrides, so a bad `[email]` never stops an audit from reporting).
    pub email: crate::email::settings::EmailSettings,
}

/// Values given on the command line, which win over the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--country`.
    pub country: Option<Country>,
    /// `--tz`.
    pub tz: Option<TimeZone>,
    /// `--source-tz`.
    pub source_tz: Option<TimeZone>,
    /// `--format`.
    pub format: Option<String>,
    /// `--strict`.
    pub strict: bool,
    /// `--fail-on`.
    pub fail_on: Option<Severity>,
    /// `--min-severity`.
    pub min_severity: Option<Severity>,
    /// `--rate-deck`.
    pub carrier_deck: Option<PathBuf>,
}

impl Config {
    /// Merges command-line overrides into a file's settings and builds the runtime objects.
    pub fn resolve(mut file: ConfigFile, o: Overrides) -> Result<Config> {
        if let Some(c) = o.country {
            file.site.country = c;
        }
        if o.format.is_some() {
            file.import.format = o.format;
        }
        file.import.strict |= o.strict;
        if let Some(s) = o.fail_on {
            file.report.fail_on = s;
        }
        if let Some(s) = o.min_severity {
            file.report.min_severity = s;
        }
        if o.carrier_deck.is_some() {
            file.rates.carrier_deck = o.carrier_deck;
        }
        let (tz, tz_source) = match (o.tz, file.site.timezone) {
            (Some(t), _) => (t.0, TzSource::CommandLine),
            (None, Some(t)) => (t.0, TzSource::Config),
            (None, None) => system_tz(),
        };
        let stated = o.source_tz.or(file.import.timezone);
        let source_tz_stated = stated.is_some();
        let source_tz = stated.map(|t| t.0).unwrap_or(tz);
        if let Some(m) = &file.import.mapping {
            m.validate().map_err(Error::Invalid)?;
        }
        if file.rates.eur_exchange_rate <= 0.0 || !file.rates.eur_exchange_rate.is_finite() {
            return Err(Error::Invalid(
                "[rates] eur_exchange_rate must be a positive number".into(),
            ));
        }
        let hours = BusinessHours::from_settings(&file.site.business_hours);
        let extra: Vec<NaiveDate> = file.site.holidays.dates.iter().map(|d| d.0).collect();
        let calendar = Calendar::new(
            tz,
            hours,
            file.site
                .holidays
                .builtin
                .then_some(file.site.country.code()),
            &extra,
        );
        Ok(Config {
            site: file.site,
            tz,
            tz_source,
            source_tz,
            source_tz_stated,
            calendar,
            import: file.import,
            rates: file.rates,
            report: file.report,
            groups: crate::groups::resolve(&file.groups, &file.rules, &file.allow.destinations)
                .map_err(Error::Invalid)?,
            rules: file.rules,
            allow: file.allow.destinations,
            state: file.state,
            email: file.email,
        })
    }

    /// The built-in defaults with no file and no flags (used by tests and `init`).
    pub fn defaults() -> Config {
        Config::resolve(ConfigFile::default(), Overrides::default())
            .expect("built-in defaults are valid")
    }
}

/// The machine's time zone, or UTC when it cannot be determined.
fn system_tz() -> (Tz, TzSource) {
    // TZ wins over /etc/localtime, as for every other program on the machine; a TZ that is no
    // IANA name (POSIX `CET-1CEST`) is skipped rather than trusted.
    let from_env = std::env::var("TZ")
        .ok()
        .and_then(|s| Tz::from_str(s.trim_start_matches(':')).ok());
    let from_system = || {
        iana_time_zone::get_timezone()
            .ok()
            .and_then(|n| Tz::from_str(&n).ok())
    };
    match from_env.or_else(from_system) {
        Some(tz) => (tz, TzSource::System),
        None => (Tz::UTC, TzSource::Fallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ConfigFile> {
        ConfigFile::parse(s, Path::new("t.toml"))
    }

    #[test]
    fn empty_file_is_the_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.site.country.code(), "DE");
        assert_eq!(c.report.fail_on, Severity::Medium);
    }

    #[test]
    fn the_examples_commented_email_section_is_valid_when_uncommented() {
        // The block after `# [email]` documents every key: uncommented, it must parse and
        // validate (else `tollguard init` teaches keys that do not exist).
        let at = EXAMPLE
            .find("# [email]")
            .expect("the example documents [email]");
        let block: String = EXAMPLE[at..]
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{}\n", l.trim_start_matches('#').trim_start()))
            .collect();
        let c = parse(&block).unwrap();
        let e = &c.email;
        assert_eq!(e.host.as_deref(), Some("smtp.example.com"));
        assert!(e.compose().is_ok());
        // Both password sources are shown (one as a comment); the file one is active.
        assert!(e.password_file.is_some());
    }

    #[test]
    fn example_config_is_the_defaults_spelled_out() {
        let c = parse(EXAMPLE).unwrap();
        let d = ConfigFile::default();
        // `tollguard init` must not change behaviour: every value it writes is the default.
        assert_eq!(
            toml::to_string(&c.rules).unwrap(),
            toml::to_string(&d.rules).unwrap()
        );
        assert_eq!(format!("{:?}", c.report), format!("{:?}", d.report));
        assert_eq!(format!("{:?}", c.rates), format!("{:?}", d.rates));
        assert_eq!(format!("{:?}", c.import), format!("{:?}", d.import));
        assert_eq!(c.site.inbound_contexts, d.site.inbound_contexts);
        assert_eq!(c.site.business_hours.monday, d.site.business_hours.monday);
        assert_eq!(
            c.site.business_hours.saturday,
            d.site.business_hours.saturday
        );
        assert_eq!(
            c.site.extension_pattern.0.as_str(),
            d.site.extension_pattern.0.as_str()
        );
        assert_eq!(
            (c.site.country, &c.site.currency),
            (d.site.country, &d.site.currency)
        );
        assert_eq!(c.site.timezone, None);
        assert!(c.site.trunks.is_empty() && c.site.holidays.dates.is_empty());
        Config::resolve(c, Overrides::default()).unwrap();
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("[site]\ncountry = \"DE\"\ncolour = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn bad_values_name_the_line() {
        let e = parse("[site]\n\ncountry = \"XX\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("XX"), "{e}");
        let e = parse("[site]\ntimezone = \"Mars/Base\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("Mars/Base"), "{e}");
        let e = parse("[site.holidays]\ndates = [\"2026-13-01\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("2026-13-01"), "{e}");
        let e = parse("[rules.volume]\nmax_calls_per_hour = \"many\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("[site.business_hours]\nmonday = \"08:00-18:00\"\ntuesday = \"8-18\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("8-18"), "{e}");
        let e = parse("[site]\ntrunks = [\"ok*\", \"bad[\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("bad["), "{e}");
    }

    #[test]
    fn command_line_wins_over_file() {
        let f = parse("[site]\ncountry = \"DE\"\ntimezone = \"Europe/Berlin\"\n").unwrap();
        let c = Config::resolve(
            f,
            Overrides {
                country: Some("us".parse().unwrap()),
                tz: Some("America/New_York".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.site.country.code(), "US");
        assert_eq!(c.tz, chrono_tz::America::New_York);
        assert_eq!(c.tz_source, TzSource::CommandLine);
        assert_eq!(c.source_tz, chrono_tz::America::New_York);
    }
}

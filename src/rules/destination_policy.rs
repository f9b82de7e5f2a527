//! TG011 destination-policy: calls outside a subject group's class of service (countries,
//! number types, international at all), as configured in `[[rules.destination-policy.classes]]`.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::number::risk::RiskTier;
use crate::number::{NumberInfo, NumberKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG011",
    name: "destination-policy",
    default_severity: Severity::Medium,
    summary: "Calls to countries or number types outside what a subject's class of service allows",
    doc: "\
What it detects:
  Outbound and forwarded external calls that break the site's class of service: each class
  in [[rules.destination-policy.classes]] names its members (glob patterns over subject
  names: extension numbers, trunk or account names) and what they may call: international
  at all, which countries (ISO alpha-2, `001` for satellite and international networks) and
  which number types (premium_rate, shared_cost, satellite, mobile, ...). A subject belongs
  to the first class with a matching pattern; subjects in no class are not judged. Calls of
  one subject that break its class within `gap_minutes` form one finding.

Why it matters:
  Restricting what each phone may dial is the first control every carrier and PBX vendor
  recommends against toll fraud (CFCA and the GSMA fraud guides list 'class of service' /
  'calling restrictions' before any monitoring). Where the PBX cannot enforce it, or the
  dial plan drifts (a forgotten route, a trunk-to-trunk transfer), this rule audits the
  CDRs against the intended policy: a lobby phone that reached Belarus is a finding even at
  a small cost.

Example:
  Class `staff` (members [\"2*\"], allow_countries = [\"AT\", \"CH\", \"FR\", \"GB\", \"US\"]);
  extension 231, Tuesday 10:00-11:10, 6 answered calls to +375 29... (Belarus mobile),
  72 min, est. 35 EUR: medium (answered, cost at least 10).

Tuning:
  Default: no classes, so the rule is silent until you describe your policy. A built-in
    class (say 'nobody calls premium-rate or satellite') would only repeat premium-rate
    (TG001), which already reports those destinations by risk; a policy is site-specific.
  A class, for example:
    [[rules.destination-policy.classes]]
    name = \"lobby\"
    members = [\"lobby\", \"29*\"]
    international = false
    deny_types = [\"premium_rate\", \"shared_cost\"]
  Fields: international (default true: may call abroad at all); allow_countries (empty =
    all; governs international calls only, the home country is always allowed unless it is
    in deny_countries); deny_countries; allow_types (empty = all; `fixed` and `mobile` also
    admit fixed_or_mobile numbers, where NANP cannot tell; short codes and numbers of unknown
    type are never outside an allow list, so emergency calls do not fire); deny_types.
    Type names: fixed, mobile, fixed_or_mobile, toll_free, premium_rate, shared_cost, voip,
    personal, pager, uan, voicemail, satellite (also covers international_network: +882 and
    +883 are billed as satellite), international_network, short_code, unknown. Unknown
    country codes and type names are configuration errors.
  gap_minutes (default 240, as premium-rate): a breach episode rarely pauses longer.
  Severity: attempts only low (a misdial into a blocked route looks the same), answered
  medium; high-risk destinations answered high (critical-tier attempts medium); outside
  business hours one step up (attempts medium, answered high); 10 or more answered calls
  high; estimated cost 10 medium, 100 high, 1,000 critical.",
};

/// `[rules.destination-policy]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true; it does nothing until classes are configured).
    pub enabled: bool,
    /// Breaches further apart than this many minutes form separate findings (default 240).
    pub gap_minutes: u32,
    /// The classes of service, first match wins (default none).
    pub classes: Vec<Class>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            gap_minutes: 240,
            classes: Vec::new(),
        }
    }
}

/// One class of service: who belongs and what they may call.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    /// Name shown in findings, e.g. `lobby`.
    pub name: String,
    /// Glob patterns over subject names (`2*`, `lobby`); a subject takes the first class
    /// with a matching pattern.
    pub members: Vec<MemberGlob>,
    /// May call abroad at all (default true).
    #[serde(default = "yes")]
    pub international: bool,
    /// International destinations allowed (ISO alpha-2 or `001`); empty = all.
    #[serde(default)]
    pub allow_countries: Vec<CountryCode>,
    /// Destinations denied, the home country included if listed.
    #[serde(default)]
    pub deny_countries: Vec<CountryCode>,
    /// Number types allowed; empty = all.
    #[serde(default)]
    pub allow_types: Vec<KindName>,
    /// Number types denied.
    #[serde(default)]
    pub deny_types: Vec<KindName>,
}

fn yes() -> bool {
    true
}

/// A subject-name glob checked at load time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberGlob(pub String);

impl TryFrom<String> for MemberGlob {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        globset::Glob::new(&s)
            .map(|_| MemberGlob(s.clone()))
            .map_err(|e| format!("invalid members pattern `{s}`: {e}"))
    }
}

impl From<MemberGlob> for String {
    fn from(g: MemberGlob) -> String {
        g.0
    }
}

/// A destination country as libphonenumber names it: ISO alpha-2 (upper case) or `001`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(pub String);

impl TryFrom<String> for CountryCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let up = s.trim().to_ascii_uppercase();
        if up == "001" {
            return Ok(CountryCode(up));
        }
        <phonenumber::country::Id as std::str::FromStr>::from_str(&up)
            .map(|_| CountryCode(up))
            .map_err(|_| {
                format!(
                    "unknown country code `{s}` (expected ISO 3166 alpha-2 such as DE or GB, \
                     or 001 for satellite and international networks)"
                )
            })
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.0
    }
}

/// Every number type by the name it has in reports and settings (its serde name).
pub const KIND_NAMES: &[(&str, NumberKind)] = &[
    ("fixed", NumberKind::Fixed),
    ("mobile", NumberKind::Mobile),
    ("fixed_or_mobile", NumberKind::FixedOrMobile),
    ("toll_free", NumberKind::TollFree),
    ("premium_rate", NumberKind::PremiumRate),
    ("shared_cost", NumberKind::SharedCost),
    ("voip", NumberKind::Voip),
    ("personal", NumberKind::Personal),
    ("pager", NumberKind::Pager),
    ("uan", NumberKind::Uan),
    ("voicemail", NumberKind::Voicemail),
    ("satellite", NumberKind::Satellite),
    ("international_network", NumberKind::InternationalNetwork),
    ("short_code", NumberKind::ShortCode),
    ("unknown", NumberKind::Unknown),
];

/// A number type named in settings, checked at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct KindName(pub NumberKind);

impl TryFrom<String> for KindName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let want = s.trim().to_ascii_lowercase().replace('-', "_");
        KIND_NAMES
            .iter()
            .find(|(n, _)| *n == want)
            .map(|(_, k)| KindName(*k))
            .ok_or_else(|| {
                let names: Vec<&str> = KIND_NAMES.iter().map(|(n, _)| *n).collect();
                format!("unknown number type `{s}` (one of {})", names.join(", "))
            })
    }
}

impl From<KindName> for String {
    fn from(k: KindName) -> String {
        KIND_NAMES
            .iter()
            .find(|(_, v)| *v == k.0)
            .map_or("unknown", |(n, _)| *n)
            .to_string()
    }
}

impl KindName {
    /// True when a listed type covers `kind`: equal, or `satellite` for international
    /// networks (billed alike); in allow lists also `fixed`/`mobile` for fixed_or_mobile.
    fn covers(self, kind: NumberKind, allow: bool) -> bool {
        self.0 == kind
            || (self.0 == NumberKind::Satellite && kind == NumberKind::InternationalNetwork)
            || (allow
                && kind == NumberKind::FixedOrMobile
                && matches!(self.0, NumberKind::Fixed | NumberKind::Mobile))
    }
}

/// A class with its patterns compiled.
struct Compiled {
    class: Class,
    members: globset::GlobSet,
}

/// The rule.
pub struct DestinationPolicy {
    s: Settings,
    classes: Vec<Compiled>,
}

impl DestinationPolicy {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        if !s.enabled {
            return None;
        }
        let classes = s
            .classes
            .iter()
            .map(|c| {
                let mut b = globset::GlobSetBuilder::new();
                for m in &c.members {
                    // Validated at load; a pattern that still fails matches nothing.
                    if let Ok(g) = globset::Glob::new(&m.0) {
                        b.add(g);
                    }
                }
                Compiled {
                    class: c.clone(),
                    members: b.build().unwrap_or_else(|_| globset::GlobSet::empty()),
                }
            })
            .collect();
        Some(Box::new(DestinationPolicy {
            s: s.clone(),
            classes,
        }))
    }
}

/// Why a destination is outside a class, or `None` when the class allows it.
pub fn breach(class: &Class, n: &NumberInfo, home: &str) -> Option<String> {
    let intl = n.is_international();
    if intl && !class.international {
        return Some(format!("international ({})", n.country_label()));
    }
    if class.deny_countries.iter().any(|c| c.0 == n.country) {
        return Some(format!("denied country {}", n.country_label()));
    }
    if intl
        && !class.allow_countries.is_empty()
        && n.country != home
        && !class.allow_countries.iter().any(|c| c.0 == n.country)
    {
        return Some(format!("country {} not allowed", n.country_label()));
    }
    if class.deny_types.iter().any(|k| k.covers(n.kind, false)) {
        return Some(format!("denied type {}", n.kind.label()));
    }
    // Short codes (emergency) and untyped numbers cannot be shown to be outside an allow list.
    if !class.allow_types.is_empty()
        && !matches!(n.kind, NumberKind::ShortCode | NumberKind::Unknown)
        && !class.allow_types.iter().any(|k| k.covers(n.kind, true))
    {
        return Some(format!("type {} not allowed", n.kind.label()));
    }
    None
}

impl Rule for DestinationPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if self.classes.is_empty() {
            return;
        }
        let Some(subject) = ctx.table.subjects.get(g.subject as usize) else {
            return;
        };
        let name = ctx.table.str(subject.name);
        let Some(cls) = self.classes.iter().find(|c| c.members.is_match(name)) else {
            return;
        };
        let home = ctx.config.site.country.code();
        let mut why: Vec<(usize, String)> = Vec::new();
        for (i, c) in g.external() {
            if let Some(n) = ctx.table.number_of(c) {
                if let Some(w) = breach(&cls.class, n, home) {
                    why.push((i, w));
                }
            }
        }
        if why.is_empty() {
            return;
        }
        let indices: Vec<usize> = why.iter().map(|(i, _)| *i).collect();
        let currency = &ctx.config.site.currency;
        let cal = &ctx.config.calendar;
        for cluster in clusters(ctx.table, &indices, i64::from(self.s.gap_minutes) * 60) {
            let t = Totals::of(ctx.table, &cluster);
            let mut max_risk = RiskTier::None;
            let mut off_hours = false;
            for &i in &cluster {
                let c = &ctx.table.calls[i];
                if let Some(n) = ctx.table.number_of(c) {
                    max_risk = max_risk.max(n.risk);
                }
                off_hours |= cal.off_hours(c.start).is_some();
            }
            let mut grade = if t.connected > 0 {
                Grade::new(
                    Severity::Medium,
                    format!(
                        "answered call(s) outside class of service `{}`",
                        cls.class.name
                    ),
                )
            } else {
                Grade::new(
                    Severity::Low,
                    "attempts only (none answered): a misdial into a blocked route looks the same",
                )
            };
            match max_risk {
                RiskTier::High | RiskTier::Critical if t.connected > 0 => {
                    grade.raise(Severity::High, "answered calls to a high-risk destination")
                }
                RiskTier::Critical => grade.raise(
                    Severity::Medium,
                    "attempts to a critical-risk range (test calls precede IRSF)",
                ),
                _ => {}
            }
            if off_hours {
                if t.connected > 0 {
                    grade.raise(Severity::High, "answered breach outside business hours");
                } else {
                    grade.raise(Severity::Medium, "attempts outside business hours");
                }
            }
            if t.connected >= 10 {
                grade.raise(
                    Severity::High,
                    format!("{} answered calls (10 or more)", t.connected),
                );
            }
            grade.cost(t.cost, currency);
            let labels: BTreeSet<&str> = why
                .iter()
                .filter(|(i, _)| cluster.binary_search(i).is_ok())
                .map(|(_, w)| w.as_str())
                .collect();
            let reason = format!(
                "{} call(s) ({} answered, {:.0} min, est. {}) outside class of service `{}`: {}",
                t.calls,
                t.connected,
                t.minutes,
                money(t.cost, currency),
                cls.class.name,
                labels.into_iter().collect::<Vec<_>>().join("; "),
            );
            out.push(finding(&META, grade, g.subject, ctx.table, cluster, reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::normalize::Scope;
    use crate::number::rates::RateSource;

    fn num(country: &str, kind: NumberKind, scope: Scope) -> NumberInfo {
        NumberInfo {
            e164: "+1".into(),
            scope,
            country: country.into(),
            calling_code: 0,
            kind,
            valid: true,
            risk: RiskTier::None,
            risk_reason: String::new(),
            risk_tier_seconds: 0,
            rate: 0.0,
            rate_source: RateSource::None,
            prefix_guessed: false,
        }
    }

    fn class(text: &str) -> Class {
        toml::from_str(&format!("name = \"t\"\nmembers = [\"2*\"]\n{text}")).unwrap()
    }

    #[test]
    fn kind_names_are_the_serde_names() {
        for (name, kind) in KIND_NAMES {
            assert_eq!(serde_json::to_value(kind).unwrap(), *name);
        }
        assert_eq!(KIND_NAMES.len(), 15);
    }

    #[test]
    fn bad_values_are_rejected_with_the_value() {
        let e = toml::from_str::<Class>("name = \"t\"\nmembers = []\nallow_countries = [\"XX\"]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("XX") && e.contains("allow_countries"), "{e}");
        let e = toml::from_str::<Class>("name = \"t\"\nmembers = []\ndeny_types = [\"premium\"]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("premium") && e.contains("deny_types"), "{e}");
        let e = toml::from_str::<Class>("name = \"t\"\nmembers = [\"a[\"]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a["), "{e}");
        let c = class("allow_countries = [\"gb\", \"001\"]\nallow_types = [\"Premium-Rate\"]");
        assert_eq!(c.allow_countries[0].0, "GB");
        assert_eq!(c.allow_types[0].0, NumberKind::PremiumRate);
        assert!(c.international);
    }

    #[test]
    fn breaches() {
        use NumberKind as K;
        use Scope::{International as I, National as N};
        let c = class("allow_countries = [\"AT\", \"GB\"]");
        assert_eq!(breach(&c, &num("AT", K::Fixed, I), "DE"), None);
        assert_eq!(breach(&c, &num("DE", K::Mobile, N), "DE"), None);
        assert!(breach(&c, &num("BY", K::Mobile, I), "DE")
            .unwrap()
            .contains("not allowed"));
        assert!(breach(&c, &num("", K::Unknown, I), "DE").is_some());
        let c = class("international = false");
        assert!(breach(&c, &num("AT", K::Fixed, I), "DE").is_some());
        assert_eq!(breach(&c, &num("DE", K::Fixed, N), "DE"), None);
        let c = class("deny_countries = [\"DE\"]");
        assert!(breach(&c, &num("DE", K::Fixed, N), "DE").is_some());
        let c = class("deny_types = [\"satellite\"]");
        assert!(breach(&c, &num("001", K::InternationalNetwork, I), "DE").is_some());
        let c = class("deny_types = [\"mobile\"]");
        assert_eq!(breach(&c, &num("US", K::FixedOrMobile, I), "DE"), None);
        let c = class("allow_types = [\"fixed\", \"mobile\"]");
        assert_eq!(breach(&c, &num("US", K::FixedOrMobile, I), "DE"), None);
        assert_eq!(breach(&c, &num("DE", K::ShortCode, N), "DE"), None);
        assert_eq!(breach(&c, &num("DE", K::Unknown, N), "DE"), None);
        assert!(breach(&c, &num("DE", K::PremiumRate, N), "DE")
            .unwrap()
            .contains("premium rate"));
    }
}

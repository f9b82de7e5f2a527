//! Fraud heuristics: the [`Rule`] trait, the registry, severities and findings.
//!
//! A rule is one file plus one entry in [`REGISTRY`]: static metadata ([`RuleMeta`]: stable id,
//! kebab-case name, default severity, summary, long documentation in a fixed outline), typed
//! settings (a serde struct with defaults, `[rules.<name>]` in the config) and a `check` over one
//! subject's calls, sorted by start. Rules hold no mutable state, so the analyzer runs them on
//! all subjects in parallel. `tollguard rules` and `tollguard explain` are generated from here.

pub mod call_forward_abuse;
pub mod concurrent_calls;
pub mod destination_policy;
pub mod invalid_number;
pub mod long_duration;
pub mod new_destination;
pub mod off_hours;
pub mod premium_rate;
pub mod repeated_destination;
pub mod scanning;
pub mod spending_limit;
pub mod unknown_source;
pub mod volume;
pub mod volume_anomaly;
pub mod wangiri;

use crate::call::{Call, CallTable, SubjectId};
use crate::config::Config;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How urgent a finding is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, no action.
    Info,
    /// Look when convenient.
    Low,
    /// Look today.
    #[default]
    Medium,
    /// Act now: money is probably being lost.
    High,
    /// Act now: large, ongoing loss.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity `{s}` (info, low, medium, high, critical)"))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable id, e.g. `TG001`. Never reused.
    pub id: &'static str,
    /// Stable kebab-case name, also the config section `[rules.<name>]`.
    pub name: &'static str,
    /// Severity of a typical finding (actual severity is computed per finding).
    pub default_severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Long documentation: What it detects / Why it matters / Example / Tuning.
    pub doc: &'static str,
}

/// What a rule found: one suspicious episode of one subject.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule's metadata.
    pub rule: &'static RuleMeta,
    /// Computed severity.
    pub severity: Severity,
    /// Subject.
    pub subject: SubjectId,
    /// First call start (UTC seconds).
    pub start: i64,
    /// Last call end (UTC seconds).
    pub end: i64,
    /// Indices into [`CallTable::calls`] of the calls behind the finding.
    pub calls: Vec<usize>,
    /// Why it fired, in one or two sentences with the numbers that matter.
    pub reason: String,
    /// How the severity came about, one documented factor a line (`--explain`, JSON `factors`).
    pub factors: Vec<String>,
}

/// A severity with the factors that set it: rules start from a base and raise it with
/// documented reasons (cost, destination risk, time, how far above a limit), so every
/// finding can say why it is as severe as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    /// The resulting severity.
    pub severity: Severity,
    /// Each step, in order.
    pub factors: Vec<String>,
}

impl Grade {
    /// Starts at `base` because of `why`.
    pub fn new(base: Severity, why: impl Into<String>) -> Grade {
        Grade {
            severity: base,
            factors: vec![format!("{base}: {}", why.into())],
        }
    }

    /// Raises the severity to at least `to` because of `why` (recorded only when it raises).
    pub fn raise(&mut self, to: Severity, why: impl Into<String>) {
        if to > self.severity {
            self.severity = to;
            self.factors.push(format!("raised to {to}: {}", why.into()));
        }
    }

    /// Raises the severity one step (info → low → medium → high, never past high: only cost
    /// and destination risk make a finding critical) because of `why`.
    pub fn step_up(&mut self, why: impl Into<String>) {
        let to = match self.severity {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            _ => Severity::High,
        };
        self.raise(to, why);
    }

    /// Applies the money bands of [`cost_floor`] to an estimated cost.
    pub fn cost(&mut self, cost: f64, currency: &str) {
        let floor = cost_floor(cost);
        let band = match floor {
            Severity::Critical => "1,000",
            Severity::High => "100",
            _ => "10",
        };
        self.raise(
            floor,
            format!(
                "estimated cost {} is at least {band} {currency}",
                money(cost, currency)
            ),
        );
    }
}

/// One subject's calls, sorted by start, as handed to rules.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    /// The subject.
    pub subject: SubjectId,
    /// Index of `calls[0]` in the table.
    pub base: usize,
    /// The calls.
    pub calls: &'a [Call],
    /// Positions in `calls` of the calls [`Context::counts`], ascending (see
    /// [`Group::external`]; build with [`Group::counted`]).
    pub counted: &'a [u32],
}

/// What every rule may read.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// All calls and their tables.
    pub table: &'a CallTable,
    /// The resolved configuration.
    pub config: &'a Config,
    /// Known-good destinations of this subject (the site's `[allow]` plus its group's).
    pub allow: &'a crate::number::allow::AllowList,
    /// The learned baselines of nightly runs (`None` for `audit`, which keeps no history).
    pub history: Option<&'a crate::state::baseline::Baselines>,
}

impl Context<'_> {
    /// How many of the calls at `indices` started outside business hours (site calendar).
    pub fn off_hours_count(&self, indices: &[usize]) -> usize {
        indices
            .iter()
            .filter(|&&i| {
                self.config
                    .calendar
                    .off_hours(self.table.calls[i].start)
                    .is_some()
            })
            .count()
    }

    /// True when the call left the PBX (outbound or forwarded) to a destination that is not
    /// allowed: the calls destination and volume rules count. Use this, not
    /// `direction.is_external_out()`, so allow-lists work for every rule.
    pub fn counts(&self, c: &Call) -> bool {
        c.direction.is_external_out()
            && !self
                .table
                .number_of(c)
                .is_some_and(|n| self.allow.allows(&n.e164))
    }
}

impl<'a> Group<'a> {
    /// The positions in `calls` of the calls `ctx` [`Context::counts`], for
    /// [`Group::counted`]. Worked out once per subject: most rules walk the external calls,
    /// and each asking for every call again was about a fifth of the rules' time.
    pub fn counted(calls: &[Call], ctx: &Context<'_>) -> Vec<u32> {
        // Room for every call at once: collected through the filter, the list grew by
        // reallocation (about 2.5 % of the rules' time).
        let mut out = Vec::with_capacity(calls.len());
        out.extend(
            (0u32..)
                .zip(calls)
                .filter(|(_, c)| ctx.counts(c))
                .map(|(i, _)| i),
        );
        out
    }

    /// `(table index, call)` of the calls [`Context::counts`]: external, not allowed.
    pub fn external(&self) -> impl Iterator<Item = (usize, &'a Call)> + 'a {
        let (calls, base) = (self.calls, self.base);
        self.counted
            .iter()
            .map(move |&i| (base + i as usize, &calls[i as usize]))
    }
}

/// A fraud heuristic.
pub trait Rule: Send + Sync {
    /// Static metadata.
    fn meta(&self) -> &'static RuleMeta;
    /// Checks one subject's calls and appends findings.
    fn check(&self, group: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>);
    /// Computes what the rule learns once per run from the whole table (site-wide facts),
    /// before any subject is checked. [`crate::analyze`] runs the rules' preparations side by
    /// side with every core free: computed on a subject's first check instead, one core scanned
    /// millions of calls while the other waited for the result. Default: nothing to learn.
    fn prepare(&self, _table: &CallTable, _history: Option<&crate::state::baseline::Baselines>) {}
}

/// `[rules.*]`: every rule's settings.
#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct RulesSettings {
    /// `[rules.premium-rate]`.
    #[serde(rename = "premium-rate")]
    pub premium_rate: premium_rate::Settings,
    /// `[rules.off-hours]`.
    #[serde(rename = "off-hours")]
    pub off_hours: off_hours::Settings,
    /// `[rules.volume]`.
    pub volume: volume::Settings,
    /// `[rules.call-forward-abuse]`.
    #[serde(rename = "call-forward-abuse")]
    pub call_forward_abuse: call_forward_abuse::Settings,
    /// `[rules.unknown-source]`.
    #[serde(rename = "unknown-source")]
    pub unknown_source: unknown_source::Settings,
    /// `[rules.wangiri]`.
    pub wangiri: wangiri::Settings,
    /// `[rules.destination-policy]`.
    #[serde(rename = "destination-policy")]
    pub destination_policy: destination_policy::Settings,
    /// `[rules.new-destination]`.
    #[serde(rename = "new-destination")]
    pub new_destination: new_destination::Settings,
    /// `[rules.scanning]`.
    pub scanning: scanning::Settings,
    /// `[rules.invalid-number]`.
    #[serde(rename = "invalid-number")]
    pub invalid_number: invalid_number::Settings,
    /// `[rules.repeated-destination]`.
    #[serde(rename = "repeated-destination")]
    pub repeated_destination: repeated_destination::Settings,
    /// `[rules.concurrent-calls]`.
    #[serde(rename = "concurrent-calls")]
    pub concurrent_calls: concurrent_calls::Settings,
    /// `[rules.long-duration]`.
    #[serde(rename = "long-duration")]
    pub long_duration: long_duration::Settings,
    /// `[rules.spending-limit]`.
    #[serde(rename = "spending-limit")]
    pub spending_limit: spending_limit::Settings,
    /// `[rules.volume-anomaly]`.
    #[serde(rename = "volume-anomaly")]
    pub volume_anomaly: volume_anomaly::Settings,
}

/// One registry entry: metadata, constructor, settings as TOML (for `explain`).
pub struct RuleEntry {
    /// Metadata.
    pub meta: &'static RuleMeta,
    /// Builds the rule from settings; `None` when disabled.
    pub build: fn(&RulesSettings) -> Option<Box<dyn Rule>>,
    /// The rule's current settings as a TOML table.
    pub settings: fn(&RulesSettings) -> String,
}

/// All rules, in id order.
pub static REGISTRY: &[RuleEntry] = &[
    RuleEntry {
        meta: &premium_rate::META,
        build: |s| premium_rate::PremiumRate::build(&s.premium_rate),
        settings: |s| toml_of(&s.premium_rate),
    },
    RuleEntry {
        meta: &off_hours::META,
        build: |s| off_hours::OffHoursRule::build(&s.off_hours),
        settings: |s| toml_of(&s.off_hours),
    },
    RuleEntry {
        meta: &volume::META,
        build: |s| volume::Volume::build(&s.volume),
        settings: |s| toml_of(&s.volume),
    },
    RuleEntry {
        meta: &concurrent_calls::META,
        build: |s| concurrent_calls::ConcurrentCalls::build(&s.concurrent_calls),
        settings: |s| toml_of(&s.concurrent_calls),
    },
    RuleEntry {
        meta: &call_forward_abuse::META,
        build: |s| call_forward_abuse::CallForwardAbuse::build(&s.call_forward_abuse),
        settings: |s| toml_of(&s.call_forward_abuse),
    },
    RuleEntry {
        meta: &scanning::META,
        build: |s| scanning::Scanning::build(&s.scanning),
        settings: |s| toml_of(&s.scanning),
    },
    RuleEntry {
        meta: &unknown_source::META,
        build: |s| unknown_source::UnknownSource::build(&s.unknown_source),
        settings: |s| toml_of(&s.unknown_source),
    },
    RuleEntry {
        meta: &wangiri::META,
        build: |s| wangiri::Wangiri::build(&s.wangiri),
        settings: |s| toml_of(&s.wangiri),
    },
    RuleEntry {
        meta: &long_duration::META,
        build: |s| long_duration::LongDuration::build(&s.long_duration),
        settings: |s| toml_of(&s.long_duration),
    },
    RuleEntry {
        meta: &invalid_number::META,
        build: |s| invalid_number::InvalidNumber::build(&s.invalid_number),
        settings: |s| toml_of(&s.invalid_number),
    },
    RuleEntry {
        meta: &destination_policy::META,
        build: |s| destination_policy::DestinationPolicy::build(&s.destination_policy),
        settings: |s| toml_of(&s.destination_policy),
    },
    RuleEntry {
        meta: &spending_limit::META,
        build: |s| spending_limit::SpendingLimit::build(&s.spending_limit),
        settings: |s| toml_of(&s.spending_limit),
    },
    RuleEntry {
        meta: &new_destination::META,
        build: |s| new_destination::NewDestination::build(&s.new_destination),
        settings: |s| toml_of(&s.new_destination),
    },
    RuleEntry {
        meta: &repeated_destination::META,
        build: |s| repeated_destination::RepeatedDestination::build(&s.repeated_destination),
        settings: |s| toml_of(&s.repeated_destination),
    },
    RuleEntry {
        meta: &volume_anomaly::META,
        build: |s| volume_anomaly::VolumeAnomaly::build(&s.volume_anomaly),
        settings: |s| toml_of(&s.volume_anomaly),
    },
];

fn toml_of<T: Serialize>(v: &T) -> String {
    toml::to_string(v).unwrap_or_default()
}

/// The enabled rules.
pub fn enabled(settings: &RulesSettings) -> Vec<Box<dyn Rule>> {
    REGISTRY
        .iter()
        .filter_map(|e| (e.build)(settings))
        .collect()
}

/// Finds a rule by id (`TG001`) or name (`premium-rate`), case-insensitively.
pub fn lookup(key: &str) -> Option<&'static RuleEntry> {
    REGISTRY
        .iter()
        .find(|e| e.meta.id.eq_ignore_ascii_case(key) || e.meta.name.eq_ignore_ascii_case(key))
}

/// Money bands shared by rules: the estimated cost alone raises severity to at least this.
/// Documented in the README: 100 (site currency) is a painful day for a small office, 1,000 is
/// the size of a typical IRSF weekend's first hours.
pub fn cost_floor(cost: f64) -> Severity {
    if cost >= 1000.0 {
        Severity::Critical
    } else if cost >= 100.0 {
        Severity::High
    } else if cost >= 10.0 {
        Severity::Medium
    } else {
        Severity::Info
    }
}

/// Splits `indices` (sorted by start) into clusters where each call starts within `gap` seconds
/// of the previous cluster member's end.
pub fn clusters(table: &CallTable, indices: &[usize], gap: i64) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut last_end = i64::MIN;
    for &i in indices {
        let c = &table.calls[i];
        match out.last_mut() {
            Some(cur) if c.start <= last_end.saturating_add(gap) => {
                cur.push(i);
                last_end = last_end.max(c.end());
            }
            _ => {
                out.push(vec![i]);
                last_end = c.end();
            }
        }
    }
    out
}

/// Sums of a set of calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// Calls.
    pub calls: usize,
    /// Calls with talk time.
    pub connected: usize,
    /// Billable minutes.
    pub minutes: f64,
    /// Estimated cost.
    pub cost: f64,
    /// Earliest start.
    pub start: i64,
    /// Latest end.
    pub end: i64,
}

impl Totals {
    /// Totals of the calls at `indices`.
    pub fn of(table: &CallTable, indices: &[usize]) -> Totals {
        let mut t = Totals {
            start: i64::MAX,
            end: i64::MIN,
            ..Default::default()
        };
        for &i in indices {
            let c = &table.calls[i];
            t.calls += 1;
            t.connected += usize::from(c.is_connected());
            t.minutes += c.minutes();
            t.cost += table.cost(i);
            t.start = t.start.min(c.start);
            t.end = t.end.max(c.end());
        }
        t
    }
}

/// Builds a finding from calls, computing the time span.
pub fn finding(
    rule: &'static RuleMeta,
    grade: Grade,
    subject: SubjectId,
    table: &CallTable,
    calls: Vec<usize>,
    reason: String,
) -> Finding {
    let t = Totals::of(table, &calls);
    Finding {
        rule,
        severity: grade.severity,
        subject,
        start: t.start,
        end: t.end,
        calls,
        reason,
        factors: grade.factors,
    }
}

/// Formats money for reasons: `123.45 EUR`.
pub fn money(v: f64, currency: &str) -> String {
    format!("{v:.2} {currency}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        let mut ids = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for e in REGISTRY {
            let m = e.meta;
            assert!(ids.insert(m.id), "duplicate id {}", m.id);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(m.id.starts_with("TG") && m.id.len() == 5, "{}", m.id);
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                m.name
            );
            assert!(!m.summary.is_empty());
            for part in ["What it detects", "Why it matters", "Example", "Tuning"] {
                assert!(m.doc.contains(part), "{} doc lacks {part}", m.id);
            }
            let settings = (e.settings)(&RulesSettings::default());
            assert!(settings.contains("enabled"), "{}: {settings}", m.id);
            assert!(lookup(m.id).is_some() && lookup(m.name).is_some());
        }
        assert_eq!(enabled(&RulesSettings::default()).len(), REGISTRY.len());
    }

    #[test]
    fn external_calls_are_the_counted_ones_with_their_table_indices() {
        use crate::call::{Call, Direction};
        let mut config = Config::defaults();
        config.site.country = "DE".parse().unwrap();
        let classifier = crate::number::Classifier::from_config(&config).unwrap();
        let mut table = CallTable::new();
        // 0: a Berlin number (allow-listed below), 1: a London one.
        table.numbers = vec![
            classifier.classify("0301234567"),
            classifier.classify("00442079460000"),
        ];
        let call = |direction, number| Call {
            number,
            ..Call::answered_for_test(0, direction, 0)
        };
        table.calls = vec![
            call(Direction::Outbound, 1),
            call(Direction::Outbound, 0),
            call(Direction::Outbound, 1),
            call(Direction::Inbound, 1),
            call(Direction::Forwarded, 1),
            call(Direction::Internal, crate::call::NO_NUMBER),
            call(Direction::Outbound, crate::call::NO_NUMBER),
            call(Direction::Unknown, 1),
        ];
        let allow: crate::number::allow::AllowList =
            toml::from_str::<toml::Value>("x = [\"+4930\"]").unwrap()["x"]
                .clone()
                .try_into()
                .unwrap();
        let ctx = Context {
            table: &table,
            config: &config,
            allow: &allow,
            history: None,
        };
        // A group that begins one call into the table: indices come back as the table's.
        let calls = &table.calls[1..];
        let counted = Group::counted(calls, &ctx);
        let g = Group {
            subject: 0,
            base: 1,
            calls,
            counted: &counted,
        };
        let got: Vec<usize> = g.external().map(|(i, _)| i).collect();
        assert_eq!(got, [2, 4, 6]);
        for (i, c) in g.external() {
            assert!(std::ptr::eq(c, &table.calls[i]));
            assert!(ctx.counts(c));
        }
        let others = (1..table.calls.len()).filter(|i| !got.contains(i));
        assert!(others.into_iter().all(|i| !ctx.counts(&table.calls[i])));
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent".parse::<Severity>().is_err());
    }
}

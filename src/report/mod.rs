//! Reports: one serializable [`Report`] built from an audit, rendered by one file per output.
//!
//! The report model is also the documented JSON schema (`schema` = `tollguard.audit/1`): field
//! names are stable; new fields may be added. All CDR-derived text is data: the terminal
//! renderer escapes control characters, the CSV renderer neutralizes spreadsheet formulas, and
//! the HTML renderer escapes markup.

pub mod charts;
pub mod csv;
pub mod html;
pub mod html_style;
pub mod json;
pub mod normalized;
pub mod terminal;

use crate::analyze::Incident;
use crate::audit::AuditResult;
use crate::call::CallTable;
use crate::config::{Config, TzSource};
use crate::import::{FileStats, RowIssue};
use crate::number::{country_label, risk::RiskTier};
use crate::rules::{Finding, Severity, Totals};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Schema id of the JSON output.
pub const SCHEMA: &str = "tollguard.audit/1";
/// Call references listed per finding before truncating.
pub const MAX_CALL_REFS: usize = 1000;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Schema id.
    pub schema: &'static str,
    /// Tool name and version.
    pub tool: Tool,
    /// Site settings that shaped the verdicts.
    pub site: SiteInfo,
    /// Counts and timing.
    pub summary: Summary,
    /// Incidents, most costly first.
    pub incidents: Vec<IncidentView>,
    /// Findings, in incident order.
    pub findings: Vec<FindingView>,
    /// Nightly runs only: what the state changed about this report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nightly: Option<NightlyInfo>,
    /// Show each finding's severity factors and the rule's settings in the terminal report.
    #[serde(skip)]
    pub explain: bool,
}

/// What a nightly run adds to a report.
#[derive(Debug, Serialize, Clone, Default)]
pub struct NightlyInfo {
    /// The state directory.
    pub state: String,
    /// Incidents left out because they were reported before and have not grown.
    pub suppressed_repeats: usize,
    /// Incidents in this report that were never reported before.
    pub new_incidents: usize,
    /// Weeks of history before this run.
    pub history_weeks: f64,
    /// True while the history is too short for baselines (fixed limits only).
    pub cold_start: bool,
}

/// Tool identity.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// `tollguard`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// Site settings shown with the results.
#[derive(Debug, Serialize)]
pub struct SiteInfo {
    /// Site name.
    pub name: String,
    /// Home country.
    pub country: String,
    /// Site time zone (times in the report are in it).
    pub timezone: String,
    /// Where the time zone came from.
    pub timezone_source: TzSource,
    /// Time zone the CDR timestamps were read in.
    pub source_timezone: String,
    /// Currency of estimated costs.
    pub currency: String,
}

/// Counts and timing.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Data rows read (all files).
    pub rows_read: u64,
    /// Rows rejected (all files).
    pub rows_rejected: u64,
    /// Rows read with invalid UTF-8 replaced.
    pub rows_repaired_utf8: u64,
    /// Rows whose surplus fields (unescaped comma or quote) were re-joined.
    pub rows_repaired_split: u64,
    /// The first repaired rows in detail.
    pub repaired: Vec<crate::import::RowIssue>,
    /// Calls analysed.
    pub calls: usize,
    /// Outbound and forwarded external calls.
    pub external_calls: usize,
    /// Distinct subjects.
    pub subjects: usize,
    /// Distinct dialled numbers classified.
    pub distinct_numbers: usize,
    /// First call start (site time), if any.
    pub period_start: Option<String>,
    /// Last call end (site time), if any.
    pub period_end: Option<String>,
    /// Number of findings.
    pub findings: usize,
    /// Number of incidents.
    pub incidents: usize,
    /// Highest severity found.
    pub worst_severity: Option<Severity>,
    /// Estimated cost of all flagged calls.
    pub flagged_cost: f64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u128,
    /// Per-file accounting.
    pub files: Vec<FileStats>,
    /// First rejected rows with file and line.
    pub rejected: Vec<RowIssue>,
    /// Things that limit the verdicts (e.g. no holiday calendar for the period).
    pub notes: Vec<String>,
}

/// Per-destination-country totals.
#[derive(Debug, Serialize, Clone)]
pub struct Destination {
    /// ISO region or `001`.
    pub country: String,
    /// Country name.
    pub country_name: String,
    /// Calls.
    pub calls: usize,
    /// Billable minutes.
    pub minutes: f64,
    /// Estimated cost.
    pub estimated_cost: f64,
    /// Highest risk tier among the numbers.
    pub risk: RiskTier,
    /// Number types seen.
    pub kinds: Vec<&'static str>,
    /// Up to three example numbers (E.164).
    pub examples: Vec<String>,
}

/// Reference to a CDR row.
#[derive(Debug, Serialize, Clone)]
pub struct CallRef {
    /// File.
    pub file: String,
    /// Line.
    pub line: u32,
}

/// One finding, ready to print.
#[derive(Debug, Serialize)]
pub struct FindingView {
    /// `F1`, `F2`... (stable within one report).
    pub id: String,
    /// Incident id.
    pub incident: String,
    /// Rule name (`premium-rate`).
    pub rule: &'static str,
    /// Rule id (`TG001`).
    pub rule_id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// `extension 207`.
    pub subject: String,
    /// `extension`, `trunk`, `account`, `source`.
    pub subject_kind: &'static str,
    /// `207`.
    pub subject_name: String,
    /// First call start, RFC 3339 in site time.
    pub start: String,
    /// Last call end, RFC 3339 in site time.
    pub end: String,
    /// Calls.
    pub calls: usize,
    /// Answered calls with talk time.
    pub answered: usize,
    /// Billable minutes.
    pub minutes: f64,
    /// Estimated cost.
    pub estimated_cost: f64,
    /// Currency.
    pub currency: String,
    /// Why it fired.
    pub reason: String,
    /// How its severity came about, one factor a line (base, then each raise).
    pub factors: Vec<String>,
    /// The rule's settings in force, on one line (terminal `--explain` only).
    #[serde(skip)]
    pub settings: Option<String>,
    /// Top destinations by cost.
    pub destinations: Vec<Destination>,
    /// The CDR rows behind it.
    pub call_refs: Vec<CallRef>,
    /// True when `call_refs` was cut at [`MAX_CALL_REFS`].
    pub call_refs_truncated: bool,
}

/// One incident, ready to print.
#[derive(Debug, Serialize, Clone)]
pub struct IncidentView {
    /// `I1`, `I2`...
    pub id: String,
    /// Highest severity.
    pub severity: Severity,
    /// `extension 207`.
    pub subject: String,
    /// Subject kind.
    pub subject_kind: &'static str,
    /// Subject name.
    pub subject_name: String,
    /// Start, RFC 3339 site time.
    pub start: String,
    /// End, RFC 3339 site time.
    pub end: String,
    /// Rules that fired.
    pub rules: Vec<&'static str>,
    /// Finding ids.
    pub findings: Vec<String>,
    /// Distinct calls.
    pub calls: usize,
    /// Answered calls.
    pub answered: usize,
    /// Billable minutes.
    pub minutes: f64,
    /// Estimated cost.
    pub estimated_cost: f64,
    /// Currency.
    pub currency: String,
    /// Top destinations by cost.
    pub destinations: Vec<Destination>,
    /// What to do first.
    pub action: String,
    /// Nightly runs: new since the last run, grown, or reported again after the quiet period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<crate::state::alerts::Change>,
}

/// RFC 3339 in the site's time zone.
pub fn local_time(config: &Config, t: i64) -> String {
    config.calendar.local(t).to_rfc3339()
}

/// Top destinations of a set of calls, by estimated cost then calls.
pub fn destinations(table: &CallTable, calls: &[usize], top: usize) -> Vec<Destination> {
    let mut by: HashMap<String, (Destination, BTreeSet<&'static str>)> = HashMap::new();
    for &i in calls {
        let c = &table.calls[i];
        let Some(n) = table.number_of(c) else {
            continue;
        };
        let key = if n.country.is_empty() {
            "??".to_string()
        } else {
            n.country.clone()
        };
        let (d, kinds) = by.entry(key.clone()).or_insert_with(|| {
            (
                Destination {
                    country: key.clone(),
                    country_name: country_label(&n.country)
                        .split_once(' ')
                        .map(|x| x.1.to_string())
                        .unwrap_or_default(),
                    calls: 0,
                    minutes: 0.0,
                    estimated_cost: 0.0,
                    risk: RiskTier::None,
                    kinds: Vec::new(),
                    examples: Vec::new(),
                },
                BTreeSet::new(),
            )
        });
        d.calls += 1;
        d.minutes += c.minutes();
        d.estimated_cost += table.cost(i);
        d.risk = d.risk.max(n.risk);
        kinds.insert(n.kind.label());
        let shown = if n.e164.is_empty() {
            table.str(c.dialled).to_string()
        } else {
            n.e164.clone()
        };
        if d.examples.len() < 3 && !d.examples.contains(&shown) {
            d.examples.push(shown);
        }
    }
    let mut v: Vec<Destination> = by
        .into_values()
        .map(|(mut d, k)| {
            d.kinds = k.into_iter().collect();
            d
        })
        .collect();
    v.sort_by(|a, b| {
        b.estimated_cost
            .total_cmp(&a.estimated_cost)
            .then(b.calls.cmp(&a.calls))
            .then(a.country.cmp(&b.country))
    });
    v.truncate(top);
    v
}

fn action_for(rules: &[&str], subject: &str, risky: bool) -> String {
    let mut a = Vec::new();
    if rules.contains(&"premium-rate") || risky {
        a.push(format!(
            "block international and premium-rate dialling for {subject}"
        ));
        a.push("ask your carrier to bar the listed destinations".to_string());
    } else {
        a.push(format!(
            "check with the user of {subject} whether these calls are theirs"
        ));
    }
    a.push(
        "if not: change its SIP/IAX secret, check the device and the PBX's web and SIP logins"
            .into(),
    );
    a.join("; ")
}

impl Report {
    /// Builds the report model from an audit.
    pub fn build(config: &Config, r: &AuditResult) -> Report {
        let t = &r.table;
        let top = config.report.top_destinations;
        let currency = config.site.currency.clone();
        let mut findings = Vec::new();
        let mut incidents = Vec::new();
        for (n, inc) in r.analysis.incidents.iter().enumerate() {
            let inc_id = format!("I{}", n + 1);
            let mut rules: Vec<&'static str> = Vec::new();
            let mut ids = Vec::new();
            for &fi in &inc.findings {
                let f = &r.analysis.findings[fi];
                if !rules.contains(&f.rule.name) {
                    rules.push(f.rule.name);
                }
                let id = format!("F{}", fi + 1);
                ids.push(id.clone());
                findings.push(finding_view(config, t, f, id, inc_id.clone(), top));
            }
            incidents.push(incident_view(
                config, t, inc, inc_id, rules, ids, top, &currency,
            ));
        }
        let calls = &t.calls;
        // The period and the outgoing calls in one pass on all cores: three passes over a
        // month's millions of calls on one core were about 1 % of its audit.
        let (first, last, external_calls) = calls
            .par_iter()
            .map(|c| (c.start, c.end(), usize::from(c.direction.is_external_out())))
            .reduce(
                || (i64::MAX, i64::MIN, 0),
                |a, b| (a.0.min(b.0), a.1.max(b.1), a.2 + b.2),
            );
        let (period_start, period_end) = if calls.is_empty() {
            (None, None)
        } else {
            (Some(first), Some(last))
        };
        // Each flagged call once, in table order (the order the costs are summed in).
        let mut flagged: Vec<usize> = r
            .analysis
            .incidents
            .iter()
            .flat_map(|i| i.calls.iter().copied())
            .collect();
        flagged.sort_unstable();
        flagged.dedup();
        let flagged_cost = flagged.iter().map(|&i| t.cost(i)).sum();
        Report {
            schema: SCHEMA,
            tool: Tool {
                name: "tollguard",
                version: env!("CARGO_PKG_VERSION"),
            },
            site: SiteInfo {
                name: config.site.name.clone(),
                country: config.site.country.code().to_string(),
                timezone: config.tz.name().to_string(),
                timezone_source: config.tz_source,
                source_timezone: config.source_tz.name().to_string(),
                currency: currency.clone(),
            },
            summary: Summary {
                rows_read: r.stats.rows_read,
                rows_rejected: r.stats.rows_rejected,
                rows_repaired_utf8: r.stats.files.iter().map(|f| f.rows_repaired_utf8).sum(),
                rows_repaired_split: r.stats.files.iter().map(|f| f.rows_repaired_split).sum(),
                repaired: r.stats.repairs.clone(),
                calls: calls.len(),
                external_calls,
                subjects: t.subjects.len(),
                distinct_numbers: t.numbers.len(),
                period_start: period_start.map(|s| local_time(config, s)),
                period_end: period_end.map(|s| local_time(config, s)),
                findings: r.analysis.findings.len(),
                incidents: r.analysis.incidents.len(),
                worst_severity: r.analysis.incidents.iter().map(|i| i.severity).max(),
                flagged_cost,
                elapsed_ms: r.elapsed.as_millis(),
                files: r.stats.files.clone(),
                rejected: r.stats.issues.clone(),
                notes: match (period_start, period_end) {
                    (Some(a), Some(b)) => config.calendar.coverage_note(a, b).into_iter().collect(),
                    _ => Vec::new(),
                },
            },
            incidents,
            findings,
            nightly: None,
            explain: false,
        }
    }
}

fn finding_view(
    config: &Config,
    t: &CallTable,
    f: &Finding,
    id: String,
    incident: String,
    top: usize,
) -> FindingView {
    let tot = Totals::of(t, &f.calls);
    let s = t.subjects[f.subject as usize];
    FindingView {
        id,
        incident,
        rule: f.rule.name,
        rule_id: f.rule.id,
        severity: f.severity,
        subject: t.subject_label(f.subject),
        subject_kind: s.kind.as_str(),
        subject_name: t.str(s.name).to_string(),
        start: local_time(config, f.start),
        end: local_time(config, f.end),
        calls: tot.calls,
        answered: tot.connected,
        minutes: round2(tot.minutes),
        estimated_cost: round2(tot.cost),
        currency: config.site.currency.clone(),
        reason: f.reason.clone(),
        factors: f.factors.clone(),
        settings: crate::rules::lookup(f.rule.id).map(|e| {
            (e.settings)(&config.rules)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        }),
        destinations: destinations(t, &f.calls, top),
        call_refs: f
            .calls
            .iter()
            .take(MAX_CALL_REFS)
            .map(|&i| CallRef {
                file: t.files[t.calls[i].file as usize].clone(),
                line: t.calls[i].line,
            })
            .collect(),
        call_refs_truncated: f.calls.len() > MAX_CALL_REFS,
    }
}

#[allow(clippy::too_many_arguments)]
fn incident_view(
    config: &Config,
    t: &CallTable,
    inc: &Incident,
    id: String,
    rules: Vec<&'static str>,
    findings: Vec<String>,
    top: usize,
    currency: &str,
) -> IncidentView {
    let tot = Totals::of(t, &inc.calls);
    let s = t.subjects[inc.subject as usize];
    let destinations = destinations(t, &inc.calls, top);
    let risky = destinations.iter().any(|d| d.risk >= RiskTier::High);
    let subject = t.subject_label(inc.subject);
    IncidentView {
        id,
        severity: inc.severity,
        action: action_for(&rules, &subject, risky),
        subject,
        subject_kind: s.kind.as_str(),
        subject_name: t.str(s.name).to_string(),
        start: local_time(config, inc.start),
        end: local_time(config, inc.end),
        rules,
        findings,
        calls: tot.calls,
        answered: tot.connected,
        minutes: round2(tot.minutes),
        estimated_cost: round2(tot.cost),
        currency: currency.to_string(),
        destinations,
        change: None,
    }
}

/// Rounds to cents (JSON readers should not see 12.000000000002).
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Exit status for a report: true when some incident is at or above `fail_on`.
pub fn has_findings_at(report: &Report, fail_on: Severity) -> bool {
    report.incidents.iter().any(|i| i.severity >= fail_on)
}

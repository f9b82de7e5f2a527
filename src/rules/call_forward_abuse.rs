//! TG005 call-forward-abuse: inbound calls that leave again through a trunk (call forwarding,
//! follow-me, trunk-to-trunk relay) towards premium, high-risk or international destinations,
//! or in unusual numbers.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::call::{Call, CallTable, Direction};
use crate::number::risk::RiskTier;
use crate::number::NumberInfo;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG005",
    name: "call-forward-abuse",
    default_severity: Severity::High,
    summary: "Forwarded calls (in on a trunk, out on a trunk) to premium, high-risk or international numbers, or too many of them",
    doc: "\
What it detects:
  Calls that came in on a trunk and left again on a trunk (direction `forwarded`: call
  forwarding, follow-me, ring groups with external members, trunk-to-trunk relay). The
  forwarded destination is the number the call was relayed to. Three triggers, each its own
  finding (findings of one subject close in time merge into one incident):
  - risky: forwarded calls to destinations of risk tier `min_risk` or above (premium rate,
    satellite, hot-list ranges); an attempt to a critical range counts even unanswered,
    other tiers from their list's tier seconds (at most 60 s of talk);
  - international: `min_international` or more forwarded calls to ordinary international
    numbers within `gap_minutes` of each other;
  - volume: more than `max_calls_per_day` forwarded calls in any 24 hours.

Why it matters:
  Forwarding is the cheapest way to abuse a PBX: the attacker needs no SIP credentials. He
  guesses a user's voicemail PIN (often 0000 or the extension) or logs into the phone's or the
  PBX's web interface, sets the user's call forward to a premium or IRSF number he is paid
  for, then calls the user's DID from a cheap or free line, again and again, often with
  several calls in parallel. Every call is billed to the office as an international or premium
  call, and the PBX sees only 'inbound calls being forwarded', which per-extension outbound
  limits do not count. Open trunk-to-trunk relays (a provider context that may dial out) look
  the same in a CDR. A real user forwards to their own mobile, almost always a national number.

Example:
  Extension 231 (DID +49 30 1234231), Saturday 02:00-05:30: 18 forwarded calls, all from
  the same caller +49 157..., relayed to +882 16..., 16 answered, 240 minutes, est. 1,100 EUR:
  critical (risky trigger, cost band and off-hours).

Tuning:
  min_risk: lowest destination risk tier of the risky trigger (default high: premium rate,
    classic IRSF countries, satellite). There is no legitimate reason to forward a desk phone
    to a premium number, so any answered forwarded call there is reported, the way carrier
    fraud desks (CFCA, GSMA FF.21 practice) alert on the first answered call to such ranges.
  min_international: ordinary international forwards are reported from 3 calls in one
    episode (default): a travelling user forwarding to their own foreign mobile gets a few
    calls a day spread over office hours, an attack forwards calls back to back. Raise it for
    staff who forward abroad routinely, or add their mobile to [allow].
  gap_minutes: calls further apart than this are separate episodes (default 240, as the
    premium-rate rule).
  max_calls_per_day: forwarded calls per subject in 24 hours (default 30). One person taking
    forwarded calls on a mobile rarely gets more than 10-20 a day (30 calls of 5 minutes are
    2.5 hours on the phone); a night-service forward of a reception line is usually below 30.
    Raise it for forwarded queues or overflow to an external call centre.
  Severity: risky trigger: answered calls to a critical range high, attempts only medium;
    answered premium/high-tier medium, attempts only low; answered risky calls outside
    business hours high (the textbook weekend attack); ten or more answered calls to
    critical ranges critical. International trigger: low, medium when outside business
    hours, when one caller placed 3 or more of the calls (the attacker dialling the DID
    repeatedly) or from 3x min_international calls. Volume: low, medium from 1.5x the limit,
    high from 3x. Every trigger: estimated cost 10 medium, 100 high, 1,000 critical.",
};

/// `[rules.call-forward-abuse]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Lowest destination risk tier of the risky trigger: `elevated`, `high` or `critical`
    /// (default `high`).
    pub min_risk: RiskTier,
    /// Report this many forwarded calls to ordinary international numbers in one episode
    /// (default 3; 0 disables the international trigger).
    pub min_international: usize,
    /// Calls further apart than this many minutes form separate episodes (default 240).
    pub gap_minutes: u32,
    /// Forwarded calls per subject in any 24 hours above this fire (default 30; 0 disables
    /// the volume trigger).
    pub max_calls_per_day: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            min_risk: RiskTier::High,
            min_international: 3,
            gap_minutes: 240,
            max_calls_per_day: 30,
        }
    }
}

/// The rule.
pub struct CallForwardAbuse {
    s: Settings,
}

impl CallForwardAbuse {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(CallForwardAbuse { s: s.clone() }) as Box<dyn Rule>)
    }
}

/// Calls in a 24-hour window.
const DAY: i64 = 86_400;

/// A forwarded call goes to a risky destination: at or above `min` and, below critical, long
/// enough for the list's tier seconds (capped at a minute, as the premium-rate rule does).
fn is_risky(c: &Call, n: &NumberInfo, min: RiskTier) -> bool {
    n.risk >= min && c.billsec >= n.risk_tier_seconds.min(60)
}

impl Rule for CallForwardAbuse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let min = self.s.min_risk.max(RiskTier::Elevated);
        let mut forwarded = Vec::new();
        let (mut risky, mut international) = (Vec::new(), Vec::new());
        for (i, c) in g.external() {
            if c.direction != Direction::Forwarded {
                continue;
            }
            forwarded.push(i);
            let Some(n) = ctx.table.number_of(c) else {
                continue;
            };
            if is_risky(c, n, min) {
                risky.push(i);
            } else if n.risk < min && n.is_international() {
                international.push(i);
            }
        }
        if forwarded.is_empty() {
            return;
        }
        let gap = i64::from(self.s.gap_minutes) * 60;
        for cluster in clusters(ctx.table, &risky, gap) {
            out.push(self.risky(cluster, g, ctx));
        }
        if self.s.min_international > 0 {
            for cluster in clusters(ctx.table, &international, gap) {
                if cluster.len() >= self.s.min_international {
                    out.push(self.international(cluster, g, ctx));
                }
            }
        }
        if self.s.max_calls_per_day > 0 {
            for span in busy_days(ctx.table, &forwarded, self.s.max_calls_per_day) {
                out.push(self.volume(span, g, ctx));
            }
        }
    }
}

impl CallForwardAbuse {
    fn risky(&self, cluster: Vec<usize>, g: &Group<'_>, ctx: &Context<'_>) -> Finding {
        let table = ctx.table;
        let t = Totals::of(table, &cluster);
        let currency = &ctx.config.site.currency;
        let (mut max_risk, mut connected_critical, mut off_connected) = (RiskTier::None, 0, 0);
        let mut example = String::new();
        for &i in &cluster {
            let c = &table.calls[i];
            let Some(n) = table.number_of(c) else {
                continue;
            };
            if n.risk > max_risk {
                max_risk = n.risk;
                example = format!("{}, {}", n.e164, n.country_label());
            }
            if c.is_connected() {
                connected_critical += usize::from(n.risk == RiskTier::Critical);
                off_connected += usize::from(ctx.config.calendar.off_hours(c.start).is_some());
            }
        }
        let mut grade = match max_risk {
            RiskTier::Critical if t.connected > 0 => Grade::new(
                Severity::High,
                "forwarded call(s) answered at a critical-risk destination",
            ),
            RiskTier::Critical => Grade::new(
                Severity::Medium,
                "forwarding attempts (none answered) to a critical-risk destination",
            ),
            RiskTier::High if t.connected > 0 => Grade::new(
                Severity::Medium,
                "forwarded call(s) answered at a premium or high-risk destination",
            ),
            _ => Grade::new(
                Severity::Low,
                "forwarding attempts to premium/high-risk destinations, or elevated-risk ones",
            ),
        };
        grade.cost(t.cost, currency);
        if off_connected > 0 {
            grade.raise(
                Severity::High,
                format!(
                    "{off_connected} answered risky forward(s) outside business hours (the classic weekend attack)"
                ),
            );
        }
        if connected_critical >= 10 {
            grade.raise(
                Severity::Critical,
                format!(
                    "{connected_critical} answered forwards to critical-risk ranges (10 or more)"
                ),
            );
        }
        let reason = format!(
            "{} inbound call(s) forwarded out to risk-tier {} destinations (e.g. {}): {} answered, {:.0} min, est. {}{}",
            t.calls,
            max_risk.as_str(),
            example,
            t.connected,
            t.minutes,
            money(t.cost, currency),
            callers_note(table, &cluster),
        );
        finding(&META, grade, g.subject, table, cluster, reason)
    }

    fn international(&self, cluster: Vec<usize>, g: &Group<'_>, ctx: &Context<'_>) -> Finding {
        let table = ctx.table;
        let t = Totals::of(table, &cluster);
        let currency = &ctx.config.site.currency;
        let min = self.s.min_international;
        let mut grade = Grade::new(
            Severity::Low,
            format!(
                "{} forwarded calls to international numbers in one episode ({min} or more)",
                t.calls
            ),
        );
        grade.cost(t.cost, currency);
        let off = ctx.off_hours_count(&cluster);
        if off > 0 {
            grade.raise(
                Severity::Medium,
                format!("{off} of them outside business hours"),
            );
        }
        let (top, top_calls) = top_caller(table, &cluster);
        if top_calls >= 3 {
            grade.raise(
                Severity::Medium,
                format!("one caller ({top}) placed {top_calls} of them: someone dialling the DID to pump the forward"),
            );
        }
        if t.calls >= min.saturating_mul(3) {
            grade.raise(
                Severity::Medium,
                format!("{} calls, 3x the episode limit of {min} or more", t.calls),
            );
        }
        let countries: std::collections::BTreeSet<String> = cluster
            .iter()
            .filter_map(|&i| table.number_of(&table.calls[i]))
            .map(|n| n.country.clone())
            .filter(|c| !c.is_empty())
            .collect();
        let reason = format!(
            "{} inbound calls forwarded out to international numbers ({}) within {} min of each other (limit {min}): {} answered, {:.0} min, est. {}{}",
            t.calls,
            countries.into_iter().collect::<Vec<_>>().join(", "),
            self.s.gap_minutes,
            t.connected,
            t.minutes,
            money(t.cost, currency),
            callers_note(table, &cluster),
        );
        finding(&META, grade, g.subject, table, cluster, reason)
    }

    fn volume(&self, span: Span, g: &Group<'_>, ctx: &Context<'_>) -> Finding {
        let table = ctx.table;
        let t = Totals::of(table, &span.calls);
        let currency = &ctx.config.site.currency;
        let limit = self.s.max_calls_per_day;
        let ratio = span.worst as f64 / limit.max(1) as f64;
        let mut grade = Grade::new(
            Severity::Low,
            format!("{} forwarded calls in 24 hours (limit {limit})", span.worst),
        );
        grade.cost(t.cost, currency);
        if ratio >= 3.0 {
            grade.raise(
                Severity::High,
                format!("{ratio:.1}x the limit (3x or more)"),
            );
        } else if ratio >= 1.5 {
            grade.raise(
                Severity::Medium,
                format!("{ratio:.1}x the limit (1.5x or more)"),
            );
        }
        let reason = format!(
            "{} forwarded calls in the busiest 24 hours (limit {limit}, {ratio:.1}x); episode: {} calls, {} answered, {:.0} min, est. {}{}",
            span.worst,
            t.calls,
            t.connected,
            t.minutes,
            money(t.cost, currency),
            callers_note(table, &span.calls),
        );
        finding(&META, grade, g.subject, table, span.calls, reason)
    }
}

/// The caller (E.164, else the raw source) who placed most of `calls`, and how many.
fn top_caller(table: &CallTable, calls: &[usize]) -> (String, usize) {
    let mut by: HashMap<String, usize> = HashMap::new();
    for &i in calls {
        let c = &table.calls[i];
        let who = match table.caller_of(c) {
            Some(n) if !n.e164.is_empty() => n.e164.clone(),
            _ => table.str(c.src).to_string(),
        };
        if !who.is_empty() {
            *by.entry(who).or_default() += 1;
        }
    }
    // Ties broken by name so reports are deterministic.
    by.into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .unwrap_or_default()
}

/// `; N of them from caller X` when one caller placed several of the calls.
fn callers_note(table: &CallTable, calls: &[usize]) -> String {
    let (who, n) = top_caller(table, calls);
    if n >= 2 {
        format!("; {n} of them from caller {who}")
    } else {
        String::new()
    }
}

/// A run of overlapping exceeding 24-hour windows: its calls and the largest window count.
#[derive(Debug, PartialEq)]
struct Span {
    calls: Vec<usize>,
    worst: usize,
}

/// Sliding 24-hour windows (two pointers, linear) over `calls` (sorted by start): the runs of
/// windows holding more than `limit` calls, overlapping windows merged.
fn busy_days(table: &CallTable, calls: &[usize], limit: usize) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut cur: Option<(usize, usize, usize)> = None; // first, last, worst (positions)
    let mut lo = 0;
    for hi in 0..calls.len() {
        let start = table.calls[calls[hi]].start;
        while table.calls[calls[lo]].start <= start - DAY {
            lo += 1;
        }
        let n = hi - lo + 1;
        if n <= limit {
            continue;
        }
        cur = match cur {
            Some((first, last, worst)) if lo <= last => Some((first, hi, worst.max(n))),
            other => {
                if let Some((first, last, worst)) = other {
                    out.push(Span {
                        calls: calls[first..=last].to_vec(),
                        worst,
                    });
                }
                Some((lo, hi, n))
            }
        };
    }
    if let Some((first, last, worst)) = cur {
        out.push(Span {
            calls: calls[first..=last].to_vec(),
            worst,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(starts: &[i64]) -> CallTable {
        let mut t = CallTable::new();
        for &start in starts {
            t.calls
                .push(Call::answered_for_test(start, Direction::Forwarded, 0));
        }
        t
    }

    #[test]
    fn busy_days_finds_and_merges_exceeding_windows() {
        // 4 calls in one hour, then one a day later: limit 3 fires once, on the first four.
        let t = table(&[0, 600, 1200, 1800, DAY + 5000]);
        let idx: Vec<usize> = (0..5).collect();
        let spans = busy_days(&t, &idx, 3);
        assert_eq!(
            spans,
            vec![Span {
                calls: vec![0, 1, 2, 3],
                worst: 4
            }]
        );
        // Exactly at the limit: quiet.
        assert!(busy_days(&t, &idx, 4).is_empty());
        assert!(busy_days(&t, &[], 1).is_empty());
    }

    #[test]
    fn two_separate_busy_days_are_two_spans() {
        let t = table(&[0, 10, 20, 3 * DAY, 3 * DAY + 10, 3 * DAY + 20]);
        let idx: Vec<usize> = (0..6).collect();
        let spans = busy_days(&t, &idx, 2);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].calls, vec![3, 4, 5]);
    }
}

//! TG008 wangiri: one-ring missed calls from exotic numbers, and the callbacks to them.
//!
//! The missed calls and the callbacks usually belong to different subjects (the call rang on
//! one extension, someone called back from another phone or from the same one), so the rule
//! builds a site-wide index of the missed calls once per run, lazily, from the whole table.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::call::{Call, CallTable, Direction, Disposition};
use crate::number::risk::RiskTier;
use crate::number::{NumberInfo, NumberKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG008",
    name: "wangiri",
    default_severity: Severity::Medium,
    summary: "Callbacks to exotic numbers that rang once and hung up (wangiri, 'one ring and cut')",
    doc: "\
What it detects:
  Outbound calls to a number that, shortly before (within `callback_hours`), called the
  office from the outside and hung up after at most `max_ring_seconds` without being answered
  (or answered with no talk time): the callback of a wangiri ('one ring and cut') call. Only
  exotic callers count: a caller number of risk tier `min_risk` or above (satellite, IRSF
  countries, premium rate) or an international premium-rate number. Caller and callback are
  matched on the E.164 number, across the whole site: the missed call may have rung on any
  extension or trunk. Callbacks of one subject within `gap_minutes` form one finding.
  Also, at severity info, the wave itself: the missed one-ring calls a subject received while
  at least `wave_min_calls` such calls reached the site within a day. No money is lost yet,
  but it tells the help desk to warn users not to call back.

Why it matters:
  Wangiri fraud (Japanese: 'one ring and cut') dials thousands of numbers from premium or
  IRSF ranges, lets each ring once and hangs up. Curious or polite people call back the
  missed number and are connected to a premium line that plays ringback, music or a
  recording to keep them on the line; the fraudster shares the termination revenue. The CFCA
  and GSMA (FF.21) list it among the most common international fraud types; telecom
  regulators (e.g. Germany's BNetzA, Ireland's ComReg) issue public warnings about waves
  from African and Pacific ranges. One callback costs a few euros; a wave that makes a
  whole office call back, or a callback that stays on the line for an hour, costs hundreds.

Example:
  Monday 09:02-09:20: 14 one-ring calls from +239 9xxxxxx to extensions 200-249. At 11:40
  extension 214 calls +239 9xxxxxx back, answered, 25 minutes, est. 75 EUR: high
  (answered callback to a critical-risk range).

Tuning:
  max_ring_seconds: a missed call counts when it lasted at most 20 seconds (default): about
    three rings, shorter than any caller who wants to be answered waits (voicemail typically
    picks up after 20-30 s) and longer than the one ring wangiri dialers use.
  min_risk: lowest caller risk tier (default high). The `elevated` tier holds whole mobile
    ranges of ordinary countries and would match genuine foreign callers.
  callback_hours: a callback counts within 72 hours of the missed call (default): a missed
    call on Friday evening is called back on Monday morning.
  gap_minutes: callbacks further apart than this are separate findings (default 240).
  wave_min_calls: report the wave at info from this many missed one-ring exotic calls
    site-wide within 24 hours (default 3; 0 turns wave reports off). One or two can be a
    genuine foreign caller who gave up; three from exotic ranges in a day is a campaign.
  Severity: callbacks not answered low; an answered callback to a high-risk or premium number
    medium, to a critical-risk range high; then the money bands (10 medium, 100 high, 1,000
    critical). Waves are info.",
};

/// `[rules.wangiri]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// A missed inbound call lasting at most this many seconds is a one-ring call (default 20).
    pub max_ring_seconds: u32,
    /// Lowest risk tier of the caller's number: `elevated`, `high` or `critical` (default
    /// `high`); international premium-rate callers count whatever their tier.
    pub min_risk: RiskTier,
    /// A callback counts within this many hours after the missed call (default 72).
    pub callback_hours: u32,
    /// Callbacks further apart than this many minutes form separate findings (default 240).
    pub gap_minutes: u32,
    /// Report the wave of missed calls (info) from this many site-wide in 24 hours (default
    /// 3; 0 disables).
    pub wave_min_calls: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            max_ring_seconds: 20,
            min_risk: RiskTier::High,
            callback_hours: 72,
            gap_minutes: 240,
            wave_min_calls: 3,
        }
    }
}

/// Site-wide facts: the starts of missed one-ring calls from exotic numbers.
#[derive(Debug, Default)]
struct Index {
    /// Caller E.164 -> starts of its missed calls, sorted.
    by_number: FxHashMap<String, Vec<i64>>,
    /// All their starts, sorted.
    all: Vec<i64>,
}

/// The rule.
pub struct Wangiri {
    s: Settings,
    /// Built on first use in a run (rules are built fresh for every analysis).
    index: OnceLock<Index>,
}

impl Wangiri {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled.then(|| {
            Box::new(Wangiri {
                s: s.clone(),
                index: OnceLock::new(),
            }) as Box<dyn Rule>
        })
    }

    /// The exotic caller of `c` when `c` is a missed one-ring inbound call.
    fn one_ring_caller<'t>(&self, table: &'t CallTable, c: &Call) -> Option<&'t NumberInfo> {
        let missed = c.disposition != Disposition::Answered || c.billsec == 0;
        if c.direction != Direction::Inbound || !missed || c.duration > self.s.max_ring_seconds {
            return None;
        }
        let n = table.caller_of(c)?;
        let min = self.s.min_risk.max(RiskTier::Elevated);
        let exotic = n.risk >= min || (n.is_international() && n.kind == NumberKind::PremiumRate);
        (exotic && !n.e164.is_empty()).then_some(n)
    }

    fn index(&self, table: &CallTable) -> &Index {
        self.index.get_or_init(|| {
            // The calls are filtered on all cores; the few that qualify are indexed after
            // (in any order: every list is sorted).
            let rang: Vec<(&NumberInfo, i64)> = table
                .calls
                .par_iter()
                .filter_map(|c| self.one_ring_caller(table, c).map(|n| (n, c.start)))
                .collect();
            let mut ix = Index::default();
            for (n, start) in rang {
                ix.by_number.entry(n.e164.clone()).or_default().push(start);
                ix.all.push(start);
            }
            for v in ix.by_number.values_mut() {
                v.sort_unstable();
            }
            ix.all.sort_unstable();
            ix
        })
    }
}

/// Seconds from the latest of `times` (sorted) before `at` to `at`, if any lies within `window`.
fn since_last(times: &[i64], at: i64, window: i64) -> Option<i64> {
    let p = times.partition_point(|&t| t < at);
    let last = *times.get(p.checked_sub(1)?)?;
    let d = at - last;
    (d <= window).then_some(d)
}

/// How many of `times` (sorted) lie in `[from, to]`.
fn count_between(times: &[i64], from: i64, to: i64) -> usize {
    let lo = times.partition_point(|&t| t < from);
    let hi = times.partition_point(|&t| t <= to);
    hi.saturating_sub(lo)
}

const HOUR: i64 = 3600;

impl Rule for Wangiri {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, table: &CallTable, _history: Option<&crate::state::baseline::Baselines>) {
        self.index(table);
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let table = ctx.table;
        let ix = self.index(table);
        if ix.all.is_empty() {
            return;
        }
        let window = i64::from(self.s.callback_hours) * HOUR;
        // Callbacks: outbound calls to a number that rang once shortly before.
        let mut callbacks = Vec::new();
        for (i, c) in g.external() {
            if c.direction != Direction::Outbound {
                continue;
            }
            let Some(n) = table.number_of(c) else {
                continue;
            };
            let Some(times) = ix.by_number.get(&n.e164) else {
                continue;
            };
            if since_last(times, c.start, window).is_some() {
                callbacks.push(i);
            }
        }
        let currency = &ctx.config.site.currency;
        for cluster in clusters(table, &callbacks, i64::from(self.s.gap_minutes) * 60) {
            out.push(self.callback_finding(cluster, g, ctx, ix, window, currency));
        }
        if self.s.wave_min_calls > 0 {
            self.waves(g, ctx, ix, out);
        }
    }
}

impl Wangiri {
    fn callback_finding(
        &self,
        cluster: Vec<usize>,
        g: &Group<'_>,
        ctx: &Context<'_>,
        ix: &Index,
        window: i64,
        currency: &str,
    ) -> Finding {
        let table = ctx.table;
        let t = Totals::of(table, &cluster);
        let (mut max_connected, mut numbers) = (RiskTier::None, Vec::<String>::new());
        let mut max_risk = RiskTier::None;
        let mut missed = 0;
        let mut delay = i64::MAX;
        for &i in &cluster {
            let c = &table.calls[i];
            let Some(n) = table.number_of(c) else {
                continue;
            };
            max_risk = max_risk.max(n.risk);
            if c.is_connected() {
                max_connected = max_connected.max(n.risk);
            }
            if !numbers.contains(&n.e164) {
                numbers.push(n.e164.clone());
                if let Some(times) = ix.by_number.get(&n.e164) {
                    missed += count_between(times, c.start - window, c.start);
                    if let Some(d) = since_last(times, c.start, window) {
                        delay = delay.min(d);
                    }
                }
            }
        }
        let mut grade = match max_connected {
            RiskTier::Critical => Grade::new(
                Severity::High,
                "answered callback to a critical-risk number that rang once",
            ),
            RiskTier::None => Grade::new(
                Severity::Low,
                "callback attempts (none answered) to a number that rang once",
            ),
            _ => Grade::new(
                Severity::Medium,
                "answered callback to a high-risk or premium number that rang once",
            ),
        };
        grade.cost(t.cost, currency);
        let shown: Vec<&str> = numbers.iter().take(3).map(String::as_str).collect();
        let reason = format!(
            "{} callback(s) to {} ({} number(s), highest risk tier {}) that rang the site {} time(s) for at most {} s without being answered, the first callback {:.1} h after the missed call: {} answered, {:.0} min, est. {}",
            t.calls,
            shown.join(", "),
            numbers.len(),
            max_risk.as_str(),
            missed,
            self.s.max_ring_seconds,
            delay.max(0) as f64 / 3600.0,
            t.connected,
            t.minutes,
            money(t.cost, currency),
        );
        finding(&META, grade, g.subject, table, cluster, reason)
    }

    /// The missed one-ring calls this subject received during a site-wide wave, at info.
    fn waves(&self, g: &Group<'_>, ctx: &Context<'_>, ix: &Index, out: &mut Vec<Finding>) {
        let table = ctx.table;
        let mine: Vec<usize> = g
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| self.one_ring_caller(table, c).is_some())
            .map(|(i, _)| g.base + i)
            .collect();
        for cluster in clusters(table, &mine, 24 * HOUR) {
            let t = Totals::of(table, &cluster);
            // The site-wide wave around this subject's calls (12 hours either side: a day).
            let site = count_between(&ix.all, t.start - 12 * HOUR, t.end + 12 * HOUR);
            if site < self.s.wave_min_calls {
                continue;
            }
            let mut callers: Vec<String> = cluster
                .iter()
                .filter_map(|&i| self.one_ring_caller(table, &table.calls[i]))
                .map(|n| n.e164.clone())
                .collect();
            callers.sort();
            callers.dedup();
            let grade = Grade::new(
                Severity::Info,
                format!(
                    "a wave of one-ring calls ({site} site-wide, {} or more): no money lost until someone calls back",
                    self.s.wave_min_calls
                ),
            );
            let reason = format!(
                "{} missed one-ring call(s) from exotic number(s) {} while {site} such calls reached the site within a day: a wangiri wave, do not call back",
                t.calls,
                callers.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
            );
            out.push(finding(&META, grade, g.subject, table, cluster, reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_last_looks_back_within_the_window() {
        let times = [100, 500, 10_000];
        assert_eq!(since_last(&times, 600, 1000), Some(100));
        assert_eq!(since_last(&times, 500, 1000), Some(400)); // same second is not before
        assert_eq!(since_last(&times, 50, 1000), None); // nothing before
        assert_eq!(since_last(&times, 9_000, 1000), None); // too long ago
        assert_eq!(since_last(&[], 9_000, 1000), None);
    }

    #[test]
    fn counts_between_bounds_inclusive() {
        let times = [1, 2, 3, 10];
        assert_eq!(count_between(&times, 2, 3), 2);
        assert_eq!(count_between(&times, 4, 9), 0);
        assert_eq!(count_between(&times, 0, 100), 4);
        assert_eq!(count_between(&times, 5, 1), 0);
    }
}

//! TG006 scanning: bursts of short or failed external attempts (dial-plan scanning, IRSF test
//! calls), numbers dialled in sequence, from extensions or from sources that are not extensions.

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::call::{Call, Direction, Disposition, SubjectKind};
use crate::number::normalize::Scope;
use crate::number::risk::RiskTier;
use crate::number::NumberInfo;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG006",
    name: "scanning",
    default_severity: Severity::Medium,
    summary: "Bursts of short or failed external attempts: dial-plan scanning and IRSF test calls",
    doc: "\
What it detects:
  Attempts are external calls that failed, were not answered, were busy, or were answered
  for less than `short_seconds`. Counted calls: outbound and forwarded calls to destinations
  that are not allow-listed, plus calls of unknown direction whose dialled string classifies
  as a national or international number (a failed call without a destination channel from
  a source that is not an extension can end up there). The rule fires on
  - a burst: at least `min_attempts` attempts within `window_minutes` to at least
    `min_distinct` different numbers, or
  - a sequence: at least `min_sequential` attempts (within `window_minutes` of each other) to
    numbers of the same length that differ by at most `max_step` from the next one up
    (+97259912340, ...41, ...42, ...): someone walks a number range.
  Attempts within `window_minutes` of each other that belong to a burst or a sequence form
  one finding.

Why it matters:
  Before an International Revenue Share Fraud attack, the attacker checks which routes a
  compromised account can reach: dozens of short calls to many numbers, often consecutive
  ones of a test range, most of them failing. Scanners trying stolen or guessed SIP
  credentials do the same from sources that are not known extensions. The burst itself costs
  little; it says the attack is minutes to hours away, which is when blocking is cheapest.

Example:
  Extension 231, Saturday 02:14-02:19, 24 failed attempts to +97259912340 ... +97259912363,
  dialled in sequence: medium (sequence, off-hours: raised to high).

Tuning:
  min_attempts = 10 in window_minutes = 10: a person dialling by hand needs 30-60 seconds
    per attempt including dialling and ringing, so ten attempts in ten minutes is already
    someone redialling non-stop; automated test calls run at several per second. Carrier
    fraud systems (CFCA and vendor guides on short-duration-call detection) alert on the
    same shape: many short or zero-duration calls in a few minutes.
  min_distinct = 5: redialling one busy number ten times is impatience, not scanning.
  short_seconds = 5: answered calls shorter than this carry no conversation (a test call
    that the terminating side picks up and drops).
  min_sequential = 5, max_step = 10: five numbers of one 50-number block dialled within
    minutes of each other, all failing or cut short, is not something people do by hand.
  Severity: low for a burst; each of: numbers dialled in sequence, a source that is not a
  known extension (trunk or unknown caller), outside business hours, and three times the
  burst limit, raises one step (up to high); attempts to high-risk destinations raise to
  medium, to critical-risk destinations (satellite, IRSF hot list) to high; the cost of the
  short answered calls raises by the money bands. A call-centre dialler that produces many
  unanswered calls should raise min_attempts or min_distinct.",
};

/// `[rules.scanning]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Attempts within `window_minutes` that make a burst (default 10).
    pub min_attempts: usize,
    /// Length of the burst window in minutes; also the gap that separates findings (default 10).
    pub window_minutes: u32,
    /// A burst needs at least this many different numbers (default 5).
    pub min_distinct: usize,
    /// Answered calls shorter than this many billable seconds count as attempts (default 5).
    pub short_seconds: u32,
    /// Numbers dialled in sequence that fire on their own (default 5; 0 disables).
    pub min_sequential: usize,
    /// Largest difference between neighbouring numbers of a sequence (default 10).
    pub max_step: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            min_attempts: 10,
            window_minutes: 10,
            min_distinct: 5,
            short_seconds: 5,
            min_sequential: 5,
            max_step: 10,
        }
    }
}

/// The rule.
pub struct Scanning {
    s: Settings,
}

impl Scanning {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(Scanning { s: s.clone() }) as Box<dyn Rule>)
    }

    /// True for an attempt that carried no conversation.
    fn is_attempt(&self, c: &Call) -> bool {
        c.disposition != Disposition::Answered || c.billsec < self.s.short_seconds
    }
}

/// The calls this rule looks at: what [`Context::counts`], plus unknown-direction calls to a
/// classified, not allow-listed national or international number.
fn considered(ctx: &Context<'_>, c: &Call) -> bool {
    if ctx.counts(c) {
        return true;
    }
    c.direction == Direction::Unknown
        && ctx.table.number_of(c).is_some_and(|n| {
            !n.e164.is_empty()
                && matches!(n.scope, Scope::National | Scope::International)
                && !ctx.allow.allows(&n.e164)
        })
}

/// The destination's digits as a number (E.164 without `+`, at most 18 digits), if any.
fn digits_of(n: Option<&NumberInfo>) -> Option<(usize, u64)> {
    let d = n?.e164.strip_prefix('+')?;
    if d.is_empty() || d.len() > 18 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse().ok().map(|v| (d.len(), v))
}

/// Positions (into `nums`) of the longest runs of distinct numbers of equal length whose
/// sorted neighbours differ by 1..=`max_step`, keeping runs of at least `min` numbers.
/// `nums[i]` is `(length, value)` of the i-th call, `None` when it has no number.
fn sequential(nums: &[Option<(usize, u64)>], max_step: u64, min: usize) -> Vec<usize> {
    let mut sorted: Vec<((usize, u64), usize)> = nums
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (n, i)))
        .collect();
    sorted.sort_unstable();
    let mut out = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let mut distinct = 0usize;
    let mut prev: Option<(usize, u64)> = None;
    for (n, i) in sorted {
        match prev {
            Some(p) if p == n => {}
            Some(p) if p.0 == n.0 && n.1 - p.1 <= max_step => distinct += 1,
            _ => {
                if distinct >= min {
                    out.append(&mut run);
                }
                run.clear();
                distinct = 1;
            }
        }
        run.push(i);
        prev = Some(n);
    }
    if distinct >= min {
        out.append(&mut run);
    }
    out.sort_unstable();
    out
}

/// Splits positions (sorted by start) into runs where each starts within `gap` of the previous:
/// slices of `positions` (a list of its own for each run cost an allocation per attempt
/// standing alone).
fn split_by_gap<'p>(starts: &[i64], positions: &'p [usize], gap: i64) -> Vec<&'p [usize]> {
    let mut out = Vec::new();
    let mut from = 0;
    for k in 1..=positions.len() {
        let ends = k == positions.len()
            || starts[positions[k]] > starts[positions[k - 1]].saturating_add(gap);
        if ends {
            out.push(&positions[from..k]);
            from = k;
        }
    }
    out
}

impl Rule for Scanning {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let table = ctx.table;
        // Table indices of the attempts, in start order.
        let att: Vec<usize> = g
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| self.is_attempt(c) && considered(ctx, c))
            .map(|(i, _)| g.base + i)
            .collect();
        let min_attempts = self.s.min_attempts.max(2);
        let min_seq = if self.s.min_sequential == 0 {
            usize::MAX
        } else {
            self.s.min_sequential.max(2)
        };
        if att.len() < min_attempts.min(min_seq) {
            return;
        }
        let window = i64::from(self.s.window_minutes.max(1)) * 60;
        let starts: Vec<i64> = att.iter().map(|&i| table.calls[i].start).collect();
        let mut marked = vec![false; att.len()];
        // Bursts: two pointers over starts; every attempt of a window that reaches the limit is
        // marked, each at most once (`done` only moves forward), so this stays linear.
        let (mut lo, mut done) = (0usize, 0usize);
        let mut any_burst = false;
        for hi in 0..att.len() {
            while starts[hi] - starts[lo] >= window {
                lo += 1;
            }
            if hi + 1 - lo >= min_attempts {
                any_burst = true;
                for m in marked.iter_mut().take(hi + 1).skip(lo.max(done)) {
                    *m = true;
                }
                done = hi + 1;
            }
        }
        // Sequences: within runs of attempts a window apart, numbers walked in small steps.
        let all: Vec<usize> = (0..att.len()).collect();
        let mut seq_marked = vec![false; att.len()];
        if min_seq != usize::MAX {
            for run in split_by_gap(&starts, &all, window) {
                if run.len() < min_seq {
                    continue;
                }
                // Digits only for runs long enough to be a sequence.
                let run_nums: Vec<_> = run
                    .iter()
                    .map(|&p| digits_of(table.number_of(&table.calls[att[p]])))
                    .collect();
                for k in sequential(&run_nums, self.s.max_step.max(1), min_seq) {
                    seq_marked[run[k]] = true;
                    marked[run[k]] = true;
                }
            }
        }
        if !any_burst && !seq_marked.iter().any(|&m| m) {
            return;
        }
        let positions: Vec<usize> = (0..att.len()).filter(|&p| marked[p]).collect();
        let subject_kind = table
            .subjects
            .get(g.subject as usize)
            .map(|s| s.kind)
            .unwrap_or(SubjectKind::Unknown);
        let currency = &ctx.config.site.currency;
        for ep in split_by_gap(&starts, &positions, window) {
            let idx: Vec<usize> = ep.iter().map(|&p| att[p]).collect();
            let distinct: HashSet<&str> = idx
                .iter()
                .map(|&i| {
                    let c = &table.calls[i];
                    match table.number_of(c) {
                        Some(n) if !n.e164.is_empty() => n.e164.as_str(),
                        _ => table.str(c.dialled),
                    }
                })
                .collect();
            let seq = ep.iter().filter(|&&p| seq_marked[p]).count();
            // Busiest window inside the episode.
            let (mut lo, mut busiest) = (0usize, 0usize);
            for hi in 0..ep.len() {
                while starts[ep[hi]] - starts[ep[lo]] >= window {
                    lo += 1;
                }
                busiest = busiest.max(hi + 1 - lo);
            }
            let burst = busiest >= min_attempts && distinct.len() >= self.s.min_distinct;
            if !burst && seq < min_seq {
                continue;
            }
            let t = Totals::of(table, &idx);
            let failed = idx
                .iter()
                .filter(|&&i| table.calls[i].disposition != Disposition::Answered)
                .count();
            let max_risk = idx
                .iter()
                .filter_map(|&i| table.number_of(&table.calls[i]))
                .map(|n| n.risk)
                .max()
                .unwrap_or(RiskTier::None);
            let mut grade = if burst {
                Grade::new(
                    Severity::Low,
                    format!(
                        "{busiest} short or failed attempts within {} minutes (limit {min_attempts})",
                        self.s.window_minutes
                    ),
                )
            } else {
                Grade::new(
                    Severity::Low,
                    format!("{seq} short or failed attempts to numbers in sequence"),
                )
            };
            let step = |grade: &mut Grade, why: String| grade.step_up(why);
            if seq >= min_seq {
                step(
                    &mut grade,
                    format!("{seq} numbers dialled in sequence (range scanning)"),
                );
            }
            if matches!(subject_kind, SubjectKind::Trunk | SubjectKind::Unknown) {
                step(
                    &mut grade,
                    format!(
                        "the source is not a known extension ({})",
                        subject_kind.as_str()
                    ),
                );
            }
            let off = ctx.off_hours_count(&idx);
            if off * 2 > idx.len() {
                step(&mut grade, "most attempts outside business hours".into());
            }
            if busiest >= min_attempts.saturating_mul(3) {
                step(
                    &mut grade,
                    format!("{busiest} attempts in one window: 3x the limit or more"),
                );
            }
            match max_risk {
                RiskTier::Critical => grade.raise(
                    Severity::High,
                    "attempts to critical-risk destinations (IRSF test ranges)",
                ),
                RiskTier::High => {
                    grade.raise(Severity::Medium, "attempts to high-risk destinations")
                }
                _ => {}
            }
            grade.cost(t.cost, currency);
            let reason = format!(
                "{} short or failed external attempts ({failed} unanswered, {} answered under {} s, est. {}) to {} different numbers, at most {busiest} within {} minutes{}{}",
                t.calls,
                t.calls - failed,
                self.s.short_seconds,
                money(t.cost, currency),
                distinct.len(),
                self.s.window_minutes,
                if seq >= min_seq {
                    format!("; {seq} dialled in sequence")
                } else {
                    String::new()
                },
                if max_risk >= RiskTier::High {
                    format!("; highest risk tier: {}", max_risk.as_str())
                } else {
                    String::new()
                },
            );
            out.push(finding(&META, grade, g.subject, table, idx, reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_where_the_gap_is_exceeded() {
        // Against runs built one position at a time, on random starts, gaps and subsets.
        let reference = |starts: &[i64], positions: &[usize], gap: i64| {
            let mut out: Vec<Vec<usize>> = Vec::new();
            let mut last = i64::MIN;
            for &p in positions {
                match out.last_mut() {
                    Some(cur) if starts[p] <= last.saturating_add(gap) => cur.push(p),
                    _ => out.push(vec![p]),
                }
                last = starts[p];
            }
            out
        };
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..2_000 {
            let mut t = i64::MIN + rng.i64(0..3);
            let starts: Vec<i64> = (0..rng.usize(0..30))
                .map(|_| {
                    t = t.saturating_add(rng.i64(0..20));
                    t
                })
                .collect();
            let positions: Vec<usize> = (0..starts.len()).filter(|_| rng.bool()).collect();
            let gap = rng.i64(0..12);
            let got: Vec<Vec<usize>> = split_by_gap(&starts, &positions, gap)
                .into_iter()
                .map(<[usize]>::to_vec)
                .collect();
            assert_eq!(
                got,
                reference(&starts, &positions, gap),
                "{starts:?} {positions:?} {gap}"
            );
        }
    }

    #[test]
    fn sequences_are_found_in_any_dialling_order() {
        let n = |v: u64| Some((11usize, v));
        let nums = vec![
            n(97259912343),
            n(97259912340),
            None,
            n(97259912342),
            n(97259912341),
            n(97259912344),
            n(4930111111),
        ];
        assert_eq!(sequential(&nums, 10, 5), vec![0, 1, 3, 4, 5]);
        // Four numbers are not enough; a repeated number is not a step.
        assert!(sequential(&nums[..5], 10, 5).is_empty());
        let same = vec![n(1), n(1), n(1), n(1), n(1)];
        assert!(sequential(&same, 10, 2).is_empty());
    }

    #[test]
    fn large_steps_break_a_sequence() {
        let nums: Vec<_> = (0..6)
            .map(|k| Some((11usize, 49301234000 + k * 100)))
            .collect();
        assert!(sequential(&nums, 10, 5).is_empty());
        assert_eq!(sequential(&nums, 100, 5).len(), 6);
    }

    #[test]
    fn digits_are_read_from_e164_only() {
        assert_eq!(digits_of(None), None);
    }
}

//! TG004 concurrent-calls: more simultaneous answered external calls from one subject than it
//! can plausibly carry (a sweep line over call intervals, limits for business and off-hours).

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::call::SubjectKind;
use crate::number::risk::RiskTier;
use crate::number::NumberKind;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG004",
    name: "concurrent-calls",
    default_severity: Severity::Medium,
    summary: "More simultaneous answered external calls from one subject than one phone can carry",
    doc: "\
What it detects:
  For every subject, the number of its answered outbound and forwarded external calls that
  are in progress at the same moment (each call from its start to its end; a sweep line over
  the intervals). When a call joins and the count exceeds the limit for that moment
  (business hours or off-hours, site time), the calls in progress while it is exceeded are
  reported as one episode; episodes within `gap_minutes` of each other merge. Only answered
  calls with talk time count: Asterisk writes one row per ring-group or transfer leg and a
  dialler's failed attempts overlap too, but only an answered call holds a channel that
  costs money. Rows sharing an Asterisk linkedid are one call.

Why it matters:
  A person has one phone. A hacked extension or stolen SIP credentials are driven by a
  dialler that opens as many channels as the trunk allows: IRSF attacks commonly run many
  parallel calls, up to the channel limit, to get the most minutes out of the hours before
  someone notices. Simultaneous channels per account are one of the first things carrier
  fraud management systems alarm on, and SIP trunk providers recommend low channel limits
  as a basic fraud control for the same reason.

Example:
  Extension 231, Saturday 02:10-03:05, up to 6 answered calls at once to +53 5... and
  +882 16...: 6x the off-hours limit of 1, high-risk destinations, estimated 180 EUR:
  high.

Tuning:
  max_business_hours = 3: one person talks on one call; a consultation call (the customer
    on hold, a colleague or supplier outside asked) or an attended transfer makes two, and
    a phone with several line keys can hold one more call while doing so (a receptionist).
    Four answered outside calls at once from one handset does not happen in normal use,
    and a dialler on stolen credentials opens far more. (A limit of 2 fired a few times a
    month, at 1.5x, on the synthetic benign 50-extension office whose busy extensions'
    calls overlap at random: noise that would teach users to ignore the rule.)
  max_off_hours = 1: outside business hours nobody transfers calls; a single evening call
    is normal, a second simultaneous one is not.
  trunk_max_business_hours / trunk_max_off_hours: the same limits for subjects that are
    not one extension (trunks carrying forwarded calls, account codes, unknown sources),
    by default 3 and 1, because on a small site such a subject is normally one person's
    follow-me or one device too. Raise them for a site that forwards many inbound calls
    to mobiles at once or groups several users under one account code.
  gap_minutes = 60: exceeding episodes closer than this are one finding (a dialler that
    pauses between waves is one attack).
  Severity: low when just above the limit; medium from 2x the limit or when it happens
  off-hours; high from 3x the limit or when any call goes to a high-risk destination
  (risk tier high or critical, premium rate); by estimated cost (10 medium, 100 high,
  1,000 critical).",
};

/// `[rules.concurrent-calls]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Simultaneous answered external calls allowed per extension in business hours
    /// (default 3: a call, a consultation or transfer leg and a held call).
    pub max_business_hours: usize,
    /// Simultaneous answered external calls allowed per extension outside business hours
    /// (default 1).
    pub max_off_hours: usize,
    /// The business-hours limit for trunks, account codes and unknown sources (default 3).
    pub trunk_max_business_hours: usize,
    /// The off-hours limit for trunks, account codes and unknown sources (default 1).
    pub trunk_max_off_hours: usize,
    /// Exceeding episodes closer than this many minutes form one finding (default 60).
    pub gap_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            max_business_hours: 3,
            max_off_hours: 1,
            trunk_max_business_hours: 3,
            trunk_max_off_hours: 1,
            gap_minutes: 60,
        }
    }
}

/// The rule.
pub struct ConcurrentCalls {
    s: Settings,
}

impl ConcurrentCalls {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(ConcurrentCalls { s: s.clone() }) as Box<dyn Rule>)
    }
}

/// One call as the sweep sees it: its time span and the table rows behind it (several when
/// rows share a linkedid).
#[derive(Debug, Clone)]
struct Slot {
    start: i64,
    end: i64,
    /// The slot's first row; later legs of the same linked id are in `legs`.
    row: usize,
}

/// A stretch of time during which the number of calls in progress exceeds the limit.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Excess {
    /// When the limit was first exceeded (a call start).
    from: i64,
    /// When the count fell back to the limit (a call end).
    to: i64,
    /// Highest count in the stretch.
    peak: usize,
    /// Limit in force at the worst moment.
    limit: usize,
    /// Worst count / limit.
    ratio: f64,
    /// When the worst moment was.
    at: i64,
    /// True when a call joined off-hours while the limit was exceeded.
    off: bool,
}

/// Sweep line over intervals sorted by start (end exclusive: a call that ends when another
/// starts does not overlap it). `limit(t)` gives the limit in force when a call joins at `t`
/// and whether `t` is off-hours; `floor` is at most the lowest limit it gives, so a moment
/// with no more calls than `floor` is judged without asking it. O(n log n).
fn excesses(
    slots: &[(i64, i64)],
    floor: usize,
    limit: impl Fn(i64) -> (usize, bool),
) -> Vec<Excess> {
    let mut ends: Vec<i64> = slots.iter().map(|s| s.1).collect();
    ends.sort_unstable();
    let mut out = Vec::new();
    let (mut j, mut count) = (0usize, 0usize);
    let mut cur: Option<Excess> = None;
    let mut close_threshold = usize::MAX;
    for &(start, _) in slots {
        while j < ends.len() && ends[j] <= start {
            count = count.saturating_sub(1);
            if count <= close_threshold {
                if let Some(mut x) = cur.take() {
                    x.to = ends[j];
                    out.push(x);
                }
            }
            j += 1;
        }
        count += 1;
        if count <= floor {
            // Within every limit, whenever it is. Most calls of a subject overlap no other,
            // and asking the calendar about each was most of this rule's work. No excess is
            // in progress here: the ends that brought the count this low closed it (every
            // limit is at least `floor`). `close_threshold` is read only while an excess is
            // in progress, and the start that begins the next one sets it first.
            debug_assert!(cur.is_none(), "an excess open at {count} calls");
            continue;
        }
        let (lim, off) = limit(start);
        close_threshold = lim;
        let ratio = count as f64 / lim.max(1) as f64;
        if count > lim {
            let x = cur.get_or_insert(Excess {
                from: start,
                to: start,
                peak: 0,
                limit: lim,
                ratio: 0.0,
                at: start,
                off: false,
            });
            x.peak = x.peak.max(count);
            x.off |= off;
            if ratio > x.ratio {
                x.ratio = ratio;
                x.limit = lim;
                x.at = start;
            }
        } else if let Some(mut x) = cur.take() {
            // The limit rose (business hours began) while calls were in progress.
            x.to = start;
            out.push(x);
        }
    }
    while j < ends.len() {
        count = count.saturating_sub(1);
        if count <= close_threshold {
            if let Some(mut x) = cur.take() {
                x.to = ends[j];
                out.push(x);
            }
        }
        j += 1;
    }
    out
}

impl Rule for ConcurrentCalls {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        // Answered calls only; rows of one linkedid are one call spanning all of them.
        let mut slots: Vec<Slot> = Vec::with_capacity(g.counted.len());
        // The legs after a slot's first, by that first row (which survives the sort below):
        // only calls sharing a linked id get a list, not every call.
        let mut legs: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut by_link: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, c) in g.external() {
            if !c.is_connected() {
                continue;
            }
            let link = ctx.table.linked_id(c);
            if !link.is_empty() {
                if let Some(&k) = by_link.get(link) {
                    let s = &mut slots[k];
                    s.start = s.start.min(c.start);
                    s.end = s.end.max(c.end());
                    legs.entry(s.row).or_default().push(i);
                    continue;
                }
                by_link.insert(link, slots.len());
            }
            slots.push(Slot {
                start: c.start,
                end: c.end(),
                row: i,
            });
        }
        if slots.len() < 2 {
            return;
        }
        slots.sort_by_key(|s| (s.start, s.end));
        let shared = ctx
            .table
            .subjects
            .get(g.subject as usize)
            .is_some_and(|s| s.kind != SubjectKind::Extension);
        let (biz, night) = if shared {
            (self.s.trunk_max_business_hours, self.s.trunk_max_off_hours)
        } else {
            (self.s.max_business_hours, self.s.max_off_hours)
        };
        let cal = &ctx.config.calendar;
        let limit = |t: i64| {
            if cal.off_hours(t).is_some() {
                (night, true)
            } else {
                (biz, false)
            }
        };
        let spans: Vec<(i64, i64)> = slots.iter().map(|s| (s.start, s.end)).collect();
        let ex = excesses(&spans, biz.min(night), limit);
        if ex.is_empty() {
            return;
        }
        // Calls in progress during an excess; excesses are disjoint and sorted.
        let flagged: Vec<usize> = (0..slots.len())
            .filter(|&k| {
                let (s, e) = spans[k];
                let p = ex.partition_point(|x| x.to <= s);
                p < ex.len() && ex[p].from < e
            })
            .collect();
        // Episodes: flagged calls chained within the gap; each takes the excesses in its span.
        let gap = i64::from(self.s.gap_minutes) * 60;
        let mut episodes: Vec<(Vec<usize>, i64, i64)> = Vec::new();
        for k in flagged {
            let (s, e) = spans[k];
            match episodes.last_mut() {
                Some((ks, _, end)) if s <= end.saturating_add(gap) => {
                    ks.push(k);
                    *end = (*end).max(e);
                }
                _ => episodes.push((vec![k], s, e)),
            }
        }
        let mut p = 0;
        for (ks, from, to) in episodes {
            let mut mine: Vec<Excess> = Vec::new();
            while p < ex.len() && ex[p].from < to {
                if ex[p].from >= from {
                    mine.push(ex[p]);
                }
                p += 1;
            }
            let Some(worst) = mine
                .iter()
                .copied()
                .max_by(|a, b| a.ratio.total_cmp(&b.ratio))
            else {
                continue;
            };
            let off = mine.iter().any(|x| x.off);
            let mut rows: Vec<usize> = ks
                .iter()
                .flat_map(|&k| {
                    let first = slots[k].row;
                    std::iter::once(first).chain(legs.get(&first).into_iter().flatten().copied())
                })
                .collect();
            rows.sort_unstable();
            self.emit(g, ctx, rows, worst, off, shared, out);
        }
    }
}

impl ConcurrentCalls {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        g: &Group<'_>,
        ctx: &Context<'_>,
        rows: Vec<usize>,
        worst: Excess,
        off: bool,
        shared: bool,
        out: &mut Vec<Finding>,
    ) {
        let table = ctx.table;
        let t = Totals::of(table, &rows);
        let currency = &ctx.config.site.currency;
        let risky = rows.iter().any(|&i| {
            table
                .number_of(&table.calls[i])
                .is_some_and(|n| n.risk >= RiskTier::High || n.kind == NumberKind::PremiumRate)
        });
        let mut grade = Grade::new(
            Severity::Low,
            format!(
                "{} simultaneous answered external calls, limit {}",
                worst.peak, worst.limit
            ),
        );
        if worst.ratio >= 3.0 {
            grade.raise(
                Severity::High,
                format!("{:.1}x the limit (3x or more)", worst.ratio),
            );
        } else if worst.ratio >= 2.0 {
            grade.raise(
                Severity::Medium,
                format!("{:.1}x the limit (2x or more)", worst.ratio),
            );
        }
        if off {
            grade.raise(
                Severity::Medium,
                "simultaneous calls outside business hours",
            );
        }
        if risky {
            grade.raise(Severity::High, "includes calls to high-risk destinations");
        }
        grade.cost(t.cost, currency);
        let local = ctx.config.calendar.local(worst.at);
        let reason = format!(
            "{} answered external calls in progress at once at {} (limit {}{}{}): {:.1}x; episode: {} calls, {:.0} min, est. {}{}",
            worst.peak,
            local.format("%Y-%m-%d %H:%M"),
            worst.limit,
            if worst.off { " off-hours" } else { " in business hours" },
            if shared { " for a shared subject" } else { "" },
            worst.ratio,
            t.calls,
            t.minutes,
            money(t.cost, currency),
            if risky { "; includes high-risk destinations" } else { "" },
        );
        out.push(finding(&META, grade, g.subject, table, rows, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(n: usize) -> impl Fn(i64) -> (usize, bool) {
        move |_| (n, false)
    }

    #[test]
    fn sequential_calls_never_exceed() {
        // Back to back: one ends exactly when the next starts.
        let iv = [(0, 100), (100, 200), (200, 300)];
        assert!(excesses(&iv, 0, flat(1)).is_empty());
    }

    #[test]
    fn finds_peak_and_span() {
        let iv = [(0, 100), (10, 50), (20, 60), (30, 40), (200, 300)];
        let ex = excesses(&iv, 0, flat(2));
        assert_eq!(ex.len(), 1);
        let x = ex[0];
        assert_eq!((x.from, x.to, x.peak, x.limit), (20, 50, 4, 2));
        assert!((x.ratio - 2.0).abs() < 1e-9);
        assert_eq!(x.at, 30);
    }

    #[test]
    fn limit_depends_on_the_moment_a_call_joins() {
        // Off-hours (t < 1000) limit 1, business hours limit 2.
        let lim = |t: i64| if t < 1000 { (1, true) } else { (2, false) };
        let ex = excesses(&[(0, 500), (100, 200)], 0, lim);
        assert_eq!(ex.len(), 1);
        assert!(ex[0].off);
        let ex = excesses(&[(1000, 1500), (1100, 1200)], 0, lim);
        assert!(ex.is_empty());
    }

    #[test]
    fn two_separate_excesses() {
        let iv = [(0, 10), (5, 15), (100, 110), (105, 120)];
        let ex = excesses(&iv, 0, flat(1));
        assert_eq!(ex.len(), 2);
        assert_eq!((ex[0].from, ex[0].to), (5, 10));
        assert_eq!((ex[1].from, ex[1].to), (105, 110));
    }

    #[test]
    fn moments_within_every_limit_need_no_asking() {
        // Random subjects' calls under limits that change with the time of day: skipping the
        // question for moments with at most `floor` calls gives what asking every time gives,
        // and it is asked less.
        let mut rng = fastrand::Rng::with_seed(11);
        for case in 0..2000 {
            let n = rng.usize(0..40);
            let mut iv: Vec<(i64, i64)> = (0..n)
                .map(|_| {
                    let s = rng.i64(0..2000);
                    (s, s + rng.i64(0..400))
                })
                .collect();
            iv.sort_unstable();
            let (day, night) = (rng.usize(0..4), rng.usize(0..4));
            let asked = std::cell::Cell::new(0);
            let lim = |t: i64| {
                asked.set(asked.get() + 1);
                if t % 1000 < 300 {
                    (night, true)
                } else {
                    (day, false)
                }
            };
            let every = excesses(&iv, 0, lim);
            let all = asked.replace(0);
            let floor = day.min(night);
            assert_eq!(excesses(&iv, floor, lim), every, "case {case}: {iv:?}");
            assert!(asked.get() <= all);
            if floor > 0 && n > 0 {
                assert!(
                    asked.get() < all,
                    "case {case}: the first call needs no asking"
                );
            }
        }
    }

    #[test]
    fn many_parallel_calls_are_linear_enough() {
        let iv: Vec<(i64, i64)> = (0..100_000).map(|i| (i, i + 1000)).collect();
        let ex = excesses(&iv, 0, flat(2));
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].peak, 1000);
    }
}

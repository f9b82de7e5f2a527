//! TG003 volume: calls, minutes and estimated cost per subject per hour and per day.

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG003",
    name: "volume",
    default_severity: Severity::Medium,
    summary: "Too many external calls, minutes or cost per subject in one hour or one day",
    doc: "\
What it detects:
  For every subject, sliding windows of one hour and of one day (24 hours) over its outbound
  and forwarded external calls; a window whose calls, billable minutes or estimated cost
  exceed the limits fires. Overlapping exceeding windows merge into one finding. A call's
  minutes and cost count at its start.

Why it matters:
  A person with one phone cannot talk more than 60 minutes an hour; a hacked extension
  driven by a dialer places many parallel calls. Volume limits are what carriers apply as
  'spend caps' too, and they catch attacks to cheap destinations that the premium-rate rule
  does not (minute reselling, traffic pumping to domestic ranges).

Example:
  Extension 215, 21:00-23:30, 70 calls and 278 minutes to mobile numbers: the hourly
  minutes limit (90) is exceeded about 1.2x.

Tuning:
  Defaults, per subject:
    per hour: 40 calls (a busy sales agent dialling by hand makes 20-30), 90 minutes (one
      person's phone cannot carry much more than 60), cost 30;
    per day: 200 calls, 480 minutes (eight hours of talk), cost 100.
  Raise them for call-centre queues or trunks shared by many users (or group by account
  code). Severity: by estimated cost (10 medium, 100 high, 1,000 critical), and by how far
  the worst metric exceeds its limit (1.5x medium, 3x high); at least low.",
};

/// `[rules.volume]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// External calls per subject per hour (default 40).
    pub max_calls_per_hour: usize,
    /// Billable minutes per subject per hour (default 90).
    pub max_minutes_per_hour: f64,
    /// Estimated cost per subject per hour (default 30).
    pub max_cost_per_hour: f64,
    /// External calls per subject per day (default 200).
    pub max_calls_per_day: usize,
    /// Billable minutes per subject per day (default 480).
    pub max_minutes_per_day: f64,
    /// Estimated cost per subject per day (default 100).
    pub max_cost_per_day: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            max_calls_per_hour: 40,
            max_minutes_per_hour: 90.0,
            max_cost_per_hour: 30.0,
            max_calls_per_day: 200,
            max_minutes_per_day: 480.0,
            max_cost_per_day: 100.0,
        }
    }
}

/// The rule.
pub struct Volume {
    s: Settings,
}

impl Volume {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(Volume { s: s.clone() }) as Box<dyn Rule>)
    }
}

struct Limits {
    window: i64,
    label: &'static str,
    calls: usize,
    minutes: f64,
    cost: f64,
}

impl Rule for Volume {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let ext: Vec<usize> = g.external().map(|(i, _)| i).collect();
        if ext.is_empty() {
            return;
        }
        let limits = [
            Limits {
                window: 3600,
                label: "hour",
                calls: self.s.max_calls_per_hour,
                minutes: self.s.max_minutes_per_hour,
                cost: self.s.max_cost_per_hour,
            },
            Limits {
                window: 86_400,
                label: "day",
                calls: self.s.max_calls_per_day,
                minutes: self.s.max_minutes_per_day,
                cost: self.s.max_cost_per_day,
            },
        ];
        for l in &limits {
            self.windows(&ext, l, g, ctx, out);
        }
    }
}

/// Running sums over a window of calls.
#[derive(Clone, Copy, Default)]
struct Sums {
    calls: usize,
    minutes: f64,
    cost: f64,
}

impl Sums {
    fn add(&mut self, minutes: f64, cost: f64, sign: f64) {
        if sign > 0.0 {
            self.calls += 1;
        } else {
            self.calls -= 1;
        }
        self.minutes += sign * minutes;
        self.cost += sign * cost;
    }

    fn exceeds(&self, l: &Limits) -> bool {
        self.calls > l.calls || self.minutes > l.minutes + 1e-9 || self.cost > l.cost + 1e-9
    }

    fn ratio(&self, l: &Limits) -> f64 {
        (self.calls as f64 / l.calls.max(1) as f64)
            .max(self.minutes / l.minutes.max(f64::EPSILON))
            .max(self.cost / l.cost.max(f64::EPSILON))
    }
}

/// A merged run of exceeding windows: positions in `ext`, worst ratio and its window sums.
struct Span {
    first: usize,
    last: usize,
    ratio: f64,
    worst: Sums,
}

impl Volume {
    /// Two-pointer sliding window over call starts. A call's minutes count at its start, capped
    /// at the window length (one 2-hour call is not two hours of talk in one hour). The window
    /// that exceeds is tightened to its shortest exceeding suffix, so an attack's finding does
    /// not begin with the innocent calls earlier that day, and a call extends the finding only
    /// when the excess needs it. Overlapping spans merge.
    fn windows(
        &self,
        ext: &[usize],
        l: &Limits,
        g: &Group<'_>,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) {
        let table = ctx.table;
        let cap = l.window as f64 / 60.0;
        let mins = |i: usize| table.calls[ext[i]].minutes().min(cap);
        let cost = |i: usize| table.cost(ext[i]);
        let (mut lo, mut tight) = (0usize, 0usize);
        let (mut all, mut tsum) = (Sums::default(), Sums::default());
        let mut span: Option<Span> = None;
        for hi in 0..ext.len() {
            let start = table.calls[ext[hi]].start;
            all.add(mins(hi), cost(hi), 1.0);
            tsum.add(mins(hi), cost(hi), 1.0);
            while table.calls[ext[lo]].start <= start - l.window {
                all.add(mins(lo), cost(lo), -1.0);
                lo += 1;
            }
            if tight < lo {
                tight = lo;
                tsum = all;
            }
            if !all.exceeds(l) {
                continue;
            }
            // Shortest suffix [tight..=hi] that still exceeds (tight only moves forward).
            loop {
                let mut t = tsum;
                t.add(mins(tight), cost(tight), -1.0);
                if tight < hi && t.exceeds(l) {
                    tsum = t;
                    tight += 1;
                } else {
                    break;
                }
            }
            // Only a call the excess depends on extends the finding: after a burst, later
            // innocent calls still sit in an exceeding 24-hour window but are not part of it.
            let mut without = tsum;
            without.add(mins(hi), cost(hi), -1.0);
            if hi > tight && without.exceeds(l) {
                continue;
            }
            let ratio = all.ratio(l);
            match &mut span {
                // Windows overlapping in time are one episode.
                Some(s)
                    if table.calls[ext[tight]].start
                        < table.calls[ext[s.last]].start + l.window =>
                {
                    s.last = hi;
                    if ratio > s.ratio {
                        s.ratio = ratio;
                        s.worst = all;
                    }
                }
                _ => {
                    if let Some(s) = span.take() {
                        self.emit(s, ext, l, g, ctx, out);
                    }
                    span = Some(Span {
                        first: tight,
                        last: hi,
                        ratio,
                        worst: all,
                    });
                }
            }
        }
        if let Some(s) = span {
            self.emit(s, ext, l, g, ctx, out);
        }
    }

    fn emit(
        &self,
        s: Span,
        ext: &[usize],
        l: &Limits,
        g: &Group<'_>,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) {
        let idx: Vec<usize> = ext[s.first..=s.last].to_vec();
        let t = Totals::of(ctx.table, &idx);
        let currency = &ctx.config.site.currency;
        let mut grade = Grade::new(
            Severity::Low,
            format!("the busiest {} window is above the limits", l.label),
        );
        grade.cost(t.cost, currency);
        if s.ratio >= 3.0 {
            grade.raise(
                Severity::High,
                format!("{:.1}x the limit (3x or more)", s.ratio),
            );
        } else if s.ratio >= 1.5 {
            grade.raise(
                Severity::Medium,
                format!("{:.1}x the limit (1.5x or more)", s.ratio),
            );
        }
        let reason = format!(
            "busiest {} window: {} calls (limit {}), {:.0} min (limit {:.0}), est. {} (limit {}): {:.1}x the limit; episode: {} calls, {:.0} min, est. {}",
            l.label,
            s.worst.calls,
            l.calls,
            s.worst.minutes,
            l.minutes,
            money(s.worst.cost, currency),
            money(l.cost, currency),
            s.ratio,
            t.calls,
            t.minutes,
            money(t.cost, currency),
        );
        out.push(finding(&META, grade, g.subject, ctx.table, idx, reason));
    }
}

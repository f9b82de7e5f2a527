//! TG015 volume-anomaly: hours far above the subject's own learned normal (nightly runs).

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::state::baseline::hour_of_week;
use crate::state::history::hour_of;
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG015",
    name: "volume-anomaly",
    default_severity: Severity::Medium,
    summary:
        "Hours with far more external calls than the subject's own normal for that hour of the week",
    doc: "\
What it detects:
  For every subject, its outbound and forwarded external calls per clock hour, compared with
  its own normal for that hour of the week (site time): the median and the median absolute
  deviation (MAD) of the same hour over the last `baseline_weeks` weeks of the nightly
  history ([state] in the config). An hour fires when its calls reach
      max(median + k * 1.4826 * MAD,  min_ratio * median,  min_calls).
  Consecutive firing hours form one finding. It needs history: plain `audit` runs never fire
  it, and in `nightly` runs a subject seen for fewer than `baseline_weeks` weeks is judged
  by the fixed limits (volume, spending-limit) alone; the report notes that cold start.

Why it matters:
  Fixed limits must be high enough for the busiest user, so a hacked extension that is
  normally quiet can place dozens of calls an hour and stay under them. Compared with its own
  history, the same hour stands out: a receptionist's phone making 30 calls at 10:00 on a
  Tuesday is normal for her and not for the warehouse extension that makes one a day.

Example:
  Extension 204, Tuesday 10:00-11:00, 30 external calls (normal for Tuesdays 10:00: median
  0, MAD 0 over 4 weeks), 45 min, est. 6.30 EUR: under every fixed limit (40 calls, 90 min,
  30 EUR per hour), 30 is 2.5x the floor of 12: medium.

Tuning:
  k (default 6): how many robust standard deviations (1.4826 * MAD) above the median; 6 is
    far enough that ordinary busy days of a busy user stay quiet.
  min_ratio (default 3): the hour must also be 3 times the median, so that subjects with a
    steady high volume (MAD near 0) are not flagged for a slightly busier hour.
  min_calls (default 12): never fire below this many calls in an hour, whatever the
    baseline (a quiet extension making 4 calls is not an attack).
  Severity: low, medium at twice the threshold or 1.5x the floor and more, high at 4x; raised
    by estimated cost (10 medium, 100 high, 1,000 critical).",
};

/// `[rules.volume-anomaly]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true; it needs the nightly history).
    pub enabled: bool,
    /// Robust standard deviations above the median (default 6).
    pub k: f64,
    /// The hour must also reach this multiple of the median (default 3).
    pub min_ratio: f64,
    /// Never fire below this many external calls in an hour (default 12).
    pub min_calls: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            k: 6.0,
            min_ratio: 3.0,
            min_calls: 12,
        }
    }
}

/// The rule.
pub struct VolumeAnomaly {
    s: Settings,
}

impl VolumeAnomaly {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(VolumeAnomaly { s: s.clone() }) as Box<dyn Rule>)
    }

    /// The calls an hour needs to fire, given the subject's normal for it.
    pub fn threshold(&self, median: f64, mad: f64) -> f64 {
        (median + self.s.k * 1.4826 * mad)
            .max(self.s.min_ratio * median)
            .max(self.s.min_calls as f64)
    }
}

impl Rule for VolumeAnomaly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(base) = ctx.history else {
            return;
        };
        let subject = ctx.table.subject_label(g.subject);
        if base.stat(&subject, 0).is_none() {
            return; // cold start for this subject
        }
        // External calls per clock hour (calls are sorted by start).
        let mut hours: Vec<(i64, Vec<usize>)> = Vec::new();
        for (i, c) in g.external() {
            let h = hour_of(c.start);
            match hours.last_mut() {
                Some((last, v)) if *last == h => v.push(i),
                _ => hours.push((h, vec![i])),
            }
        }
        // (first hour, calls, worst ratio to threshold, worst hour's text)
        let mut run: Option<(i64, Vec<usize>, f64, String)> = None;
        let mut last_hour = i64::MIN;
        for (h, idx) in hours {
            let how = hour_of_week(ctx.config, h);
            let st = base.stat(&subject, how).unwrap_or_default();
            let thr = self.threshold(st.median, st.mad);
            let n = idx.len() as f64;
            if n < thr {
                continue;
            }
            let text = format!(
                "{} external calls in the hour from {} (normal for this hour of the week over {} weeks: median {:.1}, MAD {:.1}; threshold {:.0})",
                idx.len(),
                ctx.config.calendar.local(h).format("%a %H:%M"),
                base.weeks,
                st.median,
                st.mad,
                thr
            );
            let ratio = n / thr;
            match &mut run {
                Some((_, calls, worst, worst_text)) if h == last_hour + 3600 => {
                    calls.extend(idx);
                    if ratio > *worst {
                        *worst = ratio;
                        *worst_text = text;
                    }
                }
                _ => {
                    if let Some(r) = run.take() {
                        self.emit(r, g, ctx, out);
                    }
                    run = Some((h, idx, ratio, text));
                }
            }
            last_hour = h;
        }
        if let Some(r) = run {
            self.emit(r, g, ctx, out);
        }
    }
}

impl VolumeAnomaly {
    fn emit(
        &self,
        (_, calls, ratio, text): (i64, Vec<usize>, f64, String),
        g: &Group<'_>,
        ctx: &Context<'_>,
        out: &mut Vec<Finding>,
    ) {
        let t = Totals::of(ctx.table, &calls);
        let currency = &ctx.config.site.currency;
        let mut grade = Grade::new(Severity::Low, "an hour far above the subject's own normal");
        if ratio >= 4.0 {
            grade.raise(
                Severity::High,
                format!("{ratio:.1}x the threshold (4x or more)"),
            );
        } else if ratio >= 1.5 {
            grade.raise(
                Severity::Medium,
                format!("{ratio:.1}x the threshold (1.5x or more)"),
            );
        }
        grade.cost(t.cost, currency);
        let reason = format!(
            "busiest hour: {text}; episode: {} calls, {:.0} min, est. {}",
            t.calls,
            t.minutes,
            money(t.cost, currency)
        );
        out.push(finding(&META, grade, g.subject, ctx.table, calls, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_has_a_floor_and_tolerates_steady_volume() {
        let r = VolumeAnomaly {
            s: Settings::default(),
        };
        assert_eq!(r.threshold(0.0, 0.0), 12.0); // quiet subject: the floor
        assert_eq!(r.threshold(10.0, 0.0), 30.0); // steady 10 an hour: 3x
        assert_eq!(r.threshold(10.0, 2.0), 30.0); // a little spread: still 3x
        let t = r.threshold(10.0, 4.0); // a wide spread: median + k robust deviations
        assert!((t - (10.0 + 6.0 * 1.4826 * 4.0)).abs() < 1e-9);
    }
}

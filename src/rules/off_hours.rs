//! TG002 off-hours: external calls at night, at weekends and on public holidays.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::calendar::OffHours;
use crate::number::risk::RiskTier;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG002",
    name: "off-hours",
    default_severity: Severity::Medium,
    summary: "Outbound external calls at night, at weekends or on public holidays (site time)",
    doc: "\
What it detects:
  Outbound and forwarded external calls that start outside business hours, judged in the
  site's own time zone with DST: at night on working days, on days without opening hours
  (weekends by default) and on public holidays (the home country's national calendar plus
  configured dates). Calls of one subject within `gap_minutes` form one episode; an episode
  is reported when it is large enough to matter (see Tuning).

Why it matters:
  Attackers strike when nobody watches: most PBX fraud cases start on a Friday night or a
  holiday weekend and run until Monday morning. An extension that calls out all night is
  the single most common sign of a hacked phone or stolen SIP credentials.

Example:
  Extension 215, Tuesday 21:00-23:30, 70 answered calls to 70 different mobile numbers,
  278 minutes: medium (calls >= 20); with calls to satellite ranges it would be high.

Tuning:
  min_calls, min_minutes, min_cost: an episode is reported when it reaches any of them, or
    when it reaches a destination of risk tier `high` or above. Defaults 5 calls, 60 minutes,
    10 (site currency): a night-shift worker's few calls home stay quiet.
  gap_minutes: calls further apart than this are separate episodes (default 120).
  Severity: by estimated cost (10 medium, 100 high, 1,000 critical), at least medium from 20
  calls, at least high when high-risk destinations are involved, low otherwise.
  Business hours and holidays live in [site.business_hours] and [site.holidays].",
};

/// `[rules.off-hours]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Report an episode from this many calls (default 5).
    pub min_calls: usize,
    /// Report an episode from this many billable minutes (default 60).
    pub min_minutes: f64,
    /// Report an episode from this estimated cost (default 10).
    pub min_cost: f64,
    /// Calls further apart than this many minutes are separate episodes (default 120).
    pub gap_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            min_calls: 5,
            min_minutes: 60.0,
            min_cost: 10.0,
            gap_minutes: 120,
        }
    }
}

/// The rule.
pub struct OffHoursRule {
    s: Settings,
}

impl OffHoursRule {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(OffHoursRule { s: s.clone() }) as Box<dyn Rule>)
    }
}

impl Rule for OffHoursRule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let cal = &ctx.config.calendar;
        let mut why: Vec<(usize, OffHours)> = Vec::new();
        for (i, c) in g.external() {
            if let Some(reason) = cal.off_hours(c.start) {
                why.push((i, reason));
            }
        }
        if why.is_empty() {
            return;
        }
        let indices: Vec<usize> = why.iter().map(|(i, _)| *i).collect();
        let currency = &ctx.config.site.currency;
        for cluster in clusters(ctx.table, &indices, i64::from(self.s.gap_minutes) * 60) {
            let t = Totals::of(ctx.table, &cluster);
            let risky = cluster.iter().any(|&i| {
                ctx.table
                    .number_of(&ctx.table.calls[i])
                    .is_some_and(|n| n.risk >= RiskTier::High)
            });
            let big = t.calls >= self.s.min_calls
                || t.minutes >= self.s.min_minutes
                || t.cost >= self.s.min_cost;
            if !(big || risky) {
                continue;
            }
            let mut grade = Grade::new(
                Severity::Low,
                "external calls outside business hours above the episode limits",
            );
            grade.cost(t.cost, currency);
            if t.calls >= 20 {
                grade.raise(Severity::Medium, format!("{} calls (20 or more)", t.calls));
            }
            if risky {
                grade.raise(Severity::High, "includes calls to high-risk destinations");
            }
            let labels: BTreeSet<String> = why
                .iter()
                .filter(|(i, _)| cluster.binary_search(i).is_ok())
                .map(|(_, w)| w.label())
                .collect();
            let reason = format!(
                "{} external call(s) outside business hours ({}): {} answered, {:.0} min, est. {}{}",
                t.calls,
                labels.into_iter().collect::<Vec<_>>().join(", "),
                t.connected,
                t.minutes,
                money(t.cost, currency),
                if risky { "; includes high-risk destinations" } else { "" },
            );
            out.push(finding(&META, grade, g.subject, ctx.table, cluster, reason));
        }
    }
}

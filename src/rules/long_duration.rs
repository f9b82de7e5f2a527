//! TG009 long-duration: external calls longer than a limit that shrinks with destination risk.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::number::risk::RiskTier;
use crate::number::{NumberInfo, NumberKind};
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG009",
    name: "long-duration",
    default_severity: Severity::Medium,
    summary: "External calls longer than a limit that depends on destination risk",
    doc: "\
What it detects:
  Outbound and forwarded external calls whose talk time (billable seconds) is longer than a
  limit set by the destination's risk: ordinary destinations (risk none or elevated) 4
  hours, high-risk destinations 60 minutes, critical-risk destinations (satellite,
  international networks, hot ranges) and premium-rate numbers 20 minutes. Long calls of one
  subject within `gap_minutes` of each other are one finding (several long calls at once or
  in a row are one episode of one attack, not separate incidents).

Why it matters:
  International Revenue Share Fraud is paid per minute, so the fraudster keeps each call up
  as long as the carrier lets it run: an answering machine or a looped recording at the far
  end holds the line for hours. Genuine calls to those ranges are short because they are
  dear: a real call to a satellite phone costs several euros a minute and lasts a few
  minutes; a premium-rate hotline caller is rarely on for more than a quarter of an hour.
  Carrier fraud management systems raise 'long duration call' alarms with thresholds per
  destination class for the same reason. To ordinary destinations a very long call is a
  forgotten line, a stuck channel or minute reselling.

Example:
  Extension 226, Wednesday 14:05, one answered call to +882 16... lasting 95 minutes,
  estimated 300 EUR: 4.8x the 20-minute limit for critical destinations: high.

Tuning:
  max_minutes = 240: the longest ordinary business calls (workshops by phone, conference
    bridges) last two to three hours; four hours is beyond a working session and is
    usually a line left open.
  high_risk_max_minutes = 60: high-risk countries on the IRSF lists do have real traffic
    (family calls, suppliers), which can last an hour; beyond that the cost alone is a
    problem.
  critical_max_minutes = 20: satellite, international-network and premium-rate calls
    cost one to ten euros a minute; the carrier lists the risk tiers come from alert at
    seconds, not minutes, for these ranges.
  gap_minutes = 60: long calls closer than this are one finding.
  Severity: low for ordinary destinations, medium for high-risk, high for critical-risk or
  premium-rate ones; medium from 3x the limit, from three long calls in one episode or when
  a long call starts off-hours; by estimated cost (10 medium, 100 high, 1,000 critical).",
};

/// `[rules.long-duration]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Longest talk time, in minutes, to ordinary destinations (default 240).
    pub max_minutes: f64,
    /// Longest talk time, in minutes, to high-risk destinations (default 60).
    pub high_risk_max_minutes: f64,
    /// Longest talk time, in minutes, to critical-risk and premium-rate destinations
    /// (default 20).
    pub critical_max_minutes: f64,
    /// Long calls closer than this many minutes form one finding (default 60).
    pub gap_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            max_minutes: 240.0,
            high_risk_max_minutes: 60.0,
            critical_max_minutes: 20.0,
            gap_minutes: 60,
        }
    }
}

/// The rule.
pub struct LongDuration {
    s: Settings,
}

impl LongDuration {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(LongDuration { s: s.clone() }) as Box<dyn Rule>)
    }

    /// The destination class of a number and its limit in minutes.
    fn class(&self, n: Option<&NumberInfo>) -> (Class, f64) {
        let class = match n {
            Some(n) if n.risk >= RiskTier::Critical || n.kind == NumberKind::PremiumRate => {
                Class::Critical
            }
            Some(n) if n.risk >= RiskTier::High => Class::High,
            _ => Class::Ordinary,
        };
        let limit = match class {
            Class::Critical => self.s.critical_max_minutes,
            Class::High => self.s.high_risk_max_minutes,
            Class::Ordinary => self.s.max_minutes,
        };
        (class, limit)
    }
}

/// Destination classes, least risky first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Ordinary,
    High,
    Critical,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Ordinary => "ordinary",
            Class::High => "high-risk",
            Class::Critical => "critical-risk/premium-rate",
        }
    }
}

impl Rule for LongDuration {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let table = ctx.table;
        let long: Vec<usize> = g
            .external()
            .filter(|(_, c)| {
                let (_, limit) = self.class(table.number_of(c));
                c.is_connected() && c.minutes() > limit
            })
            .map(|(i, _)| i)
            .collect();
        if long.is_empty() {
            return;
        }
        let currency = &ctx.config.site.currency;
        for cluster in clusters(table, &long, i64::from(self.s.gap_minutes) * 60) {
            let t = Totals::of(table, &cluster);
            // The call that is furthest above its limit speaks for the episode.
            let mut worst = (Class::Ordinary, 0.0f64, 0.0f64, 0.0f64); // class, ratio, min, limit
            let mut top = Class::Ordinary;
            let mut off = false;
            for &i in &cluster {
                let c = &table.calls[i];
                let (class, limit) = self.class(table.number_of(c));
                let ratio = c.minutes() / limit.max(1.0 / 60.0);
                if ratio > worst.1 {
                    worst = (class, ratio, c.minutes(), limit);
                }
                top = top.max(class);
                off |= ctx.config.calendar.off_hours(c.start).is_some();
            }
            let mut grade = match top {
                Class::Critical => Grade::new(
                    Severity::High,
                    "a long call to a critical-risk or premium-rate destination",
                ),
                Class::High => Grade::new(Severity::Medium, "a long call to a high-risk destination"),
                Class::Ordinary => Grade::new(
                    Severity::Low,
                    "a very long call to an ordinary destination (a forgotten line or a conference)",
                ),
            };
            if worst.1 >= 3.0 {
                grade.raise(
                    Severity::Medium,
                    format!("{:.1}x the duration limit (3x or more)", worst.1),
                );
            }
            if cluster.len() >= 3 {
                grade.raise(
                    Severity::Medium,
                    format!("{} long calls in one episode (3 or more)", cluster.len()),
                );
            }
            if off {
                grade.raise(
                    Severity::Medium,
                    "a long call started outside business hours",
                );
            }
            grade.cost(t.cost, currency);
            let reason = format!(
                "{} call(s) longer than their limit; longest over: {:.0} min to a {} destination (limit {:.0} min, {:.1}x); total {:.0} min, est. {}{}",
                t.calls,
                worst.2,
                worst.0.label(),
                worst.3,
                worst.1,
                t.minutes,
                money(t.cost, currency),
                if off { "; outside business hours" } else { "" },
            );
            out.push(finding(&META, grade, g.subject, table, cluster, reason));
        }
    }
}

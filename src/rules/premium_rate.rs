//! TG001 premium-rate: calls to premium-rate, shared-cost, satellite and hot-list destinations.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::number::risk::RiskTier;
use crate::number::NumberKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG001",
    name: "premium-rate",
    default_severity: Severity::High,
    summary: "Calls to premium-rate, shared-cost, satellite or known IRSF hot-list destinations",
    doc: "\
What it detects:
  Outbound and forwarded calls to destinations where fraudsters are paid per minute:
  premium-rate numbers (libphonenumber type PREMIUM_RATE), shared-cost numbers, satellite
  and international networks (+870 Inmarsat, +881 Iridium/Globalstar, +882/+883 shared
  codes, which libphonenumber calls mobile or VoIP) and the ranges on the high-risk lists in
  rates/high-risk.csv (Cuba, Sao Tome, Somalia, Pacific islands, ...). Calls of one subject
  within `gap_minutes` of each other form one finding.

Why it matters:
  International Revenue Share Fraud pays the attacker a share of every minute terminated on
  such numbers; a hacked extension typically dials them in bursts. Even unanswered attempts
  to the critical ranges matter: attackers test a compromised PBX with short calls first
  (the carrier lists this rule is built from ask for zero-duration alerts on them).

Example:
  Extension 207, Saturday 01:10-05:40, 120 calls to +88216..., +8816..., +5352...,
  99 answered, 699 minutes, estimated 2,900 EUR: critical.

Tuning:
  min_risk: lowest risk tier reported (elevated, high, critical; default high). The
    `elevated` tier holds carrier alert ranges for expensive but ordinary destinations (e.g.
    every German mobile range on a French carrier's list): noisy, so off by default.
  shared_cost: also report answered calls to shared-cost numbers (default true, low
    severity unless the cost is high).
  gap_minutes: calls further apart than this are separate findings.
  Severity: critical-tier destinations with answered calls are high, attempts only medium;
  premium/high-tier answered calls medium, attempts only low; elevated low; an estimated
  cost of 100 raises to high and 1,000 to critical; ten or more answered calls to critical
  ranges are critical.
  Suppress a legitimate destination with your own list: it is cleaner to add the prefix to a
  carrier deck with its real price and to raise min_risk than to disable the rule.",
};

/// `[rules.premium-rate]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Lowest risk tier reported: `elevated`, `high` or `critical` (default `high`).
    pub min_risk: RiskTier,
    /// Also report answered calls to shared-cost numbers (default true).
    pub shared_cost: bool,
    /// Calls further apart than this many minutes form separate findings (default 240).
    pub gap_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            min_risk: RiskTier::High,
            shared_cost: true,
            gap_minutes: 240,
        }
    }
}

/// The rule.
pub struct PremiumRate {
    s: Settings,
}

impl PremiumRate {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(PremiumRate { s: s.clone() }) as Box<dyn Rule>)
    }
}

impl Rule for PremiumRate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let min = self.s.min_risk.max(RiskTier::Elevated);
        let hits: Vec<usize> = g
            .external()
            .filter_map(|(i, c)| {
                let n = ctx.table.number_of(c)?;
                // Tier seconds: short calls to the less critical ranges are noise; any attempt
                // to a critical one is a signal.
                let listed = n.risk >= min && c.billsec >= n.risk_tier_seconds.min(60);
                let shared =
                    self.s.shared_cost && n.kind == NumberKind::SharedCost && c.is_connected();
                (listed || shared).then_some(i)
            })
            .collect();
        if hits.is_empty() {
            return;
        }
        let currency = &ctx.config.site.currency;
        for cluster in clusters(ctx.table, &hits, i64::from(self.s.gap_minutes) * 60) {
            let t = Totals::of(ctx.table, &cluster);
            let (mut max_risk, mut connected_critical) = (RiskTier::None, 0);
            let mut kinds = BTreeSet::new();
            for &i in &cluster {
                let c = &ctx.table.calls[i];
                let n = ctx.table.number_of(c).expect("filtered above");
                max_risk = max_risk.max(n.risk);
                kinds.insert(match n.kind {
                    NumberKind::Unknown => "listed",
                    k => k.label(),
                });
                if n.risk == RiskTier::Critical && c.is_connected() {
                    connected_critical += 1;
                }
            }
            let mut grade = match max_risk {
                RiskTier::Critical if t.connected > 0 => {
                    Grade::new(Severity::High, "answered call(s) to a critical-risk range")
                }
                RiskTier::Critical => Grade::new(
                    Severity::Medium,
                    "attempts only (none answered) to a critical-risk range",
                ),
                // Attempts only to premium or high-tier numbers: a mistyped number looks the
                // same, so low unless something was answered.
                RiskTier::High if t.connected > 0 => Grade::new(
                    Severity::Medium,
                    "answered call(s) to a high-risk destination",
                ),
                RiskTier::High => Grade::new(
                    Severity::Low,
                    "attempts only to high-risk destinations (a mistyped number looks the same)",
                ),
                _ => Grade::new(Severity::Low, "elevated-risk or shared-cost destinations"),
            };
            grade.cost(t.cost, currency);
            if connected_critical >= 10 {
                grade.raise(
                    Severity::Critical,
                    format!(
                        "{connected_critical} answered calls to critical-risk ranges (10 or more)"
                    ),
                );
            }
            let reason = format!(
                "{} call(s) ({} answered, {:.0} min, est. {}) to {} numbers; highest risk tier: {}",
                t.calls,
                t.connected,
                t.minutes,
                money(t.cost, currency),
                kinds.iter().copied().collect::<Vec<_>>().join(", "),
                max_risk.as_str(),
            );
            out.push(finding(&META, grade, g.subject, ctx.table, cluster, reason));
        }
    }
}

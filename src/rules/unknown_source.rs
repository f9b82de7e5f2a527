//! TG007 unknown-source: external calls placed by a source that is not an extension of the
//! dial plan (the PBX used as a relay): outbound calls of trunk or unknown subjects, and
//! calls that came in on a trunk dialling an international number directly and went out again.

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::call::{Call, CallTable, Direction, SubjectKind};
use crate::number::risk::RiskTier;
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG007",
    name: "unknown-source",
    default_severity: Severity::Medium,
    summary: "External calls from a source that is not an extension of the dial plan (PBX used as a relay)",
    doc: "\
What it detects:
  External calls whose subject is not an extension: the dial plan could not tie the call to
  a phone of the PBX (subject kind `trunk` or `source` in reports). Two shapes:
  - outbound calls from an unknown source: the originating channel is neither an extension
    nor a trunk (an unregistered SIP peer, a `Local/` or application channel with a caller
    number that is not an extension, a row with no channel at all);
  - relayed calls (`relay`, default on): calls that came in on a trunk with an international
    number as the dialled number and left again on a trunk, attributed to the trunk. The
    caller did not call one of the office's numbers, he asked the PBX to dial abroad for him.
  Calls of one subject within `gap_minutes` form one episode; it is reported when it has an
  international or high-risk destination, `min_calls` calls or `min_cost` estimated cost.
  Not counted: calls of direction `unknown` (the row does not say the call left the PBX),
  forwards of the office's own numbers (DID to an extension's forward: call-forward-abuse
  judges those) and allow-listed destinations.

Why it matters:
  Every legitimate outbound call starts at a phone, so it belongs to an extension. A call
  that leaves through the trunk with no extension behind it was injected: an attacker who
  found an unauthenticated SIP context ('allowguest', a provider context that may dial out),
  an exposed DISA or callback application, a toll-fraud script sending INVITEs straight to
  the PBX, or a compromised provider account relaying through the trunk. These calls are
  invisible to per-extension limits and are almost always IRSF traffic.

Example:
  Source `anonymous` (channel PJSIP/anonymous), Sunday 03:10-03:40: 12 calls to
  +88216..., 9 answered, 55 minutes, est. 220 EUR: high.

Tuning:
  min_calls: ordinary national calls from an unknown source are reported from 3 calls in one
    episode (default). One or two can be an originate or click-to-dial integration that
    writes no extension into the CDR; three or more on the same source is a pattern worth
    a look. International and high-risk destinations are reported from the first call:
    no legitimate integration dials abroad anonymously.
  min_cost: or from this estimated cost (default 10, the medium money band).
  gap_minutes: calls further apart than this are separate episodes (default 240).
  relay: also count calls that came in on a trunk dialling an international number and went
    out on a trunk (default true). Turn off on a PBX that is a transit switch by design.
  Severity: low for ordinary calls; medium with international destinations, answered calls
    to high-risk destinations, attempts to critical ones, calls outside business hours or
    20+ calls; high with any answered call to a critical destination (a relay that reached an
    IRSF range is money lost); critical from ten answered calls to critical ranges; the
    money bands (10 medium, 100 high, 1,000 critical) apply. With `subject_by = \"account\"`
    calls are attributed to account codes and this rule sees only calls without one.",
};

/// `[rules.unknown-source]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Report an episode of ordinary (national, low-risk) calls from this many calls (default 3).
    pub min_calls: usize,
    /// Or from this estimated cost in the site currency (default 10).
    pub min_cost: f64,
    /// Calls further apart than this many minutes form separate episodes (default 240).
    pub gap_minutes: u32,
    /// Also count trunk-to-trunk relays dialled straight to an international number (default
    /// true).
    pub relay: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            min_calls: 3,
            min_cost: 10.0,
            gap_minutes: 240,
            relay: true,
        }
    }
}

/// The rule.
pub struct UnknownSource {
    s: Settings,
}

impl UnknownSource {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(UnknownSource { s: s.clone() }) as Box<dyn Rule>)
    }
}

/// True when the digits of `dialled` (without `+` and leading zeros: the international
/// prefix) are the end of `e164`: the caller dialled the destination itself, not one of the
/// office's numbers that was then forwarded.
fn dialled_is_destination(dialled: &str, e164: &str) -> bool {
    let d: String = dialled.chars().filter(char::is_ascii_digit).collect();
    let d = d.trim_start_matches('0');
    d.len() >= 7 && e164.trim_start_matches('+').ends_with(d)
}

/// A relayed call: in on a trunk, out on a trunk, dialled straight to an international number.
fn is_relay(table: &CallTable, c: &Call) -> bool {
    c.direction == Direction::Forwarded
        && table.number_of(c).is_some_and(|n| {
            n.is_international() && dialled_is_destination(table.str(c.dialled), &n.e164)
        })
}

impl Rule for UnknownSource {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let table = ctx.table;
        let kind = match table.subjects.get(g.subject as usize) {
            Some(s) => s.kind,
            None => return,
        };
        if !matches!(kind, SubjectKind::Trunk | SubjectKind::Unknown) {
            return;
        }
        let hits: Vec<usize> = g
            .external()
            .filter(|(_, c)| {
                c.direction == Direction::Outbound
                    || (self.s.relay && kind == SubjectKind::Trunk && is_relay(table, c))
            })
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            return;
        }
        let currency = &ctx.config.site.currency;
        for cluster in clusters(table, &hits, i64::from(self.s.gap_minutes) * 60) {
            let t = Totals::of(table, &cluster);
            let (mut max_risk, mut international, mut relayed) = (RiskTier::None, 0, 0);
            let (mut connected_critical, mut connected_high, mut off) = (0, 0, 0);
            for &i in &cluster {
                let c = &table.calls[i];
                relayed += usize::from(c.direction == Direction::Forwarded);
                off += usize::from(ctx.config.calendar.off_hours(c.start).is_some());
                let Some(n) = table.number_of(c) else {
                    continue;
                };
                international += usize::from(n.is_international());
                // Below critical, a list's tier seconds decide whether a call to it counts.
                if n.risk == RiskTier::Critical || c.billsec >= n.risk_tier_seconds.min(60) {
                    max_risk = max_risk.max(n.risk);
                }
                if c.is_connected() {
                    connected_critical += usize::from(n.risk == RiskTier::Critical);
                    connected_high += usize::from(n.risk >= RiskTier::High);
                }
            }
            let risky = max_risk >= RiskTier::High;
            if !(risky
                || international > 0
                || t.calls >= self.s.min_calls
                || t.cost >= self.s.min_cost)
            {
                continue;
            }
            let mut grade = Grade::new(
                Severity::Low,
                "external calls from a source that is not an extension of the dial plan",
            );
            grade.cost(t.cost, currency);
            if international > 0 {
                grade.raise(
                    Severity::Medium,
                    format!("{international} call(s) to international destinations"),
                );
            }
            if max_risk == RiskTier::Critical {
                grade.raise(Severity::Medium, "attempts to a critical-risk destination");
            }
            if connected_high > 0 {
                grade.raise(
                    Severity::Medium,
                    format!("{connected_high} answered call(s) to high-risk destinations"),
                );
            }
            if off > 0 {
                grade.raise(
                    Severity::Medium,
                    format!("{off} call(s) outside business hours"),
                );
            }
            if t.calls >= 20 {
                grade.raise(Severity::Medium, format!("{} calls (20 or more)", t.calls));
            }
            if connected_critical > 0 {
                grade.raise(
                    Severity::High,
                    format!("{connected_critical} answered call(s) to critical-risk destinations"),
                );
            }
            if connected_critical >= 10 {
                grade.raise(
                    Severity::Critical,
                    format!(
                        "{connected_critical} answered calls to critical-risk ranges (10 or more)"
                    ),
                );
            }
            let how = if relayed == t.calls {
                "relayed trunk to trunk (dialled straight to an international number)"
            } else if relayed > 0 {
                "placed by no extension or relayed trunk to trunk"
            } else {
                "placed by no extension of the dial plan"
            };
            let reason = format!(
                "{} external call(s) {how}: {international} international, {} answered, {:.0} min, est. {}; highest risk tier: {}",
                t.calls,
                t.connected,
                t.minutes,
                money(t.cost, currency),
                max_risk.as_str(),
            );
            out.push(finding(&META, grade, g.subject, table, cluster, reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialled_destination_versus_did() {
        assert!(dialled_is_destination("0088216123456", "+88216123456"));
        assert!(dialled_is_destination("+88216123456", "+88216123456"));
        assert!(dialled_is_destination("00 882 16 123456", "+88216123456"));
        // A DID of the office forwarded elsewhere.
        assert!(!dialled_is_destination("4930123231", "+88216123456"));
        assert!(!dialled_is_destination("231", "+88216123456"));
        assert!(!dialled_is_destination("", "+88216123456"));
        assert!(!dialled_is_destination("0088216123456", ""));
    }
}

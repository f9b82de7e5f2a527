//! TG014 repeated-destination: many answered calls to one number or one narrow number range
//! (traffic pumping, artificially inflated traffic).

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::call::Call;
use crate::number::normalize::Scope;
use crate::number::risk::RiskTier;
use crate::number::{NumberInfo, NumberKind};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG014",
    name: "repeated-destination",
    default_severity: Severity::Medium,
    summary: "Many answered calls to one number or one 100-number block within 24 hours",
    doc: "\
What it detects:
  Per subject, answered outbound and forwarded calls (allow-listed destinations excluded)
  grouped by destination block: the E.164 number without its last `block_digits` digits
  (default 2, a 100-number block; 0 means each number on its own). A sliding 24-hour
  window over a block fires when it holds at least `max_calls_per_day` answered calls (to
  one number or spread over the block) or at least `max_numbers_per_block` different
  numbers of the block. Overlapping windows of one block form one finding.
  Left out unless `domestic = true`: the home country's ordinary fixed and mobile numbers.
  Always left out: toll-free numbers and short codes.

Why it matters:
  Traffic pumping (artificially inflated traffic, AIT): the attacker owns or shares revenue
  on a number or a small range and has a compromised phone call it over and over, often
  spreading the calls over neighbouring numbers of one range so that no single number
  stands out. Each call looks ordinary; the repetition is the signal. The same pattern is
  what short-stopped IRSF ranges look like after the first test calls succeeded.

Example:
  Extension 226, Wednesday 09:00-17:30, 36 answered calls to +37167000120 ... +37167000128
  (Latvia, 9 numbers of one 100-block), 240 minutes, est. 40 EUR: medium (international,
  cost over 10).

Tuning:
  max_calls_per_day = 20: a sales agent who calls one customer more than a few times a day
    is rare; twenty answered calls to one number (or one company's block) in a day is
    either a machine or something you know about. Carrier AIT detection (CFCA's fraud loss
    survey and GSMA FF.21 guidance) looks for exactly this: one B-number or range receiving
    calls far above the norm from one A-party.
  max_numbers_per_block = 10: ten different numbers of one 100-block in a day from one
    phone is a range being worked, not ten people who happen to be neighbours.
  block_digits = 2: IRSF and pumping ranges are handed out in blocks of 100 and 1,000;
    2 catches the spread without merging unrelated numbers of a city.
  domestic = false: the home country's fixed and mobile numbers cost cents a minute, so
    pumping them pays little, while colleagues, suppliers and a home office are called all
    day; domestic premium-rate and shared-cost numbers do count (that is where domestic
    pumping pays). Set true where domestic termination is the risk (e.g. US access
    stimulation).
  Call-centre queues and help desks calling one number all day: put the number into
  [allow] destinations (it is then left out of every rule), or raise the limits.
  Severity: low; international destinations and high-risk destinations raise to medium,
  critical-risk (satellite, IRSF hot list) to high; three times a limit raises one step;
  the estimated cost raises by the money bands (10 medium, 100 high, 1,000 critical).",
};

/// `[rules.repeated-destination]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Answered calls to one block (or number) within 24 hours that fire (default 20).
    pub max_calls_per_day: usize,
    /// Different numbers of one block within 24 hours that fire (default 10; 0 disables).
    pub max_numbers_per_block: usize,
    /// Trailing digits that make a block: 2 is a 100-block, 0 one number (default 2).
    pub block_digits: usize,
    /// Also count the home country's ordinary fixed and mobile numbers (default false).
    pub domestic: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            max_calls_per_day: 20,
            max_numbers_per_block: 10,
            block_digits: 2,
            domestic: false,
        }
    }
}

/// The rule.
pub struct RepeatedDestination {
    s: Settings,
}

impl RepeatedDestination {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(RepeatedDestination { s: s.clone() }) as Box<dyn Rule>)
    }

    /// The destination if this rule counts the call: answered, classified, and not one of the
    /// destinations left out (see the doc).
    fn counted<'t>(&self, ctx: &'t Context<'_>, c: &Call) -> Option<&'t NumberInfo> {
        if !c.is_connected() {
            return None;
        }
        let n = ctx.table.number_of(c)?;
        if n.e164.len() < 2 {
            return None;
        }
        match n.scope {
            Scope::International => {}
            Scope::National => {
                let ordinary = matches!(
                    n.kind,
                    NumberKind::Fixed | NumberKind::Mobile | NumberKind::FixedOrMobile
                );
                if ordinary && !self.s.domestic {
                    return None;
                }
            }
            _ => return None,
        }
        (!matches!(n.kind, NumberKind::TollFree | NumberKind::ShortCode)).then_some(n)
    }
}

/// The block of a number: E.164 without its last `digits` digits (keeping `+` and at least
/// one digit).
fn block_of(e164: &str, digits: usize) -> &str {
    let keep = e164.len().saturating_sub(digits).max(2).min(e164.len());
    e164.get(..keep).unwrap_or(e164)
}

impl Rule for RepeatedDestination {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let table = ctx.table;
        let max_calls = self.s.max_calls_per_day.max(2);
        let max_numbers = if self.s.max_numbers_per_block == 0 || self.s.block_digits == 0 {
            usize::MAX
        } else {
            self.s.max_numbers_per_block.max(2)
        };
        // Calls per block, in start order.
        let mut blocks: FxHashMap<&str, Vec<(usize, &str)>> = FxHashMap::default();
        for (i, c) in g.external() {
            if let Some(n) = self.counted(ctx, c) {
                blocks
                    .entry(block_of(&n.e164, self.s.block_digits))
                    .or_default()
                    .push((i, n.e164.as_str()));
            }
        }
        let mut keys: Vec<&str> = blocks
            .iter()
            .filter(|(_, v)| v.len() >= max_calls.min(max_numbers))
            .map(|(k, _)| *k)
            .collect();
        // Deterministic output order.
        keys.sort_unstable();
        const DAY: i64 = 86_400;
        for key in keys {
            let calls = &blocks[key];
            let starts: Vec<i64> = calls.iter().map(|&(i, _)| table.calls[i].start).collect();
            // Sliding 24 h window with per-number counts; every call of an exceeding window is
            // marked once (`done` only moves forward).
            let mut counts: FxHashMap<&str, usize> = FxHashMap::default();
            let mut marked = vec![false; calls.len()];
            let (mut lo, mut done) = (0usize, 0usize);
            // (position, calls, numbers) of every exceeding window, by its last call.
            let mut exceeding: Vec<(usize, usize, usize)> = Vec::new();
            for hi in 0..calls.len() {
                *counts.entry(calls[hi].1).or_default() += 1;
                while starts[hi] - starts[lo] >= DAY {
                    if let Some(n) = counts.get_mut(calls[lo].1) {
                        *n -= 1;
                        if *n == 0 {
                            counts.remove(calls[lo].1);
                        }
                    }
                    lo += 1;
                }
                let (n_calls, n_numbers) = (hi + 1 - lo, counts.len());
                if n_calls >= max_calls || n_numbers >= max_numbers {
                    exceeding.push((hi, n_calls, n_numbers));
                    for m in marked.iter_mut().take(hi + 1).skip(lo.max(done)) {
                        *m = true;
                    }
                    done = hi + 1;
                }
            }
            // Episodes: marked calls less than a day apart.
            let mut episodes: Vec<Vec<usize>> = Vec::new();
            let mut last = i64::MIN;
            for p in (0..calls.len()).filter(|&p| marked[p]) {
                match episodes.last_mut() {
                    Some(e) if starts[p] - last < DAY => e.push(p),
                    _ => episodes.push(vec![p]),
                }
                last = starts[p];
            }
            for ep in episodes {
                let (first, last) = (ep[0], ep[ep.len() - 1]);
                // `exceeding` is sorted by position: take the slice inside the episode.
                let a = exceeding.partition_point(|e| e.0 < first);
                let b = exceeding.partition_point(|e| e.0 <= last);
                let (worst_calls, worst_numbers) = exceeding[a..b]
                    .iter()
                    .fold((0, 0), |(c, n), &(_, c2, n2)| (c.max(c2), n.max(n2)));
                self.emit(g, ctx, calls, &ep, key, worst_calls, worst_numbers, out);
            }
        }
    }
}

impl RepeatedDestination {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        g: &Group<'_>,
        ctx: &Context<'_>,
        calls: &[(usize, &str)],
        ep: &[usize],
        key: &str,
        worst_calls: usize,
        worst_numbers: usize,
        out: &mut Vec<Finding>,
    ) {
        let table = ctx.table;
        let currency = &ctx.config.site.currency;
        let idx: Vec<usize> = ep.iter().map(|&p| calls[p].0).collect();
        let t = Totals::of(table, &idx);
        let mut per_number: FxHashMap<&str, usize> = FxHashMap::default();
        for &p in ep {
            *per_number.entry(calls[p].1).or_default() += 1;
        }
        let (top, top_calls) = per_number
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, v)| (*k, *v))
            .unwrap_or(("", 0));
        let info = table.number_of(&table.calls[idx[0]]);
        let max_risk = idx
            .iter()
            .filter_map(|&i| table.number_of(&table.calls[i]))
            .map(|n| n.risk)
            .max()
            .unwrap_or(RiskTier::None);
        let international = info.is_some_and(|n| n.is_international());
        let limit = self.s.max_calls_per_day.max(2);
        let mut grade = Grade::new(
            Severity::Low,
            format!(
                "{worst_calls} answered calls to one {} within 24 hours (limit {limit})",
                if per_number.len() == 1 {
                    "number"
                } else {
                    "number block"
                }
            ),
        );
        if international {
            grade.raise(Severity::Medium, "international destination");
        }
        match max_risk {
            RiskTier::Critical => grade.raise(Severity::High, "critical-risk destination"),
            RiskTier::High => grade.raise(Severity::Medium, "high-risk destination"),
            _ => {}
        }
        let over_numbers = self.s.max_numbers_per_block > 0
            && self.s.block_digits > 0
            && worst_numbers >= self.s.max_numbers_per_block.saturating_mul(3);
        if worst_calls >= limit.saturating_mul(3) || over_numbers {
            grade.step_up("three times a limit or more");
        }
        grade.cost(t.cost, currency);
        let target = if per_number.len() == 1 {
            top.to_string()
        } else {
            format!(
                "{} numbers of the block {key}{} (most: {top}, {top_calls} calls)",
                per_number.len(),
                "x".repeat(self.s.block_digits)
            )
        };
        let country = info.map(|n| n.country_label()).unwrap_or_default();
        let reason = format!(
            "{} answered calls to {target} ({country}), {:.0} min, est. {}; busiest 24 hours: {worst_calls} calls, {worst_numbers} number(s) (limits {limit} calls, {} numbers)",
            t.calls,
            t.minutes,
            money(t.cost, currency),
            self.s.max_numbers_per_block,
        );
        out.push(finding(&META, grade, g.subject, table, idx, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_drop_trailing_digits_safely() {
        assert_eq!(block_of("+37167000123", 2), "+371670001");
        assert_eq!(block_of("+37167000123", 0), "+37167000123");
        assert_eq!(block_of("+12", 5), "+1");
        assert_eq!(block_of("+1", 2), "+1");
    }
}

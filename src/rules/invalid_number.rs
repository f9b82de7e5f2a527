//! TG010 invalid-number: international calls to numbers of invalid length or unallocated
//! ranges; answered ones above all (someone terminates ranges that should not exist).

use super::{
    clusters, finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals,
};
use crate::number::risk::RiskTier;
use crate::number::NumberInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG010",
    name: "invalid-number",
    default_severity: Severity::Medium,
    summary: "International calls to invalid or unallocated numbers, answered or in clusters",
    doc: "\
What it detects:
  Outbound and forwarded calls (allow-listed destinations excluded) to international numbers
  that libphonenumber does not accept: wrong length for the country, or a range that is not
  allocated. Calls within `gap_minutes` of each other form one episode, reported when
  - at least one call to such a number was answered with talk time (a strong signal: a
    correct network cannot connect it), or
  - attempts reached at least `min_distinct` different invalid numbers.

Why it matters:
  A correct network rejects a call to a number that does not exist. When it is answered,
  someone along the route terminates it anyway: IRSF numbers are very often in unallocated
  or hijacked ranges (the GSMA and CFCA call this 'number range hijacking' and 'short
  stopping'), which is why the premium paid on them never shows up in any legitimate price
  list. Clusters of failed attempts to invalid numbers are the test calls of an attacker who
  cycles through a rented test-number list.

Example:
  Extension 212, Tuesday 14:02-14:40, 6 answered calls to six numbers +99912345x (an
  unassigned country code), 41 minutes: high (three or more different numbers answered).

Tuning:
  min_distinct = 3 (different invalid numbers per episode for attempts only): one mistyped
    number, even redialled, is a person; a second typo within the hour happens; three
    different invalid international numbers within `gap_minutes` is a list being tried.
  gap_minutes = 60: test calls come in batches minutes apart; an hour keeps a batch
    together and a typo in the morning apart from one in the afternoon.
  many_answered = 3 (different invalid numbers answered in one episode for high):
    libphonenumber's metadata lags new allocations by a release or two and variable-length
    plans (Austria, Germany) are hard to validate, so one answered number may be a real
    one; three different answered invalid numbers within the hour are not.
  Calls whose international prefix was guessed (`prefix_guessed`: `00` dialled at a site
  whose prefix is `011`) are valid numbers and do not count: a wrong --country would make
  them all look odd. Invalid national numbers do not count either (a typo in a domestic
  number costs nothing).
  Severity: attempts only are low, raised to medium from 10 different numbers, by
  high-risk destinations, or outside business hours; one answered invalid number alone is
  info (elevated-risk destination: low), two or more are medium; `many_answered` answered numbers, or an answered call to a high
  or critical-risk destination, make it high; mostly outside business hours raises to
  medium; the estimated cost raises by the money bands (10 medium, 100 high, 1,000
  critical).",
};

/// `[rules.invalid-number]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Unanswered episodes need at least this many different invalid numbers (default 3).
    pub min_distinct: usize,
    /// Calls further apart than this many minutes form separate episodes (default 60).
    pub gap_minutes: u32,
    /// Different invalid numbers answered in one episode that make it high (default 3).
    pub many_answered: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            min_distinct: 3,
            gap_minutes: 60,
            many_answered: 3,
        }
    }
}

/// The rule.
pub struct InvalidNumber {
    s: Settings,
}

impl InvalidNumber {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(InvalidNumber { s: s.clone() }) as Box<dyn Rule>)
    }
}

/// An international number that libphonenumber rejects (length or range).
pub fn is_invalid_international(n: &NumberInfo) -> bool {
    n.is_international() && !n.valid && !n.e164.is_empty()
}

impl Rule for InvalidNumber {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let table = ctx.table;
        let hits: Vec<usize> = g
            .external()
            .filter(|(_, c)| table.number_of(c).is_some_and(is_invalid_international))
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            return;
        }
        let currency = &ctx.config.site.currency;
        for cluster in clusters(table, &hits, i64::from(self.s.gap_minutes) * 60) {
            let t = Totals::of(table, &cluster);
            let mut numbers = BTreeSet::new();
            let mut countries = BTreeSet::new();
            let mut max_risk = RiskTier::None;
            let mut off = 0usize;
            for &i in &cluster {
                let c = &table.calls[i];
                if let Some(n) = table.number_of(c) {
                    numbers.insert(n.e164.as_str());
                    countries.insert(if n.calling_code > 0 {
                        format!("+{}", n.calling_code)
                    } else {
                        "?".to_string()
                    });
                    max_risk = max_risk.max(n.risk);
                }
                off += usize::from(ctx.config.calendar.off_hours(c.start).is_some());
            }
            let distinct = numbers.len();
            // Different numbers with an answered call: a person who reaches one odd number
            // twice is still one destination (repeats are the repeated-destination rule's).
            let answered: BTreeSet<&str> = cluster
                .iter()
                .map(|&i| &table.calls[i])
                .filter(|c| c.is_connected())
                .filter_map(|c| table.number_of(c).map(|n| n.e164.as_str()))
                .collect();
            if answered.is_empty() && distinct < self.s.min_distinct.max(1) {
                continue;
            }
            let mut grade = match answered.len() {
                0 => Grade::new(
                    Severity::Low,
                    format!(
                        "attempts only, to {distinct} different invalid international numbers (at least {})",
                        self.s.min_distinct
                    ),
                ),
                // Numbering metadata lags new allocations and variable-length plans (AT, DE)
                // are hard to validate: one answered number alone is worth knowing, no more.
                // Info: shown with --min-severity info, raised below by risk, time and cost.
                1 => Grade::new(
                    Severity::Info,
                    "an answered call to one invalid international number (possibly a range newer than the numbering metadata)",
                ),
                k => Grade::new(
                    Severity::Medium,
                    format!(
                        "answered calls to {k} different invalid international numbers: someone terminates ranges that should not exist"
                    ),
                ),
            };
            if answered.len() >= self.s.many_answered.max(1) {
                grade.raise(
                    Severity::High,
                    format!(
                        "{} different invalid numbers answered ({} or more)",
                        answered.len(),
                        self.s.many_answered
                    ),
                );
            }
            if distinct >= 10 {
                grade.raise(
                    Severity::Medium,
                    format!(
                        "{distinct} different invalid numbers (10 or more): a list is being tried"
                    ),
                );
            }
            if max_risk == RiskTier::Elevated {
                grade.raise(Severity::Low, "destinations of risk tier elevated");
            }
            if max_risk >= RiskTier::High {
                let to = if answered.is_empty() {
                    Severity::Medium
                } else {
                    Severity::High
                };
                grade.raise(
                    to,
                    format!("destinations of risk tier {}", max_risk.as_str()),
                );
            }
            if off * 2 > cluster.len() {
                grade.raise(Severity::Medium, "mostly outside business hours");
            }
            grade.cost(t.cost, currency);
            let reason = format!(
                "{} call(s) to {distinct} invalid international number(s) ({}): {} answered, {:.0} min, est. {}",
                t.calls,
                countries.into_iter().collect::<Vec<_>>().join(", "),
                t.connected,
                t.minutes,
                money(t.cost, currency),
            );
            out.push(finding(&META, grade, g.subject, table, cluster, reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::number::Classifier;

    #[test]
    fn invalid_international_numbers() {
        let c = Classifier::from_config(&Config::defaults()).unwrap();
        // Too short for the UK; +999 is not assigned.
        assert!(is_invalid_international(&c.classify("0044207946000")));
        assert!(is_invalid_international(&c.classify("00999123456")));
        // Valid abroad, valid at home, invalid at home: none counts.
        assert!(!is_invalid_international(&c.classify("0033143966176")));
        assert!(!is_invalid_international(&c.classify("0301234567")));
        assert!(!is_invalid_international(&c.classify("03012")));
        assert!(!is_invalid_international(&c.classify("s")));
    }
}

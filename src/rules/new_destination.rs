//! TG013 new-destination: first calls to a country that the subject, or the whole site, did not
//! call in the learning part of the audited period.
//!
//! Within one audit there is no history yet, so the first `learn_days` of the period (from the
//! site's first call) only teach; the site-wide facts are computed once per run in a
//! [`OnceLock`] from the whole call table. In nightly runs with enough history, the countries
//! each subject (and the site) reached in the history replace the in-period baseline.

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::call::{CallTable, NumId};
use crate::number::risk::RiskTier;
use crate::number::{country_label, NumberInfo};
use crate::state::baseline::Baselines;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG013",
    name: "new-destination",
    default_severity: Severity::Low,
    summary: "First international calls to a country the subject (or the whole site) had not called before",
    doc: "\
What it detects:
  International outbound and forwarded calls to a country that the subject did not call
  (answered) in the baseline: the first `learn_days` days of the audited period, counted
  from the site's first call. Calls in the baseline only teach. For every country new to the
  subject, its calls there within `episode_hours` of the first one form one finding, which
  says whether the country is new to the whole site as well (nobody called it in the
  baseline) or only to this subject. Calls to numbers of unknown country are not judged.
  Cold start: when the period is shorter than twice `learn_days`, the rule says nothing
  (the baseline would be as long as, or longer than, what it judges). In `nightly` runs,
  once the history spans `learn_days`, the baseline is the countries reached (answered) in
  the whole retained history, and every call of the run is judged.

Why it matters:
  Fraud sends traffic where the company never calls: an IRSF attacker picks the range that
  pays best this week, not the site's customers' countries. CFCA and carrier fraud desks
  describe 'new destination' alerts (first traffic to a country per customer) as one of the
  most effective early signals, because they catch ranges no hot list names yet.

Example:
  Extension 226, Thursday 14:00-16:10, 4 answered calls to +371 2... (Latvia mobile,
  0.81 EUR/min), 100 min, est. 81 EUR; no call of the site reached Latvia in the first 7 days:
  high (new to the site, high rate and answered at length).

Tuning:
  learn_days (default 7): one full week sees each weekday's pattern once; a 4-week audit
    then judges three weeks. Longer baselines are quieter but leave less to judge.
  per_subject (default true): also report countries new to the subject but called by others
    in the baseline. These are ordinary (colleagues share customers): info unless the
    destination is costly or risky, so they stay out of the default report (min_severity
    low) until they matter.
  high_rate (default 0.30 per minute, site currency): about ten times a European landline
    (0.01-0.05) and above mobile rates to western Europe; Latvian or Tunisian mobiles and
    most IRSF ranges cost more. Eight hours of one line at 0.30 is 144, a painful day.
  long_minutes (default 30): answered minutes in the episode that make it 'at length'; an
    ordinary first business call to a new country is a few minutes.
  episode_hours (default 24): calls to the new country within this many hours of the first
    one belong to the finding; after that the country is no longer new.
  Severity: new to the site low, raised to medium by a high rate or high-risk range or by
  answering at length, to high by both. New to the subject only: info (below the default
  report), low with a high rate or high-risk range, medium when also answered at length;
  length alone does not raise it (a long call to a country colleagues call is business).
  Answered site-new calls outside business hours are at least medium. Estimated cost 10
  medium, 100 high, 1,000 critical.",
};

/// `[rules.new-destination]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Days at the start of the period that only teach (default 7).
    pub learn_days: u32,
    /// Also report countries new to the subject but known to the site (default true).
    pub per_subject: bool,
    /// Per-minute rate (site currency) from which a destination is costly (default 0.30).
    pub high_rate: f64,
    /// Answered minutes from which an episode is long (default 30).
    pub long_minutes: f64,
    /// Calls within this many hours of the first call to a new country form its finding
    /// (default 24).
    pub episode_hours: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            learn_days: 7,
            per_subject: true,
            high_rate: 0.30,
            long_minutes: 30.0,
            episode_hours: 24,
        }
    }
}

/// Site-wide facts of one run.
#[derive(Debug)]
struct Site {
    /// End of the baseline (UTC seconds): calls starting before it only teach.
    cutoff: i64,
    /// The period is long enough to judge anything.
    active: bool,
    /// The country id of each number ([`CallTable::numbers`] index) the rule judges
    /// (international with a known country), [`NO_COUNTRY`] for the others. Countries are
    /// compared as ids: as strings, hashing one for every call was most of this rule's work.
    country_of: Vec<u32>,
    /// Country ids by name: the countries of the run's numbers.
    ids: FxHashMap<String, u32>,
    /// By country id: reached (answered) by any subject in the baseline.
    reached: Vec<bool>,
}

/// The country id of a number the rule does not judge.
const NO_COUNTRY: u32 = u32::MAX;

impl Site {
    /// With nightly history at least `learn_days` long, the history is the baseline and every
    /// call of the run is judged; otherwise the first `learn_days` of the period teach.
    fn of(table: &CallTable, learn_days: u32, history: Option<&Baselines>) -> Site {
        // Country ids in order of the numbers, so runs number them alike.
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let country_of: Vec<u32> = table
            .numbers
            .iter()
            .map(|n| {
                if !judged(n) {
                    return NO_COUNTRY;
                }
                let next = ids.len() as u32;
                *ids.entry(n.country.clone()).or_insert(next)
            })
            .collect();
        let mut reached = vec![false; ids.len()];
        if let Some(h) = history.filter(|h| h.history_weeks * 7.0 >= f64::from(learn_days)) {
            for name in h.countries.values().flatten() {
                if let Some(&id) = ids.get(name) {
                    reached[id as usize] = true;
                }
            }
            return Site {
                cutoff: i64::MIN,
                active: true,
                country_of,
                ids,
                reached,
            };
        }
        // One pass over every call, on all cores: the period's first and last start, and
        // each number's first answered external call (by number id: a few thousand distinct),
        // which was reached in the baseline when that call started before the cutoff. (A
        // second pass for the numbers once the cutoff was known read all the calls again.)
        // Learning, not counting: every external call teaches, allow-listed or not, so the
        // baseline does not depend on which subject's allow list computed it first.
        let numbers = table.numbers.len();
        let none = || (i64::MAX, i64::MIN, vec![i64::MAX; numbers]);
        let (first, last, earliest) = table
            .calls
            .par_iter()
            .fold(none, |(first, last, mut earliest), c| {
                if c.direction.is_external_out() && c.is_connected() {
                    if let Some(e) = earliest.get_mut(c.number as usize) {
                        *e = (*e).min(c.start);
                    }
                }
                (first.min(c.start), last.max(c.start), earliest)
            })
            .reduce(none, |(a, b, mut x), (c, d, y)| {
                x.iter_mut().zip(y).for_each(|(x, y)| *x = (*x).min(y));
                (a.min(c), b.max(d), x)
            });
        let (first, last) = if table.calls.is_empty() {
            (0, 0)
        } else {
            (first, last)
        };
        let learn = i64::from(learn_days) * 86_400;
        let cutoff = first.saturating_add(learn);
        let by_number = earliest.into_iter().map(|start| start < cutoff);
        for (&id, seen) in country_of.iter().zip(by_number) {
            if seen && id != NO_COUNTRY {
                reached[id as usize] = true;
            }
        }
        Site {
            cutoff,
            active: !table.calls.is_empty() && last.saturating_sub(first) >= 2 * learn,
            country_of,
            ids,
            reached,
        }
    }

    /// The country id of a call's destination, if the rule judges it.
    fn country(&self, number: NumId) -> Option<u32> {
        self.country_of
            .get(number as usize)
            .copied()
            .filter(|&id| id != NO_COUNTRY)
    }
}

/// International with a known country.
fn judged(n: &NumberInfo) -> bool {
    n.is_international() && !n.country.is_empty()
}

/// What is known about one new-country episode, for grading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    /// Nobody of the site reached the country in the baseline.
    pub site_new: bool,
    /// High-risk range or a rate of at least `high_rate`.
    pub risky: bool,
    /// Answered minutes of at least `long_minutes`.
    pub long: bool,
    /// Some call was answered outside business hours.
    pub answered_off_hours: bool,
}

/// The severity of an episode before the cost bands.
pub fn grade(e: Episode, s: &Settings) -> Grade {
    let (mut g, up, top) = if e.site_new {
        (
            Grade::new(
                Severity::Low,
                "country new to the whole site (not reached in the baseline)",
            ),
            Severity::Medium,
            Severity::High,
        )
    } else {
        (
            Grade::new(
                Severity::Info,
                "country new to this subject only (others reached it in the baseline)",
            ),
            Severity::Low,
            Severity::Medium,
        )
    };
    let risky = format!("high-risk range or rate of at least {:.2}/min", s.high_rate);
    let long = format!("answered at length ({:.0} min or more)", s.long_minutes);
    if e.risky && e.long {
        g.raise(top, format!("{risky}, {long}"));
    } else if e.risky {
        g.raise(up, risky);
    } else if e.long && e.site_new {
        // Long calls to a country colleagues already call are ordinary business: only a
        // country new to the whole site makes length alone worth a look.
        g.raise(up, long);
    }
    if e.site_new && e.answered_off_hours {
        g.raise(Severity::Medium, "answered outside business hours");
    }
    g
}

/// The rule.
pub struct NewDestination {
    s: Settings,
    site: OnceLock<Site>,
}

impl NewDestination {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled.then(|| {
            Box::new(NewDestination {
                s: s.clone(),
                site: OnceLock::new(),
            }) as Box<dyn Rule>
        })
    }

    /// The site-wide facts, computed on first use ([`Rule::prepare`] runs before any check).
    fn site(&self, table: &CallTable, history: Option<&Baselines>) -> &Site {
        self.site
            .get_or_init(|| Site::of(table, self.s.learn_days, history))
    }
}

impl Rule for NewDestination {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn prepare(&self, table: &CallTable, history: Option<&Baselines>) {
        self.site(table, history);
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let site = self.site(ctx.table, ctx.history);
        if !site.active {
            return;
        }
        // The subject's own baseline: answered international calls before the cutoff, or in
        // the nightly history.
        // By country id.
        let mut known = vec![false; site.reached.len()];
        if site.cutoff == i64::MIN {
            let label = ctx.table.subject_label(g.subject);
            if let Some(set) = ctx.history.and_then(|h| h.countries.get(&label)) {
                for id in set.iter().filter_map(|name| site.ids.get(name)) {
                    known[*id as usize] = true;
                }
            }
        }
        for c in g.calls.iter().take_while(|c| c.start < site.cutoff) {
            if c.direction.is_external_out() && c.is_connected() {
                if let Some(id) = site.country(c.number) {
                    known[id as usize] = true;
                }
            }
        }
        let episode = i64::from(self.s.episode_hours) * 3600;
        // By country name (the report's order): first start, calls, whether the site knew it.
        let mut new: BTreeMap<&str, (i64, Vec<usize>, bool)> = BTreeMap::new();
        for (i, c) in g.external().filter(|(_, c)| c.start >= site.cutoff) {
            let Some(id) = site.country(c.number) else {
                continue;
            };
            let reached = site.reached[id as usize];
            if known[id as usize] || (!self.s.per_subject && reached) {
                continue;
            }
            let Some(n) = ctx.table.number_of(c) else {
                continue;
            };
            let e = new
                .entry(n.country.as_str())
                .or_insert_with(|| (c.start, Vec::new(), reached));
            // The first call always belongs (even with episode_hours = 0).
            if e.1.is_empty() || c.start < e.0.saturating_add(episode) {
                e.1.push(i);
            }
        }
        let currency = &ctx.config.site.currency;
        let cal = &ctx.config.calendar;
        for (country, (_, calls, reached)) in new {
            let t = Totals::of(ctx.table, &calls);
            let (mut max_rate, mut max_risk, mut off) = (0.0f64, RiskTier::None, false);
            for &i in &calls {
                let c = &ctx.table.calls[i];
                if let Some(n) = ctx.table.number_of(c) {
                    max_rate = max_rate.max(n.rate);
                    max_risk = max_risk.max(n.risk);
                }
                off |= c.is_connected() && cal.off_hours(c.start).is_some();
            }
            let e = Episode {
                site_new: !reached,
                risky: max_risk >= RiskTier::High || max_rate >= self.s.high_rate,
                long: t.minutes >= self.s.long_minutes,
                answered_off_hours: off,
            };
            let mut gr = grade(e, &self.s);
            gr.cost(t.cost, currency);
            let reason = format!(
                "First calls to {} after a {}-day baseline, new to {}: {} call(s), {} answered, \
                 {:.0} min, est. {} (up to {}/min{})",
                country_label(country),
                self.s.learn_days,
                if e.site_new {
                    "the whole site"
                } else {
                    "this subject (others called it)"
                },
                t.calls,
                t.connected,
                t.minutes,
                money(t.cost, currency),
                money(max_rate, currency),
                if max_risk >= RiskTier::High {
                    format!(", risk tier {}", max_risk.as_str())
                } else {
                    String::new()
                },
            );
            out.push(finding(&META, gr, g.subject, ctx.table, calls, reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(site_new: bool, risky: bool, long: bool, off: bool) -> Severity {
        grade(
            Episode {
                site_new,
                risky,
                long,
                answered_off_hours: off,
            },
            &Settings::default(),
        )
        .severity
    }

    #[test]
    fn grading() {
        use Severity::*;
        assert_eq!(ep(false, false, false, false), Info);
        assert_eq!(ep(false, false, true, false), Info);
        assert_eq!(ep(false, true, false, false), Low);
        assert_eq!(ep(false, true, true, false), Medium);
        assert_eq!(ep(false, false, false, true), Info);
        assert_eq!(ep(true, false, false, false), Low);
        assert_eq!(ep(true, true, false, false), Medium);
        assert_eq!(ep(true, false, true, false), Medium);
        assert_eq!(ep(true, true, true, false), High);
        assert_eq!(ep(true, false, false, true), Medium);
    }

    #[test]
    fn empty_table_is_cold() {
        let s = Site::of(&CallTable::new(), 7, None);
        assert!(!s.active && s.reached.is_empty() && s.country_of.is_empty());
    }
}

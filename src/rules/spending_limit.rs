//! TG012 spending-limit: estimated cost per subject per calendar day and per calendar month
//! (site time) above a budget.

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::calendar::date_of_day;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Metadata.
pub static META: RuleMeta = RuleMeta {
    id: "TG012",
    name: "spending-limit",
    default_severity: Severity::Medium,
    summary: "Estimated cost per subject per calendar day or calendar month above a budget",
    doc: "\
What it detects:
  For every subject, the estimated cost of its outbound and forwarded external calls summed
  per calendar day and per calendar month of the site's time zone (local midnight to
  midnight, DST included; a call counts on the day and in the month it starts). A day or a
  month above its limit fires: a day with the calls that cost money in it, a month with the
  calls of the day its budget was passed (the reason gives the month's totals).

Why it matters:
  Victims of toll fraud typically had no spending limit: the attack ran all weekend because
  nothing stopped at a budget. This rule is that budget, applied after the fact to the
  CDRs: the question an accountant asks ('what did extension 231 cost us on Saturday, and
  this month?'). It differs from `volume`, which slides one-hour and 24-hour windows over
  calls, minutes and cost to catch a burst whenever it happens; spending-limit uses fixed
  calendar days and months, like a carrier's daily spend cap and the monthly bill, so it
  also catches slow fraud that never makes a burst (a few expensive calls every day that
  add up over the month) and states the loss in the terms of the invoice.

Example:
  Extension 231, Saturday 2026-10-17 (site time), est. 240 EUR in 31 calls: 4.8x the daily
  limit of 50 EUR: high (cost of 100 or more). The same month totals 290 EUR: below the
  monthly limit of 500.

Tuning:
  max_per_day = 50 (site currency): a small office's whole phone bill is tens of euros a
    month, one extension's ordinary day a few euros; 50 in one day from one phone is a
    long international call at the most expensive rates or an attack. IRSF losses are
    counted in thousands per day, so this fires in the first hour of one.
  max_per_month = 500: ten times what a heavy user of a small office spends in a month;
    it catches slow fraud below the daily limit (an extension that costs 20 a day every
    day). Raise both for subjects that really call abroad a lot (a trunk, a sales team
    under one account code) or when estimated rates are conservative (unknown destinations
    are priced at the dearest rate).
  Severity: low when just above the limit, medium from 2x, high from 5x, critical from 20x
  the limit; by estimated cost (10 medium, 100 high, 1,000 critical), so a day above 50
  is at least medium and a month above 500 at least high.",
};

/// `[rules.spending-limit]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Run this rule (default true).
    pub enabled: bool,
    /// Estimated cost per subject per calendar day, site currency (default 50).
    pub max_per_day: f64,
    /// Estimated cost per subject per calendar month, site currency (default 500).
    pub max_per_month: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            max_per_day: 50.0,
            max_per_month: 500.0,
        }
    }
}

/// The rule.
pub struct SpendingLimit {
    s: Settings,
}

impl SpendingLimit {
    /// Builds the rule, or `None` when disabled.
    pub fn build(s: &Settings) -> Option<Box<dyn Rule>> {
        s.enabled
            .then(|| Box::new(SpendingLimit { s: s.clone() }) as Box<dyn Rule>)
    }
}

/// Cost and costed calls of one period.
#[derive(Default)]
struct Bucket {
    cost: f64,
    calls: Vec<usize>,
}

/// A month's sum: its year and month, cost, calls (positions in the day-sorted costed calls)
/// and, once its budget was passed, that day (date and its calls' positions).
struct MonthSum {
    year: i32,
    month: u32,
    cost: f64,
    calls: std::ops::Range<usize>,
    passed: Option<(NaiveDate, std::ops::Range<usize>)>,
}

impl Rule for SpendingLimit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let cal = &ctx.config.calendar;
        // (local day number, table index, cost) of every costed call. Keyed by day number:
        // the local day of every costed call is asked here, and the calendar's memoized
        // offset is several times cheaper than a chrono date.
        let mut costed: Vec<(i64, usize, f64)> = Vec::new();
        for (i, _) in g.external() {
            let cost = ctx.table.cost(i);
            if cost <= 0.0 || !cost.is_finite() {
                continue;
            }
            let Some(day) = cal.local_day(ctx.table.calls[i].start) else {
                continue;
            };
            costed.push((day, i, cost));
        }
        if costed.is_empty() {
            return;
        }
        // Sorted by day, not taken as runs of the calls as they come: in zones that move
        // clocks back across midnight the local date of calls sorted by UTC is not monotonic.
        // Stable, so a day's calls stay in start order (and its sums add up in that order);
        // the calls come nearly sorted, so this is about one pass. (A map of days with a list
        // of calls each cost an allocation per day and subject.)
        costed.sort_by_key(|&(day, _, _)| day);
        let calls_of = |r: std::ops::Range<usize>| -> Vec<usize> {
            costed[r].iter().map(|&(_, i, _)| i).collect()
        };
        // Days in order; a month's days follow each other, so months are runs of days too.
        let mut months: Vec<MonthSum> = Vec::new();
        let mut at = 0;
        while at < costed.len() {
            let n = costed[at].0;
            let mut end = at;
            let mut cost = 0.0;
            while end < costed.len() && costed[end].0 == n {
                cost += costed[end].2;
                end += 1;
            }
            let range = at..end;
            at = end;
            let Some(day) = date_of_day(n) else { continue };
            let (year, month) = (day.year(), day.month());
            match months.last_mut() {
                Some(m) if (m.year, m.month) == (year, month) => m.calls.end = range.end,
                _ => months.push(MonthSum {
                    year,
                    month,
                    cost: 0.0,
                    calls: range.clone(),
                    passed: None,
                }),
            }
            let m = months.last_mut().expect("the day's month");
            m.cost += cost;
            if m.passed.is_none() && m.cost > self.s.max_per_month + 1e-9 {
                m.passed = Some((day, range.clone()));
            }
            if cost > self.s.max_per_day + 1e-9 {
                let reason = format!(
                    "est. {} spent on {} (site time), limit {} a day: {:.1}x",
                    money(cost, &ctx.config.site.currency),
                    day.format("%a %Y-%m-%d"),
                    money(self.s.max_per_day, &ctx.config.site.currency),
                    cost / self.s.max_per_day.max(f64::EPSILON),
                );
                let b = Bucket {
                    cost,
                    calls: calls_of(range),
                };
                self.emit(g, ctx, "day", &b, self.s.max_per_day, reason, out);
            }
        }
        for m in months {
            let Some((passed, passed_calls)) = m.passed else {
                continue;
            };
            let month = Totals::of(ctx.table, &calls_of(m.calls));
            let reason = format!(
                "est. {} spent in {}-{:02} (site time; {} calls, {:.0} min), limit {} a month: {:.1}x; limit passed on {}",
                money(m.cost, &ctx.config.site.currency),
                m.year,
                m.month,
                month.calls,
                month.minutes,
                money(self.s.max_per_month, &ctx.config.site.currency),
                m.cost / self.s.max_per_month.max(f64::EPSILON),
                passed.format("%Y-%m-%d"),
            );
            // The finding holds the calls of the day the budget was passed, not the whole
            // month: that is when it happened and what to look at first; graded on the month.
            let day = Bucket {
                cost: m.cost,
                calls: calls_of(passed_calls),
            };
            self.emit(g, ctx, "month", &day, self.s.max_per_month, reason, out);
        }
    }
}

impl SpendingLimit {
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        g: &Group<'_>,
        ctx: &Context<'_>,
        period: &str,
        b: &Bucket,
        limit: f64,
        reason: String,
        out: &mut Vec<Finding>,
    ) {
        let currency = &ctx.config.site.currency;
        let ratio = b.cost / limit.max(f64::EPSILON);
        let mut grade = Grade::new(
            Severity::Low,
            format!("estimated cost of the calendar {period} is above the limit"),
        );
        for (at, sev) in [
            (2.0, Severity::Medium),
            (5.0, Severity::High),
            (20.0, Severity::Critical),
        ] {
            if ratio >= at {
                grade.raise(
                    sev,
                    format!("{ratio:.1}x the {period} limit ({at}x or more)"),
                );
            }
        }
        grade.cost(b.cost, currency);
        let t = Totals::of(ctx.table, &b.calls);
        let reason = format!(
            "{reason}; {} call(s), {:.0} min {}",
            t.calls,
            t.minutes,
            if period == "month" {
                "on the day it was passed"
            } else {
                "that day"
            }
        );
        out.push(finding(
            &META,
            grade,
            g.subject,
            ctx.table,
            b.calls.clone(),
            reason,
        ));
    }
}

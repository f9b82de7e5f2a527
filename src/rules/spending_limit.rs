//! TG012 spending-limit: estimated cost per subject per calendar day and per calendar month
//! (site time) above a budget.

use super::{finding, money, Context, Finding, Grade, Group, Rule, RuleMeta, Severity, Totals};
use crate::calendar::date_of_day;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// A month's bucket, and the day (date and day number) its budget was passed.
type Month = (Bucket, Option<(NaiveDate, i64)>);

/// Cost and costed calls of one period.
#[derive(Default)]
struct Bucket {
    cost: f64,
    calls: Vec<usize>,
}

impl Rule for SpendingLimit {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, g: &Group<'_>, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let cal = &ctx.config.calendar;
        // BTreeMap, not a run over sorted calls: in zones that move clocks back across
        // midnight the local date of calls sorted by UTC is not monotonic.
        // Keyed by day number: the local day of every costed call is asked here, and the
        // calendar's memoized offset is several times cheaper than a chrono date.
        let mut days: BTreeMap<i64, Bucket> = BTreeMap::new();
        for (i, _) in g.external(ctx) {
            let cost = ctx.table.cost(i);
            if cost <= 0.0 || !cost.is_finite() {
                continue;
            }
            let Some(day) = cal.local_day(ctx.table.calls[i].start) else {
                continue;
            };
            let b = days.entry(day).or_default();
            b.cost += cost;
            b.calls.push(i);
        }
        if days.is_empty() {
            return;
        }
        let mut months: BTreeMap<(i32, u32), Month> = BTreeMap::new();
        for (&n, b) in &days {
            let Some(day) = date_of_day(n) else { continue };
            let m = months.entry((day.year(), day.month())).or_default();
            m.0.cost += b.cost;
            m.0.calls.extend_from_slice(&b.calls);
            if m.1.is_none() && m.0.cost > self.s.max_per_month + 1e-9 {
                m.1 = Some((day, n));
            }
            if b.cost > self.s.max_per_day + 1e-9 {
                let reason = format!(
                    "est. {} spent on {} (site time), limit {} a day: {:.1}x",
                    money(b.cost, &ctx.config.site.currency),
                    day.format("%a %Y-%m-%d"),
                    money(self.s.max_per_day, &ctx.config.site.currency),
                    b.cost / self.s.max_per_day.max(f64::EPSILON),
                );
                self.emit(g, ctx, "day", b, self.s.max_per_day, reason, out);
            }
        }
        for ((y, m), (b, crossed)) in &months {
            let Some((crossed, crossed_day)) = crossed else {
                continue;
            };
            let month = Totals::of(ctx.table, &b.calls);
            let reason = format!(
                "est. {} spent in {y}-{m:02} (site time; {} calls, {:.0} min), limit {} a month: {:.1}x; limit passed on {}",
                money(b.cost, &ctx.config.site.currency),
                month.calls,
                month.minutes,
                money(self.s.max_per_month, &ctx.config.site.currency),
                b.cost / self.s.max_per_month.max(f64::EPSILON),
                crossed.format("%Y-%m-%d"),
            );
            // The finding holds the calls of the day the budget was passed, not the whole
            // month: that is when it happened and what to look at first; graded on the month.
            let day = Bucket {
                cost: b.cost,
                calls: days
                    .get(crossed_day)
                    .map(|d| d.calls.clone())
                    .unwrap_or_default(),
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

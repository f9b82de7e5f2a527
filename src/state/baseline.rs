//! Learned baselines: each subject's normal external calls per hour of the week, and the
//! destination countries it has called, from the committed history.
//!
//! For every subject and hour of the week (site time, Monday 00:00 = 0), the external calls in
//! that hour of each of the last `weeks` weeks, hours without calls counting as 0, give a
//! median and a median absolute deviation (MAD): robust statistics, so that one earlier attack
//! or one busy day does not raise the normal much. A subject seen for less than `weeks` weeks
//! has no baseline yet (cold start: the fixed limits alone judge it); so has the whole site
//! while its history is shorter than that.

use super::history::{self, DayFile};
use super::StateDir;
use crate::config::Config;
use crate::error::{Error, Result};
use chrono::{Datelike, Timelike};
use polars::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// Seconds in a week.
pub const WEEK: i64 = 7 * 86_400;

/// Median and MAD of one subject's external calls in one hour of the week.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stat {
    /// Median.
    pub median: f64,
    /// Median absolute deviation from the median.
    pub mad: f64,
}

/// What the history says about each subject, as of the start of a run.
#[derive(Debug, Clone, Default)]
pub struct Baselines {
    /// Weeks each baseline spans.
    pub weeks: u32,
    /// Weeks of history the site has (may exceed `weeks`).
    pub history_weeks: f64,
    /// Per subject label and hour of week; a missing slot is median 0, MAD 0.
    pub slots: HashMap<(String, u16), Stat>,
    /// Subjects seen for at least `weeks` weeks (only these are judged).
    pub mature: BTreeSet<String>,
    /// Destination countries each subject reached, over the whole retained history.
    pub countries: HashMap<String, BTreeSet<String>>,
    /// Subjects with any history.
    pub known: BTreeSet<String>,
}

impl Baselines {
    /// The subject's normal for the hour of week `how`, if the subject has a baseline.
    pub fn stat(&self, subject: &str, how: u16) -> Option<Stat> {
        self.mature.contains(subject).then(|| {
            self.slots
                .get(&(subject.to_string(), how))
                .copied()
                .unwrap_or_default()
        })
    }

    /// True while the site's history is shorter than a baseline needs.
    pub fn cold(&self) -> bool {
        self.history_weeks < f64::from(self.weeks)
    }
}

/// The hour of the week (0..168, Monday 00:00 site time) of a UTC time.
pub fn hour_of_week(config: &Config, t: i64) -> u16 {
    let l = config.calendar.local(t);
    (l.weekday().num_days_from_monday() * 24 + l.hour()) as u16
}

/// Median of `v` (sorted in place); 0 for no values.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Median and MAD of `v`.
pub fn median_mad(v: &[f64]) -> Stat {
    let mut a = v.to_vec();
    let m = median(&mut a);
    let mut d: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    Stat {
        median: m,
        mad: median(&mut d),
    }
}

fn polars_err(e: PolarsError) -> Error {
    Error::Invalid(format!("history: {e}"))
}

/// Baselines from the live history, for a run whose data starts at `now` (UTC seconds): only
/// hours before `now` count, and the `weeks` weeks before it form the baseline. A run without
/// data passes a `now` after all history (e.g. `i64::MAX / 4`).
pub fn compute(
    state: &StateDir,
    live: &[DayFile],
    config: &Config,
    weeks: u32,
    now: i64,
) -> Result<Baselines> {
    let mut b = Baselines {
        weeks,
        ..Default::default()
    };
    let Some(lf) = history::scan(state, live)? else {
        return Ok(b);
    };
    let now = history::hour_of(now);
    let since = now - i64::from(weeks) * WEEK;
    // First hour per subject and countries per subject, over everything retained.
    let firsts = lf
        .clone()
        .filter(col("hour").lt(lit(now)))
        .group_by([col("subject")])
        .agg([
            col("hour").min().alias("first"),
            col("hour").max().alias("last"),
        ])
        .collect()
        .map_err(polars_err)?;
    let subj = firsts
        .column("subject")
        .map_err(polars_err)?
        .str()
        .map_err(polars_err)?;
    let first = firsts
        .column("first")
        .map_err(polars_err)?
        .i64()
        .map_err(polars_err)?;
    let last = firsts
        .column("last")
        .map_err(polars_err)?
        .i64()
        .map_err(polars_err)?;
    let (mut site_first, mut site_last) = (i64::MAX, i64::MIN);
    for i in 0..firsts.height() {
        let (Some(s), Some(f), Some(l)) = (subj.get(i), first.get(i), last.get(i)) else {
            continue;
        };
        site_first = site_first.min(f);
        site_last = site_last.max(l);
        b.known.insert(s.to_string());
        if f <= since {
            b.mature.insert(s.to_string());
        }
    }
    if site_first != i64::MAX {
        // Up to the run's data, or to the last recorded hour when the run has none.
        let until = now.min(site_last.saturating_add(3600));
        b.history_weeks = (until - site_first) as f64 / WEEK as f64;
    }
    let countries = lf
        .clone()
        .filter(col("hour").lt(lit(now)).and(col("countries").neq(lit(""))))
        .select([col("subject"), col("countries")])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()
        .map_err(polars_err)?;
    let cs = countries
        .column("subject")
        .map_err(polars_err)?
        .str()
        .map_err(polars_err)?;
    let cc = countries
        .column("countries")
        .map_err(polars_err)?
        .str()
        .map_err(polars_err)?;
    for i in 0..countries.height() {
        if let (Some(s), Some(c)) = (cs.get(i), cc.get(i)) {
            let set = b.countries.entry(s.to_string()).or_default();
            set.extend(c.split(',').filter(|x| !x.is_empty()).map(str::to_string));
        }
    }
    // External calls per subject and hour within the baseline window.
    let hours = lf
        .filter(col("hour").gt_eq(lit(since)).and(col("hour").lt(lit(now))))
        .group_by([col("subject"), col("hour")])
        .agg([col("external").sum()])
        .filter(col("external").gt(lit(0)))
        .collect()
        .map_err(polars_err)?;
    let hs = hours
        .column("subject")
        .map_err(polars_err)?
        .str()
        .map_err(polars_err)?;
    let hh = hours
        .column("hour")
        .map_err(polars_err)?
        .i64()
        .map_err(polars_err)?;
    let he = hours
        .column("external")
        .map_err(polars_err)?
        .i64()
        .map_err(polars_err)?;
    let mut samples: HashMap<(String, u16), Vec<f64>> = HashMap::new();
    for i in 0..hours.height() {
        let (Some(s), Some(h), Some(e)) = (hs.get(i), hh.get(i), he.get(i)) else {
            continue;
        };
        if !b.mature.contains(s) {
            continue;
        }
        let week = ((now - 1 - h) / WEEK) as usize; // 0 = the last week
        let v = samples
            .entry((s.to_string(), hour_of_week(config, h)))
            .or_insert_with(|| vec![0.0; weeks as usize]);
        if week < v.len() {
            v[week] += e as f64;
        }
    }
    for (k, v) in samples {
        b.slots.insert(k, median_mad(&v));
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad_are_robust() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        // One outlier (an earlier attack) moves neither statistic much.
        let s = median_mad(&[2.0, 3.0, 2.0, 40.0, 3.0]);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.mad, 1.0);
        let z = median_mad(&[0.0, 0.0, 0.0, 5.0]);
        assert_eq!((z.median, z.mad), (0.0, 0.0));
    }
}

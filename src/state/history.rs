//! Hourly history per subject, as a Parquet dataset partitioned by day (polars).
//!
//! One row per subject, UTC hour and run: all calls, billable minutes, estimated cost, external
//! (outbound and forwarded) and international calls, and the destination countries reached
//! by answered calls (comma-separated ISO codes). An hour that two runs both saw (the run came at 02:10) has two
//! rows; readers sum them, so nothing needs rewriting in place. Each run writes, for every day
//! it touched, a new file holding that day's old rows plus its own
//! (`history/day=YYYY-MM-DD/part-<generation>.parquet`): one file per day stays live, and the
//! old one is dropped from the manifest in the same commit, so a crash can never leave a day
//! counted twice. Queries are lazy scans of the live files.

use super::StateDir;
use crate::call::CallTable;
use crate::config::Config;
use crate::error::{Error, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One live history file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFile {
    /// Site-local day, `YYYY-MM-DD`.
    pub day: String,
    /// Path relative to the state directory.
    pub file: String,
}

/// One subject-hour of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HourRow {
    /// Site-local day of the hour.
    pub day: String,
    /// Subject label (`extension 207`).
    pub subject: String,
    /// Hour start, UTC seconds.
    pub hour: i64,
    /// All calls of the subject.
    pub calls: i64,
    /// Billable minutes.
    pub minutes: f64,
    /// Estimated cost.
    pub cost: f64,
    /// Outbound and forwarded external calls.
    pub external: i64,
    /// International calls among them.
    pub international: i64,
    /// Destination countries reached by answered external calls (sorted, comma-separated).
    pub countries: String,
}

fn polars_err(e: PolarsError) -> Error {
    Error::Invalid(format!("history: {e}"))
}

/// The hour start (UTC) of a time.
pub fn hour_of(t: i64) -> i64 {
    t - t.rem_euclid(3600)
}

/// Aggregates a run's calls (priced) per subject and hour.
pub fn aggregate(table: &CallTable, config: &Config) -> Vec<HourRow> {
    let mut by: BTreeMap<(u32, i64), (HourRow, BTreeSet<String>)> = BTreeMap::new();
    for (i, c) in table.calls.iter().enumerate() {
        let hour = hour_of(c.start);
        let (row, countries) = by.entry((c.subject, hour)).or_insert_with(|| {
            (
                HourRow {
                    day: config.calendar.local(hour).format("%Y-%m-%d").to_string(),
                    subject: table.subject_label(c.subject),
                    hour,
                    ..Default::default()
                },
                BTreeSet::new(),
            )
        });
        row.calls += 1;
        row.minutes += c.minutes();
        row.cost += table.cost(i);
        if c.direction.is_external_out() {
            row.external += 1;
            if let Some(n) = table.number_of(c) {
                row.international += i64::from(n.is_international());
                // Reached, not attempted: an attacker's failed test calls must not teach
                // new-destination that a country is normal.
                if !n.country.is_empty() && c.is_connected() {
                    countries.insert(n.country.clone());
                }
            }
        }
    }
    by.into_values()
        .map(|(mut r, c)| {
            r.countries = c.into_iter().collect::<Vec<_>>().join(",");
            r
        })
        .collect()
}

fn frame(rows: &[&HourRow]) -> Result<DataFrame> {
    df!(
        "day" => rows.iter().map(|r| r.day.as_str()).collect::<Vec<_>>(),
        "subject" => rows.iter().map(|r| r.subject.as_str()).collect::<Vec<_>>(),
        "hour" => rows.iter().map(|r| r.hour).collect::<Vec<_>>(),
        "calls" => rows.iter().map(|r| r.calls).collect::<Vec<_>>(),
        "minutes" => rows.iter().map(|r| r.minutes).collect::<Vec<_>>(),
        "cost" => rows.iter().map(|r| r.cost).collect::<Vec<_>>(),
        "external" => rows.iter().map(|r| r.external).collect::<Vec<_>>(),
        "international" => rows.iter().map(|r| r.international).collect::<Vec<_>>(),
        "countries" => rows.iter().map(|r| r.countries.as_str()).collect::<Vec<_>>(),
    )
    .map_err(polars_err)
}

/// Writes `df` to `path` as Parquet and syncs it.
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    ParquetWriter::new(&mut f).finish(df).map_err(polars_err)?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(f).finish().map_err(polars_err)
}

/// Writes the new rows: for every day they touch, a new file with the day's live rows and the
/// new ones. Returns the live list after the run (not yet committed).
pub fn write_days(
    state: &StateDir,
    live: &[DayFile],
    rows: &[HourRow],
    generation: u64,
) -> Result<Vec<DayFile>> {
    let mut by_day: BTreeMap<&str, Vec<&HourRow>> = BTreeMap::new();
    for r in rows {
        by_day.entry(r.day.as_str()).or_default().push(r);
    }
    let mut out: Vec<DayFile> = live
        .iter()
        .filter(|d| !by_day.contains_key(d.day.as_str()))
        .cloned()
        .collect();
    for (day, rows) in by_day {
        let mut df = frame(&rows)?;
        if let Some(old) = live.iter().find(|d| d.day == day) {
            let prev = read_parquet(&state.path.join(&old.file))?;
            df = prev.vstack(&df).map_err(polars_err)?;
        }
        let rel = format!("history/day={day}/part-{generation}.parquet");
        let path = state.path.join(&rel);
        let dir = path.parent().expect("a day directory");
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        write_parquet(&path, &mut df)?;
        super::sync_dir(dir)?;
        out.push(DayFile {
            day: day.to_string(),
            file: rel,
        });
    }
    out.sort_by(|a, b| a.day.cmp(&b.day));
    Ok(out)
}

/// Keeps the days within `retention_days` of the newest one.
pub fn retain(live: Vec<DayFile>, retention_days: u32) -> Vec<DayFile> {
    let Some(newest) = live
        .iter()
        .filter_map(|d| chrono::NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok())
        .max()
    else {
        return live;
    };
    let oldest = newest - chrono::Duration::days(i64::from(retention_days));
    live.into_iter()
        .filter(|d| {
            chrono::NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").map_or(true, |x| x > oldest)
        })
        .collect()
}

/// A lazy scan over the live history files (`None` when there are none).
pub fn scan(state: &StateDir, live: &[DayFile]) -> Result<Option<LazyFrame>> {
    let mut frames = Vec::new();
    for d in live {
        let p = state.path.join(&d.file);
        let args = ScanArgsParquet {
            glob: false,
            ..Default::default()
        };
        frames.push(
            LazyFrame::scan_parquet(PlRefPath::new(p.to_string_lossy().as_ref()), args)
                .map_err(polars_err)?,
        );
    }
    if frames.is_empty() {
        return Ok(None);
    }
    concat(frames, UnionArgs::default())
        .map(Some)
        .map_err(polars_err)
}

/// Totals per subject over the whole live history: calls, external calls, cost.
pub fn totals(state: &StateDir, live: &[DayFile]) -> Result<BTreeMap<String, (i64, i64, f64)>> {
    let mut out = BTreeMap::new();
    let Some(lf) = scan(state, live)? else {
        return Ok(out);
    };
    let df = lf
        .group_by([col("subject")])
        .agg([col("calls").sum(), col("external").sum(), col("cost").sum()])
        .collect()
        .map_err(polars_err)?;
    let s = df
        .column("subject")
        .map_err(polars_err)?
        .str()
        .map_err(polars_err)?
        .clone();
    let c = df
        .column("calls")
        .map_err(polars_err)?
        .i64()
        .map_err(polars_err)?
        .clone();
    let e = df
        .column("external")
        .map_err(polars_err)?
        .i64()
        .map_err(polars_err)?
        .clone();
    let k = df
        .column("cost")
        .map_err(polars_err)?
        .f64()
        .map_err(polars_err)?
        .clone();
    for i in 0..df.height() {
        out.insert(
            s.get(i).unwrap_or_default().to_string(),
            (
                c.get(i).unwrap_or(0),
                e.get(i).unwrap_or(0),
                k.get(i).unwrap_or(0.0),
            ),
        );
    }
    Ok(out)
}

/// Removes every row of `subject` from the live history (its baseline starts over): each day
/// file holding it is rewritten under `generation`'s name. Returns the new live list (to be
/// committed) and the number of rows removed.
pub fn without_subject(
    state: &StateDir,
    live: &[DayFile],
    subject: &str,
    generation: u64,
) -> Result<(Vec<DayFile>, usize)> {
    let mut out = Vec::new();
    let mut removed = 0;
    for d in live {
        let df = read_parquet(&state.path.join(&d.file))?;
        let mut kept = df
            .clone()
            .lazy()
            .filter(col("subject").neq(lit(subject)))
            .collect()
            .map_err(polars_err)?;
        if kept.height() == df.height() {
            out.push(d.clone());
            continue;
        }
        removed += df.height() - kept.height();
        let rel = format!("history/day={}/part-{generation}.parquet", d.day);
        let path = state.path.join(&rel);
        write_parquet(&path, &mut kept)?;
        out.push(DayFile {
            day: d.day.clone(),
            file: rel,
        });
    }
    Ok((out, removed))
}

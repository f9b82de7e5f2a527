//! `tollguard export --parquet`: the normalized calls, classified and priced, as one Parquet
//! file for analysts' tools (DuckDB, polars, Spark).
//!
//! The columns are those of `tollguard normalize` plus the rate and the estimated cost; times
//! are Parquet timestamps (UTC, milliseconds). Strings are written as read: Parquet is typed
//! data, not a spreadsheet, so nothing is neutralized (the CSV outputs do that).

use crate::call::CallTable;
use crate::error::{Error, Result};
use polars::prelude::*;
use std::path::Path;

fn polars_err(e: PolarsError) -> Error {
    Error::Invalid(format!("export: {e}"))
}

/// The calls of a table, with their estimated costs, as a data frame.
pub fn frame(t: &CallTable) -> Result<DataFrame> {
    let calls = &t.calls;
    let num = |f: &dyn Fn(&crate::number::NumberInfo) -> String| -> Vec<String> {
        calls
            .iter()
            .map(|c| t.number_of(c).map(f).unwrap_or_default())
            .collect()
    };
    let s = |f: &dyn Fn(&crate::call::Call) -> crate::intern::Sym| -> Vec<&str> {
        calls.iter().map(|c| t.str(f(c))).collect()
    };
    let ms = |v: Vec<Option<i64>>, name: &str| -> Result<Column> {
        Series::new(name.into(), v)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .map(Column::from)
            .map_err(polars_err)
    };
    let mut df = df!(
        "file" => calls.iter().map(|c| t.files[c.file as usize].as_str()).collect::<Vec<_>>(),
        "line" => calls.iter().map(|c| c.line).collect::<Vec<_>>(),
        "duration" => calls.iter().map(|c| c.duration).collect::<Vec<_>>(),
        "billsec" => calls.iter().map(|c| c.billsec).collect::<Vec<_>>(),
        "direction" => calls.iter().map(|c| c.direction.as_str()).collect::<Vec<_>>(),
        "disposition" => calls.iter().map(|c| c.disposition.as_str()).collect::<Vec<_>>(),
        "subject" => calls.iter().map(|c| t.subject_label(c.subject)).collect::<Vec<_>>(),
        "src" => s(&|c| c.src),
        "caller_name" => s(&|c| c.caller_name),
        "dialled" => s(&|c| c.dialled),
        "e164" => num(&|n| n.e164.clone()),
        "scope" => num(&|n| format!("{:?}", n.scope).to_lowercase()),
        "country" => num(&|n| n.country.clone()),
        "number_type" => num(&|n| n.kind.deck_type().to_string()),
        "risk" => num(&|n| n.risk.as_str().to_string()),
        "rate" => calls.iter().map(|c| t.number_of(c).map(|n| n.rate)).collect::<Vec<_>>(),
        "estimated_cost" => (0..calls.len()).map(|i| t.cost(i)).collect::<Vec<_>>(),
        "trunk" => s(&|c| c.trunk),
        "account" => s(&|c| c.account),
        "call_id" => calls.iter().map(|c| t.call_id(c)).collect::<Vec<_>>(),
        "linked_id" => calls.iter().map(|c| t.linked_id(c)).collect::<Vec<_>>(),
    )
    .map_err(polars_err)?;
    let times = [
        ms(
            calls.iter().map(|c| Some(c.start * 1000)).collect(),
            "start_utc",
        )?,
        ms(
            calls.iter().map(|c| c.answer().map(|a| a * 1000)).collect(),
            "answer_utc",
        )?,
        ms(
            calls.iter().map(|c| Some(c.end() * 1000)).collect(),
            "end_utc",
        )?,
    ];
    for (i, col) in times.into_iter().enumerate() {
        df.insert_column(2 + i, col).map_err(polars_err)?;
    }
    Ok(df)
}

/// Writes the calls of a table, with their estimated costs, to `path` as Parquet.
pub fn write(t: &CallTable, path: &Path) -> Result<usize> {
    let mut df = frame(t)?;
    crate::state::history::write_parquet(path, &mut df)?;
    Ok(df.height())
}

//! `tollguard normalize`: the normalized calls as CSV (input order, times in UTC), followed by
//! one `# rejected FILE:LINE: MESSAGE` comment line per rejected row shown and a `# totals`
//! line. This is what the import fixtures under `tests/fixtures/import/` compare against.

use super::csv::safe;
use crate::call::CallTable;
use crate::import::ImportStats;
use chrono::format::{Item, StrftimeItems};
use std::io::{self, Write};

/// Columns of the normalized output.
pub const COLUMNS: &[&str] = &[
    "file",
    "line",
    "start_utc",
    "answer_utc",
    "end_utc",
    "duration",
    "billsec",
    "direction",
    "disposition",
    "subject",
    "src",
    "caller_name",
    "dialled",
    "e164",
    "scope",
    "country",
    "number_type",
    "risk",
    "trunk",
    "account",
    "call_id",
    "linked_id",
];

/// The form of the UTC times.
const UTC_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// `t` (UTC seconds) in [`UTC_FORMAT`], given as parsed `items`: parsing the format again for
/// each of a call's three times was about a seventh of `normalize`'s time (`perf`).
fn utc(t: i64, items: &[Item<'static>]) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format_with_items(items.iter()).to_string())
        .unwrap_or_default()
}

/// Writes the normalized calls and the reject summary.
pub fn render(t: &CallTable, stats: &ImportStats, out: &mut dyn Write) -> io::Result<()> {
    {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(COLUMNS)?;
        let items: Vec<Item<'static>> = StrftimeItems::new(UTC_FORMAT).collect();
        let utc = |t: i64| utc(t, &items);
        for c in &t.calls {
            let n = t.number_of(c);
            let field =
                |f: &dyn Fn(&crate::number::NumberInfo) -> String| n.map(f).unwrap_or_default();
            w.write_record([
                t.files[c.file as usize].clone(),
                c.line.to_string(),
                utc(c.start),
                c.answer().map(utc).unwrap_or_default(),
                utc(c.end()),
                c.duration.to_string(),
                c.billsec.to_string(),
                c.direction.as_str().to_string(),
                c.disposition.as_str().to_string(),
                t.subject_label(c.subject),
                safe(t.str(c.src)).into_owned(),
                safe(t.str(c.caller_name)).into_owned(),
                safe(t.str(c.dialled)).into_owned(),
                field(&|n| n.e164.clone()),
                field(&|n| format!("{:?}", n.scope).to_lowercase()),
                field(&|n| n.country.clone()),
                field(&|n| n.kind.deck_type().to_string()),
                field(&|n| n.risk.as_str().to_string()),
                safe(t.str(c.trunk)).into_owned(),
                safe(t.str(c.account)).into_owned(),
                safe(t.call_id(c)).into_owned(),
                safe(t.linked_id(c)).into_owned(),
            ])?;
        }
        w.flush()?;
    }
    for r in &stats.issues {
        writeln!(
            out,
            "# rejected {}:{}: {}",
            r.file,
            r.line,
            super::terminal::clean(&r.message)
        )?;
    }
    for r in &stats.repairs {
        writeln!(
            out,
            "# repaired {}:{}: {}",
            r.file,
            r.line,
            super::terminal::clean(&r.message)
        )?;
    }
    let split: u64 = stats.files.iter().map(|f| f.rows_repaired_split).sum();
    writeln!(
        out,
        "# totals: {} rows read, {} rejected, {} repaired (invalid UTF-8){}",
        stats.rows_read,
        stats.rows_rejected,
        stats
            .files
            .iter()
            .map(|f| f.rows_repaired_utf8)
            .sum::<u64>(),
        if split > 0 {
            format!(", {split} repaired (fields re-joined)")
        } else {
            String::new()
        }
    )
}

//! `--output json`: the [`super::Report`] model as pretty JSON (schema `tollguard.audit/1`,
//! documented in the README; names are stable, fields may be added).

use super::Report;
use std::io::{self, Write};

/// Writes the JSON report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

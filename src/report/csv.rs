//! `--output csv`: the flagged calls, one row per call, safe to open in a spreadsheet.
//!
//! Every CDR-derived text cell that a spreadsheet would read as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) is prefixed with `'` (OWASP's CSV-injection advice),
//! so `=cmd|' /C calc'!A0` in a caller name stays text. Numbers this tool computed are written
//! as plain numbers.

use super::Report;
use crate::audit::AuditResult;
use crate::config::Config;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Neutralizes spreadsheet formulas in a text cell.
pub fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// Column names of the CSV output.
pub const COLUMNS: &[&str] = &[
    "incident",
    "severity",
    "rules",
    "subject",
    "start",
    "end",
    "direction",
    "disposition",
    "src",
    "caller_name",
    "dialled",
    "e164",
    "country",
    "number_type",
    "risk",
    "duration_s",
    "billsec",
    "rate_per_min",
    "estimated_cost",
    "currency",
    "channel",
    "dst_channel",
    "trunk",
    "account",
    "call_id",
    "file",
    "line",
];

/// Writes the flagged calls.
pub fn render(
    config: &Config,
    report: &Report,
    result: &AuditResult,
    out: &mut dyn Write,
) -> io::Result<()> {
    let t = &result.table;
    // Each call once, with the incident and every rule that flagged it.
    let mut calls: BTreeMap<usize, (String, crate::rules::Severity, Vec<&str>)> = BTreeMap::new();
    for (n, inc) in result.analysis.incidents.iter().enumerate() {
        for &fi in &inc.findings {
            let f = &result.analysis.findings[fi];
            for &c in &f.calls {
                let e = calls
                    .entry(c)
                    .or_insert_with(|| (format!("I{}", n + 1), inc.severity, Vec::new()));
                if !e.2.contains(&f.rule.name) {
                    e.2.push(f.rule.name);
                }
            }
        }
    }
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for (i, (inc, sev, rules)) in calls {
        let c = &t.calls[i];
        let n = t.number_of(c);
        let s = t.subjects[c.subject as usize];
        let rec: Vec<String> = vec![
            inc,
            sev.to_string(),
            rules.join(" "),
            safe(&format!("{} {}", s.kind.as_str(), t.str(s.name))).into(),
            super::local_time(config, c.start),
            super::local_time(config, c.end()),
            c.direction.as_str().into(),
            c.disposition.as_str().into(),
            safe(t.str(c.src)).into(),
            safe(t.str(c.caller_name)).into(),
            safe(t.str(c.dialled)).into(),
            safe(n.map(|n| n.e164.as_str()).unwrap_or("")).into(),
            n.map(|n| n.country.clone()).unwrap_or_default(),
            n.map(|n| n.kind.label().to_string()).unwrap_or_default(),
            n.map(|n| n.risk.as_str().to_string()).unwrap_or_default(),
            c.duration.to_string(),
            c.billsec.to_string(),
            format!("{:.4}", n.map(|n| n.rate).unwrap_or(0.0)),
            format!("{:.2}", t.cost(i)),
            report.site.currency.clone(),
            safe(t.str(c.channel)).into(),
            safe(t.str(c.dst_channel)).into(),
            safe(t.str(c.trunk)).into(),
            safe(t.str(c.account)).into(),
            safe(t.call_id(c)).into(),
            safe(&t.files[c.file as usize]).into(),
            c.line.to_string(),
        ];
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(safe("+4930123"), "'+4930123");
        assert_eq!(safe("-1+1"), "'-1+1");
        assert_eq!(safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe("\t=1"), "'\t=1");
        assert_eq!(safe("Anna"), "Anna");
        assert_eq!(safe(""), "");
    }
}

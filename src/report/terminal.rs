//! The terminal report: what a busy administrator reads in one minute.
//!
//! Most costly incident first, each with severity, who, when (site time), how much, where to,
//! why, which CDR rows, and what to do; then one summary line. CDR-derived text is printed
//! with control characters escaped, so a caller name cannot drive the terminal.

use super::{IncidentView, Report};
use crate::rules::Severity;
use chrono::DateTime;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Low-severity incidents listed one per line before the rest is only counted.
const MINOR_SHOWN: usize = 10;

/// Escapes control characters (ANSI escape sequences, newlines) in CDR-derived text.
pub fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// `1,234.50`.
pub fn money(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}{out}.{frac}", if v < 0.0 { "-" } else { "" })
}

/// `Sat 2026-10-17 01:10 – 05:48` (the second date only when it differs).
pub fn span(start: &str, end: &str) -> String {
    let (Ok(a), Ok(b)) = (
        DateTime::parse_from_rfc3339(start),
        DateTime::parse_from_rfc3339(end),
    ) else {
        return format!("{start} – {end}");
    };
    if a.date_naive() == b.date_naive() {
        format!("{} – {}", a.format("%a %Y-%m-%d %H:%M"), b.format("%H:%M"))
    } else {
        format!(
            "{} – {}",
            a.format("%a %Y-%m-%d %H:%M"),
            b.format("%a %Y-%m-%d %H:%M")
        )
    }
}

/// The CDR rows behind an incident, per file: `Master.csv lines 789-908`.
pub fn rows_of(report: &Report, inc: &IncidentView) -> String {
    let mut by_file: BTreeMap<&str, (u32, u32, usize)> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.incident == inc.id) {
        for r in &f.call_refs {
            let e = by_file.entry(r.file.as_str()).or_insert((u32::MAX, 0, 0));
            e.0 = e.0.min(r.line);
            e.1 = e.1.max(r.line);
            e.2 += 1;
        }
    }
    by_file
        .iter()
        .map(|(f, (a, b, _))| {
            if a == b {
                format!("{} line {a}", clean(f))
            } else {
                format!("{} lines {a}-{b}", clean(f))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes the terminal report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let cur = &report.site.currency;
    let tz_note = match report.site.timezone_source {
        crate::config::TzSource::System => " (this machine's zone; set --tz or [site] timezone)",
        crate::config::TzSource::Fallback => " (unknown: assumed UTC; set --tz)",
        _ => "",
    };
    if report.incidents.is_empty() {
        writeln!(out, "tollguard: no suspicious activity found.")?;
    } else {
        let mut counts: BTreeMap<std::cmp::Reverse<crate::rules::Severity>, usize> =
            BTreeMap::new();
        for i in &report.incidents {
            *counts.entry(std::cmp::Reverse(i.severity)).or_default() += 1;
        }
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {}", k.0)).collect();
        writeln!(
            out,
            "tollguard: {} incident(s) ({}), estimated exposure {} {cur}",
            report.incidents.len(),
            parts.join(", "),
            money(s.flagged_cost),
        )?;
    }
    writeln!(
        out,
        "Times in {}{tz_note}; home country {}.",
        report.site.timezone, report.site.country
    )?;
    if let Some(n) = &report.nightly {
        writeln!(
            out,
            "Since the last run: {} new incident(s); {} unchanged one(s) already reported left out.",
            n.new_incidents, n.suppressed_repeats
        )?;
    }
    let mut minor = Vec::new();
    for (n, inc) in report.incidents.iter().enumerate() {
        // Low-severity incidents get one line each below, so the page stays readable.
        if inc.severity < Severity::Medium {
            minor.push((n, inc));
            continue;
        }
        writeln!(out)?;
        writeln!(
            out,
            "#{} {:<8} {}  {}{}",
            n + 1,
            inc.severity.as_str().to_uppercase(),
            clean(&inc.subject),
            span(&inc.start, &inc.end),
            change_tag(inc)
        )?;
        writeln!(
            out,
            "   est. {} {cur} · {} calls ({} answered) · {:.0} min · rules: {}",
            money(inc.estimated_cost),
            inc.calls,
            inc.answered,
            inc.minutes,
            inc.rules.join(", ")
        )?;
        if !inc.destinations.is_empty() {
            let d: Vec<String> = inc
                .destinations
                .iter()
                .map(|d| {
                    format!(
                        "{} {} ({} calls, {} {cur}{}; e.g. {})",
                        d.country,
                        d.country_name,
                        d.calls,
                        money(d.estimated_cost),
                        if d.risk >= crate::number::risk::RiskTier::High {
                            format!(", {} risk", d.risk.as_str())
                        } else {
                            String::new()
                        },
                        clean(&d.examples.join(", "))
                    )
                })
                .collect();
            writeln!(out, "   to:  {}", d.join("\n        "))?;
        }
        for f in report.findings.iter().filter(|f| f.incident == inc.id) {
            writeln!(
                out,
                "   why: [{} {}] {}",
                f.rule_id,
                f.rule,
                clean(&f.reason)
            )?;
            if report.explain {
                for factor in &f.factors {
                    writeln!(out, "        severity {}", clean(factor))?;
                }
                if let Some(settings) = &f.settings {
                    writeln!(
                        out,
                        "        settings [rules.{}]: {}",
                        f.rule,
                        clean(settings)
                    )?;
                }
            }
        }
        writeln!(out, "   rows: {}", rows_of(report, inc))?;
        writeln!(out, "   do:  {}", inc.action)?;
    }
    if !minor.is_empty() {
        writeln!(out)?;
        writeln!(out, "Lower severity ({}):", minor.len())?;
        for (n, inc) in minor.iter().take(MINOR_SHOWN) {
            writeln!(
                out,
                "#{} {:<8} {}  {}  est. {} {cur} · {} calls · {}{}",
                n + 1,
                inc.severity.as_str().to_uppercase(),
                clean(&inc.subject),
                span(&inc.start, &inc.end),
                money(inc.estimated_cost),
                inc.calls,
                inc.rules.join(", "),
                change_tag(inc)
            )?;
        }
        if minor.len() > MINOR_SHOWN {
            writeln!(
                out,
                "... and {} more (see --output json)",
                minor.len() - MINOR_SHOWN
            )?;
        }
    }
    rows(
        out,
        s.rows_rejected,
        "rejected (first {} shown; nothing else was skipped)",
        &s.rejected,
    )?;
    rows(
        out,
        s.rows_repaired_split,
        "repaired (surplus fields re-joined; first {} shown)",
        &s.repaired,
    )?;
    for n in &s.notes {
        writeln!(out, "note: {n}")?;
    }
    for f in s.files.iter().filter(|f| !f.note.is_empty()) {
        writeln!(out, "note: {}: {}", clean(&f.file), clean(&f.note))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Summary: {} rows read, {} rejected, {} calls analysed ({} external) from {} file(s), {} subjects, {:.2} s.",
        s.rows_read,
        s.rows_rejected,
        s.calls,
        s.external_calls,
        s.files.iter().filter(|f| !f.format.is_empty()).count(),
        s.subjects,
        s.elapsed_ms as f64 / 1000.0
    )?;
    Ok(())
}

/// A counted list of rows with file and line (rejected, repaired): nothing when `count` is 0.
/// `what` holds one `{}` for how many are shown.
fn rows(
    out: &mut dyn Write,
    count: u64,
    what: &str,
    shown: &[crate::import::RowIssue],
) -> io::Result<()> {
    if count == 0 {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "{count} row(s) {}:",
        what.replacen("{}", &shown.len().to_string(), 1)
    )?;
    for r in shown {
        writeln!(
            out,
            "   {}:{}: {}",
            clean(&r.file),
            r.line,
            clean(&r.message)
        )?;
    }
    Ok(())
}

/// ` [new]`, ` [grown]`, ` [repeat]` after an incident's headline in nightly reports.
fn change_tag(inc: &super::IncidentView) -> String {
    inc.change
        .map(|c| format!("  [{}]", c.as_str()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\x1b[31mred\nx"), "a\\u{1b}[31mred\\nx");
        assert_eq!(clean("Müller <script>"), "Müller <script>");
    }

    #[test]
    fn money_has_separators() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(12.5), "12.50");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(-1000.0), "-1,000.00");
    }

    #[test]
    fn spans_show_the_second_date_only_when_needed() {
        assert_eq!(
            span("2026-10-17T01:10:00+02:00", "2026-10-17T05:48:27+02:00"),
            "Sat 2026-10-17 01:10 – 05:48"
        );
        assert_eq!(
            span("2026-10-31T22:00:00+01:00", "2026-11-01T04:08:00+01:00"),
            "Sat 2026-10-31 22:00 – Sun 2026-11-01 04:08"
        );
    }
}

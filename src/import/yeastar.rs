//! Yeastar P-series PBX CDR export (CSV).
//!
//! Header row `ID, Time, Call From, Call To, Call Duration, Ring Duration, Talk Duration, Status,
//! Reason, Source Trunk, Destination Trunk, Communication Type, DID/DDI, Outbound Caller ID,
//! Caller IP Address, PIN Code, Recording File`. Columns are read by name, case-insensitively
//! and with spaces around the names tolerated (with or without a space after each comma); every
//! value is trimmed. Durations are seconds or `HH:MM:SS` (also `MM:SS`); both are accepted in
//! any row. `Time` is the call start in the PBX's local wall-clock time (the source time zone).
//!
//! `Call From`/`Call To` may be `Name<201>` or a bare `201`: the number is used (the name is
//! kept as the caller name).
//!
//! Direction from `Communication Type` and the trunk columns:
//! - `Internal`: extension to extension;
//! - `Outbound`: extension (`Call From`) to trunk `Destination Trunk` (external if unnamed);
//! - `Inbound`: trunk `Source Trunk` (external caller if unnamed) to `Call To`; an inbound call
//!   that leaves again through a `Destination Trunk` is forwarded (trunk to trunk), priced on
//!   `Call To`;
//! - any other type (transfer, forward, callback...): a named trunk on either side is a trunk,
//!   otherwise the number is judged by the dial plan.
//!
//! Status: ANSWERED answered, NO ANSWER no answer, BUSY busy, FAILED failed, VOICEMAIL answered
//! (by the PBX's voicemail; the call was connected and may be billed).

use super::{excerpt, Fields, Format, Layout, Party, RawRow, Sample, Stamp};
use crate::call::Disposition;

/// The Yeastar P-series CDR CSV.
pub struct Yeastar;

/// Columns without which a row cannot be read.
const REQUIRED: &[&str] = &[
    "time",
    "call from",
    "call to",
    "talk duration",
    "status",
    "communication type",
];

/// The columns a row is read from (found once per file: [`Layout::with_slots`]).
static COLUMNS: [&str; 11] = [
    "time",
    "talk duration",
    "ring duration",
    "call duration",
    "status",
    "call from",
    "call to",
    "source trunk",
    "destination trunk",
    "communication type",
    "id",
];

fn layout_of(header: &[String]) -> Option<Layout> {
    Layout::from_header(header, 1, REQUIRED).map(|l| l.with_slots(&COLUMNS))
}

/// Seconds from `123`, `MM:SS` or `HH:MM:SS`; an empty field is 0.
pub fn parse_duration(s: &str, what: &str) -> Result<u32, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0);
    }
    let bad = || format!("{what} `{}` is neither seconds nor HH:MM:SS", excerpt(t));
    let mut secs: u32 = 0;
    let parts: Vec<&str> = t.split(':').collect();
    if parts.len() > 3 {
        return Err(bad());
    }
    for p in parts {
        let v: u32 = p.parse().map_err(|_| bad())?;
        secs = secs
            .checked_mul(60)
            .and_then(|s| s.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(secs)
}

/// The number of `Name<201>` (or of a bare `201`), and the name.
pub fn split_party(s: &str) -> (&str, &str) {
    let t = s.trim();
    match t.rfind('<') {
        Some(i) if t.ends_with('>') => (t[i + 1..t.len() - 1].trim(), t[..i].trim()),
        _ => (t, ""),
    }
}

/// Empty, a withheld caller (`anonymous`...), or a string with a digit and no spaces.
fn is_number_like(n: &str) -> bool {
    const WITHHELD: &[&str] = &[
        "anonymous",
        "unknown",
        "private",
        "restricted",
        "unavailable",
    ];
    n.is_empty()
        || WITHHELD.iter().any(|w| n.eq_ignore_ascii_case(w))
        || (n.bytes().any(|b| b.is_ascii_digit()) && !n.contains(char::is_whitespace))
}

fn status(s: &str) -> Result<Disposition, String> {
    let t = s.trim();
    let eq = |w: &str| t.eq_ignore_ascii_case(w);
    if eq("ANSWERED") || eq("VOICEMAIL") {
        Ok(Disposition::Answered)
    } else if eq("NO ANSWER") || eq("NOANSWER") {
        Ok(Disposition::NoAnswer)
    } else if eq("BUSY") {
        Ok(Disposition::Busy)
    } else if eq("FAILED") {
        Ok(Disposition::Failed)
    } else {
        Err(format!(
            "unknown Status `{}` (expected ANSWERED, NO ANSWER, BUSY, FAILED or VOICEMAIL)",
            excerpt(t)
        ))
    }
}

/// The two parties of a row from its communication type and trunk columns.
fn parties<'a>(
    kind: &str,
    from: &'a str,
    to: &'a str,
    src_trunk: &'a str,
    dst_trunk: &'a str,
) -> (Party<'a>, Party<'a>) {
    let k = kind.to_ascii_lowercase();
    let trunk_or = |t: &'a str, p: Party<'a>| if t.is_empty() { p } else { Party::Trunk(t) };
    if k.contains("internal") {
        (Party::Extension(from), Party::Extension(to))
    } else if k.contains("outbound") {
        (
            trunk_or(src_trunk, Party::Extension(from)),
            trunk_or(dst_trunk, Party::External(to)),
        )
    } else if k.contains("inbound") {
        (
            trunk_or(src_trunk, Party::External(from)),
            trunk_or(dst_trunk, Party::Number(to)),
        )
    } else {
        (
            trunk_or(src_trunk, Party::Number(from)),
            trunk_or(dst_trunk, Party::Number(to)),
        )
    }
}

impl Format for Yeastar {
    fn name(&self) -> &'static str {
        "yeastar"
    }

    fn description(&self) -> &'static str {
        "Yeastar P-series CDR CSV export with header (Call From, Call To, ..., Communication Type)"
    }

    fn checked_against(&self) -> &'static str {
        "column list of Yeastar P-series CDR export (P-series PBX documentation); durations as seconds or HH:MM:SS; not tested on a real PBX"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        let layout = layout_of(sample.records.first()?)?;
        let time = layout.columns["time"];
        let score = if sample.records.len() == 1 {
            90
        } else {
            sample.score(1, |r| {
                r.len() == layout.width && crate::timeconv::parse_timestamp(&r[time]).is_some()
            })
        };
        Some((score, layout))
    }

    fn free_text_columns(&self, layout: &Layout) -> Vec<usize> {
        // `Name<201>`: a name may hold a comma the export did not quote.
        layout.positions(&["call from", "call to"])
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        for (what, n) in [("Call From", row.src), ("Call To", row.dst)] {
            if !is_number_like(n) {
                return Err(format!(
                    "{what} `{}` is not a number: fields shifted by an unescaped comma in a name?",
                    excerpt(n)
                ));
            }
        }
        Ok(())
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String> {
        layout.check_width(f.len(), "an unescaped comma in a name")?;
        let [time, talk_duration, ring_duration, call_duration, status_col, call_from, call_to, src_trunk, dst_trunk, communication_type, id] =
            layout.cols(&COLUMNS, f).map(str::trim);
        let start = crate::timeconv::parse_timestamp(time).ok_or_else(|| {
            format!(
                "Time `{}` is not a timestamp (YYYY-MM-DD HH:MM:SS)",
                excerpt(time)
            )
        })?;
        let talk = parse_duration(talk_duration, "Talk Duration")?;
        let ring = parse_duration(ring_duration, "Ring Duration")?;
        let total = match call_duration {
            "" => ring.saturating_add(talk),
            d => parse_duration(d, "Call Duration")?,
        };
        if talk > total {
            return Err(format!(
                "Talk Duration {talk} exceeds Call Duration {total}: fields shifted?"
            ));
        }
        let disposition = status(status_col)?;
        let (from_no, from_name) = split_party(call_from);
        let (to_no, _) = split_party(call_to);
        let (from, to) = parties(communication_type, from_no, to_no, src_trunk, dst_trunk);
        let or = |a: &'a str, b: &'a str| if a.is_empty() { b } else { a };
        Ok(RawRow {
            start: Some(Stamp::Local(start)),
            duration: total,
            billsec: talk,
            src: from_no,
            dst: to_no,
            clid: from_name,
            channel: or(src_trunk, from_no),
            dst_channel: or(dst_trunk, to_no),
            disposition,
            call_id: id,
            from,
            to,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "ID, Time, Call From, Call To, Call Duration, Ring Duration, Talk Duration, Status, Reason, Source Trunk, Destination Trunk, Communication Type, DID/DDI, Outbound Caller ID, Caller IP Address, PIN Code, Recording File";

    fn rows(lines: &[&str]) -> (Layout, Vec<csv::ByteRecord>) {
        let text = format!("{HEADER}\n{}\n", lines.join("\n"));
        let s = Sample::from_bytes(text.as_bytes(), 10);
        let (score, layout) = Yeastar.sniff(&s).unwrap();
        // A sample of well-formed rows fits entirely; a broken row does not.
        assert_eq!(score == 100, lines.iter().all(|l| !l.contains("Smith")));
        let recs = s.records[1..]
            .iter()
            .map(|r| csv::ByteRecord::from(r.clone()))
            .collect();
        (layout, recs)
    }

    fn check(line: &str, f: impl Fn(&RawRow<'_>)) {
        let (layout, recs) = rows(&[line]);
        let fields = Fields::new(&recs[0]);
        let row = Yeastar.parse(&fields, &layout).unwrap();
        f(&row);
    }

    #[test]
    fn outbound_with_name_and_hms_durations() {
        check("1, 2026-10-05 09:00:00, Anna<201>, 0301234567, 00:02:05, 00:00:05, 00:02:00, ANSWERED, , , telekom, Outbound, , 4930555, 10.0.0.5, , ", |r| {
            assert_eq!((r.src, r.clid, r.dst), ("201", "Anna", "0301234567"));
            assert_eq!((r.duration, r.billsec), (125, 120));
            assert_eq!(r.from, Party::Extension("201"));
            assert_eq!(r.to, Party::Trunk("telekom"));
            assert_eq!(r.disposition, Disposition::Answered);
        });
    }

    #[test]
    fn inbound_voicemail_internal_and_forwarded() {
        check("2,2026-10-05 09:00:00,0301234567,201,40,10,30,VOICEMAIL,,telekom,,Inbound,4930555201,,,,", |r| {
            assert_eq!(r.from, Party::Trunk("telekom"));
            assert_eq!(r.to, Party::Number("201"));
            assert_eq!(r.disposition, Disposition::Answered);
        });
        check(
            "3,2026-10-05 09:00:00,Anna<201>,Ben<202>,20,20,0,NO ANSWER,,,,Internal,,,,,",
            |r| {
                assert_eq!(
                    (r.from, r.to),
                    (Party::Extension("201"), Party::Extension("202"))
                );
                assert_eq!(r.disposition, Disposition::NoAnswer);
            },
        );
        check("4,2026-10-05 09:00:00,0301234567,00882161234567,300,5,295,ANSWERED,,telekom,sipgate,Inbound,4930555201,,,,", |r| {
            assert_eq!((r.from, r.to), (Party::Trunk("telekom"), Party::Trunk("sipgate")));
        });
        check("5,2026-10-05 09:00:00,0301234567,00882161234567,300,5,295,ANSWERED,,telekom,sipgate,Transfer,,,,,", |r| {
            assert_eq!((r.from, r.to), (Party::Trunk("telekom"), Party::Trunk("sipgate")));
        });
    }

    #[test]
    fn durations_and_broken_rows() {
        assert_eq!(parse_duration("1:02:03", "d"), Ok(3723));
        assert_eq!(parse_duration("02:03", "d"), Ok(123));
        assert_eq!(parse_duration(" 45 ", "d"), Ok(45));
        assert!(parse_duration("1:2:3:4", "d").is_err());
        assert!(parse_duration("99999999999", "d").is_err());
        let bad = [
            ("6,yesterday,201,202,20,20,0,BUSY,,,,Internal,,,,,", "Time"),
            (
                "7,2026-10-05 09:00:00,201,202,20,x,0,BUSY,,,,Internal,,,,,",
                "Ring Duration",
            ),
            (
                "8,2026-10-05 09:00:00,201,202,20,0,30,ANSWERED,,,,Internal,,,,,",
                "exceeds",
            ),
            (
                "9,2026-10-05 09:00:00,201,202,20,0,0,MAYBE,,,,Internal,,,,,",
                "Status",
            ),
            (
                "10,2026-10-05 09:00:00,Smith, Anna<201>,202,20,0,0,BUSY,,,,Internal,,,,,",
                "found 18",
            ),
        ];
        for (line, want) in bad {
            let text = format!("{HEADER}\n{line}\n");
            let s = Sample::from_bytes(text.as_bytes(), 10);
            let (_, layout) = Yeastar.sniff(&s).unwrap();
            let rec = csv::ByteRecord::from(s.records[1].clone());
            let e = Yeastar.parse(&Fields::new(&rec), &layout).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn a_name_with_a_comma_is_repaired() {
        let line = "10,2026-10-05 09:00:00,Smith, Anna<201>,202,20,0,0,BUSY,,,,Internal,,,,,";
        let (layout, recs) = rows(&[line]);
        let f = Fields::new(&recs[0]);
        let (fixed, _) = super::super::repair(&Yeastar, &layout, &f).unwrap();
        let f = Fields::new(&fixed);
        let r = Yeastar.parse(&f, &layout).unwrap();
        assert_eq!((r.src, r.clid, r.dst), ("201", "Smith, Anna", "202"));
    }
}

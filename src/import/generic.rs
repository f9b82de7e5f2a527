//! Generic CSV: any PBX's export, read through a column mapping the user writes in
//! `[import.mapping]`, so a PBX tollguard does not know still works.
//!
//! The mapping names the columns (by header name, or by 1-based position for files without a
//! header), the delimiter, the timestamp format (a chrono format such as `%d.%m.%Y %H:%M:%S`,
//! `epoch` for Unix seconds in UTC, or `auto` for the ISO-like shapes PBXs write) and, when the
//! file says it, which values of a direction column or a disposition column mean what. Without a
//! direction column the dial plan decides from the numbers: an extension calling a full external
//! number is outbound, an external number calling an extension inbound, and so on. Durations may
//! be seconds or `H:MM:SS`.
//!
//! Wall-clock times are read in the source time zone (`--source-tz`, `[import] timezone`, else
//! the site's zone). When `[import.mapping]` is configured, the mapping takes part in format
//! detection and wins a tie: the user said how these files look.

use super::{excerpt, Fields, Format, Layout, Party, RawRow, Sample, Stamp};
use crate::call::{Direction, Disposition};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A column: its header name, or its 1-based position.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Column {
    /// 1-based position.
    Position(usize),
    /// Header name (case-insensitive, surrounding spaces ignored).
    Name(String),
}

/// `[import.mapping]`: how to read a CSV export tollguard has no importer for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSettings {
    /// Whether the first row (after `skip_rows`) names the columns. Default true.
    #[serde(default = "yes")]
    pub header: bool,
    /// Field delimiter, one ASCII character. Default `,`.
    #[serde(default = "comma")]
    pub delimiter: char,
    /// Rows to skip before the header (or the data): titles, report dates. Default 0.
    #[serde(default)]
    pub skip_rows: usize,
    /// Call start (required).
    pub start: Column,
    /// Answer time (optional).
    pub answer: Option<Column>,
    /// End time (optional; with `start` it gives the duration when there is no `duration`).
    pub end: Option<Column>,
    /// Total seconds or `H:MM:SS` (optional if `end` is given).
    pub duration: Option<Column>,
    /// Billable (talk) seconds or `H:MM:SS` (optional: else the duration of answered calls).
    pub billsec: Option<Column>,
    /// Caller number (required).
    pub src: Column,
    /// Dialled number (required).
    pub dst: Column,
    /// Caller name (optional).
    pub caller_name: Option<Column>,
    /// Disposition column (optional: else a call with talk time is answered).
    pub disposition: Option<Column>,
    /// Direction column (optional: else the dial plan decides from the numbers).
    pub direction: Option<Column>,
    /// Trunk name column (optional).
    pub trunk: Option<Column>,
    /// Account code column (optional).
    pub account: Option<Column>,
    /// Call id column (optional).
    pub call_id: Option<Column>,
    /// Timestamp format: `auto` (default: `YYYY-MM-DD HH:MM:SS` and its variants), `epoch`
    /// (Unix seconds, UTC), or a chrono format string such as `%d.%m.%Y %H:%M:%S`.
    #[serde(default = "auto")]
    pub timestamp_format: String,
    /// Values of the direction column: `"OUT" = "outbound"`, ... (`outbound`, `inbound`,
    /// `internal`, `forwarded`). Matched case-insensitively.
    #[serde(default)]
    pub directions: BTreeMap<String, Direction>,
    /// Values of the disposition column: `"ok" = "answered"`, ... (`answered`, `no_answer`,
    /// `busy`, `failed`, `congestion`, `cancelled`). Asterisk spellings are known without this.
    #[serde(default)]
    pub dispositions: BTreeMap<String, Disposition>,
}

fn yes() -> bool {
    true
}
fn comma() -> char {
    ','
}
fn auto() -> String {
    "auto".into()
}

impl MappingSettings {
    /// Checks what serde cannot: the delimiter, the timestamp format, the positions.
    pub fn validate(&self) -> Result<(), String> {
        if !self.delimiter.is_ascii() || self.delimiter == '"' || self.delimiter == '\n' {
            return Err(format!(
                "[import.mapping] delimiter `{}` must be one ASCII character other than a quote or newline",
                self.delimiter.escape_default()
            ));
        }
        let tf = self.timestamp_format.as_str();
        if tf != "auto" && tf != "epoch" {
            let items = chrono::format::StrftimeItems::new(tf);
            if items
                .clone()
                .any(|i| matches!(i, chrono::format::Item::Error))
            {
                return Err(format!(
                    "[import.mapping] timestamp_format `{tf}` is not a valid chrono format (e.g. `%d.%m.%Y %H:%M:%S`)"
                ));
            }
        }
        let all = self.columns();
        for (what, c) in &all {
            match c {
                Column::Position(0) => {
                    return Err(format!(
                        "[import.mapping] {what}: positions start at 1"
                    ))
                }
                Column::Name(_) if !self.header => {
                    return Err(format!(
                        "[import.mapping] {what}: a column name needs `header = true`; give a 1-based position instead"
                    ))
                }
                _ => {}
            }
        }
        if self.duration.is_none() && self.end.is_none() {
            return Err("[import.mapping] needs `duration` or `end`".into());
        }
        Ok(())
    }

    /// Every mapped column with its role.
    fn columns(&self) -> Vec<(&'static str, &Column)> {
        let mut v = vec![
            ("start", &self.start),
            ("src", &self.src),
            ("dst", &self.dst),
        ];
        for (what, c) in [
            ("answer", &self.answer),
            ("end", &self.end),
            ("duration", &self.duration),
            ("billsec", &self.billsec),
            ("caller_name", &self.caller_name),
            ("disposition", &self.disposition),
            ("direction", &self.direction),
            ("trunk", &self.trunk),
            ("account", &self.account),
            ("call_id", &self.call_id),
        ] {
            if let Some(c) = c {
                v.push((what, c));
            }
        }
        v
    }
}

/// The generic format, built from a mapping.
#[derive(Debug, Clone)]
pub struct Generic {
    mapping: MappingSettings,
}

impl Generic {
    /// A generic format for `mapping` (validated).
    pub fn new(mapping: MappingSettings) -> Result<Self, String> {
        mapping.validate()?;
        Ok(Generic { mapping })
    }

    /// Column positions for a header row (or positions only, without a header); the error
    /// names the columns the header lacks.
    fn layout_for(&self, header: Option<&[String]>) -> Result<Layout, String> {
        let m = &self.mapping;
        let mut columns = std::collections::HashMap::new();
        let mut missing = Vec::new();
        let names: Vec<String> = header
            .unwrap_or(&[])
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        for (what, c) in m.columns() {
            let index = match c {
                Column::Position(p) => Some(p - 1),
                Column::Name(n) => names.iter().position(|h| *h == n.trim().to_lowercase()),
            };
            match index {
                Some(i) => {
                    columns.insert(what.to_string(), i);
                }
                None => missing.push(format!("{what} = {c:?}")),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "the header lacks the mapped column(s) {}",
                missing.join(", ")
            ));
        }
        Ok(Layout {
            header_rows: m.skip_rows + usize::from(m.header),
            width: if m.header { names.len() } else { 0 },
            columns,
            ..Layout::default()
        }
        .with_slots(&COLUMNS))
    }

    fn stamp(&self, s: &str, what: &str) -> Result<Option<Stamp>, String> {
        let t = s.trim();
        if t.is_empty() || (self.mapping.timestamp_format == "epoch" && t == "0") {
            return Ok(None);
        }
        let bad = || {
            format!(
                "{what} `{}` does not match timestamp_format `{}`",
                excerpt(t),
                self.mapping.timestamp_format
            )
        };
        match self.mapping.timestamp_format.as_str() {
            "auto" => crate::timeconv::parse_timestamp(t)
                .map(|d| Some(Stamp::Local(d)))
                .ok_or_else(bad),
            "epoch" => t
                .split('.')
                .next()
                .and_then(|i| i.parse::<i64>().ok())
                .map(|e| Some(Stamp::Utc(e)))
                .ok_or_else(bad),
            f => chrono::NaiveDateTime::parse_from_str(t, f)
                .map(|d| Some(Stamp::Local(d)))
                .map_err(|_| bad()),
        }
    }

    fn lookup<T: Copy>(table: &BTreeMap<String, T>, value: &str) -> Option<T> {
        let v = value.trim();
        table
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(v))
            .map(|(_, t)| *t)
    }
}

/// Seconds from `123` or `H:MM:SS` / `MM:SS`.
pub fn parse_duration(s: &str, what: &str) -> Result<u32, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0);
    }
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    if let Ok(f) = t.parse::<f64>() {
        if f.is_finite() && f >= 0.0 && f < f64::from(u32::MAX) {
            return Ok(f.round() as u32);
        }
    }
    let parts: Vec<&str> = t.split(':').collect();
    let nums: Option<Vec<u32>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
    match nums.as_deref() {
        Some([h, m, s]) if *m < 60 && *s < 60 => Ok(h * 3600 + m * 60 + s),
        Some([m, s]) if *s < 60 => Ok(m * 60 + s),
        _ => Err(format!(
            "{what} `{}` is neither seconds nor H:MM:SS",
            excerpt(t)
        )),
    }
}

/// The logical columns a row is read from (found once per file: [`Layout::with_slots`]).
static COLUMNS: [&str; 13] = [
    "start",
    "answer",
    "end",
    "duration",
    "disposition",
    "billsec",
    "src",
    "dst",
    "trunk",
    "direction",
    "caller_name",
    "account",
    "call_id",
];

impl Format for Generic {
    fn name(&self) -> &'static str {
        "generic"
    }

    fn description(&self) -> &'static str {
        "any CSV export, through the column mapping in [import.mapping]"
    }

    fn checked_against(&self) -> &'static str {
        "your own mapping"
    }

    fn delimiter(&self) -> u8 {
        self.mapping.delimiter as u8
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        let m = &self.mapping;
        let header = if m.header {
            Some(sample.records.get(m.skip_rows)?.as_slice())
        } else {
            None
        };
        let layout = self.layout_for(header).ok()?;
        let start = layout.columns["start"];
        let score = sample.score(layout.header_rows, |r| {
            r.get(start)
                .is_some_and(|s| self.stamp(s, "start").ok().flatten().is_some())
        });
        // A header with every mapped name is strong evidence even before any data row.
        let score = if sample.records.len() <= layout.header_rows && m.header {
            90
        } else {
            score
        };
        (score > 0).then_some((score, layout))
    }

    fn forced_layout(&self, sample: &Sample) -> Result<Layout, String> {
        let m = &self.mapping;
        let header = if m.header {
            Some(
                sample
                    .records
                    .get(m.skip_rows)
                    .map(Vec::as_slice)
                    .ok_or("the file has no header row")?,
            )
        } else {
            None
        };
        self.layout_for(header)
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String> {
        layout.check_width(f.len(), "an unescaped quote or delimiter in a field")?;
        let [start, answer, end, duration, disposition, billsec, src, dst, trunk, direction, caller_name, account, call_id] =
            layout.cols(&COLUMNS, f);
        let [_, has_answer, _, has_duration, has_disposition, has_billsec, _, _, _, has_direction, ..] =
            layout.present(&COLUMNS);
        let start = self.stamp(start, "start")?.ok_or("start time is empty")?;
        let answer = self.stamp(answer, "answer")?;
        let end = self.stamp(end, "end")?;
        let span = match (start, end) {
            (Stamp::Local(s), Some(Stamp::Local(e))) => Some((e - s).num_seconds()),
            (Stamp::Utc(s), Some(Stamp::Utc(e))) => Some(e - s),
            _ => None,
        };
        let duration = if has_duration {
            parse_duration(duration, "duration")?
        } else {
            match span {
                Some(d) if d >= 0 => u32::try_from(d).unwrap_or(u32::MAX),
                _ => return Err("end is before start".into()),
            }
        };
        let mut disposition = if has_disposition {
            let v = disposition;
            Self::lookup(&self.mapping.dispositions, v)
                .or_else(|| {
                    Some(Disposition::parse_asterisk(v)).filter(|d| *d != Disposition::Unknown)
                })
                .ok_or_else(|| {
                    format!(
                        "disposition `{}` is not in [import.mapping.dispositions]",
                        excerpt(v)
                    )
                })?
        } else {
            Disposition::Unknown
        };
        // Without a talk-time column, what the file does say decides; a file that says nothing
        // about answering is read as talk time throughout, so a fraud is never priced at zero.
        let billsec = if has_billsec {
            parse_duration(billsec, "billsec")?
        } else if has_answer {
            match (answer, end) {
                (Some(Stamp::Local(a)), Some(Stamp::Local(e))) => {
                    u32::try_from((e - a).num_seconds()).unwrap_or(0)
                }
                (Some(Stamp::Utc(a)), Some(Stamp::Utc(e))) => u32::try_from(e - a).unwrap_or(0),
                (Some(_), _) => duration,
                (None, _) => 0,
            }
        } else if has_disposition {
            if disposition == Disposition::Answered {
                duration
            } else {
                0
            }
        } else {
            duration
        };
        if billsec > duration && has_duration {
            return Err(format!(
                "billsec {billsec} exceeds duration {duration}: columns mapped wrongly?"
            ));
        }
        if disposition == Disposition::Unknown {
            disposition = if billsec > 0 || answer.is_some() {
                Disposition::Answered
            } else {
                Disposition::NoAnswer
            };
        }
        let trunk = trunk.trim();
        let (from, to) = if has_direction {
            let v = direction;
            let d = Self::lookup(&self.mapping.directions, v).ok_or_else(|| {
                format!(
                    "direction `{}` is not in [import.mapping.directions]",
                    excerpt(v)
                )
            })?;
            let outside = |n| {
                if trunk.is_empty() {
                    Party::External(n)
                } else {
                    Party::Trunk(trunk)
                }
            };
            match d {
                Direction::Outbound => (Party::Number(src), outside(dst)),
                Direction::Inbound => (outside(src), Party::Number(dst)),
                Direction::Internal => (Party::Number(src), Party::Number(dst)),
                Direction::Forwarded => (Party::External(src), outside(dst)),
                Direction::Unknown => (Party::Number(src), Party::Number(dst)),
            }
        } else {
            (Party::Number(src), Party::Number(dst))
        };
        Ok(RawRow {
            start: Some(start),
            answer,
            end,
            duration: duration.max(billsec),
            billsec,
            src,
            dst,
            clid: caller_name,
            channel: "",
            dst_channel: trunk,
            disposition,
            account,
            call_id,
            from,
            to,
            relayed_to: if matches!(from, Party::External(_)) && !matches!(to, Party::Number(_)) {
                dst
            } else {
                ""
            },
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(toml_text: &str) -> Generic {
        let m: MappingSettings = toml::from_str(toml_text).unwrap();
        Generic::new(m).unwrap()
    }

    const GERMAN: &str = r#"
delimiter = ";"
start = "Datum"
duration = "Dauer"
src = "Von"
dst = "Nach"
direction = "Richtung"
timestamp_format = "%d.%m.%Y %H:%M:%S"
[directions]
"abgehend" = "outbound"
"ankommend" = "inbound"
"#;

    #[test]
    fn reads_a_semicolon_export_with_german_dates_and_directions() {
        let g = mapping(GERMAN);
        let text = "Datum;Von;Nach;Dauer;Richtung\n17.10.2026 01:10:00;207;0088216902571;0:12:30;abgehend\n";
        let mut rdr = super::super::cdr_reader_with(text.as_bytes(), b';');
        let mut recs = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            recs.push(rec.clone());
        }
        let sample = Sample {
            records: recs
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|f| String::from_utf8_lossy(f).into())
                        .collect()
                })
                .collect(),
        };
        let (score, layout) = g.sniff(&sample).unwrap();
        assert_eq!(score, 100);
        let f = Fields::new(&recs[1]);
        let row = g.parse(&f, &layout).unwrap();
        assert_eq!((row.duration, row.billsec), (750, 750));
        assert_eq!(row.disposition, Disposition::Answered);
        assert_eq!(row.from, Party::Number("207"));
        assert_eq!(row.to, Party::External("0088216902571"));
    }

    #[test]
    fn bad_mappings_are_refused_with_the_key() {
        let m: MappingSettings =
            toml::from_str("start = 1\nsrc = 2\ndst = 3\nheader = false\n").unwrap();
        assert!(Generic::new(m).unwrap_err().contains("duration"));
        let m: MappingSettings =
            toml::from_str("start = 0\nsrc = 2\ndst = 3\nduration = 4\nheader = false\n").unwrap();
        assert!(Generic::new(m).unwrap_err().contains("start"));
        let m: MappingSettings =
            toml::from_str("start = \"a\"\nsrc = 2\ndst = 3\nduration = 4\nheader = false\n")
                .unwrap();
        assert!(Generic::new(m).unwrap_err().contains("header = true"));
        let m: MappingSettings = toml::from_str(
            "start = 1\nsrc = 2\ndst = 3\nduration = 4\nheader = false\ntimestamp_format = \"%Q\"\n",
        )
        .unwrap();
        assert!(Generic::new(m).unwrap_err().contains("timestamp_format"));
    }

    #[test]
    fn durations_in_seconds_or_clock_form() {
        assert_eq!(parse_duration("75", "d"), Ok(75));
        assert_eq!(parse_duration("1:02:03", "d"), Ok(3723));
        assert_eq!(parse_duration("02:03", "d"), Ok(123));
        assert_eq!(parse_duration("", "d"), Ok(0));
        assert!(parse_duration("1:99:00", "d").is_err());
        assert!(parse_duration("soon", "d").is_err());
    }

    #[test]
    fn epoch_times_are_utc() {
        let g = mapping(
            "header = false\nstart = 1\nend = 2\nsrc = 3\ndst = 4\ntimestamp_format = \"epoch\"\n",
        );
        let rec = csv::ByteRecord::from(vec!["1760656200", "1760656260", "201", "0301234567"]);
        let f = Fields::new(&rec);
        let layout = g.forced_layout(&Sample::default()).unwrap();
        let row = g.parse(&f, &layout).unwrap();
        assert_eq!(row.start, Some(Stamp::Utc(1760656200)));
        assert_eq!(row.duration, 60);
        assert_eq!(row.disposition, Disposition::Answered);
    }
}

//! A record's fields as `&str`, decoding UTF-8 without a copy in the normal case.
//!
//! CDRs carry caller names in whatever encoding the phone sent (Latin-1 is common). A row with
//! bytes that are not UTF-8 is read with replacement characters and counted as repaired, not
//! rejected: the call is real, only its display name is damaged.
//!
//! The fields come from the csv crate's [`ByteRecord`], or straight from a plain line of the
//! file ([`Fields::of_line`], see [`super::records`]): the same fields either way.

use csv::ByteRecord;

/// The fields of one record.
pub struct Fields<'a> {
    text: Text<'a>,
}

/// Where a field of a plain line is: `start..end` in the line, or in the line's unquoted copy
/// when `start` has [`IN_COPY`] set.
pub type Span = (u32, u32);

/// The flag of a [`Span`] in the unquoted copy.
pub const IN_COPY: u32 = 1 << 31;

/// How a record's text is held.
enum Text<'a> {
    /// A csv record of valid UTF-8, fields sliced out of it: one check a row.
    Record(&'a ByteRecord, &'a str),
    /// A plain line of valid UTF-8: fields sliced out of it or out of the copy of those with
    /// doubled quotes.
    Line {
        line: &'a str,
        copy: &'a str,
        spans: &'a [Span],
    },
    /// Invalid bytes replaced, field by field.
    Repaired(Vec<String>),
    /// Another record's fields with its fields `at..=at + extra` re-joined into one
    /// (`joined`): a repair candidate for a shifted row ([`super::repair`]), read without
    /// building and checking a record of its own. A field of `base` is taken as
    /// [`Fields::get`] gives it, as a record built from those fields would hold it.
    Joined {
        base: &'a Fields<'a>,
        at: usize,
        extra: usize,
        joined: &'a str,
    },
}

impl<'a> Fields<'a> {
    /// Wraps a record; copies only when it holds invalid UTF-8.
    pub fn new(rec: &'a ByteRecord) -> Self {
        // Valid as a whole *and* at every field boundary: two invalid halves in adjacent fields
        // (`\xC3` `,` `\xA9`) concatenate to a valid character, but neither field is text.
        // In ASCII text (nearly every CDR) every byte is a character boundary: no field check.
        let valid = simdutf8::basic::from_utf8(rec.as_slice()).ok().filter(|t| {
            t.is_ascii()
                || (0..rec.len()).all(|i| {
                    rec.range(i)
                        .is_some_and(|r| t.is_char_boundary(r.start) && t.is_char_boundary(r.end))
                })
        });
        let text = match valid {
            Some(t) => Text::Record(rec, t),
            None => Text::Repaired(
                rec.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ),
        };
        Fields { text }
    }

    /// The fields of a plain line: `spans` in `line`, or in `copy` (the fields with doubled
    /// quotes, undoubled). Only ASCII bytes (quotes, an ASCII delimiter) separate the fields
    /// in the line, so the line is valid UTF-8 exactly when every field is, as
    /// [`Fields::new`] judges a record; copies only when it is not.
    pub fn of_line(line: &'a [u8], copy: &'a [u8], spans: &'a [Span]) -> Self {
        let text = match (
            simdutf8::basic::from_utf8(line),
            simdutf8::basic::from_utf8(copy),
        ) {
            (Ok(line), Ok(copy)) => Text::Line { line, copy, spans },
            _ => Text::Repaired(
                spans
                    .iter()
                    .map(|&s| String::from_utf8_lossy(span(line, copy, s)).into_owned())
                    .collect(),
            ),
        };
        Fields { text }
    }

    /// [`Fields::of_line`] for a line already known to be text (cut from a chunk that is valid
    /// UTF-8 as a whole, at line ends) and its copy (built from pieces of that text): no
    /// check at all. Checking each line again cost about 2.7 % of a month's audit (`perf`): a
    /// call with its set-up and tail a line, where one call a chunk checks the same bytes at
    /// full speed.
    pub fn of_text_line(line: &'a str, copy: &'a str, spans: &'a [Span]) -> Self {
        Fields {
            text: Text::Line { line, copy, spans },
        }
    }

    /// `base` with its fields `at..=at + extra` replaced by the one field `joined` (their
    /// texts joined by the delimiter): what [`super::repair`] tries. `at + extra` must be a
    /// field of `base`. `None` when `base` is such a view itself: a view reads its row's
    /// fields directly (no call through a view of a view), which lets them be inlined.
    pub fn joined(base: &'a Fields<'a>, at: usize, extra: usize, joined: &'a str) -> Option<Self> {
        debug_assert!(at + extra < base.len());
        if matches!(base.text, Text::Joined { .. }) {
            return None;
        }
        Some(Fields {
            text: Text::Joined {
                base,
                at,
                extra,
                joined,
            },
        })
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.text {
            Text::Joined { base, extra, .. } => base.row_len() - extra,
            _ => self.row_len(),
        }
    }

    /// [`Fields::len`] of a record, line or repaired row (a view's row: never a view).
    #[inline]
    fn row_len(&self) -> usize {
        match &self.text {
            Text::Record(rec, _) => rec.len(),
            Text::Line { spans, .. } => spans.len(),
            Text::Repaired(v) => v.len(),
            Text::Joined { .. } => 0,
        }
    }

    /// The raw field `i` of a record, line or repaired row (a view's row: never a view).
    #[inline]
    fn row_raw(&self, i: usize) -> &str {
        match &self.text {
            Text::Record(rec, text) => record_text(rec, text, i),
            Text::Line { line, copy, spans } => {
                spans.get(i).map_or("", |&s| span_text(line, copy, s))
            }
            Text::Repaired(v) => v.get(i).map(String::as_str).unwrap_or(""),
            Text::Joined { .. } => "",
        }
    }

    /// True when the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when invalid UTF-8 was replaced.
    pub fn repaired(&self) -> bool {
        matches!(self.text, Text::Repaired(_))
    }

    /// True for a blank line: one field of white space only (the csv reader skips empty
    /// lines; a line of spaces, or a lone `\r` in a CRLF file, is one such field).
    pub fn is_blank(&self) -> bool {
        self.len() == 1 && self.raw(0).bytes().all(|b| b.is_ascii_whitespace())
    }

    /// Field `i`, or `""` past the end. The last field loses a trailing `\r` (CRLF files).
    pub fn get(&self, i: usize) -> &str {
        let f = self.raw(i);
        if i + 1 == self.len() {
            f.strip_suffix('\r').unwrap_or(f)
        } else {
            f
        }
    }

    /// The first `N` fields, as [`Fields::get`] gives each (`""` past the end, the last field
    /// without a trailing `\r`). One pass for a format that reads most of its fields by
    /// position: through `get`, each of a row's 17 fields cost a call that matched the
    /// record's kind again, about 34 instructions a field.
    #[inline(always)]
    pub fn first<const N: usize>(&self) -> [&str; N] {
        let mut out = [""; N];
        match &self.text {
            Text::Record(rec, text) => {
                for (i, o) in out.iter_mut().enumerate().take(rec.len()) {
                    *o = record_text(rec, text, i);
                }
            }
            Text::Line { line, copy, spans } => {
                for (o, &s) in out.iter_mut().zip(spans.iter()) {
                    *o = span_text(line, copy, s);
                }
            }
            Text::Repaired(v) => {
                for (o, f) in out.iter_mut().zip(v) {
                    *o = f;
                }
            }
            Text::Joined { .. } => {
                for (i, o) in out.iter_mut().enumerate().take(self.len()) {
                    *o = self.raw(i);
                }
            }
        }
        if let Some(last) = self.len().checked_sub(1).and_then(|i| out.get_mut(i)) {
            *last = last.strip_suffix('\r').unwrap_or(last);
        }
        out
    }

    fn raw(&self, i: usize) -> &str {
        match &self.text {
            Text::Joined { .. } => self.joined_raw(i),
            _ => self.row_raw(i),
        }
    }

    /// [`Fields::raw`] of a view ([`Fields::joined`]): the row's field as `base.get` gives it
    /// (its last one without a `\r`), or the joined text. Out of line, so that `raw` stays
    /// small enough to inline for every other row (3CX reads its 27 fields one by one).
    #[inline(never)]
    fn joined_raw(&self, i: usize) -> &str {
        let Text::Joined {
            base,
            at,
            extra,
            joined,
        } = &self.text
        else {
            return self.row_raw(i);
        };
        let j = match i.cmp(at) {
            std::cmp::Ordering::Less => i,
            std::cmp::Ordering::Equal => return joined,
            std::cmp::Ordering::Greater => i + extra,
        };
        let f = base.row_raw(j);
        if j + 1 == base.row_len() {
            f.strip_suffix('\r').unwrap_or(f)
        } else {
            f
        }
    }
}

/// Whether a [`Span`] is in the copy, and its range there or in the line.
fn locate((a, b): Span) -> (bool, std::ops::Range<usize>) {
    ((a & IN_COPY) != 0, (a & !IN_COPY) as usize..b as usize)
}

/// Field `i` of a csv record whose text `text` is valid UTF-8 (`""` past the end).
fn record_text<'a>(rec: &ByteRecord, text: &'a str, i: usize) -> &'a str {
    rec.range(i).and_then(|r| text.get(r)).unwrap_or("")
}

/// The text of a [`Span`] of a line that is valid UTF-8 (`""` if it is out of range).
fn span_text<'a>(line: &'a str, copy: &'a str, s: Span) -> &'a str {
    let (in_copy, r) = locate(s);
    (if in_copy { copy } else { line }).get(r).unwrap_or("")
}

/// The bytes of a [`Span`].
pub fn span<'a>(line: &'a [u8], copy: &'a [u8], s: Span) -> &'a [u8] {
    let (in_copy, r) = locate(s);
    (if in_copy { copy } else { line }).get(r).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A joined view reads as the record the repair built before it existed: the fields
    /// before and after taken with `get` (the last one's `\r` dropped once), the joined one in
    /// between, and then read through `Fields::new`. Random fields of `a`, `,`, `\r`, `é`,
    /// over records, plain lines and repaired (invalid UTF-8) rows.
    #[test]
    fn joined_views_read_as_the_records_built_from_them() {
        let mut rng = fastrand::Rng::with_seed(5);
        let pieces = ["a", "b", "\r", "é", " ", ""];
        for round in 0..3_000 {
            let n = rng.usize(2..9);
            let mut raw: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    (0..rng.usize(0..4))
                        .flat_map(|_| pieces[rng.usize(..pieces.len())].bytes())
                        .collect()
                })
                .collect();
            if round % 7 == 0 {
                raw[rng.usize(..n)].push(0xFF); // invalid UTF-8: a repaired row
            }
            let rec = ByteRecord::from(raw.clone());
            let line: Vec<u8> = raw.join(&b'|');
            let mut spans = Vec::new();
            let mut at = 0u32;
            for f in &raw {
                spans.push((at, at + f.len() as u32));
                at += f.len() as u32 + 1;
            }
            let by_record = Fields::new(&rec);
            let by_line = Fields::of_line(&line, b"", &spans);
            for base in [&by_record, &by_line] {
                let at = rng.usize(..n);
                let extra = rng.usize(..n - at);
                let joined: String = (at..=at + extra)
                    .map(|i| base.get(i))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut built = ByteRecord::new();
                for i in 0..at {
                    built.push_field(base.get(i).as_bytes());
                }
                built.push_field(joined.as_bytes());
                for i in at + extra + 1..n {
                    built.push_field(base.get(i).as_bytes());
                }
                let want = Fields::new(&built);
                let view = Fields::joined(base, at, extra, &joined).unwrap();
                assert_eq!(view.len(), want.len());
                assert_eq!(view.repaired(), want.repaired());
                assert_eq!(view.is_blank(), want.is_blank());
                for i in 0..=n {
                    assert_eq!(
                        view.get(i),
                        want.get(i),
                        "field {i} of {raw:?}, {at}+{extra}"
                    );
                }
                assert_eq!(view.first::<9>(), want.first::<9>());
                // A view of a view is refused: views read their row's fields directly.
                assert!(Fields::joined(&view, 0, 0, "").is_none());
            }
        }
    }

    #[test]
    fn crlf_lines_keep_their_numbers_and_lose_the_cr() {
        let text = "\"a\",\"b\"\r\n\"c\",d\r\n\r\n\"e\",\"f\"\r\n";
        let mut rdr = crate::import::cdr_reader(text.as_bytes());
        let mut rec = ByteRecord::new();
        let mut seen = Vec::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            let f = Fields::new(&rec);
            seen.push((
                rec.position().unwrap().line(),
                f.get(0).to_string(),
                f.get(f.len() - 1).to_string(),
            ));
        }
        assert_eq!(seen[0], (1, "a".into(), "b".into()));
        assert_eq!(seen[1], (2, "c".into(), "d".into()));
        // The blank CRLF line is a one-field record that import skips as blank.
        assert_eq!(seen.last().unwrap(), &(4, "e".into(), "f".into()));
    }

    #[test]
    fn a_character_split_across_fields_is_repaired_not_lost() {
        let rec = ByteRecord::from(vec![&b"a\xc3"[..], b"\xa9b"]);
        let f = Fields::new(&rec);
        assert!(f.repaired());
        assert_eq!((f.get(0), f.get(1)), ("a\u{fffd}", "\u{fffd}b"));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let rec = ByteRecord::from(vec![&b"M\xfcller"[..], b"201"]);
        let f = Fields::new(&rec);
        assert!(f.repaired());
        assert_eq!(f.get(0), "M\u{fffd}ller");
        assert_eq!(f.get(1), "201");
        assert_eq!(f.get(5), "");
        let ok = ByteRecord::from(vec!["Müller", "201"]);
        let f = Fields::new(&ok);
        assert!(!f.repaired());
        assert_eq!(f.get(0), "Müller");
    }

    #[test]
    fn first_gives_what_get_gives() {
        let check = |f: &Fields<'_>| {
            let got: [&str; 6] = f.first();
            let want: Vec<&str> = (0..6).map(|i| f.get(i)).collect();
            assert_eq!(got.to_vec(), want);
            let one: [&str; 1] = f.first();
            assert_eq!(one[0], f.get(0));
        };
        for fields in [
            vec![&b"a"[..], b"b\r"],
            vec![b"a\r", b"b"],
            vec![b"x\r"],
            vec![b"1", b"2", b"3", b"4", b"5", b"6", b"7\r"],
            vec![b"1", b"2", b"3", b"4", b"5", b"6\r"],
            vec![b"M\xfcller", b"201\r"],
            vec![b"\xc3", b"\xa9", b"\r"],
        ] {
            check(&Fields::new(&ByteRecord::from(fields)));
        }
        check(&Fields::new(&ByteRecord::new()));
        // Plain lines: in the line, in the copy, the last field with its `\r`.
        let line = b"ab,cd,\"e\"\r";
        let copy = b"q\"q\r";
        check(&Fields::of_line(line, copy, &[(0, 2), (3, 5)]));
        check(&Fields::of_line(line, copy, &[(0, 2), (IN_COPY, 4)]));
        check(&Fields::of_line(
            line,
            copy,
            &[(IN_COPY, 4), (0, 2), (3, 5)],
        ));
        check(&Fields::of_line(line, copy, &[]));
        check(&Fields::of_line(b"\xff,a\r", b"", &[(0, 1), (2, 4)]));
    }
}

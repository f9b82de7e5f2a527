//! The records of an in-memory chunk, as the csv crate reads them, with a fast path for the
//! plain lines that are nearly all of a CDR file.
//!
//! The csv crate's reader runs a state machine over every byte: about 15 instructions a byte,
//! 4,000 a row of Asterisk CSV, the largest single cost of an import. But nearly every line of a
//! CDR file is plain: one record on one line, each field either unquoted without quotes in it,
//! or quoted with its inner quotes doubled (`"""Anna"" <201>"`). Such a line is split here with
//! `memchr` (a quote, a delimiter or a line end found a word at a time) into exactly the fields
//! the csv crate gives, with the position (byte and line) it gives. Every other line (blank,
//! a quote inside an unquoted field or after a closing quote, an unclosed quote that runs on
//! into the next lines, the file's last line without a line end) is handed to the csv crate's
//! own reader, moved (`seek`) to where that record starts: what the crate makes of a damaged
//! line is the crate's answer, unchanged. `fast_path_reads_what_the_csv_crate_reads` checks
//! on random lines of quotes, delimiters, line ends, carriage returns and invalid UTF-8 that
//! both give the same records at the same positions.

use super::fields::{Fields, Span, IN_COPY};
use csv::{ByteRecord, Position};
use std::io::Cursor;

/// One record read by [`Records`], kept for reuse from row to row (no allocation a row).
#[derive(Default)]
pub struct Record<'a> {
    /// Byte offset (in the chunk) and line where its read started, as the csv crate reports
    /// a record's position (blank lines before it included).
    pub byte: u64,
    /// See `byte`.
    pub line: u64,
    /// Read by the csv reader (`csv`), or a plain line (`plain`, `spans`, `copy`).
    by_csv: bool,
    csv: ByteRecord,
    plain: &'a [u8],
    spans: Vec<Span>,
    copy: Vec<u8>,
}

impl Record<'_> {
    /// True when the record was a plain line: one record that ended at its line end.
    pub fn is_plain(&self) -> bool {
        !self.by_csv
    }

    /// The record's fields.
    pub fn fields(&self) -> Fields<'_> {
        if self.by_csv {
            Fields::new(&self.csv)
        } else {
            Fields::of_line(self.plain, &self.copy, &self.spans)
        }
    }
}

/// Reads the records of `bytes` one by one.
pub struct Records<'a> {
    bytes: &'a [u8],
    delimiter: u8,
    /// Plain lines are split here only with an ASCII delimiter: otherwise the line's UTF-8
    /// would not tell the fields'.
    fast: bool,
    /// Where the next record's read starts: a byte offset and its line (1-based, as the csv
    /// crate counts: every line end before it, inside quotes or not, plus one).
    at: usize,
    line: u64,
    /// The csv crate's reader over the same bytes, made at the first line it must read.
    csv: Option<csv::Reader<Cursor<&'a [u8]>>>,
}

impl<'a> Records<'a> {
    /// Records of `bytes` (no header handling: every record is returned), fields split at
    /// `delimiter`, line ends `\n`: the dialect of [`super::cdr_reader_with`].
    pub fn new(bytes: &'a [u8], delimiter: u8) -> Self {
        Records {
            bytes,
            delimiter,
            fast: delimiter.is_ascii(),
            at: 0,
            line: 1,
            csv: None,
        }
    }

    /// Reads the next record into `rec`; `false` at the end (or at a read error of the csv
    /// reader, which ends a chunk as before).
    pub fn read(&mut self, rec: &mut Record<'a>) -> bool {
        if self.at >= self.bytes.len() {
            return false;
        }
        (rec.byte, rec.line) = (self.at as u64, self.line);
        if let Some(next) = self.plain_line(rec) {
            rec.by_csv = false;
            self.at = next;
            self.line += 1;
            return true;
        }
        rec.by_csv = true;
        let mut pos = Position::new();
        pos.set_byte(rec.byte).set_line(rec.line);
        let (bytes, delimiter) = (self.bytes, self.delimiter);
        let csv = self
            .csv
            .get_or_insert_with(|| super::cdr_reader_with(Cursor::new(bytes), delimiter));
        if csv.seek(pos).is_err() || !matches!(csv.read_byte_record(&mut rec.csv), Ok(true)) {
            self.at = self.bytes.len();
            return false;
        }
        let after = csv.position();
        self.at = after.byte() as usize;
        self.line = after.line();
        true
    }

    /// Splits the line at `self.at` into `rec` when it is plain (see the module documentation);
    /// returns where the next line starts. `None`: the csv reader must read it.
    fn plain_line(&self, rec: &mut Record<'a>) -> Option<usize> {
        if !self.fast {
            return None;
        }
        let rest = self.bytes.get(self.at..)?;
        let end = memchr::memchr(b'\n', rest)?;
        let line = &rest[..end];
        // A blank line (the csv reader skips it), a line too long for a `Span`.
        if line.is_empty() || line.len() >= IN_COPY as usize {
            return None;
        }
        let d = self.delimiter;
        rec.plain = line;
        rec.spans.clear();
        rec.copy.clear();
        let mut i = 0;
        loop {
            let next = if line[i..].first() == Some(&b'"') {
                // Quoted: up to the quote not followed by another; `""` is one quote.
                let open = i + 1;
                let mut j = open;
                let mut doubled = false;
                let close = loop {
                    let q = j + memchr::memchr(b'"', &line[j..])?;
                    if line.get(q + 1) == Some(&b'"') {
                        doubled = true;
                        j = q + 2;
                    } else {
                        break q;
                    }
                };
                let after = close + 1;
                // After the closing quote: a delimiter, the line's end, or a carriage return
                // that ends the line (CRLF files: the csv crate keeps it in the field).
                let tail: &[u8] = match line.get(after) {
                    None => b"",
                    Some(&c) if c == d => b"",
                    Some(b'\r') if after + 1 == line.len() => b"\r",
                    Some(_) => return None,
                };
                let text = &line[open..close];
                if doubled || !tail.is_empty() {
                    let from = rec.copy.len();
                    let mut k = 0;
                    while let Some(q) = memchr::memchr(b'"', &text[k..]) {
                        rec.copy.extend_from_slice(&text[k..k + q + 1]);
                        k += q + 2;
                    }
                    rec.copy.extend_from_slice(&text[k..]);
                    rec.copy.extend_from_slice(tail);
                    rec.spans
                        .push((from as u32 | IN_COPY, rec.copy.len() as u32));
                } else {
                    rec.spans.push((open as u32, close as u32));
                }
                after + tail.len()
            } else {
                // Unquoted: up to the delimiter, with no quote in it.
                let stop = memchr::memchr2(d, b'"', &line[i..]).map_or(line.len(), |k| i + k);
                if line.get(stop) == Some(&b'"') {
                    return None;
                }
                rec.spans.push((i as u32, stop as u32));
                stop
            };
            if next == line.len() {
                break;
            }
            // `line[next]` is the delimiter: another field follows (empty at the line's end).
            i = next + 1;
        }
        Some(self.at + end + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as compared: its fields' bytes, byte offset, line, and what [`Fields`] makes
    /// of it (every field's text, repaired, blank).
    type Seen = (Vec<Vec<u8>>, u64, u64, (Vec<String>, bool, bool));

    fn view(f: &Fields<'_>) -> (Vec<String>, bool, bool) {
        let texts = (0..f.len() + 1).map(|i| f.get(i).to_string()).collect();
        (texts, f.repaired(), f.is_blank())
    }

    /// Every record with its position, as the csv crate reads `bytes`.
    fn by_csv(bytes: &[u8], delimiter: u8) -> Vec<Seen> {
        let mut rdr = super::super::cdr_reader_with(bytes, delimiter);
        let mut rec = ByteRecord::new();
        let mut out = Vec::new();
        while matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
            let p = rec.position().unwrap();
            let fields = rec.iter().map(<[u8]>::to_vec).collect();
            out.push((fields, p.byte(), p.line(), view(&Fields::new(&rec))));
        }
        out
    }

    /// The same through [`Records`] (fields as bytes, invalid UTF-8 kept), and whether the
    /// csv reader was needed.
    fn by_records(bytes: &[u8], delimiter: u8) -> (Vec<Seen>, bool) {
        let mut r = Records::new(bytes, delimiter);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while r.read(&mut rec) {
            let fields = if rec.by_csv {
                rec.csv.iter().map(<[u8]>::to_vec).collect()
            } else {
                let s = &rec.spans;
                s.iter()
                    .map(|&s| super::super::fields::span(rec.plain, &rec.copy, s).to_vec())
                    .collect()
            };
            out.push((fields, rec.byte, rec.line, view(&rec.fields())));
        }
        (out, r.csv.is_some())
    }

    #[test]
    fn plain_lines_are_split_like_the_csv_crate() {
        let text = concat!(
            "\"\",\"201\",\"0049301234\",\"from-internal\",\"\"\"Anna\"\" <201>\",a,,\"x,y\"\n",
            "1,2,3\n",
            "\"a\"\"\",\"\"\"\",\"\"\n",
            "trailing,\n",
            "\"crlf\"\r\n",
            "plain\r\n",
        );
        let (got, _) = by_records(text.as_bytes(), b',');
        assert_eq!(got, by_csv(text.as_bytes(), b','));
        assert_eq!(got[0].0[4], b"\"Anna\" <201>");
        assert_eq!(
            got[2].0,
            vec![b"a\"".to_vec(), b"\"".to_vec(), b"".to_vec()]
        );
        assert_eq!(got[4].0, vec![b"crlf\r".to_vec()]);
    }

    #[test]
    fn fast_path_reads_what_the_csv_crate_reads() {
        // Random lines over an alphabet of everything the csv state machine treats apart:
        // quotes, delimiters, line ends, carriage returns, spaces, invalid UTF-8, letters;
        // mostly plain fields so both paths and their hand-overs are exercised.
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet: &[&[u8]] = &[
            b"\"", b",", b";", b"\n", b"\r", b" ", b"\xc3", b"a", b"\"\"", b"\r\n",
        ];
        let (mut fast_only, mut mixed) = (0, 0);
        for case in 0..6000 {
            let delimiter = if case % 5 == 0 { b';' } else { b',' };
            let mut bytes = Vec::new();
            for _ in 0..rng.usize(0..8) {
                let fields = rng.usize(1..6);
                for f in 0..fields {
                    if f > 0 {
                        bytes.push(delimiter);
                    }
                    match rng.u8(0..25) {
                        // plain quoted field, maybe with doubled quotes
                        0..=11 => {
                            bytes.push(b'"');
                            for _ in 0..rng.usize(0..4) {
                                bytes.extend_from_slice(if rng.bool() { b"ab" } else { b"\"\"" });
                            }
                            bytes.push(b'"');
                        }
                        // plain unquoted field
                        12..=23 => bytes.extend_from_slice(&b"201"[..rng.usize(0..4)]),
                        // anything
                        _ => {
                            for _ in 0..rng.usize(0..5) {
                                bytes.extend_from_slice(alphabet[rng.usize(..alphabet.len())]);
                            }
                        }
                    }
                }
                match rng.u8(0..8) {
                    0 => bytes.extend_from_slice(b"\r\n"),
                    1 => {}
                    _ => bytes.push(b'\n'),
                }
            }
            let want = by_csv(&bytes, delimiter);
            let (got, used_csv) = by_records(&bytes, delimiter);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&bytes));
            if !got.is_empty() {
                if used_csv {
                    mixed += 1;
                } else {
                    fast_only += 1;
                }
            }
        }
        // Both paths and their hand-overs were compared, not one of them only.
        assert!(
            fast_only > 300 && mixed > 300,
            "{fast_only} fast, {mixed} mixed"
        );
    }

    #[test]
    fn damaged_lines_go_to_the_csv_reader_and_back() {
        // An unclosed quote that swallows the next line, a quote inside an unquoted field,
        // text after a closing quote, blank lines, no final line end.
        let text = b"a,\"open\nstill\",b\nc\"d,e\n\"x\"y,z\n\n\nlast,\"q\"";
        let (got, used_csv) = by_records(text, b',');
        assert_eq!(got, by_csv(text, b','));
        assert!(used_csv);
    }
}

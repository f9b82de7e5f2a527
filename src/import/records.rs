//! The records of an in-memory chunk, as the csv crate reads them, with a fast path for the
//! plain lines that are nearly all of a CDR file.
//!
//! The csv crate's reader runs a state machine over every byte: about 15 instructions a byte,
//! 4,000 a row of Asterisk CSV, the largest single cost of an import. But nearly every line of a
//! CDR file is plain: one record on one line, each field either unquoted without quotes in it,
//! or quoted with its inner quotes doubled (`"""Anna"" <201>"`). Such a line is split here
//! (its end found with `memchr`, its quotes and delimiters marked 16 bytes at a time, see
//! [`Marks`]) into exactly the fields the csv crate gives, with the position (byte and line) it
//! gives. Every other line (blank, a quote inside an unquoted field or after a closing quote,
//! an unclosed quote that runs on into the next lines, the file's last line without a line end)
//! is handed to the csv crate's own reader, moved (`seek`) to where that record starts: what the
//! crate makes of a damaged line is the crate's answer, unchanged.
//! `fast_path_reads_what_the_csv_crate_reads` checks on random lines of quotes, delimiters, line
//! ends, carriage returns and invalid UTF-8 that both give the same records at the same
//! positions.

use super::fields::{Fields, Span, IN_COPY};
use csv::{ByteRecord, Position};
use std::io::Cursor;
use wide::u8x16;

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
    /// Where the quotes and delimiters of the line being split are (reused from line to line).
    marks: Marks,
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
            marks: Marks::default(),
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
    fn plain_line(&mut self, rec: &mut Record<'a>) -> Option<usize> {
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
        let marks = &mut self.marks;
        marks.scan(rest, line.len(), d);
        let (quote, stop) = (
            |from| marks.next(QUOTE, from),
            |from| marks.next(STOP, from),
        );
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
                    let q = quote(j)?;
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
                if doubled || !tail.is_empty() {
                    let from = rec.copy.len();
                    // Inside the quotes, quotes come in pairs: keep the first of each.
                    let mut k = open;
                    while let Some(q) = quote(k).filter(|&q| q < close) {
                        rec.copy.extend_from_slice(&line[k..q + 1]);
                        k = q + 2;
                    }
                    rec.copy.extend_from_slice(&line[k..close]);
                    rec.copy.extend_from_slice(tail);
                    rec.spans
                        .push((from as u32 | IN_COPY, rec.copy.len() as u32));
                } else {
                    rec.spans.push((open as u32, close as u32));
                }
                after + tail.len()
            } else {
                // Unquoted: up to the delimiter, with no quote in it.
                let stop = stop(i).unwrap_or(line.len());
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

/// Which marks [`Marks::next`] looks for: quotes only, or quotes and delimiters.
const QUOTE: usize = 0;
/// See [`QUOTE`].
const STOP: usize = 1;

/// Where a line's quotes and delimiters are: a bit for each byte, 64 bytes a word, found 16
/// bytes at a time (a vector compare and a `movemask`, from `wide`). A CDR line has a field
/// every dozen bytes: a `memchr` call for each paid its set-up for a short search about twenty
/// times a line, this pays a `trailing_zeros`.
#[derive(Default)]
struct Marks {
    /// For each 64 bytes of the line: `[QUOTE]` the quotes, `[STOP]` quotes and delimiters.
    words: Vec<[u64; 2]>,
}

impl Marks {
    /// Marks the quotes and `delimiter`s of the line that is the first `len` bytes of `buf`
    /// (the rest of the chunk: bytes past the line are read, not marked).
    fn scan(&mut self, buf: &[u8], len: usize, delimiter: u8) {
        let (quotes, delimiters) = (u8x16::splat(b'"'), u8x16::splat(delimiter));
        self.words.clear();
        self.words.extend((0..len).step_by(64).map(|at| {
            let block;
            let bytes = match buf.get(at..at + 64) {
                Some(b) => b,
                None => {
                    // The end of the chunk: padded with a byte that is neither a quote nor
                    // an (ASCII) delimiter.
                    let mut last = [0xFF; 64];
                    last[..buf.len() - at].copy_from_slice(&buf[at..]);
                    block = last;
                    &block
                }
            };
            let (mut q, mut s) = (0u64, 0u64);
            for (k, b) in bytes.chunks_exact(16).enumerate() {
                let v = u8x16::new(b.try_into().expect("sixteen bytes"));
                let quote = u64::from(v.simd_eq(quotes).to_bitmask());
                let delimiter = u64::from(v.simd_eq(delimiters).to_bitmask());
                q |= quote << (16 * k);
                s |= (quote | delimiter) << (16 * k);
            }
            if len - at < 64 {
                // Bytes past the line's end are not the line's.
                let keep = (1u64 << (len - at)) - 1;
                (q, s) = (q & keep, s & keep);
            }
            [q, s]
        }));
    }

    /// The first mark of `kind` ([`QUOTE`] or [`STOP`]) at or after `from`.
    fn next(&self, kind: usize, from: usize) -> Option<usize> {
        let mut w = from / 64;
        // Clear the bits before `from` in its word.
        let mut m = self.words.get(w)?[kind] & (!0u64 << (from % 64));
        while m == 0 {
            w += 1;
            m = self.words.get(w)?[kind];
        }
        Some(w * 64 + m.trailing_zeros() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as compared: its fields' bytes, byte offset, line, and what [`Fields`] makes
    /// of it (every field's text, repaired, blank).
    type Seen = (Vec<Vec<u8>>, u64, u64, (Vec<String>, bool, bool));

    fn view(f: &Fields<'_>) -> (Vec<String>, bool, bool) {
        // The bulk accessor agrees with the one-field one on every record read here.
        let first: [&str; 8] = f.first();
        assert_eq!(first.to_vec(), (0..8).map(|i| f.get(i)).collect::<Vec<_>>());
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
                            // Now and then long, so lines run over several 64-byte blocks.
                            let n = if rng.u8(0..8) == 0 { 40 } else { 4 };
                            for _ in 0..rng.usize(0..n) {
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
    fn marks_are_every_quote_and_delimiter_of_the_line_only() {
        // Every byte value at every offset, lines of every length up to three words, followed
        // by more bytes (the rest of a chunk) or by nothing.
        let mut rng = fastrand::Rng::with_seed(11);
        let mut marks = Marks::default();
        for case in 0..3000 {
            let len = case % 200;
            let buf: Vec<u8> = (0..len + rng.usize(0..80))
                .map(|_| match rng.u8(0..6) {
                    0 => b'"',
                    1 => b',',
                    _ => rng.u8(..),
                })
                .collect();
            let line = &buf[..len];
            marks.scan(&buf, len, b',');
            for from in 0..=len {
                let want_q = (from..len).find(|&i| line[i] == b'"');
                let want_s = (from..len).find(|&i| line[i] == b'"' || line[i] == b',');
                assert_eq!(marks.next(QUOTE, from), want_q, "{buf:?} {len} {from}");
                assert_eq!(marks.next(STOP, from), want_s, "{buf:?} {len} {from}");
            }
        }
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

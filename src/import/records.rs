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
//!
//! A plain line is split from its marks in one of two ways. Nearly every line is split from
//! bit masks alone ([`Marks::structure`], as simdjson finds a JSON text's structure: the running
//! parity of the quotes tells which delimiters separate fields and which quotes are doubled);
//! the few lines that shape does not cover (a carriage return after a closing quote) and the
//! ones that are not plain at all go through a loop that finds each quote and delimiter in turn
//! (`split_bytes`), which also decides which lines the csv reader must read.
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
    /// `plain` as text, when the chunk it was cut from is valid UTF-8 as a whole.
    plain_text: Option<&'a str>,
    spans: Vec<Span>,
    copy: Undoubled,
}

/// The fields of a plain line that held doubled quotes, undoubled, one after another: as text
/// when the line is text (its pieces are cut next to quotes, so they are text too and the copy
/// needs no check of its own: about 1.3 % of a month's audit went to checking it), as bytes
/// otherwise (checked with the line, see [`Fields::of_line`]).
#[derive(Default)]
struct Undoubled {
    text: String,
    bytes: Vec<u8>,
}

impl Undoubled {
    fn clear(&mut self) {
        self.text.clear();
        self.bytes.clear();
    }

    /// Bytes so far: a line fills one of the two buffers, the other stays empty.
    #[inline]
    fn len(&self) -> usize {
        self.text.len() + self.bytes.len()
    }

    /// Appends `line[a..b]`; `text`: the line as text, if it is. Every cut is next to a quote
    /// (an ASCII byte), so it is a character boundary of the text: `get` always finds it.
    #[inline]
    fn push(&mut self, line: &[u8], text: Option<&str>, a: usize, b: usize) {
        match text {
            Some(t) => {
                debug_assert!(t.is_char_boundary(a) && t.is_char_boundary(b));
                self.text.push_str(t.get(a..b).unwrap_or_default());
            }
            None => self.bytes.extend_from_slice(&line[a..b]),
        }
    }

    /// Appends an ASCII tail (a field's carriage return).
    #[inline]
    fn push_ascii(&mut self, text: Option<&str>, tail: &'static str) {
        match text {
            Some(_) => self.text.push_str(tail),
            None => self.bytes.extend_from_slice(tail.as_bytes()),
        }
    }

    /// The bytes, of whichever buffer the line filled.
    #[cfg(test)]
    fn as_bytes(&self) -> &[u8] {
        if self.bytes.is_empty() {
            self.text.as_bytes()
        } else {
            &self.bytes
        }
    }
}

impl Record<'_> {
    /// True when the record was a plain line: one record that ended at its line end.
    pub fn is_plain(&self) -> bool {
        !self.by_csv
    }

    /// The record's fields.
    pub fn fields(&self) -> Fields<'_> {
        match (self.by_csv, self.plain_text) {
            (true, _) => Fields::new(&self.csv),
            (false, Some(line)) => Fields::of_text_line(line, &self.copy.text, &self.spans),
            (false, None) => Fields::of_line(self.plain, &self.copy.bytes, &self.spans),
        }
    }
}

/// Reads the records of `bytes` one by one.
pub struct Records<'a> {
    bytes: &'a [u8],
    /// `bytes` as text when they are valid UTF-8 (nearly always): checked once here, so that
    /// a plain line, cut at its line end (an ASCII byte), is text without a check of its own.
    text: Option<&'a str>,
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
            text: simdutf8::basic::from_utf8(bytes).ok(),
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
        rec.plain = line;
        // Both ends are line boundaries (the chunk's start or just after a `\n`, and a `\n`):
        // character boundaries of valid text, so `get` finds the line.
        rec.plain_text = self.text.and_then(|t| t.get(self.at..self.at + line.len()));
        rec.spans.clear();
        rec.copy.clear();
        if d != b'"' && marks.structure(line.len()) {
            split_structured(marks, line, rec);
        } else {
            split_bytes(marks, line, d, rec)?;
        }
        Some(self.at + end + 1)
    }
}

/// Splits a plain line field by field, each quote and delimiter found by [`Marks::next`]:
/// the general case of [`Records::plain_line`], for the lines [`Marks::structure`] leaves
/// (a carriage return after a closing quote) and the ones it rejects (`None`: not plain).
fn split_bytes(marks: &Marks, line: &[u8], d: u8, rec: &mut Record<'_>) -> Option<()> {
    let (quote, stop) = (
        |from| marks.next(QUOTE, from),
        |from| marks.next(STOP, from),
    );
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
            let tail = match line.get(after) {
                None => "",
                Some(&c) if c == d => "",
                Some(b'\r') if after + 1 == line.len() => "\r",
                Some(_) => return None,
            };
            if doubled || !tail.is_empty() {
                let text = rec.plain_text;
                let from = rec.copy.len();
                // Inside the quotes, quotes come in pairs: keep the first of each.
                let mut k = open;
                while let Some(q) = quote(k).filter(|&q| q < close) {
                    rec.copy.push(line, text, k, q + 1);
                    k = q + 2;
                }
                rec.copy.push(line, text, k, close);
                rec.copy.push_ascii(text, tail);
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
    Some(())
}

/// Splits a line whose marks passed [`Marks::structure`]: each field runs from one field
/// delimiter to the next; one that starts with a quote is quoted (it ends with one too, and
/// holds doubled quotes only where [`PAIR`] marks them). The fields are the ones
/// [`split_bytes`] finds; the field ends come from one bit mask, walked in registers, instead
/// of a search for each quote and each delimiter.
fn split_structured(marks: &Marks, line: &[u8], rec: &mut Record<'_>) {
    let words = &marks.words;
    // Walks the field delimiters' bits in registers; `pair`: the next doubled quote.
    let (mut w, mut m) = (0, words[0][SEP]);
    let mut pair = marks.next(PAIR, 0).unwrap_or(usize::MAX);
    let mut start = 0;
    loop {
        let end = loop {
            if m != 0 {
                let e = w * 64 + m.trailing_zeros() as usize;
                m &= m - 1;
                break e;
            }
            w += 1;
            match words.get(w) {
                Some(x) => m = x[SEP],
                None => break line.len(),
            }
        };
        if start < end && line[start] == b'"' {
            // Quoted: `structure` saw its closing quote at `end - 1`.
            let (open, close) = (start + 1, end - 1);
            if pair < close {
                // Undoubled into the copy: of each `""`, the first quote is kept. The field's
                // closing quote is no pair's, so the next pair is past the field. The same
                // undoubling as `split_bytes`, but walking the pair marks: one helper for both
                // (by quote marks, then the next pair found again) cost 47 instructions a row.
                let text = rec.plain_text;
                let from = rec.copy.len();
                let mut k = open;
                while pair < close {
                    rec.copy.push(line, text, k, pair + 1);
                    k = pair + 2;
                    pair = marks.next(PAIR, k).unwrap_or(usize::MAX);
                }
                rec.copy.push(line, text, k, close);
                rec.spans
                    .push((from as u32 | IN_COPY, rec.copy.len() as u32));
            } else {
                rec.spans.push((open as u32, close as u32));
            }
        } else {
            rec.spans.push((start as u32, end as u32));
        }
        if end == line.len() {
            return;
        }
        start = end + 1;
    }
}

/// Which marks [`Marks::next`] looks for: quotes only, or quotes and delimiters.
const QUOTE: usize = 0;
/// See [`QUOTE`].
const STOP: usize = 1;
/// Field delimiters: the delimiters outside quotes (set by [`Marks::structure`]).
const SEP: usize = 2;
/// Doubled quotes: the first quote of each `""` inside a quoted field (set by
/// [`Marks::structure`]).
const PAIR: usize = 3;

/// Every bit of `x` from the lowest up is the parity of the set bits at and below it: bit i
/// of the result is set when an odd number of quotes stand at or before byte i.
fn prefix_xor(mut x: u64) -> u64 {
    for s in [1, 2, 4, 8, 16, 32] {
        x ^= x << s;
    }
    x
}

/// Where a line's quotes and delimiters are: a bit for each byte, 64 bytes a word, found 16
/// bytes at a time (a vector compare and a `movemask`, from `wide`). A CDR line has a field
/// every dozen bytes: a `memchr` call for each paid its set-up for a short search about twenty
/// times a line, this pays a `trailing_zeros`.
#[derive(Default)]
struct Marks {
    /// For each 64 bytes of the line: `[QUOTE]` the quotes, `[STOP]` quotes and delimiters;
    /// `[SEP]` and `[PAIR]` after [`Marks::structure`].
    words: Vec<[u64; 4]>,
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
            [q, s, 0, 0]
        }));
    }

    /// Reads the structure of the scanned line (`len` bytes) from its quote marks alone, as
    /// in simdjson: a byte is inside quotes when an odd number of quotes stand before it, so
    /// the running parity of the quotes tells opening quotes from closing ones, and the
    /// delimiters outside quotes are the field delimiters (`[SEP]`). True when the line is
    /// plain in the simple sense that [`split_structured`] can split it: every quote opens a
    /// field, closes one (before a field delimiter or at the line's end), or is half of a
    /// doubled quote inside one (`[PAIR]` marks those), and no quote is left open. Anything
    /// else (a quote in an unquoted field, text after a closing quote, a carriage return
    /// after one, an unclosed quote) is false: the byte loop decides as before.
    fn structure(&mut self, len: usize) -> bool {
        // Each word's closing quotes, opening quotes and field delimiters; `carry` is all ones
        // when the word before ended inside quotes.
        let mut carry = 0u64;
        let mut parts = |x: &[u64; 4]| {
            let (q, delimiters) = (x[QUOTE], x[STOP] & !x[QUOTE]);
            let inside = prefix_xor(q) ^ carry;
            carry = 0u64.wrapping_sub(inside >> 63);
            [q & !inside, q & inside, delimiters & !inside]
        };
        let words = &mut self.words;
        let n = words.len();
        let mut this = parts(&words[0]);
        let (mut prev_close, mut prev_sep) = (0u64, 1u64 << 63);
        let mut bad = 0u64;
        for w in 0..n {
            // The next word's masks first: a mark's neighbour may be in it.
            let next = words.get(w + 1).map_or([0; 3], &mut parts);
            let [close, open, sep] = this;
            let end = if w + 1 == n {
                1u64 << ((len - 1) % 64)
            } else {
                0
            };
            let starts = (sep << 1) | (prev_sep >> 63);
            let after_close = (close << 1) | (prev_close >> 63);
            let before_open = (open >> 1) | (next[1] << 63);
            let before_sep = (sep >> 1) | (next[2] << 63);
            // Each opening quote starts a field or follows a closing quote (the second half
            // of a doubled quote); each closing quote ends its field (before a field
            // delimiter or at the line's end) or precedes an opening one (the first half).
            bad |= open & !(starts | after_close);
            bad |= close & !(before_sep | end | before_open);
            words[w][SEP] = sep;
            words[w][PAIR] = close & before_open;
            (prev_close, prev_sep, this) = (close, sep, next);
        }
        // A quote left open: the record may run on into the next line.
        bad == 0 && carry == 0
    }

    /// The first mark of `kind` ([`QUOTE`], [`STOP`], or after [`Marks::structure`] [`SEP`] or
    /// [`PAIR`]) at or after `from`.
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
                    .map(|&s| {
                        let copy = rec.copy.as_bytes();
                        super::super::fields::span(rec.plain, copy, s).to_vec()
                    })
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
            b"\"",
            b",",
            b";",
            b"\n",
            b"\r",
            b" ",
            b"\xc3",
            b"a",
            b"\"\"",
            b"\r\n",
            "é".as_bytes(),
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
    fn lines_of_a_valid_chunk_are_text_without_a_check_of_their_own() {
        let line = "\"\"\"Jürgen\"\" <201>\",é,\"x\"\n";
        let read = |bytes: &[u8]| {
            let mut r = Records::new(bytes, b',');
            let mut rec = Record::default();
            let mut out = Vec::new();
            while r.read(&mut rec) {
                let f = rec.fields();
                let texts: Vec<String> = (0..f.len()).map(|i| f.get(i).to_string()).collect();
                out.push((rec.plain_text.is_some(), f.repaired(), texts));
            }
            out
        };
        let want = vec!["\"Jürgen\" <201>".to_string(), "é".into(), "x".into()];
        let valid = read(format!("{line}{line}").as_bytes());
        assert_eq!(valid, vec![(true, false, want.clone()); 2]);
        // One invalid byte anywhere in the chunk: every line is checked on its own again, and
        // only the damaged one is repaired.
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(b"M\xfcller,2,3\n");
        let mixed = read(&bytes);
        assert_eq!(mixed[0], (false, false, want));
        assert_eq!(
            mixed[1],
            (
                false,
                true,
                vec!["M\u{fffd}ller".into(), "2".into(), "3".into()]
            )
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
    fn structured_split_agrees_with_the_byte_loop() {
        // Random lines of quotes, doubled quotes, delimiters, carriage returns and letters,
        // some over several 64-byte words: wherever `structure` accepts a line, both splits
        // give the same fields; where it refuses one, the byte loop decides alone.
        let mut rng = fastrand::Rng::with_seed(23);
        let alphabet: &[&[u8]] = &[b"\"", b"\"\"", b",", b"\r", b"a", b"bc", b"\xc3"];
        let mut marks = Marks::default();
        let (mut accepted, mut refused, mut refused_plain) = (0, 0, 0);
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for f in 0..rng.usize(1..12) {
                if f > 0 {
                    line.push(b',');
                }
                let quoted = rng.u8(0..3) > 0;
                if quoted {
                    line.push(b'"');
                }
                let n = if rng.u8(0..6) == 0 { 40 } else { 3 };
                for _ in 0..rng.usize(0..n) {
                    let pick = if quoted && rng.bool() {
                        1
                    } else {
                        rng.usize(..alphabet.len())
                    };
                    line.extend_from_slice(alphabet[pick]);
                }
                if quoted && rng.u8(0..10) > 0 {
                    line.push(b'"');
                }
            }
            if rng.u8(0..6) == 0 {
                // A CRLF line: the byte loop keeps the CR in the last field.
                line.push(b'\r');
            }
            if line.is_empty() {
                continue;
            }
            marks.scan(&line, line.len(), b',');
            // The undoubled copy as text (when the line is text: half the time) or as bytes.
            let text = std::str::from_utf8(&line).ok().filter(|_| rng.bool());
            let (mut a, mut b) = (Record::default(), Record::default());
            (a.plain_text, b.plain_text) = (text, text);
            let by_bytes = split_bytes(&marks, &line, b',', &mut b);
            if marks.structure(line.len()) {
                accepted += 1;
                split_structured(&marks, &line, &mut a);
                assert!(by_bytes.is_some(), "{:?}", String::from_utf8_lossy(&line));
                let texts = |r: &Record<'_>| -> Vec<Vec<u8>> {
                    r.spans
                        .iter()
                        .map(|&s| {
                            let copy = r.copy.as_bytes();
                            super::super::fields::span(&line, copy, s).to_vec()
                        })
                        .collect()
                };
                assert_eq!(texts(&a), texts(&b), "{:?}", String::from_utf8_lossy(&line));
            } else {
                refused += 1;
                refused_plain += usize::from(by_bytes.is_some());
            }
        }
        // Both outcomes were met, and refusals the byte loop still splits (a carriage return
        // after a closing quote) among them.
        assert!(
            accepted > 3000 && refused > 3000 && refused_plain > 100,
            "{accepted} accepted, {refused} refused, {refused_plain} of them plain"
        );
    }

    #[test]
    fn cdr_lines_take_the_structured_split() {
        // The lines the split from masks exists for (Asterisk's, quoted fields with a doubled
        // quote in the caller id, unquoted durations; FreeSWITCH's, all unquoted) are accepted
        // by it: a change that sent them back to the byte loop would pass every other test.
        let lines: [&[u8]; 3] = [
            b"\"\",\"9441\",\"1540\",\"from-internal\",\"\"\"Ben\"\" <9441>\",\"PJSIP/9441-00000007\",\"PJSIP/1540-00000006\",\"Dial\",\"PJSIP/1540,20,tr\",\"2026-10-05 08:05:02\",\"2026-10-05 08:05:18\",\"2026-10-05 08:09:48\",286,270,\"ANSWERED\",\"DOCUMENTATION\",\"1791187502.3\",\"\"",
            b"\"\",\"015159848420\",\"2526\",\"from-trunk\",\"\"\"\"\" <015159848420>\",\"PJSIP/telekom-00000002\",\"PJSIP/2526-00000003\",\"Dial\",\"PJSIP/2526,30,tr\",\"2026-10-05 08:05:01\",,\"2026-10-05 08:05:12\",11,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1791187501.1\",\"\"",
            b"1001,1001,0049301234,default,2026-10-05 08:05:01,2026-10-05 08:05:09,2026-10-05 08:06:01,60,52,NORMAL_CLEARING",
        ];
        let mut marks = Marks::default();
        for line in lines {
            marks.scan(line, line.len(), b',');
            assert!(
                marks.structure(line.len()),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let (got, used_csv) = by_records(&[lines[0], lines[1], b""].join(&b'\n'), b',');
        assert!(!used_csv);
        assert_eq!(got[0].3 .0[4], "\"Ben\" <9441>");
        assert_eq!(got[1].3 .0[4], "\"\" <015159848420>");
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

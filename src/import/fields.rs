//! A CSV record's fields as `&str`, decoding UTF-8 without a copy in the normal case.
//!
//! CDRs carry caller names in whatever encoding the phone sent (Latin-1 is common). A row with
//! bytes that are not UTF-8 is read with replacement characters and counted as repaired, not
//! rejected: the call is real, only its display name is damaged.

use csv::ByteRecord;

/// The fields of one record.
pub struct Fields<'a> {
    rec: &'a ByteRecord,
    text: Text<'a>,
}

/// How a record's text is held.
enum Text<'a> {
    /// Valid UTF-8, fields sliced out of it: one check a row.
    Valid(&'a str),
    /// Invalid bytes replaced, field by field.
    Repaired(Vec<String>),
}

impl<'a> Fields<'a> {
    /// Wraps a record; copies only when it holds invalid UTF-8.
    pub fn new(rec: &'a ByteRecord) -> Self {
        // Valid as a whole *and* at every field boundary: two invalid halves in adjacent fields
        // (`\xC3` `,` `\xA9`) concatenate to a valid character, but neither field is text.
        // In ASCII text (nearly every CDR) every byte is a character boundary: no field check.
        let valid = std::str::from_utf8(rec.as_slice()).ok().filter(|t| {
            t.is_ascii()
                || (0..rec.len()).all(|i| {
                    rec.range(i)
                        .is_some_and(|r| t.is_char_boundary(r.start) && t.is_char_boundary(r.end))
                })
        });
        let text = match valid {
            Some(t) => Text::Valid(t),
            None => Text::Repaired(
                rec.iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            ),
        };
        Fields { rec, text }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.rec.len()
    }

    /// True when the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.rec.is_empty()
    }

    /// True when invalid UTF-8 was replaced.
    pub fn repaired(&self) -> bool {
        matches!(self.text, Text::Repaired(_))
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

    fn raw(&self, i: usize) -> &str {
        match &self.text {
            Text::Valid(text) => self.rec.range(i).and_then(|r| text.get(r)).unwrap_or(""),
            Text::Repaired(v) => v.get(i).map(String::as_str).unwrap_or(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

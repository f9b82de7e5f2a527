//! String helpers of the per-row hot path.
//!
//! A CDR row is trimmed a dozen times on its way to a call (each field, each channel, the
//! caller id). `str::trim` decodes characters from both ends through a generic pattern search;
//! nearly every field starts and ends with a visible ASCII character, which one byte check each
//! settles.

/// `trim` with a fast path for the common case.
pub trait FastTrim {
    /// The same as [`str::trim`] (Unicode white space at both ends removed).
    fn trim_fast(&self) -> &str;
}

impl FastTrim for str {
    #[inline]
    fn trim_fast(&self) -> &str {
        let b = self.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => self,
            (None, _) => self,
            _ => self.trim(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_trim() {
        for s in [
            "",
            " ",
            "201",
            " 201",
            "201 ",
            "\t201\r\n",
            "\u{a0}201\u{2003}",
            "é",
            " é ",
            "a\u{a0}",
            "\u{feff}x",
            "x y",
            "\u{85}",
        ] {
            assert_eq!(s.trim_fast(), s.trim(), "{s:?}");
        }
    }
}

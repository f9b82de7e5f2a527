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

/// `s.split_once(sep)` for an ASCII separator, by a plain byte scan: channel names are a few
/// bytes long, too short for the generic character search to pay off. Cutting at an ASCII byte
/// always lands on a character boundary.
#[inline]
pub fn split_ascii(s: &str, sep: u8) -> Option<(&str, &str)> {
    debug_assert!(sep.is_ascii());
    let i = s.bytes().position(|b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_ascii_agrees_with_split_once() {
        for s in ["", "/", "a/b", "PJSIP/201/x", "é/ü", "no-sep", "@x@", "/é"] {
            for sep in [b'/', b'@'] {
                assert_eq!(split_ascii(s, sep), s.split_once(sep as char), "{s:?}");
            }
        }
    }

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

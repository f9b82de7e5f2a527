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
        if self.is_empty() || graphic_ends(self) {
            self
        } else {
            trim_spaces_first(self)
        }
    }
}

/// True when `s` starts and ends with a visible ASCII character (false when empty): no white
/// space at either end to trim.
#[inline]
fn graphic_ends(s: &str) -> bool {
    let b = s.as_bytes();
    matches!((b.first(), b.last()), (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic())
}

/// [`str::trim`], with ASCII spaces (the white space CDRs hold: the name before `<number>` in a
/// caller id, padded columns) stripped by a byte loop first: `trim`'s generic character search
/// cost about 64 instructions a row on the caller name alone. Spaces are white space and ASCII,
/// so what is left trims to the same text, and the cuts fall on character boundaries.
fn trim_spaces_first(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut from, mut to) = (0, b.len());
    while from < to && b[from] == b' ' {
        from += 1;
    }
    while to > from && b[to - 1] == b' ' {
        to -= 1;
    }
    let t = &s[from..to];
    if graphic_ends(t) {
        t
    } else {
        t.trim()
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
            "\"Anna\" ",
            "\x0ba\x0c",
            "\x1fa\x1f",
            " \u{3000}x\u{a0} ",
            "   ",
            "\r",
            " é",
            "\u{2003} ",
        ] {
            assert_eq!(s.trim_fast(), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn trim_fast_agrees_with_trim_on_random_strings() {
        // Every ASCII byte and a few Unicode spaces and non-spaces, at both ends.
        let alphabet: Vec<char> = (0u8..128)
            .map(char::from)
            .chain([
                '\u{a0}', '\u{85}', '\u{3000}', '\u{2028}', 'é', '\u{feff}', '\u{1680}',
            ])
            .collect();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let n = rng.usize(0..7);
            let s: String = (0..n)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            assert_eq!(s.trim_fast(), s.trim(), "{s:?}");
        }
        // Runs of spaces next to other white space, as padded columns and caller ids hold.
        let spaced = [
            ' ', ' ', ' ', '\t', 'a', '"', '\u{a0}', 'é', '\u{3000}', '\r',
        ];
        for _ in 0..20_000 {
            let n = rng.usize(0..9);
            let s: String = (0..n).map(|_| spaced[rng.usize(..spaced.len())]).collect();
            assert_eq!(s.trim_fast(), s.trim(), "{s:?}");
        }
    }
}

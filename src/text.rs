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

/// The bytes of `b` (at most 8) as one word, the first byte lowest, zero-padded above. Built
/// from whole-word loads (overlapping where the length is not 4 or 8), not by copying into a
/// padded buffer: that copy's length varies, so it became a `memcpy` call.
///
/// # Panics
/// When `b` is longer than 8 bytes.
#[inline(always)]
pub fn le_word(b: &[u8]) -> u64 {
    let n = b.len();
    match n {
        0 => 0,
        1..=3 => b.iter().rev().fold(0, |w, &c| w << 8 | u64::from(c)),
        4..=7 => {
            let head = u64::from(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
            let tail = u64::from(u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")));
            head | tail << (8 * (n - 4))
        }
        _ => u64::from_le_bytes(b.try_into().expect("at most 8 bytes")),
    }
}

/// A word of bytes (as [`le_word`] makes them) with every ASCII capital letter made small, all
/// eight bytes at once; other bytes, non-ASCII ones included, stay as they are.
#[inline]
pub fn ascii_lower_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte's low seven bits plus a constant sets the byte's high bit exactly when those
    // bits are at least `A` (at least `[`); a byte of at most 0x7F plus at most 0x3F carries
    // into no other byte. Bytes with their own high bit set are not ASCII: left out.
    let low7 = w & (0x7F * ONES);
    let from_a = low7 + u64::from(0x80 - b'A') * ONES;
    let past_z = low7 + u64::from(0x80 - b'Z' - 1) * ONES;
    let capitals = from_a & !past_z & !w & (0x80 * ONES);
    // 0x80 >> 2 is 0x20, the bit that makes a capital small.
    w | capitals >> 2
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
    fn words_hold_the_bytes_and_lower_only_capitals() {
        // Every byte value at every place of words of every length, beside random bytes.
        let mut rng = fastrand::Rng::with_seed(8);
        for n in 0..=8usize {
            for at in 0..n {
                for v in 0..=255u8 {
                    let mut b: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
                    b[at] = v;
                    let mut padded = [0u8; 8];
                    padded[..n].copy_from_slice(&b);
                    assert_eq!(le_word(&b), u64::from_le_bytes(padded), "{b:?}");
                    let lower: Vec<u8> = padded.iter().map(u8::to_ascii_lowercase).collect();
                    assert_eq!(
                        ascii_lower_word(le_word(&b)).to_le_bytes().to_vec(),
                        lower,
                        "{b:?}"
                    );
                }
            }
        }
        assert_eq!(le_word(b""), 0);
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

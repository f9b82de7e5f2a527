//! The parallel reader's lookup copy of the run's string table ([`Known`]), and the short-string
//! key ([`Short`]) that both it and the per-row memo of [`super::parallel`] compare.
//!
//! A month repeats the same numbers, names and channels: nearly every string field of a row is
//! found in the table, so this lookup runs about five times a row. The table of a large PBX
//! (tens of thousands of strings) does not fit a core's cache, and looking a string up in the
//! interner itself touched four places in memory: the hash table's control bytes, its bucket
//! (a handle), the handle's entry in the string list and the string's bytes, each a likely
//! cache miss (`perf` put most of the lookup's samples on those loads). Here a string of up to
//! [`INLINE`] bytes (nearly all: numbers, extensions, channel names, names) is itself the key of
//! the hash table, so a lookup compares two words instead of calling `memcmp`. Looking strings up
//! (with the per-row memo) fell from 24 % to 18 % of `perf`'s samples of a 5M-row audit. A first
//! version with 23-byte keys (32-byte buckets) built its keys with a `memcpy` call and gained
//! nothing. The short keys live in [`Slots`], whose one slot per lookup can be prefetched: the
//! reader looks a chunk's strings up in one run, fetching ahead (see [`super::parallel`]).

use super::slots::Slots;
use crate::intern::Interner;
use rustc_hash::FxHashMap;

/// Strings up to this many bytes are [`Short`] keys.
pub const INLINE: usize = 15;

/// A string of up to [`INLINE`] bytes as a fixed-size key: its bytes, zero-padded, and its
/// length in the last byte (so `"a"` and `"a\0"` differ), as two words: a bucket of the table
/// is 24 bytes, and comparing keys is two compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Short([u64; 2]);

impl Short {
    /// The empty string's key (all zero).
    pub const EMPTY: Short = Short([0, 0]);

    /// The key's two words (the hash of [`Slots`] reads them).
    pub fn words(&self) -> [u64; 2] {
        self.0
    }

    /// A key from its words (tests of tables build keys no string gives).
    #[cfg(test)]
    pub fn from_words(words: [u64; 2]) -> Short {
        Short(words)
    }

    /// The string whose key this is, written into `buf`.
    pub fn text<'b>(&self, buf: &'b mut [u8; 16]) -> &'b str {
        buf[..8].copy_from_slice(&self.0[0].to_le_bytes());
        buf[8..].copy_from_slice(&self.0[1].to_le_bytes());
        let n = usize::from(buf[15]).min(INLINE);
        std::str::from_utf8(&buf[..n]).expect("a key is made from a whole string")
    }

    /// The key of `s`; `None` when it is longer than [`INLINE`] bytes.
    pub fn of(s: &str) -> Option<Short> {
        let b = s.as_bytes();
        let n = b.len();
        // Built from whole-word loads (overlapping where the string is not a multiple of the
        // load), not by copying into a padded buffer: that copy's length varies, so it became
        // a `memcpy` call a field, which cost more than the lookup saved.
        let (lo, hi) = match n {
            0..=8 => (crate::text::le_word(b), 0),
            9..=INLINE => {
                let head = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
                let tail = u64::from_le_bytes(b[n - 8..].try_into().expect("8 bytes"));
                (head, tail >> (8 * (16 - n)))
            }
            _ => return None,
        };
        Some(Short([lo, hi | (n as u64) << 56]))
    }
}

/// A copy of an [`Interner`] as it was, for looking handles up (not for resolving them).
#[derive(Debug, Default)]
pub struct Known {
    /// Strings of up to [`INLINE`] bytes (a table whose lookups can be prefetched).
    short: Slots,
    /// Longer strings.
    long: FxHashMap<Box<str>, u32>,
    /// Strings in the table when copied.
    len: usize,
}

impl Known {
    /// A copy of `table`. Its handles stay valid in `table`, which only grows.
    pub fn of(table: &Interner) -> Known {
        let mut known = Known {
            len: table.len(),
            short: Slots::with_capacity(table.len()),
            long: FxHashMap::default(),
        };
        for (i, s) in table.strings().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 strings");
            match Short::of(s) {
                Some(k) => known.short.insert(k, i),
                None => {
                    known.long.insert(s.into(), i);
                }
            }
        }
        known
    }

    /// Number of strings copied.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the copied table was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The handle index ([`crate::intern::Sym::index`]) of `s` (not empty).
    pub fn get(&self, s: &str) -> Option<u32> {
        match Short::of(s) {
            Some(k) => self.short.get(&k),
            None => self.long.get(s).copied(),
        }
    }

    /// [`Known::get`] of the (non-empty) string whose key is `key`. `#[inline]`: it runs about
    /// five times a row, and a release build that placed the lookup in another codegen unit
    /// called it instead.
    #[inline]
    pub fn get_short(&self, key: &Short) -> Option<u32> {
        self.short.get(key)
    }

    /// Starts fetching what [`Known::get_short`] of `key` will read (a hint only).
    #[inline]
    pub fn prefetch(&self, key: &Short) {
        self.short.prefetch(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_the_zero_padded_bytes_and_the_length() {
        // The definition, by copying into a padded buffer; checked at every length (each
        // load-and-overlap case and its edges) with bytes that differ at every position.
        fn reference(b: &[u8]) -> [u64; 2] {
            let mut k = [0u8; 16];
            k[..b.len()].copy_from_slice(b);
            k[15] = b.len() as u8;
            let word = |i: usize| u64::from_le_bytes(k[i * 8..i * 8 + 8].try_into().unwrap());
            [word(0), word(1)]
        }
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..=INLINE {
            for from in 0..8 {
                let s = &text[from..from + n];
                assert_eq!(Short::of(s), Some(Short(reference(s.as_bytes()))), "{s:?}");
            }
        }
        assert_eq!(Short::of(&text[..INLINE + 1]), None);
        assert_eq!(Short::of("ü"), Some(Short(reference("ü".as_bytes()))));
    }

    #[test]
    fn every_string_of_the_table_is_found_with_its_handle() {
        let mut table = Interner::new();
        let long = "x".repeat(INLINE + 1);
        let edge = "y".repeat(INLINE);
        let strings = [
            "PJSIP/201",
            "a",
            "a\0",
            "ü-ß",
            &long,
            &edge,
            "0049301234567",
        ];
        let syms: Vec<_> = strings.iter().map(|s| table.intern(s)).collect();
        let known = Known::of(&table);
        assert_eq!(known.len(), strings.len());
        for (s, sym) in strings.iter().zip(&syms) {
            let got = known.get(s);
            assert_eq!(got.map(|i| i as usize), sym.index(), "{s:?}");
        }
        for s in ["PJSIP/20", "b", "a\0\0", &"x".repeat(INLINE + 2)] {
            assert_eq!(known.get(s), None, "{s:?}");
        }
        assert!(Short::of(&long).is_none() && Short::of(&edge).is_some());
        let mut buf = [0; 16];
        for s in strings.iter().filter(|s| s.len() <= INLINE) {
            assert_eq!(Short::of(s).unwrap().text(&mut buf), *s);
            assert_eq!(known.get_short(&Short::of(s).unwrap()), known.get(s));
        }
        assert_ne!(Short::of("a"), Short::of("a\0"));
        assert_ne!(Short::of(""), Short::of("\0"));
    }
}

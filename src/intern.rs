//! String interning for the normalized call table.
//!
//! A month of a large PBX has millions of rows but only thousands of distinct channels, numbers and
//! contexts, so every string field of [`crate::call::Call`] is a 4-byte [`Sym`] into one
//! [`Interner`]. The empty string is always [`Sym::EMPTY`], so "absent" costs nothing.

use lasso::{Key, Rodeo, Spur};
use rustc_hash::FxBuildHasher;

/// A handle to an interned string. `Sym::EMPTY` is the empty string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(Option<Spur>);

impl Sym {
    /// The empty string.
    pub const EMPTY: Sym = Sym(None);

    /// True for the empty string.
    pub fn is_empty(self) -> bool {
        self.0.is_none()
    }

    /// The handle's position in its interner (0 for the first string); `None` for the empty
    /// string.
    pub fn index(self) -> Option<usize> {
        self.0.map(|k| k.into_usize())
    }

    /// The handle at `index` (as returned by [`Sym::index`]); `None` when out of range.
    pub fn from_index(index: usize) -> Option<Sym> {
        Spur::try_from_usize(index).map(|k| Sym(Some(k)))
    }
}

impl Default for Sym {
    fn default() -> Self {
        Sym::EMPTY
    }
}

/// Owns the interned strings of one run.
#[derive(Clone)]
pub struct Interner {
    // Fx instead of SipHash: keys are our own CDR fields, hashed once per field per row, and
    // HashDoS resistance buys nothing for a batch tool reading a file once.
    rodeo: Rodeo<Spur, FxBuildHasher>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            rodeo: Rodeo::with_hasher(FxBuildHasher),
        }
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} strings)", self.rodeo.len())
    }
}

impl Interner {
    /// Creates an empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns `s`, returning its handle (the same handle for equal strings).
    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            Sym::EMPTY
        } else {
            Sym(Some(self.rodeo.get_or_intern(s)))
        }
    }

    /// Returns the handle of `s` if it was interned before.
    pub fn get(&self, s: &str) -> Option<Sym> {
        if s.is_empty() {
            Some(Sym::EMPTY)
        } else {
            self.rodeo.get(s).map(|k| Sym(Some(k)))
        }
    }

    /// Resolves a handle to its string.
    pub fn resolve(&self, sym: Sym) -> &str {
        match sym.0 {
            None => "",
            Some(k) => self.rodeo.resolve(&k),
        }
    }

    /// The strings in handle order: the `n`th has [`Sym::index`] `n`.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.rodeo.strings()
    }

    /// Number of distinct non-empty strings.
    pub fn len(&self) -> usize {
        self.rodeo.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.rodeo.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_a_handle_and_empty_is_free() {
        let mut i = Interner::new();
        let a = i.intern("PJSIP/201");
        let b = i.intern("PJSIP/201");
        assert_eq!(a, b);
        assert_eq!(i.intern(""), Sym::EMPTY);
        assert_eq!(i.resolve(a), "PJSIP/201");
        assert_eq!(i.resolve(Sym::EMPTY), "");
        assert_eq!(i.len(), 1);
        assert_eq!(std::mem::size_of::<Sym>(), 4);
        assert_eq!(a.index(), Some(0));
        assert_eq!(Sym::from_index(0), Some(a));
        assert_eq!(Sym::EMPTY.index(), None);
    }
}

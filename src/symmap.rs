//! [`SymIds`]: ids keyed by an interned string's handle and a small tag, in a vector indexed by
//! the handle instead of a hash map.
//!
//! The importer's ordered commit asks, for every row, which number id its destination has and
//! which subject id its (kind, name) has. Handles are dense (0, 1, 2... in order of first use),
//! so the answer can sit at the handle's position: one load, no hashing, and 4 bytes per string
//! and tag (a month of a large PBX: about 30,000 strings, 120 KB a tag), which stays in a core's
//! cache better than a hash map's buckets. In a 5M-row audit the two hash maps this replaces
//! took about 3.5 % of `perf`'s samples, their replacement about 2 %.

use crate::intern::Sym;

/// A map from (handle, tag) to a `u32` id, tags below `TAGS`.
#[derive(Debug, Clone)]
pub struct SymIds<const TAGS: usize> {
    /// `slots[tag][slot(sym)]`: the id, or [`NONE`]. One vector per tag, not the tags of a
    /// handle side by side: a month's subjects are nearly all of one kind, and interleaving
    /// the kinds spread that kind's slots over four times the cache lines.
    slots: [Vec<u32>; TAGS],
}

/// A free slot. Ids are indices of vectors of far fewer than 2^32 entries.
const NONE: u32 = u32::MAX;

impl<const TAGS: usize> Default for SymIds<TAGS> {
    fn default() -> Self {
        SymIds {
            slots: std::array::from_fn(|_| Vec::new()),
        }
    }
}

impl<const TAGS: usize> SymIds<TAGS> {
    /// Where `sym` lives in its tag's vector: the empty string at 0, handle `i` at `i + 1`.
    fn at(sym: Sym) -> usize {
        sym.index().map_or(0, |i| i + 1)
    }

    /// The id of `(sym, tag)`, if one was inserted. Panics when `tag` is not below `TAGS`.
    pub fn get(&self, sym: Sym, tag: usize) -> Option<u32> {
        self.slots[tag]
            .get(Self::at(sym))
            .copied()
            .filter(|&id| id != NONE)
    }

    /// Sets the id of `(sym, tag)`. `id` must not be `u32::MAX`.
    pub fn insert(&mut self, sym: Sym, tag: usize, id: u32) {
        assert!(id != NONE, "id u32::MAX is the free-slot mark");
        let (at, slots) = (Self::at(sym), &mut self.slots[tag]);
        if at >= slots.len() {
            // `resize` reserves as a push does (amortized), so growing one handle at a time
            // costs no more than a `Vec` push.
            slots.resize(at + 1, NONE);
        }
        slots[at] = id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intern::Interner;
    use std::collections::HashMap;

    #[test]
    fn answers_as_a_hash_map_does_for_every_handle_and_tag() {
        let mut table = Interner::new();
        let syms: Vec<Sym> = (0..500)
            .map(|i| table.intern(&format!("s{i}")))
            .chain([Sym::EMPTY])
            .collect();
        let mut rng = fastrand::Rng::with_seed(5);
        let mut ids = SymIds::<3>::default();
        let mut want = HashMap::new();
        for n in 0..2000u32 {
            let (sym, tag) = (syms[rng.usize(..syms.len())], rng.usize(..3));
            ids.insert(sym, tag, n);
            want.insert((sym, tag), n);
            let (sym, tag) = (syms[rng.usize(..syms.len())], rng.usize(..3));
            assert_eq!(ids.get(sym, tag), want.get(&(sym, tag)).copied());
        }
        for &sym in &syms {
            for tag in 0..3 {
                assert_eq!(ids.get(sym, tag), want.get(&(sym, tag)).copied());
            }
        }
    }
}

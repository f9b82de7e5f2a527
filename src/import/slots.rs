//! [`Slots`]: the hash table of [`Short`] keys in [`super::known::Known`], laid out so that a
//! lookup can be announced ahead of time ([`Slots::prefetch`]).
//!
//! The parallel reader looks up about five strings a row in a table of tens of thousands of
//! strings, which does not stay in a core's cache while the file streams through it: `perf`
//! put two thirds of the lookups' samples on the one load of the bucket, a cache miss each,
//! waited for one after the other. A hash table whose layout is private (hashbrown's) cannot be
//! asked to fetch a key's bucket early. Here a key's first slot is a function of the key alone
//! (open addressing, linear probing), so the reader computes it for keys it will look up a few
//! dozen lookups later and asks the CPU to fetch that line now: the misses overlap instead of
//! queueing. Slots are 32 bytes and aligned, two to a cache line, and the table is kept at most
//! half full, so a hit is nearly always in the prefetched line.

use super::known::Short;

/// One slot: a key (all-zero: free) and its value.
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Slot {
    key: Short,
    value: u32,
}

/// The key of a free slot: the empty string's, which is never stored (see [`Slots::insert`]).
const FREE: Short = Short::EMPTY;

/// An insert-only hash map from non-empty [`Short`] keys to `u32` values.
pub struct Slots {
    slots: Box<[Slot]>,
    /// `slots.len() - 1` (a power of two, minus one).
    mask: usize,
    /// `64 - log2(slots.len())`: the hash's top bits pick the first slot.
    shift: u32,
    /// Odd multiplier of the hash, drawn per table: a file cannot be written to make its own
    /// strings collide (attackers write caller names), which would turn probes into scans.
    mul: u64,
    len: usize,
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slots({} of {})", self.len, self.slots.len())
    }
}

impl Default for Slots {
    fn default() -> Self {
        Slots::with_capacity(0)
    }
}

impl Slots {
    /// A table for `n` keys: twice as many slots (a power of two, at least 16), so it stays at
    /// most half full while it holds `n`.
    pub fn with_capacity(n: usize) -> Slots {
        let size = n.saturating_mul(2).max(16).next_power_of_two();
        Slots {
            slots: vec![Slot::default(); size].into_boxed_slice(),
            mask: size - 1,
            shift: 64 - size.trailing_zeros(),
            mul: fastrand::u64(..) | 1,
            len: 0,
        }
    }

    /// The first slot to probe for `key`: both words multiplied through, top bits taken
    /// (multiplicative hashing: the top bits depend on every bit of the key).
    #[inline]
    fn home(&self, key: &Short) -> usize {
        let [lo, hi] = key.words();
        ((lo.wrapping_mul(self.mul) ^ hi).wrapping_mul(self.mul) >> self.shift) as usize
    }

    /// Inserts `key` with `value` (replacing an earlier value). The empty string's key is not
    /// stored (it marks free slots): the reader never looks it up. The table grows to stay at
    /// most half full.
    pub fn insert(&mut self, key: Short, value: u32) {
        if key == FREE {
            return;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mut i = self.home(&key);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == FREE {
                *slot = Slot { key, value };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.value = value;
                return;
            }
            i = (i + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, Slots::with_capacity(self.slots.len()));
        for s in old.slots.iter().filter(|s| s.key != FREE) {
            self.insert(s.key, s.value);
        }
    }

    /// The value of `key` (not the empty string's).
    #[inline]
    pub fn get(&self, key: &Short) -> Option<u32> {
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.key == *key {
                return Some(slot.value);
            }
            if slot.key == FREE {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Asks the CPU to bring `key`'s first slot into the cache, for a [`Slots::get`] a little
    /// later. Only a hint: it changes no result.
    #[inline]
    pub fn prefetch(&self, key: &Short) {
        let slot: *const Slot = &self.slots[self.home(key)];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint that never faults and reads nothing the program sees;
        // the address is that of a live slot of this table anyway. SSE (which has the
        // instruction) is part of the x86_64 baseline.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(slot.cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn answers_as_a_hash_map_does() {
        // Keys that differ in one byte, in the length only, or share a first slot; enough of
        // them that the table grows several times and probes wrap around its end.
        let mut t = Slots::with_capacity(0);
        let mut reference = HashMap::new();
        let mut strings: Vec<String> = (0..5000).map(|i| format!("{i:07}")).collect();
        strings.extend(["a", "a\0", "\0", "ü", "PJSIP/201", "123456789012345"].map(String::from));
        for (v, s) in strings.iter().enumerate() {
            let k = Short::of(s).unwrap();
            t.insert(k, v as u32);
            reference.insert(k, v as u32);
        }
        t.insert(Short::of("0000001").unwrap(), 99);
        reference.insert(Short::of("0000001").unwrap(), 99);
        assert_eq!(t.len, reference.len());
        assert!(t.len * 2 <= t.slots.len());
        for s in strings
            .iter()
            .map(String::as_str)
            .chain(["b", "0000000 ", "12345678901234"])
        {
            let k = Short::of(s).unwrap();
            t.prefetch(&k);
            assert_eq!(t.get(&k), reference.get(&k).copied(), "{s:?}");
        }
        t.insert(FREE, 7);
        assert_eq!(t.len, reference.len(), "the empty string is not stored");
    }

    #[test]
    fn a_full_run_of_slots_wraps_around_the_end() {
        // Every key in the last slot's place: the probes must wrap to the table's start.
        let mut t = Slots::with_capacity(4);
        t.mul = 1;
        let n = t.slots.len();
        let keys: Vec<Short> = (1..=(n / 2) as u64)
            .map(|i| Short::from_words([i, u64::MAX]))
            .collect();
        assert!(keys.iter().all(|k| t.home(k) == n - 1));
        for (v, k) in keys.iter().enumerate() {
            t.insert(*k, v as u32);
        }
        assert_eq!(t.slots.len(), n, "no growth at half full");
        for (v, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k), Some(v as u32));
        }
        assert_eq!(t.get(&Short::from_words([0, u64::MAX])), None);
    }
}

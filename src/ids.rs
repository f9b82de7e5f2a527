//! Call ids (Asterisk `uniqueid`/`linkedid`, FreeSWITCH and Teams UUIDs, CUCM call ids): kept
//! in a plain append-only store, not in the [`crate::intern::Interner`].
//!
//! Nearly every row has its own call id, so interning them buys no sharing and costs a hash
//! table entry, a hash and a comparison per row: on a 5-million-row month that was the largest
//! single cost of the import and about 200 MB. Here an id costs its bytes plus one offset, and
//! storing one is a copy. The few places that compare ids (the legs of one call, continued
//! Avaya segments) compare the strings.

/// A handle to a stored id. [`IdRef::EMPTY`] is the empty id (absent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdRef(u32);

impl IdRef {
    /// The absent (empty) id.
    pub const EMPTY: IdRef = IdRef(0);

    /// True for the absent id.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The ids of one run (or of one chunk being read in parallel, appended in order later).
#[derive(Clone, Debug)]
pub struct IdStore {
    bytes: String,
    /// `ends[k]` is the end in `bytes` of the id `IdRef(k)`; `ends[0] == 0` stands for the empty
    /// id, so id `k` spans `ends[k - 1]..ends[k]`. `u64`: one run may hold more than 4 GB of ids.
    ends: Vec<u64>,
}

impl Default for IdStore {
    fn default() -> Self {
        IdStore {
            bytes: String::new(),
            ends: vec![0],
        }
    }
}

impl IdStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `s` and returns its handle; the empty string is [`IdRef::EMPTY`] and stores
    /// nothing.
    ///
    /// # Panics
    /// After 4,294,967,295 ids in one store (rows are counted in `u32` everywhere).
    pub fn push(&mut self, s: &str) -> IdRef {
        if s.is_empty() {
            return IdRef::EMPTY;
        }
        let k = u32::try_from(self.ends.len()).expect("more than 4 billion call ids");
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len() as u64);
        IdRef(k)
    }

    /// The id behind a handle (`""` for [`IdRef::EMPTY`] and for handles of another store).
    pub fn get(&self, r: IdRef) -> &str {
        let k = r.0 as usize;
        if k == 0 || k >= self.ends.len() {
            return "";
        }
        &self.bytes[self.ends[k - 1] as usize..self.ends[k] as usize]
    }

    /// Number of stored (non-empty) ids.
    pub fn len(&self) -> usize {
        self.ends.len() - 1
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends every id of `other` (a chunk's store); `other`'s handle `r` becomes
    /// [`IdStore::rebase`]`(r, base)` with the returned `base`.
    pub fn append(&mut self, other: &IdStore) -> u32 {
        let base = (self.ends.len() - 1) as u32;
        let offset = self.bytes.len() as u64;
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends[1..].iter().map(|e| e + offset));
        base
    }

    /// The handle in the appended-to store of a handle `r` of a store appended at `base`.
    pub fn rebase(r: IdRef, base: u32) -> IdRef {
        if r.is_empty() {
            r
        } else {
            IdRef(r.0 + base)
        }
    }

    /// Bytes held (for memory accounting in benchmarks).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_empty_is_free() {
        let mut s = IdStore::new();
        assert_eq!(s.push(""), IdRef::EMPTY);
        let a = s.push("1772849645.26");
        let b = s.push("1772849645.26");
        assert_ne!(a, b, "ids are not deduplicated");
        assert_eq!(s.get(a), "1772849645.26");
        assert_eq!(s.get(b), "1772849645.26");
        assert_eq!(s.get(IdRef::EMPTY), "");
        assert_eq!(s.len(), 2);
        assert_eq!(
            s.get(IdRef(99)),
            "",
            "a foreign handle reads as empty, never panics"
        );
    }

    #[test]
    fn appended_chunks_keep_their_ids() {
        let mut run = IdStore::new();
        let first = run.push("a-1");
        let mut chunk = IdStore::new();
        let x = chunk.push("b-ü-2");
        let y = chunk.push("c-3");
        let base = run.append(&chunk);
        assert_eq!(run.get(first), "a-1");
        assert_eq!(run.get(IdStore::rebase(x, base)), "b-ü-2");
        assert_eq!(run.get(IdStore::rebase(y, base)), "c-3");
        assert_eq!(IdStore::rebase(IdRef::EMPTY, base), IdRef::EMPTY);
        assert_eq!(run.len(), 3);
    }
}

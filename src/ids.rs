//! Call ids (Asterisk `uniqueid`/`linkedid`, FreeSWITCH and Teams UUIDs, CUCM call ids): kept
//! in a plain append-only store, not in the [`crate::intern::Interner`].
//!
//! Nearly every row has its own call id, so interning them buys no sharing and costs a hash
//! table entry, a hash and a comparison per row: on a 5-million-row month that was the largest
//! single cost of the import and about 200 MB. Here a call's two ids are one record in a byte
//! arena: a tag saying how the linked id relates to the call id (the same, absent, or its own),
//! then each stored id as a length and its bytes, padded to 4 bytes. An [`IdRef`] is the record's
//! position in 4-byte units, so 31 bits reach 8 GB of ids and need no offset table: about
//! 16 bytes a call for Asterisk's `1791187502.3`. The handle's top bit says the call has no
//! linked id, so a rule asking every call for its linked id (concurrent calls) touches the store
//! only for calls that have one: the store is in file order, the rules walk calls by subject, and
//! each look in it was a cache miss. The few places that compare ids (the legs of one call,
//! continued Avaya segments) compare the strings.

/// A handle to a call's ids in an [`IdStore`]. [`IdRef::EMPTY`]: both ids absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdRef(u32);

impl IdRef {
    /// No call id and no linked id.
    pub const EMPTY: IdRef = IdRef(0);

    /// True when both ids are absent.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// False when the call has no linked id (known without looking in the store).
    pub fn has_linked_id(self) -> bool {
        self.0 & NO_LINK == 0 && !self.is_empty()
    }

    /// The record's position in 4-byte units, plus one.
    fn unit(self) -> u32 {
        self.0 & !NO_LINK
    }
}

/// The flag of an [`IdRef`] whose call has no linked id.
const NO_LINK: u32 = 1 << 31;

/// The linked id equals the call id (the first leg of an Asterisk call).
const LINK_SAME: u8 = 0;
/// No linked id.
const LINK_NONE: u8 = 1;
/// The linked id follows the call id.
const LINK_OWN: u8 = 2;

/// The ids of one run (or of one chunk being read in parallel, appended in order later).
#[derive(Clone, Debug, Default)]
pub struct IdStore {
    bytes: Vec<u8>,
    records: usize,
}

impl IdStore {
    /// An empty store with room for `bytes` bytes of ids (a parsed chunk's store, sized for
    /// its rows: grown from empty, it was copied as it doubled).
    pub fn with_capacity(bytes: usize) -> Self {
        IdStore {
            bytes: Vec::with_capacity(bytes),
            records: 0,
        }
    }

    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a call's id and linked id and returns the handle of both; two empty ids are
    /// [`IdRef::EMPTY`] and store nothing.
    ///
    /// # Panics
    /// Past 8 GB of ids in one store (half a billion calls: memory runs out long before).
    pub fn push(&mut self, call_id: &str, linked_id: &str) -> IdRef {
        if call_id.is_empty() && linked_id.is_empty() {
            return IdRef::EMPTY;
        }
        self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
        let unit = units(self.bytes.len() / 4 + 1);
        let link = if linked_id == call_id {
            LINK_SAME
        } else if linked_id.is_empty() {
            LINK_NONE
        } else {
            LINK_OWN
        };
        self.bytes.push(link);
        self.put(call_id);
        if link == LINK_OWN {
            self.put(linked_id);
        }
        self.records += 1;
        IdRef(if link == LINK_NONE {
            unit | NO_LINK
        } else {
            unit
        })
    }

    /// Appends a length (LEB128) and the bytes of `s`.
    fn put(&mut self, s: &str) {
        let mut n = s.len();
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.bytes.push(low);
                break;
            }
            self.bytes.push(low | 0x80);
        }
        self.bytes.extend_from_slice(s.as_bytes());
    }

    /// Reads a length and a string at `at`; returns it and the position after it. Damaged or
    /// foreign positions read as empty rather than panic.
    fn take(&self, mut at: usize) -> (&str, usize) {
        let mut n = 0usize;
        let mut shift = 0;
        while let Some(&b) = self.bytes.get(at) {
            at += 1;
            n |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = at.saturating_add(n);
        let s = self
            .bytes
            .get(at..end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("");
        (s, end)
    }

    /// The call id and the linked id behind a handle (`""` for absent ids and for handles of
    /// another store).
    pub fn get(&self, r: IdRef) -> (&str, &str) {
        if r.is_empty() {
            return ("", "");
        }
        let at = (r.unit() as usize - 1) * 4;
        let Some(&link) = self.bytes.get(at) else {
            return ("", "");
        };
        let (call_id, next) = self.take(at + 1);
        match link {
            LINK_SAME => (call_id, call_id),
            LINK_OWN => (call_id, self.take(next).0),
            _ => (call_id, ""),
        }
    }

    /// Number of records (calls with at least one id).
    pub fn len(&self) -> usize {
        self.records
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Appends every record of `other` (a chunk's store); `other`'s handle `r` becomes
    /// [`IdStore::rebase`]`(r, base)` with the returned `base`.
    pub fn append(&mut self, other: &IdStore) -> u32 {
        self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
        let base = units(self.bytes.len() / 4);
        self.bytes.extend_from_slice(&other.bytes);
        // Every rebased handle stays below the flag: checked once here, not in `rebase`.
        units(self.bytes.len().div_ceil(4));
        self.records += other.records;
        base
    }

    /// The handle in the appended-to store of a handle `r` of a store appended at `base`.
    pub fn rebase(r: IdRef, base: u32) -> IdRef {
        if r.is_empty() {
            r
        } else {
            // `append` checked that the sum stays below the flag.
            IdRef(r.0 + base)
        }
    }
}

/// A position in 4-byte units as a handle's 31 bits.
///
/// # Panics
/// Past 8 GB of ids.
fn units(n: usize) -> u32 {
    u32::try_from(n)
        .ok()
        .filter(|&u| u < NO_LINK)
        .expect("more than 8 GB of call ids")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_empty_is_free() {
        let mut s = IdStore::new();
        assert_eq!(s.push("", ""), IdRef::EMPTY);
        let a = s.push("1772849645.26", "1772849645.26");
        let b = s.push("1772849645.27", "1772849645.26");
        let c = s.push("1772849645.28", "");
        let d = s.push("", "only-linked");
        assert_ne!(a, b);
        assert_eq!(s.get(a), ("1772849645.26", "1772849645.26"));
        assert_eq!(s.get(b), ("1772849645.27", "1772849645.26"));
        assert_eq!(s.get(c), ("1772849645.28", ""));
        assert_eq!(s.get(d), ("", "only-linked"));
        let linked: Vec<bool> = [a, b, c, d, IdRef::EMPTY]
            .iter()
            .map(|r| r.has_linked_id())
            .collect();
        assert_eq!(linked, [true, true, false, true, false]);
        assert_eq!(s.get(IdRef::EMPTY), ("", ""));
        assert_eq!(s.len(), 4);
        assert_eq!(
            s.get(IdRef(999)),
            ("", ""),
            "a foreign handle reads as empty"
        );
    }

    #[test]
    fn long_and_unicode_ids_keep_their_bytes() {
        let mut s = IdStore::new();
        let long = "x".repeat(70_000);
        let r = s.push(&long, "ü-1");
        let q = s.push("a", "b");
        assert_eq!(s.get(r), (long.as_str(), "ü-1"));
        assert_eq!(s.get(q), ("a", "b"));
    }

    #[test]
    fn appended_chunks_keep_their_ids() {
        let mut run = IdStore::new();
        let first = run.push("a-1", "");
        let mut chunk = IdStore::new();
        let x = chunk.push("b-ü-2", "b-ü-2");
        let y = chunk.push("c-3", "l-3");
        let w = chunk.push("d-4", "");
        let base = run.append(&chunk);
        assert_eq!(run.get(first), ("a-1", ""));
        assert_eq!(run.get(IdStore::rebase(x, base)), ("b-ü-2", "b-ü-2"));
        assert_eq!(run.get(IdStore::rebase(y, base)), ("c-3", "l-3"));
        let w = IdStore::rebase(w, base);
        assert_eq!(run.get(w), ("d-4", ""));
        assert!(!w.has_linked_id() && IdStore::rebase(y, base).has_linked_id());
        assert_eq!(IdStore::rebase(IdRef::EMPTY, base), IdRef::EMPTY);
        assert_eq!(run.len(), 4);
    }
}

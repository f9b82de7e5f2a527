//! A zone's UTC offsets, memoized per UTC hour and shared by the threads that run the rules.
//!
//! The rules ask the site calendar about every call (off-hours, the local day): each time a
//! chrono-tz lookup (a binary search over the zone's transitions, and a civil date built from
//! the instant) of about 300 instructions, close to a million times for a month of 1M calls.
//! Calls of a subject come in time order, so the same few hundred hours are asked again and
//! again. [`UtcOffsets`] keeps the offset of each hour that has one offset from its first to
//! its last second in a direct-mapped table of atomics: rayon's threads share it without a
//! lock, and a slot only ever holds a correct (hour, offset) pair, so the answer never depends
//! on which thread filled it or in which order.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use std::sync::atomic::{AtomicU64, Ordering};

/// Slots of the table: 4,096 hours (about 170 days) before two hours share a slot.
const SLOTS: usize = 4096;
/// Low bits of a slot: the offset in seconds, biased to be non-negative (offsets are within a
/// day, |offset| < 2^17).
const OFFSET_BITS: u32 = 20;
const BIAS: i64 = 1 << (OFFSET_BITS - 1);
/// Hours memoized: from 1970 to about 247,000 years later (all within chrono's range); others
/// are looked up every time.
const MAX_HOUR: i64 = 1 << 31;

/// UTC offsets of one zone (see the module documentation).
pub struct UtcOffsets {
    tz: Tz,
    /// Per slot: `(hour + 1) << OFFSET_BITS | (offset + BIAS)`, or 0 when empty.
    slots: Box<[AtomicU64]>,
}

impl UtcOffsets {
    /// An empty memo for `tz`.
    pub fn new(tz: Tz) -> Self {
        UtcOffsets {
            tz,
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Seconds to add to the UTC instant `utc_seconds` for the zone's wall-clock time, or
    /// `None` when the instant is outside chrono's range.
    pub fn offset(&self, utc_seconds: i64) -> Option<i64> {
        let hour = utc_seconds.div_euclid(3600);
        if !(0..MAX_HOUR).contains(&hour) {
            return self.exact(utc_seconds);
        }
        let slot = &self.slots[hour as usize % SLOTS];
        let key = (hour as u64 + 1) << OFFSET_BITS;
        let v = slot.load(Ordering::Relaxed);
        if v & !((1 << OFFSET_BITS) - 1) == key {
            return Some((v & ((1 << OFFSET_BITS) - 1)) as i64 - BIAS);
        }
        let first = self.exact(hour * 3600)?;
        // Only an hour with one offset throughout is kept: zones that change at a half hour
        // of UTC (Lord Howe Island) or at odd historical instants are looked up exactly.
        if self.exact(hour * 3600 + 3599) == Some(first) && first.abs() < BIAS {
            slot.store(key | (first + BIAS) as u64, Ordering::Relaxed);
            return Some(first);
        }
        self.exact(utc_seconds)
    }

    /// chrono-tz's answer, asked anew.
    fn exact(&self, utc_seconds: i64) -> Option<i64> {
        let utc = DateTime::from_timestamp(utc_seconds, 0)?;
        Some(i64::from(
            self.tz
                .offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc(),
        ))
    }
}

impl Clone for UtcOffsets {
    /// A fresh, empty memo for the same zone (what is memoized is cheap to find again).
    fn clone(&self) -> Self {
        UtcOffsets::new(self.tz)
    }
}

impl std::fmt::Debug for UtcOffsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UtcOffsets").field("tz", &self.tz).finish()
    }
}

/// Zones whose offsets are awkward (for tests): half- and quarter-hour offsets, a half-hour
/// DST shift at a half hour of UTC (Lord Howe), a skipped day (Apia, December 2011), UTC.
#[cfg(test)]
pub const ODD_ZONES: [&str; 6] = [
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Apia",
    "UTC",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memoized_offsets_agree_with_chrono_in_any_order() {
        // Every 1,003 s over 2011 and 2026 (DST changes in both), forwards, backwards and
        // again warm, plus the extremes.
        let mut instants: Vec<i64> = vec![i64::MIN, i64::MAX, -1, 0, 1, -86_400 * 365 * 3000];
        for (from, to) in [
            (1_293_840_000, 1_325_462_400),
            (1_767_225_600, 1_798_761_600),
        ] {
            instants.extend((from..to).step_by(1003));
        }
        for zone in ODD_ZONES {
            let tz: Tz = zone.parse().unwrap();
            let memo = UtcOffsets::new(tz);
            let reversed: Vec<i64> = instants.iter().rev().copied().collect();
            for &t in instants.iter().chain(&reversed).chain(&instants) {
                assert_eq!(memo.offset(t), memo.exact(t), "{zone} at {t}");
            }
        }
    }

    #[test]
    fn hours_sharing_a_slot_do_not_mix() {
        // Berlin: hour h in winter (+1 h) and hour h + 4,096 (170 days later, summer: +2 h)
        // use the same slot.
        let memo = UtcOffsets::new(chrono_tz::Europe::Berlin);
        let winter = 1_767_225_600 + 3600 * 10; // 2026-01-01 10:00 UTC
        let summer = winter + 3600 * SLOTS as i64;
        for t in [winter, summer, winter, summer] {
            assert_eq!(memo.offset(t), memo.exact(t));
        }
        assert_ne!(memo.offset(winter), memo.offset(summer));
    }
}

//! CDR timestamps to absolute instants.
//!
//! PBXs write wall-clock times without a zone marker (Asterisk: server local time unless
//! `usegmtime=yes`). [`LocalResolver`] turns them into UTC seconds in the time zone the user
//! states, memoizing the zone offset per local hour (so chrono-tz's lookup runs once per hour of
//! data, not once per row), and resolving the two DST traps explicitly:
//! - a time in the autumn overlap (02:30 happens twice) takes the reading that agrees with the
//!   row's own end time and duration, else the earlier one;
//! - a time in the spring gap (02:30 never happens) is read with the offset in force before the
//!   change, which is what a PBX clock that had not yet jumped would have written.

use crate::text::FastTrim;
use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use std::cell::{Cell, RefCell};

/// Parses `YYYY-MM-DD HH:MM:SS` (also with `/` or `T`, optional fraction, optional trailing
/// `Z`), by hand for the common fixed-width shape and with chrono for the rest.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim_fast();
    let b = s.as_bytes();
    if b.len() >= 19 && fixed_shape(b) {
        // `get`, not indexing: byte 19 may fall inside a multi-byte character of a damaged
        // field, which is a reason to reject the field, not to panic.
        let rest = s.get(19..).unwrap_or("\u{fffd}");
        let rest_ok = rest.is_empty()
            || rest == "Z"
            || (rest.starts_with('.')
                && rest[1..]
                    .trim_end_matches('Z')
                    .bytes()
                    .all(|c| c.is_ascii_digit()));
        if rest_ok {
            return fixed_digits(b);
        }
    }
    // Unpadded variants (`2020/2/10 22:41`, `2020-02-10 9:05:00`) as Excel writes them.
    const FORMATS: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// [`parse_timestamp`] of a field that is exactly `YYYY-MM-DD HH:MM:SS` (or with `/`, or
/// `T`): 19 bytes, no white space, no fraction. `None` for any other field, which then goes
/// [`parse_timestamp`]'s way (for the fields read here it gives the same answer, `None` for
/// invalid digits included). Asterisk writes every start, answer and end this way: three
/// fields a row, for which the general function's trim, fraction check and call cost about
/// as much again as reading the digits.
#[inline]
pub fn parse_fixed19(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() == 19 && fixed_shape(b) {
        fixed_digits(b)
    } else {
        None
    }
}

/// True when `b` (at least 19 bytes) has the separators of `YYYY-MM-DD HH:MM:SS` (`-` or `/`
/// for both date separators, a space or `T` before the time).
#[inline]
fn fixed_shape(b: &[u8]) -> bool {
    (b[4] == b'-' || b[4] == b'/')
        && b[7] == b[4]
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':'
}

/// The date and time of a fixed-shape timestamp `b` (see [`fixed_shape`]): `None` when a digit
/// is not one, or the date or time does not exist.
#[inline]
fn fixed_digits(b: &[u8]) -> Option<NaiveDateTime> {
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let d = memo_date(b, || {
        NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    })?;
    let (h, m, s) = hms(b[11..19].try_into().expect("8 bytes"))?;
    d.and_hms_opt(h, m, s)
}

/// Hours, minutes and seconds of `HH:MM:SS` (the colons checked by the caller), all six
/// digits checked and read at once in one word; `None` when one is not a digit. (Byte by
/// byte, each pair was a loop with a check and an exit per digit.)
#[inline]
fn hms(t: [u8; 8]) -> Option<(u32, u32, u32)> {
    // The digits' bytes (0, 1, 3, 4, 6 and 7 of the word, lowest first); the colons' are 0.
    const DIGITS: u64 = 0xFFFF_00FF_FF00_FFFF;
    const HIGH: u64 = 0xF0F0_00F0_F000_F0F0;
    const ZEROS: u64 = 0x3030_0030_3000_3030;
    const SIXES: u64 = 0x0606_0006_0600_0606;
    let x = u64::from_le_bytes(t) & DIGITS;
    // A digit is 0x30 to 0x39: high half 3, and still 3 with 6 added (0x3A to 0x3F become
    // 0x40 to 0x45). No byte is above 0x3F when the first test passes, so adding 6 carries
    // into no other byte.
    if x & HIGH != ZEROS || (x + SIXES) & HIGH != ZEROS {
        return None;
    }
    let v = x - ZEROS;
    let digit = |i: u32| ((v >> (8 * i)) & 0xFF) as u32;
    Some((
        digit(0) * 10 + digit(1),
        digit(3) * 10 + digit(4),
        digit(6) * 10 + digit(7),
    ))
}

thread_local! {
    /// The date part (the first 10 bytes, `YYYY-MM-DD`) of the timestamp this thread parsed
    /// last, as two words, and its date. A row holds two or three timestamps of one day and
    /// rows come in time order, so nearly every timestamp repeats the date before it: the
    /// digits and chrono's calendar check (about 2 % of a large audit's samples) are skipped.
    /// The initial key matches no timestamp (byte 4 of one is `-` or `/`).
    static LAST_DATE: Cell<((u64, u16), NaiveDate)> = const { Cell::new(((0, 0), NaiveDate::MIN)) };
}

/// The date of a fixed-width timestamp `b` (at least 10 bytes): the memoized one when its
/// first 10 bytes are the last ones seen on this thread, else `parse`'s (remembered when
/// valid).
#[inline]
fn memo_date(b: &[u8], parse: impl FnOnce() -> Option<NaiveDate>) -> Option<NaiveDate> {
    let key = (
        u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
        u16::from_le_bytes(b[8..10].try_into().expect("2 bytes")),
    );
    // `get` and `set` of the cell, not `with` and a closure: the closure held the parse, so
    // `with` became a function of its own, called for every timestamp (about 27 instructions
    // each, three timestamps a row).
    let (k, d) = LAST_DATE.get();
    if k == key {
        return Some(d);
    }
    let d = parse()?;
    LAST_DATE.set((key, d));
    Some(d)
}

#[derive(Clone, Copy, Debug)]
enum HourOffset {
    Single(i32),
    /// Overlap: earlier reading's offset, later reading's offset.
    Ambiguous(i32, i32),
    /// Gap: offset in force before the change.
    Gap(i32),
}

/// Converts wall-clock times of one zone to UTC seconds, memoized per local hour.
#[derive(Debug, Clone)]
pub struct LocalResolver {
    tz: Tz,
    cache: RefCell<rustc_hash::FxHashMap<i64, HourOffset>>,
    /// The hour last found in `cache` with one offset, and that offset: rows come in time
    /// order, so most rows ask for the hour the row before asked for (and skip the hash).
    last: Cell<(i64, i32)>,
}

impl LocalResolver {
    /// A resolver for `tz`.
    pub fn new(tz: Tz) -> Self {
        LocalResolver {
            tz,
            cache: RefCell::new(Default::default()),
            last: Cell::new((i64::MIN, 0)),
        }
    }

    fn offset(&self, local: NaiveDateTime) -> HourOffset {
        let hour = local.and_utc().timestamp().div_euclid(3600);
        let (last, offset) = self.last.get();
        if last == hour {
            return HourOffset::Single(offset);
        }
        if let Some(&o) = self.cache.borrow().get(&hour) {
            if let HourOffset::Single(x) = o {
                self.last.set((hour, x));
            }
            return o;
        }
        // Offsets only change on the hour in every zone this tool meets in CDRs (half-hour
        // zones change on the hour too), so probing the hour start and end is enough.
        let probe = |t: NaiveDateTime| match self.tz.offset_from_local_datetime(&t) {
            chrono::LocalResult::Single(o) => HourOffset::Single(o.fix().local_minus_utc()),
            chrono::LocalResult::Ambiguous(a, b) => {
                HourOffset::Ambiguous(a.fix().local_minus_utc(), b.fix().local_minus_utc())
            }
            chrono::LocalResult::None => {
                let before = t - chrono::Duration::hours(3);
                let o = self
                    .tz
                    .offset_from_utc_datetime(&before)
                    .fix()
                    .local_minus_utc();
                HourOffset::Gap(o)
            }
        };
        let start = chrono::DateTime::from_timestamp(hour * 3600, 0)
            .unwrap()
            .naive_utc();
        if let (HourOffset::Single(x), HourOffset::Single(y)) =
            (probe(start), probe(start + chrono::Duration::seconds(3599)))
        {
            if x == y {
                self.cache.borrow_mut().insert(hour, HourOffset::Single(x));
                return HourOffset::Single(x);
            }
        }
        // The hour of a DST change: exact lookup, not cached (two hours a year).
        probe(local)
    }

    /// The zone this resolver converts from.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// UTC seconds of a wall-clock time; `hint_end` (the row's end time and duration) settles
    /// the autumn overlap.
    pub fn to_utc(&self, local: NaiveDateTime, hint_end: Option<(NaiveDateTime, u32)>) -> i64 {
        let naive = local.and_utc().timestamp();
        match self.offset(local) {
            HourOffset::Single(o) | HourOffset::Gap(o) => naive - i64::from(o),
            HourOffset::Ambiguous(early, late) => {
                let first = naive - i64::from(early);
                let second = naive - i64::from(late);
                if let Some((end_local, duration)) = hint_end {
                    let end_naive = end_local.and_utc().timestamp();
                    // Which start reading makes start + duration land on the written end?
                    let matches = |start: i64| {
                        let end = start + i64::from(duration);
                        let o = self.tz.offset_from_utc_datetime(
                            &chrono::DateTime::from_timestamp(end, 0)
                                .unwrap()
                                .naive_utc(),
                        );
                        end + i64::from(o.fix().local_minus_utc()) == end_naive
                    };
                    if !matches(first) && matches(second) {
                        return second;
                    }
                }
                first
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn t(s: &str) -> NaiveDateTime {
        parse_timestamp(s).unwrap()
    }
    fn utc(s: &str) -> i64 {
        t(s).and_utc().timestamp()
    }

    /// The fixed shape read byte by byte, as `parse_timestamp` read it before the word-wide
    /// time: separators, then each digit checked, then chrono's calendar and clock.
    fn fixed_reference(s: &str) -> Option<NaiveDateTime> {
        let b = s.as_bytes();
        if b.len() != 19 || !fixed_shape(b) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0u32, |v, &c| {
                c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
            })
        };
        NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?.and_hms_opt(
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        )
    }

    #[test]
    fn the_time_word_reads_every_byte_as_a_digit_check_does() {
        // Every value of every byte of `HH:MM:SS`, the others valid digits.
        for at in 0..8 {
            for v in 0..=255u8 {
                let mut t = *b"12:34:56";
                t[at] = v;
                let want = if at == 2 || at == 5 {
                    // The colons are the caller's to check: the word ignores them.
                    Some((12, 34, 56))
                } else if v.is_ascii_digit() {
                    let d = |i: usize| u32::from(t[i] - b'0');
                    Some((d(0) * 10 + d(1), d(3) * 10 + d(4), d(6) * 10 + d(7)))
                } else {
                    None
                };
                assert_eq!(hms(t), want, "byte {at} = {v:#04x}");
            }
        }
    }

    #[test]
    fn fixed_width_fields_read_as_byte_by_byte() {
        // Random 19-byte fields, mostly of the right shape, from digits and the bytes next to
        // them and separators: the fast reading is the byte-by-byte one, and so is the general
        // function's for every field of the fixed shape.
        let mut rng = fastrand::Rng::with_seed(19);
        let base = b"2024-02-29 23:59:59";
        let odd = [
            b'/', b':', b'0', b'9', b'T', b' ', b'-', b'x', 0x2F, 0x3A, b'Z', b'.',
        ];
        let (mut valid, mut shaped) = (0, 0);
        for _ in 0..200_000 {
            let mut b = *base;
            for _ in 0..rng.usize(0..4) {
                let i = rng.usize(0..19);
                b[i] = if rng.bool() {
                    b'0' + rng.u8(0..10)
                } else {
                    odd[rng.usize(0..odd.len())]
                };
            }
            let s = std::str::from_utf8(&b).expect("ASCII");
            let want = fixed_reference(s);
            assert_eq!(parse_fixed19(s), want, "{s}");
            // (A field with a space at either end is trimmed first and read another way.)
            if fixed_shape(&b) && s.trim() == s {
                shaped += 1;
                assert_eq!(parse_timestamp(s), want, "{s}");
            }
            valid += usize::from(want.is_some());
        }
        // Both outcomes are exercised.
        assert!(
            valid > 20_000 && shaped - valid > 20_000,
            "{valid} {shaped}"
        );
        for s in [
            "",
            "2026-03-07 10:00:0",
            " 2026-03-07 10:00:00",
            "2026-03-07 10:00:00.5",
        ] {
            assert_eq!(parse_fixed19(s), None, "{s:?}");
        }
        assert_eq!(parse_fixed19("2026-03-07 10:00:0é"), None);
    }

    #[test]
    fn a_multibyte_character_after_the_seconds_is_rejected_not_a_panic() {
        assert_eq!(parse_timestamp("2026-03-07 10:00:0ü"), None);
        assert_eq!(parse_timestamp("2026-03-07 10:00:00ü"), None);
        assert_eq!(parse_timestamp("2026-03-07 10:00:00€x"), None);
    }

    #[test]
    fn the_date_memo_answers_as_chrono_does_in_any_order() {
        // Days that share their first 8 bytes (`2024-02-`), invalid days after valid ones of
        // the same month, `/` and `-`, repeated and alternating: each answer must be chrono's
        // own reading of that string, whatever this thread parsed before.
        let mut days = Vec::new();
        for m in [1, 2, 3, 12] {
            for d in [1, 9, 10, 28, 29, 30, 31, 32] {
                days.push(format!("2024-{m:02}-{d:02}"));
                days.push(format!("2023/{m:02}/{d:02}"));
            }
        }
        let order = days
            .iter()
            .chain(days.iter().rev())
            .chain(days.iter().step_by(3));
        for (i, day) in order.enumerate() {
            let s = format!("{day} {:02}:{:02}:07", i % 24, i % 60);
            let want = NaiveDateTime::parse_from_str(&s.replace('/', "-"), "%Y-%m-%d %H:%M:%S");
            assert_eq!(parse_timestamp(&s), want.ok(), "{s}");
            assert_eq!(parse_timestamp(&s), want.ok(), "{s} again");
        }
    }

    #[test]
    fn parses_the_shapes_pbxs_write() {
        let want = NaiveDate::from_ymd_opt(2026, 3, 7)
            .unwrap()
            .and_hms_opt(2, 14, 5)
            .unwrap();
        for s in [
            "2026-03-07 02:14:05",
            "2026/03/07 02:14:05",
            "2026-03-07T02:14:05",
            "2026-03-07T02:14:05Z",
            "2026-03-07 02:14:05.123456",
            "2026/3/7 2:14:05",
        ] {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        assert_eq!(
            parse_timestamp("2020/2/10 22:41").unwrap().to_string(),
            "2020-02-10 22:41:00"
        );
        for bad in [
            "",
            "2026-13-07 02:14:05",
            "2026-02-30 10:00:00",
            "yesterday",
            "2026-03-07 25:00:00",
            "2026-03-07 0x:14:05",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn ordinary_times_use_the_zone_offset() {
        let r = LocalResolver::new(Berlin);
        assert_eq!(
            r.to_utc(t("2026-07-01 12:00:00"), None),
            utc("2026-07-01 10:00:00")
        );
        assert_eq!(
            r.to_utc(t("2026-01-01 12:00:00"), None),
            utc("2026-01-01 11:00:00")
        );
    }

    #[test]
    fn spring_gap_reads_with_the_old_offset() {
        // 2026-03-29 02:30 does not exist in Berlin; with CET (+1) it is 01:30 UTC.
        let r = LocalResolver::new(Berlin);
        assert_eq!(
            r.to_utc(t("2026-03-29 02:30:00"), None),
            utc("2026-03-29 01:30:00")
        );
        assert_eq!(
            r.to_utc(t("2026-03-29 03:30:00"), None),
            utc("2026-03-29 01:30:00")
        );
    }

    #[test]
    fn autumn_overlap_uses_the_end_time_to_choose() {
        // 2026-10-25 02:30 happens twice in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET).
        let r = LocalResolver::new(Berlin);
        // No hint: the earlier reading.
        assert_eq!(
            r.to_utc(t("2026-10-25 02:30:00"), None),
            utc("2026-10-25 00:30:00")
        );
        // A 10-minute call written as ending 02:40: both readings fit, earlier wins.
        let hint = Some((t("2026-10-25 02:40:00"), 600));
        assert_eq!(
            r.to_utc(t("2026-10-25 02:30:00"), hint),
            utc("2026-10-25 00:30:00")
        );
        // A 60-minute call from 02:30 ending 02:30 local: started in summer time (00:30 UTC),
        // ended in winter time (01:30 UTC).
        let hint = Some((t("2026-10-25 02:30:00"), 3600));
        assert_eq!(
            r.to_utc(t("2026-10-25 02:30:00"), hint),
            utc("2026-10-25 00:30:00")
        );
        // A 20-minute call ending 03:10 local (02:10 UTC): it started 01:50 UTC, the second 02:50.
        let hint = Some((t("2026-10-25 03:10:00"), 1200));
        assert_eq!(
            r.to_utc(t("2026-10-25 02:50:00"), hint),
            utc("2026-10-25 01:50:00")
        );
    }

    #[test]
    fn utc_zone_is_identity() {
        let r = LocalResolver::new(Tz::UTC);
        assert_eq!(
            r.to_utc(t("2026-10-25 02:30:00"), None),
            utc("2026-10-25 02:30:00")
        );
    }
}

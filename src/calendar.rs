//! The site's calendar: business hours per weekday, weekends and public holidays, evaluated in
//! the site's own time zone.
//!
//! Built-in holidays come from `rates/holidays.csv` (national holidays generated from the Python
//! `holidays` package, see `rates/README.md`), embedded in the binary; configured dates are added.
//! Instants are converted with chrono-tz, so DST changes shift nothing: 02:30 UTC is judged by
//! the local wall-clock time it really was on that day.

use crate::config::BusinessHoursSettings;
use crate::utc_offsets::UtcOffsets;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;

/// Seconds a day.
const DAY: i64 = 86_400;

/// Days from 1970-01-01 (the day numbers of local wall-clock seconds).
fn day_number(d: NaiveDate) -> i64 {
    d.signed_duration_since(DateTime::UNIX_EPOCH.date_naive())
        .num_days()
}

/// The date of a day number ([`day_number`]'s inverse), `None` outside chrono's range.
pub fn date_of_day(day: i64) -> Option<NaiveDate> {
    // 1970-01-01 is day 719,163 counted from 0001-01-01 (day 1).
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day.checked_add(719_163)?).ok()?)
}

/// The embedded national holiday table (`country,date,name`).
pub const BUILTIN_HOLIDAYS: &str = include_str!("../rates/holidays.csv");

/// Opening hours: per weekday (Monday = 0), sorted `[from, to)` ranges in minutes after midnight.
#[derive(Debug, Clone, Default)]
pub struct BusinessHours {
    days: [Vec<(u16, u16)>; 7],
}

impl BusinessHours {
    /// From `[site.business_hours]` (already validated while reading the file).
    pub fn from_settings(s: &BusinessHoursSettings) -> Self {
        BusinessHours {
            days: [
                s.monday.0.clone(),
                s.tuesday.0.clone(),
                s.wednesday.0.clone(),
                s.thursday.0.clone(),
                s.friday.0.clone(),
                s.saturday.0.clone(),
                s.sunday.0.clone(),
            ],
        }
    }

    /// True when `minute` (after local midnight) of `weekday` is within opening hours.
    pub fn is_open(&self, weekday: Weekday, minute: u16) -> bool {
        self.days[weekday.num_days_from_monday() as usize]
            .iter()
            .any(|&(a, b)| minute >= a && minute < b)
    }

    /// True when the weekday has no opening hours at all.
    pub fn closed_all_day(&self, weekday: Weekday) -> bool {
        self.days[weekday.num_days_from_monday() as usize].is_empty()
    }
}

/// Parses `"08:00-12:00, 13:00-18:00"`; empty means closed.
pub fn parse_ranges(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part
            .split_once('-')
            .ok_or_else(|| format!("`{part}` is not a range like 08:00-18:00"))?;
        let (a, b) = (parse_hhmm(a.trim())?, parse_hhmm(b.trim())?);
        if a >= b {
            return Err(format!("`{part}`: the end must be after the start"));
        }
        out.push((a, b));
    }
    out.sort_unstable();
    Ok(out)
}

fn parse_hhmm(s: &str) -> Result<u16, String> {
    let bad = || format!("`{s}` is not a time like 08:00 (24:00 allowed as an end)");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Why a moment is outside business hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffHours<'a> {
    /// A public or configured holiday (with its name, borrowed from the calendar: several
    /// rules ask about every call and most only want to know whether).
    Holiday(&'a str),
    /// A day with no opening hours (normally Saturday, Sunday).
    Weekend,
    /// Before opening or after closing on a working day.
    Night,
}

impl OffHours<'_> {
    /// Short label for reports.
    pub fn label(&self) -> String {
        match self {
            OffHours::Holiday(n) => format!("holiday ({n})"),
            OffHours::Weekend => "weekend".into(),
            OffHours::Night => "night".into(),
        }
    }
}

/// Business hours plus holidays in one time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The site zone and its offsets, memoized per hour (asked about every call).
    offsets: UtcOffsets,
    hours: BusinessHours,
    /// Holiday names by local day number ([`day_number`]).
    holidays: FxHashMap<i64, String>,
    /// The built-in calendar asked for (country), and the years it covers, if it has any.
    builtin: Option<(String, Option<(i32, i32)>)>,
}

impl Calendar {
    /// Builds a calendar; `builtin_country` loads that country's built-in holidays.
    pub fn new(
        tz: Tz,
        hours: BusinessHours,
        builtin_country: Option<&str>,
        extra: &[NaiveDate],
    ) -> Self {
        let mut holidays = FxHashMap::default();
        let mut years: Option<(i32, i32)> = None;
        if let Some(cc) = builtin_country {
            for line in BUILTIN_HOLIDAYS.lines() {
                if line.starts_with('#') || line.starts_with("country,") {
                    continue;
                }
                let mut f = line.splitn(3, ',');
                let (Some(c), Some(d), name) = (f.next(), f.next(), f.next()) else {
                    continue;
                };
                if c != cc {
                    continue;
                }
                if let Ok(date) = NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                    let y = date.year();
                    years = Some(years.map_or((y, y), |(a, b)| (a.min(y), b.max(y))));
                    let name = name.unwrap_or("holiday").trim_matches('"').to_string();
                    holidays.insert(day_number(date), name);
                }
            }
        }
        for d in extra {
            holidays.insert(day_number(*d), "configured holiday".into());
        }
        Calendar {
            offsets: UtcOffsets::new(tz),
            hours,
            holidays,
            builtin: builtin_country.map(|c| (c.to_string(), years)),
        }
    }

    /// The site time zone.
    pub fn tz(&self) -> Tz {
        self.offsets.tz()
    }

    /// Local wall-clock time of a UTC instant.
    pub fn local(&self, utc_seconds: i64) -> DateTime<Tz> {
        let tz = self.tz();
        tz.timestamp_opt(utc_seconds, 0)
            .single()
            .unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
    }

    /// Local wall-clock time of a UTC instant as seconds since 1970-01-01 00:00 local, judged
    /// as [`Calendar::local`] judges it (an instant out of chrono's range as 1970-01-01 UTC).
    fn local_seconds(&self, utc_seconds: i64) -> i64 {
        match self.offsets.offset(utc_seconds) {
            Some(offset) => utc_seconds + offset,
            None => self.offsets.offset(0).unwrap_or(0),
        }
    }

    /// The local calendar day (days from 1970-01-01) a UTC instant falls on, or `None` when
    /// the instant is outside chrono's range. What `tz.timestamp_opt(t, 0)`'s date says, at a
    /// fraction of the cost (the rules ask for every call).
    pub fn local_day(&self, utc_seconds: i64) -> Option<i64> {
        let offset = self.offsets.offset(utc_seconds)?;
        Some((utc_seconds + offset).div_euclid(DAY))
    }

    /// Opening hours (the HTML report shades the closed hours of the week).
    pub fn hours(&self) -> &BusinessHours {
        &self.hours
    }

    /// Number of holidays known (for the report header).
    pub fn holiday_count(&self) -> usize {
        self.holidays.len()
    }

    /// Why holidays may be missed for calls between `from` and `to` (UTC seconds): no built-in
    /// calendar for the country, or a period outside the years it covers.
    pub fn coverage_note(&self, from: i64, to: i64) -> Option<String> {
        let (cc, years) = self.builtin.as_ref()?;
        let (a, b) = (self.local(from).year(), self.local(to).year());
        match years {
            None => Some(format!(
                "no built-in holiday calendar for {cc}: only [site.holidays] dates count as holidays"
            )),
            Some((lo, hi)) if a < *lo || b > *hi => Some(format!(
                "the built-in {cc} holidays cover {lo}-{hi}; calls outside those years are judged without public holidays"
            )),
            _ => None,
        }
    }

    /// `None` during business hours, else why the moment is off-hours.
    pub fn off_hours(&self, utc_seconds: i64) -> Option<OffHours<'_>> {
        // Several rules ask this for every call. The zone's offset is the one lookup; day,
        // weekday and minute follow from the local seconds by arithmetic, which is what a
        // `DateTime` would compute too, at several times the cost.
        let local = self.local_seconds(utc_seconds);
        let day = local.div_euclid(DAY);
        if let Some(name) = self.holidays.get(&day) {
            return Some(OffHours::Holiday(name));
        }
        // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
        let wd = Weekday::try_from((day + 3).rem_euclid(7) as u8).expect("a day of the week");
        if self.hours.closed_all_day(wd) {
            return Some(OffHours::Weekend);
        }
        let minute = (local.rem_euclid(DAY) / 60) as u16;
        if self.hours.is_open(wd, minute) {
            None
        } else {
            Some(OffHours::Night)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn cal() -> Calendar {
        let hours = BusinessHours::from_settings(&BusinessHoursSettings::default());
        Calendar::new(Berlin, hours, Some("DE"), &[])
    }

    fn utc(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn ranges_parse_and_reject_nonsense() {
        assert_eq!(
            parse_ranges("08:00-12:00, 13:00-18:00").unwrap(),
            vec![(480, 720), (780, 1080)]
        );
        assert_eq!(parse_ranges("").unwrap(), vec![]);
        assert!(parse_ranges("18:00-08:00").is_err());
        assert!(parse_ranges("8-18").is_err());
        assert!(parse_ranges("08:00-24:30").is_err());
        assert_eq!(parse_ranges("00:00-24:00").unwrap(), vec![(0, 1440)]);
    }

    #[test]
    fn weekday_daytime_is_open_night_and_weekend_are_not() {
        let c = cal();
        // Wednesday 2026-10-21 10:00 Berlin (CEST, UTC+2) = 08:00 UTC.
        assert_eq!(c.off_hours(utc("2026-10-21 08:00:00")), None);
        // 17:59:59 local open, 18:00 local closed.
        assert_eq!(c.off_hours(utc("2026-10-21 15:59:59")), None);
        assert_eq!(
            c.off_hours(utc("2026-10-21 16:00:00")),
            Some(OffHours::Night)
        );
        assert_eq!(
            c.off_hours(utc("2026-10-17 10:00:00")),
            Some(OffHours::Weekend)
        );
    }

    #[test]
    fn dst_is_respected_on_both_sides_of_the_change() {
        let c = cal();
        // 2026-10-26 (Monday after DST end, CET = UTC+1): 07:30 UTC is 08:30 local, open.
        assert_eq!(c.off_hours(utc("2026-10-26 07:30:00")), None);
        // The Friday before (CEST = UTC+2): 05:30 UTC is 07:30 local, closed.
        assert_eq!(
            c.off_hours(utc("2026-10-23 05:30:00")),
            Some(OffHours::Night)
        );
        // 2026-03-30 (Monday after DST start, CEST): 06:30 UTC = 08:30 local, open;
        // under a fixed UTC+1 it would wrongly be 07:30 and closed.
        assert_eq!(c.off_hours(utc("2026-03-30 06:30:00")), None);
    }

    #[test]
    fn coverage_is_reported_when_holidays_may_be_missed() {
        let hours = BusinessHours::from_settings(&BusinessHoursSettings::default());
        let de = Calendar::new(Berlin, hours.clone(), Some("DE"), &[]);
        assert_eq!(
            de.coverage_note(utc("2026-01-01 00:00:00"), utc("2026-12-31 00:00:00")),
            None
        );
        assert!(de
            .coverage_note(utc("2040-01-01 00:00:00"), utc("2040-02-01 00:00:00"))
            .unwrap()
            .contains("2018-2035"));
        let none = Calendar::new(Berlin, hours.clone(), Some("AC"), &[]);
        assert!(none
            .coverage_note(0, 1)
            .unwrap()
            .contains("no built-in holiday calendar for AC"));
        let off = Calendar::new(Berlin, hours, None, &[]);
        assert_eq!(off.coverage_note(0, 1), None);
    }

    /// `off_hours` as it was written with chrono's `DateTime` (the definition).
    fn off_hours_by_datetime(c: &Calendar, utc_seconds: i64) -> Option<OffHours<'_>> {
        use chrono::Timelike;
        let local = c.local(utc_seconds);
        let day = day_number(local.date_naive());
        if let Some(name) = c.holidays.get(&day) {
            return Some(OffHours::Holiday(name));
        }
        let wd = local.weekday();
        if c.hours.closed_all_day(wd) {
            return Some(OffHours::Weekend);
        }
        let minute = (local.hour() * 60 + local.minute()) as u16;
        (!c.hours.is_open(wd, minute)).then_some(OffHours::Night)
    }

    #[test]
    fn arithmetic_local_time_agrees_with_chrono_in_odd_zones() {
        // Awkward zones (`ODD_ZONES`); instants every 1,003 s over 2011 and 2026, and the
        // extremes.
        let settings = BusinessHoursSettings {
            saturday: crate::config::Hours(parse_ranges("09:30-13:15").unwrap()),
            ..Default::default()
        };
        let hours = BusinessHours::from_settings(&settings);
        let extra = [NaiveDate::from_ymd_opt(2011, 12, 31).unwrap()];
        let mut instants: Vec<i64> = vec![i64::MIN, i64::MAX, -1, 0, 1, -86_400 * 365 * 3000];
        for (from, to) in [
            ("2011-01-01 00:00:00", "2012-01-02 00:00:00"),
            ("2026-01-01 00:00:00", "2027-01-01 00:00:00"),
        ] {
            instants.extend((utc(from)..utc(to)).step_by(1003));
        }
        for zone in crate::utc_offsets::ODD_ZONES {
            let c = Calendar::new(zone.parse().unwrap(), hours.clone(), Some("DE"), &extra);
            // Twice: the second pass answers from the memoized offsets.
            for &t in instants.iter().chain(&instants) {
                assert_eq!(
                    c.off_hours(t),
                    off_hours_by_datetime(&c, t),
                    "{zone} at {t}"
                );
            }
        }
    }

    #[test]
    fn day_numbers_and_dates_convert_both_ways() {
        for d in [-800_000, -1, 0, 1, 20_000, 2_000_000] {
            assert_eq!(date_of_day(d).map(day_number), Some(d));
        }
        assert_eq!(date_of_day(0), NaiveDate::from_ymd_opt(1970, 1, 1));
        assert_eq!(date_of_day(i64::MAX), None);
        let c = cal();
        // 2026-10-17 22:10 UTC is already Sunday the 18th in Berlin (UTC+2).
        let t = 1_792_275_000;
        assert_eq!(
            c.local_day(t).and_then(date_of_day),
            NaiveDate::from_ymd_opt(2026, 10, 18)
        );
        assert_eq!(c.local_day(i64::MAX), None);
    }

    #[test]
    fn builtin_and_configured_holidays() {
        let hours = BusinessHours::from_settings(&BusinessHoursSettings::default());
        let extra = [NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()];
        let c = Calendar::new(Berlin, hours, Some("DE"), &extra);
        // 3 October (German Unity Day) 2025 is a Friday.
        assert!(matches!(
            c.off_hours(utc("2025-10-03 10:00:00")),
            Some(OffHours::Holiday(_))
        ));
        // Christmas Eve is not a national holiday, but configured here (a Thursday in 2026).
        assert!(matches!(
            c.off_hours(utc("2026-12-24 10:00:00")),
            Some(OffHours::Holiday(_))
        ));
        // Without the built-in calendar, Unity Day is a normal Friday.
        let hours = BusinessHours::from_settings(&BusinessHoursSettings::default());
        let plain = Calendar::new(Berlin, hours, None, &[]);
        assert_eq!(plain.off_hours(utc("2025-10-03 10:00:00")), None);
    }
}

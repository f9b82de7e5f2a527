//! The HTML report's charts: the numbers behind each chart (pure functions, unit-tested) and
//! their inline SVG, drawn with plotters' SVG backend into a `String`.
//!
//! plotters fits here: its SVG backend escapes every text it writes (`& < > " '`), and built
//! without its `ttf`/`ab_glyph` features it estimates text widths itself instead of loading
//! system fonts, so the charts render the same on a headless server; the browser draws the text
//! with its own sans-serif font. All chart text is ours (day names, times, country names,
//! amounts): CDR-derived strings stay in the HTML around the charts, escaped by maud.
//! plotters writes no accessibility attributes, so [`label_svg`] adds `id`, `role="img"` and a
//! `<title>` to its root element.

use crate::call::CallTable;
use crate::config::Config;
use chrono::{Datelike, Offset as _, Timelike};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rustc_hash::FxHashMap;
use std::io;

/// Buckets of the hour-of-week chart: Monday 00:00-00:59 is 0, Sunday 23:00-23:59 is 167.
pub const HOURS_OF_WEEK: usize = 168;
/// Calls drawn in one incident timeline (the caption says when more were left out).
pub const MAX_TIMELINE_CALLS: usize = 3000;
/// Rows (calls in progress at once) of an incident timeline before calls share a row.
pub const MAX_LANES: usize = 12;

/// Flagged calls (part of an incident): red everywhere in the report.
pub const FLAGGED: RGBColor = RGBColor(0xc9, 0x2a, 0x2a);
/// Other calls.
pub const OTHER: RGBColor = RGBColor(0x9a, 0xa8, 0xbb);
/// Attempts without talk time in a timeline.
pub const ATTEMPT: RGBColor = RGBColor(0x86, 0x8e, 0x96);
/// Shading of closed hours (outside business hours, weekends, holidays).
pub const CLOSED: RGBColor = RGBColor(0xee, 0xf0, 0xf4);
const GRID: RGBColor = RGBColor(0xdd, 0xe1, 0xe6);
const INK: RGBColor = RGBColor(0x49, 0x50, 0x57);

/// Day names of the hour-of-week chart, Monday first.
pub const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Calls starting in one hour of the week.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourBucket {
    /// Calls that belong to an incident.
    pub flagged: u32,
    /// All other calls.
    pub other: u32,
}

/// One call on an incident timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineCall {
    /// Start, UTC seconds.
    pub start: i64,
    /// End, UTC seconds.
    pub end: i64,
    /// Answered with talk time (else an attempt).
    pub connected: bool,
}

/// Which calls of the table belong to an incident (index by call).
pub fn flagged_calls(result: &crate::audit::AuditResult) -> Vec<bool> {
    let mut flagged = vec![false; result.table.calls.len()];
    for inc in &result.analysis.incidents {
        for &i in &inc.calls {
            if let Some(f) = flagged.get_mut(i) {
                *f = true;
            }
        }
    }
    flagged
}

/// The hour of the week (Monday 00 = 0) of a UTC instant, in site time.
pub fn week_hour(config: &Config, t: i64) -> usize {
    let l = config.calendar.local(t);
    l.weekday().num_days_from_monday() as usize * 24 + l.hour() as usize
}

/// Calls by hour of the week of their start (site time), split into flagged and other.
/// `flagged[i]` says whether call `i` of the table belongs to an incident.
pub fn hours_of_week(config: &Config, table: &CallTable, flagged: &[bool]) -> Vec<HourBucket> {
    let mut buckets = vec![HourBucket::default(); HOURS_OF_WEEK];
    // Every UTC offset in use is a multiple of 15 minutes, so all starts within one
    // quarter-hour share their hour of the week: one time zone conversion per quarter-hour
    // instead of one per call (months of CDRs have millions of calls).
    let mut memo: FxHashMap<i64, usize> = FxHashMap::default();
    for (i, c) in table.calls.iter().enumerate() {
        let h = *memo
            .entry(c.start.div_euclid(900))
            .or_insert_with(|| week_hour(config, c.start));
        if flagged.get(i).copied().unwrap_or(false) {
            buckets[h].flagged += 1;
        } else {
            buckets[h].other += 1;
        }
    }
    buckets
}

/// Closed hours of the week (no business hours at the half hour), for shading.
pub fn closed_hours(config: &Config) -> Vec<bool> {
    let hours = config.calendar.hours();
    (0..HOURS_OF_WEEK)
        .map(|h| {
            let day = chrono::Weekday::try_from((h / 24) as u8).unwrap_or(chrono::Weekday::Mon);
            !hours.is_open(day, ((h % 24) * 60 + 30) as u16)
        })
        .collect()
}

/// The smallest of 1, 2, 5, 10, 20, 50... at or above `v`: an axis end with round ticks.
/// At least 1, so an empty chart still has an axis.
pub fn nice_ceiling(v: f64) -> f64 {
    if !v.is_finite() || v <= 1.0 {
        return 1.0;
    }
    let mut p = 10f64.powf(v.log10().floor());
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * p >= v - 1e-9 {
                return m * p;
            }
        }
        p *= 10.0;
    }
}

/// A bar's length in percent of the longest (0 when there is nothing to compare with).
pub fn share(v: f64, max: f64) -> f64 {
    if max > 0.0 && v.is_finite() {
        (v / max * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// Rows for calls in progress at the same time: each span (sorted by start) gets the first row
/// that is free at its start; beyond `max_lanes` rows, the row that frees first is shared.
/// Returns each span's row and the number of rows used (at least 1).
pub fn lanes(spans: &[(i64, i64)], max_lanes: usize) -> (Vec<usize>, usize) {
    let max_lanes = max_lanes.max(1);
    let mut ends: Vec<i64> = Vec::new();
    let mut out = Vec::with_capacity(spans.len());
    for &(start, end) in spans {
        let lane = match ends.iter().position(|&e| e <= start) {
            Some(l) => l,
            None if ends.len() < max_lanes => {
                ends.push(start);
                ends.len() - 1
            }
            None => (0..ends.len()).min_by_key(|&l| ends[l]).unwrap_or(0),
        };
        ends[lane] = ends[lane].max(end);
        out.push(lane);
    }
    (out, ends.len().max(1))
}

/// Off-hours stretches (night, weekend, holiday in site time) between `from` and `to` (UTC
/// seconds), in steps of 5 minutes (coarser for very long spans).
pub fn off_hours_spans(config: &Config, from: i64, to: i64) -> Vec<(i64, i64)> {
    if to <= from {
        return Vec::new();
    }
    let step = (300i64).max((to - from) / 20_000 / 300 * 300);
    let mut out: Vec<(i64, i64)> = Vec::new();
    let mut t = from.div_euclid(step) * step;
    while t < to {
        if config.calendar.off_hours(t + step / 2).is_some() {
            let (a, b) = (t.max(from), (t + step).min(to));
            match out.last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => out.push((a, b)),
            }
        }
        t += step;
    }
    out
}

/// Tick step (seconds) for a time axis spanning `span` seconds: at most about 8 ticks.
pub fn time_step(span: i64) -> i64 {
    const STEPS: [i64; 13] = [
        60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 8)
        .unwrap_or(2_592_000)
}

/// Country label for a bar: `SO Somalia`, cut to `max` characters with an ellipsis.
pub fn short_label(country: &str, name: &str, max: usize) -> String {
    let name = match country {
        "001" => "satellite / intl. network",
        "??" | "" => "unknown",
        _ => name,
    };
    let full = format!("{country} {name}");
    if full.chars().count() <= max {
        full
    } else {
        let cut: String = full.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

fn err<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(format!("chart: {e}"))
}

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// Gives plotters' SVG root element an id, a class, `role="img"` and a `<title>` (screen
/// readers, tooltips). `id` is ours (ASCII letters, digits, `-`), the title is escaped.
pub fn label_svg(svg: &str, id: &str, title: &str) -> String {
    debug_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let title = maud::html! { title id={ (id) "-title" } { (title) } }.into_string();
    match svg.strip_prefix("<svg ").and_then(|r| r.split_once('>')) {
        Some((attrs, body)) => format!(
            "<svg id=\"{id}\" class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title\" preserveAspectRatio=\"xMinYMin meet\" {attrs}>{title}{body}"
        ),
        None => svg.to_string(),
    }
}

/// Stacked bars of calls per hour of the week, closed hours shaded, flagged calls on top.
pub fn hours_svg(
    buckets: &[HourBucket],
    closed: &[bool],
    id: &str,
    title: &str,
) -> io::Result<String> {
    let max = buckets
        .iter()
        .map(|b| b.flagged + b.other)
        .max()
        .unwrap_or(0);
    let ymax = nice_ceiling(f64::from(max));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(10)
            .margin_right(10)
            .x_label_area_size(24)
            .y_label_area_size(46)
            .build_cartesian_2d(0f64..HOURS_OF_WEEK as f64, 0f64..ymax)
            .map_err(err)?;
        chart
            .draw_series(
                closed
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c)
                    .map(|(h, _)| {
                        Rectangle::new([(h as f64, 0.0), (h as f64 + 1.0, ymax)], CLOSED.filled())
                    }),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(5)
            .max_light_lines(0)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .y_label_formatter(&|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .label_style(font(14))
            .draw()
            .map_err(err)?;
        chart
            .draw_series((1..7).map(|d| {
                let x = f64::from(d * 24);
                PathElement::new(vec![(x, 0.0), (x, ymax)], GRID.stroke_width(1))
            }))
            .map_err(err)?;
        let bar = |h: usize, lo: u32, hi: u32, color: RGBColor| {
            Rectangle::new(
                [
                    (h as f64 + 0.12, f64::from(lo)),
                    (h as f64 + 0.88, f64::from(hi)),
                ],
                color.filled(),
            )
        };
        chart
            .draw_series(
                buckets
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.other > 0)
                    .map(|(h, b)| bar(h, 0, b.other, OTHER)),
            )
            .map_err(err)?;
        chart
            .draw_series(
                buckets
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.flagged > 0)
                    .map(|(h, b)| bar(h, b.other, b.other + b.flagged, FLAGGED)),
            )
            .map_err(err)?;
        for (d, name) in DAYS.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(d as f64 * 24.0 + 12.0, 0.0));
            root.draw(&Text::new(
                *name,
                (x, y + 6),
                font(15).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(label_svg(&svg, id, title))
}

/// Horizontal bars of estimated cost per destination country, most costly at the top.
/// `rows` are (label, cost, cost as text).
pub fn countries_svg(rows: &[(String, f64, String)], id: &str, title: &str) -> io::Result<String> {
    let n = rows.len().max(1);
    let height = 44 + 40 * n as u32;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let xmax = nice_ceiling(max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(8)
            .margin_right(24)
            .x_label_area_size(26)
            .y_label_area_size(230)
            .build_cartesian_2d(0f64..xmax, 0f64..n as f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(5)
            .max_light_lines(0)
            .bold_line_style(GRID)
            .axis_style(GRID)
            .x_label_formatter(&|v| super::terminal::money(*v).replace(".00", ""))
            .label_style(font(16))
            .draw()
            .map_err(err)?;
        if rows.is_empty() {
            let (x, y) = chart.backend_coord(&(xmax / 2.0, 0.5));
            root.draw(&Text::new(
                "no flagged calls with a cost",
                (x, y),
                font(16).pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(err)?;
        }
        for (i, (label, cost, text)) in rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y + 0.2), (*cost, y + 0.8)],
                    FLAGGED.filled(),
                )))
                .map_err(err)?;
            let (x0, ym) = chart.backend_coord(&(0.0, y + 0.5));
            root.draw(&Text::new(
                label.clone(),
                (x0 - 8, ym),
                font(17).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
            // The amount sits right of the bar, or inside it when the bar is long.
            let (xe, _) = chart.backend_coord(&(*cost, y + 0.5));
            let inside = *cost > xmax * 0.7;
            let style = if inside {
                ("sans-serif", 16).into_font().color(&WHITE)
            } else {
                font(16)
            };
            let (x, anchor) = if inside {
                (xe - 6, HPos::Right)
            } else {
                (xe + 6, HPos::Left)
            };
            root.draw(&Text::new(
                text.clone(),
                (x, ym),
                style.pos(Pos::new(anchor, VPos::Center)),
            ))
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(label_svg(&svg, id, title))
}

/// One incident's calls along time: one bar per call (its length is the call's duration),
/// calls in progress at once on separate rows, off-hours shaded. `calls` sorted by start.
pub fn timeline_svg(
    config: &Config,
    calls: &[TimelineCall],
    id: &str,
    title: &str,
) -> io::Result<String> {
    let from = calls.iter().map(|c| c.start).min().unwrap_or(0);
    let to = calls
        .iter()
        .map(|c| c.end)
        .max()
        .unwrap_or(from)
        .max(from + 60);
    let pad = ((to - from) / 30).max(60);
    let (lo, hi) = (from - pad, to + pad);
    // Short calls and attempts stay visible: at least 1/400 of the axis wide.
    let min_w = ((hi - lo) / 400).max(1);
    let spans: Vec<(i64, i64)> = calls
        .iter()
        .map(|c| (c.start, c.end.max(c.start + min_w)))
        .collect();
    let (rows, nrows) = lanes(&spans, MAX_LANES);
    let height = 56 + 22 * nrows as u32;
    let rel = |t: i64| (t - lo) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(8)
            .margin_left(12)
            .margin_right(16)
            .x_label_area_size(30)
            .build_cartesian_2d(0f64..rel(hi), 0f64..nrows as f64)
            .map_err(err)?;
        chart
            .draw_series(off_hours_spans(config, lo, hi).into_iter().map(|(a, b)| {
                Rectangle::new([(rel(a), 0.0), (rel(b), nrows as f64)], CLOSED.filled())
            }))
            .map_err(err)?;
        // Ticks at round local times.
        let step = time_step(hi - lo);
        let offset = i64::from(config.calendar.local(lo).offset().fix().local_minus_utc());
        let mut t = (lo + offset).div_euclid(step) * step - offset;
        let long = hi - lo > 20 * 3600;
        while t <= hi {
            if t >= lo {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(rel(t), 0.0), (rel(t), nrows as f64)],
                        GRID.stroke_width(1),
                    )))
                    .map_err(err)?;
                let local = config.calendar.local(t);
                let text = if step >= 86400 {
                    local.format("%a %m-%d").to_string()
                } else if long {
                    local.format("%a %H:%M").to_string()
                } else {
                    local.format("%H:%M").to_string()
                };
                let (x, y) = chart.backend_coord(&(rel(t), 0.0));
                root.draw(&Text::new(
                    text,
                    (x, y + 6),
                    font(14).pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(err)?;
            }
            t += step;
        }
        chart
            .draw_series(
                spans
                    .iter()
                    .zip(&rows)
                    .zip(calls)
                    .map(|(((a, b), row), c)| {
                        let y = (nrows - 1 - row) as f64;
                        let color = if c.connected { FLAGGED } else { ATTEMPT };
                        Rectangle::new([(rel(*a), y + 0.18), (rel(*b), y + 0.82)], color.filled())
                    }),
            )
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(label_svg(&svg, id, title))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{Call, Direction, Subject, SubjectKind};
    use crate::config::{ConfigFile, Overrides};
    use crate::intern::Sym;

    fn config() -> Config {
        let file = ConfigFile::parse(
            "[site]\ntimezone = \"Europe/Berlin\"\n",
            std::path::Path::new("test.toml"),
        )
        .unwrap();
        Config::resolve(file, Overrides::default()).unwrap()
    }

    fn utc(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp()
    }

    fn table(starts: &[i64]) -> CallTable {
        let mut t = CallTable::new();
        let subject = t.subject_id(Subject {
            kind: SubjectKind::Extension,
            name: Sym::EMPTY,
        });
        for &start in starts {
            t.calls
                .push(Call::answered_for_test(start, Direction::Outbound, subject));
        }
        t
    }

    #[test]
    fn hour_of_week_is_in_site_time() {
        let c = config();
        // Saturday 2026-10-17 01:10 UTC is 03:10 in Berlin (summer time): Saturday hour 3.
        assert_eq!(week_hour(&c, utc("2026-10-17 01:10:00")), 5 * 24 + 3);
        // Monday 2026-10-19 00:30 Berlin is Sunday 22:30 UTC.
        assert_eq!(week_hour(&c, utc("2026-10-18 22:30:00")), 0);
        // Winter time: Sunday 2026-11-01 22:59 UTC is Sunday 23:59 in Berlin.
        assert_eq!(week_hour(&c, utc("2026-11-01 22:59:00")), 167);
    }

    #[test]
    fn buckets_count_every_call_once_and_split_flagged() {
        let c = config();
        let starts = [
            utc("2026-10-17 01:10:00"),
            utc("2026-10-17 01:50:00"),
            utc("2026-10-24 01:20:00"), // a week later, same hour of the week
            utc("2026-10-19 08:00:00"),
        ];
        let t = table(&starts);
        let b = hours_of_week(&c, &t, &[true, false, true]);
        assert_eq!(b.len(), HOURS_OF_WEEK);
        assert_eq!(
            b[5 * 24 + 3],
            HourBucket {
                flagged: 2,
                other: 1
            }
        );
        assert_eq!(
            b[10],
            HourBucket {
                flagged: 0,
                other: 1
            }
        );
        let total: u32 = b.iter().map(|x| x.flagged + x.other).sum();
        assert_eq!(total, 4);
    }

    #[test]
    fn empty_and_single_call_data() {
        let c = config();
        let empty = hours_of_week(&c, &CallTable::new(), &[]);
        assert!(empty.iter().all(|b| *b == HourBucket::default()));
        let svg = hours_svg(&empty, &closed_hours(&c), "chart-hours", "t").unwrap();
        assert!(svg.starts_with("<svg id=\"chart-hours\""), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        // No bar without calls: only the closed-hours shading and the background.
        assert!(!svg.contains("#C92A2A") && !svg.contains("#9AA8BB"));
        let one = hours_of_week(&c, &table(&[utc("2026-10-17 01:10:00")]), &[true]);
        let svg = hours_svg(&one, &closed_hours(&c), "chart-hours", "t").unwrap();
        assert_eq!(svg.matches("#C92A2A").count(), 1, "one flagged bar");
        let svg = countries_svg(&[], "chart-countries", "t").unwrap();
        assert!(svg.contains("no flagged calls with a cost"));
        let single = [TimelineCall {
            start: utc("2026-10-17 01:10:00"),
            end: utc("2026-10-17 01:10:00"),
            connected: false,
        }];
        let svg = timeline_svg(&c, &single, "timeline-i1", "t").unwrap();
        assert_eq!(svg.matches("#868E96").count(), 1, "one attempt bar");
        let svg = timeline_svg(&c, &[], "timeline-i1", "t").unwrap();
        assert!(svg.contains("<title"));
    }

    #[test]
    fn closed_hours_follow_business_hours() {
        let closed = closed_hours(&config());
        assert_eq!(closed.len(), HOURS_OF_WEEK);
        assert!(closed[3], "Monday 03:00 is closed");
        assert!(!closed[9], "Monday 09:00 is open (08:00-18:00)");
        assert!(closed[5 * 24 + 12], "Saturday noon is closed");
        assert_eq!(closed.iter().filter(|c| !**c).count(), 5 * 10);
    }

    #[test]
    fn axis_ends_are_round_and_bars_are_scaled() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(-3.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(1.5), 2.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(3073.59), 5000.0);
        assert_eq!(share(50.0, 200.0), 25.0);
        assert_eq!(share(5.0, 0.0), 0.0);
        assert_eq!(share(300.0, 200.0), 100.0);
        assert_eq!(share(f64::NAN, 1.0), 0.0);
    }

    #[test]
    fn concurrent_calls_get_their_own_rows() {
        // a and b overlap, c starts after a ended, d overlaps all three.
        let (rows, n) = lanes(&[(0, 10), (5, 20), (10, 30), (12, 14)], 12);
        assert_eq!(rows, vec![0, 1, 0, 2]);
        assert_eq!(n, 3);
        // Capped: the row that frees first is shared.
        let (rows, n) = lanes(&[(0, 10), (1, 20), (2, 30)], 2);
        assert_eq!(rows, vec![0, 1, 0]);
        assert_eq!(n, 2);
        assert_eq!(lanes(&[], 12), (vec![], 1));
    }

    #[test]
    fn off_hours_are_merged_stretches_in_site_time() {
        let c = config();
        // Friday 2026-10-16 17:00 to 19:00 Berlin = 15:00-17:00 UTC; closes at 18:00 Berlin.
        let spans = off_hours_spans(&c, utc("2026-10-16 15:00:00"), utc("2026-10-16 17:00:00"));
        assert_eq!(
            spans,
            vec![(utc("2026-10-16 16:00:00"), utc("2026-10-16 17:00:00"))]
        );
        assert!(off_hours_spans(&c, 10, 10).is_empty());
    }

    #[test]
    fn time_steps_and_labels() {
        assert_eq!(time_step(600), 300);
        assert_eq!(time_step(5 * 3600), 3600);
        assert_eq!(time_step(3 * 86400), 43200);
        assert_eq!(short_label("SO", "Somalia", 28), "SO Somalia");
        assert_eq!(short_label("001", "", 40), "001 satellite / intl. network");
        assert_eq!(
            short_label("GS", "South Georgia and the South Sandwich Islands", 20),
            "GS South Georgia an…"
        );
    }

    #[test]
    fn chart_text_is_escaped_and_titled() {
        let rows = vec![("<b>&x".to_string(), 10.0, "10.00 EUR".to_string())];
        let svg = countries_svg(&rows, "chart-countries", "Cost <by> country").unwrap();
        assert!(svg.contains("&lt;b&gt;&amp;x"), "{svg}");
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("<title id=\"chart-countries-title\">Cost &lt;by&gt; country</title>"));
        assert!(svg.contains("role=\"img\""));
    }
}

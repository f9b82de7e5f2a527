//! A deterministic synthetic CDR generator: an office's benign traffic plus planted attacks.
//!
//! [`generate`] produces a format-neutral stream of [`SynthCall`]s (site local times); one
//! writer per CDR format (one file each, registered in [`WRITERS`]) turns them into that PBX's
//! export, so the same month can be audited in every format and must give the same findings.
//! Used by the integration tests (a seeded month must yield every planted attack and no
//! high-severity finding on benign traffic), the samples and the benchmarks (millions of rows).
//! The same seed gives byte-identical output.

pub mod asterisk;
pub mod avaya;
pub mod cucm;
pub mod freeswitch;
pub mod grandstream;
pub mod teams;
pub mod threecx;
pub mod yeastar;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// PRNG seed.
    pub seed: u64,
    /// First day (local).
    pub first_day: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Number of extensions, numbered from `first_extension`.
    pub extensions: u32,
    /// Lowest extension number.
    pub first_extension: u32,
    /// Benign calls per extension per working day (on average).
    pub calls_per_extension_day: u32,
    /// Attacks to plant.
    pub attacks: Vec<Attack>,
}

/// A kind of planted attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttackKind {
    /// A night burst of calls to satellite and hot-list ranges (IRSF).
    IrsfBurst,
    /// Answered calls to national premium-rate numbers in business hours.
    PremiumRate,
    /// Many long night calls to ordinary mobile numbers (minute reselling).
    NightVolume,
}

/// One attack to plant.
#[derive(Debug, Clone)]
pub struct Attack {
    /// Kind.
    pub kind: AttackKind,
    /// The compromised extension.
    pub extension: u32,
    /// When it starts (local).
    pub start: NaiveDateTime,
    /// How many calls.
    pub calls: u32,
}

/// What was planted, for the test to check against.
#[derive(Debug, Clone)]
pub struct Planted {
    /// Kind.
    pub kind: AttackKind,
    /// Subject label as reports print it (`extension 207`).
    pub subject: String,
    /// First call start (local).
    pub start: NaiveDateTime,
    /// Last call end (local).
    pub end: NaiveDateTime,
    /// Calls written.
    pub calls: u32,
    /// Rule names that should fire.
    pub rules: &'static [&'static str],
}

impl Spec {
    /// A 50-extension office over four weeks from Monday 2026-10-05 (DST ends on day 20), with
    /// one attack of each kind.
    pub fn month(seed: u64) -> Spec {
        let d = |m, day, h, min| {
            NaiveDate::from_ymd_opt(2026, m, day)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap()
        };
        Spec {
            seed,
            first_day: NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
            days: 28,
            extensions: 50,
            first_extension: 200,
            calls_per_extension_day: 8,
            attacks: vec![
                Attack {
                    kind: AttackKind::IrsfBurst,
                    extension: 217,
                    start: d(10, 17, 1, 5),
                    calls: 150,
                },
                Attack {
                    kind: AttackKind::PremiumRate,
                    extension: 233,
                    start: d(10, 21, 10, 0),
                    calls: 10,
                },
                Attack {
                    kind: AttackKind::NightVolume,
                    extension: 241,
                    start: d(10, 27, 21, 0),
                    calls: 80,
                },
            ],
        }
    }
}

/// How a synthetic call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered (talk seconds > 0).
    Answered,
    /// Rang out.
    NoAnswer,
    /// Busy.
    Busy,
    /// Failed (no route, rejected).
    Failed,
}

impl Outcome {
    /// Asterisk spelling.
    pub fn asterisk(self) -> &'static str {
        match self {
            Outcome::Answered => "ANSWERED",
            Outcome::NoAnswer => "NO ANSWER",
            Outcome::Busy => "BUSY",
            Outcome::Failed => "FAILED",
        }
    }
}

/// Which way a synthetic call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// Extension → trunk → `other` (a dialled external number, as the user dialled it).
    Outbound,
    /// `other` (caller number) → trunk → extension.
    Inbound,
    /// Extension → extension `other`.
    Internal,
}

/// One call of the synthetic traffic, independent of any CDR format.
#[derive(Debug, Clone)]
pub struct SynthCall {
    /// Sequence number, unique per call (call ids, channel suffixes).
    pub seq: u64,
    /// Direction.
    pub leg: Leg,
    /// Start (site local wall-clock time).
    pub start: NaiveDateTime,
    /// Seconds ringing before answer (or before giving up).
    pub ring: u32,
    /// Talk seconds (0 unless answered).
    pub talk: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// The extension of the office involved: caller (outbound, internal) or callee (inbound).
    pub extension: String,
    /// The caller's display name: the extension's user (outbound, internal), empty for
    /// inbound callers.
    pub name: String,
    /// The other party: dialled number (outbound, national format with `0`/`00` prefixes),
    /// called extension (internal) or caller number (inbound).
    pub other: String,
    /// The trunk name (`telekom`).
    pub trunk: &'static str,
}

impl SynthCall {
    /// Total seconds (ring + talk).
    pub fn duration(&self) -> u32 {
        self.ring + self.talk
    }

    /// End (local).
    pub fn end(&self) -> NaiveDateTime {
        self.start + Duration::seconds(i64::from(self.duration()))
    }

    /// Answer (local), if answered.
    pub fn answer(&self) -> Option<NaiveDateTime> {
        (self.outcome == Outcome::Answered)
            .then(|| self.start + Duration::seconds(i64::from(self.ring)))
    }

    /// Caller number as a CDR writes it.
    pub fn caller(&self) -> &str {
        match self.leg {
            Leg::Inbound => &self.other,
            _ => &self.extension,
        }
    }

    /// Called number as a CDR writes it.
    pub fn callee(&self) -> &str {
        match self.leg {
            Leg::Inbound => &self.extension,
            _ => &self.other,
        }
    }
}

/// Writes synthetic calls as one CDR format.
pub trait CdrWriter {
    /// Lines written before the first call (header rows), if the format has them.
    fn header(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    /// Writes one call (one or more rows).
    fn call(&mut self, call: &SynthCall, out: &mut dyn Write) -> io::Result<()>;
}

/// A writer constructor: the site time zone (for formats that write UTC or epochs).
pub type MakeWriter = fn(chrono_tz::Tz) -> Box<dyn CdrWriter>;

/// Writers by the importer format name they produce.
pub static WRITERS: &[(&str, MakeWriter)] = &[
    ("asterisk-csv", asterisk::make),
    ("cucm", cucm::make),
    ("teams", teams::make),
    ("freeswitch", freeswitch::make),
    ("grandstream", grandstream::make),
    ("yeastar", yeastar::make),
    ("3cx", threecx::make),
    ("avaya-smdr", avaya::make),
];

/// The writer for a format name.
pub fn writer_for(format: &str, tz: chrono_tz::Tz) -> Option<Box<dyn CdrWriter>> {
    WRITERS
        .iter()
        .find(|(n, _)| *n == format)
        .map(|(_, make)| make(tz))
}

/// The first `days` of the seeded month `seed` with `extensions` extensions in `format`, header
/// included (for tests).
#[cfg(test)]
pub(crate) fn few_days(format: &str, seed: u64, days: u32, extensions: u32) -> Vec<u8> {
    let mut spec = Spec::month(seed);
    spec.days = days;
    spec.extensions = extensions;
    let mut out = Vec::new();
    write_as(format, MONTH_TZ, &spec, &mut out).expect("a registered writer");
    out
}

/// The site time zone of [`Spec::month`].
pub const MONTH_TZ: chrono_tz::Tz = chrono_tz::Europe::Berlin;

struct Writer<'f> {
    emit: &'f mut dyn FnMut(&SynthCall) -> io::Result<()>,
    rng: fastrand::Rng,
    seq: u64,
    rows: u64,
}

impl Writer<'_> {
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        leg: Leg,
        extension: &str,
        name: &str,
        other: &str,
        start: NaiveDateTime,
        ring: u32,
        talk: u32,
        outcome: Outcome,
    ) -> io::Result<NaiveDateTime> {
        self.seq += 1;
        let talk = if outcome == Outcome::Answered {
            talk
        } else {
            0
        };
        let call = SynthCall {
            seq: self.seq,
            leg,
            start,
            ring,
            talk,
            outcome,
            extension: extension.to_string(),
            name: name.to_string(),
            other: other.to_string(),
            trunk: "telekom",
        };
        (self.emit)(&call)?;
        self.rows += 1;
        Ok(call.end())
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.u8(0..10)))
            .collect()
    }
}

/// Writes the CDRs of `spec` in Asterisk cdr_csv form; returns what was planted and the rows.
pub fn write_asterisk<W: Write>(spec: &Spec, out: W) -> io::Result<(Vec<Planted>, u64)> {
    write_as("asterisk-csv", MONTH_TZ, spec, out)
}

/// Writes the CDRs of `spec` in `format` (a name of [`WRITERS`]), timestamps for a site in
/// `tz`; returns what was planted and how many calls were written.
pub fn write_as<W: Write>(
    format: &str,
    tz: chrono_tz::Tz,
    spec: &Spec,
    out: W,
) -> io::Result<(Vec<Planted>, u64)> {
    let mut w = writer_for(format, tz).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no synthetic writer for {format}"),
        )
    })?;
    let mut out = io::BufWriter::new(out);
    w.header(&mut out)?;
    let result = generate(spec, &mut |c| w.call(c, &mut out))?;
    out.flush()?;
    Ok(result)
}

/// Generates the calls of `spec` in time order (per day), handing each to `emit`; returns what
/// was planted and how many calls were generated.
pub fn generate(
    spec: &Spec,
    emit: &mut dyn FnMut(&SynthCall) -> io::Result<()>,
) -> io::Result<(Vec<Planted>, u64)> {
    let mut w = Writer {
        emit,
        rng: fastrand::Rng::with_seed(spec.seed),
        seq: 0,
        rows: 0,
    };
    // Fixed pools of benign destinations, so numbers repeat as in real traffic.
    let national = pool(
        &mut w,
        400,
        &[("030", 8), ("089", 7), ("0151", 8), ("0176", 8)],
    );
    let international = pool(
        &mut w,
        40,
        &[
            ("0044207946", 4),
            ("00331", 8),
            ("00431", 7),
            ("001212555", 4),
        ],
    );
    let names = [
        "Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans",
    ];
    let attackers: Vec<u32> = spec.attacks.iter().map(|a| a.extension).collect();
    let mut planted = Vec::new();
    let mut events: Vec<(NaiveDateTime, usize)> = Vec::new(); // attack start, index
    for (i, a) in spec.attacks.iter().enumerate() {
        events.push((a.start, i));
    }
    for day in 0..spec.days {
        let date = spec.first_day + Duration::days(i64::from(day));
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        // Benign calls of the day, generated in time order per day.
        let mut calls: Vec<(NaiveDateTime, u32, u8)> = Vec::new();
        for e in 0..spec.extensions {
            let ext = spec.first_extension + e;
            let n = if weekend {
                u32::from(w.rng.u8(0..100) < 3)
            } else {
                w.rng.u32(0..=spec.calls_per_extension_day * 2)
            };
            for _ in 0..n {
                let secs = if weekend {
                    w.rng.u32(10 * 3600..16 * 3600)
                } else {
                    w.rng.u32(8 * 3600 + 300..17 * 3600 + 3000)
                };
                let t = date.and_hms_opt(0, 0, 0).unwrap() + Duration::seconds(i64::from(secs));
                calls.push((t, ext, w.rng.u8(0..100)));
            }
            // Near misses: a few single evening calls home, and rare long daytime calls.
            if !weekend && !attackers.contains(&ext) && w.rng.u8(0..100) < 4 {
                let t = date.and_hms_opt(19, w.rng.u32(0..59), 0).unwrap();
                calls.push((t, ext, 200));
            }
            if !weekend && w.rng.u8(0..100) < 2 {
                let t = date.and_hms_opt(w.rng.u32(9..14), 0, 0).unwrap();
                calls.push((t, ext, 201));
            }
        }
        calls.sort();
        for (t, ext, kind) in calls {
            let src = ext.to_string();
            let name = names[(ext as usize) % names.len()];
            let ring = w.rng.u32(2..20);
            let answered = w.rng.u8(0..100) < 85;
            let (outcome, talk) = if answered {
                (Outcome::Answered, w.rng.u32(15..600))
            } else {
                (
                    [Outcome::NoAnswer, Outcome::Busy, Outcome::Failed][w.rng.usize(0..3)],
                    0,
                )
            };
            let (leg, who, other, talk, outcome) = match kind {
                0..=39 => {
                    let other = spec.first_extension + w.rng.u32(0..spec.extensions);
                    (Leg::Internal, name, other.to_string(), talk, outcome)
                }
                85..=99 => {
                    let caller = pick(&mut w, &national);
                    (Leg::Inbound, "", caller, talk, outcome)
                }
                _ => {
                    // Outbound: national, international, an evening call home (200), or a long
                    // daytime call (201).
                    let (pool, talk, outcome) = match kind {
                        40..=79 => (&national, talk, outcome),
                        80..=84 => (&international, talk, outcome),
                        200 => (&national, w.rng.u32(60..900), Outcome::Answered),
                        _ => {
                            let pool = if w.rng.bool() {
                                &national
                            } else {
                                &international
                            };
                            (pool, w.rng.u32(3600..7200), Outcome::Answered)
                        }
                    };
                    let dst = pick(&mut w, pool);
                    (Leg::Outbound, name, dst, talk, outcome)
                }
            };
            w.row(leg, &src, who, &other, t, ring, talk, outcome)?;
        }
        for (start, i) in events.iter().filter(|(s, _)| s.date() == date) {
            planted.push(attack(&mut w, &spec.attacks[*i], *start)?);
        }
    }
    Ok((planted, w.rows))
}

/// `n` numbers cycling through `(prefix, random digits)` shapes.
fn pool(w: &mut Writer<'_>, n: usize, shapes: &[(&str, usize)]) -> Vec<String> {
    (0..n)
        .map(|i| {
            let (prefix, digits) = shapes[i % shapes.len()];
            format!("{prefix}{}", w.digits(digits))
        })
        .collect()
}

fn pick(w: &mut Writer<'_>, pool: &[String]) -> String {
    pool[w.rng.usize(0..pool.len())].clone()
}

fn attack(w: &mut Writer<'_>, a: &Attack, start: NaiveDateTime) -> io::Result<Planted> {
    let src = a.extension.to_string();
    let mut t = start;
    let mut last_end = start;
    let hot = pool(
        w,
        12,
        &[("0088216", 6), ("00535", 7), ("002399", 6), ("0025261", 7)],
    );
    // German premium rate: 0900 followed by 1, 3, 5 or 9 and six digits.
    let premium: Vec<String> = (0..3)
        .map(|i| format!("0900{}{}", ["1", "3", "5", "9"][i % 4], w.digits(6)))
        .collect();
    for i in 0..a.calls {
        let (dst, ring, talk, disp, gap) = match a.kind {
            AttackKind::IrsfBurst => {
                let dst = hot[w.rng.usize(0..hot.len())].clone();
                if i < 5 {
                    (dst, 3, 0, Outcome::Failed, 20)
                } else {
                    // Several channels at once: the next call starts before this one ends.
                    (
                        dst,
                        w.rng.u32(3..10),
                        w.rng.u32(120..900),
                        Outcome::Answered,
                        w.rng.u32(30..150),
                    )
                }
            }
            AttackKind::PremiumRate => {
                let dst = premium[w.rng.usize(0..premium.len())].clone();
                (
                    dst,
                    5,
                    w.rng.u32(180..600),
                    Outcome::Answered,
                    w.rng.u32(300..700),
                )
            }
            AttackKind::NightVolume => {
                let dst = format!("0151{}", w.digits(8));
                (
                    dst,
                    4,
                    w.rng.u32(120..360),
                    Outcome::Answered,
                    w.rng.u32(60..150),
                )
            }
        };
        let end = w.row(Leg::Outbound, &src, "Hacked", &dst, t, ring, talk, disp)?;
        last_end = last_end.max(end);
        t += Duration::seconds(i64::from(gap));
    }
    Ok(Planted {
        kind: a.kind,
        subject: format!("extension {src}"),
        start,
        end: last_end,
        calls: a.calls,
        rules: match a.kind {
            AttackKind::IrsfBurst => &["premium-rate", "off-hours", "volume"],
            AttackKind::PremiumRate => &["premium-rate"],
            AttackKind::NightVolume => &["off-hours", "volume"],
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_attacks_are_planted() {
        let spec = Spec::month(7);
        let mut a = Vec::new();
        let mut b = Vec::new();
        let (planted, rows) = write_asterisk(&spec, &mut a).unwrap();
        write_asterisk(&spec, &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(planted.len(), 3);
        assert!(rows > 5000, "{rows}");
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count() as u64, rows);
        let mut other = Vec::new();
        write_asterisk(&Spec::month(8), &mut other).unwrap();
        assert_ne!(text.as_bytes(), &other[..]);
    }
}

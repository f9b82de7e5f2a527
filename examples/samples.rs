//! Writes the synthetic sample files of every PBX format that has a writer in
//! `tollguard::synth` (all but the Asterisk and FreePBX samples, which `samples/make_samples.py`
//! writes): `cargo run --example samples` from the repository root. Deterministic: the same
//! code writes the same bytes. Each file is two weeks of a 12-extension office in Berlin with
//! one planted attack, listed on stdout for `samples/README.md`.

use chrono::NaiveDate;
use std::io::Write;
use tollguard::synth::{write_as, Attack, AttackKind, Spec, MONTH_TZ, WRITERS};

/// Format, sample path, planted attack kind, hacked extension, attack start (day, hour, minute).
/// Each office has its own extension range (the hundreds of the hacked extension), because one
/// audit of `samples/` sees them all and extension numbers name subjects.
type Sample = (&'static str, &'static str, AttackKind, u32, (u32, u32, u32));

const SAMPLES: &[Sample] = &[
    (
        "freeswitch",
        "freeswitch/Master.csv",
        AttackKind::IrsfBurst,
        405,
        (10, 2, 10),
    ),
    (
        "3cx",
        "3cx/cdr.log",
        AttackKind::NightVolume,
        507,
        (13, 21, 30),
    ),
    (
        "cucm",
        "cucm/cdr_StandAloneCluster_01_202610050000_1",
        AttackKind::PremiumRate,
        603,
        (7, 10, 15),
    ),
    (
        "avaya-smdr",
        "avaya/smdr.txt",
        AttackKind::IrsfBurst,
        709,
        (17, 23, 40),
    ),
    (
        "teams",
        "teams/pstn-usage.csv",
        AttackKind::PremiumRate,
        802,
        (14, 14, 5),
    ),
    (
        "grandstream",
        "grandstream/cdr.csv",
        AttackKind::NightVolume,
        910,
        (11, 20, 45),
    ),
    (
        "yeastar",
        "yeastar/cdr.csv",
        AttackKind::IrsfBurst,
        1004,
        (16, 3, 20),
    ),
];

fn main() -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (format, path, kind, extension, (day, hour, minute)) in SAMPLES {
        if !WRITERS.iter().any(|(n, _)| n == format) {
            writeln!(out, "{format}: no writer, skipped")?;
            continue;
        }
        let start = NaiveDate::from_ymd_opt(2026, 10, *day)
            .and_then(|d| d.and_hms_opt(*hour, *minute, 0))
            .expect("valid start");
        let calls = match kind {
            AttackKind::IrsfBurst => 60,
            AttackKind::PremiumRate => 8,
            AttackKind::NightVolume => 60,
        };
        let spec = Spec {
            seed: 20261122 + u64::from(*extension),
            first_day: NaiveDate::from_ymd_opt(2026, 10, 5).expect("valid day"),
            days: 14,
            extensions: 12,
            first_extension: extension / 100 * 100,
            calls_per_extension_day: 6,
            attacks: vec![Attack {
                kind: *kind,
                extension: *extension,
                start,
                calls,
            }],
        };
        let target = std::path::Path::new("samples").join(path);
        std::fs::create_dir_all(target.parent().expect("has a folder"))?;
        let (planted, rows) = write_as(format, MONTH_TZ, &spec, std::fs::File::create(&target)?)?;
        for p in planted {
            writeln!(
                out,
                "| `{path}` | {format} | {rows} calls | {:?}: {} calls from {} {} to {} (Berlin time) |",
                p.kind,
                p.calls,
                p.subject,
                p.start.format("%a %Y-%m-%d %H:%M"),
                p.end.format("%H:%M"),
            )?;
        }
    }
    Ok(())
}

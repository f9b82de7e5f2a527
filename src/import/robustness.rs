//! Property test over every importer: seeded random damage to a file each format's own
//! synthetic writer produced (bytes replaced by quotes, delimiters, newlines or noise; lines
//! cut; fields dropped) must never panic, and every row read must end as a call or as a
//! counted reject. Runs in-process, so a few hundred damaged files per format take seconds;
//! a new format is covered as soon as it is in [`super::FORMATS`].

use super::{import_all, Builder, ImportOptions};
use crate::config::{Config, ConfigFile, Overrides};
use crate::number::Classifier;
use crate::synth::{writer_for, MONTH_TZ};

/// A small, valid file in `format`: its writer's output when it has one, else Asterisk's.
fn base_file(format: &str) -> Vec<u8> {
    let name = if writer_for(format, MONTH_TZ).is_some() {
        format
    } else {
        "asterisk-csv"
    };
    crate::synth::few_days(name, 5, 3, 8)
}

/// One seeded mutation of `data`.
fn damage(rng: &mut fastrand::Rng, data: &mut Vec<u8>) {
    match rng.u8(0..5) {
        0..=1 => {
            for _ in 0..rng.usize(1..40) {
                let i = rng.usize(0..data.len());
                data[i] = match rng.u8(0..6) {
                    0 => b'"',
                    1 => b',',
                    2 => b'\n',
                    3 => b'\r',
                    4 => b';',
                    _ => rng.u8(..),
                };
            }
        }
        2 => {
            // Cut the file anywhere, mid-field included.
            let n = rng.usize(0..data.len());
            data.truncate(n);
        }
        3 => {
            // Drop a run of bytes (fields or half lines disappear).
            let a = rng.usize(0..data.len());
            let b = (a + rng.usize(1..60)).min(data.len());
            data.drain(a..b);
        }
        _ => {
            // Insert noise: a stray quoted comma, a formula, a long field.
            let i = rng.usize(0..data.len());
            let noise: &[u8] = match rng.u8(0..3) {
                0 => b"\",\"",
                1 => b"=cmd|' /C calc'!A0",
                _ => b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            };
            data.splice(i..i, noise.iter().copied());
        }
    }
}

#[test]
fn damaged_files_never_panic_and_every_row_is_accounted_for() {
    let config = Config::resolve(
        ConfigFile::default(),
        Overrides {
            tz: Some("Europe/Berlin".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    let classifier = Classifier::from_config(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(20261122);
    for format in super::FORMATS {
        let base = base_file(format.name());
        for round in 0..60 {
            let mut data = base.clone();
            for _ in 0..rng.usize(1..4) {
                if !data.is_empty() {
                    damage(&mut rng, &mut data);
                }
            }
            let path = dir.path().join(format!("{}-{round}.cdr", format.name()));
            std::fs::write(&path, &data).unwrap();
            let sources = crate::input::resolve(&[path.display().to_string()]).unwrap();
            for forced in [Some(format.name().to_string()), None] {
                let opts = ImportOptions {
                    format: forced.clone(),
                    show_rejects: 5,
                    ..Default::default()
                };
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut builder = Builder::new(&config, &classifier).unwrap();
                    import_all(&sources, &mut builder, &opts)
                        .map(|s| (s, builder.table.calls.len()))
                }));
                let what = format!("{} round {round} forced {forced:?}", format.name());
                let result = run.unwrap_or_else(|_| panic!("{what}: panicked"));
                // An unreadable file is an error the user sees (exit 2), not a crash.
                if let Ok((stats, calls)) = result {
                    let f = &stats.files[0];
                    assert!(
                        calls as u64 + f.rows_rejected <= f.rows_read,
                        "{what}: {calls} calls + {} rejected > {} read",
                        f.rows_rejected,
                        f.rows_read
                    );
                    assert!(
                        f.rows_read == 0 || calls > 0 || f.rows_rejected > 0,
                        "{what}: {} rows read vanished",
                        f.rows_read
                    );
                }
            }
        }
    }
}

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
    let (config, classifier) = berlin();
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

/// Everything an import produced, handles included: equal snapshots mean equal imports.
fn snapshot(
    result: &crate::error::Result<super::ImportStats>,
    table: &crate::call::CallTable,
) -> String {
    let calls: Vec<String> = table
        .calls
        .iter()
        .map(|c| {
            format!(
                "{c:?} {} {} {} {}",
                table.str(c.src),
                table.str(c.dialled),
                table.str(c.caller_name),
                table.call_id(c)
            )
        })
        .collect();
    format!(
        "{result:?}\n{calls:#?}\n{:?}\n{:?}\n{} {} ids",
        table.subjects,
        table.numbers,
        table.strings.len(),
        table.ids.len()
    )
}

/// An Asterisk row whose caller name holds a quoted newline: a line end that is no record end.
const QUOTED_NEWLINE_ROW: &[u8] = b"\"\",\"201\",\"0301234567\",\"from-internal\",\"\"\"multi\nline\"\" <201>\",\"PJSIP/201-1\",\"PJSIP/telekom-2\",\"Dial\",\"PJSIP/0301234567@telekom,60\",\"2026-10-05 10:00:00\",\"2026-10-05 10:00:05\",\"2026-10-05 10:01:00\",60,55,\"ANSWERED\",\"DOCUMENTATION\",\"1.1\",\"\"\n";

/// The default configuration in Berlin time, and its classifier: what the import tests read
/// with.
pub(super) fn berlin() -> (Config, Classifier) {
    let config = Config::resolve(
        ConfigFile::default(),
        Overrides {
            tz: Some("Europe/Berlin".parse().unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    let classifier = Classifier::from_config(&config).unwrap();
    (config, classifier)
}

/// The [`snapshot`] of importing `sources` with `mode`, what the sequential and parallel reads
/// are compared by.
fn read_as(
    config: &Config,
    classifier: &Classifier,
    sources: &[crate::input::Source],
    opts: &ImportOptions,
    mode: super::Mode,
) -> String {
    outcome(config, classifier, |b| {
        super::import_all_with(sources, b, opts, mode)
    })
}

/// The [`snapshot`] of what `import` reads into a fresh builder.
fn outcome(
    config: &Config,
    classifier: &Classifier,
    import: impl FnOnce(&mut Builder<'_>) -> crate::error::Result<super::ImportStats>,
) -> String {
    let mut builder = Builder::new(config, classifier).unwrap();
    let r = import(&mut builder);
    if r.is_err() {
        // A strict run stops at the first reject and its table is dropped: only the error is
        // seen, and it must be the same.
        return format!("{r:?}");
    }
    snapshot(&r, &builder.table)
}

/// Where the lines of `data` start: 0 and after every newline (the end, after a last one).
fn line_starts(data: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', data).map(|i| i + 1))
        .collect()
}

/// Random chunk and batch sizes below `chunk` and `batch` bytes (chunks shrinking to a random
/// tail size or not), so that cuts fall everywhere,
/// and a fresh copy of the string table every few strings, so that chunks find strings of
/// earlier batches there.
fn tiny_sizes(rng: &mut fastrand::Rng, chunk: usize, batch: usize) -> super::parallel::Sizes {
    let chunk = rng.usize(1..chunk);
    super::parallel::Sizes {
        chunk,
        tail: rng.usize(1..=chunk),
        batch: rng.usize(1..batch),
        refresh: rng.usize(0..8),
    }
}

#[test]
fn parallel_reading_gives_the_sequential_result_on_damaged_files() {
    use super::Mode;
    let (config, classifier) = berlin();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(7_2026_1122);
    // Quoted newlines, blank and CRLF lines, invalid UTF-8 and shifted rows, so that cuts land
    // inside quotes, between blank lines and next to repaired rows.
    let extra: &[&[u8]] = &[
        QUOTED_NEWLINE_ROW,
        b"\n\n\r\n  \n",
        b"\"\",\"202\",\"0301234567\",\"from-internal\",\"\"\"M\xfcller\"\" <202>\",\"PJSIP/202-1\",\"PJSIP/telekom-2\",\"Dial\",\"PJSIP/0301234567@telekom,60\",\"2026-10-05 11:00:00\",,\"2026-10-05 11:00:10\",10,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1.2\",\"\"\r\n",
        b"\"\",\"203\",\"0301234567\",\"from-internal\",\"A, B\" <203>,\"PJSIP/203-1\",\"PJSIP/telekom-2\",\"Dial\",\"PJSIP/0301234567@telekom,60\",\"2026-10-05 12:00:00\",,\"2026-10-05 12:00:10\",10,0,\"BUSY\",\"DOCUMENTATION\",\"1.3\",\"\"\n",
        b"\"open quote\n\n\"\n",
    ];
    for format in super::FORMATS {
        let base = base_file(format.name());
        for round in 0..8 {
            let mut data = base.clone();
            for _ in 0..rng.usize(0..4) {
                if rng.bool() {
                    // Insert a tricky row at a line start.
                    let starts = line_starts(&data);
                    let at = starts[rng.usize(0..starts.len())];
                    let e = extra[rng.usize(0..extra.len())];
                    data.splice(at..at, e.iter().copied());
                } else if !data.is_empty() {
                    damage(&mut rng, &mut data);
                }
            }
            let path = dir.path().join(format!("{}-{round}.cdr", format.name()));
            std::fs::write(&path, &data).unwrap();
            let sources = crate::input::resolve(&[path.display().to_string()]).unwrap();
            for (forced, strict) in [
                (Some(format.name().to_string()), false),
                (None, false),
                (None, true),
            ] {
                let opts = ImportOptions {
                    format: forced.clone(),
                    show_rejects: 3,
                    strict,
                    ..Default::default()
                };
                let run = |mode| read_as(&config, &classifier, &sources, &opts, mode);
                let want = run(Mode::Sequential);
                for _ in 0..2 {
                    let sizes = tiny_sizes(&mut rng, 400, 3000);
                    let got = run(Mode::Parallel(sizes));
                    assert!(
                        got == want,
                        "{} round {round} forced {forced:?} strict {strict} {sizes:?}: parallel differs",
                        format.name()
                    );
                }
            }
        }
    }
}

#[test]
fn parallel_reading_of_cut_gzip_files_gives_the_sequential_result() {
    use super::Mode;
    use std::io::Write;
    let (config, classifier) = berlin();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(23_2026_1123);
    // More text than the format sniffer reads, so that cuts fall after it, where the parallel
    // reader takes over; a record with a quoted newline now and then, so that the stream may
    // end inside quotes.
    let one = base_file("asterisk-csv");
    let mut text = Vec::new();
    while text.len() < 4 * super::SNIFF_BYTES {
        text.extend_from_slice(&one);
        text.extend_from_slice(QUOTED_NEWLINE_ROW);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let full = gz.finish().unwrap();
    let mut cut_reads = 0;
    for round in 0..12 {
        let cut = if round == 0 {
            full.len()
        } else {
            rng.usize(full.len() / 2..full.len())
        };
        let path = dir.path().join(format!("Master-{round}.csv.gz"));
        std::fs::write(&path, &full[..cut]).unwrap();
        let sources = crate::input::resolve(&[path.display().to_string()]).unwrap();
        let opts = ImportOptions {
            show_rejects: 3,
            ..Default::default()
        };
        let run = |mode| read_as(&config, &classifier, &sources, &opts, mode);
        let want = run(Mode::Sequential);
        if want.contains("read error") {
            cut_reads += 1;
        }
        for _ in 0..2 {
            let sizes = tiny_sizes(&mut rng, 4000, 20_000);
            let got = run(Mode::Parallel(sizes));
            assert!(
                got == want,
                "cut at {cut} of {} {sizes:?}: parallel differs",
                full.len()
            );
        }
    }
    // Every cut file but the whole one ends in a read error past the sniffed head.
    assert_eq!(cut_reads, 11);
}

#[test]
fn parallel_reading_of_many_files_gives_the_sequential_result() {
    // A run over a directory of files of every format (some damaged), an empty one and one no
    // format fits: each next file is opened and its first batch parsed while the last batch of
    // the file before is committed, with its own format's clock (3CX writes UTC) and the
    // string table as it was then.
    use super::Mode;
    let (config, classifier) = berlin();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(11_2026_1123);
    let mut files = 0;
    for round in 0..2 {
        for format in super::FORMATS {
            let mut data = base_file(format.name());
            if round == 1 {
                damage(&mut rng, &mut data);
            }
            let name = format!("{round}-{files:02}-{}.cdr", format.name());
            std::fs::write(dir.path().join(name), &data).unwrap();
            files += 1;
        }
    }
    std::fs::write(dir.path().join("1-50-empty.cdr"), b"").unwrap();
    std::fs::write(dir.path().join("1-51-notes.txt"), b"call Anna back\n").unwrap();
    let sources = crate::input::resolve(&[dir.path().display().to_string()]).unwrap();
    assert_eq!(sources.len(), files + 2);
    for strict in [false, true] {
        let opts = ImportOptions {
            show_rejects: 3,
            strict,
            ..Default::default()
        };
        let run = |mode| read_as(&config, &classifier, &sources, &opts, mode);
        let want = run(Mode::Sequential);
        if !strict {
            assert!(want.contains("skipped: "), "the notes file is skipped");
        }
        for _ in 0..3 {
            let sizes = tiny_sizes(&mut rng, 400, 3000);
            let got = run(Mode::Parallel(sizes));
            assert!(got == want, "strict {strict} {sizes:?}: parallel differs");
        }
    }
}

#[test]
fn parallel_reading_of_slices_gives_the_sequential_result() {
    // What a nightly run reads: slices of files between two line starts (the first past the
    // header or not, some inside a quoted field), line numbers continuing the file's. Read in
    // parallel (a large slice: the first run over a Master.csv grown for months) they must
    // give what reading them in order gives.
    use super::{import_slices_with, Mode, Slice};
    let (config, classifier) = berlin();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(5_2026_1123);
    for format in super::FORMATS {
        for round in 0..3 {
            let mut data = base_file(format.name());
            if round > 0 {
                // A record with a newline in quotes, at a line start past the header.
                let at = data[data.len() / 2..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(data.len(), |i| data.len() / 2 + i + 1);
                data.splice(at..at, QUOTED_NEWLINE_ROW.iter().copied());
                damage(&mut rng, &mut data);
            }
            let path = dir.path().join(format!("{}-{round}.cdr", format.name()));
            std::fs::write(&path, &data).unwrap();
            let source = crate::input::resolve(&[path.display().to_string()])
                .unwrap()
                .remove(0);
            let starts = line_starts(&data);
            let slice = |a: usize, b: usize| Slice {
                source: source.clone(),
                start: starts[a] as u64,
                end: starts[b] as u64,
                lines_before: a as u64,
            };
            let last = starts.len() - 1;
            let a = rng.usize(0..=last / 2);
            // The whole file, then two slices that follow each other (as two nights read
            // them), so that the second is opened while the first is committed.
            let b = rng.usize(a..=last);
            for slices in [vec![slice(0, last)], vec![slice(0, a), slice(a, b)]] {
                for strict in [false, true] {
                    let opts = ImportOptions {
                        show_rejects: 3,
                        strict,
                        ..Default::default()
                    };
                    let run = |mode| {
                        outcome(&config, &classifier, |b| {
                            import_slices_with(&slices, b, &opts, mode)
                        })
                    };
                    let want = run(Mode::Sequential);
                    for _ in 0..2 {
                        let sizes = tiny_sizes(&mut rng, 400, 3000);
                        let got = run(Mode::Parallel(sizes));
                        assert!(
                            got == want,
                            "{} round {round} slices {a}..{b} strict {strict} {sizes:?}: parallel differs",
                            format.name()
                        );
                    }
                }
            }
        }
    }
}

//! Micro benchmarks of the hot path: row parsing, number classification, import, analysis
//! (all rules) and report rendering, on a seeded synthetic month (`tollguard::synth`).
//!
//! Run with `cargo bench`. Compare ratios measured in one run, not absolute times across
//! machines. The end-to-end comparison against `wc -l`, a bare csv pass and DuckDB belongs to
//! the performance issue and will live beside this file.

use std::sync::OnceLock;
use tollguard::config::Config;
use tollguard::import::{asterisk_csv::AsteriskCsv, Fields, Format, Layout};
use tollguard::number::Classifier;

fn main() {
    divan::main();
}

fn month_file() -> &'static std::path::Path {
    static FILE: OnceLock<(tempfile::TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, p) = FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Master.csv");
        let f = std::fs::File::create(&p).unwrap();
        tollguard::synth::write_asterisk(&tollguard::synth::Spec::month(1), f).unwrap();
        (dir, p)
    });
    p
}

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        let mut c = Config::defaults();
        c.tz = chrono_tz::Europe::Berlin;
        c.source_tz = chrono_tz::Europe::Berlin;
        c
    })
}

const ROW: &str = r#""","201","0088216001234","from-internal","""Reception"" <201>","PJSIP/201-0000001a","PJSIP/trunk-0000001b","Dial","PJSIP/0088216001234@trunk,60","2026-03-07 02:14:05","2026-03-07 02:14:09","2026-03-07 02:31:40",1055,1051,"ANSWERED","DOCUMENTATION","1772849645.26","""#;

#[divan::bench]
fn parse_asterisk_row(b: divan::Bencher) {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(ROW.as_bytes());
    let mut rec = csv::ByteRecord::new();
    rdr.read_byte_record(&mut rec).unwrap();
    let layout = Layout::default();
    b.bench(|| {
        let f = Fields::new(divan::black_box(&rec));
        AsteriskCsv.parse(&f, &layout).map(|r| r.duration).unwrap()
    });
}

#[divan::bench(args = ["0301234567", "0088216123456", "09001456884", "00442079460000"])]
fn classify_uncached(b: divan::Bencher, number: &str) {
    let c = Classifier::from_config(config()).unwrap();
    c.classify(number); // warm libphonenumber's metadata
    b.bench(|| c.classify(divan::black_box(number)).rate);
}

#[divan::bench(sample_count = 10)]
fn import_month(b: divan::Bencher) {
    let path = month_file().to_string_lossy().to_string();
    b.bench(|| {
        tollguard::audit::import(config(), std::slice::from_ref(&path))
            .unwrap()
            .0
            .calls
            .len()
    });
}

/// The names of every format with a synthetic writer.
fn formats() -> Vec<&'static str> {
    tollguard::synth::WRITERS.iter().map(|(n, _)| *n).collect()
}

/// The seeded month written in `format` (cached per format for the whole run).
fn month_file_as(format: &'static str) -> std::path::PathBuf {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static FILES: OnceLock<Mutex<HashMap<&'static str, std::path::PathBuf>>> = OnceLock::new();
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    let mut files = FILES.get_or_init(Default::default).lock().unwrap();
    files
        .entry(format)
        .or_insert_with(|| {
            let p = dir.path().join(format!("{format}.cdr"));
            let f = std::fs::File::create(&p).unwrap();
            let spec = tollguard::synth::Spec::month(1);
            tollguard::synth::write_as(format, tollguard::synth::MONTH_TZ, &spec, f).unwrap();
            p
        })
        .clone()
}

/// Import speed per format on the same month of calls: bytes/s and calls/s say how each
/// importer compares with Asterisk's (the same calls take more bytes in wordier formats).
#[divan::bench(sample_count = 10, args = formats())]
fn import_month_as(b: divan::Bencher, format: &'static str) {
    let path = month_file_as(format);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let arg = path.to_string_lossy().to_string();
    let calls = tollguard::audit::import(config(), std::slice::from_ref(&arg))
        .unwrap()
        .0
        .calls
        .len();
    b.counter(divan::counter::BytesCount::new(bytes))
        .counter(divan::counter::ItemsCount::new(calls))
        .bench(|| {
            tollguard::audit::import(config(), std::slice::from_ref(&arg))
                .unwrap()
                .0
                .calls
                .len()
        });
}

#[divan::bench(sample_count = 10)]
fn analyze_month(b: divan::Bencher) {
    let path = month_file().to_string_lossy().to_string();
    let (table, _) = tollguard::audit::import(config(), &[path]).unwrap();
    b.with_inputs(|| table.clone())
        .bench_local_values(|mut t| tollguard::analyze::analyze(&mut t, config()).findings.len());
}

#[divan::bench(sample_count = 10)]
fn audit_and_render_month(b: divan::Bencher) {
    let path = month_file().to_string_lossy().to_string();
    b.bench(|| {
        let r = tollguard::audit::run(config(), std::slice::from_ref(&path)).unwrap();
        let rep = tollguard::report::Report::build(config(), &r);
        let mut out = Vec::new();
        tollguard::report::terminal::render(&rep, &mut out).unwrap();
        tollguard::report::json::render(&rep, &mut out).unwrap();
        out.len()
    });
}

/// The names of every rule enabled by default.
fn rule_names() -> Vec<&'static str> {
    tollguard::rules::enabled(&config().rules)
        .iter()
        .map(|r| r.meta().name)
        .collect()
}

/// The seeded month imported, grouped by subject and priced.
type Grouped = (
    tollguard::call::CallTable,
    Vec<(u32, std::ops::Range<usize>)>,
);

/// One rule alone over every subject of the seeded month (imported and grouped once):
/// which rule costs what.
#[divan::bench(sample_count = 10, args = rule_names())]
fn rule_month(b: divan::Bencher, rule: &str) {
    use tollguard::rules::{Context, Group};
    static TABLE: OnceLock<Grouped> = OnceLock::new();
    let (table, groups) = TABLE.get_or_init(|| {
        let path = month_file().to_string_lossy().to_string();
        let (mut table, _) = tollguard::audit::import(config(), &[path]).unwrap();
        let groups = tollguard::analyze::group(&mut table);
        (table, groups)
    });
    let rules = tollguard::rules::enabled(&config().rules);
    let r = rules.iter().find(|r| r.meta().name == rule).unwrap();
    let ctx = Context {
        table,
        config: config(),
        allow: &config().allow,
        history: None,
    };
    b.bench(|| {
        let mut out = Vec::new();
        for (subject, range) in groups {
            let calls = &table.calls[range.clone()];
            let counted = Group::counted(calls, &ctx);
            let g = Group {
                subject: *subject,
                base: range.start,
                calls,
                counted: &counted,
            };
            r.check(&g, &ctx, &mut out);
        }
        out.len()
    });
}

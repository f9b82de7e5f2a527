//! Writes exactly N rows of a synthetic month in Asterisk cdr_csv form to stdout, for the
//! end-to-end benchmark (`benches/e2e.sh`):
//! `cargo run --release --example synth_rows -- ROWS [SEED] [EXTENSIONS]` (default seed 1,
//! 10,000 extensions). The seeded month of [`tollguard::synth::Spec::month`] with its planted
//! attacks, the calls per extension and working day raised until the month holds at least ROWS
//! calls; the rows past ROWS (the tail of the last day, after every planted attack) are cut, so
//! two runs with the same arguments write the same bytes.
use std::io::{self, Write};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = match args.next().and_then(|s| s.parse().ok()) {
        Some(n) => n,
        None => {
            eprintln!("usage: synth_rows ROWS [SEED] [EXTENSIONS]");
            std::process::exit(2);
        }
    };
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut spec = tollguard::synth::Spec::month(seed);
    spec.extensions = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    // Four weeks hold 20 working days; each extension makes `calls_per_extension_day` calls a
    // working day on average (plus a few evening and weekend calls).
    let per_day = rows.div_ceil(u64::from(spec.extensions) * 20).max(1);
    spec.calls_per_extension_day = u32::try_from(per_day).unwrap_or(u32::MAX);
    let mut writer = tollguard::synth::writer_for("asterisk-csv", tollguard::synth::MONTH_TZ)
        .expect("the asterisk writer is registered");
    let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let mut written = 0u64;
    // The generator stops when `emit` fails: a marker error ends it after ROWS rows.
    let result = tollguard::synth::generate(&spec, &mut |c| {
        if written == rows {
            return Err(io::Error::other("enough rows"));
        }
        written += 1;
        writer.call(c, &mut out)
    });
    match result {
        Ok(_) if written < rows => {
            eprintln!("only {written} rows generated, fewer than {rows}");
            std::process::exit(1);
        }
        Ok((planted, _)) => eprintln!("{written} rows; planted: {}", planted.len()),
        Err(e) if e.to_string() == "enough rows" => eprintln!("{written} rows"),
        Err(e) => return Err(e),
    }
    out.flush()
}

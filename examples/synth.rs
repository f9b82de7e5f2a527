//! Writes a synthetic month with planted attacks to stdout:
//! `cargo run --release --example synth -- [SEED] [EXTENSIONS] [FORMAT]` (default 1, 50,
//! asterisk-csv: four weeks of a 50-extension office, about 8,000 rows; 5,000 extensions give
//! about 800,000 rows). FORMAT is any name of `tollguard::synth::WRITERS`.
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut spec = tollguard::synth::Spec::month(seed);
    if let Some(n) = args.next().and_then(|s| s.parse().ok()) {
        spec.extensions = n;
    }
    let format = args.next().unwrap_or_else(|| "asterisk-csv".into());
    let (planted, rows) = tollguard::synth::write_as(
        &format,
        tollguard::synth::MONTH_TZ,
        &spec,
        std::io::stdout().lock(),
    )?;
    eprintln!("{rows} calls; planted: {planted:#?}");
    Ok(())
}

//! Writes synthetic Asterisk CDRs with planted attacks to stdout:
//! `cargo run --release --example synth -- [SEED] [EXTENSIONS]` (default 1, 50: four weeks of a
//! 50-extension office, about 8,000 rows; 5,000 extensions give about 800,000 rows).
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut spec = tollguard::synth::Spec::month(seed);
    if let Some(n) = args.next().and_then(|s| s.parse().ok()) {
        spec.extensions = n;
    }
    let (planted, rows) = tollguard::synth::write_asterisk(&spec, std::io::stdout().lock())?;
    eprintln!("{rows} rows; planted: {planted:#?}");
    Ok(())
}

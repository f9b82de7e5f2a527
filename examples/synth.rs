//! Writes a synthetic month of Asterisk CDRs with planted attacks to stdout:
//! `cargo run --release --example synth -- [seed]`.
fn main() -> std::io::Result<()> {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let (planted, rows) = tollguard::synth::write_asterisk(
        &tollguard::synth::Spec::month(seed),
        std::io::stdout().lock(),
    )?;
    eprintln!("{rows} rows; planted: {planted:#?}");
    Ok(())
}

//! The parsing floor of the end-to-end benchmark (`benches/e2e.sh`): one single-threaded pass
//! of the csv crate over a file, `ByteRecord`s only (no UTF-8 check, no conversion), summing
//! one field so the pass cannot be optimized away. `cargo run --release --example csv_floor --
//! FILE` prints the record count and the sum of the billsec column (14th).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: csv_floor FILE")?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)?;
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut billsec) = (0u64, 0u64);
    while rdr.read_byte_record(&mut rec)? {
        rows += 1;
        billsec += rec
            .get(13)
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
    }
    println!("{rows} records, billsec {billsec}");
    Ok(())
}

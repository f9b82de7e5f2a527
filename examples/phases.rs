//! Where an audit's time goes, phase by phase: `cargo run --release --example phases -- FILE`
//! times the import (reading, parsing, classification), the sort into per-subject slices
//! and the rules, the report model and the JSON rendering of one audit with the built-in
//! defaults and the settings `benches/e2e.sh` gives `tollguard audit` (`--country DE --tz
//! Europe/Berlin`). `benches/e2e.sh` prints it under each end-to-end table. Beside each
//! phase's wall time, the process's CPU time in it (user and system, from `/proc/self/stat`,
//! in 10 ms ticks; Linux only): about twice the wall time on two cores when both are busy.
use std::time::Instant;
use tollguard::config::{Config, ConfigFile, Overrides};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let inputs: Vec<String> = std::env::args().skip(1).collect();
    let config = Config::resolve(
        ConfigFile::default(),
        Overrides {
            country: Some("DE".parse()?),
            tz: Some("Europe/Berlin".parse()?),
            ..Default::default()
        },
    )?;
    let (t, c) = (Instant::now(), cpu());
    let (mut table, stats) = tollguard::audit::import(&config, &inputs)?;
    let (import, import_cpu) = (t.elapsed(), cpu() - c);
    let (t, c) = (Instant::now(), cpu());
    tollguard::analyze::group(&mut table);
    let (sort, sort_cpu) = (t.elapsed(), cpu() - c);
    let (t, c) = (Instant::now(), cpu());
    let analysis = tollguard::analyze::analyze(&mut table, &config);
    // `analyze` sorts again; the table is sorted already, so this is mostly the rules.
    let (rules, rules_cpu) = (t.elapsed(), cpu() - c);
    let result = tollguard::audit::AuditResult {
        table,
        stats,
        analysis,
        elapsed: import + sort + rules,
    };
    let t = Instant::now();
    let rep = tollguard::report::Report::build(&config, &result);
    let build = t.elapsed();
    let t = Instant::now();
    let mut out = Vec::new();
    tollguard::report::json::render(&rep, &mut out)?;
    let render = t.elapsed();
    println!(
        "{} calls, {} findings\nimport {:.2} s (CPU {import_cpu:.2} s)\nsort   {:.2} s (CPU {sort_cpu:.2} s)\nrules  {:.2} s (CPU {rules_cpu:.2} s; incl. a sort of sorted data)\nreport {:.2} s\njson   {:.2} s",
        result.table.calls.len(),
        result.analysis.findings.len(),
        import.as_secs_f64(),
        sort.as_secs_f64(),
        rules.as_secs_f64(),
        build.as_secs_f64(),
        render.as_secs_f64()
    );
    Ok(())
}

/// The process's CPU time so far (user and system), in seconds; 0 where `/proc` is missing.
fn cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks (100 a second on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let f: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

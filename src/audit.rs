//! One audit run, end to end: inputs → import → classification → analysis, timed.
//!
//! This is the library entry point the binary and the integration tests call; it reads no flags
//! and no environment.

use crate::analyze::{self, Analysis};
use crate::call::CallTable;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::import::{self, Builder, ImportOptions, ImportStats};
use crate::input;
use crate::number::Classifier;
use std::time::{Duration, Instant};

/// Everything a report needs.
#[derive(Debug)]
pub struct AuditResult {
    /// The calls, sorted by subject and start (costs: [`CallTable::cost`]).
    pub table: CallTable,
    /// Import accounting.
    pub stats: ImportStats,
    /// Findings and incidents.
    pub analysis: Analysis,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// Audits `inputs` (paths, globs, directories, `-`) with `config`.
pub fn run(config: &Config, inputs: &[String]) -> Result<AuditResult> {
    let t0 = Instant::now();
    let (mut table, stats) = import(config, inputs)?;
    crate::progress::phase("analysing");
    let analysis = analyze::analyze(&mut table, config);
    Ok(AuditResult {
        table,
        stats,
        analysis,
        elapsed: t0.elapsed(),
    })
}

/// Imports and classifies `inputs` without analysing them (calls stay in input order).
pub fn import(config: &Config, inputs: &[String]) -> Result<(CallTable, ImportStats)> {
    if inputs.is_empty() {
        return Err(Error::Invalid(
            "no input given (a file, a directory, a glob or -)".into(),
        ));
    }
    let sources = input::resolve(inputs)?;
    let classifier = Classifier::from_config(config)?;
    let mut builder = Builder::new(config, &classifier)?;
    let generic = config
        .import
        .mapping
        .clone()
        .map(import::generic::Generic::new)
        .transpose()
        .map_err(Error::Invalid)?;
    let opts = ImportOptions {
        generic,
        format: config.import.format.clone(),
        show_rejects: config.report.show_rejects,
        strict: config.import.strict,
    };
    let stats = import::import_all(&sources, &mut builder, &opts)?;
    Ok((builder.table, stats))
}

//! One nightly run, end to end, crash-safe: lock, plan, import, analyse with history,
//! de-duplicate, deliver, commit.
//!
//! The order is what makes "every call exactly once" hold when a run dies anywhere:
//! 1. take the state directory's lock (one run at a time; a dead holder is noticed);
//! 2. plan the reads from the committed cursors (only new complete lines);
//! 3. import those parts;
//! 4. analyse them with the baselines of the committed history;
//! 5. leave out incidents already reported that have not grown;
//! 6. hand the report to the caller's `deliver` callback (print, mail, spool);
//! 7. only then write the new history files under new names and atomically replace the
//!    manifest that names the live files, cursors and alert state.
//!
//! A run that dies before 7 changed nothing live: the next run reads the same rows again (and
//! may deliver the same report again: delivery is at least once). After 7 nothing is re-read.
//! `TOLLGUARD_FAILPOINT=<name>` aborts the process at a named point, for the crash tests.

use crate::analyze::{self, Analysis};
use crate::audit::AuditResult;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::import::{self, Builder, ImportOptions};
use crate::input;
use crate::number::Classifier;
use crate::report::{NightlyInfo, Report};
use crate::state::alerts::{self, Change};
use crate::state::baseline;
use crate::state::{cursor, history, lock::RunLock, Manifest, StateDir};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

/// Names of the failpoints, in run order.
pub const FAILPOINTS: &[&str] = &[
    "after-lock",
    "after-import",
    "after-deliver",
    "after-history-write",
    "before-manifest-rename",
    "after-commit",
];

/// Aborts the process (as a crash would: no unwinding, no destructors) when the environment
/// variable `TOLLGUARD_FAILPOINT` names this point. For crash-safety tests only.
pub fn failpoint(name: &str) {
    if std::env::var_os("TOLLGUARD_FAILPOINT").is_some_and(|v| v == name) {
        eprintln!("tollguard: failpoint {name}: aborting");
        std::process::abort();
    }
}

/// What the delivery callback did (shown to the user, not interpreted).
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// Where the report went (`stdout`, a file, a mail queue...).
    pub to: String,
}

/// The result of a nightly run.
#[derive(Debug)]
pub struct Outcome {
    /// The delivered report.
    pub report: Report,
    /// The audit behind it (only this run's calls).
    pub result: AuditResult,
    /// What delivery said.
    pub delivered: Delivered,
    /// The state generation this run committed.
    pub generation: u64,
}

/// Runs one nightly pass over `inputs` with the state directory `state_dir`; `explain` is the
/// report's `--explain`.
pub fn run(
    config: &Config,
    inputs: &[String],
    state_dir: &Path,
    explain: bool,
    deliver: &mut dyn FnMut(&Report, &AuditResult) -> anyhow::Result<Delivered>,
) -> Result<Outcome> {
    let t0 = Instant::now();
    if inputs.is_empty() {
        return Err(Error::Invalid(
            "no input given (the CDR files, a directory or a glob such as Master.csv*)".into(),
        ));
    }
    // 1. Lock.
    let state = StateDir::open(state_dir)?;
    let lock = RunLock::acquire(&state.path)?;
    failpoint("after-lock");
    let manifest = state.load()?;
    let mut notes = Vec::new();
    if let Some(pid) = lock.stale_pid {
        notes.push(format!(
            "the previous run (pid {pid}) ended without finishing; what it had not committed is read again"
        ));
    }
    // 2. Plan.
    let sources = input::resolve(inputs)?;
    let plan = cursor::plan(&sources, &manifest.cursors)?;
    notes.extend(plan.notes.iter().cloned());
    // 3. Import.
    let classifier = Classifier::from_config(config)?;
    let mut builder = Builder::new(config, &classifier)?;
    let opts = ImportOptions {
        generic: config
            .import
            .mapping
            .clone()
            .map(import::generic::Generic::new)
            .transpose()
            .map_err(Error::Invalid)?,
        format: config.import.format.clone(),
        show_rejects: config.report.show_rejects,
        strict: config.import.strict,
    };
    let stats = import::import_slices(&plan.slices, &mut builder, &opts)?;
    let mut table = builder.table;
    failpoint("after-import");
    // 4. Analyse with the committed history.
    let weeks = config.state.baseline_weeks.max(1);
    let now = table
        .calls
        .iter()
        .map(|c| c.start)
        .min()
        .unwrap_or(i64::MAX / 4);
    let base = baseline::compute(&state, &manifest.history, config, weeks, now)?;
    if base.cold() {
        notes.push(format!(
            "cold start: {:.1} of the {weeks} weeks of history a baseline needs; volume-anomaly is silent and the fixed limits (volume, spending-limit) alone judge volume",
            base.history_weeks
        ));
    }
    let mut analysis = analyze::analyze_with(&mut table, config, Some(&base));
    // 5. De-duplicate.
    let mut alert_state = manifest.alerts.clone();
    let quiet = i64::from(config.state.quiet_hours) * 3600;
    let (changes, suppressed) = dedup(&mut analysis, &table, &mut alert_state, quiet);
    let result = AuditResult {
        table,
        stats,
        analysis,
        elapsed: t0.elapsed(),
    };
    let mut report = Report::build(config, &result);
    report.explain = explain;
    for (view, change) in report.incidents.iter_mut().zip(&changes) {
        view.change = Some(*change);
    }
    report.summary.notes.extend(notes);
    report.nightly = Some(NightlyInfo {
        state: state.path.display().to_string(),
        suppressed_repeats: suppressed,
        new_incidents: changes.iter().filter(|c| **c == Change::New).count(),
        history_weeks: (base.history_weeks * 10.0).round() / 10.0,
        cold_start: base.cold(),
    });
    // 6. Deliver.
    let delivered = deliver(&report, &result)
        .map_err(|e| Error::Invalid(format!("delivery failed, state not committed: {e:#}")))?;
    failpoint("after-deliver");
    // 7. Commit.
    let generation = manifest.generation + 1;
    let rows = history::aggregate(&result.table, config);
    let live = history::write_days(&state, &manifest.history, &rows, generation)?;
    let live = history::retain(live, config.state.retention_days);
    failpoint("after-history-write");
    if let Some(oldest) = live.first() {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(&oldest.day, "%Y-%m-%d") {
            let t = d
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp();
            alert_state.forget_before(t);
        }
    }
    let next = Manifest {
        schema: crate::state::MANIFEST_SCHEMA.into(),
        generation,
        cursors: plan.cursors,
        alerts: alert_state,
        history: live,
    };
    state.commit(&next)?;
    failpoint("after-commit");
    state.clean(&next);
    drop(lock);
    Ok(Outcome {
        report,
        result,
        delivered,
        generation,
    })
}

/// Judges every incident against the alert state, drops the unchanged repeats from the
/// analysis (with their findings) and records the reported ones. Returns the change of each
/// remaining incident, in order, and how many were dropped.
fn dedup(
    analysis: &mut Analysis,
    table: &crate::call::CallTable,
    state: &mut alerts::AlertState,
    quiet: i64,
) -> (Vec<Change>, usize) {
    let mut changes = Vec::new();
    let mut kept = Vec::new();
    let mut findings = Vec::new();
    let mut suppressed = 0;
    for inc in std::mem::take(&mut analysis.incidents) {
        let rules: Vec<&str> = inc
            .findings
            .iter()
            .map(|&f| analysis.findings[f].rule.name)
            .collect();
        let countries: Vec<String> = inc
            .calls
            .iter()
            .filter_map(|&i| table.number_of(&table.calls[i]))
            .filter(|n| !n.country.is_empty())
            .map(|n| n.country.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let key = alerts::key(&table.subject_label(inc.subject), &rules, &countries);
        let cost: f64 = inc.calls.iter().map(|&i| table.cost(i)).sum();
        match state.judge(&key, inc.calls.len(), cost, inc.start, quiet) {
            None => suppressed += 1,
            Some(change) => {
                state.record(key, inc.calls.len(), cost, inc.end);
                changes.push(change);
                let mut inc = inc;
                let ids = std::mem::take(&mut inc.findings);
                for f in ids {
                    inc.findings.push(findings.len());
                    findings.push(analysis.findings[f].clone());
                }
                kept.push(inc);
            }
        }
    }
    analysis.incidents = kept;
    analysis.findings = findings;
    (changes, suppressed)
}

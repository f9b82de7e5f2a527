//! The nightly state directory: where it is, what it holds, and the one manifest that makes a
//! run's results live.
//!
//! Layout (all written by [`StateDir::commit`]):
//! - `lock`: the run lock (pid of the holder; see [`lock`]);
//! - `manifest.json`: the live state: input cursors, alert state and the list of live history
//!   files; replaced atomically (temporary file, fsync, rename), so a crash leaves either the
//!   old or the new manifest, never a mix;
//! - `history/day=YYYY-MM-DD/part-<generation>.parquet`: hourly history per subject (see
//!   [`history`]); only the files the manifest names are read. A crashed run's files are
//!   orphans, ignored and removed by the next commit.

pub mod alerts;
pub mod baseline;
pub mod cursor;
pub mod history;
pub mod lock;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `[state]`: the nightly run's state directory and what it keeps.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSettings {
    /// State directory (default: `$XDG_STATE_HOME/tollguard`, else `~/.local/state/tollguard`).
    pub dir: Option<PathBuf>,
    /// Days of hourly history kept (default 120: a baseline of 8 weeks plus a margin).
    pub retention_days: u32,
    /// Weeks of history a baseline is computed from; with less history the anomaly rule stays
    /// silent and the fixed limits alone apply (default 4).
    pub baseline_weeks: u32,
    /// Hours after which an unchanged incident of the same subject, rules and destinations is
    /// reported again (default 168, one week). Within it, only a bigger one is reported.
    pub quiet_hours: u32,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            dir: None,
            retention_days: 120,
            baseline_weeks: 4,
            quiet_hours: 168,
        }
    }
}

impl StateSettings {
    /// The state directory: `explicit` (`--state`), else `[state] dir`, else the user's state
    /// directory.
    pub fn resolve_dir(&self, explicit: Option<&Path>) -> Result<PathBuf> {
        if let Some(p) = explicit.or(self.dir.as_deref()) {
            return Ok(p.to_path_buf());
        }
        // dirs::state_dir is $XDG_STATE_HOME or ~/.local/state on Linux; None elsewhere.
        dirs::state_dir()
            .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
            .map(|d| d.join("tollguard"))
            .ok_or_else(|| {
                Error::Invalid("no state directory: pass --state DIR or set [state] dir".into())
            })
    }
}

/// Schema id of `manifest.json`.
pub const MANIFEST_SCHEMA: &str = "tollguard.state/1";

/// The live state, as of the last committed run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Schema id.
    pub schema: String,
    /// Commits so far (names new files, so a run never overwrites a live one).
    pub generation: u64,
    /// What was read of each input file.
    pub cursors: Vec<cursor::Cursor>,
    /// Incidents already reported.
    pub alerts: alerts::AlertState,
    /// Live history files (relative to the state directory), one per day.
    pub history: Vec<history::DayFile>,
}

/// An open state directory.
#[derive(Debug)]
pub struct StateDir {
    /// Its path.
    pub path: PathBuf,
}

impl StateDir {
    /// Opens (creating it if needed) a state directory.
    pub fn open(path: &Path) -> Result<StateDir> {
        std::fs::create_dir_all(path.join("history")).map_err(|e| Error::io(path, e))?;
        Ok(StateDir {
            path: path.to_path_buf(),
        })
    }

    fn manifest_path(&self) -> PathBuf {
        self.path.join("manifest.json")
    }

    /// The committed manifest (empty for a new directory).
    pub fn load(&self) -> Result<Manifest> {
        let p = self.manifest_path();
        match std::fs::read(&p) {
            Ok(bytes) => {
                let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Config {
                    path: p.clone(),
                    message: format!("damaged state manifest: {e}"),
                })?;
                if m.schema != MANIFEST_SCHEMA {
                    return Err(Error::Invalid(format!(
                        "{}: unknown state schema `{}`",
                        p.display(),
                        m.schema
                    )));
                }
                Ok(m)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                schema: MANIFEST_SCHEMA.into(),
                ..Default::default()
            }),
            Err(e) => Err(Error::io(&p, e)),
        }
    }

    /// Makes `m` the live state: writes it under a temporary name, syncs it, renames it over
    /// `manifest.json` and syncs the directory. The files it names must already be durable.
    pub fn commit(&self, m: &Manifest) -> Result<()> {
        let p = self.manifest_path();
        let tmp = self
            .path
            .join(format!("manifest.json.tmp-{}", m.generation));
        let bytes = serde_json::to_vec_pretty(m).map_err(|e| Error::Invalid(e.to_string()))?;
        write_durable(&tmp, &bytes)?;
        crate::nightly::failpoint("before-manifest-rename");
        std::fs::rename(&tmp, &p).map_err(|e| Error::io(&p, e))?;
        sync_dir(&self.path)?;
        Ok(())
    }

    /// Removes files a crashed run or an older generation left behind: history files the
    /// manifest does not name and temporary manifests. Best effort: leftovers are harmless.
    pub fn clean(&self, m: &Manifest) {
        let live: std::collections::HashSet<PathBuf> =
            m.history.iter().map(|d| self.path.join(&d.file)).collect();
        for e in walkdir::WalkDir::new(self.path.join("history"))
            .into_iter()
            .filter_map(|e| e.ok())
        {
            if e.file_type().is_file() && !live.contains(e.path()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
        for e in walkdir::WalkDir::new(self.path.join("history"))
            .min_depth(1)
            .contents_first(true)
            .into_iter()
            .filter_map(|e| e.ok())
        {
            if e.file_type().is_dir() {
                let _ = std::fs::remove_dir(e.path()); // fails unless empty: fine
            }
        }
        if let Ok(rd) = std::fs::read_dir(&self.path) {
            for e in rd.flatten() {
                if e.file_name()
                    .to_string_lossy()
                    .starts_with("manifest.json.tmp-")
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Resets one subject's baseline: removes its rows from the history and its alert keys, under
/// the run lock, in one commit. Returns the history rows removed.
pub fn reset_subject(dir: &Path, subject: &str) -> Result<usize> {
    let state = StateDir::open(dir)?;
    let _lock = lock::RunLock::acquire(&state.path)?;
    let mut m = state.load()?;
    let generation = m.generation + 1;
    let (live, removed) = history::without_subject(&state, &m.history, subject, generation)?;
    if let Some(d) = live.first().map(|d| state.path.join(&d.file)) {
        if let Some(parent) = d.parent() {
            sync_dir(parent)?;
        }
    }
    let prefix = format!("{subject}|");
    m.alerts.reported.retain(|k, _| !k.starts_with(&prefix));
    m.history = live;
    m.generation = generation;
    state.commit(&m)?;
    state.clean(&m);
    Ok(removed)
}

/// Writes a file and syncs it to disk before returning.
pub fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// Syncs a directory, so that renames in it survive a power loss.
pub fn sync_dir(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// FNV-1a, 64 bit: a hash that is the same in every build and on every machine (the std hasher
/// is not promised to be), for fingerprints stored in the manifest.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_commit_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let s = StateDir::open(dir.path()).unwrap();
        let mut m = s.load().unwrap();
        assert_eq!(m.generation, 0);
        m.generation = 7;
        s.commit(&m).unwrap();
        assert_eq!(s.load().unwrap().generation, 7);
        // A temporary manifest of a crashed run is not the live one and is cleaned up.
        std::fs::write(dir.path().join("manifest.json.tmp-8"), b"{").unwrap();
        std::fs::write(dir.path().join("history/orphan.parquet"), b"x").unwrap();
        assert_eq!(s.load().unwrap().generation, 7);
        s.clean(&m);
        assert!(!dir.path().join("manifest.json.tmp-8").exists());
        assert!(!dir.path().join("history/orphan.parquet").exists());
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

//! The run lock: one nightly run per state directory at a time.
//!
//! The lock is an OS file lock (`flock` via `fs4`) on `<state>/lock`, so the kernel releases it
//! when a run dies, however it dies; the file also holds the holder's pid. A run that finds the
//! lock free but a pid of a process that no longer exists in the file knows that the previous
//! run crashed (it reports that, and its uncommitted work is simply redone); a lock held by a
//! live process makes the new run stop with an error that names the pid.

use crate::error::{Error, Result};
use fs4::{FileExt, TryLockError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    /// The pid of a previous holder that died without cleaning up, if any.
    pub stale_pid: Option<u32>,
}

impl RunLock {
    /// Takes the lock of the state directory at `dir`, or fails when another run holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let recorded: Option<u32> = text.trim().parse().ok();
        // Fully qualified: std has an inherent `try_lock` only since Rust 1.89.
        match FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Invalid(format!(
                    "another tollguard run{} holds {}; not starting a second one",
                    recorded.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                    path.display()
                )))
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        // We hold the lock: a pid still written there belongs to a run that did not finish
        // (a clean run empties the file on release).
        let stale_pid = recorded.filter(|&p| p != std::process::id() && !alive(p));
        file.set_len(0).map_err(|e| Error::io(&path, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&path, e))?;
        write!(file, "{}", std::process::id()).map_err(|e| Error::io(&path, e))?;
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        Ok(RunLock { file, stale_pid })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // A clean end: no pid left behind, then the lock goes.
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}

/// True when a process with this pid exists (Linux and other systems with /proc; elsewhere a
/// recorded pid is assumed dead, which only changes the wording of a note).
pub fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_release_frees() {
        let dir = tempfile::tempdir().unwrap();
        let a = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(a.stale_pid, None);
        // flock locks belong to the open file, so a second open in this process conflicts.
        let err = RunLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(a);
        let b = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(b.stale_pid, None);
    }

    #[test]
    fn a_dead_holders_pid_is_reported_as_stale() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above the kernel's pid_max (4194304) cannot be alive.
        std::fs::write(dir.path().join("lock"), "4999999").unwrap();
        let l = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(l.stale_pid, Some(4_999_999));
        assert!(alive(std::process::id()));
    }
}

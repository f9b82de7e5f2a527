//! The spool: alerts that could not be delivered wait here, as the exact bytes composed, until
//! a later run sends them (before its own alert, so they arrive in order).
//!
//! Each message is two files: `<stamp>-<n>.json` (the envelope: sender and recipients) and
//! `<stamp>-<n>.eml` (the message). Both are written under a temporary name and renamed, the
//! `.eml` last, so a crash mid-write leaves either a complete entry or nothing that is listed.

use lettre::address::{Address, Envelope};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A spooled message.
#[derive(Debug, Clone)]
pub struct Spooled {
    /// The `.eml` file.
    pub path: PathBuf,
    /// Who it is for.
    pub envelope: Envelope,
}

#[derive(Serialize, Deserialize)]
struct EnvelopeFile {
    from: Option<String>,
    to: Vec<String>,
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // The spool exists for the case where something goes wrong: make it survive a crash.
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Writes a message to the spool and returns its `.eml` path.
pub fn put(dir: &Path, envelope: &Envelope, raw: &[u8]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the spool {}: {e}", dir.display()))?;
    // No dot in the name: the extension is the only dot (`with_extension` relies on it).
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%6fZ");
    let mut n = 0u32;
    let base = loop {
        let b = dir.join(format!("{stamp}-{n}-{}", std::process::id()));
        if !b.with_extension("eml").exists() {
            break b;
        }
        n += 1;
    };
    let env = EnvelopeFile {
        from: envelope.from().map(|a| a.to_string()),
        to: envelope.to().iter().map(|a| a.to_string()).collect(),
    };
    let json = serde_json::to_vec(&env).expect("envelope serializes");
    let eml = base.with_extension("eml");
    write_atomic(&base.with_extension("json"), &json)
        .and_then(|_| write_atomic(&eml, raw))
        .map_err(|e| format!("cannot write to the spool {}: {e}", dir.display()))?;
    Ok(eml)
}

/// The spooled messages, oldest first. Entries that cannot be read are reported as errors
/// (with their path) rather than dropped.
pub fn list(dir: &Path) -> (Vec<Spooled>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return (out, errors);
    };
    let mut emls: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    emls.sort();
    for path in emls {
        match read_envelope(&path.with_extension("json")) {
            Ok(envelope) => out.push(Spooled { path, envelope }),
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    (out, errors)
}

fn read_envelope(p: &Path) -> Result<Envelope, String> {
    let text = std::fs::read(p).map_err(|e| e.to_string())?;
    let f: EnvelopeFile = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    let from = f
        .from
        .map(|a| a.parse::<Address>())
        .transpose()
        .map_err(|e| e.to_string())?;
    let to =
        f.to.iter()
            .map(|a| a.parse::<Address>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
    Envelope::new(from, to).map_err(|e| e.to_string())
}

/// Removes a delivered message.
pub fn remove(s: &Spooled) -> Result<(), String> {
    std::fs::remove_file(&s.path)
        .and_then(|_| std::fs::remove_file(s.path.with_extension("json")))
        .map_err(|e| format!("cannot remove {} after sending it: {e}", s.path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_list_remove_round_trip_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let env = Envelope::new(
            Some("a@example.com".parse().unwrap()),
            vec![
                "b@example.com".parse().unwrap(),
                "c@example.com".parse().unwrap(),
            ],
        )
        .unwrap();
        let p1 = put(dir.path(), &env, b"first").unwrap();
        let p2 = put(dir.path(), &env, b"second").unwrap();
        // A half-written entry from a crash is not listed.
        std::fs::write(dir.path().join("zzz.tmp"), b"partial").unwrap();
        let (got, errors) = list(dir.path());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            got.iter().map(|s| s.path.clone()).collect::<Vec<_>>(),
            [p1.clone(), p2]
        );
        assert_eq!(std::fs::read(&got[0].path).unwrap(), b"first");
        assert_eq!(got[0].envelope.to().len(), 2);
        remove(&got[0]).unwrap();
        assert!(!p1.exists() && !p1.with_extension("json").exists());
        assert_eq!(list(dir.path()).0.len(), 1);
    }

    #[test]
    fn an_entry_without_envelope_is_reported_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.eml"), b"m").unwrap();
        let (got, errors) = list(dir.path());
        assert!(got.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("x.eml"));
    }
}

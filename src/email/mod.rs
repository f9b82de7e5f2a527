//! Email alerts: settings, message composition, SMTP transport and the spool that keeps
//! undelivered alerts until a later run sends them.
//!
//! The promise: an alert is never lost. Whatever fails (settings, DNS, TLS, authentication, a
//! server that is down), the composed message is written to the spool and the run reports the
//! error (exit 2); the next run sends the spooled messages first, then its own.

pub mod message;
pub mod settings;
pub mod spool;
pub mod transport;

use lettre::Message;
use settings::Smtp;
use std::path::{Path, PathBuf};

/// What happened to this run's alert and to the spool.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Spooled messages from earlier runs delivered now.
    pub resent: usize,
    /// This run's alert was delivered.
    pub sent: bool,
    /// Messages waiting in the spool after this run (this run's included, if it failed).
    pub waiting: Vec<PathBuf>,
    /// Why delivery failed, if it did.
    pub error: Option<String>,
}

/// Sends the spooled messages, then `msg`; whatever cannot be sent stays or goes in the spool.
///
/// `smtp` is the validated connection settings, or why they are invalid (then nothing is
/// sent and `msg` is spooled, so fixing the configuration and re-running delivers it).
pub fn deliver(smtp: Result<Smtp, String>, spool_dir: &Path, msg: Option<&Message>) -> Outcome {
    let mut out = Outcome::default();
    let mailer = smtp.and_then(|s| transport::Mailer::new(&s));
    let (pending, unreadable) = spool::list(spool_dir);
    if let Some(e) = unreadable.first() {
        out.error = Some(format!(
            "{} spooled message(s) cannot be read and stay in the spool: {e}",
            unreadable.len()
        ));
    }
    let mut failure: Option<String> = mailer.as_ref().err().cloned();
    let send = |envelope: &lettre::address::Envelope, raw: &[u8]| match &mailer {
        Ok(m) => m.send(envelope, raw),
        Err(e) => Err(e.clone()),
    };
    for s in pending {
        if failure.is_none() {
            let sent = std::fs::read(&s.path)
                .map_err(|e| format!("{}: {e}", s.path.display()))
                .and_then(|raw| send(&s.envelope, &raw));
            match sent.and_then(|_| spool::remove(&s)) {
                Ok(()) => {
                    out.resent += 1;
                    continue;
                }
                Err(e) => failure = Some(e),
            }
        }
        out.waiting.push(s.path);
    }
    if let Some(m) = msg {
        let raw = m.formatted();
        if failure.is_none() {
            match send(m.envelope(), &raw) {
                Ok(()) => out.sent = true,
                Err(e) => failure = Some(e),
            }
        }
        if !out.sent {
            match spool::put(spool_dir, m.envelope(), &raw) {
                Ok(p) => out.waiting.push(p),
                Err(e) => {
                    // The one case where the alert could be lost: say so loudly.
                    failure = Some(format!(
                        "{}; AND the alert could not be spooled: {e}",
                        failure.unwrap_or_default()
                    ))
                }
            }
        }
    }
    if let Some(f) = failure {
        out.error = Some(match out.error.take() {
            Some(prev) => format!("{f}; {prev}"),
            None => f,
        });
    }
    out
}

/// Writes a message as an `.eml` file (RFC 5322, CRLF line ends), for previews.
pub fn write_eml(msg: &Message, path: &Path) -> Result<(), String> {
    std::fs::write(path, msg.formatted())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

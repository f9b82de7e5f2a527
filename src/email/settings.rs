//! The `[email]` section and its command-line overrides, validated into [`Smtp`] once.
//!
//! The checks that protect credentials live here, before any connection is made: STARTTLS is
//! the default, plain SMTP is accepted only towards this machine, and a user name over an
//! unencrypted connection is refused (lettre would send `AUTH` in clear text if the server
//! offered it). Passwords come from an environment variable or a file, never from the command
//! line, where `ps` and shell history would show them.

use crate::rules::Severity;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, which is required (port 587). The default.
    #[default]
    Starttls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
    /// No encryption: only towards localhost (a local MTA such as Postfix), never with a user.
    None,
}

impl TlsMode {
    /// The usual port for the mode.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        }
    }
}

/// `[email]`: where alerts go and how they are sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// SMTP server host name (e.g. `smtp.example.com`; `localhost` for a local MTA).
    pub host: Option<String>,
    /// SMTP port; default by `tls`: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    pub port: Option<u16>,
    /// `starttls` (default), `tls` (implicit, port 465) or `none` (localhost only).
    pub tls: TlsMode,
    /// SMTP user name; needs `password_env` or `password_file`, and TLS.
    pub user: Option<String>,
    /// Name of the environment variable that holds the SMTP password.
    pub password_env: Option<String>,
    /// File whose content (without the trailing newline) is the SMTP password.
    pub password_file: Option<PathBuf>,
    /// Extra trusted root certificate (PEM) for a server with a private CA; the system's
    /// roots are trusted as well.
    pub ca_file: Option<PathBuf>,
    /// Sender, e.g. `"tollguard <pbx-alerts@example.com>"`.
    pub from: Option<String>,
    /// Recipients (one or more addresses).
    pub to: Vec<String>,
    /// Subject template; default `[{site}] {severity}: {subject} called {countries}, est.
    /// {cost}{more}`. Placeholders: `{site}` (site name, else `tollguard`), `{severity}` (upper case), `{subject}`,
    /// `{countries}`, `{cost}` (with currency), `{calls}`, `{incidents}`, `{more}` (", +N more
    /// incidents" or nothing).
    pub subject: Option<String>,
    /// Send only when an incident is at or above this severity (default medium, as `fail_on`).
    pub min_severity: Option<Severity>,
    /// Where undelivered alerts wait for the next run (default: the user's state directory,
    /// `~/.local/state/tollguard/spool`).
    pub spool_dir: Option<PathBuf>,
    /// Give up on an unresponsive server after this many seconds (default 30).
    pub timeout_secs: Option<u64>,
}

/// Command-line values that win over `[email]` (the password is deliberately not one of them).
#[derive(Debug, Clone, Default)]
pub struct EmailOverrides {
    /// `--smtp-host`.
    pub host: Option<String>,
    /// `--smtp-port`.
    pub port: Option<u16>,
    /// `--smtp-tls`.
    pub tls: Option<TlsMode>,
    /// `--smtp-user`.
    pub user: Option<String>,
    /// `--smtp-password-env`.
    pub password_env: Option<String>,
    /// `--smtp-password-file`.
    pub password_file: Option<PathBuf>,
    /// `--smtp-ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--email-from`.
    pub from: Option<String>,
    /// `--email-to` (replaces the configured list when given).
    pub to: Vec<String>,
    /// `--email-min-severity`.
    pub min_severity: Option<Severity>,
    /// `--spool-dir`.
    pub spool_dir: Option<PathBuf>,
}

/// Resolved message settings: enough to compose an alert (and to write it to a file).
#[derive(Debug, Clone)]
pub struct Compose {
    /// Sender.
    pub from: lettre::message::Mailbox,
    /// Recipients.
    pub to: Vec<lettre::message::Mailbox>,
    /// Subject template.
    pub subject: String,
    /// Threshold for sending.
    pub min_severity: Severity,
}

/// Resolved transport settings: everything needed to connect.
#[derive(Clone)]
pub struct Smtp {
    /// Host name (also the name the certificate must carry).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Encryption.
    pub tls: TlsMode,
    /// User and password, when the server wants AUTH.
    pub credentials: Option<(String, String)>,
    /// Extra root certificate, PEM.
    pub ca_pem: Option<Vec<u8>>,
    /// Connection and command timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for Smtp {
    // Hand-written so that a password never reaches a log or an error message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .finish_non_exhaustive()
    }
}

/// The default subject template.
pub const DEFAULT_SUBJECT: &str =
    "[{site}] {severity}: {subject} called {countries}, est. {cost}{more}";

/// Placeholders a subject template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "site",
    "severity",
    "subject",
    "countries",
    "cost",
    "calls",
    "incidents",
    "more",
];

impl EmailSettings {
    /// Applies command-line overrides.
    pub fn merged(mut self, o: &EmailOverrides) -> EmailSettings {
        macro_rules! take {
            ($($f:ident),*) => { $( if o.$f.is_some() { self.$f = o.$f.clone(); } )* };
        }
        take!(
            host,
            port,
            user,
            password_env,
            password_file,
            ca_file,
            from,
            min_severity,
            spool_dir
        );
        if let Some(t) = o.tls {
            self.tls = t;
        }
        if !o.to.is_empty() {
            self.to = o.to.clone();
        }
        self
    }

    /// The spool directory: configured, else `<state dir>/tollguard/spool`.
    pub fn spool_dir(&self) -> Result<PathBuf, String> {
        if let Some(d) = &self.spool_dir {
            return Ok(d.clone());
        }
        dirs::state_dir()
            .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
            .map(|d| d.join("tollguard").join("spool"))
            .ok_or_else(|| {
                "no spool directory: set [email] spool_dir (no home directory known)".into()
            })
    }

    /// Validates what a message needs: sender, recipients, subject template.
    pub fn compose(&self) -> Result<Compose, String> {
        let from = self
            .from
            .as_deref()
            .ok_or("[email] from is not set (the sender address, --email-from)")?;
        let from = from
            .parse()
            .map_err(|e| format!("[email] from `{from}` is not an address: {e}"))?;
        if self.to.is_empty() {
            return Err("[email] to is empty (at least one recipient, --email-to)".into());
        }
        let to = self
            .to
            .iter()
            .map(|t| {
                t.parse()
                    .map_err(|e| format!("[email] to `{t}` is not an address: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let subject = self
            .subject
            .clone()
            .unwrap_or_else(|| DEFAULT_SUBJECT.to_string());
        check_template(&subject)?;
        Ok(Compose {
            from,
            to,
            subject,
            min_severity: self.min_severity.unwrap_or(Severity::Medium),
        })
    }

    /// Validates the connection settings and reads the password. `env` looks up environment
    /// variables (the binary passes `std::env::var`; tests pass their own).
    pub fn smtp(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Smtp, String> {
        let host = self
            .host
            .clone()
            .ok_or("[email] host is not set (the SMTP server, --smtp-host)")?;
        if self.tls == TlsMode::None && !is_loopback(&host) {
            return Err(format!(
                "[email] tls = \"none\" is only allowed towards localhost, not `{host}`: \
                 use \"starttls\" (port 587) or \"tls\" (port 465)"
            ));
        }
        let password = match (&self.password_env, &self.password_file) {
            (Some(_), Some(_)) => {
                return Err("[email] set password_env or password_file, not both".into())
            }
            (Some(var), None) => Some(env(var).ok_or_else(|| {
                format!("[email] password_env: the environment variable {var} is not set")
            })?),
            (None, Some(p)) => Some(read_password(p)?),
            (None, None) => None,
        };
        let credentials = match (&self.user, password) {
            (Some(u), Some(p)) => Some((u.clone(), p)),
            (Some(_), None) => {
                return Err(
                    "[email] user is set but no password: set password_env or password_file".into(),
                )
            }
            (None, Some(_)) => {
                return Err("[email] a password is configured but no user".into());
            }
            (None, None) => None,
        };
        if credentials.is_some() && self.tls == TlsMode::None {
            return Err(
                "refusing to send SMTP credentials over an unencrypted connection: \
                 set [email] tls to \"starttls\" or \"tls\""
                    .into(),
            );
        }
        let ca_pem = match &self.ca_file {
            Some(p) => Some(
                std::fs::read(p).map_err(|e| format!("[email] ca_file {}: {e}", p.display()))?,
            ),
            None => None,
        };
        Ok(Smtp {
            port: self.port.unwrap_or(self.tls.default_port()),
            host,
            tls: self.tls,
            credentials,
            ca_pem,
            timeout: Duration::from_secs(self.timeout_secs.unwrap_or(30).max(1)),
        })
    }
}

fn read_password(p: &Path) -> Result<String, String> {
    let s = std::fs::read_to_string(p)
        .map_err(|e| format!("[email] password_file {}: {e}", p.display()))?;
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let s = s.strip_suffix('\r').unwrap_or(s);
    if s.is_empty() {
        return Err(format!("[email] password_file {} is empty", p.display()));
    }
    Ok(s.to_string())
}

/// True for names and addresses that cannot leave this machine.
fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Fills a subject template: each `{name}` becomes `value(name)`. Unbalanced braces and
/// names `value` does not know (`None`) are errors. The one parser of templates: validation
/// ([`EmailSettings::compose`]) and filling ([`super::message::subject`]) both use it.
pub fn fill_template(t: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(t.len() + 64);
    let mut rest = t;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err(format!("[email] subject: unmatched `}}` in `{t}`"));
        }
        let Some(j) = rest[i..].find('}') else {
            return Err(format!("[email] subject: unmatched `{{` in `{t}`"));
        };
        let name = &rest[i + 1..i + j];
        let Some(v) = value(name) else {
            return Err(format!(
                "[email] subject: unknown placeholder `{{{name}}}`; known: {}",
                PLACEHOLDERS.join(", ")
            ));
        };
        out.push_str(&rest[..i]);
        out.push_str(&v);
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Rejects unknown placeholders and unbalanced braces in a subject template.
fn check_template(t: &str) -> Result<(), String> {
    fill_template(t, |name| PLACEHOLDERS.contains(&name).then(String::new)).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> EmailSettings {
        EmailSettings {
            host: Some("smtp.example.com".into()),
            from: Some("tollguard <alerts@example.com>".into()),
            to: vec!["admin@example.com".into()],
            ..Default::default()
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn starttls_on_587_is_the_default() {
        let s = base().smtp(&no_env).unwrap();
        assert_eq!((s.tls, s.port), (TlsMode::Starttls, 587));
        let s = EmailSettings {
            tls: TlsMode::Tls,
            ..base()
        }
        .smtp(&no_env)
        .unwrap();
        assert_eq!(s.port, 465);
    }

    #[test]
    fn plain_smtp_only_towards_localhost() {
        let plain = |host: &str| EmailSettings {
            host: Some(host.into()),
            tls: TlsMode::None,
            ..base()
        };
        for ok in ["localhost", "127.0.0.1", "::1", "[::1]", "LOCALHOST"] {
            assert!(plain(ok).smtp(&no_env).is_ok(), "{ok}");
        }
        let e = plain("smtp.example.com").smtp(&no_env).unwrap_err();
        assert!(e.contains("only allowed towards localhost"), "{e}");
        assert!(plain("10.0.0.1").smtp(&no_env).is_err());
    }

    #[test]
    fn credentials_without_tls_are_refused_even_to_localhost() {
        let s = EmailSettings {
            host: Some("localhost".into()),
            tls: TlsMode::None,
            user: Some("u".into()),
            password_env: Some("PW".into()),
            ..base()
        };
        let e = s.smtp(&|_| Some("secret".into())).unwrap_err();
        assert!(e.contains("unencrypted"), "{e}");
    }

    #[test]
    fn password_from_env_or_file_never_both_and_never_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "s3cret\n").unwrap();
        let by_file = EmailSettings {
            user: Some("u".into()),
            password_file: Some(f.clone()),
            ..base()
        }
        .smtp(&no_env)
        .unwrap();
        assert_eq!(by_file.credentials.as_ref().unwrap().1, "s3cret");
        assert!(!format!("{by_file:?}").contains("s3cret"));
        let by_env = EmailSettings {
            user: Some("u".into()),
            password_env: Some("TG_PW".into()),
            ..base()
        };
        assert_eq!(
            by_env
                .smtp(&|v| (v == "TG_PW").then(|| "x".into()))
                .unwrap()
                .credentials
                .unwrap()
                .1,
            "x"
        );
        assert!(by_env.smtp(&no_env).unwrap_err().contains("TG_PW"));
        let both = EmailSettings {
            password_file: Some(f),
            ..by_env.clone()
        };
        assert!(both.smtp(&no_env).unwrap_err().contains("not both"));
        let user_only = EmailSettings {
            user: Some("u".into()),
            ..base()
        };
        assert!(user_only.smtp(&no_env).unwrap_err().contains("no password"));
    }

    #[test]
    fn compose_checks_addresses_and_template() {
        assert!(base().compose().is_ok());
        let e = EmailSettings {
            to: vec![],
            ..base()
        }
        .compose()
        .unwrap_err();
        assert!(e.contains("to is empty"));
        let e = EmailSettings {
            to: vec!["not an address".into()],
            ..base()
        }
        .compose()
        .unwrap_err();
        assert!(e.contains("not an address"));
        for bad in ["{nope}", "x {severity", "x }"] {
            let s = EmailSettings {
                subject: Some(bad.into()),
                ..base()
            };
            assert!(s.compose().is_err(), "{bad}");
        }
    }

    #[test]
    fn overrides_win_and_to_replaces_the_list() {
        let o = EmailOverrides {
            host: Some("other".into()),
            to: vec!["x@example.com".into()],
            tls: Some(TlsMode::Tls),
            ..Default::default()
        };
        let m = base().merged(&o);
        assert_eq!(m.host.as_deref(), Some("other"));
        assert_eq!(m.to, ["x@example.com"]);
        assert_eq!(m.tls, TlsMode::Tls);
        assert_eq!(m.from, base().from);
    }
}

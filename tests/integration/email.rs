//! Email alerts through a real SMTP server (aiosmtpd, `tests/support/smtp_server.py`) on
//! 127.0.0.1 with a test CA (`tests/fixtures/smtp/`): STARTTLS + AUTH, implicit TLS, a wrong
//! password, a server that is down, an untrusted certificate, and the spool that keeps every
//! undelivered alert for the next run. Messages are asserted as received: headers, parts,
//! attachment.
//!
//! The server runs from the venv `.venv-test` (made by `.ci/run`; made here if missing).

use super::common::*;
use mail_parser::{MessageParser, MimeHeaders};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const USER: &str = "alerts@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// The Python that has aiosmtpd: `.venv-test` at the repository root, created on first use.
fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = root().join(".venv-test");
        let py = venv.join("bin/python");
        let has = |py: &Path| {
            Command::new(py)
                .args(["-c", "import aiosmtpd"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !has(&py) {
            let ok = Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success())
                && Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "aiosmtpd==1.4.6"])
                    .status()
                    .is_ok_and(|s| s.success());
            assert!(
                ok && has(&py),
                "cannot set up the SMTP test server: python3 -m venv .venv-test && \
                 .venv-test/bin/pip install aiosmtpd==1.4.6 (what .ci/run does)"
            );
        }
        py
    })
}

/// A running test SMTP server; killed on drop.
struct Server {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server in `mode` (starttls, tls, plain), with AUTH when `auth`, on `port`
    /// (0 = any free port).
    fn start(mode: &str, auth: bool, port: u16) -> Server {
        let maildir = tempfile::tempdir().unwrap();
        let fx = root().join("tests/fixtures/smtp");
        let mut cmd = Command::new(python());
        cmd.arg(root().join("tests/support/smtp_server.py"))
            .args(["--mode", mode, "--port", &port.to_string()])
            .arg("--cert")
            .arg(fx.join("server.pem"))
            .arg("--key")
            .arg(fx.join("server.key"))
            .arg("--maildir")
            .arg(maildir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if auth {
            cmd.args(["--user", USER, "--password", PASSWORD]);
        }
        let mut child = cmd.spawn().expect("start the SMTP test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("SMTP test server did not start: {line:?}"));
        Server {
            child,
            port,
            maildir,
        }
    }

    /// The messages received so far, in order: (raw bytes, server-side metadata).
    fn received(&self) -> Vec<(Vec<u8>, serde_json::Value)> {
        let mut out = Vec::new();
        for n in 0.. {
            let base = self.maildir.path().join(n.to_string());
            let Ok(raw) = std::fs::read(base.with_extension("eml")) else {
                break;
            };
            let meta = std::fs::read(base.with_extension("json")).unwrap();
            out.push((raw, serde_json::from_slice(&meta).unwrap()));
        }
        out
    }
}

/// A port with nothing listening (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a config with an `[email]` section and returns its path.
fn config(dir: &Path, port: u16, extra: &str) -> PathBuf {
    let ca = root().join("tests/fixtures/smtp/ca.pem");
    let spool = dir.join("spool");
    let text = format!(
        r#"[site]
name = "Berlin office"
country = "DE"
timezone = "Europe/Berlin"

[email]
host = "localhost"
port = {port}
from = "tollguard <{USER}>"
to = ["pbx-admin@example.com", "noc@example.com"]
ca_file = "{}"
spool_dir = "{}"
{extra}
"#,
        ca.display(),
        spool.display()
    );
    let p = dir.join("tollguard.toml");
    std::fs::write(&p, text).unwrap();
    p
}

const AUTH: &str = "user = \"alerts@example.com\"\npassword_env = \"TG_SMTP_PASSWORD\"\n";

/// `tollguard audit --email` over the Asterisk sample with `config`, password in the env.
fn audit_email(config: &Path, password: &str) -> std::process::Output {
    Command::new(bin())
        .args(["audit", "--email", "-c"])
        .arg(config)
        .arg(root().join("samples/asterisk/Master.csv"))
        .env("TG_SMTP_PASSWORD", password)
        .env("TZ", "Europe/Berlin")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn spooled(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("spool"))
        .map(|rd| {
            rd.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "eml")
            })
            .count()
        })
        .unwrap_or(0)
}

/// Checks a received alert: headers, text and HTML parts, the CSV attachment.
fn assert_complete_alert(raw: &[u8]) {
    let m = MessageParser::default()
        .parse(raw)
        .expect("parsable message");
    let subject = m.subject().unwrap();
    assert!(
        subject.starts_with("[Berlin office] CRITICAL: extension 207 called "),
        "{subject}"
    );
    assert!(subject.contains("est. EUR "), "{subject}");
    assert!(subject.contains("more incidents"), "{subject}");
    assert!(m.date().is_some(), "no Date header");
    assert!(m.message_id().is_some_and(|id| id.contains('@')));
    let to: Vec<String> = m
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address().map(str::to_string))
        .collect();
    assert_eq!(to, ["pbx-admin@example.com", "noc@example.com"]);
    assert_eq!(
        m.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    assert_eq!(
        m.header_raw("X-Tollguard-Severity").map(str::trim),
        Some("critical")
    );
    let text = m.body_text(0).expect("text part");
    assert!(text.contains("extension 207"), "{text}");
    assert!(text.contains("Summary:"), "{text}");
    let html = m.body_html(0).expect("html part");
    assert!(html.contains("extension 207"));
    let att = m.attachment(0).expect("CSV attachment");
    assert_eq!(att.attachment_name(), Some("flagged-calls.csv"));
    assert!(att
        .content_type()
        .is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("csv")));
    let csv = String::from_utf8(att.contents().to_vec()).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(
        header.contains("incident") && header.contains("dialled"),
        "{header}"
    );
    assert!(
        lines
            .filter(|l| l.contains("\"207\"") || l.contains(",207,"))
            .count()
            > 10,
        "the flagged calls of extension 207 are attached:\n{csv}"
    );
}

#[test]
fn starttls_with_auth_delivers_a_complete_alert() {
    let server = Server::start("starttls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, AUTH);
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 1, "findings, delivered: {}", stderr(&out));
    let got = server.received();
    assert_eq!(got.len(), 1, "one alert");
    let (raw, meta) = &got[0];
    assert_eq!(meta["tls"], true);
    assert_eq!(meta["auth_user"], USER);
    assert_eq!(meta["mail_from"], USER);
    assert_eq!(
        meta["rcpt_tos"],
        serde_json::json!(["pbx-admin@example.com", "noc@example.com"])
    );
    assert_complete_alert(raw);
    assert_eq!(spooled(dir.path()), 0);
}

#[test]
fn implicit_tls_delivers() {
    let server = Server::start("tls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, &format!("tls = \"tls\"\n{AUTH}"));
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1["tls"], true);
    assert_complete_alert(&got[0].0);
}

#[test]
fn wrong_password_spools_and_the_next_run_delivers_it_first() {
    let server = Server::start("starttls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, AUTH);
    let out = audit_email(&cfg, "wrong");
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("authentication refused"), "{err}");
    assert!(err.contains("1 message(s) wait in"), "{err}");
    // The report itself was still printed.
    assert!(stdout(&out).contains("extension 207"));
    assert!(server.received().is_empty());
    assert_eq!(spooled(dir.path()), 1);

    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let got = server.received();
    assert_eq!(got.len(), 2, "the spooled alert, then this run's");
    assert_eq!(spooled(dir.path()), 0);
    let ids: Vec<String> = got
        .iter()
        .map(|(raw, _)| {
            let m = MessageParser::default().parse(raw).unwrap();
            assert_complete_alert(raw);
            m.message_id().unwrap().to_string()
        })
        .collect();
    assert_ne!(ids[0], ids[1], "two distinct alerts");
}

#[test]
fn server_down_spools_and_the_next_run_delivers() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), port, AUTH);
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("cannot talk to the server"),
        "{}",
        stderr(&out)
    );
    assert_eq!(spooled(dir.path()), 1);

    // The spooled message goes out byte for byte as composed.
    let spooled_raw = std::fs::read_dir(dir.path().join("spool"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read(p).unwrap())
        .unwrap();
    let server = Server::start("starttls", true, port);
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let got = server.received();
    assert_eq!(got.len(), 2);
    // aiosmtpd saves what it received after the DATA dot-unstuffing, as sent.
    let norm = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
    assert_eq!(norm(&got[0].0).trim_end(), norm(&spooled_raw).trim_end());
    assert_eq!(spooled(dir.path()), 0);
}

#[test]
fn an_untrusted_certificate_is_a_tls_failure_and_the_alert_is_spooled() {
    let server = Server::start("starttls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, AUTH);
    // Same config without the test CA: the server's certificate is not trusted.
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cfg, text).unwrap();
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("TLS failed"), "{err}");
    assert!(server.received().is_empty());
    assert_eq!(spooled(dir.path()), 1);
}

#[test]
fn credentials_over_plain_smtp_are_refused_and_the_alert_kept() {
    let server = Server::start("plain", false, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, &format!("tls = \"none\"\n{AUTH}"));
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("refusing to send SMTP credentials over an unencrypted"),
        "{}",
        stderr(&out)
    );
    assert!(server.received().is_empty(), "nothing was sent at all");
    assert_eq!(spooled(dir.path()), 1);
    // Plain SMTP towards localhost without credentials (a local MTA) is fine, and flushes
    // the spool.
    let cfg = config(dir.path(), server.port, "tls = \"none\"\n");
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(server.received().len(), 2);
    assert_eq!(server.received()[0].1["tls"], false);
}

#[test]
fn nothing_at_the_threshold_sends_nothing() {
    let server = Server::start("starttls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, AUTH);
    // One internal call: no incident, no mail.
    let cdr = dir.path().join("Master.csv");
    std::fs::write(
        &cdr,
        asterisk_row(
            "201",
            "202",
            "PJSIP/201-0001",
            "PJSIP/202-0002",
            "2026-10-05 10:00:00",
            "2026-10-05 10:00:05",
            "2026-10-05 10:01:00",
            60,
            55,
            "ANSWERED",
        ),
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["audit", "--email", "-c"])
        .arg(&cfg)
        .arg(&cdr)
        .env("TG_SMTP_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(server.received().is_empty());
    assert_eq!(spooled(dir.path()), 0);
}

#[test]
fn test_email_sends_and_reports_failures() {
    let server = Server::start("starttls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), server.port, AUTH);
    let run = |pw: &str| {
        Command::new(bin())
            .args(["test-email", "-c"])
            .arg(&cfg)
            .env("TG_SMTP_PASSWORD", pw)
            .output()
            .unwrap()
    };
    let out = run(PASSWORD);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("test message sent through localhost:"));
    let got = server.received();
    assert_eq!(got.len(), 1);
    let m = MessageParser::default().parse(&got[0].0).unwrap();
    assert!(m.subject().unwrap().contains("test message"));
    let out = run("wrong");
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("authentication refused"));
    assert_eq!(spooled(dir.path()), 0, "a test message is never spooled");
}

#[test]
fn email_to_file_previews_without_any_smtp_settings() {
    let dir = tempfile::tempdir().unwrap();
    let eml = dir.path().join("alert.eml");
    let out = run(&[
        "audit",
        "--tz",
        "Europe/Berlin",
        "--email-to-file",
        eml.to_str().unwrap(),
        "samples/asterisk/Master.csv",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let raw = std::fs::read(&eml).unwrap();
    let m = MessageParser::default().parse(&raw).unwrap();
    assert!(m.subject().unwrap().contains("CRITICAL: extension 207"));
    assert!(m.attachment(0).is_some());
    assert!(m.body_html(0).is_some());
}

#[test]
fn a_delivery_timeout_does_not_hang_the_run() {
    // A listener that accepts and never speaks: the configured timeout ends the wait.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), port, "timeout_secs = 2\n");
    let t0 = Instant::now();
    let out = audit_email(&cfg, PASSWORD);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(t0.elapsed() < Duration::from_secs(60));
    assert_eq!(spooled(dir.path()), 1);
    drop(listener);
}

/// The volume fixture's fifty calls in one hour, on `date` (plus `extra` more calls).
fn volume_night(date: &str, extra: usize) -> String {
    let fifty = std::fs::read_to_string(
        root().join("tests/fixtures/rules/volume/fires-hourly-calls/Master.csv"),
    )
    .unwrap();
    let mut s = fifty.replace("2026-03-04", date);
    for line in fifty.lines().take(extra) {
        s.push_str(&line.replace("2026-03-04", date).replace(":00\"", ":30\""));
        s.push('\n');
    }
    s
}

/// `tollguard nightly --email` over `dir/Master.csv` with the state in `dir/state`.
fn nightly_email(dir: &Path, config: &Path) -> std::process::Output {
    Command::new(bin())
        .args(["nightly", "--email", "-o", "json", "--state"])
        .arg(dir.join("state"))
        .arg("-c")
        .arg(config)
        .arg(dir.join("Master.csv"))
        .env("TG_SMTP_PASSWORD", PASSWORD)
        .env("TZ", "Europe/Berlin")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn append_to(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

#[test]
fn nightly_mails_an_incident_once_and_again_only_when_it_grows() {
    let server = Server::start("starttls", true, 0);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        server.port,
        &format!("{AUTH}min_severity = \"info\"\n"),
    );
    let master = dir.path().join("Master.csv");
    append_to(&master, &volume_night("2026-03-04", 0));
    let out = nightly_email(dir.path(), &cfg);
    // A low incident: below --fail-on (exit 0), at min_severity = info (mailed).
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        server.received().len(),
        1,
        "night 1: the new incident is mailed"
    );
    let subject = MessageParser::default()
        .parse(&server.received()[0].0)
        .unwrap()
        .subject()
        .unwrap()
        .to_string();
    assert!(subject.contains("extension 220"), "{subject}");
    // Night 2: the same incident again, not bigger: no mail.
    append_to(&master, &volume_night("2026-03-05", 0));
    let out = nightly_email(dir.path(), &cfg);
    assert_eq!(json(&out)["nightly"]["suppressed_repeats"], 1);
    assert_eq!(server.received().len(), 1, "night 2: nothing new, no mail");
    // Night 3: it grew: mailed again.
    append_to(&master, &volume_night("2026-03-06", 10));
    let out = nightly_email(dir.path(), &cfg);
    assert_eq!(json(&out)["incidents"][0]["change"], "grown");
    assert_eq!(server.received().len(), 2, "night 3: grown, mailed");
}

#[test]
fn nightly_commits_its_state_once_the_alert_is_spooled() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        port,
        &format!("{AUTH}min_severity = \"info\"\n"),
    );
    let master = dir.path().join("Master.csv");
    append_to(&master, &volume_night("2026-03-04", 0));
    // Night 1: the server is down: the alert is spooled, the run exits 2, and the rows count
    // as processed (the alert is safe in the spool).
    let out = nightly_email(dir.path(), &cfg);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["rows_read"], 50);
    assert_eq!(spooled(dir.path()), 1);
    // Night 2: the server is back: the spooled alert goes out, night 1's rows are not read
    // again, and the unchanged incident is not mailed a second time.
    let server = Server::start("starttls", true, port);
    append_to(&master, &volume_night("2026-03-05", 0));
    let out = nightly_email(dir.path(), &cfg);
    assert_eq!(
        json(&out)["summary"]["rows_read"],
        50,
        "only night 2's rows"
    );
    assert_eq!(spooled(dir.path()), 0);
    assert_eq!(
        server.received().len(),
        1,
        "the spooled alert, nothing else"
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

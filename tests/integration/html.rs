//! `--output html` opened in a real browser: headless Chromium loads the report written from a
//! CDR whose every reported field is hostile markup, and the test reads the DOM Chromium built
//! (charts present, hostile text shown as text, no injected element or attribute) and takes
//! screenshots at desktop and phone width to prove the page renders.
//!
//! Chromium is Debian's `chromium` package (`.ci/run` installs it); without it the test fails
//! and says how to install it, rather than passing without having looked.

use super::common::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// A hung browser must not stall the suite.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// Payloads that would each set a marker on <body> if they were ever interpreted.
const SUBJECT: &str = "<img src=x onerror=document.body.dataset.pwned=1>";
const CALLER: &str = "<script>document.body.dataset.pwned=2</script>";
const DIALLED: &str = "<svg onload=document.body.dataset.pwned=3>";
const BAD_START: &str = "<iframe src=javascript:document.body.dataset.pwned=4>";
const FILE: &str = "Master <b onmouseover=document.body.dataset.pwned=5>x.csv";
const SITE: &str = "HQ <i>&amp; Co</i>";

/// An Asterisk cdr_csv row with every text field chosen by the caller (CSV-quoted).
fn row(account: &str, caller: &str, dst: &str, start: &str, end: &str, secs: u32) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    [
        q(account),
        q("201"),
        q(dst),
        q("from-internal"),
        q(&format!("\"{caller}\" <201>")),
        q("PJSIP/201-01"),
        q("PJSIP/telekom-02"),
        q("Dial"),
        q("x"),
        q(start),
        q(start),
        q(end),
        (secs + 4).to_string(),
        secs.to_string(),
        q("ANSWERED"),
        q("DOCUMENTATION"),
    ]
    .join(",")
        + "\n"
}

/// Writes the hostile CDR and a configuration that makes the account code the subject.
fn write_hostile(dir: &Path) {
    let mut cdr = String::new();
    // Saturday night calls to a satellite range: an incident of account SUBJECT.
    for (i, m) in [10, 30, 50].iter().enumerate() {
        cdr.push_str(&row(
            SUBJECT,
            CALLER,
            &format!("00882161234{i:02}"),
            &format!("2026-03-07 02:{m:02}:05"),
            &format!("2026-03-07 02:{:02}:40", m + 5),
            331,
        ));
    }
    // A dialled "number" that is markup, in the same night episode.
    cdr.push_str(&row(
        SUBJECT,
        CALLER,
        DIALLED,
        "2026-03-07 03:10:05",
        "2026-03-07 03:12:05",
        100,
    ));
    // A rejected row whose message quotes the hostile field.
    cdr.push_str(&row(
        SUBJECT,
        CALLER,
        "0088216123499",
        BAD_START,
        "2026-03-07 03:12:05",
        100,
    ));
    std::fs::write(dir.join(FILE), cdr).unwrap();
    std::fs::write(
        dir.join("tollguard.toml"),
        format!(
            "[site]\nname = \"{SITE}\"\ntimezone = \"Europe/Berlin\"\nsubject_by = \"account\"\n"
        ),
    )
    .unwrap();
}

/// Runs headless Chromium with `args` and a fresh profile; returns stdout. Kills it after
/// [`CHROMIUM_TIMEOUT`].
fn chromium(args: &[String]) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the HTML report test needs a real browser; install it with \
         `apt-get install chromium` (Debian's package; .ci/run installs it)"
    );
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // Read stdout on a thread so a large DOM cannot fill the pipe while we wait.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if t0.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_TIMEOUT:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium failed ({status}): {args:?}");
    reader.join().unwrap().expect("chromium output")
}

/// Width and height of a PNG, after checking its signature.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(&b[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// A file URL (temporary directories and `report.html` need no percent-encoding).
fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn html_report_renders_in_chromium_and_shows_hostile_text_as_text() {
    let dir = tempfile::tempdir().unwrap();
    write_hostile(dir.path());
    let out = run_in(
        dir.path(),
        &[
            "audit",
            "-c",
            "tollguard.toml",
            FILE,
            "--output",
            "html",
            "--out",
            "report.html",
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "the report went to the file");
    let report: PathBuf = dir.path().join("report.html");
    let raw = std::fs::read_to_string(&report).unwrap();
    assert!(raw.contains("Content-Security-Policy"), "CSP meta missing");
    // Nothing to fetch: the only URL is the SVG namespace, which is a name, not a request.
    let urls = raw.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !urls.contains("http://") && !urls.contains("https://") && !urls.contains("url("),
        "a network reference in the report"
    );

    let dom = chromium(&["--dump-dom".into(), url(&report)]);
    assert!(dom.contains("</html>"), "no DOM dumped: {dom}");
    // No payload ran and none became an element or attribute.
    assert!(!dom.contains("data-pwned"), "a payload ran");
    for tag in ["<img", "<script", "<iframe", "<b ", "<i>"] {
        assert!(!dom.contains(tag), "injected {tag} element in the DOM");
    }
    // Serialized attributes are always quoted; the payloads in text are not.
    for attr in ["onerror=\"", "onload=\"", "onmouseover=\""] {
        assert!(!dom.contains(attr), "injected {attr} attribute in the DOM");
    }
    // Each payload is on the page as text (the serialized DOM escapes < > & in text).
    let text = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    for payload in [SUBJECT, CALLER, DIALLED, FILE, SITE] {
        assert!(dom.contains(&text(payload)), "{payload} not shown as text");
    }
    assert!(
        dom.contains("&lt;iframe src=javascript:"),
        "rejected row text missing"
    );
    // Title and headline.
    assert!(dom.contains("<title>tollguard report"), "title missing");
    assert!(
        dom.contains(&format!("HIGH: account {} called 001", text(SUBJECT))),
        "headline missing"
    );
    // The charts, each labelled, and the tables with their numbers.
    for id in ["chart-hours", "chart-countries", "timeline-1"] {
        assert!(
            dom.contains(&format!("<svg id=\"{id}\"")),
            "chart {id} missing"
        );
        assert!(
            dom.contains(&format!("<title id=\"{id}-title\">")),
            "{id} title"
        );
    }
    for id in [
        "table-hours",
        "table-countries",
        "table-rejected",
        "table-files",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "table {id} missing");
    }

    // It renders: a desktop and a phone-width screenshot, both real images.
    for (name, w, h, min_bytes) in [
        ("desktop", 1280, 2400, 40_000),
        ("phone", 390, 2400, 20_000),
    ] {
        let png = dir.path().join(format!("{name}.png"));
        chromium(&[
            format!("--screenshot={}", png.display()),
            format!("--window-size={w},{h}"),
            url(&report),
        ]);
        assert_eq!(png_size(&png), (w, h), "{name}");
        let bytes = std::fs::metadata(&png).unwrap().len();
        assert!(
            bytes > min_bytes,
            "{name} screenshot is nearly empty ({bytes} bytes)"
        );
    }
}

#[test]
fn html_report_without_findings_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // One short business-hours call to a German landline.
    let cdr = row(
        "",
        "Anna",
        "0301234567",
        "2026-03-04 10:00:00",
        "2026-03-04 10:02:00",
        110,
    );
    std::fs::write(dir.path().join("Master.csv"), cdr).unwrap();
    let out = run_in(
        dir.path(),
        &["audit", "Master.csv", "-o", "html", "--tz", "Europe/Berlin"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = stdout(&out);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("No suspicious activity found."));
    assert!(html.contains("<svg id=\"chart-hours\""));
    assert!(!html.contains("<svg id=\"timeline-"));
}

//! Nightly cron mode: 60 simulated days of a growing Master.csv (with a partial last line, a
//! rotation and a gzipped predecessor), one nightly run per day through the library with a
//! delivery callback; and runs killed at failpoints and at random moments through the binary.
//! Both check that every call is counted exactly once in the history.

use super::common::*;
use chrono::{Duration, NaiveDate};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use tollguard::config::{Config, ConfigFile, Overrides, TimeZone};
use tollguard::state::{baseline, history, StateDir};
use tollguard::synth::{self, Leg, Outcome, Spec, SynthCall};

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// `days` of benign traffic of a small office (10 extensions), grouped per day, plus, on day
/// `attack_day` (0-based) at 10:00, extension 203 placing `attack_calls` short calls to
/// different German mobile numbers: under every fixed limit, far above its own normal.
fn traffic(days: u32, attack_day: Option<u32>, attack_calls: u32) -> Vec<Vec<SynthCall>> {
    let spec = Spec {
        seed: 11,
        first_day: NaiveDate::from_ymd_opt(2026, 9, 7).unwrap(), // a Monday
        days,
        extensions: 10,
        first_extension: 200,
        calls_per_extension_day: 6,
        attacks: Vec::new(),
    };
    let mut per_day: Vec<Vec<SynthCall>> = vec![Vec::new(); days as usize];
    let mut last_seq = 0;
    synth::generate(&spec, &mut |c| {
        let d = (c.start.date() - spec.first_day).num_days() as usize;
        last_seq = last_seq.max(c.seq);
        per_day[d].push(c.clone());
        Ok(())
    })
    .unwrap();
    if let Some(day) = attack_day {
        let date = spec.first_day + Duration::days(i64::from(day));
        for k in 0..attack_calls {
            last_seq += 1;
            per_day[day as usize].push(SynthCall {
                seq: last_seq,
                leg: Leg::Outbound,
                start: date.and_hms_opt(10, 0, 0).unwrap() + Duration::seconds(i64::from(k) * 100),
                ring: 5,
                talk: 60,
                outcome: Outcome::Answered,
                extension: "203".into(),
                name: "Dora".into(),
                other: format!("0151{:07}", 4_200_000 + k * 37),
                trunk: "telekom",
            });
        }
        // Five days later, extension 207 reaches Latvia, where nobody in the history called.
        let date = spec.first_day + Duration::days(i64::from(day) + 5);
        for k in 0..2 {
            last_seq += 1;
            per_day[day as usize + 5].push(SynthCall {
                seq: last_seq,
                leg: Leg::Outbound,
                start: date.and_hms_opt(14, 10 * k, 0).unwrap(),
                ring: 8,
                talk: 400,
                outcome: Outcome::Answered,
                extension: "207".into(),
                name: "Hans".into(),
                other: format!("003712000000{k}"),
                trunk: "telekom",
            });
        }
        for d in [day, day + 5] {
            per_day[d as usize].sort_by_key(|c| c.start);
        }
    }
    per_day
}

fn rows(calls: &[SynthCall]) -> Vec<u8> {
    let mut w = synth::writer_for("asterisk-csv", BERLIN).unwrap();
    let mut out = Vec::new();
    for c in calls {
        w.call(c, &mut out).unwrap();
    }
    out
}

fn append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn gzip(path: &Path) {
    let plain = std::fs::read(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let mut name = path.as_os_str().to_owned();
    name.push(".gz");
    std::fs::write(&name, gz.finish().unwrap()).unwrap();
    std::fs::remove_file(path).unwrap();
}

fn config() -> Config {
    Config::resolve(
        ConfigFile::default(),
        Overrides {
            tz: Some(TimeZone(BERLIN)),
            ..Default::default()
        },
    )
    .unwrap()
}

/// Calls in the committed history of a state directory.
fn history_calls(state: &Path) -> i64 {
    let s = StateDir::open(state).unwrap();
    let m = s.load().unwrap();
    history::totals(&s, &m.history)
        .unwrap()
        .values()
        .map(|t| t.0)
        .sum()
}

#[test]
fn sixty_nights_read_every_call_once_learn_baselines_and_report_once() {
    let days = 60u32;
    let attack_day = 44u32; // day 45
    let per_day = traffic(days, Some(attack_day), 30);
    let total: usize = per_day.iter().map(Vec::len).sum();
    let tmp = tempfile::tempdir().unwrap();
    let cdr = tmp.path().join("cdr");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&cdr).unwrap();
    let master = cdr.join("Master.csv");
    let config = config();
    let inputs = [cdr.to_string_lossy().to_string()];
    let mut reports: Vec<serde_json::Value> = Vec::new();
    let mut held_back: Vec<u8> = Vec::new();
    let mut rows_read = 0u64;
    for day in 0..days {
        let mut bytes = std::mem::take(&mut held_back);
        bytes.extend(rows(&per_day[day as usize]));
        if day == 9 {
            // The PBX is writing the last row as the run starts: half of it is there.
            let cut = bytes.len() - 40;
            held_back = bytes.split_off(cut);
        }
        if day == 30 {
            // Logrotate between runs: the rest of day 30 is in Master.csv.1, compressed before
            // the next run, and day 31 starts a new Master.csv.
            append(&master, &bytes);
            std::fs::rename(&master, cdr.join("Master.csv.1")).unwrap();
            continue;
        }
        if day == 31 {
            gzip(&cdr.join("Master.csv.1"));
        }
        append(&master, &bytes);
        let mut delivered = 0;
        let mut deliver = |rep: &tollguard::report::Report, _: &tollguard::audit::AuditResult| {
            let mut out = Vec::new();
            tollguard::report::json::render(rep, &mut out)?;
            reports.push(serde_json::from_slice(&out)?);
            delivered += 1;
            Ok(tollguard::nightly::Delivered { to: "test".into() })
        };
        let out = tollguard::nightly::run(&config, &inputs, &state, false, &mut deliver).unwrap();
        assert_eq!(delivered, 1);
        rows_read += out.report.summary.rows_read;
        let j = reports.last().unwrap();
        if day == 31 {
            let notes = j["summary"]["notes"].to_string();
            assert!(notes.contains("rotated or compressed"), "{notes}");
        }
        if day < 27 {
            assert_eq!(j["nightly"]["cold_start"], true, "day {day}");
        }
        if day >= 29 {
            assert_eq!(j["nightly"]["cold_start"], false, "day {day}");
        }
    }
    // Every call exactly once: read once, and counted once in the history.
    assert_eq!(rows_read, total as u64);
    assert_eq!(history_calls(&state), total as i64);
    // The baseline was learned: every extension is mature, and the office's hours (and only
    // those) have a normal above nothing.
    let s = StateDir::open(&state).unwrap();
    let m = s.load().unwrap();
    let after = NaiveDate::from_ymd_opt(2026, 11, 6).unwrap(); // the day after day 60
    let now = after.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let b = baseline::compute(&s, &m.history, &config, 4, now).unwrap();
    assert!(b.mature.contains("extension 203"), "{:?}", b.mature);
    assert!(b.mature.len() >= 10, "{:?}", b.mature);
    assert!(!b.cold() && b.history_weeks > 8.0, "{}", b.history_weeks);
    assert!(b.slots.values().any(|st| st.median > 0.0 || st.mad > 0.0));
    for ((subject, how), st) in &b.slots {
        assert!(
            (8..=19).contains(&(how % 24)),
            "{subject} has a normal at hour of week {how}: {st:?}"
        );
    }
    // The attack: found by volume-anomaly on its night only, and under the fixed limits.
    let night = &reports[attack_day as usize - 1]; // no report on day 30 (rotation)
    let attack = night["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"] == "extension 203")
        .unwrap_or_else(|| panic!("attack not reported: {night}"));
    let rules: Vec<&str> = attack["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(rules.contains(&"volume-anomaly"), "{rules:?}");
    assert!(
        !rules.contains(&"volume") && !rules.contains(&"spending-limit"),
        "{rules:?}"
    );
    assert_eq!(attack["change"], "new");
    for (n, r) in reports.iter().enumerate() {
        for f in r["findings"].as_array().unwrap() {
            if f["rule"] == "volume-anomaly" {
                assert_eq!(
                    n,
                    attack_day as usize - 1,
                    "volume-anomaly on benign night {n}: {f}"
                );
            }
        }
    }
    // new-destination judges one night's calls against the countries of the history.
    let latvia = &reports[attack_day as usize + 5 - 1];
    let found = latvia["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "new-destination"
            && f["subject"] == "extension 207"
            && f["reason"].as_str().unwrap().contains("LV")
    });
    assert!(found, "{latvia}");
    for (n, r) in reports.iter().enumerate().filter(|(n, _)| *n > 7) {
        for f in r["findings"].as_array().unwrap() {
            if f["rule"] == "new-destination" && f["subject"] != "extension 207" {
                panic!("new-destination on benign night {n}: {f}");
            }
        }
    }
    // Each incident is reported once.
    let mut seen = BTreeSet::new();
    for r in &reports {
        for i in r["incidents"].as_array().unwrap() {
            let k = (
                i["subject"].to_string(),
                i["start"].to_string(),
                i["end"].to_string(),
            );
            assert!(seen.insert(k.clone()), "reported twice: {k:?}");
        }
    }
}

#[test]
fn runs_killed_anywhere_lose_and_double_count_nothing() {
    let per_day = traffic(8, None, 0);
    let total: usize = per_day.iter().map(Vec::len).sum();
    let tmp = tempfile::tempdir().unwrap();
    let cdr = tmp.path().join("cdr");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&cdr).unwrap();
    let master = cdr.join("Master.csv");
    let state_arg = state.to_string_lossy().to_string();
    let cdr_arg = cdr.to_string_lossy().to_string();
    let args = [
        "nightly",
        "--state",
        &state_arg,
        "--tz",
        "Europe/Berlin",
        "-o",
        "json",
        &cdr_arg,
    ];
    let mut rng = fastrand::Rng::with_seed(7);
    let mut aborted = 0;
    for (day, calls) in per_day.iter().enumerate() {
        append(&master, &rows(calls));
        if day == 4 {
            std::fs::rename(&master, cdr.join("Master.csv.1")).unwrap();
        }
        // One run dies at a failpoint...
        let point = tollguard::nightly::FAILPOINTS[day % tollguard::nightly::FAILPOINTS.len()];
        let out = std::process::Command::new(bin())
            .args(args)
            .env("TOLLGUARD_FAILPOINT", point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "failpoint {point} did not abort");
        assert!(stderr(&out).contains(point), "{}", stderr(&out));
        aborted += 1;
        // ...another is killed at a random moment (SIGKILL)...
        let mut child = std::process::Command::new(bin())
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(rng.u64(0..400)));
        let _ = child.kill();
        let _ = child.wait();
        // ...and every other night a run completes.
        if day % 2 == 1 {
            let out = run_in(tmp.path(), &args, None);
            assert!(code(&out) <= 1, "{}", stderr(&out));
        }
    }
    assert_eq!(aborted, per_day.len());
    let out = run_in(tmp.path(), &args, None);
    assert!(code(&out) <= 1, "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["summary"]["rows_rejected"], 0);
    assert_eq!(history_calls(&state), total as i64);
    // A last run finds nothing new.
    let out = run_in(tmp.path(), &args, None);
    assert_eq!(json(&out)["summary"]["rows_read"], 0);
    assert_eq!(history_calls(&state), total as i64);
    // Resetting one subject's baseline removes its rows and nothing else.
    let s = StateDir::open(&state).unwrap();
    let before = history::totals(&s, &s.load().unwrap().history).unwrap();
    let own = before["extension 203"].0;
    let out = run_in(
        tmp.path(),
        &["reset-baseline", "--state", &state_arg, "extension 203"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let after = history::totals(&s, &s.load().unwrap().history).unwrap();
    assert!(!after.contains_key("extension 203"));
    assert_eq!(history_calls(&state), total as i64 - own);
}

#[test]
fn export_writes_parquet_and_a_second_run_is_refused_while_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let master = tmp.path().join("Master.csv");
    std::fs::write(&master, rows(&traffic(2, None, 0).concat())).unwrap();
    let out_path = tmp.path().join("calls.parquet");
    let out = run_in(
        tmp.path(),
        &[
            "export",
            "--parquet",
            "calls.parquet",
            "Master.csv",
            "--tz",
            "Europe/Berlin",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let f = std::fs::File::open(&out_path).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(f).finish().unwrap();
    let n = traffic(2, None, 0).concat().len();
    assert_eq!(df.height(), n);
    for c in ["start_utc", "subject", "country", "estimated_cost", "line"] {
        assert!(df.column(c).is_ok(), "missing column {c}");
    }
    // A lock held by a live process (this one) stops a nightly run.
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let _held = tollguard::state::lock::RunLock::acquire(&state).unwrap();
    let out = run_in(
        tmp.path(),
        &[
            "nightly",
            "--state",
            "state",
            "Master.csv",
            "--tz",
            "Europe/Berlin",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("another tollguard run"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unchanged_incident_is_reported_once_and_again_when_it_grows() {
    let tmp = tempfile::tempdir().unwrap();
    let fifty = std::fs::read_to_string(
        root().join("tests/fixtures/rules/volume/fires-hourly-calls/Master.csv"),
    )
    .unwrap();
    let night = |date: &str, extra: usize| {
        let mut s = fifty.replace("2026-03-04", date);
        // More calls in the same hour, 30 seconds after the first ones.
        for line in fifty.lines().take(extra) {
            s.push_str(&line.replace("2026-03-04", date).replace(":00\"", ":30\""));
            s.push('\n');
        }
        s
    };
    let master = tmp.path().join("Master.csv");
    let args = [
        "nightly",
        "--state",
        "state",
        "--tz",
        "Europe/Berlin",
        "Master.csv",
    ];
    // Night 1: new, in the terminal report with its tag and the summary line.
    std::fs::write(&master, night("2026-03-04", 0)).unwrap();
    let out = run_in(tmp.path(), &args, None);
    let text = stdout(&out);
    assert!(
        text.contains("extension 220") && text.contains("[new]"),
        "{text}"
    );
    assert!(
        text.contains("Since the last run: 1 new incident(s); 0 unchanged"),
        "{text}"
    );
    // Night 2: the same volume incident again, not bigger: left out and counted.
    append(&master, night("2026-03-05", 0).as_bytes());
    let mut json_args = args.to_vec();
    json_args.extend(["-o", "json"]);
    let j = json(&run_in(tmp.path(), &json_args, None));
    assert_eq!(j["summary"]["rows_read"], 50);
    assert_eq!(j["incidents"].as_array().unwrap().len(), 0, "{j}");
    assert_eq!(j["nightly"]["suppressed_repeats"], 1);
    // Night 3: sixty calls: grown, reported again.
    append(&master, night("2026-03-06", 10).as_bytes());
    let j = json(&run_in(tmp.path(), &json_args, None));
    assert_eq!(j["summary"]["rows_read"], 60);
    let inc = &j["incidents"][0];
    assert_eq!(inc["change"], "grown", "{j}");
    assert_eq!(inc["calls"], 60);
    // Line numbers are the file's own: night 3's first row is line 101.
    let refs = j["findings"][0]["call_refs"].as_array().unwrap();
    assert_eq!(refs[0]["line"], 101, "{refs:?}");
}

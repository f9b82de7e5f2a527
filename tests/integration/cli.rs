//! The real binary on real files: commands, exit codes, outputs, inputs, configuration errors.

use super::common::*;
use std::io::Write;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn samples_are_audited_with_no_configuration() {
    let out = run(&["audit", "samples"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "extension 207",
        "extension 318",
        "extension 231",
        "extension 215",
        "Summary:",
        "0 rejected",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    // The most costly incident comes first.
    let first = text.lines().find(|l| l.starts_with("#1 ")).unwrap();
    assert!(
        first.contains("extension 207") && first.contains("CRITICAL"),
        "{first}"
    );
    // Non-CDR files in the folder are skipped with a note, not an error.
    assert!(text.contains("README.md: skipped"), "{text}");
}

#[test]
fn every_sample_format_is_read_and_its_planted_attack_found() {
    // The README's first command (run_in pins TZ=Europe/Berlin; the flag says it outright).
    let out = run(&["audit", "--tz", "Europe/Berlin", "-o", "json", "samples/"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["summary"]["rows_rejected"], 0);
    let formats: Vec<&str> = j["summary"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["format"].as_str())
        .filter(|f| !f.is_empty())
        .collect();
    for (format, _) in tollguard::synth::WRITERS {
        assert!(
            formats.contains(format),
            "no sample read as {format}: {formats:?}"
        );
    }
    // samples/README.md lists these planted attacks (one per generated sample).
    for (subject, rule) in [
        ("extension 405", "premium-rate"),
        ("extension 507", "off-hours"),
        ("extension 603", "premium-rate"),
        ("extension 709", "premium-rate"),
        ("extension 802", "premium-rate"),
        ("extension 910", "volume"),
        ("extension 1004", "premium-rate"),
    ] {
        let inc = j["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["subject"] == subject)
            .unwrap_or_else(|| panic!("{subject}: no incident"));
        assert!(
            ["medium", "high", "critical"].contains(&inc["severity"].as_str().unwrap()),
            "{subject}: {}",
            inc["severity"]
        );
        assert!(
            inc["rules"].as_array().unwrap().iter().any(|r| r == rule),
            "{subject}: {rule} missing in {}",
            inc["rules"]
        );
    }
    // Benign offices raise nothing: every incident is a planted attack.
    assert_eq!(
        j["incidents"].as_array().unwrap().len(),
        13,
        "{}",
        j["incidents"]
    );
}

#[test]
fn json_has_the_documented_fields() {
    let out = run(&["audit", "samples/asterisk", "--output", "json"]);
    assert_eq!(code(&out), 1);
    let j = json(&out);
    assert_eq!(j["schema"], "tollguard.audit/1");
    for k in [
        "rows_read",
        "rows_rejected",
        "calls",
        "elapsed_ms",
        "files",
        "rejected",
    ] {
        assert!(!j["summary"][k].is_null(), "summary.{k}");
    }
    assert_eq!(j["summary"]["rows_rejected"], 0);
    let f = &j["findings"][0];
    for k in [
        "rule",
        "severity",
        "subject",
        "start",
        "end",
        "calls",
        "minutes",
        "estimated_cost",
        "currency",
        "destinations",
        "call_refs",
        "reason",
    ] {
        assert!(!f[k].is_null(), "finding.{k}: {f}");
    }
    // Times are in the site's zone with offset.
    assert!(
        f["start"].as_str().unwrap().ends_with("+02:00")
            || f["start"].as_str().unwrap().ends_with("+01:00")
    );
    let inc = &j["incidents"][0];
    assert_eq!(inc["subject"], "extension 207");
    assert!(inc["estimated_cost"].as_f64().unwrap() > 1000.0);
    let refs = f["call_refs"].as_array().unwrap();
    assert!(refs
        .iter()
        .all(|r| r["file"].as_str().unwrap().ends_with(".csv") && r["line"].as_u64().unwrap() > 0));
}

#[test]
fn exit_codes_follow_fail_on() {
    // Only a medium incident (two premium calls) in the 16-column sample.
    let out = run(&[
        "audit",
        "samples/asterisk/Master-16col.csv",
        "--fail-on",
        "high",
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = run(&["audit", "samples/asterisk/Master-16col.csv"]);
    assert_eq!(code(&out), 1);
    // Benign traffic only.
    let out = run(&["audit", "samples/freepbx/cdr-export-old.csv"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("no suspicious activity"));
    // Errors are 2.
    let out = run(&["audit", "does/not/exist.csv"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("does/not/exist.csv"),
        "{}",
        stderr(&out)
    );
    let out = run(&["audit", "samples", "--format", "nonsense"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown format"));
}

#[test]
fn stdin_gzip_directories_and_globs_read_alike() {
    let sample = std::fs::read(root().join("samples/asterisk/Master.csv")).unwrap();
    let dir = tmp();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&sample).unwrap();
    std::fs::write(dir.path().join("Master.csv.1.gz"), gz.finish().unwrap()).unwrap();
    let calls = |o: &std::process::Output| json(o)["summary"]["calls"].as_u64().unwrap();
    let plain = run(&["audit", "samples/asterisk/Master.csv", "-o", "json"]);
    let piped = run_in(&root(), &["audit", "-", "-o", "json"], Some(&sample));
    let gz = run_in(dir.path(), &["audit", ".", "-o", "json"], None);
    let glob = run_in(dir.path(), &["audit", "*.gz", "-o", "json"], None);
    let n = calls(&plain);
    assert!(n > 1000);
    assert_eq!(calls(&piped), n);
    assert_eq!(calls(&gz), n);
    assert_eq!(calls(&glob), n);
    assert_eq!(json(&piped)["summary"]["files"][0]["file"], "<stdin>");
    // Piped text is read in parallel (it holds more than the bytes read to recognize it), the
    // file on disk in order: the reports are the same but for the file's name.
    let report = |o: &std::process::Output, name: &str| {
        stdout(o)
            .lines()
            .filter(|l| !l.contains("\"elapsed"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(name, "<stdin>")
    };
    assert_eq!(
        report(&piped, "<stdin>"),
        report(&plain, "samples/asterisk/Master.csv")
    );
}

#[test]
fn csv_output_is_spreadsheet_safe() {
    let dir = tmp();
    let hostile = "=cmd|' /C calc'!A0";
    let mut text = String::new();
    for i in 0..3 {
        text.push_str(&format!(
            "\"\",\"201\",\"0088216{:06}\",\"from-internal\",\"\"\"{hostile}\"\" <201>\",\"PJSIP/201-01\",\"PJSIP/telekom-02\",\"Dial\",\"x\",\"2026-03-04 14:0{i}:00\",\"2026-03-04 14:0{i}:05\",\"2026-03-04 14:0{i}:55\",55,50,\"ANSWERED\",\"DOCUMENTATION\"\n",
            100000 + i
        ));
    }
    std::fs::write(dir.path().join("Master.csv"), text).unwrap();
    let out = run_in(dir.path(), &["audit", "Master.csv", "-o", "csv"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = rdr.headers().unwrap().clone();
    let name = headers.iter().position(|h| h == "caller_name").unwrap();
    let e164 = headers.iter().position(|h| h == "e164").unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        assert_eq!(&r[name], format!("'{hostile}"));
        assert!(r[e164].starts_with("'+882"));
        for cell in r.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "unsafe cell {cell}"
            );
        }
    }
}

#[test]
fn report_can_be_written_to_a_file() {
    let dir = tmp();
    let path = dir.path().join("report.json");
    let out = run(&[
        "audit",
        "samples/asterisk",
        "-o",
        "json",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(j["summary"]["calls"].as_u64().unwrap() > 0);
}

#[test]
fn config_errors_name_key_and_line() {
    let dir = tmp();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[site]\ncountry = \"DE\"\ntimezon = \"Europe/Berlin\"\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &["audit", "--config", "bad.toml", "x.csv"],
        None,
    );
    assert_eq!(code(&out), 2);
    let e = stderr(&out);
    assert!(e.contains("timezon") && e.contains("line 3"), "{e}");
    std::fs::write(
        dir.path().join("bad2.toml"),
        "[rules.volume]\nmax_calls_per_hour = -5\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["rules", "--config", "bad2.toml"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[test]
fn init_writes_a_config_that_loads_and_changes_behaviour() {
    let dir = tmp();
    let out = run_in(dir.path(), &["init"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = dir.path().join("tollguard.toml");
    assert!(path.exists());
    // Refuses to overwrite.
    assert_eq!(code(&run_in(dir.path(), &["init"], None)), 2);
    // Disable a rule and see it in `rules`.
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "[rules.volume]\nenabled = true",
        "[rules.volume]\nenabled = false",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = run_in(dir.path(), &["rules", "--config", "tollguard.toml"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let volume = stdout(&out)
        .lines()
        .find(|l| l.contains("volume"))
        .unwrap()
        .to_string();
    assert!(volume.contains(" no "), "{volume}");
    let sample = root().join("samples/asterisk/Master.csv");
    let out = run_in(
        dir.path(),
        &[
            "audit",
            "--config",
            "tollguard.toml",
            sample.to_str().unwrap(),
            "-o",
            "json",
        ],
        None,
    );
    let j = json(&out);
    assert!(j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] != "volume"));
    assert!(j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "premium-rate"));
}

#[test]
fn rules_explain_formats_and_classify() {
    let out = run(&["rules"]);
    assert_eq!(code(&out), 0);
    for id in ["TG001", "TG002", "TG003"] {
        assert!(stdout(&out).contains(id));
    }
    let out = run(&["explain", "TG002"]);
    assert_eq!(code(&out), 0);
    let t = stdout(&out);
    assert!(
        t.contains("off-hours") && t.contains("Why it matters") && t.contains("min_calls"),
        "{t}"
    );
    assert_eq!(code(&run(&["explain", "TG999"])), 2);
    let out = run(&["formats"]);
    for f in ["asterisk-csv", "asterisk-custom", "freepbx"] {
        assert!(stdout(&out).contains(f));
    }
    let out = run(&["classify", "0088216123456", "09001456884"]);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["info"]["risk"], "critical");
    assert_eq!(lines[1]["info"]["kind"], "premium_rate");
}

#[test]
fn carrier_rate_deck_changes_the_estimate() {
    let dir = tmp();
    std::fs::write(
        dir.path().join("deck.csv"),
        "prefix,description,rate\n88216,Thuraya,10.00\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Master.csv"),
        asterisk_row(
            "201",
            "0088216123456",
            "PJSIP/201-1",
            "PJSIP/telekom-2",
            "2026-03-04 14:00:00",
            "2026-03-04 14:00:05",
            "2026-03-04 14:10:05",
            605,
            600,
            "ANSWERED",
        ),
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &[
            "audit",
            "Master.csv",
            "-o",
            "json",
            "--rate-deck",
            "deck.csv",
        ],
        None,
    );
    let j = json(&out);
    assert_eq!(j["incidents"][0]["estimated_cost"], 100.0);
}

#[test]
fn the_site_timezone_decides_off_hours() {
    // 20:30 local in Berlin is off-hours; the same wall-clock file read for a site in New York
    // (timestamps stated as Berlin time) is 14:30 there: office hours.
    let dir = tmp();
    let mut text = String::new();
    for i in 0..6 {
        let s = format!("2026-03-04 20:3{i}:00");
        let e = format!("2026-03-04 20:3{i}:50");
        text.push_str(&asterisk_row(
            "201",
            "0301234567",
            "PJSIP/201-1",
            "PJSIP/telekom-2",
            &s,
            &s,
            &e,
            50,
            50,
            "ANSWERED",
        ));
    }
    std::fs::write(dir.path().join("Master.csv"), text).unwrap();
    let rules = |args: &[&str]| -> Vec<String> {
        let mut a = vec![
            "audit",
            "Master.csv",
            "-o",
            "json",
            "--min-severity",
            "info",
        ];
        a.extend_from_slice(args);
        let j = json(&run_in(dir.path(), &a, None));
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(rules(&["--tz", "Europe/Berlin"]).contains(&"off-hours".to_string()));
    assert!(
        !rules(&["--tz", "America/New_York", "--source-tz", "Europe/Berlin"])
            .contains(&"off-hours".to_string())
    );
}

#[test]
fn detect_explains_each_file_and_refuses_what_it_cannot_read() {
    let out = run(&["detect", "samples/"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let t = stdout(&out);
    assert!(
        t.contains("samples/asterisk/Master.csv: asterisk-csv (100%"),
        "{t}"
    );
    assert!(t.contains("samples/freepbx/cdr-export.csv: freepbx"), "{t}");
    assert!(t.contains("samples/README.md: skipped"), "{t}");
    // Every format is listed with what it was checked against.
    let f = stdout(&run(&["formats"]));
    assert!(
        f.contains("checked against") && f.contains("generic"),
        "{f}"
    );
    // A named file that fits nothing is an error, in detect as in audit.
    let dir = tmp();
    std::fs::write(dir.path().join("notes.txt"), "hello, world\nnot a cdr\n").unwrap();
    let out = run_in(dir.path(), &["detect", "notes.txt"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).contains("notes.txt: not recognized"),
        "{}",
        stdout(&out)
    );
    let out = run_in(dir.path(), &["audit", "notes.txt"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--format"), "{}", stderr(&out));
}

#[test]
fn a_column_mapping_reads_an_unknown_pbx_and_bad_mappings_are_refused() {
    let dir = tmp();
    std::fs::write(
        dir.path().join("pbx.toml"),
        "[import.mapping]\ndelimiter = \";\"\nstart = \"When\"\nduration = \"Secs\"\nsrc = \"From\"\ndst = \"To\"\n",
    )
    .unwrap();
    let mut rows = String::from("When;From;To;Secs\n");
    for i in 0..12 {
        rows.push_str(&format!(
            "2026-10-17 02:{:02}:00;207;0088216902{:03};600\n",
            i * 4,
            i
        ));
    }
    std::fs::write(dir.path().join("export.csv"), rows).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "audit",
            "-c",
            "pbx.toml",
            "--tz",
            "Europe/Berlin",
            "-o",
            "json",
            "export.csv",
        ],
        None,
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["summary"]["files"][0]["format"], "generic");
    assert_eq!(j["summary"]["external_calls"], 12);
    assert_eq!(j["incidents"][0]["subject"], "extension 207");
    let out = run_in(
        dir.path(),
        &["detect", "-c", "pbx.toml", "export.csv"],
        None,
    );
    assert!(
        stdout(&out).contains("export.csv: generic (100%"),
        "{}",
        stdout(&out)
    );
    // Without the mapping the file is not a known format.
    assert_eq!(code(&run_in(dir.path(), &["audit", "export.csv"], None)), 2);
    std::fs::write(
        dir.path().join("bad.toml"),
        "[import.mapping]\nstart = \"When\"\nsrc = \"From\"\ndst = \"To\"\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["audit", "-c", "bad.toml", "export.csv"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("[import.mapping] needs `duration` or `end`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn groups_tune_rules_per_subject_and_allow_lists_silence_known_destinations() {
    let dir = tmp();
    // Extension 301 (call centre) and 201 (office) each make 60 short national calls in one
    // hour; 202 makes three long night calls to one satellite number the site declares known
    // (a ship of the company's own fleet).
    let mut rows = String::new();
    for ext in ["201", "301"] {
        for i in 0..60 {
            let start = format!("2026-10-20 10:{:02}:{:02}", i, (i * 7) % 60);
            let end = format!("2026-10-20 10:{:02}:{:02}", i, ((i * 7) % 60 + 50).min(59));
            rows.push_str(&asterisk_row(
                ext,
                &format!("0301234{i:04}"),
                &format!("PJSIP/{ext}-01"),
                "PJSIP/telekom-02",
                &start,
                &start,
                &end,
                50,
                45,
                "ANSWERED",
            ));
        }
    }
    for i in 0..3 {
        let start = format!("2026-10-17 0{}:00:00", i + 1);
        let end = format!("2026-10-17 0{}:50:00", i + 1);
        rows.push_str(&asterisk_row(
            "202",
            "0088216000111",
            "PJSIP/202-01",
            "PJSIP/telekom-02",
            &start,
            &start,
            &end,
            3000,
            3000,
            "ANSWERED",
        ));
    }
    std::fs::write(dir.path().join("Master.csv"), rows).unwrap();
    let subjects = |config: Option<&str>| -> Vec<(String, String)> {
        let mut args = vec!["audit", "--tz", "Europe/Berlin", "-o", "json", "Master.csv"];
        if let Some(c) = config {
            std::fs::write(dir.path().join("t.toml"), c).unwrap();
            args.extend(["--config", "t.toml"]);
        }
        let out = run_in(dir.path(), &args, None);
        assert_ne!(code(&out), 2, "{}", stderr(&out));
        json(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["subject"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let all = subjects(None);
    for s in ["extension 201", "extension 301"] {
        assert!(all.contains(&(s.into(), "volume".into())), "{all:?}");
    }
    assert!(all.iter().any(|(s, _)| s == "extension 202"), "{all:?}");
    let tuned = subjects(Some(
        "[allow]\ndestinations = [\"+882 16 000111\"]\n\n[[groups]]\nname = \"callcenter\"\nmembers = [\"3*\"]\n[groups.rules.volume]\nmax_calls_per_hour = 100\nmax_minutes_per_hour = 120.0\n",
    ));
    assert!(
        tuned.contains(&("extension 201".into(), "volume".into())),
        "{tuned:?}"
    );
    assert!(
        !tuned.iter().any(|(s, _)| s == "extension 301"),
        "group limits apply: {tuned:?}"
    );
    assert!(
        !tuned.iter().any(|(s, _)| s == "extension 202"),
        "allowed destination: {tuned:?}"
    );
    // explain shows the group's own settings; a bad group is a config error naming it.
    let out = run_in(
        dir.path(),
        &["explain", "volume", "--config", "t.toml"],
        None,
    );
    assert!(
        stdout(&out).contains("For subject group `callcenter`")
            && stdout(&out).contains("max_calls_per_hour = 100"),
        "{}",
        stdout(&out)
    );
    std::fs::write(dir.path().join("bad.toml"), "[[groups]]\nname = \"lobby\"\nmembers = [\"2*\"]\n[groups.rules.volume]\nmax_calls_per_hour = \"lots\"\n").unwrap();
    let out = run_in(
        dir.path(),
        &["audit", "--config", "bad.toml", "Master.csv"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("`lobby`"), "{}", stderr(&out));
}

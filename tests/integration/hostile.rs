//! Bad input is normal input: broken, truncated, mixed and attacker-controlled files are read
//! as far as they can be, every bad row is counted and reported with its file and line, and
//! nothing from a CDR is interpreted.

use super::common::*;

const GOOD: &str = "\"\",\"201\",\"0088216123456\",\"from-internal\",\"\"\"Anna\"\" <201>\",\"PJSIP/201-01\",\"PJSIP/telekom-02\",\"Dial\",\"x\",\"2026-03-07 02:14:05\",\"2026-03-07 02:14:09\",\"2026-03-07 02:31:40\",1055,1051,\"ANSWERED\",\"DOCUMENTATION\"\n";

fn hostile_file() -> (String, Vec<u64>) {
    let mut s = String::new();
    let mut bad = Vec::new();
    let mut line = 0u64;
    let mut push = |s: &mut String, row: &str, is_bad: bool| {
        line += 1;
        if is_bad {
            bad.push(line);
        }
        s.push_str(row);
    };
    push(&mut s, GOOD, false);
    // Caller name with quotes, commas, markup and a spreadsheet formula, correctly escaped.
    push(&mut s, &GOOD.replace("\"\"\"Anna\"\" <201>\"", "\"\"\"=cmd|' /C calc'!A0, <script>alert(1)</script> <img src=x onerror=alert(2)>, \"\"q\"\"\"\" <201>\""), false);
    // Wrong column count (15 fields).
    push(&mut s, "\"\",\"201\",\"0301234567\",\"from-internal\",\"x\",\"PJSIP/201-01\",\"PJSIP/telekom-02\",\"Dial\",\"x\",\"2026-03-07 10:00:00\",,\"2026-03-07 10:00:20\",20,0,\"NO ANSWER\"\n", true);
    // An unescaped comma inside an unquoted caller name shifts every field: only one way of
    // re-joining gives a readable row, so it is repaired (and reported as such), not rejected.
    push(&mut s, "\"\",\"201\",\"0301234567\",\"from-internal\",Doe, John <201>,\"PJSIP/201-01\",\"PJSIP/telekom-02\",\"Dial\",\"x\",\"2026-03-07 10:00:00\",,\"2026-03-07 10:00:20\",20,0,\"NO ANSWER\",\"DOCUMENTATION\"\n", false);
    // The same comma where two columns could have held it and the rest gives no clue: the
    // second free-text column (lastdata) is empty-shaped, so this stays rejected.
    push(&mut s, "\"\",\"201\",\"0301234567\",\"from-internal\",Doe, John <201>,\"PJSIP/201-01\",\"PJSIP/telekom-02\",\"Dial\",\"2026-03-07 10:00:00\",,\"2026-03-07 10:00:20\",20,0,\"NO ANSWER\",\"DOCUMENTATION\"\n", true);
    // A non-UTF-8 byte (Latin-1 ü) in the caller name: read, not rejected.
    push(&mut s, &GOOD.replace("Anna", "M\u{00fc}ller"), false);
    // An ANSI escape in the caller name and a control character in the source field.
    push(
        &mut s,
        &GOOD
            .replace("Anna", "\u{1b}[2J\u{1b}[31mEVIL")
            .replace("\"201\",\"0088", "\"201\u{7}\",\"0088"),
        false,
    );
    // Garbage line.
    push(&mut s, "this is not a CDR at all\n", true);
    // Truncated last line (no newline, cut mid-field).
    push(&mut s, "\"\",\"201\",\"0088216123456\",\"from-internal\",\"\"\"Anna\"\" <201>\",\"PJSIP/201-01\",\"PJSIP/tel", true);
    (s, bad)
}

fn write_hostile(dir: &std::path::Path) -> Vec<u64> {
    let (text, bad) = hostile_file();
    // Turn the UTF-8 ü into a lone Latin-1 byte.
    let bytes: Vec<u8> = text
        .replace('\u{00fc}', "\u{0}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { 0xfc } else { b })
        .collect();
    std::fs::write(dir.join("Master.csv"), bytes).unwrap();
    bad
}

#[test]
fn bad_rows_are_counted_and_located_and_good_rows_survive() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_hostile(dir.path());
    let out = run_in(dir.path(), &["audit", "Master.csv", "-o", "json"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let j = json(&out);
    let s = &j["summary"];
    assert_eq!(s["rows_read"], 9);
    assert_eq!(s["rows_rejected"], bad.len() as u64);
    assert_eq!(s["calls"], 5);
    assert_eq!(s["rows_repaired_utf8"], 1);
    assert_eq!(s["rows_repaired_split"], 1);
    assert_eq!(s["repaired"][0]["line"], 4);
    assert!(s["repaired"][0]["message"]
        .as_str()
        .unwrap()
        .contains("re-joined as column 5"));
    let lines: Vec<u64> = s["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, bad);
    for r in s["rejected"].as_array().unwrap() {
        assert_eq!(r["file"], "Master.csv");
        assert!(!r["message"].as_str().unwrap().is_empty());
    }
    // The hostile name is data in the JSON, never interpreted (it is a JSON string).
    assert_eq!(j["incidents"][0]["subject"], "extension 201");
}

#[test]
fn terminal_output_escapes_control_characters_and_shows_rejects() {
    let dir = tempfile::tempdir().unwrap();
    write_hostile(dir.path());
    let out = run_in(dir.path(), &["audit", "Master.csv"], None);
    let t = stdout(&out);
    assert!(!t.contains('\u{1b}'), "raw escape in terminal output");
    assert!(!t.contains('\u{7}'), "raw bell in terminal output");
    assert!(t.contains("4 row(s) rejected"), "{t}");
    assert!(
        t.contains("Master.csv:3:") && t.contains("Master.csv:9:"),
        "{t}"
    );
    assert!(t.contains("1 row(s) repaired"), "{t}");
    assert!(t.contains("9 rows read, 4 rejected"), "{t}");
}

#[test]
fn strict_mode_fails_on_the_first_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    write_hostile(dir.path());
    let out = run_in(dir.path(), &["audit", "Master.csv", "--strict"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("Master.csv:3"), "{}", stderr(&out));
}

#[test]
fn csv_export_neutralizes_the_hostile_caller_name() {
    let dir = tempfile::tempdir().unwrap();
    write_hostile(dir.path());
    let out = run_in(dir.path(), &["audit", "Master.csv", "-o", "csv"], None);
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let h = rdr.headers().unwrap().clone();
    let name = h.iter().position(|c| c == "caller_name").unwrap();
    let names: Vec<String> = rdr
        .records()
        .map(|r| r.unwrap()[name].to_string())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("'=cmd|")), "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('=')));
}

#[test]
fn empty_blank_and_header_only_files_are_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    std::fs::write(dir.path().join("blank.csv"), "\n\n  \n").unwrap();
    std::fs::write(
        dir.path().join("header.csv"),
        "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield\n",
    )
    .unwrap();
    for f in ["empty.csv", "blank.csv", "header.csv"] {
        let out = run_in(dir.path(), &["audit", f, "-o", "json"], None);
        assert_eq!(code(&out), 0, "{f}: {}", stderr(&out));
        let j = json(&out);
        assert_eq!(j["summary"]["calls"], 0, "{f}");
        assert!(
            !j["summary"]["files"][0]["note"]
                .as_str()
                .unwrap()
                .is_empty(),
            "{f}"
        );
    }
}

#[test]
fn an_unrecognizable_file_named_explicitly_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello\nworld\n").unwrap();
    let out = run_in(dir.path(), &["audit", "notes.txt"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("notes.txt") && stderr(&out).contains("--format"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn corrupt_gzip_reports_and_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    use std::io::Write;
    for _ in 0..200 {
        gz.write_all(GOOD.as_bytes()).unwrap();
    }
    let mut bytes = gz.finish().unwrap();
    let cut = bytes.len() * 2 / 3;
    bytes.truncate(cut);
    std::fs::write(dir.path().join("Master.csv.gz"), bytes).unwrap();
    let out = run_in(dir.path(), &["audit", "Master.csv.gz", "-o", "json"], None);
    assert_ne!(code(&out), 2, "{}", stderr(&out));
    let j = json(&out);
    assert!(j["summary"]["rows_rejected"].as_u64().unwrap() >= 1);
    let messages: Vec<&str> = j["summary"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("read error")),
        "{messages:?}"
    );
    // Everything before the damage was read.
    assert!(j["summary"]["calls"].as_u64().unwrap() > 10);
}

#[test]
fn random_bytes_never_crash_the_importers() {
    // A cheap property test: seeded random mutations of valid rows, every format forced.
    let mut rng = fastrand::Rng::with_seed(42);
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read(root().join("samples/asterisk/Master-16col.csv")).unwrap();
    for round in 0..6 {
        let mut data = base.clone();
        for _ in 0..200 {
            let i = rng.usize(0..data.len());
            data[i] = match rng.u8(0..4) {
                0 => b'"',
                1 => b',',
                2 => b'\n',
                _ => rng.u8(..),
            };
        }
        let name = format!("fuzz{round}.csv");
        std::fs::write(dir.path().join(&name), &data).unwrap();
        for format in ["asterisk-csv", "asterisk-custom", "freepbx"] {
            let out = run_in(
                dir.path(),
                &["audit", &name, "--format", format, "-o", "json"],
                None,
            );
            let c = code(&out);
            assert!(
                c == 0 || c == 1 || (c == 2 && !stderr(&out).contains("panicked")),
                "{format} {name}: {}",
                stderr(&out)
            );
            assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        }
    }
}

#[test]
fn unescaped_quotes_are_read_or_reported_never_lost() {
    // Quotes inside a quoted caller name that were not doubled, as older exporters write them,
    // in several positions; and the same in a FreePBX export with a header.
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        GOOD.to_string(),
        GOOD.replace("\"\"\"Anna\"\" <201>\"", "\"\"Anna\" <201>\""),
        GOOD.replace("\"\"\"Anna\"\" <201>\"", "\"Anna \"the boss\" B <201>\""),
        GOOD.replace("\"\"\"Anna\"\" <201>\"", "\"Anna <201>"),
        GOOD.to_string(),
    ];
    std::fs::write(dir.path().join("Master.csv"), rows.concat()).unwrap();
    let out = run_in(dir.path(), &["audit", "Master.csv", "-o", "json"], None);
    assert_ne!(code(&out), 2, "{}", stderr(&out));
    let s = &json(&out)["summary"];
    let (read, calls, rejected) = (
        s["rows_read"].as_u64().unwrap(),
        s["calls"].as_u64().unwrap(),
        s["rows_rejected"].as_u64().unwrap(),
    );
    assert_eq!(read, calls + rejected, "{s}");
    assert!(calls >= 2, "the intact rows survive: {s}");
    for r in s["rejected"].as_array().unwrap() {
        assert!(r["line"].as_u64().unwrap() >= 1);
    }
    let freepbx = "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield\n\
2026-10-06 09:15:00,\"Eva\" <310>,310,004315123456,from-internal,SIP/310-0001,SIP/vodafone-0002,Dial,SIP/vodafone/004315123456,125,120,ANSWERED,3,,1759734900.1,\n\
2026-10-06 09:16:00,\"Eva \"the boss\", E\" <310>,310,004315123456,from-internal,SIP/310-0001,SIP/vodafone-0002,Dial,SIP/vodafone/004315123456,125,120,ANSWERED,3,,1759734900.2,\n\
2026-10-06 09:17:00,\"Eva\" <310>,310,004315123456,from-internal,SIP/310-0001,SIP/vodafone-0002,Dial,SIP/vodafone/004315123456,125,120,ANSWERED,3,,1759734900.3,\n";
    std::fs::write(dir.path().join("export.csv"), freepbx).unwrap();
    let out = run_in(dir.path(), &["audit", "export.csv", "-o", "json"], None);
    assert_ne!(code(&out), 2, "{}", stderr(&out));
    let s = &json(&out)["summary"];
    assert_eq!(s["rows_read"], 3);
    assert_eq!(
        s["calls"].as_u64().unwrap() + s["rows_rejected"].as_u64().unwrap(),
        3,
        "{s}"
    );
    // The unescaped quote swallowed a comma into an extra field; only the caller-name column
    // can take it back and give a readable row, so the row is repaired and says so.
    assert_eq!(s["rows_rejected"], 0, "{s}");
    assert_eq!(s["rows_repaired_split"], 1, "{s}");
    assert_eq!(s["repaired"][0]["line"], 3);
}

//! The same month in every format: a seeded synthetic month is written by every registered
//! writer (`tollguard::synth::WRITERS`, one per importer), each file is audited with format
//! detection, and every format must give the same findings as the Asterisk original: the same
//! subjects, rules and call counts. A new importer is covered as soon as its writer is
//! registered.

use super::common::*;
use std::collections::BTreeSet;
use tollguard::synth::{write_as, Spec, MONTH_TZ, WRITERS};

/// (subject, rule, calls) of every finding.
fn findings(j: &serde_json::Value) -> BTreeSet<(String, String, u64)> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["subject"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["calls"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_format_gives_the_asterisk_findings() {
    let spec = Spec::month(11);
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for (format, _) in WRITERS {
        let name = format!("{format}.cdr");
        let (_, calls) = write_as(
            format,
            MONTH_TZ,
            &spec,
            std::fs::File::create(dir.path().join(&name)).unwrap(),
        )
        .unwrap();
        let out = run_in(
            dir.path(),
            &["audit", &name, "-o", "json", "--tz", "Europe/Berlin"],
            None,
        );
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
        let j = json(&out);
        let file = &j["summary"]["files"][0];
        assert_eq!(
            file["format"], *format,
            "{format} detected as {}",
            file["format"]
        );
        assert_eq!(
            j["summary"]["rows_rejected"], 0,
            "{format}: {}",
            j["summary"]
        );
        results.push((format, calls, j));
    }
    let (_, base_calls, base) = &results[0];
    let want = findings(base);
    assert!(want.len() >= 3, "the month has findings: {want:?}");
    for (format, calls, j) in &results[1..] {
        assert_eq!(calls, base_calls, "{format}: calls written");
        let got = findings(j);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{format} differs from asterisk-csv:\n missing {missing:?}\n extra {extra:?}"
        );
        for key in ["external_calls", "subjects"] {
            assert_eq!(
                j["summary"][key], base["summary"][key],
                "{format}: summary {key}"
            );
        }
    }
}

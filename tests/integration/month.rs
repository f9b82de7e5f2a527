//! A seeded month of a 50-extension office with planted attacks, audited end to end: every
//! attack is found with the right subject and at least medium severity, and benign traffic
//! (including evening calls and long daytime calls to cheap destinations) raises nothing high.

use super::common::*;
use chrono::TimeZone;
use tollguard::synth::{write_asterisk, Spec};

#[test]
fn planted_attacks_are_found_and_benign_traffic_stays_quiet() {
    for seed in [1u64, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Master.csv");
        let (planted, rows) =
            write_asterisk(&Spec::month(seed), std::fs::File::create(&path).unwrap()).unwrap();
        let out = run_in(
            dir.path(),
            &["audit", "Master.csv", "-o", "json", "--tz", "Europe/Berlin"],
            None,
        );
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let j = json(&out);
        assert_eq!(j["summary"]["rows_read"], rows);
        assert_eq!(j["summary"]["rows_rejected"], 0);
        let incidents = j["incidents"].as_array().unwrap();
        let findings = j["findings"].as_array().unwrap();
        let berlin = chrono_tz::Europe::Berlin;
        for p in &planted {
            let start = berlin.from_local_datetime(&p.start).earliest().unwrap();
            let end = berlin.from_local_datetime(&p.end).earliest().unwrap();
            let overlaps = |v: &serde_json::Value| {
                let s = chrono::DateTime::parse_from_rfc3339(v["start"].as_str().unwrap()).unwrap();
                let e = chrono::DateTime::parse_from_rfc3339(v["end"].as_str().unwrap()).unwrap();
                v["subject"] == p.subject.as_str() && s <= end && e >= start
            };
            let inc = incidents
                .iter()
                .find(|i| overlaps(i))
                .unwrap_or_else(|| panic!("seed {seed}: {:?} not found", p.kind));
            let sev = inc["severity"].as_str().unwrap();
            assert!(
                ["medium", "high", "critical"].contains(&sev),
                "seed {seed}: {:?} only {sev}",
                p.kind
            );
            for rule in p.rules {
                assert!(
                    findings.iter().any(|f| f["rule"] == *rule && overlaps(f)),
                    "seed {seed}: {:?} not flagged by {rule}",
                    p.kind
                );
            }
        }
        let attackers: Vec<&str> = planted.iter().map(|p| p.subject.as_str()).collect();
        for f in findings {
            let subject = f["subject"].as_str().unwrap();
            if !attackers.contains(&subject) {
                let sev = f["severity"].as_str().unwrap();
                assert!(
                    !["high", "critical"].contains(&sev),
                    "seed {seed}: benign {subject} raised {sev}: {f}"
                );
            }
        }
    }
}

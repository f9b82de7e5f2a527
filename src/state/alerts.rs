//! Alert de-duplication: incidents already reported are not reported again unless they grew.
//!
//! An incident's key is its subject, the rules that fired and its destination countries: the
//! same fraud seen again has the same key, whatever its times. The state remembers, per key,
//! the size of the last reported incident (calls, estimated cost) and when it ended. A new
//! incident with a known key is
//! - `grown` (reported) when it has more calls or a higher cost than the last report;
//! - `repeat` (reported) when the quiet period has passed since the last report ended;
//! - otherwise suppressed: counted in the summary, not reported.
//!
//! Times are those of the calls (not the wall clock), so replaying old files judges the same.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an incident is, compared with what was reported before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Never reported.
    New,
    /// Reported before, and bigger now (more calls or cost).
    Grown,
    /// Reported before, not bigger, but the quiet period has passed.
    Repeat,
}

impl Change {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Grown => "grown",
            Change::Repeat => "repeat",
        }
    }
}

/// The last report of one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    /// Calls of the reported incident.
    pub calls: usize,
    /// Its estimated cost.
    pub cost: f64,
    /// End of its last call (UTC seconds).
    pub end: i64,
}

/// Every key reported so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    /// By incident key.
    pub reported: BTreeMap<String, Reported>,
}

/// The key of an incident: subject, sorted rule names, sorted destination countries.
pub fn key(subject: &str, rules: &[&str], countries: &[String]) -> String {
    let mut r: Vec<&str> = rules.to_vec();
    r.sort_unstable();
    r.dedup();
    let mut c: Vec<&str> = countries.iter().map(String::as_str).collect();
    c.sort_unstable();
    c.dedup();
    format!("{subject}|{}|{}", r.join("+"), c.join(","))
}

impl AlertState {
    /// Judges an incident (`None`: suppress it as an unchanged repeat).
    pub fn judge(
        &self,
        key: &str,
        calls: usize,
        cost: f64,
        start: i64,
        quiet: i64,
    ) -> Option<Change> {
        let Some(prev) = self.reported.get(key) else {
            return Some(Change::New);
        };
        if calls > prev.calls || cost > prev.cost + 0.005 {
            Some(Change::Grown)
        } else if start >= prev.end.saturating_add(quiet) {
            Some(Change::Repeat)
        } else {
            None
        }
    }

    /// Records a reported incident.
    pub fn record(&mut self, key: String, calls: usize, cost: f64, end: i64) {
        self.reported.insert(key, Reported { calls, cost, end });
    }

    /// Forgets keys last reported before `before` (retention).
    pub fn forget_before(&mut self, before: i64) {
        self.reported.retain(|_, r| r.end >= before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_grown_repeat_and_suppressed() {
        let mut s = AlertState::default();
        let k = key("extension 201", &["volume", "off-hours"], &["LV".into()]);
        assert_eq!(
            k,
            key("extension 201", &["off-hours", "volume"], &["LV".into()])
        );
        assert_eq!(s.judge(&k, 10, 5.0, 0, 3600), Some(Change::New));
        s.record(k.clone(), 10, 5.0, 1000);
        assert_eq!(s.judge(&k, 10, 5.0, 2000, 3600), None);
        assert_eq!(s.judge(&k, 9, 4.0, 2000, 3600), None);
        assert_eq!(s.judge(&k, 11, 5.0, 2000, 3600), Some(Change::Grown));
        assert_eq!(s.judge(&k, 10, 6.0, 2000, 3600), Some(Change::Grown));
        assert_eq!(s.judge(&k, 10, 5.0, 4600, 3600), Some(Change::Repeat));
        s.forget_before(1001);
        assert_eq!(s.judge(&k, 1, 0.0, 0, 3600), Some(Change::New));
    }
}

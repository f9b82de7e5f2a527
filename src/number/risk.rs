//! High-risk destination lists: E.164 prefixes with a risk tier.
//!
//! The built-in list is `rates/high-risk.csv` (sources and derivation in `rates/README.md`),
//! embedded in the binary. Users add their own lists in the same format
//! (`prefix,tier,country,tier_seconds,reason,source`, `#` comments). A number gets the highest
//! tier of any matching prefix (the longest such prefix is reported).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The embedded built-in list.
pub const BUILTIN: &str = include_str!("../../rates/high-risk.csv");

/// How risky a destination is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum RiskTier {
    /// Not on any list.
    #[default]
    None,
    /// Known for fraud but with much legitimate traffic (carrier block lists, pumping areas).
    Elevated,
    /// Classic IRSF destinations: report answered calls of any length.
    High,
    /// Satellite and international networks, hot ranges: report even zero-second attempts.
    Critical,
}

impl RiskTier {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::None => "none",
            RiskTier::Elevated => "elevated",
            RiskTier::High => "high",
            RiskTier::Critical => "critical",
        }
    }
}

/// One list entry.
#[derive(Clone, Debug, Deserialize)]
pub struct RiskEntry {
    /// E.164 digits without `+`.
    pub prefix: String,
    /// Risk tier.
    pub tier: RiskTier,
    /// ISO region or `001`.
    #[serde(default)]
    pub country: String,
    /// Billable seconds from which a call matters (0: any attempt).
    #[serde(default)]
    pub tier_seconds: u32,
    /// Why it is listed.
    #[serde(default)]
    pub reason: String,
    /// Source id.
    #[serde(default)]
    pub source: String,
}

/// All loaded lists, merged.
#[derive(Debug, Default)]
pub struct RiskList {
    by_prefix: HashMap<String, RiskEntry>,
    max_len: usize,
}

impl RiskList {
    /// Loads the built-in list (if `builtin`) and the user's extra lists.
    pub fn load(builtin: bool, extra: &[PathBuf]) -> Result<Self> {
        let mut list = RiskList::default();
        if builtin {
            list.add_csv(BUILTIN, Path::new("<built-in rates/high-risk.csv>"))?;
        }
        for p in extra {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            list.add_csv(&text, p)?;
        }
        Ok(list)
    }

    /// Adds entries from CSV text; later entries of the same prefix win only if riskier.
    pub fn add_csv(&mut self, text: &str, path: &Path) -> Result<()> {
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        for rec in rdr.deserialize::<RiskEntry>() {
            let e = rec.map_err(|e| Error::Data {
                path: path.to_path_buf(),
                line: e.position().map(|p| p.line()).unwrap_or(0),
                message: e.to_string(),
            })?;
            let prefix = e.prefix.trim_start_matches('+').to_string();
            if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Data {
                    path: path.to_path_buf(),
                    line: 0,
                    message: format!("prefix `{}` is not E.164 digits", e.prefix),
                });
            }
            self.max_len = self.max_len.max(prefix.len());
            match self.by_prefix.get(&prefix) {
                Some(old) if old.tier >= e.tier => {}
                _ => {
                    self.by_prefix
                        .insert(prefix.clone(), RiskEntry { prefix, ..e });
                }
            }
        }
        Ok(())
    }

    /// The riskiest entry matching `digits` (E.164 without `+`).
    pub fn lookup(&self, digits: &str) -> Option<&RiskEntry> {
        let mut best: Option<&RiskEntry> = None;
        for len in 1..=digits.len().min(self.max_len) {
            if let Some(e) = self.by_prefix.get(&digits[..len]) {
                if best.is_none_or(|b| e.tier >= b.tier) {
                    best = Some(e);
                }
            }
        }
        best
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.by_prefix.len()
    }

    /// True when no list is loaded.
    pub fn is_empty(&self) -> bool {
        self.by_prefix.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_loads_and_knows_the_classics() {
        let l = RiskList::load(true, &[]).unwrap();
        assert!(l.len() > 50);
        assert_eq!(l.lookup("88216123456").unwrap().tier, RiskTier::Critical);
        assert_eq!(l.lookup("8816123456789").unwrap().tier, RiskTier::Critical);
        assert!(l.lookup("53512345678").unwrap().tier >= RiskTier::High);
        assert!(l.lookup("4930123456").is_none());
        assert!(l.lookup("442079460000").is_none());
    }

    #[test]
    fn user_list_adds_and_never_lowers() {
        let mut l = RiskList::load(true, &[]).unwrap();
        l.add_csv(
            "prefix,tier,country,tier_seconds,reason,source\n4930999,high,DE,0,our hot range,me\n882,elevated,001,0,x,me\n",
            Path::new("mine.csv"),
        )
        .unwrap();
        assert_eq!(l.lookup("49309991234").unwrap().reason, "our hot range");
        assert_eq!(l.lookup("88216123456").unwrap().tier, RiskTier::Critical);
    }

    #[test]
    fn bad_rows_name_the_file_and_line() {
        let mut l = RiskList::default();
        let e = l
            .add_csv("prefix,tier\n882,high\n883,extreme\n", Path::new("bad.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.csv:3"), "{e}");
    }
}

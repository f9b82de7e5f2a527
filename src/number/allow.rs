//! Allow-lists: destinations the site calls legitimately (a branch office abroad, a supplier's
//! hotline), given as E.164 prefixes. Calls to them are left out of every rule, so a known-good
//! destination never needs a rule disabled.

use serde::{Deserialize, Serialize};

/// One allowed destination: an E.164 number or prefix, `+4930123456`, `+33 1 44*`, `+1 212`.
/// Spaces, dashes and a trailing `*` are ignored; what remains must be `+` and digits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct AllowedPrefix(String);

impl TryFrom<String> for AllowedPrefix {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let p: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '*' | '(' | ')' | '.'))
            .collect();
        let digits = p.strip_prefix('+').unwrap_or("");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "allowed destination `{s}` must be an E.164 number or prefix starting with + (e.g. \"+4930123456\", \"+33 1 44*\")"
            ));
        }
        Ok(AllowedPrefix(p))
    }
}

impl From<AllowedPrefix> for String {
    fn from(p: AllowedPrefix) -> String {
        p.0
    }
}

/// A set of allowed destination prefixes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct AllowList(pub Vec<AllowedPrefix>);

impl AllowList {
    /// True when the E.164 number starts with one of the prefixes.
    pub fn allows(&self, e164: &str) -> bool {
        !e164.is_empty() && self.0.iter().any(|p| e164.starts_with(&p.0))
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_e164_and_bad_entries_are_refused() {
        let l: AllowList = toml::from_str::<toml::Value>("x = [\"+33 1 44*\", \"+4930123456\"]")
            .unwrap()["x"]
            .clone()
            .try_into()
            .unwrap();
        assert!(l.allows("+33144556677"));
        assert!(l.allows("+4930123456"));
        assert!(!l.allows("+4930123457"));
        assert!(!l.allows(""));
        assert!(AllowedPrefix::try_from("0044207".to_string()).is_err());
        assert!(AllowedPrefix::try_from("+".to_string()).is_err());
    }
}

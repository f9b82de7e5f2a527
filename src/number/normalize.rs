//! Dialled strings to E.164, the way the site's users dial.
//!
//! Order of reading: SIP/tel URI decoration and visual separators are dropped; a non-numeric
//! string (`s`, `*97`, `voicemail`) is a service code; the outside-line code (`9`) is removed;
//! `+` or the site's international prefix (`00`, `011`...) makes the rest international;
//! anything else is read as a national number of the home country by libphonenumber (which also
//! knows the national prefix, `0` in DE). A number that is not valid that way but becomes a valid
//! international number after a *common* international prefix (`00` or `011`) is taken as
//! international and marked `prefix_guessed`: a wrong home-country setting must not hide a call
//! to a satellite network.

use crate::config::Country;
use phonenumber::{country, Mode, PhoneNumber};
use serde::Serialize;
use std::sync::OnceLock;

/// Where a dialled number goes, relative to the home country.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A number of the home country.
    National,
    /// Another country or a non-geographic code.
    International,
    /// A short code (emergency, service numbers): up to 6 digits, not a valid full number.
    Short,
    /// Not a phone number: dialplan service codes, letters.
    Service,
    /// Digits that libphonenumber cannot read as a number at all.
    Unknown,
}

/// Result of normalizing one dialled string.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// E.164 with `+`, or empty.
    pub e164: String,
    /// Scope.
    pub scope: Scope,
    /// The parsed number, when libphonenumber could read it.
    pub parsed: Option<PhoneNumber>,
    /// True when a common international prefix was assumed (see the module doc).
    pub prefix_guessed: bool,
}

/// Normalizes dialled strings for one site.
#[derive(Debug, Clone)]
pub struct Normalizer {
    region: country::Id,
    outside_line_code: String,
    /// The configured international prefix, if any.
    idd_setting: Option<String>,
    /// The home calling code and how the international prefix is recognized, read from
    /// libphonenumber's metadata at the first number, not when the normalizer is made:
    /// building that database takes a fifth of a second, which a run now spends while its
    /// first rows are parsed ([`warm_up`] starts it on a thread of its own).
    home: OnceLock<(u16, Idd)>,
}

/// Starts building libphonenumber's metadata database on a thread of its own, so that the
/// first number classified finds it built or being built (the thread exits when done). Once a
/// process: later classifiers find the database built.
pub fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| {
            let _ = phonenumber::metadata::DATABASE.by_id("US");
        });
    });
}

/// How the site's international prefix is recognized.
#[derive(Debug, Clone, PartialEq)]
enum Idd {
    /// A fixed string (`00`).
    Literal(String),
    /// The home region's libphonenumber pattern.
    Region,
}

impl Normalizer {
    /// A normalizer for the home `country`; `idd` overrides its international prefix.
    pub fn new(country: Country, outside_line_code: &str, idd: Option<&str>) -> Self {
        Normalizer {
            region: country.0,
            outside_line_code: outside_line_code.to_string(),
            idd_setting: idd.map(str::to_string),
            home: OnceLock::new(),
        }
    }

    /// The home calling code and the international prefix: the configured prefix, else the
    /// region's own, a literal (`00`) or, for regions like the US, libphonenumber's pattern
    /// (`011`), matched at the start of the dialled digits.
    fn home(&self) -> &(u16, Idd) {
        self.home.get_or_init(|| {
            let meta = phonenumber::metadata::DATABASE.by_id(self.region.as_ref());
            let home_code = meta.map(|m| m.country_code()).unwrap_or(0);
            let idd = match &self.idd_setting {
                Some(i) => Idd::Literal(i.clone()),
                None => match meta.and_then(|m| m.preferred_international_prefix()) {
                    Some(p) => Idd::Literal(p.to_string()),
                    None => Idd::Region,
                },
            };
            (home_code, idd)
        })
    }

    /// Normalizes one dialled string.
    pub fn normalize(&self, dialled: &str) -> Normalized {
        let mut s = dialled.trim();
        // `sip:0044...@host`, `tel:+44...`, `PJSIP/0044...@trunk` → the user part.
        if let Some(at) = s.find('@') {
            s = &s[..at];
        }
        if let Some(colon) = s.rfind(':') {
            s = &s[colon + 1..];
        }
        if let Some(slash) = s.rfind('/') {
            s = &s[slash + 1..];
        }
        let cleaned: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let (plus, digits) = match cleaned.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return none(Scope::Service);
        }
        let mut digits = digits;
        if !plus && !self.outside_line_code.is_empty() {
            if let Some(rest) = digits.strip_prefix(self.outside_line_code.as_str()) {
                // Only strip when what remains still looks like a full number, not an extension.
                if rest.len() > 6 {
                    digits = rest;
                }
            }
        }
        if plus {
            return self.international(digits, false);
        }
        if let Some(rest) = self.strip_idd(digits) {
            if !rest.is_empty() {
                return self.international(rest, false);
            }
        }
        let national = phonenumber::parse(Some(self.region), digits).ok();
        if let Some(p) = &national {
            if p.is_valid() {
                return self.finish(p.clone(), false);
            }
        }
        for idd in ["00", "011"] {
            if self.home().1 == Idd::Literal(idd.to_string()) {
                continue;
            }
            if let Some(rest) = digits.strip_prefix(idd) {
                let guess = self.international(rest, true);
                if guess.parsed.as_ref().is_some_and(|p| p.is_valid()) {
                    return guess;
                }
            }
        }
        match national {
            Some(p) if digits.len() <= 6 => Normalized {
                e164: String::new(),
                scope: Scope::Short,
                parsed: Some(p),
                prefix_guessed: false,
            },
            Some(p) => self.finish(p, false),
            None if digits.len() <= 6 => none(Scope::Short),
            None => none(Scope::Unknown),
        }
    }

    fn strip_idd<'a>(&self, digits: &'a str) -> Option<&'a str> {
        match &self.home().1 {
            Idd::Literal(p) => digits.strip_prefix(p.as_str()),
            Idd::Region => {
                let meta = phonenumber::metadata::DATABASE.by_id(self.region.as_ref())?;
                let m = meta.international_prefix()?.find(digits)?;
                (m.start() == 0).then(|| &digits[m.end()..])
            }
        }
    }

    fn international(&self, digits: &str, guessed: bool) -> Normalized {
        match phonenumber::parse(None, format!("+{digits}")) {
            Ok(p) => self.finish(p, guessed),
            // Unreadable after a `+`: keep the digits, it is still international.
            Err(_) => Normalized {
                e164: format!("+{digits}"),
                scope: Scope::International,
                parsed: None,
                prefix_guessed: guessed,
            },
        }
    }

    fn finish(&self, p: PhoneNumber, guessed: bool) -> Normalized {
        let e164 = p.format().mode(Mode::E164).to_string();
        // Same calling code but another region (NANP: +1 284 is the British Virgin Islands,
        // not the US) is international: that is how one-ring scams look domestic.
        let home_code = self.home().0;
        let home = p.code().value() == home_code
            && p.country()
                .id()
                .is_none_or(|id| id == self.region || home_code != 1);
        Normalized {
            e164,
            scope: if home {
                Scope::National
            } else {
                Scope::International
            },
            parsed: Some(p),
            prefix_guessed: guessed,
        }
    }
}

fn none(scope: Scope) -> Normalized {
    Normalized {
        e164: String::new(),
        scope,
        parsed: None,
        prefix_guessed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(country: &str) -> Normalizer {
        Normalizer::new(country.parse().unwrap(), "", None)
    }

    #[test]
    fn reads_numbers_as_users_dial_them() {
        let de = n("DE");
        let cases = [
            ("0301234567", "+49301234567", Scope::National),
            ("030 123-4567", "+49301234567", Scope::National),
            ("00442079460000", "+442079460000", Scope::International),
            (
                "sip:00442079460000@10.0.0.1",
                "+442079460000",
                Scope::International,
            ),
            (
                "PJSIP/00442079460000@telekom",
                "+442079460000",
                Scope::International,
            ),
            ("+49301234567", "+49301234567", Scope::National),
            ("0049301234567", "+49301234567", Scope::National),
        ];
        for (d, e, s) in cases {
            let r = de.normalize(d);
            assert_eq!((r.e164.as_str(), r.scope), (e, s), "{d}");
        }
        assert_eq!(de.normalize("112").scope, Scope::Short);
        assert_eq!(de.normalize("*97").scope, Scope::Service);
        assert_eq!(de.normalize("s").scope, Scope::Service);
    }

    #[test]
    fn nanp_caribbean_is_international_from_the_us() {
        let us = n("US");
        let r = us.normalize("12845551234");
        assert_eq!(r.scope, Scope::International, "{r:?}");
        let r = us.normalize("2125550123");
        assert_eq!(r.e164, "+12125550123");
        let r = us.normalize("01144207946000");
        assert_eq!(r.scope, Scope::International);
    }

    #[test]
    fn outside_line_code_is_stripped_only_before_full_numbers() {
        let de = Normalizer::new("DE".parse().unwrap(), "0", Some("00"));
        // `0` + `00442079460000`
        let r = de.normalize("000442079460000");
        assert_eq!(r.e164, "+442079460000");
        let us = Normalizer::new("US".parse().unwrap(), "9", None);
        assert_eq!(us.normalize("912125550123").e164, "+12125550123");
        assert_eq!(us.normalize("9011442079460000").e164, "+442079460000");
    }
}

//! Per-minute rates: the user's carrier deck first, then the built-in indicative deck.
//!
//! - Carrier deck (`[rates] carrier_deck`, `--rate-deck`): CSV `prefix,description,rate`, rate per
//!   minute in the site currency, optional header and `#` comments; longest prefix wins.
//! - Built-in deck (`rates/rate-deck.csv`, EUR, embedded): `key,type,rate,source,note`, where key
//!   is an ISO country, a `+prefix` for non-geographic codes, or `*`. Lookup: longest `+prefix`,
//!   then country + type, then `*` + type, then `*` + `any`. Fixed-or-mobile numbers (NANP) take
//!   the higher of the two, and premium-rate numbers the higher of the country's row and the
//!   conservative `*` row, because the estimate is of exposure, not a bill.

use super::NumberKind;
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// The embedded built-in deck.
pub const BUILTIN: &str = include_str!("../../rates/rate-deck.csv");

/// Where a rate came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum RateSource {
    /// The user's carrier deck, with the matching prefix and its description.
    Carrier {
        /// Matching prefix.
        prefix: String,
        /// The deck's description.
        description: String,
    },
    /// The built-in indicative deck, with the key and type used.
    Builtin {
        /// `DE`, `+881`, `*`.
        key: String,
        /// `fixed`, `mobile`, ...
        r#type: String,
    },
    /// No rate (not an external number).
    None,
}

/// Both decks, ready for lookups.
#[derive(Debug, Default)]
pub struct RateDeck {
    carrier: HashMap<String, (f64, String)>,
    carrier_max_len: usize,
    builtin: HashMap<(String, String), f64>,
    builtin_prefix_max_len: usize,
    eur_rate: f64,
}

impl RateDeck {
    /// Loads the built-in deck (converted with `eur_rate`) and the optional carrier deck.
    pub fn load(carrier: Option<&Path>, eur_rate: f64) -> Result<Self> {
        let mut deck = RateDeck {
            eur_rate,
            ..Default::default()
        };
        deck.load_builtin(BUILTIN)?;
        if let Some(p) = carrier {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            deck.load_carrier(&text, p)?;
        }
        Ok(deck)
    }

    fn load_builtin(&mut self, text: &str) -> Result<()> {
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        for rec in rdr.records() {
            let rec = rec.map_err(|e| data_err(Path::new("<built-in rate deck>"), &e))?;
            let (Some(key), Some(ty), Some(rate)) = (rec.get(0), rec.get(1), rec.get(2)) else {
                continue;
            };
            let Ok(rate) = rate.parse::<f64>() else {
                continue;
            };
            if let Some(p) = key.strip_prefix('+') {
                self.builtin_prefix_max_len = self.builtin_prefix_max_len.max(p.len());
            }
            self.builtin.insert((key.to_string(), ty.to_string()), rate);
        }
        Ok(())
    }

    /// Adds a carrier deck (CSV `prefix,description,rate`).
    pub fn load_carrier(&mut self, text: &str, path: &Path) -> Result<()> {
        let mut rdr = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| data_err(path, &e))?;
            let line = rec.position().map(|p| p.line()).unwrap_or(i as u64 + 1);
            let prefix = rec.get(0).unwrap_or("").trim_start_matches('+');
            let rate = rec.get(2).unwrap_or("");
            if i == 0 && prefix.eq_ignore_ascii_case("prefix") {
                continue; // header row
            }
            if rec.len() < 3 || prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Data {
                    path: path.to_path_buf(),
                    line,
                    message: "expected `prefix,description,rate` with an E.164 digit prefix".into(),
                });
            }
            let rate: f64 = rate
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                .ok_or_else(|| Error::Data {
                    path: path.to_path_buf(),
                    line,
                    message: format!("rate `{rate}` is not a non-negative number"),
                })?;
            self.carrier_max_len = self.carrier_max_len.max(prefix.len());
            self.carrier.insert(
                prefix.to_string(),
                (rate, rec.get(1).unwrap_or("").to_string()),
            );
        }
        Ok(())
    }

    /// Rate per minute (site currency) for a number given as E.164 digits.
    pub fn rate(&self, digits: &str, country: &str, kind: NumberKind) -> (f64, RateSource) {
        for len in (1..=digits.len().min(self.carrier_max_len)).rev() {
            if let Some((rate, desc)) = self.carrier.get(&digits[..len]) {
                return (
                    *rate,
                    RateSource::Carrier {
                        prefix: digits[..len].to_string(),
                        description: desc.clone(),
                    },
                );
            }
        }
        let ty = kind.deck_type();
        let get = |key: &str, ty: &str| {
            self.builtin
                .get(&(key.to_string(), ty.to_string()))
                .copied()
        };
        let found = |key: &str, ty: &str, r: f64| {
            (
                r * self.eur_rate,
                RateSource::Builtin {
                    key: key.to_string(),
                    r#type: ty.to_string(),
                },
            )
        };
        for len in (1..=digits.len().min(self.builtin_prefix_max_len)).rev() {
            let key = format!("+{}", &digits[..len]);
            for t in [ty, "satellite", "any"] {
                if let Some(r) = get(&key, t) {
                    return found(&key, t, r);
                }
            }
        }
        if !country.is_empty() {
            if kind == NumberKind::FixedOrMobile {
                let best = [
                    ("fixed", get(country, "fixed")),
                    ("mobile", get(country, "mobile")),
                ]
                .into_iter()
                .filter_map(|(t, r)| r.map(|r| (t, r)))
                .max_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((t, r)) = best {
                    return found(country, t, r);
                }
            }
            if kind == NumberKind::PremiumRate {
                // Public lists price "special services" (often cheap service numbers), not the
                // premium tariffs fraud uses: estimate exposure with the higher of the two.
                let c = get(country, "premium_rate");
                let star = get("*", "premium_rate");
                match (c, star) {
                    (Some(c), Some(s)) if c >= s => return found(country, "premium_rate", c),
                    (_, Some(s)) => return found("*", "premium_rate", s),
                    (Some(c), None) => return found(country, "premium_rate", c),
                    (None, None) => {}
                }
            }
            for t in [ty, "any"] {
                if let Some(r) = get(country, t) {
                    return found(country, t, r);
                }
            }
            // A country with a fixed rate but no row for this type: fixed is the floor, except
            // for types that cost more than fixed everywhere.
            if !matches!(
                kind,
                NumberKind::PremiumRate
                    | NumberKind::SharedCost
                    | NumberKind::Satellite
                    | NumberKind::InternationalNetwork
            ) {
                // A country priced for mobiles only (Italy in the public list): mobile costs at
                // least as much as fixed almost everywhere, so it is a conservative estimate
                // that is still of the right order, unlike the world fallback.
                for t in ["fixed", "mobile"] {
                    if let Some(r) = get(country, t) {
                        return found(country, t, r);
                    }
                }
            }
        }
        for t in [ty, "any"] {
            if let Some(r) = get("*", t) {
                return found("*", t, r);
            }
        }
        (0.0, RateSource::None)
    }
}

fn data_err(path: &Path, e: &csv::Error) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        line: e.position().map(|p| p.line()).unwrap_or(0),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_deck_longest_prefix_wins_over_builtin() {
        let mut d = RateDeck::load(None, 1.0).unwrap();
        d.load_carrier(
            "# my carrier\nprefix,description,rate\n44,UK,0.02\n447,UK mobile,0.09\n",
            Path::new("deck.csv"),
        )
        .unwrap();
        let (r, src) = d.rate("447911123456", "GB", NumberKind::Mobile);
        assert_eq!(r, 0.09);
        assert!(matches!(src, RateSource::Carrier { ref prefix, .. } if prefix == "447"));
        assert_eq!(d.rate("442079460000", "GB", NumberKind::Fixed).0, 0.02);
        // Not in the carrier deck: built-in.
        assert!(matches!(
            d.rate("4930123456", "DE", NumberKind::Fixed).1,
            RateSource::Builtin { .. }
        ));
    }

    #[test]
    fn carrier_deck_errors_name_line() {
        let mut d = RateDeck::default();
        let e = d
            .load_carrier(
                "prefix,description,rate\n44,UK,0.02\n44x,bad,1\n",
                Path::new("deck.csv"),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("deck.csv:3"), "{e}");
        let e = d
            .load_carrier("49,DE,-1\n", Path::new("deck.csv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("deck.csv:1"), "{e}");
    }

    #[test]
    fn a_country_without_a_fixed_rate_uses_its_mobile_rate() {
        let d = RateDeck::load(None, 1.0).unwrap();
        let (fixed, src) = d.rate("390212345678", "IT", NumberKind::Fixed);
        let (mobile, _) = d.rate("393123456789", "IT", NumberKind::Mobile);
        assert_eq!(fixed, mobile);
        assert!(fixed < 0.2, "{fixed}");
        assert!(matches!(src, RateSource::Builtin { ref key, .. } if key == "IT"));
    }

    #[test]
    fn builtin_falls_back_to_star_and_converts_currency() {
        let d = RateDeck::load(None, 2.0).unwrap();
        let one = RateDeck::load(None, 1.0).unwrap();
        let (a, _) = d.rate("999999", "", NumberKind::PremiumRate);
        let (b, src) = one.rate("999999", "", NumberKind::PremiumRate);
        assert!(b > 0.5, "premium fallback must be conservative: {b}");
        assert_eq!(a, b * 2.0);
        assert!(matches!(src, RateSource::Builtin { ref key, .. } if key == "*"));
    }
}

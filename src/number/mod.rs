//! Number intelligence: what a dialled string is, how risky, and what a minute to it costs.
//!
//! [`Classifier::classify`] normalizes a dialled string to E.164 ([`normalize`]), asks
//! libphonenumber (the `phonenumber` crate) for country, validity and number type, adds the risk
//! tier from the high-risk lists ([`risk`]) and a per-minute rate ([`rates`]). Numbers repeat
//! heavily in CDRs, so the import stage calls it once per distinct dialled string and stores the
//! result in [`crate::call::CallTable::numbers`].

pub mod allow;
mod libfix;
pub mod normalize;
pub mod rates;
pub mod risk;

use crate::config::Config;
use crate::error::Result;
use normalize::{Normalized, Normalizer, Scope};
use rates::{RateDeck, RateSource};
use risk::{RiskList, RiskTier};
use serde::Serialize;

/// Number type, from libphonenumber plus the satellite / international-network override.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// Geographic fixed line.
    Fixed,
    /// Mobile.
    Mobile,
    /// Fixed or mobile (NANP and others cannot tell).
    FixedOrMobile,
    /// Free phone.
    TollFree,
    /// Premium rate.
    PremiumRate,
    /// Shared cost.
    SharedCost,
    /// VoIP.
    Voip,
    /// Personal number.
    Personal,
    /// Pager.
    Pager,
    /// Universal access number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// Satellite networks (+870 Inmarsat, +881 GMSS: Iridium, Globalstar...).
    Satellite,
    /// International networks (+882, +883): shared codes, favourite IRSF ranges.
    InternationalNetwork,
    /// Short code or emergency number.
    ShortCode,
    /// Unknown type (often an invalid number).
    Unknown,
}

impl NumberKind {
    /// The type name used in rate decks (`fixed`, `mobile`, `premium_rate`...).
    pub fn deck_type(self) -> &'static str {
        match self {
            NumberKind::Fixed => "fixed",
            NumberKind::Mobile => "mobile",
            NumberKind::FixedOrMobile => "fixed",
            NumberKind::TollFree => "toll_free",
            NumberKind::PremiumRate => "premium_rate",
            NumberKind::SharedCost => "shared_cost",
            NumberKind::Voip => "voip",
            NumberKind::Personal => "personal",
            NumberKind::Pager => "pager",
            NumberKind::Uan => "uan",
            NumberKind::Voicemail => "voicemail",
            NumberKind::Satellite | NumberKind::InternationalNetwork => "satellite",
            NumberKind::ShortCode => "short_code",
            NumberKind::Unknown => "any",
        }
    }

    /// Human label for reports.
    pub fn label(self) -> &'static str {
        match self {
            NumberKind::Fixed => "fixed line",
            NumberKind::Mobile => "mobile",
            NumberKind::FixedOrMobile => "fixed/mobile",
            NumberKind::TollFree => "toll free",
            NumberKind::PremiumRate => "premium rate",
            NumberKind::SharedCost => "shared cost",
            NumberKind::Voip => "VoIP",
            NumberKind::Personal => "personal number",
            NumberKind::Pager => "pager",
            NumberKind::Uan => "UAN",
            NumberKind::Voicemail => "voicemail",
            NumberKind::Satellite => "satellite",
            NumberKind::InternationalNetwork => "international network",
            NumberKind::ShortCode => "short code",
            NumberKind::Unknown => "unknown type",
        }
    }

    fn from_lib(t: phonenumber::Type) -> Self {
        use phonenumber::Type as T;
        match t {
            T::FixedLine => NumberKind::Fixed,
            T::Mobile => NumberKind::Mobile,
            T::FixedLineOrMobile => NumberKind::FixedOrMobile,
            T::TollFree => NumberKind::TollFree,
            T::PremiumRate => NumberKind::PremiumRate,
            T::SharedCost => NumberKind::SharedCost,
            T::Voip => NumberKind::Voip,
            T::PersonalNumber => NumberKind::Personal,
            T::Pager => NumberKind::Pager,
            T::Uan => NumberKind::Uan,
            T::Voicemail => NumberKind::Voicemail,
            T::Emergency | T::ShortCode => NumberKind::ShortCode,
            _ => NumberKind::Unknown,
        }
    }
}

/// Everything known about one dialled string.
#[derive(Clone, Debug, Serialize)]
pub struct NumberInfo {
    /// Normalized E.164 (`+4930123456`), empty when the string is not a phone number.
    pub e164: String,
    /// National, international, internal, service code...
    pub scope: Scope,
    /// ISO region (`DE`), `001` for non-geographic codes, empty if unknown.
    pub country: String,
    /// Country calling code (49), 0 if unknown.
    pub calling_code: u16,
    /// Number type.
    pub kind: NumberKind,
    /// libphonenumber validity (length and allocated range).
    pub valid: bool,
    /// Risk tier from the high-risk lists and the type.
    pub risk: RiskTier,
    /// Why it is risky (list entry reason and source), empty if not.
    pub risk_reason: String,
    /// ccnq3-style tier seconds: attempts of at least this many billable seconds matter.
    pub risk_tier_seconds: u32,
    /// Indicative or carrier rate per minute, in the site currency.
    pub rate: f64,
    /// Where the rate came from.
    pub rate_source: RateSource,
    /// True when the international prefix was guessed (`00`/`011` not of the home country).
    pub prefix_guessed: bool,
}

impl NumberInfo {
    /// True for calls that leave the home country.
    pub fn is_international(&self) -> bool {
        self.scope == Scope::International
    }

    /// True for premium-rate or shared-cost numbers.
    pub fn is_premium(&self) -> bool {
        matches!(self.kind, NumberKind::PremiumRate)
    }

    /// Country label for reports, e.g. `DE Germany` or `001 satellite / international network`.
    pub fn country_label(&self) -> String {
        country_label(&self.country)
    }
}

/// `DE Germany`, `001 international network`, or `??` when unknown.
pub fn country_label(code: &str) -> String {
    match code {
        "" => "?? unknown".into(),
        "001" => "001 non-geographic (satellite / international network)".into(),
        c => match isocountry::CountryCode::for_alpha2(c) {
            Ok(cc) => format!("{c} {}", cc.name()),
            Err(_) => c.to_string(),
        },
    }
}

/// Classifies dialled strings; immutable after construction, so shareable across threads.
#[derive(Debug)]
pub struct Classifier {
    normalizer: Normalizer,
    risk: RiskList,
    deck: RateDeck,
}

impl Classifier {
    /// Builds the classifier from the resolved configuration (loads decks and lists).
    pub fn from_config(config: &Config) -> Result<Self> {
        // The metadata database is built while the run opens and parses its first rows.
        normalize::warm_up();
        let normalizer = Normalizer::new(
            config.site.country,
            &config.site.outside_line_code,
            config.site.international_prefix.as_deref(),
        );
        let risk = RiskList::load(config.rates.builtin_high_risk, &config.rates.high_risk)?;
        let deck = RateDeck::load(
            config.rates.carrier_deck.as_deref(),
            config.rates.eur_exchange_rate,
        )?;
        Ok(Classifier {
            normalizer,
            risk,
            deck,
        })
    }

    /// Classifies one dialled string.
    pub fn classify(&self, dialled: &str) -> NumberInfo {
        let n: Normalized = self.normalizer.normalize(dialled);
        let mut kind = NumberKind::Unknown;
        let (mut country, mut code, mut valid) = (String::new(), 0u16, false);
        if let Some(p) = &n.parsed {
            code = p.code().value();
            valid = p.is_valid();
            let (region, ty) = libfix::region_and_type(p);
            kind = NumberKind::from_lib(ty);
            country = region.unwrap_or_default();
        }
        // libphonenumber types Iridium as mobile and Thuraya as VoIP: the calling code decides.
        match code {
            870 | 881 => kind = NumberKind::Satellite,
            882 | 883 => kind = NumberKind::InternationalNetwork,
            _ => {}
        }
        if n.scope == Scope::Short {
            kind = NumberKind::ShortCode;
        }
        let digits = n.e164.trim_start_matches('+');
        let mut risk = RiskTier::None;
        let mut risk_reason = String::new();
        let mut risk_tier_seconds = 0;
        if !digits.is_empty() {
            if let Some(e) = self.risk.lookup(digits) {
                risk = e.tier;
                risk_reason = format!("+{} {} ({})", e.prefix, e.reason, e.source);
                risk_tier_seconds = e.tier_seconds;
            }
            // Type-based floor: these are where the money goes, listed or not.
            let floor = match kind {
                NumberKind::Satellite | NumberKind::InternationalNetwork => RiskTier::Critical,
                NumberKind::PremiumRate => RiskTier::High,
                NumberKind::SharedCost => RiskTier::Elevated,
                _ => RiskTier::None,
            };
            if floor > risk {
                risk = floor;
                risk_tier_seconds = 0;
                risk_reason = format!("{} number", kind.label());
            }
        }
        let (rate, rate_source) = if digits.is_empty() || n.scope == Scope::Short {
            (0.0, RateSource::None)
        } else {
            self.deck.rate(digits, &country, kind)
        };
        NumberInfo {
            e164: n.e164,
            scope: n.scope,
            country,
            calling_code: code,
            kind,
            valid,
            risk,
            risk_reason,
            risk_tier_seconds,
            rate,
            rate_source,
            prefix_guessed: n.prefix_guessed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier(country: &str) -> Classifier {
        let mut c = Config::defaults();
        c.site.country = country.parse().unwrap();
        Classifier::from_config(&c).unwrap()
    }

    #[test]
    fn table_of_numbers_from_a_german_site() {
        let c = classifier("DE");
        // (dialled, e164, scope, country, kind, min risk)
        let cases: &[(&str, &str, Scope, &str, NumberKind, RiskTier)] = &[
            (
                "0301234567",
                "+49301234567",
                Scope::National,
                "DE",
                NumberKind::Fixed,
                RiskTier::None,
            ),
            (
                "015112345678",
                "+4915112345678",
                Scope::National,
                "DE",
                NumberKind::Mobile,
                RiskTier::None,
            ),
            (
                "09001234567",
                "+499001234567",
                Scope::National,
                "DE",
                NumberKind::PremiumRate,
                RiskTier::High,
            ),
            (
                "00442079460000",
                "+442079460000",
                Scope::International,
                "GB",
                NumberKind::Fixed,
                RiskTier::None,
            ),
            (
                "+442079460000",
                "+442079460000",
                Scope::International,
                "GB",
                NumberKind::Fixed,
                RiskTier::None,
            ),
            (
                "0088216123456",
                "+88216123456",
                Scope::International,
                "001",
                NumberKind::InternationalNetwork,
                RiskTier::Critical,
            ),
            (
                "008816123456789",
                "+8816123456789",
                Scope::International,
                "001",
                NumberKind::Satellite,
                RiskTier::Critical,
            ),
            (
                "005351234567",
                "+5351234567",
                Scope::International,
                "CU",
                NumberKind::Mobile,
                RiskTier::High,
            ),
        ];
        for (dialled, e164, scope, country, kind, risk) in cases {
            let n = c.classify(dialled);
            assert_eq!(n.e164, *e164, "{dialled}");
            assert_eq!(n.scope, *scope, "{dialled}");
            assert_eq!(n.country, *country, "{dialled}");
            assert_eq!(n.kind, *kind, "{dialled}: {n:?}");
            assert!(n.risk >= *risk, "{dialled}: {n:?}");
            assert!(n.rate >= 0.0);
        }
    }

    #[test]
    fn satellite_costs_more_than_a_landline() {
        let c = classifier("DE");
        let sat = c.classify("0088216123456");
        let land = c.classify("0301234567");
        assert!(sat.rate > 1.0, "{sat:?}");
        assert!(land.rate < 0.1, "{land:?}");
        assert!(c.classify("09001234567").rate >= 1.0);
    }

    #[test]
    fn wrong_idd_is_still_recognized_as_international() {
        // A US site whose users dial 00 (or a file from a European PBX audited with US defaults).
        let c = classifier("US");
        let n = c.classify("0088216123456");
        assert_eq!(n.e164, "+88216123456");
        assert!(n.prefix_guessed);
        assert_eq!(n.risk, RiskTier::Critical);
        let n = c.classify("01188216123456");
        assert_eq!(n.e164, "+88216123456");
        assert!(!n.prefix_guessed);
    }

    #[test]
    fn non_numbers_are_not_classified() {
        let c = classifier("DE");
        for s in ["s", "h", "*97", "", "voicemail", "i"] {
            let n = c.classify(s);
            assert!(n.e164.is_empty(), "{s}: {n:?}");
            assert_eq!(n.rate, 0.0);
        }
    }
}

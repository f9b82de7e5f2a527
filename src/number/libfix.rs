//! Region and number type for numbers the `phonenumber` crate cannot place.
//!
//! phonenumber 0.3.10 validates with the national number's leading zeros but picks the region
//! of a shared calling code without them (`PhoneNumber::metadata` uses `national().value()`),
//! so Italian fixed lines (+39 02..., +39 06...) come back with no region and type Unknown
//! although valid. Only when the crate finds no region, this module repeats libphonenumber's
//! own procedure (region by leading digits, else the first region the number has a type in;
//! then the type by the descriptor order of `getNumberType`) with the zeros kept. Checked
//! against Python `phonenumbers` by the `numbers` integration test.

use phonenumber::metadata::{Metadata, DATABASE};
use phonenumber::{PhoneNumber, Type};

/// Region id (`IT`, or `001` for non-geographic codes) and number type.
pub fn region_and_type(p: &PhoneNumber) -> (Option<String>, Type) {
    if let Some(id) = p.country().id() {
        return (Some(id.as_ref().to_string()), p.number_type(&DATABASE));
    }
    let code = p.code().value();
    let national = p.national().to_string();
    let Some(regions) = DATABASE.region(&code) else {
        return (None, Type::Unknown);
    };
    for region in regions {
        if region == "001" {
            // Non-geographic codes (+800, +870, +881, +882, +883...) are keyed by code.
            let ty = DATABASE
                .by_code(&code)
                .and_then(|metas| metas.into_iter().next())
                .map(|meta| type_of(meta, &national))
                .unwrap_or(Type::Unknown);
            return (Some("001".to_string()), ty);
        }
        let Some(meta) = DATABASE.by_id(region) else {
            continue;
        };
        let leading = meta
            .leading_digits()
            .and_then(|re| re.find(&national))
            .is_some_and(|m| m.start() == 0);
        let ty = type_of(meta, &national);
        if leading || (meta.leading_digits().is_none() && ty != Type::Unknown) {
            return (Some(region.to_string()), ty);
        }
    }
    (None, Type::Unknown)
}

/// libphonenumber's type order: premium rate, toll free, shared cost, VoIP, personal, pager,
/// UAN, voicemail, then fixed line / mobile (both = fixed line or mobile).
fn type_of(meta: &Metadata, national: &str) -> Type {
    let d = meta.descriptors();
    if !d.general().is_match(national) {
        return Type::Unknown;
    }
    let m = |x: Option<&phonenumber::metadata::Descriptor>| x.is_some_and(|d| d.is_match(national));
    let ordered = [
        (d.premium_rate(), Type::PremiumRate),
        (d.toll_free(), Type::TollFree),
        (d.shared_cost(), Type::SharedCost),
        (d.voip(), Type::Voip),
        (d.personal_number(), Type::PersonalNumber),
        (d.pager(), Type::Pager),
        (d.uan(), Type::Uan),
        (d.voicemail(), Type::Voicemail),
    ];
    for (desc, ty) in ordered {
        if m(desc) {
            return ty;
        }
    }
    match (m(d.fixed_line()), m(d.mobile())) {
        (true, true) => Type::FixedLineOrMobile,
        (true, false) => Type::FixedLine,
        (false, true) => Type::Mobile,
        (false, false) => Type::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_fixed_lines_get_their_region_and_type() {
        let p = phonenumber::parse(None, "+390212345678").unwrap();
        assert!(p.is_valid());
        assert_eq!(
            region_and_type(&p),
            (Some("IT".to_string()), Type::FixedLine)
        );
        let p = phonenumber::parse(None, "+393123456789").unwrap();
        assert_eq!(region_and_type(&p), (Some("IT".to_string()), Type::Mobile));
        let p = phonenumber::parse(None, "+88216123456").unwrap();
        assert_eq!(region_and_type(&p).0.as_deref(), Some("001"));
        let p = phonenumber::parse(None, "+4930123456").unwrap();
        assert_eq!(
            region_and_type(&p),
            (Some("DE".to_string()), Type::FixedLine)
        );
    }
}

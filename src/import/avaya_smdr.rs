//! Avaya IP Office SMDR (Station Message Detail Recording) over TCP or captured to a file.
//!
//! No header, no quoting. Accepts rows of 17 to 30 fields: the 17 fields every IP Office
//! release writes (Call Start, Connected Time, Ring Time, Caller, Direction, Called Number,
//! Dialled Number, Account, Is Internal, Call ID, Continuation, Party1Device, Party1Name,
//! Party2Device, Party2Name, Hold Time, Park Time), then optionally AuthValid, AuthCode, User
//! Charged, Call Charge, Currency, Amount at Last User Change, Call Units, Units at Last User
//! Change, Cost per Unit, Mark Up, External Targeting Cause, External Targeter Id, External
//! Targeted Number (30 in full).
//!
//! Times: Call Start is `YYYY/MM/DD HH:MM:SS` wall-clock time of the IP Office, read in the
//! source time zone. Connected Time (`HH:MM:SS`) is the talk time (billable seconds); the total
//! duration is ring + connected + hold + park time, the whole time the segment occupied.
//!
//! Parties from the device ids: `E4324` an extension (`4324`), `T9001` a trunk line (the device
//! id is the trunk name), `V9502` voicemail and anything else neither. Outgoing and internal
//! calls (Direction `O`) go from Party1 to Party2; incoming calls (`I`) come from the trunk
//! party, whichever of the two it is. `number@ip` callers (SIP) are read as `number`. Called
//! Number (what the system called, after short codes) is the dialled destination.
//!
//! Forwarding: both parties trunk lines (trunk to trunk), or External Targeting Cause set; the
//! call is then priced on External Targeted Number, else Called Number (`relayed_to`). A call
//! from outside that an extension's forwarding sent out again comes out as forwarded.
//!
//! Disposition: SMDR has none; a segment with connected time is answered, any other not answered.
//!
//! Continuation: a row with Continuation = 1 is followed by more rows of the same Call ID
//! (transfer, voicemail); they are merged into one call by the import (talk times add up, the
//! call takes the destination of a later segment that left the PBX).
//!
//! Party names are free text written without quoting: a comma in one shifts the fields after
//! it; such a row is re-joined when only one of the two names can have held the comma (the
//! device fields must look like device ids), else rejected.

use super::threecx::parse_hms;
use super::{excerpt, parse_secs, Fields, Format, Layout, Party, RawRow, Sample, Stamp};
use crate::call::Disposition;

/// The Avaya IP Office SMDR format.
pub struct AvayaSmdr;

const MIN_WIDTH: usize = 17;
const MAX_WIDTH: usize = 30;

// Column positions.
const START: usize = 0;
const CONNECTED: usize = 1;
const RING: usize = 2;
const CALLER: usize = 3;
const DIRECTION: usize = 4;
const CALLED: usize = 5;
const ACCOUNT: usize = 7;
const IS_INTERNAL: usize = 8;
const CALL_ID: usize = 9;
const CONTINUATION: usize = 10;
const P1_DEVICE: usize = 11;
const P1_NAME: usize = 12;
const P2_DEVICE: usize = 13;
const P2_NAME: usize = 14;
const HOLD: usize = 15;
const PARK: usize = 16;
const AUTH_VALID: usize = 17;
const TARGETING_CAUSE: usize = 27;
const TARGETED_NUMBER: usize = 29;

/// True when `s` looks like an SMDR device id: a capital letter then letters and digits, at
/// least one digit (`E4324`, `T9161`, `V9502`), or empty.
fn is_device(s: &str) -> bool {
    let s = s.trim();
    let b = s.as_bytes();
    s.is_empty()
        || (b.len() <= 16
            && b[0].is_ascii_uppercase()
            && b.iter().all(u8::is_ascii_alphanumeric)
            && b.iter().any(u8::is_ascii_digit))
}

/// A device as a call party.
fn device_party(dev: &str) -> Party<'_> {
    let d = dev.trim();
    match d.as_bytes().first() {
        None => Party::None,
        Some(b'E') => Party::Extension(&d[1..]),
        Some(b'T') => Party::Trunk(d),
        Some(_) => Party::Other(d),
    }
}

fn is_trunk(dev: &str) -> bool {
    dev.trim().starts_with('T')
}

/// A `0`/`1` flag field.
fn flag(s: &str, what: &str) -> Result<bool, String> {
    match s.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        t => Err(format!("{what} `{}` is not 0 or 1", excerpt(t))),
    }
}

fn check_devices(p1: &str, p2: &str) -> Result<(), String> {
    for (what, d) in [("Party1Device", p1), ("Party2Device", p2)] {
        if !is_device(d) {
            return Err(format!(
                "{what} `{}` is not a device id (E…, T…, V…): fields shifted by a comma in a party name?",
                excerpt(d)
            ));
        }
    }
    Ok(())
}

/// Checks the optional charging fields that have a fixed shape, which catch rows shifted by a
/// comma in a name when the row has more than the 17 base fields.
fn check_optional(f: &Fields<'_>) -> Result<(), String> {
    let n = f.len();
    if n > AUTH_VALID && !matches!(f.get(AUTH_VALID).trim(), "" | "0" | "1") {
        return Err(format!(
            "AuthValid `{}` is not 0 or 1: fields shifted by a comma in a party name?",
            excerpt(f.get(AUTH_VALID))
        ));
    }
    let numeric = |s: &str| {
        let t = s.trim();
        t.is_empty() || t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    for (what, i) in [
        ("Call Charge", 20),
        ("Amount at Last User Change", 22),
        ("Call Units", 23),
        ("Units at Last User Change", 24),
        ("Cost per Unit", 25),
        ("Mark Up", 26),
    ] {
        if i < n && !numeric(f.get(i)) {
            return Err(format!(
                "{what} `{}` is not a number: fields shifted by a comma in a party name?",
                excerpt(f.get(i))
            ));
        }
    }
    Ok(())
}

fn fits(r: &[String]) -> bool {
    (MIN_WIDTH..=MAX_WIDTH).contains(&r.len())
        && crate::timeconv::parse_timestamp(&r[START]).is_some()
        && parse_hms(&r[CONNECTED]).is_some()
        && matches!(r[DIRECTION].trim(), "I" | "O")
        && matches!(r[CONTINUATION].trim(), "0" | "1")
}

impl Format for AvayaSmdr {
    fn name(&self) -> &'static str {
        "avaya-smdr"
    }

    fn description(&self) -> &'static str {
        "Avaya IP Office SMDR, 17 to 30 fields, no header (continuation segments merged)"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        sample.sniff_rows(fits)
    }

    fn forced_layout(&self, _sample: &Sample) -> Result<Layout, String> {
        Ok(Layout::default())
    }

    fn checked_against(&self) -> &'static str {
        "column list and example rows from Avaya IP Office SMDR documentation and knowledge base (IP Office 4-11 field set)"
    }

    fn widths(&self, _layout: &Layout) -> Vec<usize> {
        // Repairs aim only at the two field sets cdr-formats.md names: the 17 base fields and
        // the full 30. Aiming at every width in between would let a row with two commas be
        // "repaired" into a wrong but well-shaped row.
        vec![MIN_WIDTH, MAX_WIDTH]
    }

    fn free_text_columns(&self, _layout: &Layout) -> Vec<usize> {
        vec![P1_NAME, P2_NAME]
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        check_devices(row.channel, row.dst_channel)
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, _layout: &Layout) -> Result<RawRow<'a>, String> {
        let n = f.len();
        if !(MIN_WIDTH..=MAX_WIDTH).contains(&n) {
            return Err(format!(
                "expected 17 to 30 fields (Avaya IP Office SMDR), found {n}: a comma in a party name or a truncated line?"
            ));
        }
        let (p1, p2) = (f.get(P1_DEVICE).trim(), f.get(P2_DEVICE).trim());
        check_devices(p1, p2)?;
        check_optional(f)?;
        let start_text = f.get(START).trim();
        let start = crate::timeconv::parse_timestamp(start_text).ok_or_else(|| {
            format!(
                "Call Start `{}` is not a timestamp (YYYY/MM/DD HH:MM:SS)",
                excerpt(start_text)
            )
        })?;
        let connected = parse_hms(f.get(CONNECTED)).ok_or_else(|| {
            format!(
                "Connected Time `{}` is not HH:MM:SS",
                excerpt(f.get(CONNECTED))
            )
        })?;
        let ring = parse_secs(f.get(RING), "Ring Time")?;
        let hold = parse_secs(f.get(HOLD), "Hold Time")?;
        let park = parse_secs(f.get(PARK), "Park Time")?;
        let incoming = match f.get(DIRECTION).trim() {
            "I" => true,
            "O" => false,
            d => return Err(format!("Direction `{}` is not I or O", excerpt(d))),
        };
        flag(f.get(IS_INTERNAL), "Is Internal")?;
        let continues = flag(f.get(CONTINUATION), "Continuation")?;
        // Incoming calls come from the trunk party: Party2, unless only Party1 is a trunk.
        let trunk_is_p1 = is_trunk(p1) && !is_trunk(p2);
        let (from_dev, from_name, to_dev) = if incoming && !trunk_is_p1 {
            (p2, "", p1)
        } else {
            (p1, f.get(P1_NAME), p2)
        };
        let field = |i: usize| if i < n { f.get(i).trim() } else { "" };
        let called = f.get(CALLED).trim();
        let targeted = !field(TARGETING_CAUSE).is_empty();
        let relayed_to = if targeted || (is_trunk(p1) && is_trunk(p2)) {
            match field(TARGETED_NUMBER) {
                "" => called,
                t => t,
            }
        } else {
            ""
        };
        let to = match device_party(to_dev) {
            Party::Trunk(t) => Party::Trunk(t),
            _ if targeted => Party::External(relayed_to),
            p => p,
        };
        let caller = f.get(CALLER).trim();
        Ok(RawRow {
            start: Some(Stamp::Local(start)),
            duration: ring
                .saturating_add(connected)
                .saturating_add(hold)
                .saturating_add(park),
            billsec: connected,
            src: caller.split('@').next().unwrap_or(caller),
            dst: called,
            clid: if from_dev.starts_with('E') {
                from_name.trim()
            } else {
                ""
            },
            channel: from_dev,
            dst_channel: to_dev,
            disposition: if connected > 0 {
                Disposition::Answered
            } else {
                Disposition::NoAnswer
            },
            account: f.get(ACCOUNT).trim(),
            call_id: f.get(CALL_ID).trim(),
            from: device_party(from_dev),
            to,
            relayed_to,
            continues,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csv::ByteRecord;

    /// The three example rows of Avaya's knowledge base (cdr-formats.md section 6).
    const KB: [&str; 3] = [
        "2008/06/28 09:28:41,00:00:00,9,8004206,I,4324,4324,,0,1000014155,0,E4324,Joe Bloggs,T9161,LINE 5.1,0,0",
        "2008/06/28 09:30:57,00:00:13,7,01707392200,I,299999,299999,,0,1000014160,1,E4750,John Smith,T9002,LINE 1.2,11,0",
        "2008/06/28 09:30:57,00:00:21,0,01707392200,I,299999,299999,,0,1000014160,0,V9502,VM Channel 2,T9002,LINE 1.2,0,0",
    ];

    fn rec(line: &str) -> ByteRecord {
        let mut r = crate::import::cdr_reader(line.as_bytes());
        let mut rec = ByteRecord::new();
        r.read_byte_record(&mut rec).unwrap();
        rec
    }

    fn with_row<T>(line: &str, f: impl FnOnce(Result<RawRow<'_>, String>) -> T) -> T {
        let r = rec(line);
        let fields = Fields::new(&r);
        f(AvayaSmdr.parse(&fields, &Layout::default()))
    }

    #[test]
    fn reads_the_knowledge_base_rows() {
        with_row(KB[0], |r| {
            let r = r.unwrap();
            assert_eq!((r.duration, r.billsec), (9, 0));
            assert_eq!(r.disposition, Disposition::NoAnswer);
            assert_eq!(
                (r.from, r.to),
                (Party::Trunk("T9161"), Party::Extension("4324"))
            );
            assert_eq!((r.src, r.dst, r.call_id), ("8004206", "4324", "1000014155"));
            assert!(!r.continues);
        });
        with_row(KB[1], |r| {
            let r = r.unwrap();
            assert_eq!((r.duration, r.billsec), (7 + 13 + 11, 13));
            assert_eq!(r.disposition, Disposition::Answered);
            assert_eq!(r.to, Party::Extension("4750"));
            assert!(r.continues);
            assert_eq!(r.call_id, "1000014160");
        });
        with_row(KB[2], |r| {
            let r = r.unwrap();
            assert_eq!((r.duration, r.billsec), (21, 21));
            assert_eq!(
                (r.from, r.to),
                (Party::Trunk("T9002"), Party::Other("V9502"))
            );
            assert!(!r.continues);
        });
    }

    #[test]
    fn outbound_sip_caller_and_full_width() {
        let row = "2014/06/19 10:41:10,00:00:22,4,203@192.168.0.10,O,01707299900,901707299900,,0,1000018,0,E203,Extn203,T9001,Line 1.1,0,0,0,,Extn203,0.00,EUR,0.00,0,0,0,100,,,";
        with_row(row, |r| {
            let r = r.unwrap();
            assert_eq!(r.src, "203");
            assert_eq!(r.dst, "01707299900");
            assert_eq!(
                (r.from, r.to),
                (Party::Extension("203"), Party::Trunk("T9001"))
            );
            assert_eq!(r.clid, "Extn203");
            assert_eq!(r.relayed_to, "");
        });
    }

    #[test]
    fn forwarding_is_recognized() {
        // Trunk to trunk.
        let t2t = "2026/03/04 13:00:00,00:10:00,4,0309876543,I,0088216123456,0088216123456,,0,1000020,0,T9001,Line 1.1,T9002,Line 1.2,0,0";
        with_row(t2t, |r| {
            let r = r.unwrap();
            // Incoming: Party2 is the line the call came in on, Party1 the one it left on.
            assert_eq!(
                (r.from, r.to),
                (Party::Trunk("T9002"), Party::Trunk("T9001"))
            );
            assert_eq!(r.relayed_to, "0088216123456");
        });
        // External targeting by an extension's forward: priced on the targeted number.
        let fwd = "2026/03/04 13:00:00,00:10:00,4,0309876543,I,210,210,,0,1000021,0,E210,Extn210,T9001,Line 1.1,0,0,,,,,,,,,,,FU,Extn210,0088216123456";
        with_row(fwd, |r| {
            let r = r.unwrap();
            assert_eq!(r.from, Party::Trunk("T9001"));
            assert_eq!(r.to, Party::External("0088216123456"));
            assert_eq!((r.dst, r.relayed_to), ("210", "0088216123456"));
        });
    }

    #[test]
    fn a_comma_in_a_name_is_repaired_when_unambiguous() {
        let line = KB[0].replace("Joe Bloggs", "Bloggs, Joe");
        let r = rec(&line);
        let f = Fields::new(&r);
        let e = AvayaSmdr.parse(&f, &Layout::default()).unwrap_err();
        assert!(e.contains("Party2Device"), "{e}");
        let (fixed, how) = crate::import::repair(&AvayaSmdr, &Layout::default(), &f).unwrap();
        assert!(how.to_string().contains("column 13"), "{how}");
        assert_eq!(Fields::new(&fixed).get(P1_NAME), "Bloggs, Joe");
        // Both names with commas: two surplus fields, no single reading.
        let line = line.replace("LINE 5.1", "LINE 5, 1");
        let r = rec(&line);
        let f = Fields::new(&r);
        assert!(crate::import::repair(&AvayaSmdr, &Layout::default(), &f).is_none());
    }

    #[test]
    fn broken_rows_say_why() {
        let bad = [
            (
                KB[0].replace("2008/06/28 09:28:41", "yesterday"),
                "Call Start",
            ),
            (KB[0].replace("00:00:00", "0:0"), "Connected Time"),
            (KB[0].replace(",I,", ",X,"), "Direction"),
            (
                KB[0].replace(",1000014155,0,", ",1000014155,2,"),
                "Continuation",
            ),
            (KB[0].replace(",9,", ",nine,"), "Ring Time"),
            (
                "2008/06/28 09:28:41,00:00:00,9".to_string(),
                "expected 17 to 30",
            ),
        ];
        for (line, want) in bad {
            with_row(&line, |r| {
                let e = r.unwrap_err();
                assert!(e.contains(want), "{want}: {e}");
            });
        }
    }

    #[test]
    fn sniffs_its_rows_and_not_3cx() {
        let text = KB.join("\n");
        let s = Sample::from_bytes(text.as_bytes(), 10);
        assert_eq!(AvayaSmdr.sniff(&s).map(|x| x.0), Some(100));
        let cx = "Call 12,00000190A1B2C3D4_12,00:02:00,2024/01/15 10:00:00,2024/01/15 10:00:05,2024/01/15 10:02:05,TerminatedByDst,0301234567,Ext.201,10000,201,0301234567,,,,,,,,Chain: 0301234567;Ext.201;,Line,Extension,,,Anna,,0";
        let s = Sample::from_bytes(cx.as_bytes(), 10);
        assert_eq!(AvayaSmdr.sniff(&s), None);
    }
}

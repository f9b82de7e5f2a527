//! 3CX CDR log (`cdr.log`, one file per call or the CDR TCP socket), canonical field order.
//!
//! Accepts the 27 fields of 3CX's canonical CDR template, no header, in this order (the admin
//! can pick other fields and orders; only the canonical one is read): historyid, callid,
//! duration, time-start, time-answered, time-end, reason-terminated, from-no, to-no, from-dn,
//! to-dn, dial-no, reason-changed, final-number, final-dn, bill-code, bill-rate, bill-cost,
//! bill-name, chain, from-type, to-type, final-type, from-dispname, to-dispname,
//! final-dispname, missed-queue-calls. Both generations are read:
//! - v16: chain quoted with commas inside (`"Chain: Ext.610,10000,0123456,"`), party types
//!   `External` / `Internal`;
//! - v20: chain unquoted with semicolons (`Chain: Ext.610;10000;0123456;`), party types `Line`,
//!   `Extension`, `Queue`, `VoiceMail`, `IVR`, ...
//!
//! Times are `YYYY/MM/DD HH:MM:SS` (`-` dates accepted too). 3CX is taken to write **UTC**
//! (inferred, not documented: [`Clock::Utc`]); `--source-tz` overrides it. `duration` is the talk
//! time (`HH:MM:SS`, empty when unanswered, then 0); the total is time-end minus time-start.
//!
//! Parties come from the types: `External`/`Line` is the trunk side (the line's DN, e.g.
//! `10000`, is the trunk; without a DN the number is an external party), `Internal`/`Extension`
//! an extension (`Ext.610` → `610`), anything else (queue, IVR, voicemail) neither. The dial
//! plan then decides the direction from the two parties.
//!
//! Forwarding: when `reason-changed` is `ReplacedDst` and the final number differs from
//! `to-no`, or the call came from outside and ended outside (trunk to trunk), and the final
//! party is external, the target is that final party and the call is priced on the final
//! number (`relayed_to`).
//!
//! Disposition: answered when `time-answered` is set; otherwise `Failed_Cancelled` → cancelled,
//! `Failed…` → failed, `Terminated…` → no answer.

use super::{excerpt, Clock, Fields, Format, Layout, Party, RawRow, Sample, Stamp};
use crate::call::Disposition;

/// The 3CX CDR log.
pub struct ThreeCx;

/// Fields of the canonical template.
const WIDTH: usize = 27;

// Column positions of the canonical template.
const CALL_ID: usize = 1;
const DURATION: usize = 2;
const START: usize = 3;
const ANSWERED: usize = 4;
const END: usize = 5;
const REASON: usize = 6;
const FROM_NO: usize = 7;
const TO_NO: usize = 8;
const FROM_DN: usize = 9;
const TO_DN: usize = 10;
const DIAL_NO: usize = 11;
const REASON_CHANGED: usize = 12;
const FINAL_NO: usize = 13;
const FINAL_DN: usize = 14;
const BILL_NAME: usize = 18;
const CHAIN: usize = 19;
const FROM_TYPE: usize = 20;
const TO_TYPE: usize = 21;
const FINAL_TYPE: usize = 22;
const FROM_NAME: usize = 23;
const TO_NAME: usize = 24;
const FINAL_NAME: usize = 25;

/// Parses `HH:MM:SS` (hours may exceed 23 or have more digits) to seconds.
pub fn parse_hms(s: &str) -> Option<u32> {
    let mut parts = s.trim().split(':');
    let mut secs = 0u32;
    for limit in [u32::MAX, 59, 59] {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 6 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = p.parse().ok()?;
        if v > limit {
            return None;
        }
        secs = secs.checked_mul(60)?.checked_add(v)?;
    }
    parts.next().is_none().then_some(secs)
}

/// What a reason-terminated value means when the call was not answered, or `None` for a value
/// 3CX does not write (a sign of shifted fields).
fn unanswered(reason: &str) -> Option<Disposition> {
    let r = reason.trim();
    if r.eq_ignore_ascii_case("Failed_Cancelled") {
        Some(Disposition::Cancelled)
    } else if r.starts_with("Failed") {
        Some(Disposition::Failed)
    } else if r.starts_with("Terminated") {
        Some(Disposition::NoAnswer)
    } else {
        None
    }
}

/// Party types that are the public network side.
fn is_outside(kind: &str) -> bool {
    let k = kind.trim();
    k.eq_ignore_ascii_case("External") || k.eq_ignore_ascii_case("Line")
}

/// Party types that are a phone of the PBX.
fn is_phone(kind: &str) -> bool {
    let k = kind.trim();
    k.eq_ignore_ascii_case("Internal") || k.eq_ignore_ascii_case("Extension")
}

/// A number without 3CX's `Ext.` prefix.
fn strip_ext(no: &str) -> &str {
    let n = no.trim();
    n.strip_prefix("Ext.").unwrap_or(n)
}

/// One end of the call from its type, number and DN.
fn party<'a>(kind: &str, no: &'a str, dn: &'a str) -> Party<'a> {
    let (no, dn) = (strip_ext(no), dn.trim());
    if is_outside(kind) {
        if dn.is_empty() {
            Party::External(no)
        } else {
            Party::Trunk(dn)
        }
    } else if is_phone(kind) {
        match (dn.is_empty(), no.is_empty()) {
            (false, _) => Party::Extension(dn),
            (true, false) => Party::Extension(no),
            (true, true) => Party::None,
        }
    } else if kind.trim().is_empty() {
        if no.is_empty() {
            Party::None
        } else {
            Party::Number(no)
        }
    } else {
        Party::Other(if dn.is_empty() { no } else { dn })
    }
}

/// The display string for one end: `Ext.201` as 3CX names phones, else the DN (a line, a queue).
fn display<'a>(kind: &str, no: &'a str, dn: &'a str) -> &'a str {
    if (is_phone(kind) && no.trim().starts_with("Ext.")) || dn.trim().is_empty() {
        no.trim()
    } else {
        dn.trim()
    }
}

/// A wall-clock time field, optional.
fn stamp(s: &str, what: &str) -> Result<Option<Stamp>, String> {
    super::wall_clock(s, what, "YYYY/MM/DD HH:MM:SS")
}

/// The call was relayed to an external final party (forwarding or trunk-to-trunk).
fn forwarded(f: &Fields<'_>) -> bool {
    let final_no = strip_ext(f.get(FINAL_NO));
    let final_outside = if f.get(FINAL_TYPE).trim().is_empty() {
        !final_no.is_empty() && !f.get(FINAL_NO).trim().starts_with("Ext.")
    } else {
        is_outside(f.get(FINAL_TYPE))
    };
    if !final_outside || final_no.is_empty() {
        return false;
    }
    let replaced = f
        .get(REASON_CHANGED)
        .trim()
        .eq_ignore_ascii_case("ReplacedDst")
        && final_no != strip_ext(f.get(TO_NO));
    replaced || is_outside(f.get(FROM_TYPE))
}

fn fits(r: &[String]) -> bool {
    r.len() == WIDTH
        && crate::timeconv::parse_timestamp(&r[START]).is_some()
        && crate::timeconv::parse_timestamp(&r[END]).is_some()
        && unanswered(&r[REASON]).is_some()
        && (r[DURATION].trim().is_empty() || parse_hms(&r[DURATION]).is_some())
}

impl Format for ThreeCx {
    fn name(&self) -> &'static str {
        "3cx"
    }

    fn description(&self) -> &'static str {
        "3CX CDR log (cdr.log), canonical 27-field template, v16 and v20, no header (times UTC)"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        sample.sniff_rows(fits)
    }

    fn forced_layout(&self, _sample: &Sample) -> Result<Layout, String> {
        Ok(Layout::default())
    }

    fn clock(&self) -> Clock {
        Clock::Utc
    }

    fn checked_against(&self) -> &'static str {
        "column list from 3CX's CDR documentation (canonical 27-field template, v16 and v20 chain/type forms); UTC inferred"
    }

    fn widths(&self, _layout: &Layout) -> Vec<usize> {
        vec![WIDTH]
    }

    fn free_text_columns(&self, _layout: &Layout) -> Vec<usize> {
        // bill-name and the display names are free text; the chain is quoted when it has commas.
        vec![BILL_NAME, FROM_NAME, TO_NAME, FINAL_NAME]
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        // Display names hold free text; the DN fields hold numbers or `Ext.` names, never spaces.
        for (what, s) in [("from-dn", row.channel), ("to-dn", row.dst_channel)] {
            if s.contains(char::is_whitespace) {
                return Err(format!(
                    "{what} `{}` is not a 3CX number: fields shifted by an unescaped comma?",
                    excerpt(s)
                ));
            }
        }
        Ok(())
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, _layout: &Layout) -> Result<RawRow<'a>, String> {
        let n = f.len();
        if n != WIDTH {
            return Err(format!(
                "expected 27 fields (3CX canonical CDR template), found {n}: an unescaped comma in a name, a truncated line or another field order?"
            ));
        }
        check_shape(f)?;
        let start = stamp(f.get(START), "time-start")?.ok_or("time-start is empty")?;
        let answer = stamp(f.get(ANSWERED), "time-answered")?;
        let end = stamp(f.get(END), "time-end")?;
        let talk = f.get(DURATION).trim();
        let billsec = if talk.is_empty() {
            0
        } else {
            parse_hms(talk)
                .ok_or_else(|| format!("duration `{}` is not HH:MM:SS", excerpt(talk)))?
        };
        let duration = match (start, end) {
            (Stamp::Local(s), Some(Stamp::Local(e))) => {
                let d = (e - s).num_seconds();
                if d < 0 {
                    return Err(format!(
                        "time-end `{}` is before time-start `{}`",
                        excerpt(f.get(END)),
                        excerpt(f.get(START))
                    ));
                }
                u32::try_from(d).unwrap_or(u32::MAX).max(billsec)
            }
            _ => billsec,
        };
        let reason = f.get(REASON);
        let not_answered = unanswered(reason).ok_or_else(|| {
            format!(
                "reason-terminated `{}` is not a 3CX reason (TerminatedBySrc, TerminatedByDst, Failed, Failed_Cancelled)",
                excerpt(reason)
            )
        })?;
        let disposition = if answer.is_some() {
            Disposition::Answered
        } else {
            not_answered
        };
        let from_type = f.get(FROM_TYPE);
        let (to_type, to_no, to_dn) = (f.get(TO_TYPE), f.get(TO_NO), f.get(TO_DN));
        let relayed = forwarded(f);
        let (to, dst_channel, relayed_to) = if relayed {
            let (ft, fno, fdn) = (f.get(FINAL_TYPE), f.get(FINAL_NO), f.get(FINAL_DN));
            let fkind = if ft.trim().is_empty() { "Line" } else { ft };
            (
                party(fkind, fno, fdn),
                display(fkind, fno, fdn),
                strip_ext(fno),
            )
        } else {
            (
                party(to_type, to_no, to_dn),
                display(to_type, to_no, to_dn),
                "",
            )
        };
        Ok(RawRow {
            start: Some(start),
            answer,
            end,
            duration,
            billsec,
            src: src_of(f),
            dst: dst_of(f),
            clid: f.get(FROM_NAME).trim(),
            channel: display(from_type, f.get(FROM_NO), f.get(FROM_DN)),
            dst_channel,
            disposition,
            call_id: f.get(CALL_ID).trim(),
            from: party(from_type, f.get(FROM_NO), f.get(FROM_DN)),
            to,
            relayed_to,
            ..Default::default()
        })
    }
}

/// Checks the fields that give a shifted row away: the chain and the party types.
fn check_shape(f: &Fields<'_>) -> Result<(), String> {
    let chain = f.get(CHAIN).trim();
    if !chain.is_empty() && !chain.starts_with("Chain:") {
        return Err(format!(
            "chain `{}` does not start with `Chain:`: fields shifted by an unescaped comma?",
            excerpt(chain)
        ));
    }
    for (what, i) in [
        ("from-type", FROM_TYPE),
        ("to-type", TO_TYPE),
        ("final-type", FINAL_TYPE),
    ] {
        let t = f.get(i).trim();
        if !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!(
                "{what} `{}` is not a 3CX party type (Line, Extension, External, Internal...): fields shifted?",
                excerpt(t)
            ));
        }
    }
    Ok(())
}

/// The caller: the number without `Ext.`, else the DN.
fn src_of<'a>(f: &'a Fields<'a>) -> &'a str {
    let no = strip_ext(f.get(FROM_NO));
    if no.is_empty() {
        f.get(FROM_DN).trim()
    } else {
        no
    }
}

/// What was called: for an extension the extension (so an inbound or forwarded call is charged
/// to it), for an outside party the number as dialled (`dial-no`, else `to-no`).
fn dst_of<'a>(f: &'a Fields<'a>) -> &'a str {
    let (kind, no, dn) = (f.get(TO_TYPE), f.get(TO_NO), f.get(TO_DN));
    if is_phone(kind) {
        let dn = dn.trim();
        return if dn.is_empty() { strip_ext(no) } else { dn };
    }
    let dial = f.get(DIAL_NO).trim();
    if is_outside(kind) && !dial.is_empty() {
        return dial;
    }
    let no = strip_ext(no);
    if no.is_empty() {
        dn.trim()
    } else {
        no
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Disposition;
    use csv::ByteRecord;

    fn rec(line: &str) -> ByteRecord {
        let mut r = crate::import::cdr_reader(line.as_bytes());
        let mut rec = ByteRecord::new();
        r.read_byte_record(&mut rec).unwrap();
        rec
    }

    fn parse(line: &str) -> Result<(Disposition, u32, u32, String), String> {
        let r = rec(line);
        let f = Fields::new(&r);
        ThreeCx.parse(&f, &Layout::default()).map(|row| {
            (
                row.disposition,
                row.duration,
                row.billsec,
                format!(
                    "{:?} {:?} {} {} {}",
                    row.from, row.to, row.src, row.dst, row.relayed_to
                ),
            )
        })
    }

    const V16_OUT: &str = r#"Call 9744,00000C5E6C1F5D28_9772,00:01:07,2016/12/29 15:50:51,2016/12/29 15:50:53,2016/12/29 15:52:00,TerminatedBySrc,Ext.610,00442079460000,610,10000,00442079460000,,00442079460000,10000,,,,,"Chain: Ext.610,10000,00442079460000,",Internal,External,External,Anna,,,"#;
    const V20_IN: &str = "Call 12,00000190A1B2C3D4_12,00:02:00,2024/01/15 10:00:00,2024/01/15 10:00:05,2024/01/15 10:02:05,TerminatedByDst,0301234567,Ext.201,10000,201,0301234567,,,,,,,,Chain: 0301234567;Ext.201;,Line,Extension,,,Anna,,0";
    const V20_UNANSWERED: &str = "Call 13,00000190A1B2C3D4_13,,2024/01/15 10:00:00,,2024/01/15 10:00:20,Failed_Cancelled,Ext.201,030555,201,10000,030555,,,,,,,,Chain: Ext.201;030555;,Extension,Line,,Anna,,,";
    const V20_FORWARD: &str = "Call 14,00000190A1B2C3D4_14,00:10:00,2024/01/15 02:00:00,2024/01/15 02:00:04,2024/01/15 02:10:04,TerminatedBySrc,0301234567,Ext.210,10000,210,0301234567,ReplacedDst,0088216123456,10000,,,,,Chain: 0301234567;Ext.210;0088216123456;,Line,Extension,Line,,,,0";

    #[test]
    fn reads_v16_outbound() {
        let (d, dur, bill, parties) = parse(V16_OUT).unwrap();
        assert_eq!((d, dur, bill), (Disposition::Answered, 69, 67));
        assert_eq!(
            parties,
            "Extension(\"610\") Trunk(\"10000\") 610 00442079460000 "
        );
    }

    #[test]
    fn reads_v20_inbound_unanswered_and_forwarded() {
        let (d, dur, bill, parties) = parse(V20_IN).unwrap();
        assert_eq!((d, dur, bill), (Disposition::Answered, 125, 120));
        assert_eq!(
            parties,
            "Trunk(\"10000\") Extension(\"201\") 0301234567 201 "
        );
        let (d, dur, bill, _) = parse(V20_UNANSWERED).unwrap();
        assert_eq!((d, dur, bill), (Disposition::Cancelled, 20, 0));
        let (_, _, _, parties) = parse(V20_FORWARD).unwrap();
        assert_eq!(
            parties,
            "Trunk(\"10000\") Trunk(\"10000\") 0301234567 210 0088216123456"
        );
    }

    #[test]
    fn dispositions_follow_the_reason() {
        assert_eq!(unanswered("Failed"), Some(Disposition::Failed));
        assert_eq!(unanswered("TerminatedByDst"), Some(Disposition::NoAnswer));
        assert_eq!(unanswered("Failed_Cancelled"), Some(Disposition::Cancelled));
        assert_eq!(unanswered("Maybe"), None);
        assert_eq!(parse_hms("01:02:03"), Some(3723));
        assert_eq!(parse_hms("00:61:00"), None);
        assert_eq!(parse_hms("1:2"), None);
    }

    #[test]
    fn broken_rows_say_why() {
        let bad = [
            (V20_IN.replace("2024/01/15 10:00:00", "soon"), "time-start"),
            (V20_IN.replace("00:02:00", "two minutes"), "duration"),
            (
                V20_IN.replace("TerminatedByDst", "Hangup"),
                "reason-terminated",
            ),
            (V20_IN.replace(",Line,", ",Line Two,"), "from-type"),
            (V20_IN.replace("Chain: ", "Cha "), "chain"),
            (format!("{V20_IN},extra"), "expected 27 fields"),
        ];
        for (line, want) in bad {
            let e = parse(&line).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn a_comma_in_the_bill_name_is_repaired() {
        let line = V20_IN.replace(",,,,,,,,Chain", ",,,,,,,Acme, Inc,Chain");
        let r = rec(&line);
        let f = Fields::new(&r);
        assert!(ThreeCx.parse(&f, &Layout::default()).is_err());
        let (fixed, how) = crate::import::repair(&ThreeCx, &Layout::default(), &f).unwrap();
        assert!(how.to_string().contains("re-joined as column 19"), "{how}");
        let f = Fields::new(&fixed);
        assert_eq!(f.get(BILL_NAME), "Acme, Inc");
    }

    #[test]
    fn sniffs_its_own_rows_only() {
        let text = format!("{V16_OUT}\n{V20_IN}\n{V20_FORWARD}\n");
        let s = Sample::from_bytes(text.as_bytes(), 10);
        assert_eq!(ThreeCx.sniff(&s).map(|x| x.0), Some(100));
        let ast = r#""","201","205","from-internal","""A"" <201>","PJSIP/201-1","PJSIP/205-2","Dial","PJSIP/205,30","2026-03-07 10:00:00",,"2026-03-07 10:00:20",20,0,"NO ANSWER","DOCUMENTATION""#;
        let s = Sample::from_bytes(ast.as_bytes(), 10);
        assert_eq!(ThreeCx.sniff(&s), None);
    }
}

//! FreeSWITCH `mod_cdr_csv` (`<log>/cdr-csv/Master.csv`, rotated as
//! `Master.csv.YYYY-MM-DD-HH-MM-SS`).
//!
//! Accepts the three templates of the shipped `cdr_csv.conf.xml`, told apart by field count, no
//! header (rows of different templates may be mixed):
//! - `default` (13): caller_id_name, caller_id_number, destination_number, context, start_stamp,
//!   answer_stamp, end_stamp, duration, billsec, hangup_cause, uuid, bleg_uuid, accountcode (the
//!   template has a space before the last field: every field is trimmed and unquoted);
//! - `example` (15, the vanilla configuration's default template): the same plus read_codec,
//!   write_codec;
//! - `asterisk` (18): accountcode, caller_id_number, destination_number, context, caller_id,
//!   channel_name, bridge_channel, last_app, last_arg, start_stamp, answer_stamp, end_stamp,
//!   duration, billsec, hangup_cause, amaflags, uuid, userfield.
//!
//! Values are substituted without CSV escaping, so a caller name with a quote or comma can split
//! a row: the caller name (and `caller_id`, `last_arg` of the asterisk template) are the free-text
//! columns a shifted row is re-joined in, when exactly one reading is plausible.
//!
//! Timestamps (`YYYY-MM-DD HH:MM:SS`) are the server's local wall-clock time (the source time
//! zone); `answer_stamp` is empty when the call was not answered.
//!
//! Direction: the `default`/`example` templates name no channel. A call in the `public` context
//! (FreeSWITCH's context for calls from outside) comes from a trunk, named `public`; otherwise
//! the caller is `caller_id_number`, judged by the dial plan (an extension, or a full external
//! number; a call in one of the site's inbound contexts from neither counts as inbound). The
//! target is `destination_number`, judged the same way. The `asterisk` template names channels:
//! `sofia/gateway/<gw>/<number>` is trunk `<gw>`, a channel of the `external` profile is a trunk
//! named after that profile, `sofia/internal/<ext>@host` is the user part judged by the dial
//! plan. An A-leg from a trunk bridged to a gateway is a forwarded call (trunk to trunk).
//!
//! Disposition from the Q.850 `hangup_cause`: any call with billable seconds was answered;
//! otherwise NORMAL_CLEARING with an answer time is answered (0 s), without one not answered;
//! ORIGINATOR_CANCEL cancelled; USER_BUSY busy; NO_ANSWER, NO_USER_RESPONSE, ALLOTTED_TIMEOUT,
//! PROGRESS_TIMEOUT no answer; NORMAL_CIRCUIT_CONGESTION, SWITCH_CONGESTION congestion; every
//! other cause name (CALL_REJECTED, UNALLOCATED_NUMBER, NO_ROUTE_DESTINATION, ... and names not
//! in this list) failed. A field that is not even shaped like a cause name (UPPER_SNAKE) rejects
//! the row: the fields were shifted.

use super::{asterisk_timing, excerpt, Fields, Format, Layout, Party, RawRow, Sample};
use crate::call::Disposition;

/// The FreeSWITCH mod_cdr_csv format.
pub struct FreeSwitch;

const WIDTHS: [usize; 3] = [13, 15, 18];

/// A field as the template wrote it: trimmed, its template quotes removed.
fn val(s: &str) -> &str {
    let t = s.trim();
    t.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(t)
}

/// True when `s` is shaped like a Q.850 cause name (`NORMAL_CLEARING`, `USER_BUSY`).
pub fn is_cause_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Asterisk dispositions that are shaped like cause names but are not Q.850 names (so an
/// Asterisk Master.csv never scores as FreeSWITCH).
const ASTERISK_WORDS: &[&str] = &["ANSWERED", "BUSY", "FAILED", "CONGESTION", "CANCEL"];

/// The disposition of a hangup cause, or why the field cannot be one.
pub fn disposition(cause: &str, billsec: u32, answered: bool) -> Result<Disposition, String> {
    let c = cause.trim();
    if !is_cause_name(c) {
        return Err(format!(
            "hangup_cause `{}` is not a Q.850 cause name (UPPER_SNAKE): fields shifted?",
            excerpt(c)
        ));
    }
    if billsec > 0 {
        return Ok(Disposition::Answered);
    }
    Ok(match c {
        "NORMAL_CLEARING" | "NORMAL_UNSPECIFIED" | "SUCCESS" if answered => Disposition::Answered,
        "NORMAL_CLEARING" | "NORMAL_UNSPECIFIED" | "SUCCESS" => Disposition::NoAnswer,
        "ORIGINATOR_CANCEL" => Disposition::Cancelled,
        "USER_BUSY" => Disposition::Busy,
        "NO_ANSWER" | "NO_USER_RESPONSE" | "ALLOTTED_TIMEOUT" | "PROGRESS_TIMEOUT" => {
            Disposition::NoAnswer
        }
        "NORMAL_CIRCUIT_CONGESTION" | "SWITCH_CONGESTION" => Disposition::Congestion,
        _ => Disposition::Failed,
    })
}

/// Column positions of one template.
struct Cols {
    account: usize,
    name: Option<usize>,
    cid: usize,
    dst: usize,
    context: usize,
    caller_id: Option<usize>,
    channels: Option<(usize, usize)>,
    last_arg: Option<usize>,
    start: usize,
    cause: usize,
    uuid: usize,
    bleg: Option<usize>,
}

fn cols(width: usize) -> Option<Cols> {
    match width {
        13 | 15 => Some(Cols {
            account: 12,
            name: Some(0),
            cid: 1,
            dst: 2,
            context: 3,
            caller_id: None,
            channels: None,
            last_arg: None,
            start: 4,
            cause: 9,
            uuid: 10,
            bleg: Some(11),
        }),
        18 => Some(Cols {
            account: 0,
            name: None,
            cid: 1,
            dst: 2,
            context: 3,
            caller_id: Some(4),
            channels: Some((5, 6)),
            last_arg: Some(8),
            start: 9,
            cause: 14,
            uuid: 16,
            bleg: None,
        }),
        _ => None,
    }
}

fn fits(r: &[String]) -> bool {
    let Some(c) = cols(r.len()) else {
        return false;
    };
    let cause = val(&r[c.cause]);
    crate::timeconv::parse_timestamp(val(&r[c.start])).is_some()
        && val(&r[c.start + 3]).parse::<u32>().is_ok()
        && val(&r[c.start + 4]).parse::<u32>().is_ok()
        && is_cause_name(cause)
        && !ASTERISK_WORDS.contains(&cause)
}

/// What a FreeSWITCH channel name says about a party: `sofia/gateway/<gw>/...` is a trunk, a
/// channel of the `external` profile a trunk named `external`, otherwise the user part
/// (`sofia/internal/1000@host` → `1000`) for the dial plan to judge.
fn channel_party(channel: &str) -> Party<'_> {
    let mut parts = channel.trim().splitn(3, '/');
    let (Some(_tech), Some(profile), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return Party::None;
    };
    if profile == "gateway" {
        return Party::Trunk(rest.split('/').next().unwrap_or(rest));
    }
    if profile == "external" {
        return Party::Trunk(profile);
    }
    Party::Number(rest.split('@').next().unwrap_or(rest))
}

impl Format for FreeSwitch {
    fn name(&self) -> &'static str {
        "freeswitch"
    }

    fn description(&self) -> &'static str {
        "FreeSWITCH mod_cdr_csv Master.csv, templates default (13), example (15) and asterisk (18), no header"
    }

    fn checked_against(&self) -> &'static str {
        "column lists of the default, example and asterisk templates in FreeSWITCH's shipped cdr_csv.conf.xml (1.10) and the Q.850 cause names of switch_channel.c; not tested on a real PBX"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        sample.sniff_rows(fits)
    }

    fn forced_layout(&self, _sample: &Sample) -> Result<Layout, String> {
        Ok(Layout::default())
    }

    fn widths(&self, _layout: &Layout) -> Vec<usize> {
        WIDTHS.to_vec()
    }

    fn free_text_columns(&self, _layout: &Layout) -> Vec<usize> {
        // caller_id_name (13/15); caller_id and last_arg (18).
        vec![0, 4, 8]
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        super::check_channels(row)?;
        for (what, s) in [("caller_id_number", row.src), ("context", row.context)] {
            if s.contains(char::is_whitespace) {
                return Err(format!(
                    "{what} `{}` has spaces: fields shifted by an unescaped comma or quote?",
                    excerpt(s)
                ));
            }
        }
        Ok(())
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, _layout: &Layout) -> Result<RawRow<'a>, String> {
        let n = f.len();
        let c = cols(n).ok_or_else(|| {
            format!(
                "expected 13, 15 or 18 fields (FreeSWITCH cdr_csv default, example or asterisk template), found {n}: an unescaped quote or comma in a caller name, or a truncated line?"
            )
        })?;
        let g = |i: usize| val(f.get(i));
        let s = c.start;
        let t = asterisk_timing(g(s), g(s + 1), g(s + 2), g(s + 3), g(s + 4))?;
        let disposition = disposition(g(c.cause), t.billsec, t.answer.is_some())?;
        let (cid, dst, context) = (g(c.cid), g(c.dst), g(c.context));
        let from_public = context == "public";
        let (channel, dst_channel, from, to) = match c.channels {
            Some((a, b)) => {
                let from = match channel_party(g(a)) {
                    Party::Trunk(t) => Party::Trunk(t),
                    _ if from_public => Party::Trunk(context),
                    Party::Number(n) => Party::Number(n),
                    _ => Party::Number(cid),
                };
                let to = match channel_party(g(b)) {
                    Party::None => Party::Number(dst),
                    p => p,
                };
                (g(a), g(b), from, to)
            }
            None => {
                let from = if from_public {
                    Party::Trunk(context)
                } else {
                    Party::Number(cid)
                };
                ("", "", from, Party::Number(dst))
            }
        };
        let opt = |i: Option<usize>| i.map(&g).unwrap_or("");
        Ok(RawRow {
            start: Some(t.start),
            answer: t.answer,
            end: t.end,
            duration: t.duration,
            billsec: t.billsec,
            src: cid,
            dst,
            clid: match c.name {
                Some(i) => g(i),
                None => opt(c.caller_id),
            },
            channel,
            dst_channel,
            context,
            lastdata: opt(c.last_arg),
            disposition,
            account: g(c.account),
            call_id: g(c.uuid),
            linked_id: opt(c.bleg),
            from,
            to,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csv::ByteRecord;

    fn rec(line: &str) -> ByteRecord {
        let mut r = super::super::cdr_reader(line.as_bytes());
        let mut rec = ByteRecord::new();
        r.read_byte_record(&mut rec).unwrap();
        rec
    }

    fn parse(line: &str) -> Result<RawRow<'static>, String> {
        // Leaked so the borrowed row can be returned from the helper (tests only).
        let r: &'static ByteRecord = Box::leak(Box::new(rec(line)));
        let f: &'static Fields<'static> = Box::leak(Box::new(Fields::new(r)));
        FreeSwitch.parse(f, &Layout::default())
    }

    const DEFAULT: &str = r#""Anna","201","0301234567","default","2026-10-05 09:00:00","2026-10-05 09:00:05","2026-10-05 09:02:05","125","120","NORMAL_CLEARING","a1b2c3d4-0000-4000-8000-000000000001","a1b2c3d4-0000-4000-8000-000000000002", "sales""#;
    const EXAMPLE: &str = r#""Anna","201","0301234567","default","2026-10-05 09:00:00","","2026-10-05 09:00:20","20","0","NO_ANSWER","a1b2c3d4-0000-4000-8000-000000000001","","","PCMA","PCMA""#;
    const ASTERISK: &str = r#""","201","0301234567","default","""Anna"" <201>","sofia/internal/201@10.0.0.1","sofia/gateway/telekom/0301234567","bridge","sofia/gateway/telekom/0301234567","2026-10-05 09:00:00","2026-10-05 09:00:05","2026-10-05 09:02:05","125","120","NORMAL_CLEARING","default","a1b2c3d4-0000-4000-8000-000000000001","""#;

    #[test]
    fn reads_the_default_template_with_its_spaced_last_field() {
        let row = parse(DEFAULT).unwrap();
        assert_eq!(
            (row.src, row.dst, row.context),
            ("201", "0301234567", "default")
        );
        assert_eq!(row.account, "sales");
        assert_eq!((row.duration, row.billsec), (125, 120));
        assert_eq!(row.disposition, Disposition::Answered);
        assert_eq!(row.from, Party::Number("201"));
        assert_eq!(row.to, Party::Number("0301234567"));
        assert_eq!(row.clid, "Anna");
    }

    #[test]
    fn reads_the_example_template_unanswered() {
        let row = parse(EXAMPLE).unwrap();
        assert_eq!(row.answer, None);
        assert_eq!(row.disposition, Disposition::NoAnswer);
        assert_eq!(row.call_id, "a1b2c3d4-0000-4000-8000-000000000001");
    }

    #[test]
    fn reads_the_asterisk_template_with_gateway_channels() {
        let row = parse(ASTERISK).unwrap();
        assert_eq!(row.from, Party::Number("201"));
        assert_eq!(row.to, Party::Trunk("telekom"));
        assert_eq!(row.clid, "\"Anna\" <201>");
        assert_eq!(row.channel, "sofia/internal/201@10.0.0.1");
        assert!(FreeSwitch.plausible(&row).is_ok());
    }

    #[test]
    fn public_context_is_a_trunk() {
        let line = EXAMPLE.replace("\"default\"", "\"public\"");
        let row = parse(&line).unwrap();
        assert_eq!(row.from, Party::Trunk("public"));
        let line = ASTERISK
            .replace(
                "sofia/internal/201@10.0.0.1",
                "sofia/external/0301234567@1.2.3.4",
            )
            .replace(
                "sofia/gateway/telekom/0301234567\",\"bridge",
                "sofia/gateway/other/00882161234\",\"bridge",
            );
        let row = parse(&line).unwrap();
        assert_eq!(row.from, Party::Trunk("external"));
        assert_eq!(row.to, Party::Trunk("other"));
    }

    #[test]
    fn hangup_causes_map_to_dispositions() {
        let d = |c, b, a| disposition(c, b, a).unwrap();
        assert_eq!(d("NORMAL_CLEARING", 3, true), Disposition::Answered);
        assert_eq!(d("NORMAL_CLEARING", 0, true), Disposition::Answered);
        assert_eq!(d("NORMAL_CLEARING", 0, false), Disposition::NoAnswer);
        assert_eq!(d("ORIGINATOR_CANCEL", 0, false), Disposition::Cancelled);
        assert_eq!(d("USER_BUSY", 0, false), Disposition::Busy);
        assert_eq!(d("NO_USER_RESPONSE", 0, false), Disposition::NoAnswer);
        assert_eq!(d("ALLOTTED_TIMEOUT", 0, false), Disposition::NoAnswer);
        assert_eq!(d("CALL_REJECTED", 0, false), Disposition::Failed);
        assert_eq!(d("UNALLOCATED_NUMBER", 0, false), Disposition::Failed);
        assert_eq!(d("SWITCH_CONGESTION", 0, false), Disposition::Congestion);
        assert_eq!(d("SOME_NEW_CAUSE", 0, false), Disposition::Failed);
        assert_eq!(d("SOME_NEW_CAUSE", 9, true), Disposition::Answered);
        assert!(disposition("2026-10-05", 0, false).is_err());
        assert!(disposition("", 0, false).is_err());
    }

    #[test]
    fn a_name_split_by_a_comma_is_repaired_and_broken_rows_say_why() {
        // A custom template without quotes: the comma in the name splits the row.
        let line = "Smith, Anna,201,0301234567,default,2026-10-05 09:00:00,,2026-10-05 09:00:20,20,0,USER_BUSY,u1,,,PCMA,PCMA";
        let r = rec(line);
        let f = Fields::new(&r);
        assert!(FreeSwitch.parse(&f, &Layout::default()).is_err());
        let (fixed, how) = super::super::repair(&FreeSwitch, &Layout::default(), &f).unwrap();
        let f = Fields::new(&fixed);
        let row = FreeSwitch.parse(&f, &Layout::default()).unwrap();
        assert_eq!((row.clid, row.src), ("Smith, Anna", "201"));
        assert!(how.to_string().contains("re-joined"), "{how}");
        let bad = [
            (EXAMPLE.replace("NO_ANSWER", "no answer"), "hangup_cause"),
            (EXAMPLE.replace("\"20\"", "\"x\""), "duration"),
            (EXAMPLE.replace("\"PCMA\",\"PCMA\"", "\"PCMA\""), "found 14"),
            (EXAMPLE.replace("2026-10-05 09:00:00", "yesterday"), "start"),
        ];
        for (line, want) in bad {
            let e = parse(&line).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn sniffs_its_own_rows_and_not_asterisk() {
        let text = format!("{DEFAULT}\n{EXAMPLE}\n{ASTERISK}\n");
        let s = Sample::from_bytes(text.as_bytes(), 10);
        assert_eq!(FreeSwitch.sniff(&s).map(|x| x.0), Some(100));
        let ast = r#""","201","0301234567","from-internal","""A"" <201>","PJSIP/201-1","PJSIP/telekom-2","Dial","PJSIP/0301234567@telekom,60","2026-03-07 02:14:05","2026-03-07 02:14:09","2026-03-07 02:31:40",1055,1051,"ANSWERED","DOCUMENTATION","1.1","""#;
        let s = Sample::from_bytes(ast.as_bytes(), 10);
        assert_eq!(FreeSwitch.sniff(&s), None);
    }
}

//! Microsoft Teams PSTN call logs as the Teams admin center exports them (CSV, RFC 4180, one
//! header row, columns chosen by name in any order and letter case).
//!
//! Two variants:
//! - PSTN usage report (Calling Plans, Operator Connect): `UsageId, Call ID, Conference ID,
//!   User Location, AAD ObjectId, UPN, User Display Name, Caller ID, Call Type, Number Type,
//!   Domestic/International, Destination Dialed, Destination Number, Start Time, End Time,
//!   Duration Seconds, Connection Fee, Charge, Currency, Capability`. `Duration Seconds` is the
//!   talk time; a call with 0 seconds did not connect (the report says no more).
//! - Direct Routing usage report: `Correlation ID, SIP Address, Display Name, Caller Number,
//!   Callee Number, Call Type, Start time, Invite time, Failure time, End time, Duration,
//!   Success, Trunk FQDN, Final SIP code, ...`. `Success` = Yes is a call that connected;
//!   otherwise `Final SIP code` says why not (486/600/603 busy; 408/480/487 no answer;
//!   500/502/503/504 congestion; anything else failed).
//!
//! The Microsoft Graph names of the same logs (`userPrincipalName`, `callerNumber`,
//! `calleeNumber`, `startDateTime`, `endDateTime`, `successfulCall`,
//! `trunkFullyQualifiedDomainName`, ...) are read too: names are compared without case, spaces
//! or punctuation.
//!
//! Times are UTC ISO-8601 (`2026-10-05T07:12:01Z`, with fractions or an offset) →
//! [`Stamp::Utc`]; a time written without zone is wall-clock UTC ([`Clock::Utc`]).
//!
//! Direction from `Call Type`: a type with `forwarding` or `transfer` (`user_out_forwarding`,
//! `dr_out_user_transfer`) is a call relayed back out to the public network: forwarded, priced on
//! the destination number; `..._in` types are inbound; `..._out` types, conference dial-outs and
//! emergency calls outbound. The user (UPN, or the Direct Routing SIP address without `sip:`)
//! is the extension: its local part when that is all digits (`201@contoso.com` → `201`, so the
//! site's extension pattern applies), else the whole UPN (`alice@contoso.com`). The trunk is the
//! Direct Routing SBC (`Trunk FQDN`), else `Calling Plan`. Teams lists only calls to or from
//! the public network: internal Teams calls never appear.

use super::{excerpt, parse_secs, Clock, Fields, Format, Layout, Party, RawRow, Sample, Stamp};
use crate::call::Disposition;
use std::collections::HashMap;

/// The Teams PSTN / Direct Routing usage report.
pub struct Teams;

/// The trunk name of calls that carry no SBC name (Calling Plans, Operator Connect).
pub const CALLING_PLAN: &str = "Calling Plan";

/// A column's name as compared: lower case, letters and digits only.
fn key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Names of each logical column across the two reports and Graph (already [`key`]ed).
const USER: &[&str] = &["upn", "userprincipalname", "sipaddress"];
const DISPLAY: &[&str] = &["userdisplayname", "displayname"];
const CALL_TYPE: &[&str] = &["calltype"];
const START: &[&str] = &["starttime", "startdatetime"];
const END: &[&str] = &["endtime", "enddatetime"];
const FAILURE: &[&str] = &["failuretime", "failuredatetime"];
const DURATION: &[&str] = &["durationseconds", "duration"];
const CALLER: &[&str] = &["callerid", "callernumber"];
const CALLEE: &[&str] = &["destinationnumber", "calleenumber"];
const CALL_ID: &[&str] = &["callid", "correlationid", "usageid", "id"];
const SUCCESS: &[&str] = &["success", "successfulcall"];
const SIP_CODE: &[&str] = &["finalsipcode"];
const TRUNK: &[&str] = &["trunkfqdn", "trunkfullyqualifieddomainname"];

/// Every logical column a row needs.
const REQUIRED: &[&[&str]] = &[USER, CALL_TYPE, START, DURATION, CALLER, CALLEE];

/// The position of the first present name of a logical column.
fn find(layout: &Layout, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| layout.columns.get(*n).copied())
}

fn layout_of(header: &[String]) -> Option<Layout> {
    let mut columns = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        // The first of two columns with the same name wins.
        columns.entry(key(h)).or_insert(i);
    }
    let layout = Layout {
        header_rows: 1,
        width: header.len(),
        columns,
        ..Layout::default()
    };
    REQUIRED
        .iter()
        .all(|names| find(&layout, names).is_some())
        .then_some(layout)
}

/// A Teams time: ISO-8601 with `Z` or an offset is absolute; without a zone it is wall-clock
/// UTC. Empty is `None`.
fn stamp(s: &str, what: &str) -> Result<Option<Stamp>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(Some(Stamp::Utc(d.timestamp())));
    }
    match crate::timeconv::parse_timestamp(t) {
        Some(d) if t.ends_with('Z') => Ok(Some(Stamp::Utc(d.and_utc().timestamp()))),
        Some(d) => Ok(Some(Stamp::Local(d))),
        None => Err(format!(
            "{what} `{}` is not an ISO-8601 time (2026-10-05T07:12:01Z)",
            excerpt(t)
        )),
    }
}

/// Which way a call went, from its `Call Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// From the public network to the user.
    Inbound,
    /// From the user (or a meeting, or an emergency call) to the public network.
    Outbound,
    /// Relayed by the user back out to the public network (forwarding, transfer).
    Forwarded,
}

/// Maps a Teams call type (`user_out`, `dr_in`, `user_out_forwarding`, `conf_out`,
/// `emergency`...) to a direction; `None` for a type that names no direction.
pub fn call_kind(call_type: &str) -> Option<Kind> {
    let t = call_type.trim().to_ascii_lowercase();
    let has = |w: &str| t.split('_').any(|p| p == w);
    if t.contains("forwarding") || t.contains("transfer") {
        Some(Kind::Forwarded)
    } else if has("in") {
        Some(Kind::Inbound)
    } else if has("out") || t.contains("emergency") {
        Some(Kind::Outbound)
    } else {
        None
    }
}

/// The user as an extension: the UPN's local part when it is all digits, else the whole UPN;
/// a Direct Routing SIP address loses its `sip:`.
pub fn user_key(upn: &str) -> &str {
    let u = upn.trim();
    let u = u
        .strip_prefix("sip:")
        .or_else(|| u.strip_prefix("SIP:"))
        .unwrap_or(u);
    match u.split_once('@') {
        Some((local, _)) if !local.is_empty() && local.bytes().all(|b| b.is_ascii_digit()) => local,
        _ => u,
    }
}

/// The end of a Direct Routing call that did not succeed, from its final SIP code.
fn sip_disposition(code: &str) -> Disposition {
    match code.trim().parse::<u16>() {
        Ok(486 | 600 | 603) => Disposition::Busy,
        Ok(408 | 480 | 487) => Disposition::NoAnswer,
        Ok(500 | 502 | 503 | 504) => Disposition::Congestion,
        _ => Disposition::Failed,
    }
}

/// `Yes`/`True`/`1` as the reports and Graph write a success flag.
fn is_yes(s: &str) -> bool {
    let t = s.trim();
    ["yes", "true", "1"]
        .iter()
        .any(|y| t.eq_ignore_ascii_case(y))
}

impl Format for Teams {
    fn name(&self) -> &'static str {
        "teams"
    }

    fn description(&self) -> &'static str {
        "Microsoft Teams PSTN usage report (Calling Plans, Operator Connect) and Direct Routing usage report CSV"
    }

    fn checked_against(&self) -> &'static str {
        "column lists of the Teams admin center PSTN usage and Direct Routing reports and the Microsoft Graph pstnCallLogRow / directRoutingLogRow documentation; not tested on a tenant's export"
    }

    fn clock(&self) -> Clock {
        Clock::Utc
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        let layout = layout_of(sample.records.first()?)?;
        let start = find(&layout, START)?;
        let score = if sample.records.len() == 1 {
            90
        } else {
            sample.score(1, |r| {
                r.len() == layout.width && stamp(&r[start], "").is_ok_and(|s| s.is_some())
            })
        };
        Some((score, layout))
    }

    fn free_text_columns(&self, layout: &Layout) -> Vec<usize> {
        [DISPLAY, &["userlocation"][..], &["destinationdialed"][..]]
            .iter()
            .filter_map(|names| find(layout, names))
            .collect()
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        // The user is a UPN (`alice@contoso.com`) or its all-digit local part.
        for p in [row.from, row.to] {
            if let Party::Extension(u) = p {
                if !u.contains('@') && !u.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "UPN `{}` is not a user principal name: fields shifted by an unescaped comma or quote?",
                        excerpt(u)
                    ));
                }
            }
        }
        // Numbers are E.164 (`+4930...`), sometimes with `tel:` or a SIP URI in Direct Routing.
        for (what, s) in [("caller number", row.src), ("destination number", row.dst)] {
            if s.chars().any(|c| c == ',' || c == '"' || c.is_control()) {
                return Err(format!(
                    "{what} `{}` is not a number: fields shifted by an unescaped comma or quote?",
                    excerpt(s)
                ));
            }
        }
        Ok(())
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String> {
        layout.check_width(f.len(), "an unescaped quote or comma in a field")?;
        let col = |names: &[&str]| find(layout, names).map(|i| f.get(i)).unwrap_or("");
        let call_type = col(CALL_TYPE);
        let kind = call_kind(call_type).ok_or_else(|| {
            format!(
                "Call Type `{}` is neither in, out, forwarding nor transfer",
                excerpt(call_type)
            )
        })?;
        let start = stamp(col(START), "Start Time")?.ok_or("Start Time is empty")?;
        let end = match stamp(col(END), "End Time")? {
            Some(e) => Some(e),
            None => stamp(col(FAILURE), "Failure time")?,
        };
        let talk = parse_secs(col(DURATION), "Duration")?;
        let total = match (start, end) {
            (Stamp::Utc(s), Some(Stamp::Utc(e))) if e < s => {
                return Err(format!(
                    "End Time is {} s before Start Time: fields shifted?",
                    s - e
                ))
            }
            (Stamp::Utc(s), Some(Stamp::Utc(e))) => u32::try_from(e - s).unwrap_or(u32::MAX),
            _ => talk,
        };
        // Direct Routing says whether the call connected; the PSTN usage report only has talk.
        let disposition = match find(layout, SUCCESS) {
            Some(i) if is_yes(f.get(i)) => Disposition::Answered,
            Some(_) => sip_disposition(col(SIP_CODE)),
            None if talk > 0 => Disposition::Answered,
            None => Disposition::NoAnswer,
        };
        let billsec = if disposition == Disposition::Answered {
            talk
        } else {
            0
        };
        let user = user_key(col(USER));
        let caller = col(CALLER).trim();
        let callee = col(CALLEE).trim();
        let trunk = match col(TRUNK).trim() {
            "" => CALLING_PLAN,
            t => t,
        };
        let (src, dst, from, to, relayed_to) = match kind {
            Kind::Outbound => (
                caller,
                callee,
                Party::Extension(user),
                Party::Trunk(trunk),
                "",
            ),
            Kind::Inbound => (
                caller,
                user,
                Party::Trunk(trunk),
                Party::Extension(user),
                "",
            ),
            Kind::Forwarded => (
                caller,
                user,
                Party::Trunk(trunk),
                Party::Trunk(trunk),
                callee,
            ),
        };
        if user.is_empty() {
            return Err("UPN / SIP Address is empty: whose call is it?".into());
        }
        Ok(RawRow {
            start: Some(start),
            end,
            duration: total.max(billsec),
            billsec,
            src,
            dst,
            clid: col(DISPLAY),
            channel: match kind {
                Kind::Outbound => user,
                _ => trunk,
            },
            dst_channel: match kind {
                Kind::Inbound => user,
                _ => trunk,
            },
            context: call_type,
            disposition,
            call_id: col(CALL_ID),
            from,
            to,
            relayed_to,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PSTN: &str = "UsageId,Call ID,Conference ID,User Location,AAD ObjectId,UPN,User Display Name,Caller ID,Call Type,Number Type,Domestic/International,Destination Dialed,Destination Number,Start Time,End Time,Duration Seconds,Connection Fee,Charge,Currency,Capability\n";
    const DR: &str = "Start time,Display Name,SIP Address,Caller Number,Callee Number,Call type,Azure region for Media,Azure region for Signaling,Final SIP code,Final Microsoft subcode,Final SIP Phrase,Correlation ID,Invite time,Failure time,End time,Duration,Success,Trunk FQDN,Media bypass\n";

    fn rows(text: &str) -> (Layout, Vec<csv::ByteRecord>) {
        let sample = Sample::from_bytes(text.as_bytes(), 10);
        let (score, layout) = Teams.sniff(&sample).unwrap();
        assert_eq!(score, 100, "{text}");
        let recs = sample.records[1..]
            .iter()
            .map(|r| csv::ByteRecord::from(r.clone()))
            .collect();
        (layout, recs)
    }

    #[test]
    fn pstn_usage_outbound_inbound_forwarded() {
        let text = format!(
            "{PSTN}\
u1,c1,,DE,o1,alice@contoso.com,Alice,+49301234201,user_out,user,International,Cuba,+5351234567,2026-10-05T07:12:01Z,2026-10-05T07:22:05Z,600,0,12.5,EUR,MCOPSTN1\n\
u2,c2,,DE,o2,205@contoso.com,\"Meier, Bob\",+4930999,user_in,user,Domestic,Germany,+49301234205,2026-10-05T08:00:00.123Z,2026-10-05T08:01:00Z,50,0,0,EUR,MCOPSTN1\n\
u3,c3,,DE,o2,205@contoso.com,Bob,+4930999,user_out_forwarding,user,International,Somalia,+252612345678,2026-10-05T09:00:00+02:00,,0,0,0,EUR,MCOPSTN1\n"
        );
        let (layout, recs) = rows(&text);
        let f = Fields::new(&recs[0]);
        let r = Teams.parse(&f, &layout).unwrap();
        assert_eq!(r.from, Party::Extension("alice@contoso.com"));
        assert_eq!(r.to, Party::Trunk(CALLING_PLAN));
        assert_eq!(r.start, Some(Stamp::Utc(1_791_184_321)));
        assert_eq!((r.duration, r.billsec, r.dst), (604, 600, "+5351234567"));
        assert_eq!(r.disposition, Disposition::Answered);
        let f = Fields::new(&recs[1]);
        let r = Teams.parse(&f, &layout).unwrap();
        assert_eq!(
            (r.from, r.to),
            (Party::Trunk(CALLING_PLAN), Party::Extension("205"))
        );
        assert_eq!((r.src, r.dst, r.clid), ("+4930999", "205", "Meier, Bob"));
        let f = Fields::new(&recs[2]);
        let r = Teams.parse(&f, &layout).unwrap();
        assert_eq!(r.relayed_to, "+252612345678");
        assert_eq!(r.start, Some(Stamp::Utc(1_791_183_600)));
        assert_eq!(r.disposition, Disposition::NoAnswer);
    }

    #[test]
    fn direct_routing_success_and_failures() {
        let text = format!(
            "{DR}\
2026-10-05T07:12:01Z,Alice,sip:201@contoso.com,+49301234201,+4915112345678,dr_out,EU,EU,200,0,OK,g1,2026-10-05T07:12:00Z,,2026-10-05T07:15:01Z,170,Yes,sbc.contoso.com,false\n\
2026-10-05T07:20:00Z,Alice,sip:201@contoso.com,+49301234201,+4915112345678,dr_out,EU,EU,486,0,Busy Here,g2,2026-10-05T07:20:00Z,2026-10-05T07:20:04Z,,0,No,sbc.contoso.com,false\n"
        );
        let (layout, recs) = rows(&text);
        let f = Fields::new(&recs[0]);
        let r = Teams.parse(&f, &layout).unwrap();
        assert_eq!(r.from, Party::Extension("201"));
        assert_eq!(r.to, Party::Trunk("sbc.contoso.com"));
        assert_eq!((r.duration, r.billsec), (180, 170));
        assert_eq!(r.call_id, "g1");
        let f = Fields::new(&recs[1]);
        let r = Teams.parse(&f, &layout).unwrap();
        assert_eq!(r.disposition, Disposition::Busy);
        assert_eq!((r.duration, r.billsec), (4, 0));
    }

    #[test]
    fn call_types_and_users() {
        assert_eq!(call_kind("user_out"), Some(Kind::Outbound));
        assert_eq!(call_kind("dr_in"), Some(Kind::Inbound));
        assert_eq!(call_kind("conf_out"), Some(Kind::Outbound));
        assert_eq!(call_kind("emergency"), Some(Kind::Outbound));
        assert_eq!(call_kind("dr_out_user_forwarding"), Some(Kind::Forwarded));
        assert_eq!(call_kind("user_out_transfer"), Some(Kind::Forwarded));
        assert_eq!(call_kind("ucap_in"), Some(Kind::Inbound));
        assert_eq!(call_kind("bot"), None);
        assert_eq!(user_key("201@contoso.com"), "201");
        assert_eq!(user_key("sip:alice@contoso.com"), "alice@contoso.com");
        assert_eq!(user_key("x201@contoso.com"), "x201@contoso.com");
    }

    #[test]
    fn broken_rows_say_why() {
        let good = "u1,c1,,DE,o1,201@contoso.com,Alice,+49301234201,user_out,user,Domestic,Germany,+49301111,2026-10-05T07:12:01Z,2026-10-05T07:22:05Z,600,0,0,EUR,MCOPSTN1";
        let (layout, _) = rows(&format!("{PSTN}{good}\n"));
        let cases = [
            (good.replace("user_out", "sideways"), "Call Type"),
            (good.replace("2026-10-05T07:12:01Z", "soon"), "Start Time"),
            (good.replace(",600,", ",ten,"), "Duration"),
            (
                good.replace("2026-10-05T07:22:05Z", "2026-10-05T06:00:00Z"),
                "before",
            ),
            (good.replace("201@contoso.com", ""), "UPN"),
            (good.replace("Alice", "Alice,Smith"), "expected 20 fields"),
        ];
        for (line, want) in cases {
            let rec =
                csv::ByteRecord::from(Sample::from_bytes(line.as_bytes(), 1).records.remove(0));
            let f = Fields::new(&rec);
            let e = Teams.parse(&f, &layout).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}

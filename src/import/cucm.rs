//! Cisco Unified Communications Manager (CUCM) CDR flat files (`cdr_<cluster>_<node>_<time>`
//! as the CDR Repository Manager delivers them by SFTP/FTP, or as CAR/CDR Analysis exports).
//!
//! Accepted variants: line 1 holds the quoted field names, line 2 the SQL types (`INTEGER`,
//! `VARCHAR(50)`, `UNIQUEIDENTIFIER`), then one record per line; files whose type line was
//! removed by a tool read too (one header line). Columns are chosen by name, never by position,
//! so every release's list (about 78 fields in 6.x, 129 in 10.x/11.x, more later) reads, as does
//! any re-ordering. `cdrRecordType` 1 is a call (end) record; 0 (start record) and 2 (CMR, call
//! management record with voice-quality counters) are not calls: they are skipped and counted
//! ([`super::RawRow::skip`]), not rejected, so a file mixing CDRs and CMRs reads cleanly.
//!
//! Times: `dateTimeOrigination`, `dateTimeConnect` (0 = never connected) and
//! `dateTimeDisconnect` are epoch seconds, UTC by nature ([`Stamp::Utc`]); `duration` is the
//! connected time (0 when never connected) and becomes the billable seconds, the whole call
//! lasting from origination to disconnect.
//!
//! Numbers: `callingPartyNumber` is the caller, `originalCalledPartyNumber` what was dialled,
//! `finalCalledPartyNumber` who finally got the call (after forwarding), `lastRedirectDn` the last
//! number that redirected it, `outpulsedCalledPartyNumber` what a gateway or trunk sent on.
//!
//! Direction from the device names, which CUCM writes for both ends: phones are `SEP<MAC>`
//! (and the soft clients `CSF`, `BOT`, `TCT`, `TAB`, plus analog `ATA` ports) and are the
//! extension in the number field of their side; conference bridges, MTPs, annunciators,
//! music on hold and Unity voicemail ports (`CFB`, `MTP`, `ANN`, `MOH`, `CiscoUM`, `...-VI<n>`)
//! are neither phone nor trunk; every other device is a gateway or trunk
//! ([`Party::Trunk`] with the device name). Phone to trunk is outbound, trunk to phone inbound,
//! trunk to trunk forwarded (a forwarded call is one CDR: a call in from a trunk, redirected
//! out to a trunk): it is priced on `finalCalledPartyNumber` (else `outpulsedCalledPartyNumber`),
//! its subject is the dialled extension. A phone's call redirected out to a trunk (an internal
//! call to an extension that forwards to a mobile) is outbound from the calling phone and priced
//! on the final number.
//!
//! Disposition: connected (`dateTimeConnect` ≠ 0) is answered. Otherwise the Q.850 cause of the
//! side that cleared (`destCause_value`, else `origCause_value`): 17 busy, 21 rejected → busy;
//! 0, 16, 18, 19, 31 and Cisco's own codes (≥ 65536: 262144 conference drop, 393216 call split,
//! 458752 conference drop last party...) → no answer; 34, 38, 41, 42, 44, 47 → congestion;
//! everything else (1 unallocated, 3 no route, 27 destination out of order, 28 invalid number
//! format...) → failed.

use super::{excerpt, parse_secs, Fields, Format, Layout, Party, RawRow, Sample, Stamp};
use crate::call::Disposition;

/// The CUCM CDR flat file.
pub struct Cucm;

/// Columns without which a row cannot be read (lower-case).
const REQUIRED: &[&str] = &[
    "cdrrecordtype",
    "datetimeorigination",
    "datetimeconnect",
    "datetimedisconnect",
    "callingpartynumber",
    "originalcalledpartynumber",
    "finalcalledpartynumber",
    "duration",
    "origdevicename",
    "destdevicename",
];

/// The columns a row is read from (found once per file: [`Layout::with_slots`]).
static COLUMNS: [&str; 19] = [
    "cdrrecordtype",
    "datetimeorigination",
    "datetimeconnect",
    "datetimedisconnect",
    "duration",
    "origcause_value",
    "destcause_value",
    "callingpartynumber",
    "originalcalledpartynumber",
    "finalcalledpartynumber",
    "outpulsedcalledpartynumber",
    "origdevicename",
    "destdevicename",
    "origcalledpartyredirectreason",
    "lastredirectredirectreason",
    "callingpartyunicodeloginuserid",
    "authcodedescription",
    "clientmattercode",
    "globalcallid_callid",
];

/// Column names by lower-cased name; `None` unless every required column is there.
fn layout_of(records: &[Vec<String>]) -> Option<Layout> {
    let header = records.first()?;
    let layout = Layout::from_header(header, 1, REQUIRED)?;
    // The SQL type line is there unless a tool dropped it.
    let types = records
        .get(1)
        .and_then(|r| r.first())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("INTEGER"));
    Some(
        Layout {
            header_rows: if types { 2 } else { 1 },
            ..layout
        }
        .with_slots(&COLUMNS),
    )
}

/// An epoch-seconds field; 0 (never happened) is `None`.
fn epoch(s: &str, what: &str) -> Result<Option<i64>, String> {
    let t = s.trim();
    match t.parse::<i64>() {
        Ok(0) => Ok(None),
        // Before 2000 or negative: not a CUCM time, the fields are shifted.
        Ok(v) if v >= 946_684_800 => Ok(Some(v)),
        _ => Err(format!(
            "{what} `{}` is not epoch seconds (UTC) after 2000",
            excerpt(t)
        )),
    }
}

/// A Q.850 / Cisco cause value; empty counts as 0.
fn cause(s: &str, what: &str) -> Result<u32, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<u32>()
        .map_err(|_| format!("{what} `{}` is not a cause code", excerpt(t)))
}

/// How a call ended, from whether it connected and the cause of the side that cleared it.
pub fn disposition(connected: bool, orig_cause: u32, dest_cause: u32) -> Disposition {
    if connected {
        return Disposition::Answered;
    }
    let c = if dest_cause != 0 {
        dest_cause
    } else {
        orig_cause
    };
    match c {
        17 | 21 => Disposition::Busy,
        0 | 16 | 18 | 19 | 31 => Disposition::NoAnswer,
        // Cisco-specific codes (call split by a transfer, conference drops): not a network
        // failure; the leg simply never connected.
        c if c >= 0x10000 => Disposition::NoAnswer,
        34 | 38 | 41 | 42 | 44 | 47 => Disposition::Congestion,
        _ => Disposition::Failed,
    }
}

/// What kind of device a CUCM device name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Device {
    Phone,
    Media,
    Trunk,
    None,
}

fn device(name: &str) -> Device {
    let n = name.trim();
    // `get`, not indexing: a damaged name may have a multi-byte character at the cut.
    let starts = |p: &str| n.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    if n.is_empty() {
        Device::None
    } else if ["SEP", "CSF", "BOT", "TCT", "TAB", "ATA"]
        .iter()
        .any(|p| starts(p))
    {
        Device::Phone
    } else if ["CFB", "MTP", "ANN", "MOH", "CiscoUM"]
        .iter()
        .any(|p| starts(p))
        || is_voicemail_port(n)
    {
        Device::Media
    } else {
        Device::Trunk
    }
}

/// Unity voicemail ports are named `<prefix>-VI<n>`.
fn is_voicemail_port(n: &str) -> bool {
    n.rsplit_once("-VI")
        .is_some_and(|(_, d)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// One end of the call: a phone is the extension on its side, a trunk its device name.
fn party<'a>(kind: Device, name: &'a str, number: &'a str) -> Party<'a> {
    let number = number.trim();
    match kind {
        Device::Phone if !number.is_empty() => Party::Extension(number),
        Device::Phone => Party::Extension(name.trim()),
        Device::Media => Party::Other(name.trim()),
        Device::Trunk => Party::Trunk(name.trim()),
        Device::None => Party::None,
    }
}

/// CUCM device names are letters, digits, `.`, `_`, `-` (and spaces in some trunk names).
fn is_device_name(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._- ".contains(&b))
}

/// Dialled digits as CUCM writes them: digits, `+`, `*`, `#`, and the DTMF letters A-D.
fn is_digits(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || b"+*#ABCDabcd".contains(&b))
}

impl Format for Cucm {
    fn name(&self) -> &'static str {
        "cucm"
    }

    fn description(&self) -> &'static str {
        "Cisco Unified CM CDR flat file (names line, SQL types line, records; CMRs skipped)"
    }

    fn checked_against(&self) -> &'static str {
        "column list of CUCM 10.5/11.x CDR flat files (129 fields, Cisco CDR Administration Guide field order); columns chosen by name, so 6.x-12.x lists read"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        let layout = layout_of(&sample.records)?;
        let kind = layout.columns["cdrrecordtype"];
        let start = layout.columns["datetimeorigination"];
        if sample.records.len() <= layout.header_rows {
            return Some((90, layout));
        }
        let score = sample.score(layout.header_rows, |r| {
            let t = r.get(kind).map(|s| s.trim());
            // CMRs have their own, shorter field list.
            matches!(t, Some("0" | "2"))
                || (t == Some("1")
                    && r.len() == layout.width
                    && epoch(&r[start], "").is_ok_and(|e| e.is_some()))
        });
        Some((score, layout))
    }

    fn free_text_columns(&self, layout: &Layout) -> Vec<usize> {
        layout.positions(&[
            "callingpartyunicodeloginuserid",
            "finalcalledpartyunicodeloginuserid",
            "comment",
            "authcodedescription",
        ])
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        if row.skip {
            return Ok(());
        }
        for (what, s) in [
            ("origDeviceName", row.channel),
            ("destDeviceName", row.dst_channel),
        ] {
            if !is_device_name(s) {
                return Err(format!(
                    "{what} `{}` is not a device name: fields shifted by an unescaped comma or quote?",
                    excerpt(s)
                ));
            }
        }
        for (what, s) in [
            ("callingPartyNumber", row.src),
            ("originalCalledPartyNumber", row.dst),
        ] {
            if !is_digits(s) {
                return Err(format!(
                    "{what} `{}` is not a number: fields shifted by an unescaped comma or quote?",
                    excerpt(s)
                ));
            }
        }
        Ok(())
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String> {
        let [cdrrecordtype, datetimeorigination, datetimeconnect, datetimedisconnect, duration, origcause_value, destcause_value, callingpartynumber, originalcalledpartynumber, finalcalledpartynumber, outpulsedcalledpartynumber, origdevicename, destdevicename, origcalledpartyredirectreason, lastredirectredirectreason, callingpartyunicodeloginuserid, authcodedescription, clientmattercode, globalcallid_callid] =
            layout.cols(&COLUMNS, f);
        match cdrrecordtype.trim() {
            "1" => {}
            // Start records and CMRs are not calls; CMRs have their own field list, so this is
            // decided before the width is checked.
            "0" | "2" => {
                return Ok(RawRow {
                    skip: true,
                    ..Default::default()
                })
            }
            other => {
                return Err(format!(
                    "cdrRecordType `{}` is not 1 (CDR), 2 (CMR) or 0 (start record)",
                    excerpt(other)
                ))
            }
        }
        layout.check_width(f.len(), "an unescaped quote or comma in a field")?;
        let origination =
            epoch(datetimeorigination, "dateTimeOrigination")?.ok_or("dateTimeOrigination is 0")?;
        let connect = epoch(datetimeconnect, "dateTimeConnect")?;
        let disconnect = epoch(datetimedisconnect, "dateTimeDisconnect")?;
        let talk = parse_secs(duration, "duration")?;
        let total = match disconnect {
            Some(d) if d < origination => {
                return Err(format!(
                    "dateTimeDisconnect {d} is before dateTimeOrigination {origination}: fields shifted?"
                ))
            }
            Some(d) => u32::try_from(d - origination).unwrap_or(u32::MAX),
            None => talk,
        };
        let billsec = if connect.is_some() { talk } else { 0 };
        let orig_cause = cause(origcause_value, "origCause_value")?;
        let dest_cause = cause(destcause_value, "destCause_value")?;

        let calling = callingpartynumber;
        let original = originalcalledpartynumber;
        let last = finalcalledpartynumber;
        let outpulsed = outpulsedcalledpartynumber;
        let orig_dev = origdevicename;
        let dest_dev = destdevicename;
        let (from_kind, to_kind) = (device(orig_dev), device(dest_dev));
        let final_number = if last.trim().is_empty() {
            outpulsed
        } else {
            last
        };
        let redirected = cause(
            origcalledpartyredirectreason,
            "origCalledPartyRedirectReason",
        )? != 0
            || cause(lastredirectredirectreason, "lastRedirectRedirectReason")? != 0
            || (!last.trim().is_empty() && last.trim() != original.trim());
        // A phone's call that an extension forwarded out: priced on where it went.
        let dst = if original.trim().is_empty()
            || (redirected && to_kind == Device::Trunk && from_kind != Device::Trunk)
        {
            final_number
        } else {
            original
        };
        let login = callingpartyunicodeloginuserid;
        let account = authcodedescription;
        Ok(RawRow {
            start: Some(Stamp::Utc(origination)),
            answer: connect.map(Stamp::Utc),
            end: disconnect.map(Stamp::Utc),
            duration: total.max(billsec),
            billsec,
            src: calling,
            dst,
            clid: login,
            channel: orig_dev,
            dst_channel: dest_dev,
            disposition: disposition(connect.is_some(), orig_cause, dest_cause),
            account: if account.trim().is_empty() {
                clientmattercode
            } else {
                account
            },
            call_id: globalcallid_callid,
            from: match from_kind {
                Device::None => Party::Number(calling),
                k => party(k, orig_dev, calling),
            },
            to: party(to_kind, dest_dev, final_number),
            relayed_to: final_number,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CUCM 6.x-shaped file (fewer columns, names only as far as needed), with the SQL type line.
    fn file(rows: &[&str]) -> String {
        let mut s = String::from(
            "\"cdrRecordType\",\"globalCallID_callManagerId\",\"globalCallID_callId\",\"dateTimeOrigination\",\"callingPartyNumber\",\"origCause_value\",\"originalCalledPartyNumber\",\"finalCalledPartyNumber\",\"destCause_value\",\"dateTimeConnect\",\"dateTimeDisconnect\",\"lastRedirectDn\",\"duration\",\"origDeviceName\",\"destDeviceName\",\"origCalledPartyRedirectReason\",\"lastRedirectRedirectReason\",\"authCodeDescription\",\"outpulsedCalledPartyNumber\"\n\
INTEGER,INTEGER,INTEGER,INTEGER,VARCHAR(50),INTEGER,VARCHAR(50),VARCHAR(50),INTEGER,INTEGER,INTEGER,VARCHAR(50),INTEGER,VARCHAR(129),VARCHAR(129),INTEGER,INTEGER,VARCHAR(50),VARCHAR(50)\n",
        );
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    fn parse_one(text: &str, want_score: u8) -> (RawRow<'static>, Layout) {
        let sample = Sample::from_bytes(text.as_bytes(), 10);
        let (score, layout) = Cucm.sniff(&sample).unwrap();
        assert_eq!(score, want_score);
        let rec = Box::leak(Box::new(csv::ByteRecord::from(
            sample.records[layout.header_rows].clone(),
        )));
        let f = Box::leak(Box::new(Fields::new(rec)));
        let row = Cucm.parse(f, &layout).unwrap();
        (row, layout)
    }

    const OUT: &str = "1,1,1001,1791180721,\"217\",16,\"0088216123456\",\"0088216123456\",0,1791180725,1791181325,\"\",600,\"SEP0011223344D9\",\"telekom\",0,0,\"\",\"0088216123456\"";

    #[test]
    fn outbound_call_from_a_phone() {
        let (row, layout) = parse_one(&file(&[OUT]), 100);
        assert_eq!(layout.header_rows, 2);
        assert_eq!(row.start, Some(Stamp::Utc(1_791_180_721)));
        assert_eq!(row.answer, Some(Stamp::Utc(1_791_180_725)));
        assert_eq!((row.duration, row.billsec), (604, 600));
        assert_eq!(row.from, Party::Extension("217"));
        assert_eq!(row.to, Party::Trunk("telekom"));
        assert_eq!(row.dst, "0088216123456");
        assert_eq!(row.disposition, Disposition::Answered);
        assert!(Cucm.plausible(&row).is_ok());
    }

    #[test]
    fn forwarded_call_is_one_cdr_priced_on_the_final_number() {
        let fwd = "1,1,1002,1791180721,\"030123456\",16,\"205\",\"00442079460000\",0,1791180730,1791180790,\"205\",60,\"telekom\",\"telekom\",0,15,\"\",\"00442079460000\"";
        let (row, _) = parse_one(&file(&[fwd]), 100);
        assert_eq!(row.from, Party::Trunk("telekom"));
        assert_eq!(row.to, Party::Trunk("telekom"));
        assert_eq!(row.dst, "205");
        assert_eq!(row.relayed_to, "00442079460000");
    }

    #[test]
    fn unanswered_and_cause_codes() {
        let busy = "1,1,1003,1791180721,\"201\",0,\"030999\",\"030999\",17,0,1791180730,\"\",0,\"SEP001122334455\",\"telekom\",0,0,\"\",\"\"";
        let (row, _) = parse_one(&file(&[busy]), 100);
        assert_eq!(row.disposition, Disposition::Busy);
        assert_eq!((row.duration, row.billsec, row.answer), (9, 0, None));
        assert_eq!(disposition(false, 16, 0), Disposition::NoAnswer);
        assert_eq!(disposition(false, 0, 19), Disposition::NoAnswer);
        assert_eq!(disposition(false, 0, 1), Disposition::Failed);
        assert_eq!(disposition(false, 0, 34), Disposition::Congestion);
        assert_eq!(disposition(false, 393_216, 0), Disposition::NoAnswer);
        assert_eq!(disposition(true, 0, 17), Disposition::Answered);
    }

    #[test]
    fn cmr_records_are_skipped_and_start_records_too() {
        let text = file(&["2,1,1001,3,\"217\"", OUT]);
        let (row, _) = parse_one(&text, 100);
        assert!(row.skip);
    }

    #[test]
    fn file_without_the_type_line_reads() {
        let text = file(&[OUT]);
        let mut lines: Vec<&str> = text.lines().collect();
        lines.remove(1);
        let (row, layout) = parse_one(&(lines.join("\n") + "\n"), 100);
        assert_eq!(layout.header_rows, 1);
        assert_eq!(row.src, "217");
    }

    #[test]
    fn broken_rows_say_why() {
        let text = file(&[OUT]);
        let sample = Sample::from_bytes(text.as_bytes(), 10);
        let (_, layout) = Cucm.sniff(&sample).unwrap();
        let cases = [
            (
                OUT.replacen("1791180721", "yesterday", 1),
                "dateTimeOrigination",
            ),
            (OUT.replacen("1,1,1001", "7,1,1001", 1), "cdrRecordType"),
            (OUT.replacen(",600,", ",6x0,", 1), "duration"),
            (OUT.replacen(",1791181325,", ",1791180000,", 1), "before"),
            (OUT.replacen(",16,", ",sixteen,", 1), "origCause_value"),
            (
                OUT.replacen("\"217\",", "\"217\",\"x\",", 1),
                "expected 19 fields",
            ),
        ];
        for (line, want) in cases {
            let rec = Sample::from_bytes(line.as_bytes(), 1).records.remove(0);
            let rec = csv::ByteRecord::from(rec);
            let f = Fields::new(&rec);
            let e = Cucm.parse(&f, &layout).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        }
        let shifted = OUT.replace("\"SEP0011223344D9\"", "\"Anna, Sales\"");
        let rec =
            csv::ByteRecord::from(Sample::from_bytes(shifted.as_bytes(), 1).records.remove(0));
        let f = Fields::new(&rec);
        let row = Cucm.parse(&f, &layout).unwrap();
        assert!(Cucm.plausible(&row).unwrap_err().contains("origDeviceName"));
    }

    #[test]
    fn device_kinds() {
        assert_eq!(device("SEP0011223344D9"), Device::Phone);
        assert_eq!(device("CSFanna"), Device::Phone);
        assert_eq!(device("CiscoUM1-VI3"), Device::Media);
        assert_eq!(device("UCX-VI12"), Device::Media);
        assert_eq!(device("CFB_2"), Device::Media);
        assert_eq!(device("SIPTrunk_Telekom"), Device::Trunk);
        assert_eq!(device("10.1.1.1"), Device::Trunk);
        assert_eq!(device(""), Device::None);
    }
}

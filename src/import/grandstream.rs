//! Grandstream UCM CDR API / CDR report CSV.
//!
//! Header row `AcctId,accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,
//! start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield,channel_ext,
//! dstchannel_ext,service` (22 columns); columns are read by name, so a re-ordered export reads
//! too. Told apart from the FreePBX export (also Asterisk columns with a header) by its own
//! columns `AcctId`, `channel_ext` and `service`.
//!
//! The UCM is Asterisk inside: dispositions are Asterisk's (ANSWERED, NO ANSWER, BUSY, FAILED,
//! CONGESTION), channels are Asterisk channels (`PJSIP/5300-00000000` for a phone,
//! `PJSIP/trunk_1-00000005` for a trunk) and the dial plan judges them as for Asterisk: phone to
//! trunk is outbound, trunk to phone inbound, trunk to trunk forwarded (priced on the number in
//! `dst` or `lastdata`). `channel_ext`/`dstchannel_ext` (the extension numbers) are not needed
//! for that and are ignored.
//!
//! Times (`start`, `answer`, `end`, `YYYY-MM-DD HH:MM:SS`) are the UCM's local wall-clock time
//! (the source time zone); an unanswered call has an empty `answer` (a MySQL zero date
//! `0000-00-00 00:00:00` is read as empty too).
//!
//! The vendor's own CSV sample leaves `lastdata` (`SIP/5301,60,`) and `clid` unquoted: such a row
//! has more fields than the header and is repaired by re-joining the surplus into `lastdata` or
//! `clid`, whichever alone gives a row whose channels are channels.

use super::{asterisk_disposition, asterisk_timing, Fields, Format, Layout, RawRow, Sample};

/// The Grandstream UCM CDR CSV.
pub struct Grandstream;

/// Columns without which a row cannot be read; `acctid`, `channel_ext` and `service` are the
/// ones only Grandstream has.
const REQUIRED: &[&str] = &[
    "acctid",
    "src",
    "dst",
    "start",
    "duration",
    "billsec",
    "disposition",
    "channel_ext",
    "service",
];

/// The columns a row is read from, in the order [`Grandstream::parse`] takes them.
static COLUMNS: [&str; 15] = [
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "src",
    "dst",
    "clid",
    "channel",
    "dstchannel",
    "lastdata",
    "dcontext",
    "disposition",
    "accountcode",
    "uniqueid",
];

fn layout_of(header: &[String]) -> Option<Layout> {
    Layout::from_header(header, 1, REQUIRED).map(|l| l.with_slots(&COLUMNS))
}

/// A UCM time field: empty and the MySQL zero date both mean "not set".
fn time_field(s: &str) -> &str {
    let t = s.trim();
    if t.starts_with("0000-00-00") {
        ""
    } else {
        t
    }
}

impl Format for Grandstream {
    fn name(&self) -> &'static str {
        "grandstream"
    }

    fn description(&self) -> &'static str {
        "Grandstream UCM CDR API / CDR report CSV with header (AcctId ... channel_ext, dstchannel_ext, service)"
    }

    fn checked_against(&self) -> &'static str {
        "column list and sample rows of Grandstream's UCM6100/UCM6510 CDR Report and CDR API Guide; not tested on a real UCM"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        let layout = layout_of(sample.records.first()?)?;
        // The header alone is strong evidence. Rows may carry surplus fields (the vendor's own
        // unquoted lastdata), so they are judged by width and by holding a timestamp at all.
        let score = if sample.records.len() == 1 {
            90
        } else {
            sample.score(1, |r| {
                r.len() >= layout.width
                    && r.iter()
                        .any(|f| crate::timeconv::parse_timestamp(f).is_some())
            })
        };
        Some((score, layout))
    }

    fn free_text_columns(&self, layout: &Layout) -> Vec<usize> {
        layout.positions(&["clid", "lastdata"])
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        super::check_channels(row)
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String> {
        layout.check_width(f.len(), "an unquoted comma in lastdata or clid")?;
        let [start, answer, end, duration, billsec, src, dst, clid, channel, dst_channel, lastdata, context, disposition, account, call_id] =
            layout.cols(&COLUMNS, f);
        let t = asterisk_timing(
            start,
            time_field(answer),
            time_field(end),
            duration,
            billsec,
        )?;
        Ok(RawRow {
            start: Some(t.start),
            answer: t.answer,
            end: t.end,
            duration: t.duration,
            billsec: t.billsec,
            src,
            dst,
            clid,
            channel,
            dst_channel,
            lastdata,
            context,
            disposition: asterisk_disposition(disposition)?,
            account,
            call_id,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Disposition;

    const HEADER: &str = "AcctId,accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield,channel_ext,dstchannel_ext,service";
    /// The vendor's CSV sample row (CDR API guide), lastdata and clid unquoted: 24 fields.
    const VENDOR: &str = "62,,5300,5301,from-internal,\"pn01\" <5300>,SIP/5300-00000000,SIP/5301-00000001,Dial,SIP/5301,60,,2013-12-03 11:46:40,2013-12-03 11:46:43,2013-12-03 11:46:49,9,6,ANSWERED,DOCUMENTATION,1386092800.0,EXT,5300,5301,s";

    fn sample(rows: &[&str]) -> (u8, Layout, Vec<csv::ByteRecord>) {
        let text = format!("{HEADER}\n{}\n", rows.join("\n"));
        let s = Sample::from_bytes(text.as_bytes(), 10);
        let (score, layout) = Grandstream.sniff(&s).unwrap();
        let recs = s.records[1..]
            .iter()
            .map(|r| csv::ByteRecord::from(r.clone()))
            .collect();
        (score, layout, recs)
    }

    #[test]
    fn the_vendor_sample_row_is_repaired_into_lastdata() {
        let (score, layout, recs) = sample(&[VENDOR]);
        assert_eq!(score, 100);
        let f = Fields::new(&recs[0]);
        assert_eq!(f.len(), 24);
        let e = Grandstream.parse(&f, &layout).unwrap_err();
        assert!(e.contains("expected 22 fields"), "{e}");
        let (fixed, how) = super::super::repair(&Grandstream, &layout, &f).unwrap();
        assert!(how.to_string().contains("column 10"), "{how}");
        let f = Fields::new(&fixed);
        let row = Grandstream.parse(&f, &layout).unwrap();
        assert_eq!(row.lastdata, "SIP/5301,60,");
        assert_eq!((row.src, row.dst, row.billsec), ("5300", "5301", 6));
        assert_eq!(row.channel, "SIP/5300-00000000");
        assert_eq!(row.disposition, Disposition::Answered);
        assert_eq!(row.call_id, "1386092800.0");
    }

    #[test]
    fn quoted_rows_and_unanswered_calls_read() {
        let row = "70,,201,0301234567,from-internal,\"\"\"Anna\"\" <201>\",PJSIP/201-0000000a,PJSIP/trunk_1-0000000b,Dial,\"PJSIP/0301234567@trunk_1,60\",2026-10-05 09:00:00,0000-00-00 00:00:00,2026-10-05 09:00:20,20,0,NO ANSWER,DOCUMENTATION,1791190800.10,Outbound,201,,s";
        let (_, layout, recs) = sample(&[row]);
        let f = Fields::new(&recs[0]);
        let r = Grandstream.parse(&f, &layout).unwrap();
        assert_eq!(r.answer, None);
        assert_eq!(r.disposition, Disposition::NoAnswer);
        assert_eq!(r.dst_channel, "PJSIP/trunk_1-0000000b");
        assert_eq!(r.clid, "\"Anna\" <201>");
    }

    #[test]
    fn broken_rows_say_why_and_freepbx_is_not_grandstream() {
        let (_, layout, recs) = sample(&[&VENDOR.replace("ANSWERED", "MAYBE")]);
        let f = Fields::new(&recs[0]);
        assert!(super::super::repair(&Grandstream, &layout, &f).is_none());
        let short = "62,,5300,5301";
        let (_, layout, recs) = sample(&[short]);
        let f = Fields::new(&recs[0]);
        assert!(Grandstream
            .parse(&f, &layout)
            .unwrap_err()
            .contains("found 4"));
        let freepbx = "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield\n";
        let s = Sample::from_bytes(freepbx.as_bytes(), 10);
        assert!(Grandstream.sniff(&s).is_none());
    }
}

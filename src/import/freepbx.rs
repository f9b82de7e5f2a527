//! FreePBX / Issabel / Elastix CDR report export (the `asteriskcdrdb.cdr` table as CSV).
//!
//! Header row present; columns are chosen by name, so both the newer FreePBX export
//! (`calldate,clid,src,dst,...,did,cnum,cnam,...,linkedid,peeraccount,sequence`, 26 columns) and
//! the older 16-column FreePBX/Issabel export (`calldate..userfield`) read, as does any
//! re-ordering. Quoted only where needed. `calldate` is the call start in server local time;
//! answer and end are derived from `duration` and `billsec`. `amaflags` is numeric.
//! Older exports do not escape quotes inside caller names: such rows have the wrong field count
//! and are reported, not guessed at.

use super::{asterisk_disposition, asterisk_timing, Fields, Format, Layout, RawRow, Sample};

/// The FreePBX CDR export.
pub struct FreePbx;

/// Columns without which a row cannot be read.
const REQUIRED: &[&str] = &[
    "calldate",
    "src",
    "dst",
    "duration",
    "billsec",
    "disposition",
];

/// The columns a row is read from, in the order [`FreePbx::parse`] takes them.
static COLUMNS: [&str; 15] = [
    "calldate",
    "duration",
    "billsec",
    "src",
    "dst",
    "clid",
    "cnam",
    "channel",
    "dstchannel",
    "lastdata",
    "dcontext",
    "disposition",
    "accountcode",
    "uniqueid",
    "linkedid",
];

fn layout_of(header: &[String]) -> Option<Layout> {
    Layout::from_header(header, 1, REQUIRED).map(|l| l.with_slots(&COLUMNS))
}

impl Format for FreePbx {
    fn name(&self) -> &'static str {
        "freepbx"
    }

    fn description(&self) -> &'static str {
        "FreePBX / Issabel / Elastix CDR report export with a header (old 16-column and new 26-column)"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        let layout = layout_of(sample.records.first()?)?;
        let start = layout.columns["calldate"];
        // The header alone is strong evidence; the rows must agree.
        let score = if sample.records.len() == 1 {
            90
        } else {
            sample.score(1, |r| {
                r.len() == layout.width && crate::timeconv::parse_timestamp(&r[start]).is_some()
            })
        };
        Some((score, layout))
    }

    fn checked_against(&self) -> &'static str {
        "the asteriskcdrdb.cdr columns of the FreePBX CDR Reports export (26) and the older FreePBX/Issabel export (16); fixtures written from them"
    }

    fn free_text_columns(&self, layout: &Layout) -> Vec<usize> {
        layout.positions(&[
            "clid",
            "lastdata",
            "cnam",
            "outbound_cnam",
            "dst_cnam",
            "userfield",
        ])
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        super::check_channels(row)
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String> {
        layout.check_width(f.len(), "an unescaped quote or comma in a field")?;
        let [calldate, duration, billsec, src, dst, clid, cnam, channel, dst_channel, lastdata, context, disposition, account, call_id, linked_id] =
            layout.cols(&COLUMNS, f);
        let t = asterisk_timing(calldate, "", "", duration, billsec)?;
        Ok(RawRow {
            start: Some(t.start),
            answer: None,
            end: None,
            duration: t.duration,
            billsec: t.billsec,
            src,
            dst,
            clid: if clid.is_empty() { cnam } else { clid },
            channel,
            dst_channel,
            lastdata,
            context,
            disposition: asterisk_disposition(disposition)?,
            account,
            call_id,
            linked_id,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,did,cnum,cnam,outbound_cnum,outbound_cnam,dst_cnam,recordingfile,linkedid,peeraccount,sequence\n\
2026-10-21 10:01:43,\"\"\"Max\"\" <331>\",331,09001234567,from-internal,PJSIP/331-00000001,PJSIP/vodafone-00000002,Dial,\"PJSIP/09001234567@vodafone,300,Tt\",400,390,ANSWERED,3,,1761033703.1,,,331,Max,,,,,1761033703.1,,2\n";

    const OLD: &str = "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield\n\
2026-10-21 10:01:43,\"Max\" <331>,331,205,from-internal,PJSIP/331-1,PJSIP/205-2,Dial,PJSIP/205,20,15,ANSWERED,3,,1761033703.1,\n";

    fn first_row(text: &str) -> (Layout, csv::ByteRecord) {
        let sample = Sample::from_bytes(text.as_bytes(), 10);
        let (score, layout) = FreePbx.sniff(&sample).unwrap();
        assert_eq!(score, 100);
        (layout, csv::ByteRecord::from(sample.records[1].clone()))
    }

    #[test]
    fn reads_new_and_old_exports_by_column_name() {
        let (layout, rec) = first_row(NEW);
        let f = Fields::new(&rec);
        let row = FreePbx.parse(&f, &layout).unwrap();
        assert_eq!(
            (row.src, row.dst, row.duration, row.billsec),
            ("331", "09001234567", 400, 390)
        );
        assert_eq!(row.linked_id, "1761033703.1");
        let (layout, rec) = first_row(OLD);
        let f = Fields::new(&rec);
        let row = FreePbx.parse(&f, &layout).unwrap();
        // The old export's unescaped quotes: the csv reader keeps them in the field.
        assert_eq!(row.dst, "205");
        assert!(row.clid.contains("Max"));
    }

    #[test]
    fn wrong_width_is_reported() {
        let (layout, _) = first_row(OLD);
        let rec = csv::ByteRecord::from(vec!["2026-10-21 10:01:43", "x"]);
        let fields = Fields::new(&rec);
        let e = FreePbx.parse(&fields, &layout).unwrap_err();
        assert!(e.contains("expected 16 fields"), "{e}");
    }
}

//! Asterisk `cdr_csv` (`/var/log/asterisk/cdr-csv/Master.csv`).
//!
//! Accepts every column variant the module writes (cdr_csv.c): 16 base columns, then
//! `uniqueid` (loguniqueid=yes), `userfield` (loguserfield=yes), and `peeraccount`, `linkedid`,
//! `sequence` (newcdrcolumns=yes): 16, 17, 18, 19 or 21 columns, no header. Rows of different
//! widths may be mixed (a configuration change mid-file). Timestamps are wall-clock times in the
//! source time zone (server local, or UTC with usegmtime=yes: say so with `--source-tz UTC`).
//!
//! Columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
//! start, answer, end, duration, billsec, disposition, amaflags [, uniqueid [, userfield
//! [, peeraccount, linkedid, sequence]]].

use super::{asterisk_disposition, asterisk_timing, Fields, Format, Layout, RawRow, Sample};

/// The Asterisk cdr_csv format.
pub struct AsteriskCsv;

const WIDTHS: [usize; 5] = [16, 17, 18, 19, 21];

fn fits(r: &[String]) -> bool {
    // The disposition check tells cdr_csv apart from FreeSWITCH's `asterisk` template, which
    // has the same 18 columns with the start in the same place but Q.850 hangup causes there.
    WIDTHS.contains(&r.len())
        && crate::timeconv::parse_timestamp(&r[9]).is_some()
        && r[12].trim().parse::<u32>().is_ok()
        && r[13].trim().parse::<u32>().is_ok()
        && crate::call::Disposition::parse_asterisk(&r[14]) != crate::call::Disposition::Unknown
}

impl Format for AsteriskCsv {
    fn name(&self) -> &'static str {
        "asterisk-csv"
    }

    fn description(&self) -> &'static str {
        "Asterisk cdr_csv Master.csv, 16/17/18/19/21 columns, no header (also FreePBX, Issabel, VitalPBX)"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        sample.sniff_rows(fits)
    }

    fn forced_layout(&self, _sample: &Sample) -> Result<Layout, String> {
        Ok(Layout::default())
    }

    fn checked_against(&self) -> &'static str {
        "the column list of Asterisk's cdr/cdr_csv.c (base, loguniqueid, loguserfield, newcdrcolumns); fixtures written from it, not captured from a live PBX"
    }

    fn widths(&self, _layout: &Layout) -> Vec<usize> {
        WIDTHS.to_vec()
    }

    fn free_text_columns(&self, _layout: &Layout) -> Vec<usize> {
        // clid (caller-controlled) and lastdata (Dial arguments carry commas).
        vec![4, 8]
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        super::check_channels(row)
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, _layout: &Layout) -> Result<RawRow<'a>, String> {
        let n = f.len();
        if !WIDTHS.contains(&n) {
            return Err(format!(
                "expected 16, 17, 18, 19 or 21 fields (Asterisk cdr_csv), found {n}: an unescaped quote or comma in a field, or a truncated line?"
            ));
        }
        // Every field this reads, in one pass (`get` on each cost a call a field).
        let [account, src, dst, context, clid, channel, dst_channel, _, lastdata, start, answer, end, duration, billsec, disposition, _, call_id, _, _, linked_id] =
            f.first::<20>();
        let t = asterisk_timing(start, answer, end, duration, billsec)?;
        Ok(RawRow {
            start: Some(t.start),
            answer: t.answer,
            end: t.end,
            duration: t.duration,
            billsec: t.billsec,
            account,
            src,
            dst,
            context,
            clid,
            channel,
            dst_channel,
            lastdata,
            disposition: asterisk_disposition(disposition)?,
            // Past the row's width `first` gives "": the widths without these columns (16, and
            // every width below 21 for the linked id) have none.
            call_id,
            linked_id,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csv::ByteRecord;

    fn rec(line: &str) -> ByteRecord {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let mut rec = ByteRecord::new();
        r.read_byte_record(&mut rec).unwrap();
        rec
    }

    const ROW18: &str = r#""","201","0088216001234","from-internal","""Reception"" <201>","PJSIP/201-0000001a","PJSIP/trunk-0000001b","Dial","PJSIP/0088216001234@trunk,60","2026-03-07 02:14:05","2026-03-07 02:14:09","2026-03-07 02:31:40",1055,1051,"ANSWERED","DOCUMENTATION","1772849645.26","""#;

    #[test]
    fn reads_the_documented_example_row() {
        let r = rec(ROW18);
        let f = Fields::new(&r);
        let row = AsteriskCsv.parse(&f, &Layout::default()).unwrap();
        assert_eq!(row.src, "201");
        assert_eq!(row.dst, "0088216001234");
        assert_eq!(row.clid, "\"Reception\" <201>");
        assert_eq!((row.duration, row.billsec), (1055, 1051));
        assert_eq!(row.call_id, "1772849645.26");
        assert_eq!(row.disposition, crate::call::Disposition::Answered);
    }

    #[test]
    fn every_width_is_accepted_and_others_rejected() {
        let base = r#""","201","205","from-internal","""A"" <201>","PJSIP/201-1","PJSIP/205-2","Dial","PJSIP/205,30","2026-03-07 10:00:00",,"2026-03-07 10:00:20",20,0,"NO ANSWER","DOCUMENTATION""#;
        for (extra, ok) in [
            ("", true),
            (r#","1.1""#, true),
            (r#","1.1","""#, true),
            (r#","1.1","","peer""#, true),
            (r#","1.1","","peer","1.1""#, false),
            (r#","1.1","","peer","1.1",3"#, true),
        ] {
            let r = rec(&format!("{base}{extra}"));
            let fields = Fields::new(&r);
            let res = AsteriskCsv.parse(&fields, &Layout::default());
            assert_eq!(res.is_ok(), ok, "{extra}: {res:?}");
            if let Ok(row) = res {
                assert_eq!(row.answer, None, "bare empty answer field");
            }
        }
    }

    #[test]
    fn shifted_and_broken_rows_say_why() {
        let bad = [
            (
                r#""","201","x","c","n","ch","dch","Dial","d","not a date","","2026-03-07 10:00:20",20,0,"ANSWERED","DOCUMENTATION""#,
                "start",
            ),
            (
                r#""","201","x","c","n","ch","dch","Dial","d","2026-03-07 10:00:00","","2026-03-07 10:00:20",twenty,0,"ANSWERED","DOCUMENTATION""#,
                "duration",
            ),
            (
                r#""","201","x","c","n","ch","dch","Dial","d","2026-03-07 10:00:00","","2026-03-07 10:00:20",20,30,"ANSWERED","DOCUMENTATION""#,
                "exceeds",
            ),
            (
                r#""","201","x","c","n","ch","dch","Dial","d","2026-03-07 10:00:00","","2026-03-07 10:00:20",20,0,"MAYBE","DOCUMENTATION""#,
                "disposition",
            ),
        ];
        for (line, want) in bad {
            let r = rec(line);
            let fields = Fields::new(&r);
            let e = AsteriskCsv.parse(&fields, &Layout::default()).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }
}

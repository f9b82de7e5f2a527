//! Asterisk `cdr_custom` with the legacy mapping shipped in `cdr_custom.conf.sample`.
//!
//! Columns: clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, start, answer,
//! end, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, sequence
//! (19). Every field but sequence is quoted, durations included; no header. A mapping that stops
//! after `userfield` (18 columns) is accepted too. Told apart from cdr_csv by where the start
//! timestamp sits (column 9 here, column 10 there).

use super::{asterisk_disposition, asterisk_timing, Fields, Format, Layout, RawRow, Sample};

/// The cdr_custom legacy mapping.
pub struct AsteriskCustom;

fn fits(r: &[String]) -> bool {
    (r.len() == 18 || r.len() == 19)
        && crate::timeconv::parse_timestamp(&r[8]).is_some()
        && r[11].trim().parse::<u32>().is_ok()
        && r[12].trim().parse::<u32>().is_ok()
}

impl Format for AsteriskCustom {
    fn name(&self) -> &'static str {
        "asterisk-custom"
    }

    fn description(&self) -> &'static str {
        "Asterisk cdr_custom legacy mapping (clid first, 18-19 columns, no header)"
    }

    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)> {
        sample.sniff_rows(fits)
    }

    fn forced_layout(&self, _sample: &Sample) -> Result<Layout, String> {
        Ok(Layout::default())
    }

    fn checked_against(&self) -> &'static str {
        "the legacy mapping in Asterisk's configs/samples/cdr_custom.conf.sample; fixtures written from it"
    }

    fn widths(&self, _layout: &Layout) -> Vec<usize> {
        vec![18, 19]
    }

    fn free_text_columns(&self, _layout: &Layout) -> Vec<usize> {
        vec![0, 7] // clid, lastdata
    }

    fn plausible(&self, row: &RawRow<'_>) -> Result<(), String> {
        super::check_channels(row)
    }

    fn parse<'a>(&self, f: &'a Fields<'a>, _layout: &Layout) -> Result<RawRow<'a>, String> {
        let n = f.len();
        if n != 18 && n != 19 {
            return Err(format!(
                "expected 19 fields (Asterisk cdr_custom legacy mapping), found {n}: an unescaped quote or comma in a field, or a truncated line?"
            ));
        }
        let t = asterisk_timing(f.get(8), f.get(9), f.get(10), f.get(11), f.get(12))?;
        Ok(RawRow {
            start: Some(t.start),
            answer: t.answer,
            end: t.end,
            duration: t.duration,
            billsec: t.billsec,
            clid: f.get(0),
            src: f.get(1),
            dst: f.get(2),
            context: f.get(3),
            channel: f.get(4),
            dst_channel: f.get(5),
            lastdata: f.get(7),
            disposition: asterisk_disposition(f.get(13))?,
            account: f.get(15),
            call_id: f.get(16),
            linked_id: "",
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Sample;

    const ROW: &str = r#""""Anna"" <201>","201","00442079460000","from-internal","PJSIP/201-01","PJSIP/telekom-02","Dial","PJSIP/00442079460000@telekom","2026-03-07 10:00:00","2026-03-07 10:00:05","2026-03-07 10:01:05","65","60","ANSWERED","DOCUMENTATION","acct","1772877600.5","",1
"#;

    #[test]
    fn reads_the_legacy_mapping_and_is_told_apart_from_cdr_csv() {
        let sample = Sample::from_bytes(ROW.as_bytes(), 10);
        assert_eq!(AsteriskCustom.sniff(&sample).unwrap().0, 100);
        assert_eq!(super::super::asterisk_csv::AsteriskCsv.sniff(&sample), None);
        let c = crate::import::detect(ROW.as_bytes()).ok().unwrap();
        assert_eq!(c.format.name(), "asterisk-custom");
        let rec = csv::ByteRecord::from(sample.records[0].clone());
        let fields = Fields::new(&rec);
        let row = AsteriskCustom.parse(&fields, &Layout::default()).unwrap();
        assert_eq!(
            (row.src, row.dst, row.account),
            ("201", "00442079460000", "acct")
        );
        assert_eq!((row.duration, row.billsec), (65, 60));
    }
}

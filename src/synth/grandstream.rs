//! Synthetic calls as Grandstream UCM CDR CSV: the 22-column header, then rows as the vendor's
//! own sample writes them: nothing quoted, so `clid` (`"Anna" <201>`) keeps its bare quotes and
//! `lastdata` (`PJSIP/201,20,`) splits into surplus fields, which the importer re-joins. Site
//! local time; an unanswered call has an empty `answer`.

use super::{CdrWriter, Leg, SynthCall};
use std::io::{self, Write};

/// Writes Grandstream UCM CDR CSV.
pub struct Grandstream;

/// Constructor for [`super::WRITERS`].
pub fn make(_tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(Grandstream)
}

const TS: &str = "%Y-%m-%d %H:%M:%S";

/// The header the UCM writes.
pub const HEADER: &str = "AcctId,accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield,channel_ext,dstchannel_ext,service";

impl CdrWriter for Grandstream {
    fn header(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{HEADER}")
    }

    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let seq = c.seq;
        let trunk = format!("PJSIP/{}-{:08x}", c.trunk, seq * 2);
        let ext = format!("PJSIP/{}-{:08x}", c.extension, seq * 2 + 1);
        // (context, channel, dstchannel, lastdata, userfield, channel_ext, dstchannel_ext)
        let (context, channel, dst_channel, lastdata, userfield, ch_ext, dst_ext) = match c.leg {
            Leg::Outbound => (
                "from-internal",
                ext,
                trunk,
                format!("PJSIP/{}@{},60,", c.other, c.trunk),
                "",
                c.extension.as_str(),
                "",
            ),
            Leg::Inbound => (
                "from-trunk",
                trunk,
                ext,
                format!("PJSIP/{},30,", c.extension),
                "",
                "",
                c.extension.as_str(),
            ),
            Leg::Internal => (
                "from-internal",
                ext,
                format!("PJSIP/{}-{:08x}", c.other, seq * 2),
                format!("PJSIP/{},60,", c.other),
                "EXT",
                c.extension.as_str(),
                c.other.as_str(),
            ),
        };
        let clid = if c.name.is_empty() {
            format!("<{}>", c.caller())
        } else {
            format!("\"{}\" <{}>", c.name, c.caller())
        };
        let answer = c
            .answer()
            .map(|a| a.format(TS).to_string())
            .unwrap_or_default();
        let epoch = c.start.and_utc().timestamp();
        writeln!(
            out,
            "{seq},,{src},{dst},{context},{clid},{channel},{dst_channel},Dial,{lastdata},{start},{answer},{end},{duration},{billsec},{disp},DOCUMENTATION,{epoch}.{seq},{userfield},{ch_ext},{dst_ext},s",
            src = c.caller(),
            dst = c.callee(),
            start = c.start.format(TS),
            end = c.end().format(TS),
            duration = c.duration(),
            billsec = c.talk,
            disp = c.outcome.asterisk(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::import::{grandstream, repair, Fields, Format, Sample};

    #[test]
    fn every_row_reads_back_after_repair() {
        let out = crate::synth::few_days("grandstream", 3, 2, 50);
        let s = Sample::from_bytes(&out, 20);
        let (score, layout) = grandstream::Grandstream.sniff(&s).unwrap();
        assert_eq!(score, 100);
        let mut rdr = crate::import::cdr_reader(&out[..]);
        let mut rec = csv::ByteRecord::new();
        let mut n = 0;
        rdr.read_byte_record(&mut rec).unwrap();
        while rdr.read_byte_record(&mut rec).unwrap() {
            let f = Fields::new(&rec);
            let (fixed, _) = repair(&grandstream::Grandstream, &layout, &f).unwrap();
            let f = Fields::new(&fixed);
            let row = grandstream::Grandstream.parse(&f, &layout).unwrap();
            assert!(row.lastdata.starts_with("PJSIP/"), "{}", row.lastdata);
            n += 1;
        }
        assert!(n > 100, "{n}");
    }
}

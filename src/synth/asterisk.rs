//! Synthetic calls as Asterisk `cdr_csv` rows (18 columns: `loguniqueid` and `loguserfield` on,
//! site local time), the layout of Asterisk's shipped `cdr.conf` sample.

use super::{CdrWriter, Leg, SynthCall};
use std::io::{self, Write};

/// Writes Asterisk cdr_csv.
pub struct Asterisk;

/// Constructor for [`super::WRITERS`].
pub fn make(_tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(Asterisk)
}

const TS: &str = "%Y-%m-%d %H:%M:%S";

impl CdrWriter for Asterisk {
    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let seq = c.seq;
        let trunk = format!("PJSIP/{}-{:08x}", c.trunk, seq * 2);
        let ext = format!("PJSIP/{}-{:08x}", c.extension, seq * 2 + 1);
        let (context, channel, dst_channel, lastdata) = match c.leg {
            Leg::Outbound => (
                "from-internal",
                ext,
                trunk,
                format!("PJSIP/{}@{},60", c.other, c.trunk),
            ),
            Leg::Inbound => (
                "from-trunk",
                trunk,
                ext,
                format!("PJSIP/{},30,tr", c.extension),
            ),
            Leg::Internal => (
                "from-internal",
                ext,
                format!("PJSIP/{}-{:08x}", c.other, seq * 2),
                format!("PJSIP/{},20,tr", c.other),
            ),
        };
        let answer = c
            .answer()
            .map(|a| format!("\"{}\"", a.format(TS)))
            .unwrap_or_default();
        // The uniqueid's epoch is only a label here; the local start is what Asterisk writes.
        let epoch = c.start.and_utc().timestamp();
        writeln!(
            out,
            "\"\",\"{src}\",\"{dst}\",\"{context}\",\"\"\"{name}\"\" <{src}>\",\"{channel}\",\"{dst_channel}\",\"Dial\",\"{lastdata}\",\"{start}\",{answer},\"{end}\",{duration},{billsec},\"{disp}\",\"DOCUMENTATION\",\"{epoch}.{seq}\",\"\"",
            src = c.caller(),
            dst = c.callee(),
            name = c.name,
            start = c.start.format(TS),
            end = c.end().format(TS),
            duration = c.duration(),
            billsec = c.talk,
            disp = c.outcome.asterisk(),
        )
    }
}

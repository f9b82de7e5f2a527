//! Synthetic calls as a Yeastar P-series CDR export: the header, then one row per call with
//! `Name<201>` for the office's callers, durations as `HH:MM:SS`, site local time, the trunk in
//! `Source Trunk` (inbound) or `Destination Trunk` (outbound) and the communication type.

use super::{CdrWriter, Leg, Outcome, SynthCall};
use std::io::{self, Write};

/// Writes Yeastar P-series CDR CSV.
pub struct Yeastar;

/// Constructor for [`super::WRITERS`].
pub fn make(_tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(Yeastar)
}

const TS: &str = "%Y-%m-%d %H:%M:%S";

/// The header of the export.
pub const HEADER: &str = "ID,Time,Call From,Call To,Call Duration,Ring Duration,Talk Duration,Status,Reason,Source Trunk,Destination Trunk,Communication Type,DID/DDI,Outbound Caller ID,Caller IP Address,PIN Code,Recording File";

fn hms(s: u32) -> String {
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn status(o: Outcome) -> &'static str {
    match o {
        Outcome::Answered => "ANSWERED",
        Outcome::NoAnswer => "NO ANSWER",
        Outcome::Busy => "BUSY",
        Outcome::Failed => "FAILED",
    }
}

impl CdrWriter for Yeastar {
    fn header(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{HEADER}")
    }

    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let from = if c.name.is_empty() {
            c.caller().to_string()
        } else {
            format!("{}<{}>", c.name, c.caller())
        };
        let (src_trunk, dst_trunk, kind, did, ip) = match c.leg {
            Leg::Outbound => ("", c.trunk, "Outbound", "", "192.168.1.20"),
            Leg::Inbound => (c.trunk, "", "Inbound", "4930555000", ""),
            Leg::Internal => ("", "", "Internal", "", "192.168.1.20"),
        };
        let reason = if c.outcome == Outcome::Answered {
            "Hung Up"
        } else {
            ""
        };
        writeln!(
            out,
            "{seq},{start},{from},{to},{total},{ring},{talk},{status},{reason},{src_trunk},{dst_trunk},{kind},{did},,{ip},,",
            seq = c.seq,
            start = c.start.format(TS),
            to = c.callee(),
            total = hms(c.duration()),
            ring = hms(c.ring),
            talk = hms(c.talk),
            status = status(c.outcome),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{yeastar, Fields, Format, Sample};

    #[test]
    fn every_row_reads_back() {
        let out = crate::synth::few_days("yeastar", 3, 2, 50);
        let s = Sample::from_bytes(&out, 20);
        let (score, layout) = yeastar::Yeastar.sniff(&s).unwrap();
        assert_eq!(score, 100);
        let mut rdr = crate::import::cdr_reader(&out[..]);
        let mut rec = csv::ByteRecord::new();
        let mut n = 0;
        rdr.read_byte_record(&mut rec).unwrap();
        while rdr.read_byte_record(&mut rec).unwrap() {
            let f = Fields::new(&rec);
            let row = yeastar::Yeastar.parse(&f, &layout).unwrap();
            yeastar::Yeastar.plausible(&row).unwrap();
            n += 1;
        }
        assert!(n > 100, "{n}");
        assert_eq!(hms(3723), "01:02:03");
    }
}

//! Synthetic calls as Avaya IP Office SMDR rows: 30 fields, no header, no quoting, local time;
//! one segment per call. Extensions are `E201` devices named after their users, the trunk is
//! line `T9001` named after the trunk.

use super::{CdrWriter, Leg, SynthCall};
use std::io::{self, Write};

/// Writes Avaya SMDR.
pub struct Avaya;

/// Constructor for [`super::WRITERS`].
pub fn make(_tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(Avaya)
}

const TS: &str = "%Y/%m/%d %H:%M:%S";
/// The first line of the first trunk card.
const LINE: &str = "T9001";

/// A user's name as IP Office defaults it when the office has none.
fn user_name(ext: &str, name: &str) -> String {
    if name.is_empty() {
        format!("Extn{ext}")
    } else {
        name.to_string()
    }
}

impl CdrWriter for Avaya {
    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let me = format!("E{}", c.extension);
        let my_name = user_name(&c.extension, &c.name);
        let (caller, direction, called, internal, p2, p2_name) = match c.leg {
            Leg::Outbound => (
                c.extension.as_str(),
                "O",
                c.other.as_str(),
                0,
                LINE.to_string(),
                c.trunk.to_string(),
            ),
            Leg::Inbound => (
                c.other.as_str(),
                "I",
                c.extension.as_str(),
                0,
                LINE.to_string(),
                c.trunk.to_string(),
            ),
            Leg::Internal => (
                c.extension.as_str(),
                "O",
                c.other.as_str(),
                1,
                format!("E{}", c.other),
                user_name(&c.other, ""),
            ),
        };
        let t = c.talk;
        writeln!(
            out,
            "{start},{h:02}:{m:02}:{s:02},{ring},{caller},{direction},{called},{called},,{internal},{id},0,{me},{my_name},{p2},{p2_name},0,0,0,,,0.00,,0.00,0,0,0,100,,,",
            start = c.start.format(TS),
            h = t / 3600,
            m = t / 60 % 60,
            s = t % 60,
            ring = c.ring,
            id = 1_000_000_000 + c.seq,
        )
    }
}

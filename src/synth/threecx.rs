//! Synthetic calls as 3CX v20 CDR log rows: the canonical 27-field template, no header, times
//! in UTC (3CX writes UTC: the site's local start is converted with the site time zone),
//! extensions as `Ext.201`, the trunk as line DN `10000` named after the trunk.

use super::{CdrWriter, Leg, Outcome, SynthCall};
use chrono::{NaiveDateTime, Offset, TimeZone};
use std::io::{self, Write};

/// Writes 3CX CDR log rows.
pub struct ThreeCx {
    tz: chrono_tz::Tz,
}

/// Constructor for [`super::WRITERS`].
pub fn make(tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(ThreeCx { tz })
}

const TS: &str = "%Y/%m/%d %H:%M:%S";
/// The DN 3CX gives the first SIP trunk.
const LINE_DN: &str = "10000";

impl ThreeCx {
    /// A local time as the UTC time 3CX writes.
    fn utc(&self, t: NaiveDateTime) -> String {
        let utc = match self.tz.from_local_datetime(&t).earliest() {
            Some(d) => d.naive_utc(),
            // In the spring-forward gap: the offset in force just after it.
            None => {
                let o = self.tz.offset_from_utc_datetime(&t).fix().local_minus_utc();
                t - chrono::Duration::seconds(i64::from(o))
            }
        };
        utc.format(TS).to_string()
    }
}

/// `HH:MM:SS`.
fn hms(secs: u32) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

impl CdrWriter for ThreeCx {
    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let ext = format!("Ext.{}", c.extension);
        let (from_no, to_no, from_dn, to_dn, dial, types, names) = match c.leg {
            Leg::Outbound => (
                ext.clone(),
                c.other.clone(),
                c.extension.as_str(),
                LINE_DN,
                c.other.as_str(),
                ("Extension", "Line"),
                (c.name.as_str(), c.trunk),
            ),
            Leg::Inbound => (
                c.other.clone(),
                ext.clone(),
                LINE_DN,
                c.extension.as_str(),
                c.extension.as_str(),
                ("Line", "Extension"),
                ("", ""),
            ),
            Leg::Internal => (
                ext.clone(),
                format!("Ext.{}", c.other),
                c.extension.as_str(),
                c.other.as_str(),
                c.other.as_str(),
                ("Extension", "Extension"),
                (c.name.as_str(), ""),
            ),
        };
        let reason = match c.outcome {
            Outcome::Answered | Outcome::NoAnswer => "TerminatedBySrc",
            Outcome::Busy | Outcome::Failed => "Failed",
        };
        let answered = c.answer().map(|a| self.utc(a)).unwrap_or_default();
        let talk = if c.outcome == Outcome::Answered {
            hms(c.talk)
        } else {
            String::new()
        };
        writeln!(
            out,
            "Call {seq},{seq:016X}_{seq},{talk},{start},{answered},{end},{reason},{from_no},{to_no},{from_dn},{to_dn},{dial},,{to_no},{to_dn},,,,,Chain: {from_no};{to_no};,{ft},{tt},{tt},{fname},{tname},{tname},",
            seq = c.seq,
            start = self.utc(c.start),
            end = self.utc(c.end()),
            ft = types.0,
            tt = types.1,
            fname = names.0,
            tname = names.1,
        )
    }
}

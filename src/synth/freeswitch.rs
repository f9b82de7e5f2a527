//! Synthetic calls as FreeSWITCH `mod_cdr_csv` rows in the `example` template (15 fields, the
//! vanilla configuration's default template): every value in template quotes, unescaped, site
//! local time, answer_stamp empty when unanswered, a Q.850 hangup cause. Calls from outside
//! arrive in the `public` context, outbound calls leave from the `default` context.

use super::{CdrWriter, Leg, Outcome, SynthCall};
use std::io::{self, Write};

/// Writes FreeSWITCH cdr_csv (example template).
pub struct FreeSwitch;

/// Constructor for [`super::WRITERS`].
pub fn make(_tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(FreeSwitch)
}

const TS: &str = "%Y-%m-%d %H:%M:%S";

/// The Q.850 cause FreeSWITCH writes for an outcome.
pub fn hangup_cause(o: Outcome) -> &'static str {
    match o {
        Outcome::Answered => "NORMAL_CLEARING",
        Outcome::NoAnswer => "NO_ANSWER",
        Outcome::Busy => "USER_BUSY",
        Outcome::Failed => "NO_ROUTE_DESTINATION",
    }
}

/// A deterministic UUID-shaped call id.
fn uuid(seq: u64, leg: u8) -> String {
    format!("5e1f{leg:04x}-{:04x}-4000-8000-{seq:012x}", seq >> 48)
}

impl CdrWriter for FreeSwitch {
    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let context = match c.leg {
            Leg::Inbound => "public",
            Leg::Outbound | Leg::Internal => "default",
        };
        let answer = c.answer().map(|a| a.format(TS).to_string());
        // Only a bridged call has a B-leg.
        let bleg = answer.as_ref().map(|_| uuid(c.seq, 1)).unwrap_or_default();
        writeln!(
            out,
            "\"{name}\",\"{src}\",\"{dst}\",\"{context}\",\"{start}\",\"{answer}\",\"{end}\",\"{duration}\",\"{billsec}\",\"{cause}\",\"{uuid}\",\"{bleg}\",\"\",\"PCMA\",\"PCMA\"",
            name = c.name,
            src = c.caller(),
            dst = c.callee(),
            start = c.start.format(TS),
            answer = answer.unwrap_or_default(),
            end = c.end().format(TS),
            duration = c.duration(),
            billsec = c.talk,
            cause = hangup_cause(c.outcome),
            uuid = uuid(c.seq, 0),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::import::{freeswitch, Fields, Format, Layout};

    #[test]
    fn every_row_reads_back() {
        let out = crate::synth::few_days("freeswitch", 3, 2, 50);
        let mut rdr = crate::import::cdr_reader(&out[..]);
        let mut rec = csv::ByteRecord::new();
        let mut n = 0;
        while rdr.read_byte_record(&mut rec).unwrap() {
            let f = Fields::new(&rec);
            let row = freeswitch::FreeSwitch
                .parse(&f, &Layout::default())
                .unwrap();
            freeswitch::FreeSwitch.plausible(&row).unwrap();
            n += 1;
        }
        assert!(n > 100, "{n}");
    }
}

//! Synthetic calls as a Microsoft Teams PSTN usage report (Calling Plans): the admin center's
//! 20 columns, RFC 4180 quoting, UTC ISO-8601 times, numbers in E.164. Teams lists only calls
//! to or from the public network, so internal calls are not written. Each user's UPN is
//! `<extension>@contoso.example` (a tenant whose account names are extension numbers), so the
//! importer's subject is `extension 2xx` as in every other format; the users' own numbers are
//! DIDs `+49301234<extension>`.

use super::{CdrWriter, Leg, SynthCall};
use chrono::{Duration, NaiveDateTime, TimeZone};
use std::io::{self, Write};

/// Writes the Teams PSTN usage report.
pub struct Teams {
    tz: chrono_tz::Tz,
}

/// Constructor for [`super::WRITERS`].
pub fn make(tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(Teams { tz })
}

const HEADER: &str = "UsageId,Call ID,Conference ID,User Location,AAD ObjectId,UPN,User Display Name,Caller ID,Call Type,Number Type,Domestic/International,Destination Dialed,Destination Number,Start Time,End Time,Duration Seconds,Connection Fee,Charge,Currency,Capability";

/// A German number as dialled (`030...`, `0044...`) in E.164, as Teams writes it.
fn e164(n: &str) -> String {
    if let Some(rest) = n.strip_prefix("00") {
        format!("+{rest}")
    } else if let Some(rest) = n.strip_prefix('0') {
        format!("+49{rest}")
    } else {
        n.to_string()
    }
}

/// RFC 4180: quoted only when needed.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Teams {
    /// The site-local time in UTC (the earlier reading in the autumn overlap).
    fn utc(&self, t: NaiveDateTime) -> NaiveDateTime {
        match self.tz.from_local_datetime(&t).earliest() {
            Some(d) => d.naive_utc(),
            // In the spring gap: read with the offset before the change.
            None => self
                .tz
                .from_local_datetime(&(t - Duration::hours(1)))
                .earliest()
                .map_or(t, |d| d.naive_utc() + Duration::hours(1)),
        }
    }
}

impl CdrWriter for Teams {
    fn header(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{HEADER}")
    }

    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let did = format!("+49301234{}", c.extension);
        let (call_type, caller, dest) = match c.leg {
            Leg::Internal => return Ok(()),
            Leg::Outbound => ("user_out", did, e164(&c.other)),
            Leg::Inbound => ("user_in", e164(&c.other), did),
        };
        let international = if c.leg == Leg::Outbound && !dest.starts_with("+49") {
            "International"
        } else {
            "Domestic"
        };
        let start = self.utc(c.start);
        let end = start + Duration::seconds(i64::from(c.duration()));
        const TS: &str = "%Y-%m-%dT%H:%M:%SZ";
        let name = if c.name.is_empty() {
            format!("User {}", c.extension)
        } else {
            format!("{}, {}", c.name, c.extension)
        };
        let fields = [
            format!("{:08x}-0000-4000-8000-{:012x}", c.seq, c.seq),
            format!("{:032x}", c.seq),
            String::new(),
            "DE".into(),
            format!("00000000-0000-4000-9000-{:0>12}", c.extension),
            format!("{}@contoso.example", c.extension),
            name,
            caller,
            call_type.into(),
            "user".into(),
            international.into(),
            if international == "Domestic" {
                "Germany".into()
            } else {
                String::new()
            },
            dest,
            start.format(TS).to_string(),
            end.format(TS).to_string(),
            c.talk.to_string(),
            "0".into(),
            "0".into(),
            "EUR".into(),
            "MCOPSTN1".into(),
        ];
        let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
        writeln!(out, "{}", line.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_e164_and_fields_are_quoted_when_needed() {
        assert_eq!(e164("030123"), "+4930123");
        assert_eq!(e164("0088216"), "+88216");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("x"), "x");
    }
}

//! Synthetic calls as a Cisco Unified CM CDR flat file: the 129 fields of CUCM 10.5/11.x in
//! their documented order, a line of quoted names, a line of SQL types, then one record per call
//! (strings quoted, integers bare, as the CDR Repository Manager writes them). Times are epoch
//! seconds UTC converted from the site's local time; phones are `SEP<MAC>` devices, the trunk is
//! the device named after `SynthCall::trunk`.

use super::{CdrWriter, Leg, Outcome, SynthCall};
use chrono::TimeZone;
use std::collections::HashMap;
use std::io::{self, Write};

/// Writes CUCM CDR flat files.
pub struct Cucm {
    tz: chrono_tz::Tz,
}

/// Constructor for [`super::WRITERS`].
pub fn make(tz: chrono_tz::Tz) -> Box<dyn CdrWriter> {
    Box::new(Cucm { tz })
}

/// Field names and SQL types of a CUCM 10.5/11.x CDR, in file order.
pub const COLUMNS: &[(&str, &str)] = &[
    ("cdrRecordType", "INTEGER"),
    ("globalCallID_callManagerId", "INTEGER"),
    ("globalCallID_callId", "INTEGER"),
    ("origLegCallIdentifier", "INTEGER"),
    ("dateTimeOrigination", "INTEGER"),
    ("origNodeId", "INTEGER"),
    ("origSpan", "INTEGER"),
    ("origIpAddr", "INTEGER"),
    ("callingPartyNumber", "VARCHAR(50)"),
    ("callingPartyUnicodeLoginUserID", "VARCHAR(128)"),
    ("origCause_location", "INTEGER"),
    ("origCause_value", "INTEGER"),
    ("origPrecedenceLevel", "INTEGER"),
    ("origMediaTransportAddress_IP", "INTEGER"),
    ("origMediaTransportAddress_Port", "INTEGER"),
    ("origMediaCap_payloadCapability", "INTEGER"),
    ("origMediaCap_maxFramesPerPacket", "INTEGER"),
    ("origMediaCap_g723BitRate", "INTEGER"),
    ("origVideoCap_Codec", "INTEGER"),
    ("origVideoCap_Bandwidth", "INTEGER"),
    ("origVideoCap_Resolution", "INTEGER"),
    ("origVideoTransportAddress_IP", "INTEGER"),
    ("origVideoTransportAddress_Port", "INTEGER"),
    ("origRSVPAudioStat", "INTEGER"),
    ("origRSVPVideoStat", "INTEGER"),
    ("destLegIdentifier", "INTEGER"),
    ("destNodeId", "INTEGER"),
    ("destSpan", "INTEGER"),
    ("destIpAddr", "INTEGER"),
    ("originalCalledPartyNumber", "VARCHAR(50)"),
    ("finalCalledPartyNumber", "VARCHAR(50)"),
    ("finalCalledPartyUnicodeLoginUserID", "VARCHAR(128)"),
    ("destCause_location", "INTEGER"),
    ("destCause_value", "INTEGER"),
    ("destPrecedenceLevel", "INTEGER"),
    ("destMediaTransportAddress_IP", "INTEGER"),
    ("destMediaTransportAddress_Port", "INTEGER"),
    ("destMediaCap_payloadCapability", "INTEGER"),
    ("destMediaCap_maxFramesPerPacket", "INTEGER"),
    ("destMediaCap_g723BitRate", "INTEGER"),
    ("destVideoCap_Codec", "INTEGER"),
    ("destVideoCap_Bandwidth", "INTEGER"),
    ("destVideoCap_Resolution", "INTEGER"),
    ("destVideoTransportAddress_IP", "INTEGER"),
    ("destVideoTransportAddress_Port", "INTEGER"),
    ("destRSVPAudioStat", "INTEGER"),
    ("destRSVPVideoStat", "INTEGER"),
    ("dateTimeConnect", "INTEGER"),
    ("dateTimeDisconnect", "INTEGER"),
    ("lastRedirectDn", "VARCHAR(50)"),
    ("pkid", "UNIQUEIDENTIFIER"),
    ("originalCalledPartyNumberPartition", "VARCHAR(50)"),
    ("callingPartyNumberPartition", "VARCHAR(50)"),
    ("finalCalledPartyNumberPartition", "VARCHAR(50)"),
    ("lastRedirectDnPartition", "VARCHAR(50)"),
    ("duration", "INTEGER"),
    ("origDeviceName", "VARCHAR(129)"),
    ("destDeviceName", "VARCHAR(129)"),
    ("origCallTerminationOnBehalfOf", "INTEGER"),
    ("destCallTerminationOnBehalfOf", "INTEGER"),
    ("origCalledPartyRedirectOnBehalfOf", "INTEGER"),
    ("lastRedirectRedirectOnBehalfOf", "INTEGER"),
    ("origCalledPartyRedirectReason", "INTEGER"),
    ("lastRedirectRedirectReason", "INTEGER"),
    ("destConversationId", "INTEGER"),
    ("globalCallId_ClusterID", "VARCHAR(50)"),
    ("joinOnBehalfOf", "INTEGER"),
    ("comment", "VARCHAR(2048)"),
    ("authCodeDescription", "VARCHAR(50)"),
    ("authorizationLevel", "INTEGER"),
    ("clientMatterCode", "VARCHAR(50)"),
    ("origDTMFMethod", "INTEGER"),
    ("destDTMFMethod", "INTEGER"),
    ("callSecuredStatus", "INTEGER"),
    ("origConversationId", "INTEGER"),
    ("origMediaCap_Bandwidth", "INTEGER"),
    ("destMediaCap_Bandwidth", "INTEGER"),
    ("authorizationCodeValue", "VARCHAR(50)"),
    ("outpulsedCallingPartyNumber", "VARCHAR(50)"),
    ("outpulsedCalledPartyNumber", "VARCHAR(50)"),
    ("origIpv4v6Addr", "VARCHAR(64)"),
    ("destIpv4v6Addr", "VARCHAR(64)"),
    ("origVideoCap_Codec_Channel2", "INTEGER"),
    ("origVideoCap_Bandwidth_Channel2", "INTEGER"),
    ("origVideoCap_Resolution_Channel2", "INTEGER"),
    ("origVideoTransportAddress_IP_Channel2", "INTEGER"),
    ("origVideoTransportAddress_Port_Channel2", "INTEGER"),
    ("origVideoChannel_Role_Channel2", "INTEGER"),
    ("destVideoCap_Codec_Channel2", "INTEGER"),
    ("destVideoCap_Bandwidth_Channel2", "INTEGER"),
    ("destVideoCap_Resolution_Channel2", "INTEGER"),
    ("destVideoTransportAddress_IP_Channel2", "INTEGER"),
    ("destVideoTransportAddress_Port_Channel2", "INTEGER"),
    ("destVideoChannel_Role_Channel2", "INTEGER"),
    ("IncomingProtocolID", "INTEGER"),
    ("IncomingProtocolCallRef", "VARCHAR(32)"),
    ("OutgoingProtocolID", "INTEGER"),
    ("OutgoingProtocolCallRef", "VARCHAR(32)"),
    ("currentRoutingReason", "INTEGER"),
    ("origRoutingReason", "INTEGER"),
    ("lastRedirectingRoutingReason", "INTEGER"),
    ("huntPilotPartition", "VARCHAR(50)"),
    ("huntPilotDN", "VARCHAR(50)"),
    ("calledPartyPatternUsage", "INTEGER"),
    ("IncomingICID", "VARCHAR(50)"),
    ("IncomingOrigIOI", "VARCHAR(50)"),
    ("IncomingTermIOI", "VARCHAR(50)"),
    ("OutgoingICID", "VARCHAR(50)"),
    ("OutgoingOrigIOI", "VARCHAR(50)"),
    ("OutgoingTermIOI", "VARCHAR(50)"),
    ("outpulsedOriginalCalledPartyNumber", "VARCHAR(50)"),
    ("outpulsedLastRedirectingNumber", "VARCHAR(50)"),
    ("wasCallQueued", "INTEGER"),
    ("totalWaitTimeInQueue", "INTEGER"),
    ("callingPartyNumber_uri", "VARCHAR(254)"),
    ("originalCalledPartyNumber_uri", "VARCHAR(254)"),
    ("finalCalledPartyNumber_uri", "VARCHAR(254)"),
    ("lastRedirectDn_uri", "VARCHAR(254)"),
    ("mobileCallingPartyNumber", "VARCHAR(50)"),
    ("finalMobileCalledPartyNumber", "VARCHAR(50)"),
    ("origMobileDeviceName", "VARCHAR(50)"),
    ("destMobileDeviceName", "VARCHAR(50)"),
    ("origMobileCallDuration", "INTEGER"),
    ("destMobileCallDuration", "INTEGER"),
    ("mobileCallType", "INTEGER"),
    ("originalCalledPartyPattern", "VARCHAR(50)"),
    ("finalCalledPartyPattern", "VARCHAR(50)"),
    ("lastRedirectingPartyPattern", "VARCHAR(50)"),
    ("huntPilotPattern", "VARCHAR(50)"),
];

/// The phone of an extension: `SEP` and a MAC made of the extension's digits.
fn phone(extension: &str) -> String {
    format!("SEP00AA{:0>8}", extension)
}

/// (origCause_value, destCause_value) as CUCM writes them for each outcome.
fn causes(o: Outcome) -> (u32, u32) {
    match o {
        Outcome::Answered => (16, 0),
        // The caller gave up while it rang.
        Outcome::NoAnswer => (16, 0),
        Outcome::Busy => (0, 17),
        // Unallocated number.
        Outcome::Failed => (0, 1),
    }
}

impl Cucm {
    /// UTC epoch seconds of a site-local time (the earlier reading in the autumn overlap).
    fn epoch(&self, t: chrono::NaiveDateTime) -> i64 {
        self.tz
            .from_local_datetime(&t)
            .earliest()
            .map(|d| d.timestamp())
            // In the spring gap: the offset before the change, as a clock not yet jumped.
            .unwrap_or_else(|| {
                let before = t - chrono::Duration::hours(1);
                self.tz
                    .from_local_datetime(&before)
                    .earliest()
                    .map_or(t.and_utc().timestamp(), |d| d.timestamp() + 3600)
            })
    }
}

impl CdrWriter for Cucm {
    fn header(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let names: Vec<String> = COLUMNS.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let types: Vec<String> = COLUMNS.iter().map(|(_, t)| format!("\"{t}\"")).collect();
        writeln!(out, "{}", names.join(","))?;
        writeln!(out, "{}", types.join(","))
    }

    fn call(&mut self, c: &SynthCall, out: &mut dyn Write) -> io::Result<()> {
        let start = self.epoch(c.start);
        let connect = c.answer().map(|_| start + i64::from(c.ring));
        let end = start + i64::from(c.duration());
        let (orig_cause, dest_cause) = causes(c.outcome);
        let (orig_dev, dest_dev) = match c.leg {
            Leg::Outbound => (phone(&c.extension), c.trunk.to_string()),
            Leg::Inbound => (c.trunk.to_string(), phone(&c.extension)),
            Leg::Internal => (phone(&c.extension), phone(&c.other)),
        };
        let partition = |n: &str| {
            if n.len() <= 4 {
                "PT_Internal"
            } else {
                ""
            }
        };
        let seq = c.seq.to_string();
        let mut v: HashMap<&str, String> = HashMap::new();
        let mut set = |k: &'static str, val: String| {
            v.insert(k, val);
        };
        set("cdrRecordType", "1".into());
        set("globalCallID_callManagerId", "1".into());
        set("globalCallID_callId", seq.clone());
        set(
            "origLegCallIdentifier",
            (16_777_216 + c.seq * 2).to_string(),
        );
        set("destLegIdentifier", (16_777_217 + c.seq * 2).to_string());
        set("dateTimeOrigination", start.to_string());
        set("origNodeId", "1".into());
        set("destNodeId", "1".into());
        set("callingPartyNumber", c.caller().to_string());
        set(
            "callingPartyUnicodeLoginUserID",
            c.name.to_ascii_lowercase(),
        );
        set("origCause_location", "0".into());
        set("origCause_value", orig_cause.to_string());
        set("originalCalledPartyNumber", c.callee().to_string());
        set("finalCalledPartyNumber", c.callee().to_string());
        set("destCause_value", dest_cause.to_string());
        set("dateTimeConnect", connect.unwrap_or(0).to_string());
        set("dateTimeDisconnect", end.to_string());
        set("pkid", format!("00000000-0000-4000-8000-{:012x}", c.seq));
        set("callingPartyNumberPartition", partition(c.caller()).into());
        set(
            "originalCalledPartyNumberPartition",
            partition(c.callee()).into(),
        );
        set(
            "finalCalledPartyNumberPartition",
            partition(c.callee()).into(),
        );
        set("duration", c.talk.to_string());
        set("origDeviceName", orig_dev);
        set("destDeviceName", dest_dev);
        set("globalCallId_ClusterID", "StandAloneCluster".into());
        if c.leg == Leg::Outbound {
            set("outpulsedCalledPartyNumber", c.other.clone());
        }
        let fields: Vec<String> = COLUMNS
            .iter()
            .map(|(name, ty)| {
                let val = v.get(name).cloned();
                if ty.starts_with("INTEGER") {
                    val.unwrap_or_else(|| "0".into())
                } else {
                    format!("\"{}\"", val.unwrap_or_default())
                }
            })
            .collect();
        writeln!(out, "{}", fields.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_the_129_fields_of_cucm_11() {
        assert_eq!(COLUMNS.len(), 129);
        assert_eq!(COLUMNS[0].0, "cdrRecordType");
        assert_eq!(COLUMNS[128].0, "huntPilotPattern");
    }
}

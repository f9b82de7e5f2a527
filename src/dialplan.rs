//! The site's dial plan: which channels are extensions or trunks, and from that each call's
//! direction, trunk and subject.
//!
//! Asterisk-family CDRs do not say "outbound" or "inbound"; it is inferred from the channels:
//! - a channel peer (`PJSIP/201-0000001a` → `201`) that matches the extension pattern is a phone;
//! - a peer that matches `[site] trunks`, a DAHDI/Zap line, or any other named SIP/IAX peer that
//!   is not an extension (`PJSIP/telekom-...`) is a trunk;
//! - `Local/NUMBER@context` channels (follow-me, ring groups) count as external when NUMBER is a
//!   full external number.
//!
//! Then: trunk in and trunk out = forwarded (trunk-to-trunk relay: the classic diversion fraud);
//! trunk in (or an inbound context) = inbound; extension to trunk = outbound; extension to
//! extension = internal. A row without a destination channel (a failed attempt) is judged by the
//! dialled number.

use crate::call::{Direction, SubjectKind};
use crate::channel_name::ChannelName;
use crate::config::{GlobPattern, SiteSettings, SubjectBy};
use crate::text::FastTrim;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

/// What one channel string is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind<'a> {
    /// No channel.
    None,
    /// A phone of the PBX, with its extension.
    Extension(&'a str),
    /// A trunk, with its peer name.
    Trunk(&'a str),
    /// `Local/NUMBER@context`: NUMBER and whether it is an external number.
    Local(&'a str, bool),
    /// Anything else (parking, message channels, voicemail, queues, unknown technologies).
    Other(&'a str),
    /// A party on the public network, named by its number, with no trunk known (formats that
    /// say "external" instead of naming a channel).
    External(&'a str),
}

/// One end of a call as an importer describes it.
///
/// The Asterisk family names channels, which the dial plan judges ([`Party::Channel`]). Other
/// PBXs say outright what a party is (3CX `Ext.201`, Avaya `E201`/`T9001`, Teams call types),
/// or give only a number, which the dial plan judges by the extension pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Party<'a> {
    /// Judge the row's channel string (`channel` for the origin, `dst_channel` for the target).
    #[default]
    Channel,
    /// A phone or user of the PBX, with its extension (or user name).
    Extension(&'a str),
    /// A trunk, line or gateway, with its name.
    Trunk(&'a str),
    /// A party on the public network, with its number.
    External(&'a str),
    /// Only a number is known: an extension if it fits the pattern, external if it is a full
    /// number, else unknown.
    Number(&'a str),
    /// Something of the PBX that is neither phone nor trunk: voicemail, queue, IVR, park.
    Other(&'a str),
    /// No party (a failed attempt before a target existed).
    None,
}

/// Dial plan knowledge of one site.
#[derive(Debug, Clone)]
pub struct DialPlan {
    extension: Regex,
    /// The extension pattern's length bounds when it is a plain `^[0-9]{a,b}$` (the default):
    /// then a digit check stands in for the regex, which runs several times a row.
    extension_digits: Option<(usize, usize)>,
    trunks: GlobSet,
    inbound: GlobSet,
    subject_by: SubjectBy,
}

/// A call's direction, trunk and subject as decided from one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing<'a> {
    /// Direction.
    pub direction: Direction,
    /// The trunk used (empty if none).
    pub trunk: &'a str,
    /// Subject kind.
    pub subject_kind: SubjectKind,
    /// Subject name.
    pub subject: &'a str,
    /// The originating channel without its per-call suffix ([`ChannelName::base`]).
    pub channel: &'a str,
    /// The destination channel without its per-call suffix.
    pub dst_channel: &'a str,
}

/// Fields of a row the dial plan looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowChannels<'a> {
    /// Caller number.
    pub src: &'a str,
    /// Dialled number.
    pub dst: &'a str,
    /// Destination context.
    pub context: &'a str,
    /// Originating channel.
    pub channel: &'a str,
    /// Destination channel.
    pub dst_channel: &'a str,
    /// Account code.
    pub account: &'a str,
    /// The origin as the format describes it (default: judge `channel`).
    pub from: Party<'a>,
    /// The target as the format describes it (default: judge `dst_channel`).
    pub to: Party<'a>,
}

fn globset(patterns: &[GlobPattern], what: &str) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g =
            Glob::new(&p.0).map_err(|e| format!("[site] {what}: bad pattern `{}`: {e}", p.0))?;
        b.add(g);
    }
    b.build().map_err(|e| format!("[site] {what}: {e}"))
}

/// `Some((a, b))` when `pattern` is exactly `^[0-9]{a,b}$` or `^[0-9]{a}$`: strings of `a` to `b`
/// ASCII digits. Anything else (`\\d` included: it matches every script's digits) is `None`.
fn digit_range(pattern: &str) -> Option<(usize, usize)> {
    let inner = pattern.strip_prefix("^[0-9]{")?.strip_suffix("}$")?;
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
        None => {
            let n = inner.parse().ok()?;
            (n, n)
        }
    };
    (lo <= hi).then_some((lo, hi))
}

/// `set.is_match(s)`, without asking an empty set (the default for trunks): it matches
/// nothing, but globset parses the candidate path first, several times a row.
fn any_match(set: &GlobSet, s: &str) -> bool {
    !set.is_empty() && set.is_match(s)
}

/// A trunk name for reports, when the format named none.
fn or_unknown_trunk(trunk: &str) -> &str {
    if trunk.is_empty() {
        "(unnamed trunk)"
    } else {
        trunk
    }
}

/// What a channel's technology (the part before `/`) says about the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tech {
    /// `Local`: a dial-plan loop, judged by its number.
    Local,
    /// Always a line to the outside: DAHDI, Zap, mISDN, Khomp, lcr, Console.
    Line,
    /// A peer of a VoIP or device protocol (SIP, PJSIP, IAX2, H323, OOH323, MGCP, SCCP,
    /// Skinny, UNISTIM, Motif, WebRTC): an extension when the peer looks like one, else a
    /// trunk.
    Peer,
    /// Anything else.
    Other,
}

/// The [`Tech`] of a channel technology name, case-insensitively. A lower-cased copy on the
/// stack and one `match`: this runs twice a row, and scanning the name lists with
/// `eq_ignore_ascii_case` cost about 150 instructions a channel.
fn tech_kind(tech: &str) -> Tech {
    /// A name's length and its bytes as a word ([`crate::text::le_word`]).
    const fn key(name: &[u8]) -> (usize, u64) {
        let mut w = 0u64;
        let mut i = name.len();
        while i > 0 {
            i -= 1;
            w = w << 8 | name[i] as u64;
        }
        (name.len(), w)
    }
    const LOCAL: (usize, u64) = key(b"local");
    const DAHDI: (usize, u64) = key(b"dahdi");
    const ZAP: (usize, u64) = key(b"zap");
    const MISDN: (usize, u64) = key(b"misdn");
    const KHOMP: (usize, u64) = key(b"khomp");
    const LCR: (usize, u64) = key(b"lcr");
    const CONSOLE: (usize, u64) = key(b"console");
    const SIP: (usize, u64) = key(b"sip");
    const PJSIP: (usize, u64) = key(b"pjsip");
    const IAX2: (usize, u64) = key(b"iax2");
    const H323: (usize, u64) = key(b"h323");
    const OOH323: (usize, u64) = key(b"ooh323");
    const MGCP: (usize, u64) = key(b"mgcp");
    const SCCP: (usize, u64) = key(b"sccp");
    const SKINNY: (usize, u64) = key(b"skinny");
    const UNISTIM: (usize, u64) = key(b"unistim");
    const MOTIF: (usize, u64) = key(b"motif");
    const WEBRTC: (usize, u64) = key(b"webrtc");
    let b = tech.as_bytes();
    if b.len() > 8 {
        return Tech::Other; // longer than any name below
    }
    // One word, made small at once: lowering a copy byte by byte and matching the slice cost
    // about 55 instructions a channel, two channels a row.
    let word = crate::text::ascii_lower_word(crate::text::le_word(b));
    match (b.len(), word) {
        LOCAL => Tech::Local,
        DAHDI | ZAP | MISDN | KHOMP | LCR | CONSOLE => Tech::Line,
        SIP | PJSIP | IAX2 | H323 | OOH323 | MGCP | SCCP | SKINNY | UNISTIM | MOTIF | WEBRTC => {
            Tech::Peer
        }
        _ => Tech::Other,
    }
}

impl DialPlan {
    /// Builds the dial plan from `[site]`.
    pub fn new(site: &SiteSettings) -> Result<Self, String> {
        Ok(DialPlan {
            extension: site.extension_pattern.0.clone(),
            extension_digits: digit_range(site.extension_pattern.0.as_str()),
            trunks: globset(&site.trunks, "trunks")?,
            inbound: globset(&site.inbound_contexts, "inbound_contexts")?,
            subject_by: site.subject_by,
        })
    }

    /// True when `s` looks like an extension.
    pub fn is_extension(&self, s: &str) -> bool {
        match self.extension_digits {
            Some((lo, hi)) => {
                (lo..=hi).contains(&s.len())
                    && !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
            }
            None => !s.is_empty() && self.extension.is_match(s),
        }
    }

    /// True when `s` is a full external number (digits, longer than an extension).
    pub fn is_external_number(&self, s: &str) -> bool {
        let d = s.trim_start_matches('+');
        d.len() >= 7 && d.bytes().all(|b| b.is_ascii_digit()) && !self.is_extension(s)
    }

    /// Classifies one channel string.
    pub fn channel<'a>(&self, channel: &'a str) -> ChannelKind<'a> {
        self.channel_name(&ChannelName::of(channel))
    }

    /// [`DialPlan::channel`] of a channel already taken apart (a row takes each of its
    /// channels apart once: its base is kept per call).
    fn channel_name<'a>(&self, c: &ChannelName<'a>) -> ChannelKind<'a> {
        if c.trimmed.is_empty() {
            return ChannelKind::None;
        }
        let peer = c.peer;
        let kind = tech_kind(c.tech);
        if kind == Tech::Local {
            return ChannelKind::Local(peer, self.is_external_number(peer));
        }
        if any_match(&self.trunks, c.trimmed) || any_match(&self.trunks, peer) {
            return ChannelKind::Trunk(peer);
        }
        if kind == Tech::Line {
            return ChannelKind::Trunk(peer);
        }
        if self.is_extension(peer) {
            return ChannelKind::Extension(peer);
        }
        if kind == Tech::Peer && !peer.is_empty() {
            return ChannelKind::Trunk(peer);
        }
        ChannelKind::Other(peer)
    }

    /// The external number a forwarded call was relayed to: the dialled number if it is one,
    /// else the number in a `Local/NUMBER@...` destination channel, else the first external
    /// number among the `Dial()` targets in `lastdata` (`PJSIP/0044...@trunk`,
    /// `SIP/trunk/0044...`, `Local/0044...@from-internal`). Falls back to the dialled number.
    pub fn relayed_to<'a>(&self, dst: &'a str, dst_channel: &'a str, lastdata: &'a str) -> &'a str {
        if self.is_external_number(dst) {
            return dst;
        }
        if let ChannelKind::Local(n, true) = self.channel(dst_channel) {
            return n;
        }
        let targets = lastdata.split([',', '|']).next().unwrap_or("");
        for target in targets.split('&') {
            let resource = target.split_once('/').map(|(_, r)| r).unwrap_or(target);
            for part in resource.split(['/', '@', ';']) {
                if self.is_external_number(part) {
                    return part;
                }
            }
        }
        dst
    }

    /// True when `context` is an inbound (from-the-outside) context.
    pub fn is_inbound_context(&self, context: &str) -> bool {
        !context.is_empty() && any_match(&self.inbound, context)
    }

    /// What a [`Party`] is, judging channel strings (taken apart by the caller: their bases
    /// are kept per call) and bare numbers with the dial plan.
    fn party<'a>(&self, p: Party<'a>, channel: &ChannelName<'a>) -> ChannelKind<'a> {
        match p {
            Party::Channel => self.channel_name(channel),
            Party::Extension(e) => ChannelKind::Extension(e),
            Party::Trunk(t) => ChannelKind::Trunk(t),
            Party::External(n) => ChannelKind::External(n),
            Party::Other(o) => ChannelKind::Other(o),
            Party::None => ChannelKind::None,
            Party::Number(n) => {
                let n = n.trim_fast();
                if n.is_empty() {
                    ChannelKind::None
                } else if self.is_extension(n) {
                    ChannelKind::Extension(n)
                } else if self.is_external_number(n) {
                    ChannelKind::External(n)
                } else {
                    ChannelKind::Other(n)
                }
            }
        }
    }

    /// Direction, trunk and subject of one row, and its channels without their per-call
    /// suffixes.
    pub fn route<'a>(&self, r: &RowChannels<'a>) -> Routing<'a> {
        let (channel, dst_channel) = (ChannelName::of(r.channel), ChannelName::of(r.dst_channel));
        let a = self.party(r.from, &channel);
        let b = self.party(r.to, &dst_channel);
        let from_outside = match a {
            ChannelKind::Trunk(_) | ChannelKind::External(_) => true,
            ChannelKind::Extension(_) => false,
            ChannelKind::Local(_, _) => false,
            _ => self.is_inbound_context(r.context),
        };
        let to_outside = match b {
            ChannelKind::Trunk(_) | ChannelKind::External(_) => true,
            ChannelKind::Local(_, external) => external,
            ChannelKind::None => {
                // Failed before a channel was created: the dialled number decides.
                !from_outside && self.is_external_number(r.dst)
            }
            _ => false,
        };
        let trunk_of = |k: &ChannelKind<'a>| match k {
            ChannelKind::Trunk(p) => *p,
            _ => "",
        };
        let (direction, trunk) = match (from_outside, to_outside) {
            (true, true) => (Direction::Forwarded, trunk_of(&b)),
            (true, false) => (Direction::Inbound, trunk_of(&a)),
            (false, true) => (Direction::Outbound, trunk_of(&b)),
            (false, false) => match (&a, &b) {
                (ChannelKind::Extension(_) | ChannelKind::Local(..), _) => {
                    (Direction::Internal, "")
                }
                (_, ChannelKind::Extension(_)) => (Direction::Internal, ""),
                _ if self.is_external_number(r.dst) => (Direction::Outbound, ""),
                _ => (Direction::Unknown, ""),
            },
        };
        let (subject_kind, subject) = self.subject(r, &a, direction, trunk);
        Routing {
            direction,
            trunk,
            subject_kind,
            subject,
            channel: channel.base,
            dst_channel: dst_channel.base,
        }
    }

    fn subject<'a>(
        &self,
        r: &RowChannels<'a>,
        a: &ChannelKind<'a>,
        direction: Direction,
        trunk: &'a str,
    ) -> (SubjectKind, &'a str) {
        if self.subject_by == SubjectBy::Account && !r.account.is_empty() {
            return (SubjectKind::Account, r.account);
        }
        let ext_of_src = || match a {
            ChannelKind::Extension(p) => Some(*p),
            ChannelKind::Local(n, false) if self.is_extension(n) => Some(*n),
            _ => self.is_extension(r.src).then_some(r.src),
        };
        match direction {
            Direction::Outbound | Direction::Internal | Direction::Unknown => match ext_of_src() {
                Some(e) => (SubjectKind::Extension, e),
                None => match a {
                    ChannelKind::Trunk(p) => (SubjectKind::Trunk, *p),
                    ChannelKind::Other(p) if !p.is_empty() => (SubjectKind::Unknown, *p),
                    _ if !r.src.is_empty() => (SubjectKind::Unknown, r.src),
                    _ => (SubjectKind::Unknown, "(none)"),
                },
            },
            // Forwarding is charged to whoever forwards: the extension or DID that was called.
            Direction::Forwarded => {
                if self.is_extension(r.dst) {
                    (SubjectKind::Extension, r.dst)
                } else if let ChannelKind::Trunk(p) = a {
                    (SubjectKind::Trunk, *p)
                } else {
                    (SubjectKind::Trunk, or_unknown_trunk(trunk))
                }
            }
            Direction::Inbound => {
                if self.is_extension(r.dst) {
                    (SubjectKind::Extension, r.dst)
                } else {
                    (SubjectKind::Trunk, or_unknown_trunk(trunk))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> DialPlan {
        DialPlan::new(&SiteSettings::default()).unwrap()
    }

    fn route(
        channel: &str,
        dst_channel: &str,
        dst: &str,
        context: &str,
    ) -> (Direction, String, String) {
        let p = plan();
        let r = p.route(&RowChannels {
            src: "201",
            dst,
            context,
            channel,
            dst_channel,
            account: "",
            ..Default::default()
        });
        (
            r.direction,
            r.trunk.to_string(),
            format!("{:?} {}", r.subject_kind, r.subject),
        )
    }

    #[test]
    fn technology_names_are_matched_in_any_case_and_nothing_else() {
        // The names as the lists said them before the `match`, compared case-insensitively.
        const LOCAL: &[&str] = &["Local"];
        const LINE: &[&str] = &["DAHDI", "Zap", "mISDN", "Khomp", "lcr", "Console"];
        const PEER: &[&str] = &[
            "SIP", "PJSIP", "IAX2", "H323", "OOH323", "MGCP", "SCCP", "Skinny", "UNISTIM", "Motif",
            "WebRTC",
        ];
        let reference = |t: &str| {
            let is = |list: &[&str]| list.iter().any(|n| t.eq_ignore_ascii_case(n));
            if is(LOCAL) {
                Tech::Local
            } else if is(LINE) {
                Tech::Line
            } else if is(PEER) {
                Tech::Peer
            } else {
                Tech::Other
            }
        };
        let mut names: Vec<String> = Vec::new();
        for n in LOCAL.iter().chain(LINE).chain(PEER) {
            names.push(n.to_string());
            names.push(n.to_lowercase());
            names.push(n.to_uppercase());
            names.push(format!("{n}x"));
            names.push(n[1..].to_string());
            names.push(format!(" {n}"));
        }
        names.extend(
            [
                "", "s", "SIP2", "PJSIPX", "Consoles", "Lo", "IAX", "ŁOCAL", "sİp", "UNISTIMS",
            ]
            .map(String::from),
        );
        // Each name with one byte changed to any ASCII byte (capitals, `@`, `[`, control
        // bytes, NUL), and with a NUL added: only the name's own letters, in either case, are
        // the name.
        for n in LOCAL.iter().chain(LINE).chain(PEER) {
            for at in 0..n.len() {
                for v in 0u8..128 {
                    let mut b = n.as_bytes().to_vec();
                    b[at] = v;
                    names.push(String::from_utf8(b).expect("ASCII"));
                }
            }
            names.push(format!("{n}\0"));
        }
        for t in &names {
            assert_eq!(tech_kind(t), reference(t), "{t:?}");
        }
    }

    #[test]
    fn channels_are_recognized() {
        let p = plan();
        assert_eq!(
            p.channel("PJSIP/201-0000001a"),
            ChannelKind::Extension("201")
        );
        assert_eq!(
            p.channel("SIP/telekom-0000001b"),
            ChannelKind::Trunk("telekom")
        );
        assert_eq!(
            p.channel("PJSIP/my-trunk-0000001b"),
            ChannelKind::Trunk("my-trunk")
        );
        assert_eq!(p.channel("DAHDI/1-1"), ChannelKind::Trunk("1"));
        assert_eq!(
            p.channel("Local/201@from-internal-00000a;1"),
            ChannelKind::Local("201", false)
        );
        assert_eq!(
            p.channel("Local/00442079460000@from-internal-0a;2"),
            ChannelKind::Local("00442079460000", true)
        );
        assert_eq!(p.channel(""), ChannelKind::None);
    }

    #[test]
    fn plain_digit_patterns_skip_the_regex_and_agree_with_it() {
        assert_eq!(digit_range("^[0-9]{2,6}$"), Some((2, 6)));
        assert_eq!(digit_range("^[0-9]{3}$"), Some((3, 3)));
        for other in [
            "^\\d{2,6}$",
            "^[0-9]{2,}$",
            "^[0-9]{6,2}$",
            "^[1-9][0-9]{2}$",
            "[0-9]{3}",
        ] {
            assert_eq!(digit_range(other), None, "{other}");
        }
        let fast = plan();
        assert!(fast.extension_digits.is_some());
        let slow = DialPlan {
            extension_digits: None,
            ..fast.clone()
        };
        for s in [
            "", "1", "12", "201", "123456", "1234567", "12a", "+4930", "٣٤٥", " 201", "201\n",
        ] {
            assert_eq!(fast.is_extension(s), slow.is_extension(s), "{s:?}");
        }
    }

    #[test]
    fn channel_suffixes_are_dropped() {
        let channel_base = |c| ChannelName::of(c).base;
        assert_eq!(channel_base("PJSIP/201-0000001a"), "PJSIP/201");
        assert_eq!(channel_base("SIP/my-trunk-0000a1b2"), "SIP/my-trunk");
        assert_eq!(
            channel_base("Local/201@from-internal-00000a1b;1"),
            "Local/201@from-internal"
        );
        assert_eq!(channel_base("DAHDI/1-1"), "DAHDI/1");
        assert_eq!(channel_base("SIP/provider-xyz"), "SIP/provider-xyz");
        assert_eq!(channel_base("PJSIP/201"), "PJSIP/201");
        assert_eq!(channel_base(""), "");
        // And the peer is judged without the suffix, or whole when there is none.
        assert_eq!(
            plan().channel("SIP/provider-xyz"),
            ChannelKind::Trunk("provider-xyz")
        );
    }

    #[test]
    fn directions_follow_the_channels() {
        let out = route(
            "PJSIP/201-01",
            "PJSIP/telekom-02",
            "00442079460000",
            "from-internal",
        );
        assert_eq!(
            out,
            (
                Direction::Outbound,
                "telekom".into(),
                "Extension 201".into()
            )
        );
        let int = route("PJSIP/201-01", "PJSIP/202-02", "202", "from-internal");
        assert_eq!(int.0, Direction::Internal);
        let inb = route("PJSIP/telekom-01", "PJSIP/202-02", "202", "from-trunk");
        assert_eq!(
            inb,
            (Direction::Inbound, "telekom".into(), "Extension 202".into())
        );
        let fwd = route("PJSIP/telekom-01", "PJSIP/telekom-02", "202", "from-trunk");
        assert_eq!(
            fwd,
            (
                Direction::Forwarded,
                "telekom".into(),
                "Extension 202".into()
            )
        );
        let follow_me = route(
            "PJSIP/telekom-01",
            "Local/0088216123456@from-internal-1;1",
            "202",
            "ext-local",
        );
        assert_eq!(follow_me.0, Direction::Forwarded);
        // A failed attempt with no destination channel: decided by the number.
        assert_eq!(
            route("PJSIP/201-01", "", "0088216123456", "from-internal").0,
            Direction::Outbound
        );
        assert_eq!(
            route("PJSIP/201-01", "", "205", "from-internal").0,
            Direction::Internal
        );
        assert_eq!(
            route("PJSIP/201-01", "", "*97", "from-internal").0,
            Direction::Internal
        );
    }

    #[test]
    fn forwarded_calls_are_priced_on_the_relay_target() {
        let p = plan();
        assert_eq!(
            p.relayed_to("210", "PJSIP/telekom-04", "PJSIP/0088216123456@telekom,60"),
            "0088216123456"
        );
        assert_eq!(
            p.relayed_to("210", "SIP/telekom-04", "SIP/telekom/004420794600,30,tT"),
            "004420794600"
        );
        assert_eq!(
            p.relayed_to("210", "Local/0088216123456@from-internal-1;1", ""),
            "0088216123456"
        );
        assert_eq!(p.relayed_to("0088216123456", "", ""), "0088216123456");
        assert_eq!(
            p.relayed_to("210", "PJSIP/telekom-04", "PJSIP/205&PJSIP/206,20"),
            "210"
        );
    }

    #[test]
    fn configured_trunks_and_inbound_contexts() {
        let s = SiteSettings {
            trunks: vec!["PJSIP/4930*".into()],
            ..Default::default()
        };
        let p = DialPlan::new(&s).unwrap();
        // A trunk whose peer name is all digits (a provider account number) would look like an
        // extension without the pattern.
        assert_eq!(
            p.channel("PJSIP/4930555-0001"),
            ChannelKind::Trunk("4930555")
        );
        assert!(p.is_inbound_context("from-trunk-telekom"));
        assert!(!p.is_inbound_context("from-internal"));
    }

    #[test]
    fn account_subjects_when_asked() {
        let s = SiteSettings {
            subject_by: SubjectBy::Account,
            ..Default::default()
        };
        let p = DialPlan::new(&s).unwrap();
        let r = p.route(&RowChannels {
            src: "201",
            dst: "0301234567",
            context: "from-internal",
            channel: "PJSIP/201-1",
            dst_channel: "PJSIP/telekom-2",
            account: "sales",
            ..Default::default()
        });
        assert_eq!((r.subject_kind, r.subject), (SubjectKind::Account, "sales"));
    }
}

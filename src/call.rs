//! The normalized call: the one type every importer produces and every rule reads.
//!
//! A [`Call`] is compact (about 80 bytes): strings are interned [`Sym`]s, times are UTC seconds,
//! answer and end are derived from start + duration + billable seconds (which is also what makes
//! them correct across DST changes). The [`CallTable`] owns the calls together with the interner,
//! the subject table, the list of source files and the per-number classification table.

use crate::ids::{IdRef, IdStore};
use crate::intern::{Interner, Sym};
use crate::number::NumberInfo;
use crate::text::FastTrim;
use serde::{Deserialize, Serialize};

/// Which way a call went, seen from the PBX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From an extension (or an unknown source) out through a trunk to an external number.
    Outbound,
    /// From a trunk to an extension, queue, voicemail...
    Inbound,
    /// Between extensions.
    Internal,
    /// Came in on a trunk and left again on a trunk: forwarding, follow-me, trunk-to-trunk relay.
    Forwarded,
    /// Could not be decided from the row.
    Unknown,
}

impl Direction {
    /// True when the call left the PBX towards the public network (and so can cost money).
    pub fn is_external_out(self) -> bool {
        matches!(self, Direction::Outbound | Direction::Forwarded)
    }

    /// Stable lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
            Direction::Internal => "internal",
            Direction::Forwarded => "forwarded",
            Direction::Unknown => "unknown",
        }
    }
}

/// How the call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Answered (billable seconds may still be 0).
    Answered,
    /// Rang, nobody answered.
    NoAnswer,
    /// Called party busy.
    Busy,
    /// Failed: no route, rejected, invalid number.
    Failed,
    /// Network congestion.
    Congestion,
    /// Caller hung up before answer (Asterisk CANCEL).
    Cancelled,
    /// A value we do not know.
    #[default]
    Unknown,
}

impl Disposition {
    /// Parses Asterisk dispositions (`ANSWERED`, `NO ANSWER`, ...), case-insensitively.
    pub fn parse_asterisk(s: &str) -> Disposition {
        let s = s.trim_fast();
        // The spellings Asterisk writes, compared exactly first (one length check and one
        // memcmp); other cases and spellings go through the case-insensitive list.
        match s {
            "ANSWERED" => return Disposition::Answered,
            "NO ANSWER" => return Disposition::NoAnswer,
            "BUSY" => return Disposition::Busy,
            "FAILED" => return Disposition::Failed,
            _ => {}
        }
        let eq = |t: &str| s.eq_ignore_ascii_case(t);
        if eq("ANSWERED") || eq("ANSWER") {
            Disposition::Answered
        } else if eq("NO ANSWER") || eq("NOANSWER") {
            Disposition::NoAnswer
        } else if eq("BUSY") {
            Disposition::Busy
        } else if eq("FAILED") {
            Disposition::Failed
        } else if eq("CONGESTION") {
            Disposition::Congestion
        } else if eq("CANCEL") || eq("CANCELLED") {
            Disposition::Cancelled
        } else {
            Disposition::Unknown
        }
    }

    /// Stable upper-case name used in reports (Asterisk spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "ANSWERED",
            Disposition::NoAnswer => "NO ANSWER",
            Disposition::Busy => "BUSY",
            Disposition::Failed => "FAILED",
            Disposition::Congestion => "CONGESTION",
            Disposition::Cancelled => "CANCEL",
            Disposition::Unknown => "UNKNOWN",
        }
    }
}

/// What kind of party a subject is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// A PBX extension (phone, user).
    Extension,
    /// A trunk (for calls relayed trunk to trunk, or placed by an unknown source).
    Trunk,
    /// An account code (when the site groups by account).
    Account,
    /// A source that is neither a known extension nor a trunk.
    Unknown,
}

impl SubjectKind {
    /// Every kind, in the order of the variants (their numbers: `ALL[i] as usize == i`,
    /// checked by a test that also fails to compile when a variant is added and not listed).
    pub const ALL: [SubjectKind; 4] = [
        SubjectKind::Extension,
        SubjectKind::Trunk,
        SubjectKind::Account,
        SubjectKind::Unknown,
    ];

    /// How many kinds there are (tables indexed by `kind as usize` have this many slots).
    pub const COUNT: usize = SubjectKind::ALL.len();

    /// Lower-case label used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Extension => "extension",
            SubjectKind::Trunk => "trunk",
            SubjectKind::Account => "account",
            SubjectKind::Unknown => "source",
        }
    }
}

/// Who a call is attributed to: the unit whose behaviour rules judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// Extension, trunk, account...
    pub kind: SubjectKind,
    /// Its name (extension number, trunk name, account code).
    pub name: Sym,
}

/// Index into [`CallTable::subjects`].
pub type SubjectId = u32;
/// Index into [`CallTable::numbers`]; [`NO_NUMBER`] for calls that have no external destination.
pub type NumId = u32;
/// Index into [`CallTable::files`]. 16 bits keep [`Call`] at 72 bytes (8 bytes a call
/// matter at millions of calls); a run takes at most 65,536 files.
pub type FileId = u16;
/// The "no classified destination" number id.
pub const NO_NUMBER: NumId = u32::MAX;

/// One normalized call (one CDR row).
#[derive(Clone, Debug)]
pub struct Call {
    /// Start (call setup) as UTC seconds since the epoch.
    pub start: i64,
    /// Total seconds from start to end.
    pub duration: u32,
    /// Billable (talk) seconds from answer to end; 0 if never answered.
    pub billsec: u32,
    /// Caller number (Asterisk `src`).
    pub src: Sym,
    /// Caller name from the caller id (attacker-controlled: display only, escaped).
    pub caller_name: Sym,
    /// The dialled number as written in the CDR (after nothing: exactly the field).
    pub dialled: Sym,
    /// Classification of the dialled number (see [`CallTable::numbers`]).
    pub number: NumId,
    /// Classification of the caller's number for calls from the outside (inbound, forwarded),
    /// else [`NO_NUMBER`]: who called in (wangiri callbacks, forwarding abuse).
    pub caller: NumId,
    /// Which way the call went.
    pub direction: Direction,
    /// How it ended.
    pub disposition: Disposition,
    /// Originating channel (e.g. `PJSIP/201-0000001a`).
    pub channel: Sym,
    /// Destination channel.
    pub dst_channel: Sym,
    /// The trunk the call used (name of the trunk peer), if any.
    pub trunk: Sym,
    /// Dialplan context (Asterisk `dcontext`).
    pub context: Sym,
    /// Account code.
    pub account: Sym,
    /// Call id (Asterisk `uniqueid`) and linked id joining the legs of one call (Asterisk
    /// `linkedid`), in [`CallTable::ids`]: see [`CallTable::call_id`], [`CallTable::linked_id`].
    pub ids: IdRef,
    /// Who the call is attributed to.
    pub subject: SubjectId,
    /// Index of the source file in [`CallTable::files`].
    pub file: FileId,
    /// 1-based line (record) number in the source file.
    pub line: u32,
}

impl Call {
    /// Answer instant (UTC seconds), if the call was answered.
    pub fn answer(&self) -> Option<i64> {
        (self.disposition == Disposition::Answered)
            .then_some(self.start + i64::from(self.duration) - i64::from(self.billsec))
    }

    /// End instant (UTC seconds).
    pub fn end(&self) -> i64 {
        self.start + i64::from(self.duration)
    }

    /// Billable minutes (fractional).
    pub fn minutes(&self) -> f64 {
        f64::from(self.billsec) / 60.0
    }

    /// True when the call was answered with talk time.
    pub fn is_connected(&self) -> bool {
        self.disposition == Disposition::Answered && self.billsec > 0
    }
}

#[cfg(test)]
impl Call {
    /// A one-minute answered call (50 s billed) with every text field empty: the one
    /// constructor unit tests use, so a new `Call` field is added in one place.
    pub(crate) fn answered_for_test(start: i64, direction: Direction, subject: SubjectId) -> Call {
        Call {
            start,
            duration: 60,
            billsec: 50,
            src: Sym::EMPTY,
            caller_name: Sym::EMPTY,
            dialled: Sym::EMPTY,
            number: NO_NUMBER,
            caller: NO_NUMBER,
            direction,
            disposition: Disposition::Answered,
            channel: Sym::EMPTY,
            dst_channel: Sym::EMPTY,
            trunk: Sym::EMPTY,
            context: Sym::EMPTY,
            account: Sym::EMPTY,
            ids: IdRef::EMPTY,
            subject,
            file: 0,
            line: 1,
        }
    }
}

/// All calls of a run with the tables their handles point into.
#[derive(Debug, Default, Clone)]
pub struct CallTable {
    /// The calls, in input order until the analyzer sorts them by subject and start.
    pub calls: Vec<Call>,
    /// Interned strings.
    pub strings: Interner,
    /// Call ids and linked ids (one per call, so stored rather than interned).
    pub ids: IdStore,
    /// Subjects, indexed by [`SubjectId`].
    pub subjects: Vec<Subject>,
    /// Subject ids by name and kind.
    subject_index: crate::symmap::SymIds<{ SubjectKind::COUNT }>,
    /// Source file names, indexed by `Call::file`.
    pub files: Vec<String>,
    /// Number classifications, indexed by [`NumId`], one per distinct dialled string.
    pub numbers: Vec<NumberInfo>,
}

impl CallTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the id of a subject, adding it on first use.
    pub fn subject_id(&mut self, subject: Subject) -> SubjectId {
        let kind = subject.kind as usize;
        if let Some(id) = self.subject_index.get(subject.name, kind) {
            return id;
        }
        let id = self.subjects.len() as SubjectId;
        self.subjects.push(subject);
        self.subject_index.insert(subject.name, kind, id);
        id
    }

    /// Human label of a subject, e.g. `extension 201`.
    pub fn subject_label(&self, id: SubjectId) -> String {
        let s = self.subjects[id as usize];
        format!("{} {}", s.kind.as_str(), self.strings.resolve(s.name))
    }

    /// Resolves an interned string.
    pub fn str(&self, sym: Sym) -> &str {
        self.strings.resolve(sym)
    }

    /// A call's id (Asterisk `uniqueid`), `""` if it has none.
    pub fn call_id(&self, c: &Call) -> &str {
        self.ids.get(c.ids).0
    }

    /// A call's linked id (Asterisk `linkedid`), `""` if it has none.
    pub fn linked_id(&self, c: &Call) -> &str {
        if !c.ids.has_linked_id() {
            return "";
        }
        self.ids.get(c.ids).1
    }

    /// The classification of a call's destination, if it has one.
    pub fn number_of(&self, call: &Call) -> Option<&NumberInfo> {
        self.numbers.get(call.number as usize)
    }

    /// Classification of the caller of a call from the outside, if any.
    pub fn caller_of(&self, call: &Call) -> Option<&NumberInfo> {
        self.numbers.get(call.caller as usize)
    }

    /// Estimated cost of the call at `index` in the site currency (0 past the end).
    pub fn cost(&self, index: usize) -> f64 {
        self.calls.get(index).map_or(0.0, |c| self.call_cost(c))
    }

    /// Estimated cost of a call: billable minutes times its destination's rate, for calls that
    /// left the PBX. Computed when asked rather than stored: a multiplication is cheaper than
    /// 8 bytes a call held for the whole run.
    pub fn call_cost(&self, c: &Call) -> f64 {
        match self.numbers.get(c.number as usize) {
            Some(n) if c.direction.is_external_out() && c.billsec > 0 => c.minutes() * n.rate,
            _ => 0.0,
        }
    }

    /// `file:line` of a call, for references in reports.
    pub fn location(&self, call: &Call) -> String {
        format!("{}:{}", self.files[call.file as usize], call.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_stays_compact() {
        // Millions of rows per month: 5 million calls at 72 bytes are 360 MB.
        assert!(
            std::mem::size_of::<Call>() <= 72,
            "{}",
            std::mem::size_of::<Call>()
        );
    }

    #[test]
    fn dispositions_parse_asterisk_spellings() {
        for (s, d) in [
            ("ANSWERED", Disposition::Answered),
            ("NO ANSWER", Disposition::NoAnswer),
            ("busy", Disposition::Busy),
            ("FAILED", Disposition::Failed),
            ("CONGESTION", Disposition::Congestion),
            ("CANCEL", Disposition::Cancelled),
            ("WHAT", Disposition::Unknown),
        ] {
            assert_eq!(Disposition::parse_asterisk(s), d, "{s}");
        }
    }

    #[test]
    fn subject_kinds_are_listed_in_variant_order() {
        for (i, k) in SubjectKind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i);
            // Exhaustive: a new variant fails to compile here until it is handled (and listed).
            match k {
                SubjectKind::Extension
                | SubjectKind::Trunk
                | SubjectKind::Account
                | SubjectKind::Unknown => {}
            }
        }
    }

    #[test]
    fn answer_and_end_derive_from_durations() {
        let mut t = CallTable::new();
        let subject = t.subject_id(Subject {
            kind: SubjectKind::Extension,
            name: Sym::EMPTY,
        });
        let c = Call {
            duration: 70,
            billsec: 60,
            ..Call::answered_for_test(1000, Direction::Outbound, subject)
        };
        assert_eq!(c.answer(), Some(1010));
        assert_eq!(c.end(), 1070);
        let unanswered = Call {
            disposition: Disposition::NoAnswer,
            billsec: 0,
            ..c
        };
        assert_eq!(unanswered.answer(), None);
    }
}

//! The per-row half of building a [`crate::call::Call`] that needs no shared, growing state:
//! parsing a record with its format (and repairing a shifted row), resolving times, routing
//! with the dial plan, and picking the strings the call keeps. What is left for
//! [`super::Builder::commit`] is the part that must run in file order: interning, number ids,
//! subject ids and merging continued segments.
//!
//! Splitting here is what lets the parallel reader ([`super::parallel`]) do the expensive work
//! on several threads while the result stays identical to a sequential read: both paths call
//! [`read_row`] and hand the same [`Prepared`] rows to the same commit, in the same order.

use super::{caller_name, plan_repair, Fields, Format, Layout, RawRow, Stamp};
use crate::call::{Direction, Disposition, SubjectKind};
use crate::dialplan::{DialPlan, RowChannels};
use crate::ids::{IdRef, IdStore};
use crate::text::FastTrim;
use crate::timeconv::LocalResolver;

/// The string fields of a call, in the order they are interned. The order is part of the
/// contract: handles are assigned in order of first appearance, and both the sequential and the
/// parallel reader visit the fields in this order, so they assign the same handles.
#[derive(Debug, Clone, Copy)]
pub struct Handles<T> {
    /// The dialled string as written (trimmed).
    pub dialled: T,
    /// The string to classify as the destination (empty: none).
    pub destination: T,
    /// The caller's number to classify, for calls from the outside.
    pub caller: Option<T>,
    /// The subject's name.
    pub subject: T,
    /// Caller number (trimmed).
    pub src: T,
    /// Caller name from the caller id.
    pub caller_name: T,
    /// Originating channel without its per-call suffix.
    pub channel: T,
    /// Destination channel without its per-call suffix.
    pub dst_channel: T,
    /// Trunk.
    pub trunk: T,
    /// Destination context.
    pub context: T,
    /// Account code.
    pub account: T,
}

/// How many fields [`Handles::map`] visits at most (the length of per-field memos).
pub const FIELDS: usize = 11;

impl<T: Copy> Handles<T> {
    /// Maps every field with `f`, visiting them in interning order.
    pub fn map<U>(&self, mut f: impl FnMut(T) -> U) -> Handles<U> {
        self.map_at(|_, x| f(x))
    }

    /// [`Handles::map`], telling `f` each field's place (`0..FIELDS`, the same place for a
    /// field in every row, whether the row has a caller or not).
    pub fn map_at<U>(&self, mut f: impl FnMut(usize, T) -> U) -> Handles<U> {
        Handles {
            dialled: f(0, self.dialled),
            destination: f(1, self.destination),
            caller: self.caller.map(|c| f(2, c)),
            subject: f(3, self.subject),
            src: f(4, self.src),
            caller_name: f(5, self.caller_name),
            channel: f(6, self.channel),
            dst_channel: f(7, self.dst_channel),
            trunk: f(8, self.trunk),
            context: f(9, self.context),
            account: f(10, self.account),
        }
    }
}

/// The scalar part of a prepared call.
#[derive(Debug, Clone, Copy)]
pub struct Core {
    /// Start, UTC seconds.
    pub start: i64,
    /// Total seconds.
    pub duration: u32,
    /// Billable seconds.
    pub billsec: u32,
    /// Direction.
    pub direction: Direction,
    /// Disposition.
    pub disposition: Disposition,
    /// What kind of party the subject is.
    pub subject_kind: SubjectKind,
    /// More segments of this call follow.
    pub continues: bool,
}

/// A row ready to be committed: scalars plus its strings (borrowed, or handles).
#[derive(Debug, Clone, Copy)]
pub struct Prepared<T> {
    /// Scalars.
    pub core: Core,
    /// Strings.
    pub strings: Handles<T>,
    /// Call id (trimmed) and linked id: stored, not interned (see [`crate::ids`]).
    pub ids: Ids<T>,
}

/// A call's ids, as strings or as handles into an [`IdStore`].
#[derive(Debug, Clone, Copy)]
pub struct Ids<T> {
    /// Call id (Asterisk `uniqueid`).
    pub call_id: T,
    /// Linked id (Asterisk `linkedid`).
    pub linked_id: T,
}

impl Ids<&str> {
    /// Stores both ids in `store` as one record.
    pub fn store(&self, store: &mut IdStore) -> IdRef {
        store.push(self.call_id, self.linked_id)
    }
}

/// The shared-state-free part of the builder for one file: dial plan and clock.
#[derive(Debug, Clone)]
pub struct Normalizer {
    plan: DialPlan,
    /// Resolves the file's wall-clock times (source zone, or UTC for formats that write UTC).
    resolver: LocalResolver,
}

impl Normalizer {
    /// A normalizer with `plan` reading wall-clock times with `resolver`.
    pub fn new(plan: DialPlan, resolver: LocalResolver) -> Self {
        Normalizer { plan, resolver }
    }

    /// The dial plan.
    pub fn plan(&self) -> &DialPlan {
        &self.plan
    }

    /// The resolver of the file's wall-clock times.
    pub fn resolver(&self) -> &LocalResolver {
        &self.resolver
    }

    /// Normalizes a raw row: times, routing and the strings to keep.
    pub fn prepare<'a>(&self, row: &RawRow<'a>) -> Result<Prepared<&'a str>, String> {
        let mut out = None;
        prepare(&self.plan, &self.resolver, row, |p| out = Some(*p))?;
        Ok(out.expect("a prepared row is handed over"))
    }
}

/// Normalizes a raw row with `plan`, reading wall-clock times with `resolver`, and hands the
/// prepared row to `sink`. (Returned in a `Result`, the prepared row, about 250 bytes, was
/// copied out of it with a `memcpy` call a row.)
pub fn prepare<'a>(
    plan: &DialPlan,
    resolver: &LocalResolver,
    row: &RawRow<'a>,
    sink: impl FnOnce(&Prepared<&'a str>),
) -> Result<(), String> {
    {
        let start = row.start.ok_or("no start time")?;
        let hint = match (start, row.end) {
            (Stamp::Local(_), Some(Stamp::Local(e))) => Some((e, row.duration)),
            _ => None,
        };
        let start = match start {
            Stamp::Utc(t) => t,
            Stamp::Local(t) => resolver.to_utc(t, hint),
        };
        let billsec = row.billsec.min(row.duration.max(row.billsec));
        let duration = row.duration.max(billsec);
        let routing = plan.route(&RowChannels {
            src: row.src,
            dst: row.dst,
            context: row.context,
            channel: row.channel,
            dst_channel: row.dst_channel,
            account: row.account,
            from: row.from,
            to: row.to,
        });
        let dialled = row.dst.trim_fast();
        // Only calls that leave the PBX have a destination worth classifying; a forwarded call
        // is priced on the number it was relayed to, not on the DID it came in on.
        let destination = match routing.direction {
            Direction::Outbound | Direction::Unknown => dialled,
            Direction::Forwarded if !row.relayed_to.trim_fast().is_empty() => {
                row.relayed_to.trim_fast()
            }
            Direction::Forwarded => plan.relayed_to(row.dst, row.dst_channel, row.lastdata),
            Direction::Inbound | Direction::Internal => "",
        };
        let src = row.src.trim_fast();
        let caller = match routing.direction {
            Direction::Inbound | Direction::Forwarded if !src.is_empty() => Some(src),
            _ => None,
        };
        sink(&Prepared {
            core: Core {
                start,
                duration,
                billsec,
                direction: routing.direction,
                disposition: row.disposition,
                subject_kind: routing.subject_kind,
                continues: row.continues,
            },
            strings: Handles {
                dialled,
                destination,
                caller,
                subject: routing.subject,
                src,
                caller_name: caller_name(row.clid),
                channel: routing.channel,
                dst_channel: routing.dst_channel,
                trunk: routing.trunk,
                context: row.context,
                account: row.account,
            },
            ids: Ids {
                call_id: row.call_id.trim_fast(),
                linked_id: row.linked_id,
            },
        });
        Ok(())
    }
}

/// What became of one record.
#[derive(Debug)]
pub enum RowOutcome {
    /// Imported (handed to the sink).
    Imported,
    /// Imported after re-joining surplus fields; how, for the report.
    Repaired(super::Repair),
    /// Not a call ([`RawRow::skip`]).
    Skipped,
    /// Rejected, with the reason.
    Rejected(String),
}

/// Reads one record: parse, check, repair a shifted row if exactly one repair reads, normalize,
/// and hand the prepared call to `sink`.
pub fn read_row(
    format: &dyn Format,
    layout: &Layout,
    fields: &Fields<'_>,
    plan: &DialPlan,
    resolver: &LocalResolver,
    sink: &mut dyn FnMut(&Prepared<&str>),
) -> RowOutcome {
    // The row is looked at where `parse` left it (`ref`): moving a `RawRow` (a few hundred
    // bytes) through `and_then` cost two copies a row.
    let parsed = format.parse(fields, layout);
    let error = match parsed {
        Ok(ref row) => match format.plausible(row) {
            Ok(()) if row.skip => return RowOutcome::Skipped,
            Ok(()) => {
                return match prepare(plan, resolver, row, |p| sink(p)) {
                    Ok(()) => RowOutcome::Imported,
                    Err(message) => RowOutcome::Rejected(message),
                }
            }
            Err(message) => message,
        },
        Err(message) => message,
    };
    let mut joined = String::new();
    match plan_repair(format, layout, fields, &mut joined) {
        Some((how, f)) => {
            match format
                .parse(&f, layout)
                .and_then(|row| prepare(plan, resolver, &row, |p| sink(p)))
            {
                Ok(()) => RowOutcome::Repaired(how),
                Err(message) => RowOutcome::Rejected(message),
            }
        }
        None => RowOutcome::Rejected(error),
    }
}

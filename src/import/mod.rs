//! Importers: CDR files of many PBXs to normalized [`Call`]s, with every bad row accounted for.
//!
//! An importer is one file plus one line in [`FORMATS`]: a name, a `sniff` that scores how well a
//! sample of the file fits, and a row parser mapping a record's fields to a [`RawRow`]. This
//! module owns what they share: reading (CSV records, lossy UTF-8, gzip via [`crate::input`]),
//! auto-detection, the [`Builder`] that turns a raw row into a [`Call`] (dial plan, time zone,
//! interning, memoized number classification), and the accounting of rejected rows, which are
//! counted per file and shown with file and line (the first few in detail), never fatal unless
//! `--strict`.

#[cfg(test)]
mod allocations;
pub mod asterisk_csv;
pub mod asterisk_custom;
pub mod avaya_smdr;
pub mod cucm;
pub mod detect;
pub mod fields;
mod file;
pub mod freepbx;
pub mod freeswitch;
pub mod generic;
pub mod grandstream;
pub mod known;
mod layout;
pub mod parallel;
pub mod prepare;
mod records;
#[cfg(test)]
mod robustness;
mod slots;
pub mod teams;
pub mod threecx;
pub mod yeastar;

use crate::call::{Call, CallTable, Direction, Disposition, FileId, Subject, NO_NUMBER};
use crate::config::Config;
use crate::dialplan::DialPlan;
pub use crate::dialplan::Party;
use crate::error::{Error, Result};
use crate::ids::IdRef;
use crate::input::Source;
use crate::intern::Sym;
use crate::number::Classifier;
use crate::text::FastTrim;
use crate::timeconv::LocalResolver;
use chrono::NaiveDateTime;
pub use detect::{candidates, choose, detect, score_all, Candidate};
pub use fields::Fields;
pub use layout::Layout;
use prepare::{Core, Handles, Normalizer, Prepared, RowOutcome};
use serde::Serialize;
use std::io::Read;

/// A timestamp as a file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Wall-clock time without zone (resolved with the source time zone).
    Local(NaiveDateTime),
    /// Absolute UTC seconds (epoch-based formats).
    Utc(i64),
}

/// One row as an importer read it: borrowed fields, parsed times and numbers.
#[derive(Debug, Clone, Default)]
pub struct RawRow<'a> {
    /// Call start.
    pub start: Option<Stamp>,
    /// Answer time, if the format has it.
    pub answer: Option<Stamp>,
    /// End time, if the format has it.
    pub end: Option<Stamp>,
    /// Total seconds.
    pub duration: u32,
    /// Billable seconds.
    pub billsec: u32,
    /// Caller number.
    pub src: &'a str,
    /// Dialled number.
    pub dst: &'a str,
    /// Full caller id (`"Name" <number>`) or just the name.
    pub clid: &'a str,
    /// Originating channel.
    pub channel: &'a str,
    /// Destination channel.
    pub dst_channel: &'a str,
    /// Destination context.
    pub context: &'a str,
    /// Arguments of the last application (`Dial(...)` targets), if the format has them.
    pub lastdata: &'a str,
    /// Disposition.
    pub disposition: Disposition,
    /// Account code.
    pub account: &'a str,
    /// Call id.
    pub call_id: &'a str,
    /// Linked id.
    pub linked_id: &'a str,
    /// The origin as the format describes it (default: the dial plan judges `channel`).
    pub from: Party<'a>,
    /// The target as the format describes it (default: the dial plan judges `dst_channel`).
    pub to: Party<'a>,
    /// For a call that came in and left again: the external number it was relayed to, when the
    /// format says it (3CX final number, CUCM final called party). Empty: the dial plan looks
    /// for it in `dst`, `dst_channel` and `lastdata`.
    pub relayed_to: &'a str,
    /// More segments of this call follow (Avaya SMDR `Continuation` = 1): the next rows with the
    /// same `call_id` in this file are merged into this call.
    pub continues: bool,
    /// The record is not a call (a Cisco CMR quality record among CDRs): it is counted in
    /// [`FileStats::rows_skipped`] and not imported. Nothing else of the row is read.
    pub skip: bool,
}

/// A fixed sample of a file's first records, for sniffing.
#[derive(Debug, Default)]
pub struct Sample {
    /// The first records (lossy UTF-8).
    pub records: Vec<Vec<String>>,
}

impl Sample {
    /// Builds a sample from the first bytes of a file.
    pub fn from_bytes(bytes: &[u8], max_records: usize) -> Sample {
        Self::from_bytes_with(bytes, max_records, b',')
    }

    /// Builds a sample from the first bytes of a file with another field delimiter.
    pub fn from_bytes_with(bytes: &[u8], max_records: usize, delimiter: u8) -> Sample {
        let mut rdr = cdr_reader_with(bytes, delimiter);
        let mut records = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while records.len() < max_records {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {
                    let f = Fields::new(&rec);
                    records.push((0..f.len()).map(|i| f.get(i).to_string()).collect())
                }
                _ => break,
            }
        }
        // The last record of a truncated prefix may be cut: do not judge the file by it.
        if records.len() > 1 && bytes.len() >= SNIFF_BYTES {
            records.pop();
        }
        Sample { records }
    }

    /// The score of a headerless format whose rows `fit`, or `None` when no row fits.
    pub fn sniff_rows(&self, fits: impl Fn(&[String]) -> bool) -> Option<(u8, Layout)> {
        let score = self.score(0, fits);
        (score > 0).then(|| (score, Layout::default()))
    }

    /// Share of records (skipping `skip` header records) for which `f` holds, 0..=100.
    pub fn score(&self, skip: usize, f: impl Fn(&[String]) -> bool) -> u8 {
        let rows = &self.records[skip.min(self.records.len())..];
        if rows.is_empty() {
            return 0;
        }
        let ok = rows.iter().filter(|r| f(r)).count();
        (ok * 100 / rows.len()) as u8
    }
}

/// One CDR format.
pub trait Format: Sync {
    /// Stable name used by `--format` (e.g. `asterisk-csv`).
    fn name(&self) -> &'static str;
    /// One line: which PBX and variants it reads.
    fn description(&self) -> &'static str;
    /// How well the sample fits, 0 (not at all) to 100, with the layout to use.
    fn sniff(&self, sample: &Sample) -> Option<(u8, Layout)>;
    /// Layout to use when the user forces this format without a usable sniff.
    fn forced_layout(&self, sample: &Sample) -> Result<Layout, String> {
        self.sniff(sample)
            .map(|(_, l)| l)
            .ok_or_else(|| format!("the file does not look like {}", self.name()))
    }
    /// Maps one record to a raw row, or says why it cannot.
    fn parse<'a>(&self, f: &'a Fields<'a>, layout: &Layout) -> Result<RawRow<'a>, String>;
    /// The field delimiter (`,` for every built-in format).
    fn delimiter(&self) -> u8 {
        b','
    }
    /// The clock of wall-clock timestamps when the user states no source time zone.
    fn clock(&self) -> Clock {
        Clock::Source
    }
    /// PBX versions and documents the format was checked against (for `tollguard formats`).
    fn checked_against(&self) -> &'static str {
        ""
    }
    /// Columns (of a well-formed row) that hold free text a PBX may write without escaping
    /// (caller names, application data). A row with too many fields is repaired by joining the
    /// surplus back into one of them, when exactly one choice gives a readable row.
    fn free_text_columns(&self, _layout: &Layout) -> Vec<usize> {
        Vec::new()
    }
    /// Checks that a parsed row looks right beyond what parsing proves (channels where
    /// channels belong...): a row that fails is reported as shifted, and of the ways to repair
    /// a row with surplus fields only plausible ones count.
    fn plausible(&self, _row: &RawRow<'_>) -> Result<(), String> {
        Ok(())
    }
    /// Field counts of a well-formed row under `layout` (for the repair of shifted rows).
    fn widths(&self, layout: &Layout) -> Vec<usize> {
        if layout.width > 0 {
            vec![layout.width]
        } else {
            Vec::new()
        }
    }
}

/// The registry of formats, in sniffing order.
pub static FORMATS: &[&dyn Format] = &[
    &asterisk_csv::AsteriskCsv,
    &asterisk_custom::AsteriskCustom,
    &freepbx::FreePbx,
    &cucm::Cucm,
    &teams::Teams,
    &freeswitch::FreeSwitch,
    &grandstream::Grandstream,
    &yeastar::Yeastar,
    &threecx::ThreeCx,
    &avaya_smdr::AvayaSmdr,
];

/// Looks a format up by name.
pub fn format_by_name(name: &str) -> Option<&'static dyn Format> {
    FORMATS.iter().copied().find(|f| f.name() == name)
}

/// Bytes read ahead for sniffing.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// How many times larger than its gzip file a CDR export's text is taken to be, to choose
/// between sequential and parallel reading and the chunk size (CSV of CDRs compresses five- to
/// tenfold; an estimate only sizes the chunks, it changes no result).
const GZIP_RATIO: u64 = 6;

/// Minimum sniff score to accept a format. Deliberately low: a damaged file whose rows are
/// half broken must still be read (its bad rows are each reported), as long as one format is
/// clearly ahead of the others; a low score is shown as a note.
pub const MIN_CONFIDENCE: u8 = 30;
/// Below this score the file note warns about low confidence.
pub const LOW_CONFIDENCE: u8 = 80;

/// One rejected row.
#[derive(Debug, Clone, Serialize)]
pub struct RowIssue {
    /// File label.
    pub file: String,
    /// 1-based line where the record starts.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Per-file accounting.
#[derive(Debug, Clone, Serialize)]
pub struct FileStats {
    /// File label.
    pub file: String,
    /// Format used (empty when skipped).
    pub format: String,
    /// Detection confidence 0..=100 (100 when forced).
    pub confidence: u8,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Rows with bytes that were not UTF-8 (read with replacement characters, not rejected).
    pub rows_repaired_utf8: u64,
    /// Rows with surplus fields from an unescaped comma or quote, re-joined because exactly one
    /// way of joining them gives a readable row.
    pub rows_repaired_split: u64,
    /// Rows the format marks as not being calls ([`RawRow::skip`]: CUCM CMR records), counted
    /// here and in the file note, neither imported nor rejected.
    #[serde(skip_serializing_if = "is_zero")]
    pub rows_skipped: u64,
    /// Why the file was skipped or anything else worth saying.
    pub note: String,
}

/// Accounting of the whole import.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportStats {
    /// Per file.
    pub files: Vec<FileStats>,
    /// Rows read over all files.
    pub rows_read: u64,
    /// Rows rejected over all files.
    pub rows_rejected: u64,
    /// The first rejected rows in detail (all are counted).
    pub issues: Vec<RowIssue>,
    /// The first repaired rows in detail (all are counted in [`FileStats`]).
    pub repairs: Vec<RowIssue>,
}

/// Builds [`Call`]s from raw rows: one per run, shared by every file.
pub struct Builder<'c> {
    plan: DialPlan,
    resolver: LocalResolver,
    /// Resolver for formats whose wall-clock times are UTC by default (3CX), when the user
    /// stated no source time zone.
    utc: LocalResolver,
    /// Whether the user stated the source time zone (then it applies to every format).
    source_tz_stated: bool,
    /// The current file's wall-clock times are UTC.
    file_clock_utc: bool,
    classifier: &'c Classifier,
    /// Number ids of the destinations classified so far, by handle.
    number_cache: crate::symmap::SymIds<1>,
    /// Calls of the current file whose later segments are still to come: call id → index in
    /// the table (cleared at each file's start).
    open_segments: rustc_hash::FxHashMap<Box<str>, usize>,
    /// The parallel reader's copy of `table.strings` (see [`parallel::import_stream`]), kept
    /// from one file to the next and renewed only when the table has grown enough (a month of
    /// 51 daily files copied the whole table at every file's start: about 38 M instructions,
    /// on one core while the other waited).
    snapshot: Option<known::Known>,
    /// The table being filled.
    pub table: CallTable,
}

impl<'c> Builder<'c> {
    /// The parallel reader's copy of the string table: the one kept from the file before, or
    /// a new one (give it back in `snapshot`).
    fn take_snapshot(&mut self) -> known::Known {
        self.snapshot
            .take()
            .unwrap_or_else(|| known::Known::of(&self.table.strings))
    }

    /// A builder for one run.
    pub fn new(config: &Config, classifier: &'c Classifier) -> Result<Self> {
        Ok(Builder {
            plan: DialPlan::new(&config.site).map_err(Error::Invalid)?,
            resolver: LocalResolver::new(config.source_tz),
            utc: LocalResolver::new(chrono_tz::UTC),
            source_tz_stated: config.source_tz_stated,
            file_clock_utc: false,
            classifier,
            number_cache: Default::default(),
            open_segments: Default::default(),
            snapshot: None,
            table: CallTable::new(),
        })
    }

    /// Starts a file of `format`: picks the clock its wall-clock times are read in.
    pub fn start_file(&mut self, format: &dyn Format) -> Clock {
        self.file_clock_utc = reads_utc(self.source_tz_stated, format);
        self.open_segments.clear();
        if self.file_clock_utc {
            Clock::Utc
        } else {
            Clock::Source
        }
    }

    /// The row normalizer of the current file (dial plan and the file's clock), to prepare
    /// rows apart from the builder (on other threads) and [`Builder::commit`] them in order.
    pub fn normalizer(&self) -> Normalizer {
        Normalizer::new(self.plan.clone(), self.file_resolver().clone())
    }

    /// What [`Builder::normalizer`] gives for a file of any format once it is started: to
    /// prepare the next file before the builder is done with the current one.
    pub fn normalizers(&self) -> Normalizers {
        Normalizers {
            plan: self.plan.clone(),
            source: self.resolver.clone(),
            utc: self.utc.clone(),
            source_tz_stated: self.source_tz_stated,
        }
    }

    /// The resolver of the current file's wall-clock times.
    fn file_resolver(&self) -> &LocalResolver {
        if self.file_clock_utc {
            &self.utc
        } else {
            &self.resolver
        }
    }

    /// The classification id of a destination, classified once per distinct string.
    fn number_id(&mut self, key: Sym) -> u32 {
        if key.is_empty() {
            NO_NUMBER
        } else if let Some(id) = self.number_cache.get(key, 0) {
            id
        } else {
            let info = self.classifier.classify(self.table.strings.resolve(key));
            let id = self.table.numbers.len() as u32;
            self.table.numbers.push(info);
            self.number_cache.insert(key, 0, id);
            id
        }
    }

    /// Interns a prepared row's strings (in [`Handles`] order), stores its ids and commits it.
    pub fn commit_strs(&mut self, p: &Prepared<&str>, file: FileId, line: u32) {
        let strings = &mut self.table.strings;
        let h = p.strings.map(|s| strings.intern(s));
        let ids = p.ids.store(&mut self.table.ids);
        self.commit(&p.core, &h, ids, file, line);
    }

    /// Appends a prepared row whose strings are interned (or merges it into the call it
    /// continues). Rows must be committed in file order: number and subject ids are assigned
    /// in order of first use.
    pub fn commit(&mut self, core: &Core, h: &Handles<Sym>, ids: IdRef, file: FileId, line: u32) {
        let number = self.number_id(h.destination);
        let caller = match h.caller {
            Some(k) => self.number_id(k),
            None => NO_NUMBER,
        };
        let t = &mut self.table;
        let subject = t.subject_id(Subject {
            kind: core.subject_kind,
            name: h.subject,
        });
        let call = Call {
            start: core.start,
            duration: core.duration,
            billsec: core.billsec,
            src: h.src,
            caller_name: h.caller_name,
            dialled: h.dialled,
            number,
            caller,
            direction: core.direction,
            disposition: core.disposition,
            channel: h.channel,
            dst_channel: h.dst_channel,
            trunk: h.trunk,
            context: h.context,
            account: h.account,
            ids,
            subject,
            file,
            line,
        };
        if self.open_segments.is_empty() && !core.continues {
            // The common case (every format but Avaya SMDR): no segment to merge, nothing to
            // remember, so no hashing of the call id.
            self.table.calls.push(call);
            return;
        }
        let key = self.table.ids.get(call.ids).0;
        if let Some(&i) = self.open_segments.get(key) {
            merge_segment(&mut self.table.calls[i], &call);
        } else {
            if core.continues && !key.is_empty() {
                self.open_segments
                    .insert(key.into(), self.table.calls.len());
            }
            self.table.calls.push(call);
        }
        if !core.continues {
            self.open_segments.remove(key);
        }
    }
}

/// Merges a later segment of a call (transfer, forward) into the call it continues: the call
/// spans both, talk time adds up, and when the call left the PBX only in the later segment
/// (an inbound call transferred out through a trunk), it becomes that outgoing or forwarded call,
/// priced on the later segment's destination.
fn merge_segment(first: &mut Call, next: &Call) {
    // A segment stamped no later than the call's start (Avaya writes the original call start on
    // every continuation row) is timed from its own beginning: it follows the call so far.
    let end = if next.start <= first.start {
        first.end().saturating_add(i64::from(next.duration))
    } else {
        first.end().max(next.end())
    };
    first.billsec = first.billsec.saturating_add(next.billsec);
    first.duration = u32::try_from(end - first.start)
        .unwrap_or(u32::MAX)
        .max(first.billsec);
    if next.disposition == Disposition::Answered {
        first.disposition = Disposition::Answered;
    }
    if next.direction.is_external_out() && !first.direction.is_external_out() {
        first.direction = match first.direction {
            Direction::Inbound | Direction::Forwarded => Direction::Forwarded,
            _ => next.direction,
        };
        first.dialled = next.dialled;
        first.number = next.number;
        first.trunk = next.trunk;
        first.dst_channel = next.dst_channel;
        if first.direction != Direction::Forwarded {
            first.subject = next.subject;
        }
    }
}

/// True when a file of `format` has its wall-clock times read as UTC: the format writes UTC
/// and the user stated no source time zone.
fn reads_utc(source_tz_stated: bool, format: &dyn Format) -> bool {
    !source_tz_stated && format.clock() == Clock::Utc
}

/// The normalizers of a run, by format (see [`Builder::normalizers`]).
pub struct Normalizers {
    plan: DialPlan,
    source: LocalResolver,
    utc: LocalResolver,
    source_tz_stated: bool,
}

impl Normalizers {
    /// The normalizer [`Builder::normalizer`] gives once a file of `format` is started.
    pub fn for_format(&self, format: &dyn Format) -> Normalizer {
        let resolver = if reads_utc(self.source_tz_stated, format) {
            &self.utc
        } else {
            &self.source
        };
        Normalizer::new(self.plan.clone(), resolver.clone())
    }
}

/// Which clock a format's wall-clock timestamps are in when the user does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The source time zone (`--source-tz`, `[import] timezone`, else the site's zone).
    Source,
    /// UTC unless the user states a source time zone (3CX writes UTC).
    Utc,
}

/// The name part of a caller id `"Name" <number>`; the whole string if it has no `<number>`.
pub fn caller_name(clid: &str) -> &str {
    let s = clid.trim_fast();
    let b = s.as_bytes();
    // Only a caller id that ends with `>` has a number to drop; its `<` is a few bytes before
    // the end, where a plain backward loop finds it sooner than `rfind`'s search (about 84
    // instructions a row, `callgrind`).
    let open = match b.last() {
        Some(b'>') => b.iter().rposition(|&c| c == b'<'),
        _ => None,
    };
    let name = match open {
        Some(i) => {
            // The space between the name and `<` goes here, by the same backward walk: left
            // to the trim, it sent every caller id to its general path (about 45
            // instructions a row). Spaces are ASCII, so the cut is a character boundary, and
            // the trim still takes any other white space.
            let mut end = i;
            while end > 0 && b[end - 1] == b' ' {
                end -= 1;
            }
            s[..end].trim_fast()
        }
        None => s,
    };
    // A quoted name loses its quotes (byte patterns: the quote is ASCII).
    match name.as_bytes() {
        [b'"', .., b'"'] => &name[1..name.len() - 1],
        _ => name,
    }
}

/// Options of one import run.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The user's column mapping (`[import.mapping]`), if any: a format of its own.
    pub generic: Option<generic::Generic>,
    /// Forced format name.
    pub format: Option<String>,
    /// Rejected rows shown in detail.
    pub show_rejects: usize,
    /// Fail on the first rejected row.
    pub strict: bool,
}

/// How a file is read.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Inputs of 512 KB of text and more in parallel (plain and gzip files, slices of them,
    /// stdin and pipes that hold more than the first bytes read), smaller ones in order.
    Auto,
    /// Every file in order, on the calling thread.
    Sequential,
    /// Every input in parallel (except one whose first bytes ended in a read error), with
    /// these sizes (tests use tiny chunks to put cuts everywhere).
    Parallel(parallel::Sizes),
}

/// A part of one file to read (incremental runs): the records between two decompressed byte
/// offsets that fall on line starts, with the number of lines before `start` so that reported
/// line numbers stay the file's own. The format is still detected from the file's beginning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    /// The file.
    pub source: Source,
    /// First byte to read (decompressed offset; 0 or just after a newline).
    pub start: u64,
    /// Byte after the last one to read (decompressed offset).
    pub end: u64,
    /// Lines (newlines) before `start`.
    pub lines_before: u64,
}

/// Reads every source into the builder's table.
pub fn import_all(
    sources: &[Source],
    builder: &mut Builder<'_>,
    opts: &ImportOptions,
) -> Result<ImportStats> {
    import_all_with(sources, builder, opts, Mode::Auto)
}

/// [`import_all`] with a choice of how files are read; every mode gives the same result.
pub fn import_all_with(
    sources: &[Source],
    builder: &mut Builder<'_>,
    opts: &ImportOptions,
    mode: Mode,
) -> Result<ImportStats> {
    let whole: Vec<(&Source, Option<&Slice>)> = sources.iter().map(|s| (s, None)).collect();
    import_parts(&whole, builder, opts, mode)
}

/// Reads parts of files (see [`Slice`]) into the builder's table: what a nightly run reads.
/// A night's slice of a few megabytes is read in order; a large one (the first run over a
/// Master.csv that has grown for months) in parallel, as a whole file would be.
pub fn import_slices(
    slices: &[Slice],
    builder: &mut Builder<'_>,
    opts: &ImportOptions,
) -> Result<ImportStats> {
    import_slices_with(slices, builder, opts, Mode::Auto)
}

/// [`import_slices`] with a choice of how slices are read; every mode gives the same result.
pub fn import_slices_with(
    slices: &[Slice],
    builder: &mut Builder<'_>,
    opts: &ImportOptions,
    mode: Mode,
) -> Result<ImportStats> {
    let parts: Vec<(&Source, Option<&Slice>)> =
        slices.iter().map(|s| (&s.source, Some(s))).collect();
    import_parts(&parts, builder, opts, mode)
}

fn import_parts(
    parts: &[(&Source, Option<&Slice>)],
    builder: &mut Builder<'_>,
    opts: &ImportOptions,
    mode: Mode,
) -> Result<ImportStats> {
    let all = candidates(opts);
    let forced = match &opts.format {
        Some(name) if name != "auto" => Some(
            all.iter()
                .copied()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "unknown format `{name}`; known: {}{}",
                        all.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
                        if name == "generic" {
                            " (generic needs an [import.mapping] section)"
                        } else {
                            ""
                        }
                    ))
                })?,
        ),
        _ => None,
    };
    let mut stats = ImportStats::default();
    // The next file, opened (and its first batch parsed) while the last batch of the one
    // before was committed: files follow each other without a core idling in between.
    let mut ahead: Option<Result<file::Opened<'_>>> = None;
    for (i, (source, slice)) in parts.iter().enumerate() {
        let opened = match ahead.take() {
            Some(opened) => opened?,
            None => file::open_file(source, *slice, forced, &all, mode)?,
        };
        let norms = builder.normalizers();
        let all = &all;
        let next = parts.get(i + 1);
        let slot = &mut ahead;
        // `move`: the normalizers go along to the thread that runs this (their time-zone memo
        // is not shared).
        let mut open_next = move |known: &known::Known, buf: Vec<u8>| {
            if let Some((source, slice)) = next {
                *slot = Some(
                    file::open_file(source, *slice, forced, all, mode)
                        .map(|o| o.start(&norms, known, buf)),
                );
            }
        };
        let fs = file::read_opened(opened, builder, opts, &mut stats, &mut open_next)?;
        stats.rows_read += fs.rows_read;
        stats.rows_rejected += fs.rows_rejected;
        stats.files.push(fs);
    }
    Ok(stats)
}

/// Reads the first [`SNIFF_BYTES`] of a source; a read error (a truncated gzip stream) keeps
/// what was read and is returned beside it.
pub fn read_head(reader: &mut dyn Read) -> (Vec<u8>, Option<std::io::Error>) {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let err = reader.take(SNIFF_BYTES as u64).read_to_end(&mut head).err();
    (head, err)
}

/// The closing words of a file's note: skipped records, no data.
fn finish_note(fs: &mut FileStats) {
    if fs.rows_skipped > 0 {
        let n = fs.rows_skipped;
        fs.note = join_note(
            &fs.note,
            &format!("{n} record(s) that are not calls (e.g. CUCM CMR) skipped"),
        );
    }
    if fs.rows_read == 0 && fs.note.is_empty() {
        fs.note = "no data rows".into();
    }
}

fn join_note(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}

/// Re-joins the surplus fields of a row that an unescaped comma (or a quote that swallowed one)
/// split too often. Each free-text column of the format is tried as the one that held the
/// comma; the repair is used only when exactly one choice gives a row the format reads and
/// finds plausible, so a guess never decides what a call was.
pub fn repair(
    format: &dyn Format,
    layout: &Layout,
    fields: &Fields<'_>,
) -> Option<(csv::ByteRecord, Repair)> {
    let mut joined = String::new();
    let (how, _) = plan_repair(format, layout, fields, &mut joined)?;
    let (c, extra) = (how.column, how.found - how.width);
    let mut rec = csv::ByteRecord::new();
    for i in 0..c {
        rec.push_field(fields.get(i).as_bytes());
    }
    rec.push_field(joined.as_bytes());
    for i in c + extra + 1..fields.len() {
        rec.push_field(fields.get(i).as_bytes());
    }
    Some((rec, how))
}

/// [`repair`] without the record: which fields to re-join, and the row read that way (a view
/// of `fields` with the joined field's text kept in `joined`). Read with [`Fields::joined`],
/// every candidate is a view of the row: a vendor's
/// export that leaves a free-text column unquoted sends every row here (Grandstream's own
/// sample does), where building and checking a record for each candidate cost most of the
/// row's time.
pub(crate) fn plan_repair<'a>(
    format: &dyn Format,
    layout: &Layout,
    fields: &'a Fields<'a>,
    joined: &'a mut String,
) -> Option<(Repair, Fields<'a>)> {
    let n = fields.len();
    let free = format.free_text_columns(layout);
    let mut found: Option<Repair> = None;
    let mut candidate = String::new();
    for width in format.widths(layout).into_iter().filter(|&w| w < n) {
        let extra = n - width;
        for &c in free.iter().filter(|&&c| c < width) {
            candidate.clear();
            for i in c..=c + extra {
                if i > c {
                    candidate.push(',');
                }
                candidate.push_str(fields.get(i));
            }
            let f = Fields::joined(fields, c, extra, &candidate)?;
            let ok = format
                .parse(&f, layout)
                .is_ok_and(|row| format.plausible(&row).is_ok());
            if ok {
                if found.is_some() {
                    return None; // two readings: ambiguous, report the row instead
                }
                found = Some(Repair {
                    found: n,
                    width,
                    column: c,
                });
                std::mem::swap(joined, &mut candidate);
            }
        }
    }
    let how = found?;
    let joined: &'a String = joined;
    let view = Fields::joined(fields, how.column, how.found - how.width, joined)?;
    Some((how, view))
}

/// How [`repair`] re-joined a row's surplus fields: kept as numbers and written out only for
/// the rows a report lists (a `String` for every row of such an export cost an allocation and
/// a formatting each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repair {
    /// Fields the row had.
    pub found: usize,
    /// Fields the format expected.
    pub width: usize,
    /// The column (0-based) that took the surplus.
    pub column: usize,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let extra = self.found - self.width;
        write!(
            f,
            "{} fields where {} were expected: fields {}-{} re-joined as column {} (an unescaped comma or quote)",
            self.found,
            self.width,
            self.column + 1,
            self.column + extra + 1,
            self.column + 1
        )
    }
}

fn reject(
    fs: &mut FileStats,
    stats: &mut ImportStats,
    opts: &ImportOptions,
    file: &str,
    line: u64,
    message: String,
) -> Result<()> {
    fs.rows_rejected += 1;
    let issue = RowIssue {
        file: file.to_string(),
        line,
        message,
    };
    if opts.strict {
        return Err(Error::Strict {
            row: format!("{}:{}: {}", issue.file, issue.line, issue.message),
        });
    }
    if stats.issues.len() < opts.show_rejects.max(1) {
        stats.issues.push(issue);
    }
    Ok(())
}

/// The CSV reader every importer shares: no header handling (formats decide), any field count
/// (rows are judged one by one), and records split on `\n` only. With the csv crate's default
/// terminator a CRLF file's `\r` ends the record and its `\n` is counted into the next one, so
/// every line number would be off; the `\r` left on the last field is removed by [`Fields`].
pub fn cdr_reader<R: Read>(r: R) -> csv::Reader<R> {
    cdr_reader_with(r, b',')
}

/// [`cdr_reader`] with another field delimiter (generic mappings: `;` exports).
pub fn cdr_reader_with<R: Read>(r: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(r)
}

/// The message of a read error that ends a file.
fn read_error(e: &dyn std::fmt::Display) -> String {
    format!("read error, rest of file skipped: {e}")
}

/// Checks that the channel fields are empty or look like Asterisk channels (`TECH/resource`):
/// a caller name or a timestamp there means the fields were shifted.
pub fn check_channels(row: &RawRow<'_>) -> Result<(), String> {
    for (what, s) in [("channel", row.channel), ("dstchannel", row.dst_channel)] {
        if !crate::channel_name::is_shaped(s) {
            let s = s.trim_fast();
            return Err(format!(
                "{what} `{}` is not a channel (TECH/name): fields shifted by an unescaped comma or quote?",
                excerpt(s)
            ));
        }
    }
    Ok(())
}

/// Parses a non-negative integer field (seconds), tolerating surrounding spaces.
pub fn parse_secs(s: &str, what: &str) -> Result<u32, String> {
    let t = s.trim_fast();
    t.parse::<u32>()
        .map_err(|_| format!("{what} `{}` is not a whole number of seconds", excerpt(t)))
}

/// A short, single-line excerpt of a field for error messages (control characters escaped).
pub fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(40).flat_map(char::escape_default).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// An optional wall-clock time field (empty is `None`); the error names the field and the shape
/// the format writes.
///
/// Inlined into the importers: the fixed shape (`YYYY-MM-DD HH:MM:SS`, every Asterisk start,
/// answer and end) and an empty field are answered here, and only other fields pay a call
/// returning its `Result` through memory (three a row cost about as much as reading the
/// digits).
#[inline]
pub fn wall_clock(s: &str, what: &str, shape: &str) -> Result<Option<Stamp>, String> {
    match crate::timeconv::parse_fixed19(s) {
        Some(t) => Ok(Some(Stamp::Local(t))),
        None if s.is_empty() => Ok(None),
        None => wall_clock_general(s, what, shape),
    }
}

/// [`wall_clock`] of a field that is not of the fixed shape.
#[inline(never)]
fn wall_clock_general(s: &str, what: &str, shape: &str) -> Result<Option<Stamp>, String> {
    let t = s.trim_fast();
    if t.is_empty() {
        return Ok(None);
    }
    crate::timeconv::parse_timestamp(t)
        .map(|d| Some(Stamp::Local(d)))
        .ok_or_else(|| format!("{what} `{}` is not a timestamp ({shape})", excerpt(t)))
}

/// Timing fields of one row.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Start.
    pub start: Stamp,
    /// Answer, if written.
    pub answer: Option<Stamp>,
    /// End, if written.
    pub end: Option<Stamp>,
    /// Total seconds.
    pub duration: u32,
    /// Billable seconds.
    pub billsec: u32,
}

/// Parses the timing fields the Asterisk family shares: start, optional answer and end,
/// duration and billable seconds, with the checks that catch shifted fields.
pub fn asterisk_timing(
    start: &str,
    answer: &str,
    end: &str,
    duration: &str,
    billsec: &str,
) -> Result<Timing, String> {
    let ts = |s: &str, what: &str| wall_clock(s, what, "YYYY-MM-DD HH:MM:SS");
    let start = ts(start, "start")?.ok_or("start time is empty")?;
    let answer = ts(answer, "answer")?;
    let end = ts(end, "end")?;
    let duration = parse_secs(duration, "duration")?;
    let billsec = parse_secs(billsec, "billsec")?;
    if billsec > duration {
        return Err(format!(
            "billsec {billsec} exceeds duration {duration}: fields shifted?"
        ));
    }
    Ok(Timing {
        start,
        answer,
        end,
        duration,
        billsec,
    })
}

/// Parses an Asterisk disposition, rejecting unknown values (a sign of shifted fields).
pub fn asterisk_disposition(s: &str) -> Result<Disposition, String> {
    match Disposition::parse_asterisk(s) {
        Disposition::Unknown => Err(format!("unknown disposition `{}`", excerpt(s))),
        d => Ok(d),
    }
}

/// For `skip_serializing_if`: counters that are zero stay out of the JSON summary.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_names_are_extracted() {
        assert_eq!(caller_name("\"Anna Schmidt\" <201>"), "Anna Schmidt");
        assert_eq!(caller_name("Reception <201>"), "Reception");
        assert_eq!(caller_name("<201>"), "");
        assert_eq!(caller_name("just a name"), "just a name");
        assert_eq!(caller_name("\"a <b> c\" <201>"), "a <b> c");
        assert_eq!(caller_name("a > b"), "a > b");
        assert_eq!(caller_name("no number>"), "no number>");
        assert_eq!(caller_name(" \"Bob\" <+4930>  "), "Bob");
    }

    #[test]
    fn caller_names_are_what_trimming_and_stripping_give() {
        // The reading by its definition: trim, drop a `<...>` at the end, trim, strip a pair
        // of quotes; on random caller ids from the characters that matter.
        let reference = |clid: &str| -> String {
            let s = clid.trim();
            let name = match s.strip_suffix('>').and_then(|x| x.rfind('<')) {
                Some(i) => s[..i].trim(),
                None => s,
            };
            name.strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .unwrap_or(name)
                .to_string()
        };
        let alphabet = ['"', '<', '>', ' ', '\t', 'a', '2', '\u{a0}', 'é'];
        let mut rng = fastrand::Rng::with_seed(12);
        for _ in 0..50_000 {
            let n = rng.usize(0..9);
            let clid: String = (0..n)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            assert_eq!(caller_name(&clid), reference(&clid), "{clid:?}");
        }
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("a\nb"), "a\\nb");
        assert!(excerpt(&"x".repeat(100)).ends_with('…'));
    }
}

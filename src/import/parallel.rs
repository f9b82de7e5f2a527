//! Parallel reading of one file (plain or gzip-decompressed text), with the same result as
//! reading it in order.
//!
//! The file is read in batches; each batch is cut into chunks at line ends and the chunks are
//! parsed on rayon's threads: records, the format's parser, the dial plan, times, and string
//! ids from a copy of the run's string table or a chunk-local one ([`super::prepare`] does the
//! per-row work for both paths). The
//! calling thread then commits the chunks in file order, so handles, number and subject ids,
//! rejected-row lists and line numbers come out exactly as in a sequential read.
//!
//! A line end is not always a record end: a quoted field may hold a newline. A chunk is parsed
//! on the guess that it starts at a record; the guess is proven chunk by chunk in file order:
//! the first chunk starts at a record, and a chunk that started at a record and whose last
//! record ended at the chunk's last byte (outside quotes) proves the next chunk's start. When a
//! chunk's last record runs on past its end, that record is left out of the chunk and read
//! again together with the next chunk (whose own guess is discarded). Cuts are made only after
//! a non-empty line, because the csv reader dates a record from the end of the previous record
//! (skipped blank lines included): a cut there keeps every line number as a sequential read
//! gives it. A read error ends the file like a cut whose next chunk never comes: the record it
//! cuts is left out, as the csv reader loses the record it was reading.

use super::file::Origin;
use super::known::{Known, Short};
use super::prepare::Normalizer;
use super::prepare::{read_row, Core, Handles, RowOutcome, FIELDS};
use super::records::{Record, Records};
use super::slots::Slots;
use super::Repair;
use super::{cdr_reader_with, reject, FileStats, Format, ImportOptions, ImportStats, Layout};
use super::{read_error, Builder, RowIssue};
use crate::call::FileId;
use crate::dialplan::DialPlan;
use crate::error::Result;
use crate::ids::{IdRef, IdStore};
use crate::intern::Sym;
use crate::timeconv::LocalResolver;
use lasso::{Key, Rodeo, Spur};
use rustc_hash::FxBuildHasher;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Chunk and batch sizes of the parallel reader.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Bytes per chunk (one unit of work on one thread), at most.
    pub chunk: usize,
    /// Bytes of the smallest chunks, at the end of a batch (see [`split`]).
    pub tail: usize,
    /// Bytes read per batch (chunks parsed at once; bounds the memory held).
    pub batch: usize,
    /// Strings the run's table must gain (at least; or an eighth of its size) before chunks
    /// get a new copy of it to look strings up in ([`Ctx::known`]).
    pub refresh: usize,
}

impl Sizes {
    /// The sizes used for real files: eight chunks a batch, so the thread that commits finds
    /// chunks left to parse when it is done (with two 8 MB chunks a batch, the 5M-row import
    /// took 40% longer); batches small enough that memory stays bounded.
    pub const DEFAULT: Sizes = Sizes {
        chunk: 2 << 20,
        tail: TAIL_CHUNK,
        batch: 16 << 20,
        refresh: 1024,
    };

    /// The sizes for a file of `len` bytes of text: [`Sizes::DEFAULT`], with chunks small enough
    /// that a file of a few megabytes (a day's export) still makes eight of them for the
    /// threads to share, and no smaller than [`MIN_CHUNK`].
    pub fn for_len(len: u64) -> Sizes {
        let chunk = usize::try_from(len / 8).unwrap_or(usize::MAX);
        Sizes {
            chunk: chunk.clamp(MIN_CHUNK, Sizes::DEFAULT.chunk),
            ..Sizes::DEFAULT
        }
    }
}

/// The smallest chunk [`Sizes::for_len`] makes: below it, setting up a chunk (a csv reader, a
/// string table, a time-zone memo) is no longer small against parsing it.
pub const MIN_CHUNK: usize = 256 << 10;

/// The smallest chunks at a batch's end: about 250 records, parsed in about a millisecond, so
/// the thread that finishes first waits about that long for the other. (With chunks of one
/// size it waited half a chunk, up to 10 ms, at every batch's end, and a day's file is one
/// batch.)
pub const TAIL_CHUNK: usize = 64 << 10;

/// A file with at least this much text (a gzip file's estimated) is read in parallel (two of
/// the smallest chunks).
pub const MIN_PARALLEL_BYTES: u64 = 2 * MIN_CHUNK as u64;

/// What one file's reading shares with every chunk.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    format: &'a dyn Format,
    layout: &'a Layout,
    plan: &'a DialPlan,
    /// The zone of the file's wall-clock times (each chunk resolves with its own memo).
    tz: chrono_tz::Tz,
    /// A copy of the run's string table as it was a batch or two ago. A month repeats the same
    /// numbers, names and channels, so nearly every string of a chunk is found here and its
    /// handle is final: only strings not seen before go into the chunk's own table, to be
    /// interned when the chunk is committed. (A fresh table per chunk held about 1.6 strings a
    /// row, each interned again at commit on the one committing thread.)
    known: &'a Known,
}

impl<'a> Ctx<'a> {
    /// What chunks of a file of `format` read with `norm` share, looking strings up in `known`.
    fn new(
        format: &'a dyn Format,
        layout: &'a Layout,
        norm: &'a Normalizer,
        known: &'a Known,
    ) -> Self {
        Ctx {
            format,
            layout,
            plan: norm.plan(),
            tz: norm.resolver().tz(),
            known,
        }
    }
}

/// One imported row of a chunk, its strings as [`EMPTY`] or their places among the chunk's
/// queued strings, whose ids are [`Chunk::resolved`].
struct Row {
    core: Core,
    strings: Handles<u32>,
    /// Ids in the chunk's [`Chunk::ids`].
    ids: IdRef,
    /// 1-based line within the chunk.
    line: u64,
}

/// The result of parsing one chunk.
struct Chunk {
    /// Strings not in [`Ctx::known`], in order of first use.
    strings: Rodeo<Spur, FxBuildHasher>,
    /// The id of each queued string (see [`Pending::resolve`]): a handle of [`Ctx::known`]
    /// (below [`LOCAL`]), or `LOCAL |` an id in `strings`. Rows keep the places and the
    /// commit looks the ids up here: writing every row's ids back after the lookups was a
    /// pass of its own over the rows, about 150 instructions a row.
    resolved: Vec<u32>,
    /// Call ids of the chunk's rows.
    ids: IdStore,
    rows: Vec<Row>,
    /// Rejected rows: line within the chunk, message (in order).
    rejects: Vec<(u64, String)>,
    /// Repaired rows: line within the chunk, how (in order).
    repairs: Vec<(u64, Repair)>,
    rows_read: u64,
    rows_repaired_utf8: u64,
    rows_skipped: u64,
    /// Header records skipped.
    header_skipped: usize,
    /// The chunk ends inside a record (or inside the header): the bytes from `tail` on are
    /// read again with the next chunk.
    tail: Option<usize>,
    /// Line ends in the chunk before `tail` (all of them when complete).
    newlines: u64,
    /// The previous row's string (if short) and its place among the chunk's [`Pending`]
    /// strings, at each place of [`Handles::map_at`]:
    /// contexts, trunks and destination channels repeat from row to row, and comparing two
    /// words is cheaper than a lookup.
    last: [(Short, u32); FIELDS],
}

const EMPTY: u32 = u32::MAX;
/// Marks an id of the chunk's own table (ids without it are handles of [`Ctx::known`]).
const LOCAL: u32 = 1 << 31;

/// The id of `s` in the chunk's own table (a string [`Ctx::known`] does not have).
fn local_id(local: &mut Rodeo<Spur, FxBuildHasher>, s: &str) -> u32 {
    let i = local.get_or_intern(s).into_usize();
    // A chunk of a few megabytes holds far fewer than 2^31 strings.
    debug_assert!(i < LOCAL as usize);
    LOCAL | i as u32
}

/// A string of a chunk's rows waiting for its id: its [`Short`] key, or for a longer string
/// where its text ends in [`Pending::long_text`].
enum Queued {
    Short(Short),
    Long(usize),
}

/// How many lookups ahead [`Pending::resolve`] prefetches: a miss takes a few hundred cycles, a
/// lookup whose slot is cached a dozen or two.
const AHEAD: usize = 32;

/// The strings of a chunk's rows in order of use, waiting to be looked up all together when
/// the chunk is parsed ([`Pending::resolve`]); until then a row holds each string's index here.
/// Looked up as the row was read, every lookup waited for its own cache miss (about two thirds
/// of the lookups' `perf` samples sat on that one load); looked up in one run, each fetches the
/// table slot of the string [`AHEAD`] places on, so the misses overlap.
#[derive(Default)]
struct Pending {
    keys: Vec<Queued>,
    /// Text of the longer strings, one after another.
    long_text: String,
}

impl Pending {
    /// Queues `s` (not empty; its key `key`, `None` when longer than a key holds) and returns
    /// its index.
    fn push(&mut self, s: &str, key: Option<Short>) -> u32 {
        let i = u32::try_from(self.keys.len()).expect("fewer than 2^32 strings a chunk");
        self.keys.push(match key {
            Some(k) => Queued::Short(k),
            None => {
                self.long_text.push_str(s);
                Queued::Long(self.long_text.len())
            }
        });
        i
    }

    /// The id of every queued string, in order: its handle in `known`, or an id in the chunk's
    /// own table `local`, which gains the strings `known` lacks in order of first use (as it
    /// did when each string was looked up as its row was read).
    fn resolve(&self, known: &Known, local: &mut Rodeo<Spur, FxBuildHasher>) -> Vec<u32> {
        let prefetch = |k: Option<&Queued>| {
            if let Some(Queued::Short(s)) = k {
                known.prefetch(s);
            }
        };
        self.keys.iter().take(AHEAD).for_each(|k| prefetch(Some(k)));
        let mut long_from = 0;
        let mut buf = [0u8; 16];
        // The short strings of this chunk's own table by key: a string the table copy lacks
        // comes back row after row, and finding it by its text (a UTF-8 check of the key and
        // a hash of the text) cost about 1.5 % of a month's audit.
        let mut local_short = Slots::with_capacity(64);
        let mut ids = Vec::with_capacity(self.keys.len());
        for (i, k) in self.keys.iter().enumerate() {
            prefetch(self.keys.get(i + AHEAD));
            ids.push(match k {
                Queued::Short(s) => match known.get_short(s) {
                    Some(h) if h < LOCAL => h,
                    _ => local_short.get(s).unwrap_or_else(|| {
                        let id = local_id(local, s.text(&mut buf));
                        local_short.insert(*s, id);
                        id
                    }),
                },
                Queued::Long(end) => {
                    let text = &self.long_text[long_from..*end];
                    long_from = *end;
                    match known.get(text) {
                        Some(h) if h < LOCAL => h,
                        _ => local_id(local, text),
                    }
                }
            });
        }
        ids
    }
}

/// Take a new copy of the string table for [`Ctx::known`] once it has grown by this share
/// (or by [`Sizes::refresh`] strings): after the first batches of a month, rarely, so copying
/// costs next to nothing.
const REFRESH_SHARE: usize = 8;

/// A file whose reading in parallel has begun: its first batch is parsed (while the file
/// before it was still being committed, when files follow each other).
pub struct Started {
    reader: Batches,
    first: Option<Batch>,
    /// Lines of the file before the stream's first byte.
    lines_before: u64,
}

/// Begins reading `stream` (a file from its first byte, or a slice of it from a line start:
/// `origin`) in parallel: parses its first batch with the dial plan and clock of `norm`,
/// looking strings up in `known` (a copy of the run's string table, as it is or as it was:
/// handles only ever get added). `buf`: a buffer to read into, the file before's when there
/// was one (see [`import_stream`]).
#[allow(clippy::too_many_arguments)]
pub(super) fn start(
    stream: Box<dyn Read + Send>,
    origin: Origin,
    format: &dyn Format,
    layout: &Layout,
    norm: &Normalizer,
    known: &Known,
    sizes: Sizes,
    buf: Vec<u8>,
) -> Started {
    let mut reader = Batches {
        stream,
        buf,
        filled: 0,
        eof: false,
        skip: origin.header_rows,
        sizes,
    };
    let first = reader.next(&Ctx::new(format, layout, norm, known));
    Started {
        reader,
        first,
        lines_before: origin.lines_before,
    }
}

/// Reads the rest of a file begun with [`start`] (with the normalizer `builder` gives for the
/// file now: [`Builder::start_file`] was called) in parallel into `builder`. Returns an error
/// only in strict mode (the first rejected row).
///
/// Batches are pipelined: while the calling thread commits batch n, rayon's other threads read
/// and parse batch n + 1, so the ordered commit no longer leaves a core idle. While the last
/// batch is committed, `alongside` runs on the other threads (the caller opens the next file
/// and parses its first batch there), given the copy of the string table chunks used and the
/// file's read buffer, to read the next file into: a fresh buffer for a day's file (5 MB)
/// cost its growth and a page fault every 4 KB.
#[allow(clippy::too_many_arguments)]
pub fn import_stream(
    started: Started,
    builder: &mut Builder<'_>,
    format: &dyn Format,
    layout: &Layout,
    file_index: FileId,
    fs: &mut FileStats,
    stats: &mut ImportStats,
    opts: &ImportOptions,
    alongside: &mut (dyn FnMut(&Known, Vec<u8>) + Send),
) -> Result<()> {
    let norm = builder.normalizer();
    // The copy the file before used, if any: renewed below when the table has grown enough.
    let mut known = builder.take_snapshot();
    let Started {
        mut reader,
        first: mut next,
        lines_before,
    } = started;
    let sizes = reader.sizes;
    // 1-based line (in the file) of the first byte not yet committed.
    let mut line: u64 = lines_before + 1;
    while let Some(batch) = next {
        let more = batch.read_err.is_none() && !reader.done();
        let grown = builder.table.strings.len();
        if grown >= known.len() + (known.len() / REFRESH_SHARE).max(sizes.refresh) {
            known = Known::of(&builder.table.strings);
        }
        let ctx = Ctx::new(format, layout, &norm, &known);
        let (committed, following) = rayon::join(
            || {
                batch.chunks.iter().try_for_each(|chunk| {
                    commit(builder, chunk, file_index, fs, stats, opts, &mut line)
                })
            },
            || {
                if more {
                    reader.next(&ctx)
                } else {
                    alongside(ctx.known, std::mem::take(&mut reader.buf));
                    None
                }
            },
        );
        committed?;
        if let Some(e) = batch.read_err {
            // What was read is imported; the rest of the file is reported, as sequentially.
            let label = fs.file.clone();
            builder.snapshot = Some(known);
            reject(fs, stats, opts, &label, line, read_error(&e))?;
            return Ok(());
        }
        next = following;
    }
    builder.snapshot = Some(known);
    Ok(())
}

/// A batch parsed, its chunks proven to start at records: ready to commit in order.
struct Batch {
    chunks: Vec<Chunk>,
    /// Reading stopped with this error after the batch's bytes.
    read_err: Option<std::io::Error>,
}

/// Reads a stream in batches and parses each into proven chunks.
struct Batches {
    stream: Box<dyn Read + Send>,
    /// `buf[..filled]`: bytes read and not yet parsed into a committed-to-be chunk (a carried
    /// record first). The rest of `buf` is initialized space to read into: reading into a
    /// `Vec`'s spare capacity (`read_to_end`) zeroed the whole batch first, every batch
    /// (about 1 % of a large audit's samples).
    buf: Vec<u8>,
    filled: usize,
    eof: bool,
    /// Header records still to skip.
    skip: usize,
    sizes: Sizes,
}

impl Batches {
    /// True when every byte was handed out in a batch.
    fn done(&self) -> bool {
        self.eof && self.filled == 0
    }

    /// Reads and parses the next batch; `None` at the end of the stream.
    fn next(&mut self, ctx: &Ctx<'_>) -> Option<Batch> {
        loop {
            if self.done() {
                return None;
            }
            // Fill the batch: the carried-over bytes plus up to `batch` more.
            let mut read_err = None;
            if !self.eof {
                let want = self.sizes.batch.max(1);
                match fill(&mut *self.stream, &mut self.buf, &mut self.filled, want) {
                    Ok(ended) => self.eof = ended,
                    Err(e) => {
                        self.eof = true;
                        read_err = Some(e);
                    }
                }
            }
            // Cut the batch after its last safe line end; the rest waits for more bytes.
            let cut = if self.eof {
                self.filled
            } else {
                match last_cut(&self.buf[..self.filled]) {
                    Some(c) => c,
                    None => continue, // no line end yet: read more
                }
            };
            // After a read error the stream did not end: a record cut by the error is left out,
            // as the csv reader loses the record it was reading when the error came.
            let ends_file = self.eof && read_err.is_none();
            let (chunks, keep_from) = self.parse(cut, ends_file, ctx);
            // The last chunk of a file is read to its end, so nothing is carried past it.
            debug_assert!(!(ends_file && keep_from < cut));
            if read_err.is_some() {
                self.filled = 0;
            } else {
                self.buf.copy_within(keep_from..self.filled, 0);
                self.filled -= keep_from;
            }
            return Some(Batch { chunks, read_err });
        }
    }

    /// Parses `buf[..cut]` in chunks on rayon's threads, then proves the chunks' starts in
    /// order, reading a chunk again from the carried start when its guess was wrong. Returns
    /// the chunks and where the bytes not yet parsed begin. `ends_file`: the bytes end the
    /// file, so its last record is read as it is, cut or not.
    fn parse(&mut self, cut: usize, ends_file: bool, ctx: &Ctx<'_>) -> (Vec<Chunk>, usize) {
        let batch = &self.buf[..cut];
        let bounds = split(batch, self.sizes, rayon::current_num_threads());
        let last = bounds.len().saturating_sub(1);
        let eof = ends_file;
        let skip = self.skip;
        let parsed = in_order(bounds.len(), |i| {
            let skip = if i == 0 { skip } else { 0 };
            parse_chunk(&batch[bounds[i].clone()], skip, eof && i == last, ctx)
        });
        let mut out = Vec::with_capacity(parsed.len());
        let mut carry: Option<usize> = None; // start (in batch) of bytes to read again
        for (i, (range, guessed)) in bounds.iter().zip(parsed).enumerate() {
            let at_end = eof && i == last;
            let (from, chunk) = match carry.take() {
                None => (range.start, guessed),
                // The guess for this chunk was wrong: read it again from the carried start.
                Some(from) => (
                    from,
                    parse_chunk(&batch[from..range.end], self.skip, at_end, ctx),
                ),
            };
            self.skip -= chunk.header_skipped.min(self.skip);
            if let Some(t) = chunk.tail {
                carry = Some(from + t);
            }
            out.push(chunk);
        }
        (out, carry.unwrap_or(cut))
    }
}

/// Reads up to `want` bytes from `stream` onto `buf[..*filled]`, growing `buf` (zeroed once,
/// then reused) where it is too short. Returns true when the stream ended (fewer than `want`
/// bytes came), as `read_to_end` on `take(want)` would; bytes read before an error are kept.
fn fill(
    stream: &mut dyn Read,
    buf: &mut Vec<u8>,
    filled: &mut usize,
    want: usize,
) -> std::io::Result<bool> {
    let end = *filled + want;
    if buf.len() < end {
        buf.resize(end, 0);
    }
    while *filled < end {
        match stream.read(&mut buf[*filled..end]) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Commits a parsed chunk into the builder, in order, and advances `line` (the 1-based line of
/// the first byte not yet committed) past it.
fn commit(
    builder: &mut Builder<'_>,
    chunk: &Chunk,
    file_index: FileId,
    fs: &mut FileStats,
    stats: &mut ImportStats,
    opts: &ImportOptions,
    line: &mut u64,
) -> Result<()> {
    let base = *line - 1;
    let label = fs.file.clone();
    // Local ids to handles: interned in local order, which is the order of first use among
    // the strings the snapshot did not know (the others have their handles already), so
    // handles come out as in a sequential read.
    let map: Vec<Sym> = chunk
        .strings
        .strings()
        .map(|s| builder.table.strings.intern(s))
        .collect();
    let sym = |place: u32| {
        if place == EMPTY {
            return Sym::EMPTY;
        }
        let id = chunk.resolved[place as usize];
        if id & LOCAL != 0 {
            map[(id & !LOCAL) as usize]
        } else {
            // The table only grows, so a handle of its earlier copy is valid in it.
            Sym::from_index(id as usize).expect("a handle below LOCAL")
        }
    };
    let id_base = builder.table.ids.append(&chunk.ids);
    // Rejects and repairs are listed per kind in line order; interleaving them with the calls
    // matters only for strict mode, which stops at the first reject (its calls are dropped).
    for (line, message) in &chunk.rejects {
        reject(fs, stats, opts, &label, base + line, message.clone())?;
    }
    builder.table.calls.reserve(chunk.rows.len());
    for row in &chunk.rows {
        let h = row.strings.map(sym);
        let line = (base + row.line).min(u64::from(u32::MAX)) as u32;
        builder.commit(
            &row.core,
            &h,
            IdStore::rebase(row.ids, id_base),
            file_index,
            line,
        );
    }
    for (line, how) in &chunk.repairs {
        if stats.repairs.len() < opts.show_rejects.max(1) {
            stats.repairs.push(RowIssue {
                file: label.clone(),
                line: base + line,
                message: how.to_string(),
            });
        }
    }
    fs.rows_read += chunk.rows_read;
    fs.rows_repaired_utf8 += chunk.rows_repaired_utf8;
    fs.rows_repaired_split += chunk.repairs.len() as u64;
    fs.rows_skipped += chunk.rows_skipped;
    *line += chunk.newlines;
    Ok(())
}

/// Parses one chunk that starts at a record. `last`: the chunk ends the file (a record cut
/// by the file's end is read as it is, as the csv reader does).
fn parse_chunk(bytes: &[u8], skip: usize, last: bool, ctx: &Ctx<'_>) -> Chunk {
    let mut out = Chunk {
        // Call ids are kept apart (`ids`), so the strings here repeat: numbers, channels,
        // names and contexts, a few thousand in a chunk.
        strings: Rodeo::with_hasher(FxBuildHasher),
        resolved: Vec::new(),
        // An Asterisk row of about 250 bytes holds two ids of about 14 bytes each.
        ids: IdStore::with_capacity(bytes.len() / 8),
        rows: Vec::with_capacity(bytes.len() / 200),
        rejects: Vec::new(),
        repairs: Vec::new(),
        rows_read: 0,
        rows_repaired_utf8: 0,
        rows_skipped: 0,
        header_skipped: 0,
        tail: None,
        newlines: 0,
        last: [(Short::default(), EMPTY); FIELDS],
    };
    let resolver = LocalResolver::new(ctx.tz);
    let mut rdr = Records::new(bytes, ctx.format.delimiter());
    let mut rec = Record::default();
    let mut next = Record::default();
    // Sized for the chunk (a CDR row holds at most `FIELDS` strings in 200 bytes or more):
    // grown from empty, the queue was copied about twice its size again a chunk.
    let mut pending = Pending {
        keys: Vec::with_capacity(bytes.len() / 200 * FIELDS),
        long_text: String::new(),
    };
    // The position of the last record taken (its line is one more than the line ends before
    // it): the line ends are counted from there on only (one pass over the whole chunk to
    // count them cost about 1 % of a month's audit).
    let mut last_at = (0, 1);
    let mut have = rdr.read(&mut rec);
    while have {
        // Look one record ahead: the last record of a chunk may run on into the next chunk.
        have = rdr.read(&mut next);
        let start = rec.byte as usize;
        // A plain line ends at its own line end: only a record the csv reader read may run on.
        if !have
            && !last
            && !rec.is_plain()
            && !ends_cleanly(&bytes[start..], ctx.format.delimiter())
        {
            out.tail = Some(start);
            break;
        }
        last_at = (start, rec.line);
        if out.header_skipped < skip {
            out.header_skipped += 1;
        } else {
            row(&rec, ctx, &resolver, &mut pending, &mut out);
        }
        std::mem::swap(&mut rec, &mut next);
    }
    // Rows hold their strings' places in `pending`.
    out.resolved = pending.resolve(ctx.known, &mut out.strings);
    if out.header_skipped < skip && !last {
        // The header runs on past this chunk: read it again with the next one.
        out.tail = Some(0);
        out.rows.clear();
        out.header_skipped = 0;
    }
    let end = out.tail.unwrap_or(bytes.len());
    let (from, line) = if last_at.0 <= end { last_at } else { (0, 1) };
    out.newlines = line - 1 + memchr::memchr_iter(b'\n', &bytes[from..end]).count() as u64;
    out
}

/// Reads one data record of a chunk into `out`, as the sequential loop does.
/// The row's strings are queued in `pending` (the row holds their places there).
fn row(
    rec: &Record<'_>,
    ctx: &Ctx<'_>,
    resolver: &LocalResolver,
    pending: &mut Pending,
    out: &mut Chunk,
) {
    let line = rec.line;
    out.rows_read += 1;
    let fields = rec.fields();
    if fields.is_blank() {
        // Blank line: not a row.
        out.rows_read -= 1;
        return;
    }
    if fields.repaired() {
        out.rows_repaired_utf8 += 1;
    }
    let store = &mut out.ids;
    let rows = &mut out.rows;
    let last = &mut out.last;
    let outcome = read_row(
        ctx.format,
        ctx.layout,
        &fields,
        ctx.plan,
        resolver,
        &mut |p| {
            // A string the row holds twice (the destination is the dialled number, the
            // caller is `src`) is queued twice: the second lookup finds its slot fetched
            // already, which costs less than comparing each field with the row's others.
            // The field's place is a constant in each call: counting places as the fields
            // came cost a load and a store a field, and gave a field another place in rows
            // without a caller.
            let ids = p.strings.map_at(|slot, s| {
                if s.is_empty() {
                    return EMPTY;
                }
                let key = Short::of(s);
                let id = match (key, last[slot]) {
                    (Some(k), (prev, id)) if id != EMPTY && prev == k => id,
                    _ => pending.push(s, key),
                };
                if let Some(k) = key {
                    last[slot] = (k, id);
                }
                id
            });
            rows.push(Row {
                core: p.core,
                strings: ids,
                ids: p.ids.store(store),
                line,
            });
        },
    );
    match outcome {
        RowOutcome::Imported => {}
        RowOutcome::Skipped => out.rows_skipped += 1,
        RowOutcome::Repaired(how) => out.repairs.push((line, how)),
        RowOutcome::Rejected(message) => out.rejects.push((line, message)),
    }
}

/// True when the record starting at `bytes[0]` ends at the last byte of `bytes` (a line end
/// outside quotes). Checked by reading it again with one more line after it: a record that
/// ended reads as two records, one still inside quotes swallows the extra line.
fn ends_cleanly(bytes: &[u8], delimiter: u8) -> bool {
    let mut probe = Vec::with_capacity(bytes.len() + 2);
    probe.extend_from_slice(bytes);
    probe.extend_from_slice(b"x\n");
    let mut rdr = cdr_reader_with(&probe[..], delimiter);
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
        n += 1;
    }
    n >= 2
}

/// The end of the last safe cut in `buf`: just after a line end that follows a non-empty line.
fn last_cut(buf: &[u8]) -> Option<usize> {
    let mut i = buf.len();
    while i > 1 {
        i -= 1;
        if buf[i] == b'\n' && buf[i - 1] != b'\n' {
            return Some(i + 1);
        }
    }
    None
}

/// Runs `parse` for `0..n` on rayon's threads, each thread taking the next index as it comes
/// free, so chunks are begun in file order (with [`split`]'s shrinking chunks, the last ones
/// begun are the small ones); returns the results in index order. A thread busy elsewhere
/// (committing the batch before) joins in when it is done.
fn in_order<T: Send>(n: usize, parse: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = slots.get(i) else { break };
        let out = parse(i);
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
    };
    rayon::scope(|s| {
        for _ in 1..rayon::current_num_threads().min(n) {
            s.spawn(|_| work());
        }
        work();
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every index is taken by one thread")
        })
        .collect()
}

/// Splits `batch` into ranges cut after safe line ends, in sizes that shrink towards the end
/// (guided scheduling): a share of what is left for each of `threads`, at most
/// [`Sizes::chunk`] and at least [`Sizes::tail`] bytes. Threads that take chunks in order then
/// finish close together.
fn split(batch: &[u8], sizes: Sizes, threads: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut lo = 0;
    let (most, least) = (sizes.chunk.max(1), sizes.tail.clamp(1, sizes.chunk.max(1)));
    while lo < batch.len() {
        let left = batch.len() - lo;
        let target = lo + (left / (2 * threads.max(1))).clamp(least, most);
        if target >= batch.len() {
            out.push(lo..batch.len());
            break;
        }
        match next_cut(batch, target) {
            Some(c) if c < batch.len() => {
                out.push(lo..c);
                lo = c;
            }
            _ => {
                out.push(lo..batch.len());
                break;
            }
        }
    }
    out
}

/// The first safe cut at or after `from`.
fn next_cut(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from.max(1);
    while i < buf.len() {
        if buf[i] == b'\n' && buf[i - 1] != b'\n' {
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_reads_as_read_to_end_on_take_does_through_short_reads_and_errors() {
        // A stream that hands out its bytes three at a time, with an interruption between
        // reads, and optionally fails after its bytes.
        struct Trickle {
            bytes: Vec<u8>,
            at: usize,
            interrupt: bool,
            fail: bool,
        }
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                self.interrupt = !self.interrupt;
                if self.interrupt {
                    return Err(std::io::ErrorKind::Interrupted.into());
                }
                if self.at == self.bytes.len() && self.fail {
                    return Err(std::io::Error::other("disk gone"));
                }
                let n = out.len().min(3).min(self.bytes.len() - self.at);
                out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
                self.at += n;
                Ok(n)
            }
        }
        let text: Vec<u8> = (0..40u8).collect();
        for fail in [false, true] {
            for want in [1, 7, 39, 40, 41, 100] {
                let mut stream = Trickle {
                    bytes: text.clone(),
                    at: 0,
                    interrupt: false,
                    fail,
                };
                // Stale bytes in the buffer's spare part must not show.
                let mut buf = vec![0xAA; 5];
                let mut filled = 2;
                buf[..2].copy_from_slice(b"ab");
                loop {
                    let before = filled;
                    let r = fill(&mut stream, &mut buf, &mut filled, want);
                    assert_eq!(&buf[..2], b"ab");
                    assert_eq!(&buf[2..filled], &text[..filled - 2]);
                    match r {
                        // Not the end: exactly `want` more bytes came.
                        Ok(false) => assert_eq!(filled - before, want),
                        Ok(true) => {
                            assert!(!fail && filled - before < want);
                            break;
                        }
                        Err(e) => {
                            assert!(fail && e.kind() != std::io::ErrorKind::Interrupted);
                            break;
                        }
                    }
                }
                // Every byte arrived, before the end or the error.
                assert_eq!(filled - 2, text.len(), "want {want}, fail {fail}");
            }
        }
    }

    #[test]
    fn chunks_shrink_for_a_day_sized_file_and_stay_bounded() {
        // A 5 MB daily export: eight chunks of 640 KB (it used to be read on one thread).
        assert_eq!(Sizes::for_len(5 << 20).chunk, 640 << 10);
        // Large files: the default; tiny ones: never below the smallest chunk.
        assert_eq!(Sizes::for_len(1 << 30).chunk, Sizes::DEFAULT.chunk);
        assert_eq!(Sizes::for_len(u64::MAX).chunk, Sizes::DEFAULT.chunk);
        assert_eq!(Sizes::for_len(MIN_PARALLEL_BYTES).chunk, MIN_CHUNK);
        assert_eq!(Sizes::for_len(0).chunk, MIN_CHUNK);
        assert_eq!(Sizes::for_len(5 << 20).batch, Sizes::DEFAULT.batch);
    }

    #[test]
    fn batches_split_into_shrinking_chunks_at_line_ends() {
        let line = b"\"\",\"201\",\"0301234567\",\"from-internal\",\"2026-10-05 10:00:00\",60,55\n";
        let batch: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(line.len() * 200_000)
            .collect();
        for threads in [1, 2, 8] {
            let ranges = split(&batch, Sizes::DEFAULT, threads);
            let lens: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges.last().unwrap().end, batch.len());
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start, "contiguous");
                assert_eq!(batch[w[0].end - 1], b'\n', "cut after a line end");
            }
            let body = &lens[..lens.len() - 1];
            assert!(body
                .iter()
                .all(|&n| n >= TAIL_CHUNK && n < Sizes::DEFAULT.chunk + line.len()));
            assert!(
                body.windows(2).all(|w| w[1] <= w[0] + line.len()),
                "{lens:?}"
            );
            // Big chunks first, small ones last, and not many of them.
            assert!(lens[0] >= Sizes::DEFAULT.chunk.min(batch.len() / (2 * threads)));
            assert!(lens[lens.len() - 2] < TAIL_CHUNK + line.len(), "{lens:?}");
            assert!(lens.len() < 100, "{}", lens.len());
        }
        // Sizes below the tail (the tests' tiny chunks): every chunk of the one size.
        let tiny = Sizes {
            chunk: 300,
            tail: 4096,
            ..Sizes::DEFAULT
        };
        let lens: Vec<usize> = split(&batch[..30_000], tiny, 2)
            .iter()
            .map(|r| r.len())
            .collect();
        assert!(lens[..lens.len() - 1]
            .iter()
            .all(|&n| (300..300 + line.len()).contains(&n)));
    }

    #[test]
    fn work_taken_in_order_comes_back_in_order() {
        for n in [0, 1, 2, 3, 100] {
            let got = in_order(n, |i| {
                // Uneven work, so that threads overtake each other.
                std::thread::sleep(std::time::Duration::from_micros((i % 7 * 50) as u64));
                i * 3
            });
            assert_eq!(got, (0..n).map(|i| i * 3).collect::<Vec<_>>());
        }
    }
}

//! Parallel reading of one large plain file, with the same result as reading it in order.
//!
//! The file is read in batches; each batch is cut into chunks at line ends and the chunks are
//! parsed on rayon's threads: records, the format's parser, the dial plan, times, and a
//! chunk-local string table ([`super::prepare`] does the per-row work for both paths). The
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
//! gives it.

use super::prepare::{read_row, Core, Handles, RowOutcome};
use super::{
    cdr_reader_with, reject, Fields, FileStats, Format, ImportOptions, ImportStats, Layout,
};
use super::{read_error, Builder, RowIssue};
use crate::dialplan::DialPlan;
use crate::error::Result;
use crate::intern::Sym;
use crate::timeconv::LocalResolver;
use lasso::{Capacity, Key, Rodeo, Spur};
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use std::io::Read;

/// Chunk and batch sizes of the parallel reader.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Bytes per chunk (one unit of work on one thread).
    pub chunk: usize,
    /// Bytes read per batch (chunks parsed at once; bounds the memory held).
    pub batch: usize,
}

impl Sizes {
    /// The sizes used for real files: chunks large enough that a chunk's string table
    /// dedupes well, batches small enough that memory stays bounded.
    pub const DEFAULT: Sizes = Sizes {
        chunk: 8 << 20,
        batch: 16 << 20,
    };
}

/// A plain file at least this large is read in parallel.
pub const MIN_PARALLEL_BYTES: u64 = 8 << 20;

/// Where a file is in its reading: what is left of the header, and the line of the next byte.
struct Cursor {
    /// Header records still to skip.
    skip: usize,
    /// 1-based line of the first byte not yet committed.
    line: u64,
}

/// What one file's reading shares with every chunk.
struct Ctx<'a> {
    format: &'a dyn Format,
    layout: &'a Layout,
    plan: &'a DialPlan,
    /// The zone of the file's wall-clock times (each chunk resolves with its own memo).
    tz: chrono_tz::Tz,
}

/// One imported row of a chunk, its strings as chunk-local ids.
struct Row {
    core: Core,
    strings: Handles<u32>,
    /// 1-based line within the chunk.
    line: u64,
}

/// The result of parsing one chunk.
struct Chunk {
    strings: Rodeo<Spur, FxBuildHasher>,
    rows: Vec<Row>,
    /// Rejected rows: line within the chunk, message (in order).
    rejects: Vec<(u64, String)>,
    /// Repaired rows: line within the chunk, how (in order).
    repairs: Vec<(u64, String)>,
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
}

const EMPTY: u32 = u32::MAX;

/// Reads the rest of a file (`stream`, starting at the file's first byte) in parallel into
/// `builder`. Returns an error only in strict mode (the first rejected row).
#[allow(clippy::too_many_arguments)]
pub fn import_stream(
    stream: &mut dyn Read,
    builder: &mut Builder<'_>,
    format: &dyn Format,
    layout: &Layout,
    file_index: u32,
    fs: &mut FileStats,
    stats: &mut ImportStats,
    opts: &ImportOptions,
    sizes: Sizes,
) -> Result<()> {
    let norm = builder.normalizer();
    let ctx = Ctx {
        format,
        layout,
        plan: norm.plan(),
        tz: norm.resolver().tz(),
    };
    let mut cur = Cursor {
        skip: layout.header_rows,
        line: 1,
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = false;
    while !eof || !buf.is_empty() {
        // Fill the batch: the carried-over bytes plus up to `batch` more.
        let mut read_err = None;
        if !eof {
            let want = sizes.batch.max(1);
            // `read_to_end` on `take` stops short of `want` only at the end of the stream.
            match stream.take(want as u64).read_to_end(&mut buf) {
                Ok(n) => eof = n < want,
                Err(e) => {
                    eof = true;
                    read_err = Some(e);
                }
            }
        }
        // Cut the batch after its last safe line end; the rest waits for more bytes.
        let cut = if eof {
            buf.len()
        } else {
            match last_cut(&buf) {
                Some(c) => c,
                None => continue, // no line end yet: read more
            }
        };
        let batch = &buf[..cut];
        let bounds = split(batch, sizes.chunk.max(1));
        let last = bounds.len().saturating_sub(1);
        let parsed: Vec<Chunk> = bounds
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                let skip = if i == 0 { cur.skip } else { 0 };
                parse_chunk(&batch[r.clone()], skip, eof && i == last, &ctx)
            })
            .collect();
        let mut carry: Option<usize> = None; // start (in batch) of bytes to read again
        for (i, (range, chunk)) in bounds.iter().zip(parsed).enumerate() {
            let at_end = eof && i == last;
            let chunk = match carry.take() {
                None => chunk,
                Some(from) => {
                    // The guess for this chunk was wrong: read it again from the carried start.
                    let bytes = &batch[from..range.end];
                    let again = parse_chunk(bytes, cur.skip, at_end, &ctx);
                    commit(builder, &again, file_index, fs, stats, opts, &mut cur)?;
                    if let Some(t) = again.tail {
                        carry = Some(from + t);
                    }
                    continue;
                }
            };
            commit(builder, &chunk, file_index, fs, stats, opts, &mut cur)?;
            if let Some(t) = chunk.tail {
                carry = Some(range.start + t);
            }
        }
        let keep_from = carry.unwrap_or(cut);
        if let Some(e) = read_err {
            // What was read is imported; the rest of the file is reported, as sequentially.
            let label = fs.file.clone();
            reject(fs, stats, opts, &label, cur.line, read_error(&e))?;
            return Ok(());
        }
        // The last chunk of a file is read to its end, so nothing is carried past it.
        debug_assert!(!(eof && carry.is_some()));
        buf.drain(..keep_from);
    }
    Ok(())
}

/// Commits a parsed chunk into the builder, in order, and advances the cursor.
fn commit(
    builder: &mut Builder<'_>,
    chunk: &Chunk,
    file_index: u32,
    fs: &mut FileStats,
    stats: &mut ImportStats,
    opts: &ImportOptions,
    cur: &mut Cursor,
) -> Result<()> {
    let base = cur.line - 1;
    let label = fs.file.clone();
    // Local ids to handles: interned in local order, which is the order of first use.
    let map: Vec<Sym> = chunk
        .strings
        .strings()
        .map(|s| builder.table.strings.intern(s))
        .collect();
    let sym = |id: u32| {
        if id == EMPTY {
            Sym::EMPTY
        } else {
            map[id as usize]
        }
    };
    // Rejects and repairs are listed per kind in line order; interleaving them with the calls
    // matters only for strict mode, which stops at the first reject (its calls are dropped).
    for (line, message) in &chunk.rejects {
        reject(fs, stats, opts, &label, base + line, message.clone())?;
    }
    for row in &chunk.rows {
        let h = row.strings.map(sym);
        let line = (base + row.line).min(u64::from(u32::MAX)) as u32;
        builder.commit(&row.core, &h, file_index, line);
    }
    for (line, how) in &chunk.repairs {
        if stats.repairs.len() < opts.show_rejects.max(1) {
            stats.repairs.push(RowIssue {
                file: label.clone(),
                line: base + line,
                message: how.clone(),
            });
        }
    }
    fs.rows_read += chunk.rows_read;
    fs.rows_repaired_utf8 += chunk.rows_repaired_utf8;
    fs.rows_repaired_split += chunk.repairs.len() as u64;
    fs.rows_skipped += chunk.rows_skipped;
    cur.skip -= chunk.header_skipped.min(cur.skip);
    cur.line += chunk.newlines;
    Ok(())
}

/// Parses one chunk that starts at a record. `last`: the chunk ends the file (a record cut
/// by the file's end is read as it is, as the csv reader does).
fn parse_chunk(bytes: &[u8], skip: usize, last: bool, ctx: &Ctx<'_>) -> Chunk {
    let mut out = Chunk {
        // About 250 bytes a row and a few new strings per row (call ids are unique): sized once
        // instead of rehashing as the chunk fills.
        strings: Rodeo::with_capacity_and_hasher(
            Capacity::for_strings(bytes.len() / 64 + 16),
            FxBuildHasher,
        ),
        rows: Vec::with_capacity(bytes.len() / 200),
        rejects: Vec::new(),
        repairs: Vec::new(),
        rows_read: 0,
        rows_repaired_utf8: 0,
        rows_skipped: 0,
        header_skipped: 0,
        tail: None,
        newlines: 0,
    };
    let resolver = LocalResolver::new(ctx.tz);
    let mut rdr = cdr_reader_with(bytes, ctx.format.delimiter());
    let mut rec = csv::ByteRecord::new();
    let mut next = csv::ByteRecord::new();
    let mut have = matches!(rdr.read_byte_record(&mut rec), Ok(true));
    while have {
        // Look one record ahead: the last record of a chunk may run on into the next chunk.
        have = matches!(rdr.read_byte_record(&mut next), Ok(true));
        let start = rec.position().map_or(0, |p| p.byte()) as usize;
        if !have && !last && !ends_cleanly(&bytes[start..], ctx.format.delimiter()) {
            out.tail = Some(start);
            break;
        }
        if out.header_skipped < skip {
            out.header_skipped += 1;
        } else {
            row(&rec, ctx, &resolver, &mut out);
        }
        std::mem::swap(&mut rec, &mut next);
    }
    if out.header_skipped < skip && !last {
        // The header runs on past this chunk: read it again with the next one.
        out.tail = Some(0);
        out.rows.clear();
        out.header_skipped = 0;
    }
    let counted = out.tail.map_or(bytes, |t| &bytes[..t]);
    out.newlines = counted.iter().filter(|&&b| b == b'\n').count() as u64;
    out
}

/// Reads one data record of a chunk into `out`, as the sequential loop does.
fn row(rec: &csv::ByteRecord, ctx: &Ctx<'_>, resolver: &LocalResolver, out: &mut Chunk) {
    let line = rec.position().map_or(0, |p| p.line());
    out.rows_read += 1;
    if rec.len() == 1
        && rec
            .get(0)
            .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
    {
        // Blank line: not a row.
        out.rows_read -= 1;
        return;
    }
    let fields = Fields::new(rec);
    if fields.repaired() {
        out.rows_repaired_utf8 += 1;
    }
    let strings = &mut out.strings;
    let rows = &mut out.rows;
    let outcome = read_row(
        ctx.format,
        ctx.layout,
        &fields,
        ctx.plan,
        resolver,
        &mut |p| {
            let ids = p.strings.map(|s| {
                if s.is_empty() {
                    EMPTY
                } else {
                    strings.get_or_intern(s).into_usize() as u32
                }
            });
            rows.push(Row {
                core: p.core,
                strings: ids,
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

/// Splits `batch` into ranges of about `chunk` bytes, each cut after a safe line end.
fn split(batch: &[u8], chunk: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut lo = 0;
    while lo < batch.len() {
        let target = lo + chunk;
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

//! Reading one file of a run: opening it and recognizing its format ([`open_file`], which
//! needs nothing of the table, so the next file is opened while the current one is still
//! being committed), then reading it into the builder's table, in parallel
//! ([`super::parallel`]: large files, slices and pipes) or record after record
//! ([`read_in_order`]: small ones). Both readers start where [`Origin`] says: a whole file's
//! first line, or a nightly slice's line.

use super::known::Known;
use super::parallel;
use super::prepare::{read_row, Normalizer};
use super::{
    cdr_reader_with, choose, finish_note, join_note, read_error, read_head, reject, score_all,
    Builder, Clock, Fields, FileStats, Format, ImportOptions, ImportStats, Layout, Mode,
    Normalizers, RowIssue, RowOutcome, Sample, Slice, GZIP_RATIO, LOW_CONFIDENCE, SNIFF_BYTES,
};
use crate::call::FileId;
use crate::error::{Error, Result};
use crate::input::{self, Source};
use std::io::{Cursor, Read};

/// A file opened and recognized, not yet read into the table.
pub(super) struct Opened<'a> {
    fs: FileStats,
    /// `None`: nothing to read (an empty or skipped file); `fs` says why.
    go: Option<Go<'a>>,
}

/// How an opened file is read.
struct Go<'a> {
    format: &'a dyn Format,
    layout: Layout,
    /// Chunk sizes when the file is read in parallel.
    sizes: Option<parallel::Sizes>,
    input: Input,
}

/// An opened file's bytes.
enum Input {
    /// The records to read: the file from its first byte (the bytes read to recognize it
    /// first), or a slice of it.
    Raw {
        stream: Box<dyn Read + Send>,
        origin: Origin,
        /// The error that cut the first bytes short (a truncated gzip stream): the stream is
        /// those bytes only, and the error is reported after them.
        head_error: Option<std::io::Error>,
    },
    /// Read in parallel, its first batch parsed already.
    Started(parallel::Started),
}

/// Where a stream of records begins in its file, for both readers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Origin {
    /// Header records at the stream's start (none for a slice that starts past them).
    pub header_rows: usize,
    /// Lines of the file before the stream's first byte: reported line numbers stay the
    /// file's own.
    pub lines_before: u64,
}

/// Opens a file and recognizes its format (what needs no table): done for the next file while
/// the current one's last batch is committed.
pub(super) fn open_file<'a>(
    source: &'a Source,
    slice: Option<&'a Slice>,
    forced: Option<&'a dyn Format>,
    all: &[&'a dyn Format],
    mode: Mode,
) -> Result<Opened<'a>> {
    let label = source.label();
    let mut reader = input::open(source)?;
    let (head, head_error) = read_head(&mut reader);
    let mut fs = FileStats {
        file: label,
        format: String::new(),
        confidence: 0,
        rows_read: 0,
        rows_rejected: 0,
        rows_repaired_utf8: 0,
        rows_repaired_split: 0,
        rows_skipped: 0,
        note: String::new(),
    };
    let done = |fs| Ok(Opened { fs, go: None });
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        if let Some(e) = head_error {
            return Err(Error::io(&source.path, e));
        }
        fs.note = "empty file".into();
        return done(fs);
    }
    let (format, confidence, layout) = match forced {
        Some(f) => {
            let sample = Sample::from_bytes_with(&head, 50, f.delimiter());
            match f.forced_layout(&sample) {
                Ok(l) => (f, 100, l),
                Err(e) => {
                    return Err(Error::Format {
                        path: source.path.clone(),
                        message: e,
                    })
                }
            }
        }
        None => match choose(score_all(&head, all)) {
            Ok(c) => (c.format, c.score, c.layout),
            Err(message) if source.discovered => {
                fs.note = format!("skipped: {message}");
                return done(fs);
            }
            Err(message) => {
                return Err(Error::Format {
                    path: source.path.clone(),
                    message,
                })
            }
        },
    };
    fs.format = format.name().to_string();
    fs.confidence = confidence;
    if confidence < LOW_CONFIDENCE {
        fs.note = format!(
            "read as {} although only {confidence}% of the first rows fit: damaged or not this format?",
            format.name()
        );
    }
    let text_len = text_len(source, slice, &head);
    let sizes = match (mode, text_len) {
        _ if head_error.is_some() => None,
        (Mode::Auto, n) if n >= parallel::MIN_PARALLEL_BYTES => Some(parallel::Sizes::for_len(n)),
        (Mode::Parallel(s), _) => Some(s),
        _ => None,
    };
    // A slice that starts past the beginning is past the header rows too; its line numbers
    // continue the file's.
    let (stream, origin): (Box<dyn Read + Send>, _) = match slice {
        None if head_error.is_some() => (Box::new(Cursor::new(head)), Origin::file(&layout)),
        None => (
            Box::new(Cursor::new(head).chain(reader)),
            Origin::file(&layout),
        ),
        Some(sl) => (
            slice_stream(source, head, reader, sl).map_err(|e| Error::io(&source.path, e))?,
            Origin {
                header_rows: if sl.start > 0 { 0 } else { layout.header_rows },
                lines_before: sl.lines_before,
            },
        ),
    };
    Ok(Opened {
        fs,
        go: Some(Go {
            format,
            layout,
            sizes,
            input: Input::Raw {
                stream,
                origin,
                head_error,
            },
        }),
    })
}

impl Origin {
    /// A whole file's records: from its first line, after its header rows.
    fn file(layout: &Layout) -> Origin {
        Origin {
            header_rows: layout.header_rows,
            lines_before: 0,
        }
    }
}

/// The bytes of text to read, known or estimated, to choose between the readers and size the
/// chunks (an estimate changes no result). A slice's length is known (its offsets are
/// decompressed ones); a gzip file's text is judged by its compressed size (CDR text shrinks
/// about six-fold); a pipe or stdin that ended within the first bytes holds just those, and
/// one that did not is taken to be large (`zcat month.csv.gz | tollguard audit -`).
fn text_len(source: &Source, slice: Option<&Slice>, head: &[u8]) -> u64 {
    if let Some(sl) = slice {
        return sl.end.saturating_sub(sl.start);
    }
    match input::regular_file(source) {
        Some((n, true)) => n.saturating_mul(GZIP_RATIO),
        Some((n, false)) => n,
        None if head.len() < SNIFF_BYTES => head.len() as u64,
        None => u64::MAX,
    }
}

impl Opened<'_> {
    /// Parses the first batch of a file read in parallel (see [`Go::start`]) into `buf`, with
    /// the normalizer `norms` gives for its format.
    pub(super) fn start(self, norms: &Normalizers, known: &Known, buf: Vec<u8>) -> Self {
        Opened {
            go: self
                .go
                .map(|go| go.start(|f| norms.for_format(f), known, buf)),
            ..self
        }
    }
}

impl<'a> Go<'a> {
    /// True when [`Go::start`] would begin reading: the file is read in parallel and not
    /// begun yet.
    fn starts(&self) -> bool {
        matches!((&self.input, self.sizes), (Input::Raw { .. }, Some(_)))
    }

    /// Parses the first batch of a file read in parallel, with the normalizer `norm` makes
    /// for its format (only then) and the string table copy `known`, reading into `buf` (other
    /// files: as they are).
    fn start(
        self,
        norm: impl FnOnce(&dyn Format) -> Normalizer,
        known: &Known,
        buf: Vec<u8>,
    ) -> Go<'a> {
        let Go {
            format,
            layout,
            sizes,
            input,
        } = self;
        let input = match (input, sizes) {
            (Input::Raw { stream, origin, .. }, Some(sizes)) => Input::Started(parallel::start(
                stream,
                origin,
                format,
                &layout,
                &norm(format),
                known,
                sizes,
                buf,
            )),
            (input, _) => input,
        };
        Go {
            format,
            layout,
            sizes,
            input,
        }
    }
}

/// Reads an opened file into the builder's table. `alongside` runs while a file read in
/// parallel has its last batch committed (see [`parallel::import_stream`]).
pub(super) fn read_opened(
    opened: Opened<'_>,
    builder: &mut Builder<'_>,
    opts: &ImportOptions,
    stats: &mut ImportStats,
    alongside: &mut (dyn FnMut(&Known, Vec<u8>) + Send),
) -> Result<FileStats> {
    let Opened { mut fs, go } = opened;
    let Some(go) = go else {
        return Ok(fs);
    };
    let label = fs.file.clone();
    let file_index = FileId::try_from(builder.table.files.len()).map_err(|_| {
        Error::Invalid(format!(
            "more than {} input files in one run: audit them in several runs",
            usize::from(FileId::MAX) + 1
        ))
    })?;
    builder.table.files.push(label);
    if builder.start_file(go.format) == Clock::Utc {
        fs.note = join_note(
            &fs.note,
            "wall-clock times read as UTC (this format's default; set --source-tz if not)",
        );
    }
    // Not begun while the file before was committed (the first file, or one after a file
    // read in order): begun now, with the normalizer the started file reads with.
    // The copy of the string table is made only then: a file read in order needs none.
    let go = if go.starts() {
        let known = builder.take_snapshot();
        let go = go.start(|_| builder.normalizer(), &known, Vec::new());
        builder.snapshot = Some(known);
        go
    } else {
        go
    };
    let (format, layout) = (go.format, &go.layout);
    match go.input {
        Input::Started(started) => {
            parallel::import_stream(
                started, builder, format, layout, file_index, &mut fs, stats, opts, alongside,
            )?;
            finish_note(&mut fs);
            Ok(fs)
        }
        Input::Raw {
            stream,
            origin,
            head_error,
        } => read_in_order(
            stream, origin, head_error, format, layout, builder, file_index, fs, stats, opts,
        ),
    }
}

/// Reads a file on the calling thread, record after record (small files and slices, files
/// whose first bytes ended in a read error, and every file in [`Mode::Sequential`]).
#[allow(clippy::too_many_arguments)]
fn read_in_order(
    stream: Box<dyn Read + Send>,
    origin: Origin,
    head_error: Option<std::io::Error>,
    format: &dyn Format,
    layout: &Layout,
    builder: &mut Builder<'_>,
    file_index: FileId,
    mut fs: FileStats,
    stats: &mut ImportStats,
    opts: &ImportOptions,
) -> Result<FileStats> {
    let label = fs.file.clone();
    let Origin {
        header_rows,
        lines_before,
    } = origin;
    let norm = builder.normalizer();
    let mut rdr = cdr_reader_with(stream, format.delimiter());
    let mut rec = csv::ByteRecord::new();
    let mut record_no = 0usize;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // I/O errors (a truncated gzip stream) end this file, not the run. The record
                // being read when it happened is lost; the error is reported at its line (the
                // error itself carries no position), as the parallel reader reports it.
                let line = lines_before + rec.position().map_or(0, |p| p.line());
                reject(&mut fs, stats, opts, &label, line, read_error(&e))?;
                break;
            }
        }
        record_no += 1;
        if record_no <= header_rows {
            continue;
        }
        let line = lines_before + rec.position().map(|p| p.line()).unwrap_or(0);
        fs.rows_read += 1;
        let fields = Fields::new(&rec);
        if fields.is_blank() {
            // Blank line: not a row.
            fs.rows_read -= 1;
            continue;
        }
        if fields.repaired() {
            fs.rows_repaired_utf8 += 1;
        }
        let line32 = line.min(u64::from(u32::MAX)) as u32;
        let outcome = read_row(
            format,
            layout,
            &fields,
            norm.plan(),
            norm.resolver(),
            &mut |p| builder.commit_strs(p, file_index, line32),
        );
        match outcome {
            RowOutcome::Imported => {}
            RowOutcome::Skipped => fs.rows_skipped += 1,
            RowOutcome::Repaired(how) => {
                fs.rows_repaired_split += 1;
                if stats.repairs.len() < opts.show_rejects.max(1) {
                    stats.repairs.push(RowIssue {
                        file: label.clone(),
                        line,
                        message: how.to_string(),
                    });
                }
            }
            RowOutcome::Rejected(message) => {
                reject(&mut fs, stats, opts, &label, line, message)?;
            }
        }
    }
    if let Some(e) = head_error {
        let line = lines_before + rdr.position().line();
        reject(&mut fs, stats, opts, &label, line, read_error(&e))?;
    }
    finish_note(&mut fs);
    Ok(fs)
}

/// The bytes `[start, end)` of a file whose first bytes (`head`) were already read from
/// `rest`'s stream.
fn slice_stream(
    source: &Source,
    head: Vec<u8>,
    mut rest: Box<dyn Read + Send>,
    sl: &Slice,
) -> std::io::Result<Box<dyn Read + Send>> {
    let h = head.len() as u64;
    let len = sl.end.saturating_sub(sl.start);
    // `head` is decompressed already: look at the file's own first bytes.
    let gzip = input::file_is_gzip(&source.path);
    if !gzip && sl.start >= h {
        // A plain file: seek, so a nightly run costs what is new, not the file's size.
        use std::io::{Seek, SeekFrom};
        let mut f = std::fs::File::open(&source.path)?;
        f.seek(SeekFrom::Start(sl.start))?;
        return Ok(Box::new(
            std::io::BufReader::with_capacity(1 << 16, f).take(len),
        ));
    }
    if sl.start < h {
        let from_head = head[sl.start as usize..sl.end.min(h) as usize].to_vec();
        let more = sl.end.saturating_sub(h);
        return Ok(Box::new(Cursor::new(from_head).chain(rest.take(more))));
    }
    // Skipping decompresses (a gzipped predecessor is read from its decompressed offset).
    let skip = sl.start - h;
    let skipped = std::io::copy(&mut (&mut rest).take(skip), &mut std::io::sink())?;
    if skipped < skip {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "the file ended at byte {} before the committed offset {}",
                h + skipped,
                sl.start
            ),
        ));
    }
    Ok(Box::new(rest.take(len)))
}

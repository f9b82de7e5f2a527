//! Input cursors: what each input file is and how much of it was read.
//!
//! A file is recognized by its content, not its name: a fingerprint of its first (decompressed)
//! bytes, up to [`HEAD_BYTES`]; CDR rows carry timestamps and call ids, so two different files
//! do not share a first line. Device and inode break ties between copies. That one rule covers
//! the cases a PBX's logrotate produces:
//! - growth: the same file, longer: the complete lines after the committed offset are read;
//! - rotation: `Master.csv` renamed to `Master.csv.1` and a new `Master.csv`: the renamed file
//!   still has the old fingerprint and is read on from its offset; the new one is new;
//! - compression: `Master.csv.1.gz` decompresses to the same bytes, so it is read on from the
//!   committed decompressed offset;
//! - truncation (copytruncate, or a file rewritten in place): the fingerprint no longer matches,
//!   or the file is shorter than the offset: it is read from the start, with a note.
//!
//! Only complete lines are read from a plain file; a partial last line (the PBX is writing it)
//! waits for the next run. A gzipped file is final and is read to its end.

use super::fnv1a;
use crate::error::{Error, Result};
use crate::import::Slice;
use crate::input::Source;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// Bytes of a file's beginning that identify it.
pub const HEAD_BYTES: usize = 4096;

/// What was read of one file, as committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Path when last read (for notes; files are matched by content).
    pub path: String,
    /// Device id when last read.
    pub dev: u64,
    /// Inode when last read.
    pub ino: u64,
    /// Length of the fingerprinted beginning (at most [`HEAD_BYTES`], never 0).
    pub head_len: u64,
    /// FNV-1a of those bytes.
    pub head_hash: u64,
    /// Decompressed bytes consumed (always at a line start).
    pub offset: u64,
    /// Lines consumed (newlines before `offset`).
    pub lines: u64,
}

/// What a run will read, and the cursors to commit once it has been delivered.
#[derive(Debug, Default)]
pub struct Plan {
    /// The parts to read, oldest file first.
    pub slices: Vec<Slice>,
    /// The cursors after this run.
    pub cursors: Vec<Cursor>,
    /// What the plan noticed (rotations, truncations, lost predecessors).
    pub notes: Vec<String>,
}

/// One input file as found now.
struct Found {
    source: Source,
    dev: u64,
    ino: u64,
    gzip: bool,
    head: Vec<u8>,
}

impl Found {
    fn fits(&self, c: &Cursor) -> bool {
        let n = c.head_len as usize;
        n > 0 && self.head.len() >= n && fnv1a(&self.head[..n]) == c.head_hash
    }
}

fn inspect(source: &Source) -> Result<Found> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&source.path).map_err(|e| Error::io(&source.path, e))?;
    let gzip = crate::input::file_is_gzip(&source.path);
    let mut head = Vec::with_capacity(HEAD_BYTES);
    // A damaged gzip stream keeps what decompressed.
    let _ = crate::input::open(source)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head);
    Ok(Found {
        source: source.clone(),
        dev: meta.dev(),
        ino: meta.ino(),
        gzip,
        head,
    })
}

/// Scans a file from `start`: the end of the part to read (after the last newline; the end of
/// the data for a final, gzipped file), and the newlines in it.
fn scan(source: &Source, start: u64, final_file: bool) -> Result<(u64, u64, u64)> {
    let io = |e| Error::io(&source.path, e);
    let (mut r, skipped): (Box<dyn Read>, u64) = if final_file {
        // Compressed: the offset is in decompressed bytes, so decompress up to it.
        let mut r = crate::input::open(source)?;
        let n = std::io::copy(&mut (&mut r).take(start), &mut std::io::sink()).map_err(io)?;
        (r, n)
    } else {
        // Plain: seek (a nightly run costs what is new, not the file's size).
        use std::io::{Seek, SeekFrom};
        let mut f = std::fs::File::open(&source.path).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        let at = start.min(len);
        f.seek(SeekFrom::Start(at)).map_err(io)?;
        (Box::new(f), at)
    };
    if skipped < start {
        // Shorter than what was read before: the caller treats it as truncated.
        return Ok((skipped, 0, skipped));
    }
    let (mut pos, mut last_nl_end, mut newlines) = (start, start, 0u64);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A truncated gzip stream: what decompressed counts; the importer reports the rest.
            Err(_) if final_file => break,
            Err(e) => return Err(Error::io(&source.path, e)),
        };
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' {
                newlines += 1;
                last_nl_end = pos + i as u64 + 1;
            }
        }
        pos += n as u64;
    }
    let end = if final_file { pos } else { last_nl_end };
    if final_file && pos > last_nl_end {
        newlines += 1; // the unterminated last line is a line
    }
    Ok((end, newlines, pos))
}

/// Plans a run over `sources` from the committed `cursors`.
pub fn plan(sources: &[Source], cursors: &[Cursor]) -> Result<Plan> {
    let mut found = Vec::new();
    for s in sources {
        if s.path.as_os_str() == "-" {
            return Err(Error::Invalid(
                "nightly runs read files, not stdin (a cursor needs a file to come back to)".into(),
            ));
        }
        found.push(inspect(s)?);
    }
    let mut out = Plan::default();
    let mut claimed = vec![false; cursors.len()];
    // Files on the same inode first, so a copy never steals the original's cursor.
    let mut matched: Vec<Option<usize>> = vec![None; found.len()];
    for pass in 0..2 {
        for (fi, f) in found.iter().enumerate() {
            if matched[fi].is_some() {
                continue;
            }
            let pick = cursors.iter().enumerate().find(|(ci, c)| {
                !claimed[*ci] && f.fits(c) && (pass == 1 || (c.dev == f.dev && c.ino == f.ino))
            });
            if let Some((ci, _)) = pick {
                claimed[ci] = true;
                matched[fi] = Some(ci);
            }
        }
    }
    for (fi, f) in found.iter().enumerate() {
        let label = f.source.label();
        let (mut start, mut lines) = (0u64, 0u64);
        match matched[fi] {
            Some(ci) => {
                let c = &cursors[ci];
                if c.path != label {
                    out.notes.push(format!(
                        "{label} is the file read before as {} (rotated or compressed): read on from byte {}",
                        c.path, c.offset
                    ));
                }
                start = c.offset;
                lines = c.lines;
            }
            None => {
                if let Some(c) = cursors
                    .iter()
                    .find(|c| c.path == label && c.dev == f.dev && c.ino == f.ino)
                {
                    out.notes.push(format!(
                        "{label} was truncated or rewritten since the last run (its beginning changed; {} bytes had been read): read from the start",
                        c.offset
                    ));
                }
            }
        }
        let (mut end, mut newlines, total) = scan(&f.source, start, f.gzip)?;
        if total < start {
            out.notes.push(format!(
                "{label} is shorter ({total} bytes) than what was read of it before ({start}): truncated; read from the start"
            ));
            (start, lines) = (0, 0);
            (end, newlines, _) = scan(&f.source, 0, f.gzip)?;
        }
        push(&mut out, f, start, end, lines, newlines);
    }
    lost(&mut out, cursors, &claimed, &found);
    Ok(out)
}

fn push(out: &mut Plan, f: &Found, start: u64, end: u64, lines: u64, newlines: u64) {
    if end > start {
        out.slices.push(Slice {
            source: f.source.clone(),
            start,
            end,
            lines_before: lines,
        });
    }
    // Nothing complete read yet: no cursor (a fingerprint of nothing would fit every file).
    let consumed = end.max(start);
    if consumed == 0 {
        return;
    }
    let head_len = (consumed as usize).min(HEAD_BYTES).min(f.head.len());
    out.cursors.push(Cursor {
        path: f.source.label(),
        dev: f.dev,
        ino: f.ino,
        head_len: head_len as u64,
        head_hash: fnv1a(&f.head[..head_len]),
        offset: consumed,
        lines: lines + newlines,
    });
}

fn lost(out: &mut Plan, cursors: &[Cursor], claimed: &[bool], found: &[Found]) {
    for (c, _) in cursors.iter().zip(claimed).filter(|(_, &cl)| !cl) {
        // The same file truncated in place: already noted, and read from the start.
        if found
            .iter()
            .any(|f| f.source.label() == c.path && f.dev == c.dev && f.ino == c.ino)
        {
            continue;
        }
        // Its file is gone or no longer among the inputs: it cannot be read on.
        let reused = found.iter().any(|f| f.source.label() == c.path);
        out.notes.push(format!(
            "the file read before as {} ({} bytes read){}; if it grew before it was rotated, those calls were not read: pass the directory or a glob (Master.csv*) so rotated files are found",
            c.path,
            c.offset,
            if reused { " now holds other content and its predecessor is not among the inputs" } else { " is not among the inputs any more" }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::Path;

    fn src(p: &Path) -> Source {
        Source {
            path: p.to_path_buf(),
            discovered: false,
        }
    }

    /// Plans `files` from `cursors` and returns (label, start, end, lines_before) per slice.
    fn parts(files: &[&Path], cursors: &[Cursor]) -> (Vec<(String, u64, u64, u64)>, Plan) {
        let sources: Vec<Source> = files.iter().map(|p| src(p)).collect();
        let p = plan(&sources, cursors).unwrap();
        let v = p
            .slices
            .iter()
            .map(|s| {
                let name = s
                    .source
                    .path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                (name, s.start, s.end, s.lines_before)
            })
            .collect();
        (v, p)
    }

    #[test]
    fn growth_reads_only_new_complete_lines() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("Master.csv");
        std::fs::write(&f, "line one\nline two\npart").unwrap();
        let (v, p) = parts(&[&f], &[]);
        assert_eq!(v, [("Master.csv".into(), 0, 18, 0)]);
        assert_eq!(p.cursors[0].offset, 18);
        assert_eq!(p.cursors[0].lines, 2);
        // Nothing new and complete: nothing to read, the cursor stays.
        let (v, p2) = parts(&[&f], &p.cursors);
        assert!(v.is_empty());
        assert_eq!(p2.cursors, p.cursors);
        // The partial line completes and another follows.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&f)
            .unwrap()
            .write_all(b" three\nfour\n")
            .unwrap();
        let (v, p3) = parts(&[&f], &p.cursors);
        assert_eq!(v, [("Master.csv".into(), 18, 34, 2)]);
        assert_eq!(p3.cursors[0].lines, 4);
        assert!(p3.notes.is_empty(), "{:?}", p3.notes);
    }

    #[test]
    fn rotation_and_gzip_predecessor_are_read_on_from_the_offset() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("Master.csv");
        std::fs::write(&f, "2026-01-01 first row\n").unwrap();
        let (_, p) = parts(&[&f], &[]);
        // The PBX wrote more, then logrotate renamed and compressed the file.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&f)
            .unwrap()
            .write_all(b"2026-01-01 second row\n")
            .unwrap();
        let plain = std::fs::read(&f).unwrap();
        let gz_path = d.path().join("Master.csv.1.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        std::fs::remove_file(&f).unwrap();
        std::fs::write(&f, "2026-01-02 new file row\n").unwrap();
        let (v, p2) = parts(&[&f, &gz_path], &p.cursors);
        assert_eq!(
            v,
            [
                ("Master.csv".into(), 0, 24, 0),
                ("Master.csv.1.gz".into(), 21, 43, 1)
            ]
        );
        assert!(
            p2.notes.iter().any(|n| n.contains("rotated")),
            "{:?}",
            p2.notes
        );
        // Next run: both files fully read, nothing again.
        let (v, _) = parts(&[&f, &gz_path], &p2.cursors);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn truncation_is_read_from_the_start() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("Master.csv");
        std::fs::write(&f, "2026-01-01 aaaa\n2026-01-01 bbbb\n").unwrap();
        let (_, p) = parts(&[&f], &[]);
        // copytruncate, then a new row: same inode, other beginning, shorter.
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&f)
            .unwrap()
            .write_all(b"2026-01-02 cccc\n")
            .unwrap();
        let (v, p2) = parts(&[&f], &p.cursors);
        assert_eq!(v, [("Master.csv".into(), 0, 16, 0)]);
        assert!(
            p2.notes.iter().any(|n| n.contains("truncated")),
            "{:?}",
            p2.notes
        );
        // Shorter than what was read, with the same first line: also read from the start.
        std::fs::write(&f, "2026-01-02 cccc\n2026-01-02 dddd\n").unwrap();
        let (_, p3) = parts(&[&f], &p2.cursors);
        std::fs::write(&f, "2026-01-02 cccc\n").unwrap();
        let (v, p4) = parts(&[&f], &p3.cursors);
        assert_eq!(v, [("Master.csv".into(), 0, 16, 0)]);
        assert!(
            p4.notes.iter().any(|n| n.contains("truncated")),
            "{:?}",
            p4.notes
        );
    }

    #[test]
    fn a_lost_predecessor_and_stdin_are_reported() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("Master.csv");
        std::fs::write(&f, "2026-01-01 first\n").unwrap();
        let (_, p) = parts(&[&f], &[]);
        // Rotated to where the inputs do not reach (kept, so its inode is not reused).
        std::fs::create_dir(d.path().join("old")).unwrap();
        std::fs::rename(&f, d.path().join("old/Master.csv.1")).unwrap();
        std::fs::write(&f, "2026-01-02 other\n").unwrap();
        let (_, p2) = parts(&[&f], &p.cursors);
        assert!(
            p2.notes.iter().any(|n| n.contains("not read")),
            "{:?}",
            p2.notes
        );
        assert!(plan(&[src(Path::new("-"))], &[]).is_err());
    }

    #[test]
    fn slices_import_with_true_line_numbers() {
        let config = crate::config::Config::defaults();
        let data = crate::synth::few_days("asterisk-csv", 3, 1, 4);
        let text = String::from_utf8(data).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        assert!(lines.len() > 10);
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("Master.csv");
        let cut = lines.len() / 2;
        // First night: half the rows plus half a row being written.
        let mut first: String = lines[..cut].concat();
        first.push_str(&lines[cut][..10]);
        std::fs::write(&f, &first).unwrap();
        let import = |p: &Plan| {
            let classifier = Classifier::from_config(&config).unwrap();
            let mut b = crate::import::Builder::new(&config, &classifier).unwrap();
            let stats = crate::import::import_slices(
                &p.slices,
                &mut b,
                &crate::import::ImportOptions::default(),
            )
            .unwrap();
            let mut lines: Vec<u32> = b.table.calls.iter().map(|c| c.line).collect();
            lines.sort_unstable();
            (stats, lines)
        };
        let p1 = plan(&[src(&f)], &[]).unwrap();
        let (s1, l1) = import(&p1);
        assert_eq!(s1.rows_read, cut as u64);
        assert_eq!(s1.rows_rejected, 0);
        assert_eq!(l1, (1..=cut as u32).collect::<Vec<_>>());
        std::fs::write(&f, text.as_bytes()).unwrap();
        let p2 = plan(&[src(&f)], &p1.cursors).unwrap();
        let (s2, l2) = import(&p2);
        assert_eq!(s2.rows_read, (lines.len() - cut) as u64);
        assert_eq!(s2.rows_rejected, 0);
        assert_eq!(
            l2,
            (cut as u32 + 1..=lines.len() as u32).collect::<Vec<_>>()
        );
    }

    use crate::number::Classifier;
}

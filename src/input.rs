//! Input resolution: command-line arguments to a list of byte streams.
//!
//! An argument is `-` (stdin), a file, a directory (walked recursively, sorted, so runs are
//! reproducible) or a glob pattern. Gzip is recognized by its magic bytes, not its name, so a
//! rotated `Master.csv.1` that happens to be compressed still reads. Files found by walking a
//! directory may turn out not to be CDRs (a README beside the logs): those are skipped with a
//! note; a file named explicitly must be readable as a CDR.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Path, or `-` for stdin.
    pub path: PathBuf,
    /// True when found by walking a directory or expanding a glob (undetectable files are
    /// skipped with a note instead of failing the run).
    pub discovered: bool,
}

impl Source {
    /// The label used in reports (`-` becomes `<stdin>`).
    pub fn label(&self) -> String {
        if self.path.as_os_str() == "-" {
            "<stdin>".into()
        } else {
            self.path.display().to_string()
        }
    }
}

/// Expands command-line arguments into sources, in a stable order.
pub fn resolve(args: &[String]) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for arg in args {
        if arg == "-" {
            out.push(Source {
                path: PathBuf::from("-"),
                discovered: false,
            });
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .follow_links(true)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.into_path())
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|path| Source {
                path,
                discovered: true,
            }));
        } else if path.exists() {
            out.push(Source {
                path: path.to_path_buf(),
                discovered: false,
            });
        } else if arg.contains(['*', '?', '[']) {
            let mut matched: Vec<PathBuf> = glob::glob(arg)
                .map_err(|e| Error::Invalid(format!("bad glob pattern `{arg}`: {e}")))?
                .filter_map(|p| p.ok())
                .filter(|p| p.is_file())
                .collect();
            if matched.is_empty() {
                return Err(Error::Invalid(format!("no file matches `{arg}`")));
            }
            matched.sort();
            out.extend(matched.into_iter().map(|path| Source {
                path,
                discovered: true,
            }));
        } else {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
    }
    Ok(out)
}

/// Opens a source as a decompressed byte stream.
pub fn open(source: &Source) -> Result<Box<dyn Read + Send>> {
    let raw: Box<dyn Read + Send> = if source.path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(crate::progress::Counted(
            File::open(&source.path).map_err(|e| Error::io(&source.path, e))?,
        ))
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    let gzip = {
        use std::io::BufRead;
        is_gzip(reader.fill_buf().map_err(|e| Error::io(&source.path, e))?)
    };
    if gzip {
        // MultiGzDecoder: logrotate and `cat a.gz b.gz` produce multi-member files.
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// What the importer needs to know of a source before reading it: a regular file's length on
/// disk and whether it is gzip-compressed; `None` for stdin and anything that is not a regular
/// file. Such files are read in parallel chunks.
pub fn regular_file(source: &Source) -> Option<(u64, bool)> {
    if source.path.as_os_str() == "-" {
        return None;
    }
    let meta = std::fs::metadata(&source.path).ok()?;
    meta.is_file()
        .then(|| (meta.len(), file_is_gzip(&source.path)))
}

/// True when `bytes` begin with gzip's magic number.
fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Whether the file at `path` is gzip-compressed, judged by its first two bytes (`false` when
/// they cannot be read). What [`open`] decides by, for callers that need to know before or
/// without decompressing.
pub fn file_is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && is_gzip(&magic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn directories_globs_and_files_resolve_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.csv", ".hidden", "sub/c.csv"] {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let d = dir.path().to_string_lossy().to_string();
        let got: Vec<String> = resolve(std::slice::from_ref(&d))
            .unwrap()
            .iter()
            .map(|s| {
                s.path
                    .strip_prefix(&d)
                    .unwrap()
                    .to_string_lossy()
                    .to_string()
            })
            .collect();
        assert_eq!(got, ["a.csv", "b.csv", "sub/c.csv"]);
        let g = resolve(&[format!("{d}/*.csv")]).unwrap();
        assert_eq!(g.len(), 2);
        assert!(resolve(&[format!("{d}/*.nothing")]).is_err());
        assert!(resolve(&[format!("{d}/missing.csv")]).is_err());
    }

    #[test]
    fn gzip_is_detected_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Master.csv.1");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello,world\n").unwrap();
        std::fs::write(&p, gz.finish().unwrap()).unwrap();
        let mut s = String::new();
        open(&Source {
            path: p,
            discovered: false,
        })
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
        assert_eq!(s, "hello,world\n");
    }
}

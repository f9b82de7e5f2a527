//! The library's error type: every failure that stops a run, with the path or key it concerns.
//!
//! Per-row problems are *not* errors: they are [`crate::import::RowIssue`]s, counted and reported
//! while the run goes on (unless `--strict`).

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors that end a run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file or directory could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path concerned (`-` for stdin).
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The configuration file is invalid: unknown key, bad value, bad syntax.
    #[error("invalid configuration {path}: {message}")]
    Config {
        /// The configuration file (or `<built-in>` / `<command line>`).
        path: PathBuf,
        /// What is wrong, naming the key and the line where known.
        message: String,
    },
    /// A command-line value or setting is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The input format could not be recognized.
    #[error("{path}: {message}")]
    Format {
        /// The input concerned.
        path: PathBuf,
        /// Why detection failed and what to do.
        message: String,
    },
    /// `--strict` was given and a row could not be read (the run stops at the first one).
    #[error("--strict: rejected row {row}")]
    Strict {
        /// The rejected row: `file:line: why`.
        row: String,
    },
    /// A rate deck or risk list could not be loaded.
    #[error("{path}:{line}: {message}")]
    Data {
        /// The data file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Writing a report failed.
    #[error("cannot write report: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

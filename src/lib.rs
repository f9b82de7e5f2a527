//! tollguard: finds telephone toll fraud in PBX call detail records.
//!
//! The library owns the whole pipeline; the binary (`src/main.rs`) only parses the command line,
//! resolves one [`config::Config`] and maps errors to exit codes. Data flows one way:
//!
//! ```text
//! input (files, globs, dirs, stdin, .gz) -> import::<format> -> Call
//!   -> number::Classifier (memoized per dialled string: country, type, risk, rate)
//!   -> analyze (group per subject, rules in parallel with rayon) -> Finding -> Incident
//!   -> report::{terminal, json, csv} -> email (alerts, spooled when undeliverable)
//! ```
//!
//! `nightly` wraps the same pipeline with state (`state`): input cursors so each run reads only
//! new rows, an hourly Parquet history with learned baselines, alert de-duplication, and one
//! atomic commit after the report was delivered. `export` writes normalized calls as Parquet.

pub mod analyze;
pub mod audit;
pub mod calendar;
pub mod call;
pub mod channel_name;
pub mod cli;
pub mod config;
pub mod dialplan;
pub mod email;
pub mod error;
pub mod export;
pub mod groups;
pub mod ids;
pub mod import;
pub mod input;
pub mod intern;
pub mod nightly;
pub mod number;
pub mod progress;
pub mod report;
pub mod rules;
pub mod state;
pub mod symmap;
pub mod synth;
pub mod text;
pub mod timeconv;
pub mod utc_offsets;

pub use error::{Error, Result};

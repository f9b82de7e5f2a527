//! The integration tests: one binary (clean builds are slow; one link instead of many).
//!
//! - `cli`: drives the real `tollguard` binary (exit codes, outputs, inputs, config errors);
//! - `email`: alerts through a real SMTP server on 127.0.0.1 (TLS modes, failures, spool);
//! - `fixtures`: data-only cases under `tests/fixtures/` (add a case without writing Rust);
//! - `formats`: the same synthetic month in every format gives the same findings;
//! - `hostile`: broken, truncated and attacker-controlled input;
//! - `html`: the HTML report opened in headless Chromium (hostile CDR text stays text);
//! - `month`: a seeded synthetic month with planted attacks, checked end to end;
//! - `scenarios`: a benign month plus one planted attack per rule, found/missed per rule;
//! - `nightly`: 60 simulated nights (growth, partial line, rotation, gzip), baselines, the
//!   day-45 attack, de-duplication, and runs killed at failpoints and at random moments;
//! - `numbers`: number classification against an independent libphonenumber implementation.

mod cli;
mod common;
mod email;
mod fixtures;
mod formats;
mod hostile;
mod html;
mod month;
mod nightly;
mod numbers;
mod scenarios;

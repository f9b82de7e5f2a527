//! The progress bar of long audits: bytes read over all inputs, drawn on stderr only when
//! stderr is a terminal (indicatif hides it otherwise), so cron jobs and pipes stay silent.
//!
//! It is process-wide on purpose: input readers deep in the importers count bytes through
//! [`Counted`] without every layer passing a handle down. Only the binary starts it; the
//! library and the tests never do, and then counting is a no-op.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Read;
use std::sync::OnceLock;

static BAR: OnceLock<ProgressBar> = OnceLock::new();

/// Starts the bar for `total` bytes (call once, from the binary).
pub fn start(total: u64) {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message("reading");
    let _ = BAR.set(bar);
}

/// Counts `n` bytes read.
pub fn add(n: u64) {
    if let Some(b) = BAR.get() {
        b.inc(n);
    }
}

/// Names the current phase (`analysing`).
pub fn phase(msg: &'static str) {
    if let Some(b) = BAR.get() {
        b.set_message(msg);
    }
}

/// Removes the bar before the report is printed.
pub fn finish() {
    if let Some(b) = BAR.get() {
        b.finish_and_clear();
    }
}

/// A reader that counts the bytes it passes on.
pub struct Counted<R>(pub R);

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        add(n as u64);
        Ok(n)
    }
}

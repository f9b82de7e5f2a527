//! Test only: the import makes no heap allocation per row (issue 7's "no per-row allocation on
//! the hot path"), checked by counting allocations.
//!
//! A counting global allocator wraps the system allocator for the unit-test binary. It counts
//! only on threads that opted in (a thread-local flag), so the other tests running at the same
//! time do not disturb the count: the import runs on a rayon pool of its own whose threads opt
//! in when they start.
//!
//! A few synthetic rows are repeated into a file of N rows and one of 4N rows, so both runs
//! meet the same few distinct numbers, names and channels: whatever allocates per distinct
//! string or number (interning, classification) costs the same in both, and the difference is
//! what the extra rows cost. Few distinct numbers also keep the phone-number library's shared
//! regex cache (which other tests use at the same time) from adding noise. Each measured import
//! follows an unmeasured one, so lazily built global tables are built before counting.

use super::{import_all_with, parallel::Sizes, Builder, ImportOptions, Mode};
use crate::config::Config;
use crate::number::Classifier;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting the allocations of opted-in threads.
struct Counting;

static COUNT: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Const-initialized and without a destructor: reading it allocates nothing, which an
    // allocator's own bookkeeping must not.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTED.with(Cell::get) {
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed on to `System` unchanged; counting touches no heap memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made while importing `data` (written to a file in `dir`) with `mode`, on a
/// counted rayon pool. Returns them with the number of calls imported.
fn allocations(
    dir: &std::path::Path,
    name: &str,
    data: &[u8],
    mode: Mode,
    config: &Config,
    classifier: &Classifier,
) -> (u64, usize) {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    let sources = crate::input::resolve(&[path.display().to_string()]).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .start_handler(|_| COUNTED.with(|c| c.set(true)))
        .build()
        .unwrap();
    let opts = ImportOptions {
        format: Some("asterisk-csv".into()),
        ..Default::default()
    };
    pool.install(|| {
        let mut warm = Builder::new(config, classifier).unwrap();
        import_all_with(&sources, &mut warm, &opts, mode).unwrap();
        drop(warm);
        let mut builder = Builder::new(config, classifier).unwrap();
        let before = COUNT.load(Ordering::Relaxed);
        let stats = import_all_with(&sources, &mut builder, &opts, mode).unwrap();
        let after = COUNT.load(Ordering::Relaxed);
        assert_eq!(stats.rows_rejected, 0, "the synthetic rows are all valid");
        (after - before, builder.table.calls.len())
    })
}

#[test]
fn importing_allocates_per_chunk_and_per_distinct_string_not_per_row() {
    let (config, classifier) = super::robustness::berlin();
    let month = crate::synth::few_days("asterisk-csv", 3, 7, 60);
    let rows: Vec<&[u8]> = month.split_inclusive(|&b| b == b'\n').take(25).collect();
    let base = rows.concat();
    let once = base.repeat(100);
    let four = base.repeat(400);
    let dir = tempfile::tempdir().unwrap();
    let modes = [
        ("sequential", Mode::Sequential),
        (
            "parallel",
            Mode::Parallel(Sizes {
                // Chunks of one size (no shrinking tail), so the count of chunks grows with
                // the rows and no faster.
                chunk: 512 << 10,
                tail: 512 << 10,
                batch: 2 << 20,
                refresh: 1024,
            }),
        ),
    ];
    for (label, mode) in modes {
        let (a, rows) = allocations(dir.path(), "once.csv", &once, mode, &config, &classifier);
        let (b, rows4) = allocations(dir.path(), "four.csv", &four, mode, &config, &classifier);
        assert_eq!(rows4, 4 * rows, "{label}");
        assert!(
            rows > 2000,
            "{label}: a file of {rows} rows is too small to tell"
        );
        let extra = b.saturating_sub(a);
        eprintln!("{label}: {a} allocations for {rows} rows, {b} for {rows4}");
        // One allocation a row would add 3 * rows. What may grow: the call table and id store
        // (doublings), and in parallel mode some per chunk of 512 KB (about 2,000 rows).
        assert!(
            extra * 10 < 3 * rows as u64,
            "{label}: {a} allocations for {rows} rows, {b} for {rows4}: {extra} more"
        );
    }
}

//! Spreading a loop over records across threads (std only), with results in a fixed order so
//! output does not depend on scheduling.

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many worker threads to use: all cores unless `requested` says otherwise.
pub fn thread_count(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}

/// Calls `work` on consecutive chunks of `0..n` from `threads` threads; returns the results in
/// chunk order. Small chunks balance uneven blocks.
pub(crate) fn map_chunks<T: Send>(
    n: usize,
    threads: usize,
    work: impl Fn(Range<usize>) -> T + Sync,
) -> Vec<T> {
    if n == 0 {
        return Vec::new();
    }
    let chunk = (n / (threads * 32)).clamp(16, 4096);
    let chunks = n.div_ceil(chunk);
    if threads <= 1 || chunks == 1 {
        return (0..chunks)
            .map(|i| work(i * chunk..((i + 1) * chunk).min(n)))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(chunks));
    std::thread::scope(|scope| {
        for _ in 0..threads.min(chunks) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= chunks {
                        break;
                    }
                    let out = work(i * chunk..((i + 1) * chunk).min(n));
                    results.lock().expect("no worker panicked").push((i, out));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, out)| out).collect()
}

//! The data cache under contention: OS threads read (and some revalidate) one shared
//! [`DataCache`] as a page's loaders do, and the bench prints operations per second for 1, 2,
//! 4 and 8 threads, next to what a perfect scaling from one thread would give on this
//! machine's cores. A cache that serialises its readers shows as a ratio well under 1.
//!
//! `cargo bench -p formwork --features ssr --bench cache [-- seconds]` (`bench/cache.sh`).
//! Figures, not assertions.

use formwork::cache::DataCache;
use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Barrier,
    },
    time::{Duration, Instant},
};

/// Keys read, as a site's pages of posts, comment threads and counts.
const KEYS: usize = 1_000;
/// Tags: each key carries one of these, so a revalidation purges a twentieth of the cache.
const TAGS: usize = 20;

/// A page of twenty posts, as the cache keeps it: what a hit clones.
type Page = Arc<Vec<String>>;

fn page(key: usize) -> Page {
    Arc::new(
        (0..20)
            .map(|i| format!("post {key}-{i}: a title of a usual length, and its author"))
            .collect(),
    )
}

fn key_name(key: usize) -> String {
    format!("posts:{key}")
}

fn tag_of(key: usize) -> String {
    format!("t{}", key % TAGS)
}

/// A read of `key` as a page makes it: a hit, or a load kept under the key's tag.
async fn read(cache: &DataCache, key: usize) -> Option<Page> {
    let value: Result<Page, ()> = cache
        .get_or_load(
            &key_name(key),
            vec![tag_of(key)],
            None,
            |_| Vec::new(),
            move || async move { Ok(page(key)) },
        )
        .await;
    value.ok()
}

/// One thread's loop: reads keys in a scrambled order; every `purge_every`th operation (0:
/// never) revalidates a tag instead. Misses load at once (the database is not the subject).
async fn work(cache: DataCache, thread: usize, purge_every: u64, stop: Arc<AtomicBool>) -> u64 {
    let mut ops = 0u64;
    let mut at = thread * 7919;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..64 {
            at = (at + 104_729) % KEYS;
            ops += 1;
            if purge_every != 0 && ops.is_multiple_of(purge_every) {
                cache.purge_tag(&tag_of(at));
                continue;
            }
            std::hint::black_box(read(&cache, at).await);
        }
    }
    ops
}

/// Operations per second with `threads` threads, each on a runtime of its own, sharing one
/// cache (or, `shared` false, each with a cache of its own: what the machine gives threads
/// that share nothing, the ceiling to compare with).
fn run(threads: usize, purge_every: u64, seconds: f64, shared: bool) -> f64 {
    let cache = DataCache::with_capacity(KEYS * 2);
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let cache = if shared {
                cache.clone()
            } else {
                DataCache::with_capacity(KEYS * 2)
            };
            let (stop, total, start) = (stop.clone(), total.clone(), start.clone());
            std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
                    start.wait();
                    return;
                };
                // Warm: every key loaded once.
                runtime.block_on(async {
                    for key in 0..KEYS {
                        read(&cache, key).await;
                    }
                });
                start.wait();
                let ops = runtime.block_on(work(cache, thread, purge_every, stop));
                total.fetch_add(ops, Ordering::Relaxed);
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for handle in handles {
        let _ = handle.join();
    }
    total.load(Ordering::Relaxed) as f64 / began.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("== formwork's data cache under contention: {cores} cores, {seconds} s per figure ==");
    for (label, purge_every) in [
        ("reads only (every read a hit)", 0),
        ("1 revalidation per 1,000 operations", 1_000),
        ("1 revalidation per 50 operations", 50),
    ] {
        println!("{label}:");
        let one = run(1, purge_every, seconds, true);
        for threads in [1, 2, 4, 8] {
            let ops = if threads == 1 {
                one
            } else {
                run(threads, purge_every, seconds, true)
            };
            let apart = run(threads, purge_every, seconds, false);
            let ideal = one * threads.min(cores) as f64;
            println!(
                "  {threads} thread{s}: {mops:>6.2} M ops/s   {ratio:>4.2} of perfect scaling from one thread;   \
                 a cache per thread: {apart:>6.2} M ops/s ({share:.2} of it)",
                s = if threads == 1 { " " } else { "s" },
                mops = ops / 1e6,
                ratio = ops / ideal,
                apart = apart / 1e6,
                share = ops / apart,
            );
        }
    }
}

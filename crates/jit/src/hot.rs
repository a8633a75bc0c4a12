//! A small "hot" fork-join pool for short parallel regions (tens of microseconds), where
//! rayon's wake-up costs as much as the work: a call from outside rayon's pool injects the
//! job and puts the calling thread to sleep on a latch, and the futex wake-ups on both sides
//! took 5 to 10 us per region at the seed's 400x784 gemv (33 us on one thread, 37 to 44 us
//! split over rayon's two, in a training loop; docs/JIT.md).
//!
//! Here the calling thread runs part 0 itself while helper threads (one fewer than rayon's
//! thread count) run the others. A helper that has finished a part spins on its job counter
//! for [`SPIN`] before it parks, so the parallel regions of a training loop, which follow each
//! other within microseconds, find it awake. One region runs at a time: a caller that finds
//! the pool busy (another thread's region) runs every part itself.
//!
//! A part is claimed before it runs, by its helper or by the caller: the caller, done with
//! part 0, claims every part whose helper has not started it yet (a helper still waking from
//! its park, or whose CPU the host has taken away for a while) and runs it itself, rather
//! than wait. A helper that has not yet acknowledged its last job is left out of the next
//! region (its part runs on the caller).
//!
//! Invariants: a job's closure is only borrowed; [`run`] returns only after every part has
//! run, on the caller or on a helper that claimed it and then published `done`; a helper
//! whose part the caller claimed never calls the closure, and is handed no new job until it
//! has published `done` for the old one, so the job slot is never written while it is read.
//! A panic in a part is caught on the helper and re-raised on the caller after the region,
//! never leaving a helper dead.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Most helpers the pool starts (a wider machine's other threads are rayon's only).
const MAX_HELPERS: usize = 63;

/// How long a helper stays awake after a part.
pub const SPIN: Duration = Duration::from_micros(300);

/// A region's closure, as the helpers hold it: a raw pointer, so that a helper whose part
/// the caller claimed holds no reference that outlives the closure.
type Part = *const (dyn Fn(usize) + Sync + 'static);

struct Helper {
    /// Bumped by the caller to hand over a job (after writing `job`).
    seq: AtomicU64,
    /// Set to `seq` by the helper when it is finished with that job (its part has run, or the
    /// caller claimed it).
    done: AtomicU64,
    /// The last job whose part was claimed (by the helper, or by the caller instead); a job
    /// `s` is claimed by whoever moves this from `s - 1` to `s` first.
    claimed: AtomicU64,
    /// The helper is parked (or about to park): the caller must unpark it.
    sleeping: AtomicBool,
    /// The payload of a panic in the helper's last part, for the caller to re-raise.
    panicked: Mutex<Option<Box<dyn std::any::Any + Send>>>,
    /// The closure and the part index, valid while `done != seq`.
    job: UnsafeCell<Option<(Part, usize)>>,
    thread: OnceLock<Thread>,
}

// SAFETY: `job` is written only by the caller holding the pool's lock, before it publishes
// `seq` (Release), and read only by the helper after it observes that `seq` (Acquire) and
// before it publishes `done`; the caller does not write it again until it has seen `done`.
unsafe impl Sync for Helper {}
// SAFETY: the only field that is not Send is the closure pointer in `job`, which points to a
// `Sync` closure and is called only under the protocol above.
unsafe impl Send for Helper {}

struct Pool {
    helpers: Vec<Arc<Helper>>,
    busy: Mutex<()>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        // rayon's global thread count (RAYON_NUM_THREADS, else the machine's), fixed here
        // whichever pool the first caller runs in
        let threads = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&t| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let n = threads.saturating_sub(1).min(MAX_HELPERS);
        let mut helpers = Vec::with_capacity(n);
        for i in 0..n {
            let h = Arc::new(Helper {
                seq: AtomicU64::new(0),
                done: AtomicU64::new(0),
                claimed: AtomicU64::new(0),
                sleeping: AtomicBool::new(false),
                panicked: Mutex::new(None),
                job: UnsafeCell::new(None),
                thread: OnceLock::new(),
            });
            let hh = Arc::clone(&h);
            let spawned = std::thread::Builder::new()
                .name(format!("theano-hot-{i}"))
                .spawn(move || helper_loop(&hh));
            match spawned {
                Ok(j) => {
                    let _ = h.thread.set(j.thread().clone());
                    helpers.push(h);
                }
                // no thread: fewer helpers (at worst none, and every part runs on the caller)
                Err(_) => break,
            }
        }
        Pool {
            helpers,
            busy: Mutex::new(()),
        }
    })
}

fn helper_loop(h: &Helper) {
    let mut seen = 0u64;
    loop {
        // wait for a new job: spin while recently busy, then park
        let start = Instant::now();
        let mut s = h.seq.load(Acquire);
        let mut spins = 0u32;
        while s == seen {
            spins = spins.wrapping_add(1);
            // every 256 spins (about a microsecond) the helper yields: should the scheduler
            // have put it on the caller's CPU, the caller runs instead of waiting out its
            // time slice (measured: the seed step went from 47 to 60-70 us in such spells)
            if spins.is_multiple_of(256) {
                std::thread::yield_now();
            }
            // the clock is read every 64 spins (a spin is a few nanoseconds)
            if spins.is_multiple_of(64) && start.elapsed() > SPIN {
                h.sleeping.store(true, SeqCst);
                s = h.seq.load(SeqCst);
                if s == seen {
                    std::thread::park();
                }
                h.sleeping.store(false, SeqCst);
            } else {
                std::hint::spin_loop();
            }
            s = h.seq.load(Acquire);
        }
        seen = s;
        // SAFETY: see `impl Sync for Helper`: the job for `seen` is written and stays valid
        // until `done` says so.
        let job = unsafe { (*h.job.get()).take() };
        let mine = h
            .claimed
            .compare_exchange(seen - 1, seen, AcqRel, Acquire)
            .is_ok();
        if let (Some((f, part)), true) = (job, mine) {
            // SAFETY: the helper claimed this part, so the caller waits for `done` before
            // its closure goes away.
            let f = unsafe { &*f };
            if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(part))) {
                if let Ok(mut slot) = h.panicked.lock() {
                    *slot = Some(e);
                }
            }
        }
        h.done.store(seen, Release);
    }
}

/// Run `f(0)`, …, `f(parts - 1)`, part 0 on the calling thread and the others on the hot
/// helpers (or all on the caller when the pool is busy or has too few helpers); returns when
/// every part has run.
pub fn run(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let p = pool();
    let guard = if parts > 1 && parts <= p.helpers.len() + 1 {
        // a poisoned lock (a region re-raised a part's panic) still guards nothing broken:
        // the helpers finished that region before the panic was re-raised
        match p.busy.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    } else {
        None
    };
    let Some(_guard) = guard else {
        (0..parts).for_each(f);
        return;
    };
    // SAFETY (lifetime): a helper calls `f` only for a part it claimed, and this function
    // waits for `done` of every such part before returning.
    let fs: Part =
        unsafe { std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), Part>(f as *const _) };
    let used = &p.helpers[..parts - 1];
    // by helper: the job it was handed, or None when it has not acknowledged its last one
    let mut handed = [None::<u64>; MAX_HELPERS];
    for (i, h) in used.iter().enumerate() {
        let s = h.seq.load(Relaxed);
        if h.done.load(Acquire) != s {
            continue;
        }
        // SAFETY: we hold `busy`, and the helper is finished with its last job (`done ==
        // seq`), so it does not read `job` now.
        unsafe { *h.job.get() = Some((fs, i + 1)) };
        h.seq.store(s + 1, SeqCst);
        handed[i] = Some(s + 1);
        if h.sleeping.load(SeqCst) {
            if let Some(t) = h.thread.get() {
                t.unpark();
            }
        }
    }
    let mut panicked: Option<Box<dyn std::any::Any + Send>> = None;
    let on_caller = |part: usize, panicked: &mut Option<Box<dyn std::any::Any + Send>>| {
        if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(part))) {
            panicked.get_or_insert(e);
        }
    };
    on_caller(0, &mut panicked);
    for (i, h) in used.iter().enumerate() {
        let Some(s) = handed[i] else {
            on_caller(i + 1, &mut panicked);
            continue;
        };
        if h.claimed
            .compare_exchange(s - 1, s, AcqRel, Acquire)
            .is_ok()
        {
            // the helper has not started: its part runs here, and the helper only
            // acknowledges the job when it comes to it
            on_caller(i + 1, &mut panicked);
            continue;
        }
        let mut n = 0u32;
        while h.done.load(Acquire) != s {
            n = n.wrapping_add(1);
            if n.is_multiple_of(1024) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        if let Some(e) = h.panicked.lock().ok().and_then(|mut slot| slot.take()) {
            panicked.get_or_insert(e);
        }
    }
    if let Some(e) = panicked {
        std::panic::resume_unwind(e);
    }
}

/// Run `f(lo, hi)` over `[0, n)` in at most `chunks` contiguous ranges whose boundaries are
/// multiples of `align`, one part each ([`run`]).
pub fn run_ranges(n: usize, chunks: usize, align: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    let chunk = range_len(n, chunks, align);
    run(n.div_ceil(chunk), &|p| f(p * chunk, n.min((p + 1) * chunk)));
}

/// The length of each range (the last may be shorter) when [`run_ranges`] cuts `[0, n)`:
/// part `p` is `p * len..min(n, (p + 1) * len)`, and there are `n.div_ceil(len)` parts.
pub fn range_len(n: usize, chunks: usize, align: usize) -> usize {
    n.div_ceil(chunks.max(1))
        .next_multiple_of(align.max(1))
        .max(1)
}

/// How many parts [`run`] can run at once (the helpers plus the caller).
pub fn width() -> usize {
    pool().helpers.len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_part_runs_once() {
        for parts in 0..6 {
            let hits: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            for _ in 0..200 {
                run(parts, &|i| {
                    hits[i].fetch_add(1, Relaxed);
                });
            }
            assert!(hits.iter().all(|h| h.load(Relaxed) == 200), "{parts}");
        }
    }

    #[test]
    fn a_panicking_part_is_reraised_and_the_pool_survives() {
        if width() < 2 {
            return;
        }
        for bad in 0..2 {
            let r = std::panic::catch_unwind(|| {
                run(2, &|i| {
                    if i == bad {
                        panic!("part {i}");
                    }
                })
            });
            let e = r.expect_err("the part's panic comes back");
            assert_eq!(
                e.downcast_ref::<String>().map(String::as_str),
                Some(&*format!("part {bad}"))
            );
        }
        // the pool still runs parts on a helper (other tests may hold it now and then; part 0
        // takes a millisecond, so that the caller does not claim part 1 before the helper)
        let me = std::thread::current().id();
        let parallel = (0..1000).any(|_| {
            let other = std::sync::Mutex::new(false);
            run(2, &|i| {
                if i == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if std::thread::current().id() != me {
                    *other.lock().unwrap() = true;
                }
            });
            other.into_inner().unwrap()
        });
        assert!(parallel);
    }

    #[test]
    fn regions_from_many_threads() {
        let total = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..500 {
                        run(2, &|_| {
                            total.fetch_add(1, Relaxed);
                        });
                    }
                });
            }
        });
        assert_eq!(total.load(Relaxed), 4 * 500 * 2);
    }

    /// Regions that start while the helper is parked or has not acknowledged its last job:
    /// the caller claims those parts, and every part still runs exactly once.
    #[test]
    fn claimed_parts_run_once() {
        let w = width();
        for round in 0..40 {
            if round % 8 == 0 {
                std::thread::sleep(SPIN * 2);
            }
            let hits: Vec<AtomicUsize> = (0..w).map(|_| AtomicUsize::new(0)).collect();
            run(w, &|i| {
                hits[i].fetch_add(1, Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Relaxed) == 1), "round {round}");
        }
    }

    #[test]
    fn wakes_after_parking() {
        let hits = AtomicUsize::new(0);
        run(width(), &|_| {
            hits.fetch_add(1, Relaxed);
        });
        std::thread::sleep(SPIN * 4);
        run(width(), &|_| {
            hits.fetch_add(1, Relaxed);
        });
        assert_eq!(hits.load(Relaxed), 2 * width());
    }
}

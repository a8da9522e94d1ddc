//! A counting global allocator, shared by `benches/alloc_count.rs` and
//! `tests/alloc_budget.rs` (each binary installs it with
//! `#[global_allocator] static ALLOC: counting::Counting = counting::Counting;`).
//!
//! Counting is per thread and only inside [`count`]: other threads (the
//! test harness, criterion) and everything outside the measured closure are
//! never counted. An allocation is any `alloc`, `alloc_zeroed` or `realloc`
//! call; bytes are the sizes requested (the new size for `realloc`). Frees
//! are not counted.
//!
//! [`trace`] additionally captures a backtrace for every allocation, to
//! find where allocations come from.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};

/// The allocator: `System`, plus per-thread counters.
pub struct Counting;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static TRACING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
    static TRACES: RefCell<Vec<(usize, Backtrace)>> = const { RefCell::new(Vec::new()) };
}

fn record(size: usize) {
    // `try_with`: never panic in the allocator, even during thread exit.
    let active = ACTIVE.try_with(Cell::get).unwrap_or(false);
    if !active {
        return;
    }
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    let _ = BYTES.try_with(|n| n.set(n.get() + size as u64));
    if TRACING.try_with(Cell::get).unwrap_or(false) {
        // Capturing allocates: pause counting meanwhile (no recursion).
        let _ = ACTIVE.try_with(|a| a.set(false));
        let trace = Backtrace::force_capture();
        let _ = TRACES.try_with(|t| t.borrow_mut().push((size, trace)));
        let _ = ACTIVE.try_with(|a| a.set(true));
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the bookkeeping
// only touches thread-local cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made on this thread by a measured closure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// `alloc` + `alloc_zeroed` + `realloc` calls.
    pub allocs: u64,
    /// Bytes requested by those calls.
    pub bytes: u64,
}

/// Runs `f`, counting the allocations it makes on this thread. Whatever `f`
/// returns is dropped by the caller, outside the count.
pub fn count<R>(f: impl FnOnce() -> R) -> (R, Count) {
    ALLOCS.with(|n| n.set(0));
    BYTES.with(|n| n.set(0));
    ACTIVE.with(|a| a.set(true));
    let result = f();
    ACTIVE.with(|a| a.set(false));
    let count = Count {
        allocs: ALLOCS.with(Cell::get),
        bytes: BYTES.with(Cell::get),
    };
    (result, count)
}

/// Like [`count`], also returning one backtrace per allocation (with its
/// size), for finding call sites.
pub fn trace<R>(f: impl FnOnce() -> R) -> (R, Count, Vec<(usize, Backtrace)>) {
    TRACES.with(|t| t.borrow_mut().clear());
    TRACING.with(|t| t.set(true));
    let (result, count) = count(f);
    TRACING.with(|t| t.set(false));
    let traces = TRACES.with(|t| std::mem::take(&mut *t.borrow_mut()));
    (result, count, traces)
}

/// The interesting frames of a backtrace: the first `max` frames past the
/// allocator machinery, skipping std/alloc/core internals, plus the first
/// frame in `sigv4` itself if it is further down.
pub fn call_sites(trace: &Backtrace, max: usize) -> Vec<String> {
    let text = trace.to_string();
    let mut frames = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim();
        // Frames look like `12: name` followed by `at file:line`.
        let Some((_, name)) = line.split_once(": ") else {
            continue;
        };
        if !line.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            continue;
        }
        let location = match lines.peek() {
            Some(next) if next.trim_start().starts_with("at ") => lines
                .next()
                .map(|l| l.trim().trim_start_matches("at ").to_owned()),
            _ => None,
        };
        let skip = [
            "std::", "core::", "alloc::", "<alloc::", "<core::", "<std::", "<T as ",
        ]
        .iter()
        .any(|p| name.starts_with(p))
            || name.contains("counting::")
            || name.contains("__rust")
            || name.contains("GlobalAlloc");
        if skip {
            continue;
        }
        let frame = match location {
            Some(at) => format!("{name} ({at})"),
            None => name.to_owned(),
        };
        let ours = name.starts_with("sigv4::") || name.starts_with("<sigv4::");
        if frames.len() < max {
            frames.push(frame);
            if ours {
                break;
            }
        } else if ours {
            frames.push(format!("... {frame}"));
            break;
        }
    }
    frames
}

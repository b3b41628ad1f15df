//! The hot path allocates nothing: a generator worker and a responder
//! worker (the engine's `Worker::poll`, the loopback backend, the real
//! endpoints) run on one thread in virtual time; after a warm-up that lets
//! every table, list and batch reach its working size, thousands of full
//! connection lifecycles (SYN, SYN-ACK, ACK, request, response, FIN, FIN,
//! TIME-WAIT, expiry) must pass without one heap allocation on this thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use synwave::app::CloseKind;
use synwave::engine::Worker;
use synwave::scenario::Scenario;
use synwave::tcp::{CookiePolicy, End};

mod common;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// Safety: every call is forwarded to the system allocator unchanged; the
// only addition is a thread-local counter that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // Safety: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // Safety: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

#[test]
fn steady_state_lifecycles_allocate_nothing() {
    let scenario = Scenario {
        close: CloseKind::ClientFin,
        cookies: CookiePolicy::Always,
        // TIME-WAIT of 20 ms: the warm-up sees records expire.
        msl_us: 10_000,
        ..Scenario::default()
    };
    let (mut client, mut server) = common::worker_pair(&scenario, 256, None);
    let mut now = 1u64;
    let done = |w: &Worker<_>| w.endpoint().counters().end(End::TimeWait);
    // Warm-up: tables, timer structures and batches reach their size.
    common::run_for(&mut client, &mut server, &mut now, 100_000, 10, |_| ());
    let before = (allocs(), done(&client));
    common::run_for(&mut client, &mut server, &mut now, 20_000, 10, |_| ());
    let after = (allocs(), done(&client));
    let lifecycles = after.1 - before.1;
    assert!(
        lifecycles > 10_000,
        "only {lifecycles} connections completed"
    );
    assert_eq!(
        after.0 - before.0,
        0,
        "{} allocations during {lifecycles} connection lifecycles",
        after.0 - before.0
    );
}

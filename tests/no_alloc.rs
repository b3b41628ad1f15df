//! The hot path allocates nothing: a generator worker and a responder
//! worker (the engine's `Worker::poll`, the loopback backend, the real
//! endpoints) run on one thread in virtual time; after a warm-up that lets
//! every table, list and batch reach its working size, thousands of full
//! connection lifecycles (SYN, SYN-ACK, ACK, request, response, FIN, FIN,
//! TIME-WAIT, expiry) must pass without one heap allocation on this thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use synwave::engine::{Phase, Role, Worker};
use synwave::flow::{PortAllocConfig, Reta, RssHasher, RssKey, SourcePortAllocator};
use synwave::io::loopback::{LoopbackConfig, loopback};
use synwave::scenario::{CLIENT_NET, CloseKind, SERVER_IP, SERVER_PORT, Scenario};
use synwave::tcp::{CookiePolicy, End};

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
    let (a, b) = loopback(&LoopbackConfig::default()).expect("loopback");
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(1).expect("one worker");
    let ports = SourcePortAllocator::new(
        &hasher,
        &reta,
        1,
        0,
        &PortAllocConfig::new(CLIENT_NET, 1, SERVER_IP, SERVER_PORT),
    )
    .expect("source ports");
    let mut client = Worker::new(
        a.into_iter().next().expect("queue"),
        scenario.client(CLIENT_NET, 1, 1, true),
        Role::Generator {
            concurrency: 256,
            ports,
        },
    );
    let mut server = Worker::new(
        b.into_iter().next().expect("queue"),
        scenario.server(2),
        Role::Responder,
    );
    let mut now = 1u64;
    let mut step = |client: &mut Worker<_>, server: &mut Worker<_>, n: u64| {
        for _ in 0..n {
            now += 10;
            client.poll(now, Phase::Run);
            server.poll(now, Phase::Run);
        }
        client.endpoint().counters().end(End::TimeWait)
    };
    // Warm-up: tables, timer structures and batches reach their size.
    step(&mut client, &mut server, 100_000);
    let before = (allocs(), step(&mut client, &mut server, 0));
    let done = step(&mut client, &mut server, 20_000);
    let after = (allocs(), done);
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

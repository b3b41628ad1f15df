//! A generator worker and a responder worker (the engine's `Worker::poll`
//! over the loopback backend, real endpoints) on one thread in virtual
//! time, for counting instructions per connection under callgrind, side by
//! side for each side of the link — a figure that the noise of a shared
//! machine does not move (see docs/benchmarks.md):
//!
//! ```text
//! cargo build --release --example engine_loop
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/engine_loop 200000 client-fin 0 0
//! callgrind_annotate --inclusive=yes cg.out | grep -E 'generator_poll|responder_poll'
//! ```
//!
//! Arguments: polls of each worker (after a warm-up of the same number),
//! close pattern (`client-fin`, `server-fin`, `rst`), request bytes,
//! response bytes. Prints the connections completed in the measured
//! polls; divide each side's inclusive instruction count by it.

use std::hint::black_box;
use synwave::engine::{Phase, Worker};
use synwave::io::loopback::LoopPort;
use synwave::scenario::{CloseKind, Scenario};

#[path = "../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

#[inline(never)]
fn generator_poll(w: &mut Worker<LoopPort>, now: u64) {
    // The two functions differ, so the linker cannot fold them into one.
    black_box(w.poll(now, Phase::Run) + black_box(1));
}

#[inline(never)]
fn responder_poll(w: &mut Worker<LoopPort>, now: u64) {
    black_box(w.poll(now, Phase::Run) + black_box(2));
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> T {
    match args.get(i) {
        None => default,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("engine_loop: argument {} ('{s}') is not valid; usage: engine_loop [POLLS] [client-fin|server-fin|rst] [REQUEST_BYTES] [RESPONSE_BYTES]", i + 1);
            std::process::exit(2)
        }),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let polls: u64 = arg(&args, 0, 200_000);
    let close = match args.get(1).map(String::as_str) {
        None | Some("client-fin") => CloseKind::ClientFin,
        Some("server-fin") => CloseKind::ServerFin,
        Some("rst") => CloseKind::Rst,
        Some(other) => {
            eprintln!("engine_loop: close '{other}' is not client-fin, server-fin or rst");
            std::process::exit(2)
        }
    };
    let scenario = Scenario {
        close,
        request_bytes: arg(&args, 2, 0),
        response_bytes: arg(&args, 3, 0),
        // TIME-WAIT of 200 ms of virtual time: records expire (and their
        // source ports come back) within the run.
        msl_us: 100_000,
        ..Scenario::default()
    };
    let (mut client, mut server) = common::worker_pair(&scenario, 1024, None);
    let mut now = 1u64;
    let ended = |w: &Worker<LoopPort>| w.endpoint().counters().ended();
    for phase in ["warm-up", "measured"] {
        let before = ended(&client);
        for _ in 0..polls {
            now += 5;
            generator_poll(&mut client, now);
            responder_poll(&mut server, now);
        }
        println!(
            "{phase}: {} connections completed in {polls} polls per side",
            ended(&client) - before
        );
    }
}

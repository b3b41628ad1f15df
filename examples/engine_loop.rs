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
//! response bytes, MSL in µs of virtual time (default 100,000: TIME-WAIT
//! records expire within the run; 30,000,000, the default of `synwave
//! bench`, makes the TIME-WAIT table grow through the run as in the bench,
//! for `--cache-sim=yes`). Prints the connections completed in the measured
//! polls; divide each side's inclusive instruction count by it.

use std::hint::black_box;
use synwave::app::CloseKind;
use synwave::engine::{Phase, Worker};
use synwave::io::loopback::LoopPort;
use synwave::scenario::Scenario;

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
            eprintln!("engine_loop: argument {} ('{s}') is not valid; usage: engine_loop [POLLS] [client-fin|server-fin|rst] [REQUEST_BYTES] [RESPONSE_BYTES] [MSL_US]", i + 1);
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
        Some("rst") => CloseKind::ClientRst,
        Some(other) => {
            eprintln!("engine_loop: close '{other}' is not client-fin, server-fin or rst");
            std::process::exit(2)
        }
    };
    let scenario = Scenario {
        close,
        request_bytes: arg(&args, 2, 0),
        response_bytes: arg(&args, 3, 0),
        // By default a TIME-WAIT of 200 ms of virtual time: records expire
        // (and their source ports come back) within the run.
        msl_us: arg(&args, 4, 100_000),
        ..Scenario::default()
    };
    // 16 client addresses: a million source ports, for long TIME-WAITs;
    // the generator's tables reserved up front, as in `synwave bench`.
    let (mut client, mut server) = common::worker_pair_with_ips(&scenario, 1024, None, 16, 1 << 20);
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

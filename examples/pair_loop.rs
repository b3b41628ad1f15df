//! A client endpoint and a server endpoint (the default scenario's, real
//! `Endpoint::on_frame` and `Endpoint::connect`) passing frames to each
//! other directly on one thread, no engine and no rings: the cost of the
//! TCP path alone, per side, for counting instructions under callgrind:
//!
//! ```text
//! cargo build --release --example pair_loop
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/pair_loop 100000 0 0
//! callgrind_annotate --inclusive=yes cg.out | grep -E 'client_|server_'
//! ```
//!
//! Arguments: connections, request bytes, response bytes (client-fin
//! close, cookies always). Divide each `server_frame`/`client_*` inclusive
//! count by the connections printed.

use std::hint::black_box;
use synwave::app::CloseKind;
use synwave::endpoint::{Endpoint, Opened};
use synwave::scenario::{CLIENT_NET, Scenario};
use synwave::sim::client_tuple;
use synwave::tcp::CookiePolicy;

/// Buffer of one frame.
const SLOT: usize = 2048;

#[inline(never)]
fn server_frame(ep: &mut Endpoint, buf: &mut [u8], len: usize, now: u64) -> Option<usize> {
    ep.on_frame(buf, len, now)
}

#[inline(never)]
fn client_frame(ep: &mut Endpoint, buf: &mut [u8], len: usize, now: u64) -> Option<usize> {
    black_box(ep.on_frame(buf, len, now))
}

#[inline(never)]
fn client_connect(ep: &mut Endpoint, i: u64, now: u64, frame: &mut [u8]) -> Option<usize> {
    let p = ep.prepare(client_tuple(i), 0);
    match ep.connect(&p, now, frame) {
        Opened::Sent(n) => Some(n),
        _ => None,
    }
}

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    match args.get(i) {
        None => default,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!(
                "pair_loop: argument {} ('{s}') is not a number; usage: pair_loop [CONNECTIONS] [REQUEST_BYTES] [RESPONSE_BYTES]",
                i + 1
            );
            std::process::exit(2)
        }),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = arg(&args, 0, 100_000);
    let scenario = Scenario {
        close: CloseKind::ClientFin,
        cookies: CookiePolicy::Always,
        request_bytes: arg(&args, 1, 0) as u32,
        response_bytes: arg(&args, 2, 0) as u32,
        ..Scenario::default()
    };
    let mut client = scenario.client(CLIENT_NET, 256, 1, false);
    let mut server = scenario.server(2);
    // Frames in flight, each direction; handled one at a time.
    let mut to_server: Vec<Vec<u8>> = Vec::new();
    let mut to_client: Vec<Vec<u8>> = Vec::new();
    let mut buf = vec![0u8; SLOT];
    let mut frames = 0u64;
    let now = 1_000_000;
    for i in 0..n {
        let syn = client_connect(&mut client, i, now, &mut buf).expect("opened");
        to_server.push(buf[..syn].to_vec());
        // Ping-pong until both sides are quiet.
        while !to_server.is_empty() || !to_client.is_empty() {
            for f in to_server.drain(..) {
                buf[..f.len()].copy_from_slice(&f);
                frames += 1;
                if let Some(m) = server_frame(&mut server, &mut buf, f.len(), now) {
                    to_client.push(buf[..m].to_vec());
                }
            }
            for f in to_client.drain(..) {
                buf[..f.len()].copy_from_slice(&f);
                frames += 1;
                if let Some(m) = client_frame(&mut client, &mut buf, f.len(), now) {
                    to_server.push(buf[..m].to_vec());
                }
            }
        }
    }
    let done = server.counters().ended();
    println!(
        "{n} connections, {done} ended on the server, {frames} frames; server records left {}, client TIME-WAIT {}",
        server.connections(),
        client.time_wait_records()
    );
}

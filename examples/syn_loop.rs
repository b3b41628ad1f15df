//! Answers N SYNs with cookie SYN-ACKs through `Endpoint::on_frame`, for
//! counting instructions per SYN under callgrind, a figure that the noise
//! of a shared machine does not move (see docs/benchmarks.md):
//!
//! ```text
//! cargo build --release --example syn_loop
//! valgrind --tool=callgrind target/release/examples/syn_loop 100000 [general]
//! ```
//!
//! `general` turns header prediction off (the general parse path).

use std::hint::black_box;
use synwave::app::Canned;
use synwave::endpoint::{Endpoint, EndpointConfig, NextHop};
use synwave::tcp::{CookiePolicy, Secrets, TcpConfig, TcpContext};

#[path = "../bench/frames.rs"]
mod frames;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = match args.next().map(|s| s.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("syn_loop: the count must be a number ({e}); usage: syn_loop [N] [general]");
            std::process::exit(2);
        }
    };
    let predict_syn = args.next().as_deref() != Some("general");
    let addr = frames::client_addr();
    let mut frame = [0u8; 128];
    let syn = frames::syn_frame();
    frame[..syn.len()].copy_from_slice(&syn);
    let len = syn.len();
    let tcp = TcpConfig {
        cookies: CookiePolicy::Always,
        ..TcpConfig::default()
    };
    let mut ep = Endpoint::new(
        EndpointConfig {
            mac: addr.dst_mac,
            next_hop: NextHop::Fixed(addr.src_mac),
            ip_first: addr.dst_ip,
            listen_ports: vec![80],
            predict_headers: predict_syn,
            ..EndpointConfig::default()
        },
        TcpContext::new(tcp, Secrets::from_seed(7)),
        Canned::default(),
    );
    // A ring of frames, each refilled before its turn comes.
    let mut ring = vec![frame; 1024];
    let mut bytes = 0;
    for i in 0..n {
        let buf = &mut ring[i % 1024];
        buf.copy_from_slice(&frame);
        bytes += ep
            .on_frame(black_box(&mut buf[..]), len, 1_000)
            .unwrap_or(0);
    }
    println!(
        "{n} SYNs, {} SYN-ACK bytes, {} by header prediction",
        bytes,
        ep.counters().syn_predicted
    );
}

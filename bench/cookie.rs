//! SYN cookie benchmarks: a SYN frame turned into its SYN-ACK in place
//! (parse, verify checksums, cookie, rewrite, checksums) through the
//! server endpoint, and the cookie check on its own.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY};
use synwave::flow::FourTuple;
use synwave::tcp::{CookiePolicy, Secrets, SynCookies, TcpConfig, TcpContext};
use synwave::wire::{MacAddr, SeqNum};

#[path = "frames.rs"]
mod frames;

fn server() -> Endpoint {
    let tcp = TcpConfig {
        cookies: CookiePolicy::Always,
        ..TcpConfig::default()
    };
    Endpoint::new(
        EndpointConfig {
            mac: MacAddr([2, 0, 0, 0, 2, 2]),
            peer_mac: MacAddr([2, 0, 0, 0, 1, 1]),
            ip_first: [10, 0, 0, 1],
            ip_count: 1,
            listen_ports: vec![80],
            ..EndpointConfig::default()
        },
        TcpContext::new(tcp, Secrets::from_seed(7)),
    )
}

fn syn_to_synack(c: &mut Criterion) {
    let syn = frames::syn_frame();
    let mut ep = server();
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let len = syn.len();
    // Sanity: the SYN is answered and creates no state.
    buf[..len].copy_from_slice(&syn);
    assert!(ep.on_frame(&mut buf, len, 1_000).is_some());
    assert_eq!(ep.connections(), 0);
    c.bench_function("cookie/syn_to_synack_in_place", |b| {
        b.iter(|| {
            // Refill the 74-byte SYN: the previous iteration rewrote it.
            buf[..len].copy_from_slice(&syn);
            ep.on_frame(black_box(&mut buf), len, 1_000)
        })
    });
}

fn check(c: &mut Criterion) {
    let jar = SynCookies::new([9; 16]);
    let tuple = FourTuple {
        local_ip: [10, 0, 0, 1],
        remote_ip: [10, 1, 0, 7],
        local_port: 80,
        remote_port: 40000,
    };
    let (cookie, _) = jar.encode(&tuple, SeqNum(77), 1460, 5_000_000);
    assert!(jar.check(&tuple, SeqNum(77), cookie, 5_000_000).is_some());
    c.bench_function("cookie/check_valid", |b| {
        b.iter(|| jar.check(black_box(&tuple), SeqNum(77), black_box(cookie), 5_000_000))
    });
    c.bench_function("cookie/encode", |b| {
        b.iter(|| jar.encode(black_box(&tuple), SeqNum(77), 1460, 5_000_000))
    });
}

criterion_group!(benches, syn_to_synack, check);
criterion_main!(benches);

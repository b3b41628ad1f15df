//! SYN cookie benchmarks: a SYN frame turned into its SYN-ACK in place
//! (parse, verify checksums, cookie, rewrite, checksums) through the
//! server endpoint, by header prediction (the default) and by the general
//! path side by side, through the TCP core alone, and the cookie check on
//! its own; the same over IPv6 beside IPv4 (`_ipv6`). The SYN and cookie
//! benchmarks rotate through `frames::CLIENTS` client addresses, so that
//! each SYN's keyed hash meets a new client.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synwave::app::Canned;
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop};
use synwave::flow::FourTuple;
use synwave::tcp::{self, CookiePolicy, Secrets, SynCookies, TcpConfig, TcpContext};
use synwave::wire::{Family, Frame, MacAddr, SeqNum, TcpFlags, parse_frame, reply_in_place};

#[path = "frames.rs"]
mod frames;

fn server<A: Family>(predict_syn: bool, ip: A) -> Endpoint<A> {
    let tcp = TcpConfig {
        cookies: CookiePolicy::Always,
        ..TcpConfig::default()
    };
    let cfg = EndpointConfig {
        mac: MacAddr([2, 0, 0, 0, 2, 2]),
        next_hop: NextHop::Fixed(MacAddr([2, 0, 0, 0, 1, 1])),
        listen_ports: vec![80],
        predict_headers: predict_syn,
        ..EndpointConfig::default()
    };
    Endpoint::new(
        cfg.with_addresses(ip, 1),
        TcpContext::new(tcp, Secrets::from_seed(7)),
        Canned::default(),
    )
}

fn syn_to_synack(c: &mut Criterion) {
    syn_to_synack_in(c, &frames::syn_frames(), [10, 0, 0, 1], "");
    syn_to_synack_in(
        c,
        &frames::syn_frames6(),
        frames::client_addr6().dst_ip,
        "_ipv6",
    );
}

fn syn_to_synack_in<A: Family>(c: &mut Criterion, syns: &[Vec<u8>], ip: A, suffix: &str) {
    let len = syns[0].len();
    // Each iteration gets its own copy of the next client's SYN, written
    // before the timed loop as a NIC or the kernel writes a receive ring
    // ahead of the poll loop: in cache, no longer in the store buffer (a
    // refill right before the call would stall store forwarding, which a
    // real receive path does not).
    let inputs: Vec<[u8; 128]> = syns.iter().map(|s| frame_array(s)).collect();
    let input = inputs[0];
    for (name, predict) in [
        ("cookie/syn_to_synack_in_place", true),
        ("cookie/syn_to_synack_general_path", false),
    ] {
        let name = format!("{name}{suffix}");
        let mut ep = server(predict, ip);
        // Sanity: the SYN is answered, creates no state, and took the path
        // this benchmark names.
        let mut buf = input;
        assert!(ep.on_frame(&mut buf, len, 1_000).is_some());
        assert_eq!(ep.connections(), 0);
        assert_eq!(ep.counters().syn_predicted, u64::from(predict));
        let mut next = 0;
        c.bench_function(&name, |b| {
            b.iter_batched_ref(
                || {
                    next = (next + 1) % inputs.len();
                    inputs[next]
                },
                |buf| ep.on_frame(black_box(&mut buf[..]), len, 1_000),
                BatchSize::SmallInput,
            )
        });
    }
}

/// The SYN in a 128-byte buffer: room for the SYN-ACK written over it.
fn frame_array(syn: &[u8]) -> [u8; 128] {
    let mut a = [0u8; 128];
    a[..syn.len()].copy_from_slice(syn);
    a
}

/// The same SYN → SYN-ACK through the TCP core alone: parse (both
/// checksums verified), `tcp::on_listen` (cookie policy `always`), rewrite
/// in place. No table probe, no counters: the endpoint's share is the
/// difference to `syn_to_synack_general_path`.
fn syn_to_synack_core(c: &mut Criterion) {
    let syn = frames::syn_frame();
    let tcp = TcpConfig {
        cookies: CookiePolicy::Always,
        ..TcpConfig::default()
    };
    let mut ctx = TcpContext::new(tcp, Secrets::from_seed(7));
    let app = Canned::default();
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let len = syn.len();
    let mut step = |buf: &mut [u8]| -> Option<usize> {
        let Ok(Frame::Tcp(f)) = parse_frame(&buf[..len], true) else {
            return None;
        };
        let tuple = FourTuple::of_received(f.ip.src, f.ip.dst, &f.tcp);
        let (l2, src, dst) = (f.eth.header_len(), f.ip.src, f.ip.dst);
        let (_, out) = tcp::on_listen(&mut ctx, &app, &tuple, &f.tcp, f.payload, None, 1_000);
        let reply = out.reply?;
        reply_in_place(buf, l2, src, dst, &reply.repr, &[]).ok()
    };
    buf[..len].copy_from_slice(&syn);
    let n = step(&mut buf).expect("answered");
    assert!(
        matches!(parse_frame(&buf[..n], true), Ok(Frame::Tcp(f)) if f.tcp.flags == TcpFlags::SYN | TcpFlags::ACK)
    );
    let input = frame_array(&syn);
    c.bench_function("cookie/syn_to_synack_core", |b| {
        b.iter_batched_ref(
            || input,
            |buf| step(black_box(&mut buf[..])),
            BatchSize::SmallInput,
        )
    });
}

fn check(c: &mut Criterion) {
    let a6 = frames::client_addr6();
    let remote4 = |i: usize| [10, 1, (i >> 8) as u8, i as u8];
    let remote6 = |i: usize| std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, i as u16).octets();
    check_in(c, [10, 0, 0, 1], remote4, "");
    check_in(c, a6.dst_ip, remote6, "_ipv6");
}

/// The cookie check and encode at `local_ip`, rotating through
/// `frames::CLIENTS` clients (`remote(i)`).
fn check_in<A: Family>(c: &mut Criterion, local_ip: A, remote: impl Fn(usize) -> A, suffix: &str) {
    let jar = SynCookies::new([9; 16]);
    let clients: Vec<(FourTuple<A>, SeqNum)> = (0..frames::CLIENTS)
        .map(|i| {
            let tuple = FourTuple {
                local_ip,
                remote_ip: remote(i),
                local_port: 80,
                remote_port: 40000,
            };
            let (cookie, _) = jar.encode(&tuple, SeqNum(77), 1460, 5_000_000);
            assert!(jar.check(&tuple, SeqNum(77), cookie, 5_000_000).is_some());
            (tuple, cookie)
        })
        .collect();
    let mut i = 0;
    c.bench_function(&format!("cookie/check_valid{suffix}"), |b| {
        b.iter(|| {
            i = (i + 1) % frames::CLIENTS;
            let (tuple, cookie) = &clients[i];
            jar.check(black_box(tuple), SeqNum(77), black_box(*cookie), 5_000_000)
        })
    });
    c.bench_function(&format!("cookie/encode{suffix}"), |b| {
        b.iter(|| {
            i = (i + 1) % frames::CLIENTS;
            jar.encode(black_box(&clients[i].0), SeqNum(77), 1460, 5_000_000)
        })
    });
}

criterion_group!(benches, syn_to_synack, syn_to_synack_core, check);
criterion_main!(benches);

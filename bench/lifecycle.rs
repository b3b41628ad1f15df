//! Server connection lifecycle benchmark: complete connections per second
//! through one server endpoint on one core, every frame it receives going
//! through `Endpoint::on_frame` (parse, verify checksums, state machine,
//! tables, timers, counters, reply written in place): the SYN (answered
//! with a SYN-ACK), the ACK that creates the connection in ESTABLISHED,
//! the client's FIN (answered with the server's FIN), and the final ACK
//! (the record is removed). Client-fin close, no data, so the server ends
//! each connection in CLOSED without TIME-WAIT and its tables return to
//! empty.
//!
//! Method ("twin server"): the server's answers depend only on its secrets
//! (a seed), the four-tuple and the time. Before timing, a real client
//! endpoint is driven against a twin server (same seed, one constant
//! `now`) for `K` four-tuples, and every frame the client sends to the
//! server is recorded per connection, with the twin's answer. The timed
//! routine replays the recorded frames (copied into receive buffers before
//! the clock starts, as a NIC fills its ring ahead of the poll loop) into
//! one long-lived server with the same seed at the same `now`: each frame
//! finds the state it expects, and since a finished connection leaves no
//! record, the same frames can be replayed again and again. An untimed
//! check first replays twice through a fresh server and compares every
//! answer byte for byte with the twin's; after each benchmark the counters
//! of the benchmarked server prove every replayed connection completed.
//!
//! Variants: cookies `always` (stateless SYN-ACK through SYN header
//! prediction, connection created by the cookie ACK) and `never` (the SYN
//! creates a SYN-RECEIVED record; the ISN is the RFC 6528 keyed hash of
//! tuple and time, as deterministic as the cookie); each with the frames
//! fed one connection at a time (`sequential`: the table holds at most one
//! record) or round by round over all `K` connections (`interleaved`: all
//! SYNs, then all ACKs, ...: the table holds up to `K` records).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::{Duration, Instant};
use synwave::app::CloseKind;
use synwave::endpoint::{Endpoint, FRAME_CAPACITY, Opened};
use synwave::scenario::{CLIENT_NET, Scenario};
use synwave::sim::client_tuple;
use synwave::tcp::{CookiePolicy, End, Events};
use synwave::wire::{Frame, TcpFlags, TcpFrameAddr, TcpRepr, build_tcp_frame, parse_frame};

/// Connections per timed batch.
const K: usize = 4096;
/// The one instant of every frame, recorded and replayed (µs).
const NOW: u64 = 5_000_000;
const CLIENT_SEED: u64 = 1;
const SERVER_SEED: u64 = 2;
/// Receive buffer of one frame: room for the largest answer (a SYN-ACK
/// with options, 94 bytes).
const SLOT: usize = 128;

fn scenario(cookies: CookiePolicy) -> Scenario {
    Scenario {
        close: CloseKind::ClientFin,
        cookies,
        request_bytes: 0,
        response_bytes: 0,
        ..Scenario::default()
    }
}

/// What the client sent the twin server, connection by connection.
struct Recording {
    /// Frames received by the server per connection.
    per_conn: usize,
    /// `K * per_conn` frames, connection-major, each in its buffer.
    frames: Vec<[u8; SLOT]>,
    /// Their lengths.
    lens: Vec<usize>,
    /// The twin's answer to each frame.
    replies: Vec<Option<Vec<u8>>>,
}

/// The recorded frames in the order they are fed to the server.
struct Feed<'a> {
    frames: Vec<[u8; SLOT]>,
    lens: Vec<usize>,
    /// The twin's answer to each.
    replies: Vec<Option<&'a [u8]>>,
}

impl Recording {
    /// Frames in feed order: connection-major (`sequential`) or
    /// round-major (`interleaved`).
    fn ordered(&self, interleaved: bool) -> Feed<'_> {
        let f = self.per_conn;
        let idx: Vec<usize> = if interleaved {
            (0..f)
                .flat_map(|j| (0..K).map(move |c| c * f + j))
                .collect()
        } else {
            (0..K * f).collect()
        };
        Feed {
            frames: idx.iter().map(|&i| self.frames[i]).collect(),
            lens: idx.iter().map(|&i| self.lens[i]).collect(),
            replies: idx.iter().map(|&i| self.replies[i].as_deref()).collect(),
        }
    }
}

/// How the client's handshake ACK and its FIN reach the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// As synwave's client sends them: with no request to send, the FIN
    /// rides on the handshake ACK (3 frames in per connection).
    FinOnAck,
    /// As a socket client that calls `close()` after `connect()` returns:
    /// a bare handshake ACK, then the FIN (4 frames in per connection).
    /// The bare ACK is a copy of the client's FIN+ACK without the FIN.
    AckThenFin,
}

fn flags(frame: &[u8]) -> TcpFlags {
    match parse_frame(frame, true) {
        Ok(Frame::Tcp(f)) => f.tcp.flags,
        other => panic!("not a TCP frame: {other:?}"),
    }
}

/// `frame` (from the client) without its FIN: the bare ACK a client sends
/// when it completes the handshake before it closes.
fn without_fin(frame: &[u8]) -> Vec<u8> {
    let Ok(Frame::Tcp(f)) = parse_frame(frame, true) else {
        panic!("not a TCP frame");
    };
    let tcp = TcpRepr {
        flags: TcpFlags::ACK,
        ..f.tcp
    };
    let addr = TcpFrameAddr {
        src_mac: f.eth.src,
        dst_mac: f.eth.dst,
        vlan: f.eth.vlan,
        src_ip: f.ip.src,
        dst_ip: f.ip.dst,
    };
    let mut buf = vec![0u8; SLOT];
    let n = build_tcp_frame(&mut buf, &addr, &tcp, f.payload).expect("fits");
    buf.truncate(n);
    buf
}

/// Drives a client against a twin server for `K` connections at `NOW`
/// and records what the server received and answered.
fn record(cookies: CookiePolicy, shape: Shape) -> Recording {
    let sc = scenario(cookies);
    let mut client = sc.client(CLIENT_NET, 1, CLIENT_SEED, false);
    let mut twin = sc.server(SERVER_SEED);
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let (mut frames, mut lens, mut replies) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_conn = None;
    for i in 0..K {
        let mut to_server: VecDeque<Vec<u8>> = VecDeque::new();
        let mut to_client: VecDeque<Vec<u8>> = VecDeque::new();
        let p = client.prepare(client_tuple(i as u64), 0);
        match client.connect(&p, NOW, &mut buf) {
            Opened::Sent(n) => to_server.push_back(buf[..n].to_vec()),
            other => panic!("connect {i}: {other:?}"),
        }
        let mut n_frames = 0;
        while !to_server.is_empty() {
            while let Some(f) = to_server.pop_front() {
                if shape == Shape::AckThenFin
                    && n_frames == 1
                    && flags(&f) == TcpFlags::FIN | TcpFlags::ACK
                {
                    // The handshake ACK goes first, on its own.
                    let ack = without_fin(&f);
                    to_server.push_front(f);
                    to_server.push_front(ack);
                    continue;
                }
                assert!(f.len() <= SLOT, "frame of {} bytes", f.len());
                let mut slot = [0u8; SLOT];
                slot[..f.len()].copy_from_slice(&f);
                buf[..f.len()].copy_from_slice(&f);
                let reply = twin.on_frame(&mut buf, f.len(), NOW).map(|n| {
                    assert!(n <= SLOT, "answer of {n} bytes");
                    buf[..n].to_vec()
                });
                if let Some(r) = &reply {
                    to_client.push_back(r.clone());
                }
                frames.push(slot);
                lens.push(f.len());
                replies.push(reply);
                n_frames += 1;
            }
            while let Some(f) = to_client.pop_front() {
                buf[..f.len()].copy_from_slice(&f);
                if let Some(n) = client.on_frame(&mut buf, f.len(), NOW) {
                    to_server.push_back(buf[..n].to_vec());
                }
            }
        }
        assert_eq!(
            *per_conn.get_or_insert(n_frames),
            n_frames,
            "connection {i}"
        );
    }
    // The exchange completed: client connections closed as specified (in
    // TIME-WAIT), the twin server holds nothing.
    let k = K as u64;
    assert_eq!(client.counters().end(End::TimeWait), k);
    assert_eq!(client.counters().ended(), k);
    assert_eq!(twin.counters().end(End::Closed), k);
    assert_eq!(twin.counters().ended(), k);
    assert_eq!(twin.connections(), 0);
    assert_eq!(twin.time_wait_records(), 0);
    assert_eq!(twin.armed_timers(), 0);
    Recording {
        per_conn: per_conn.expect("K > 0"),
        frames,
        lens,
        replies,
    }
}

/// Feeds every frame to `server` at `NOW`, in order. The timed routine.
#[inline(never)]
fn replay(server: &mut Endpoint, frames: &mut [[u8; SLOT]], lens: &[usize]) -> usize {
    let mut sent = 0;
    for (buf, &len) in frames.iter_mut().zip(lens) {
        if let Some(n) = server.on_frame(black_box(&mut buf[..]), len, NOW) {
            sent += n;
        }
    }
    sent
}

/// Checks that `server` has seen `conns` complete connections and nothing
/// else, and holds nothing.
fn assert_completed(server: &Endpoint, cookies: CookiePolicy, conns: u64, rec: &Recording) {
    let c = server.counters();
    let answered = rec.replies[..rec.per_conn]
        .iter()
        .filter(|r| r.is_some())
        .count() as u64;
    assert_eq!(c.rx_frames, conns * rec.per_conn as u64);
    assert_eq!(c.tx_frames, conns * answered);
    assert_eq!(c.end(End::Closed), conns);
    assert_eq!(c.ended(), conns);
    assert_eq!(c.accepted, conns);
    let cookies_ok = if cookies == CookiePolicy::Always {
        conns
    } else {
        0
    };
    assert_eq!(c.event(Events::COOKIE_OK), cookies_ok);
    // The SYN took header prediction whenever it is answered with a cookie.
    assert_eq!(c.syn_predicted, cookies_ok);
    assert_eq!(c.event(Events::COOKIE_BAD), 0);
    assert_eq!(c.event(Events::DROPPED), 0);
    assert_eq!(c.malformed(), 0);
    assert_eq!(server.connections(), 0);
    assert_eq!(server.time_wait_records(), 0);
    assert_eq!(server.armed_timers(), 0);
    assert_eq!(server.context().syn_queue_len(), 0);
}

/// Untimed: two replays through a fresh server answer exactly as the twin
/// did, and leave nothing behind.
fn sanity(cookies: CookiePolicy, rec: &Recording, interleaved: bool) {
    let mut server = scenario(cookies).server(SERVER_SEED);
    let Feed {
        frames,
        lens,
        replies,
    } = rec.ordered(interleaved);
    for pass in 0..2 {
        let mut work = frames.clone();
        for (i, buf) in work.iter_mut().enumerate() {
            let got = server.on_frame(&mut buf[..], lens[i], NOW);
            assert_eq!(
                got.map(|n| &buf[..n]),
                replies[i],
                "pass {pass}, frame {i}: answer differs from the twin's"
            );
        }
    }
    assert_completed(&server, cookies, 2 * K as u64, rec);
}

fn describe(rec: &Recording) -> String {
    let f = rec.per_conn;
    let rx: Vec<String> = (0..f)
        .map(|j| format!("{:?}", flags(&rec.frames[j][..rec.lens[j]])))
        .collect();
    let tx: Vec<String> = rec.replies[..f]
        .iter()
        .map(|r| {
            r.as_deref()
                .map_or("-".into(), |r| format!("{:?}", flags(r)))
        })
        .collect();
    format!(
        "{f} frames in per connection: [{}] answered with [{}]",
        rx.join(", "),
        tx.join(", ")
    )
}

fn lifecycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("lifecycle");
    g.throughput(Throughput::Elements(K as u64));
    for (cookie_name, cookies) in [
        ("cookies_always", CookiePolicy::Always),
        ("cookies_never", CookiePolicy::Never),
    ] {
        for (shape_name, shape) in [
            ("fin_on_ack", Shape::FinOnAck),
            ("ack_then_fin", Shape::AckThenFin),
        ] {
            let name = format!("{cookie_name}/{shape_name}");
            let rec = record(cookies, shape);
            eprintln!("lifecycle/{name}: {}", describe(&rec));
            for (order, interleaved) in [("sequential", false), ("interleaved", true)] {
                sanity(cookies, &rec, interleaved);
                let Feed { frames, lens, .. } = rec.ordered(interleaved);
                let mut work = frames.clone();
                let mut server = scenario(cookies).server(SERVER_SEED);
                let mut batches = 0u64;
                let mut fastest = Duration::MAX;
                g.bench_function(format!("{name}/{order}"), |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            // The receive ring is filled before the clock starts.
                            work.copy_from_slice(&frames);
                            let t = Instant::now();
                            black_box(replay(&mut server, &mut work, &lens));
                            let took = t.elapsed();
                            fastest = fastest.min(took);
                            total += took;
                        }
                        batches += iters;
                        total
                    })
                });
                // Every timed replay completed all its connections.
                assert_completed(&server, cookies, batches * K as u64, &rec);
                // The least disturbed batch (when this variant ran): on a
                // shared machine whose speed swings with its neighbours, the
                // figure of the core itself (criterion's figures above
                // include the swings).
                if batches > 0 {
                    eprintln!(
                        "lifecycle/{name}/{order}: fastest of {batches} batches: {:.2} M connections/s",
                        K as f64 / fastest.as_secs_f64() / 1e6
                    );
                }
            }
        }
    }
    g.finish();
}

criterion_group!(benches, lifecycle);
criterion_main!(benches);

//! Peers that vanish (issue 6, faults), in memory and in virtual time: a
//! client that disappears after its SYN, after the handshake, or in the
//! middle of the close leaves records whose timers clean every one of
//! them up (SYN-ACK retries, the idle timeout, FIN retries, FIN-WAIT-2),
//! counted by how each ended; and a full table refuses new connections,
//! counted, while those it holds finish undisturbed.

use synwave::app::CloseKind;
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, Opened};
use synwave::flow::FourTuple;
use synwave::scenario::{CLIENT_NET, SERVER_IP, SERVER_PORT, Scenario};
use synwave::tcp::{CookiePolicy, End, Secrets};

/// Opens a connection on `tuple` (template 0): its SYN, or `None` when
/// the endpoint refused it.
fn open(ep: &mut Endpoint, tuple: &FourTuple, now: u64) -> Option<Vec<u8>> {
    let mut frame = [0u8; FRAME_CAPACITY];
    let p = ep.prepare(*tuple, 0);
    match ep.connect(&p, now, &mut frame) {
        Opened::Sent(n) => Some(frame[..n].to_vec()),
        _ => None,
    }
}

fn tuple(port: u16) -> FourTuple {
    FourTuple {
        local_ip: CLIENT_NET,
        remote_ip: SERVER_IP,
        local_port: port,
        remote_port: SERVER_PORT,
    }
}

fn deliver(ep: &mut Endpoint, frame: &[u8], now: u64) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(frame);
    ep.on_frame(&mut buf, frame.len(), now)
        .map(|n| buf[..n].to_vec())
}

/// Runs `ep`'s timers (their frames go nowhere: the peer is gone) until
/// it holds no live record, at most `limit_us` of virtual time; returns
/// the time it took.
fn run_timers_until_empty(ep: &mut Endpoint, mut now: u64, limit_us: u64) -> u64 {
    let start = now;
    while ep.connections() > 0 {
        now = ep.next_deadline().unwrap_or(now + 1_000).max(now + 1);
        assert!(
            now - start <= limit_us,
            "records left after {limit_us} µs: {}",
            ep.connections()
        );
        ep.expire(now, &mut |_| {});
    }
    now - start
}

fn server(cookies: CookiePolicy, close: CloseKind) -> Endpoint {
    server_of(cookies, close, EndpointConfig::default())
}

/// `server` holding at most `max_connections` live records and 1,024
/// TIME-WAIT records.
fn server_holding(cookies: CookiePolicy, close: CloseKind, max_connections: usize) -> Endpoint {
    let limits = EndpointConfig {
        max_connections,
        max_time_wait: 1 << 10,
        ..EndpointConfig::default()
    };
    server_of(cookies, close, limits)
}

fn server_of(cookies: CookiePolicy, close: CloseKind, base: EndpointConfig) -> Endpoint {
    Scenario {
        cookies,
        close,
        request_bytes: 0,
        response_bytes: 0,
        ..Scenario::default()
    }
    .server_side(base)
    .build(Secrets::from_seed(9))
}

fn client(close: CloseKind) -> Endpoint {
    Scenario {
        close,
        request_bytes: 0,
        response_bytes: 0,
        ..Scenario::default()
    }
    .client(CLIENT_NET, 1, 9, false)
}

const S: u64 = 1_000_000;

#[test]
fn a_client_gone_after_its_syn_leaves_nothing_after_the_synack_retries() {
    // Cookies never: every SYN makes a SYN-RECEIVED record.
    let mut s = server(CookiePolicy::Never, CloseKind::ClientFin);
    let mut c = client(CloseKind::ClientFin);
    for port in 0..100u16 {
        let syn = open(&mut c, &tuple(20_000 + port), S).expect("opened");
        assert!(deliver(&mut s, &syn, S).is_some(), "a SYN-ACK");
    }
    assert_eq!(s.connections(), 100);
    // Five SYN-ACK retransmissions, backed off from 1 s: about 63 s.
    let took = run_timers_until_empty(&mut s, S, 200 * S);
    assert!(took >= 31 * S, "gave up after {took} µs");
    assert_eq!(s.counters().end(End::RetriesExceeded), 100);
    assert_eq!(s.armed_timers(), 0);
    // The client, whose SYN-ACKs never came, gives up too (six SYN
    // retransmissions).
    run_timers_until_empty(&mut c, S, 300 * S);
    assert_eq!(c.counters().end(End::RetriesExceeded), 100);
}

/// 100 connections from `c` to `s` through the handshake (and whatever
/// each side sends at once after it).
fn handshaken(s: &mut Endpoint, c: &mut Endpoint) {
    for port in 0..100u16 {
        let syn = open(c, &tuple(21_000 + port), S).expect("opened");
        let synack = deliver(s, &syn, S).expect("SYN-ACK");
        if let Some(ack) = deliver(c, &synack, S) {
            let _ = deliver(s, &ack, S);
        }
    }
}

#[test]
fn a_client_gone_after_the_handshake_is_reset_by_the_idle_timeout() {
    // The server waits for the client's FIN, which never comes.
    let mut s = server(CookiePolicy::Always, CloseKind::ClientFin);
    let mut c = client(CloseKind::ServerFin);
    handshaken(&mut s, &mut c);
    assert_eq!(s.connections(), 100);
    let took = run_timers_until_empty(&mut s, S, 120 * S);
    assert!(
        took >= 59 * S,
        "reset after {took} µs, before the 60 s idle timeout"
    );
    assert_eq!(s.counters().end(End::IdleTimeout), 100);
}

#[test]
fn a_client_gone_mid_close_leaves_nothing_after_the_fin_retries() {
    // The server closes first (server-fin): its FINs go unanswered.
    let mut s = server(CookiePolicy::Always, CloseKind::ServerFin);
    let mut c = client(CloseKind::ServerFin);
    for port in 0..100u16 {
        let syn = open(&mut c, &tuple(22_000 + port), S).expect("opened");
        let synack = deliver(&mut s, &syn, S).expect("SYN-ACK");
        let ack = deliver(&mut c, &synack, S).expect("ACK");
        // The server's FIN goes out in answer and is lost with the client.
        let _ = deliver(&mut s, &ack, S);
    }
    assert_eq!(s.connections(), 100);
    run_timers_until_empty(&mut s, S, 600 * S);
    assert_eq!(s.counters().end(End::RetriesExceeded), 100);
    assert_eq!(s.armed_timers(), s.time_wait_records());
}

#[test]
fn a_full_table_refuses_new_connections_and_spares_the_ones_it_holds() {
    let mut s = server_holding(CookiePolicy::Never, CloseKind::ClientFin, 50);
    let mut c = client(CloseKind::ClientFin);
    let mut refused = 0;
    let mut held = Vec::new();
    for port in 0..80u16 {
        let syn = open(&mut c, &tuple(23_000 + port), S).expect("opened");
        match deliver(&mut s, &syn, S) {
            Some(synack) => held.push(synack),
            None => refused += 1,
        }
    }
    assert_eq!(s.connections(), 50);
    assert_eq!(refused, 30);
    assert_eq!(s.counters().drop_table_full, 30);
    // The 50 held ones complete their handshake and close cleanly.
    for synack in held {
        let mut frame = deliver(&mut c, &synack, S).expect("ACK + FIN");
        // Back and forth until nobody answers.
        let mut to_server = true;
        for _ in 0..6 {
            let ep = if to_server { &mut s } else { &mut c };
            match deliver(ep, &frame, S) {
                Some(next) => frame = next,
                None => break,
            }
            to_server = !to_server;
        }
    }
    assert_eq!(s.connections(), 0, "held connections did not finish");
    assert_eq!(s.counters().end(End::Closed), 50);
}

//! Floods and blind injection, in memory (issue 6): a spoofed-source SYN
//! flood mixed with legitimate clients (`synwave bench` with a profile:
//! nine SYN-only SYNs per real connection), with cookies always and on
//! overload; an ACK flood with forged cookies; blind in-window RSTs and
//! SYNs into established connections (RFC 5961: challenge ACKs only,
//! rate-limited, nothing torn down); FINs and data to unknown tuples
//! (RFC 9293 §3.10.7.1: RST, rate-limited, no state). Every assertion is
//! on counters and table sizes, none on timing.

use std::process::Command;
use synwave::endpoint::{Endpoint, FRAME_CAPACITY, Opened};
use synwave::flow::FourTuple;
use synwave::scenario::{CLIENT_NET, SERVER_IP, SERVER_PORT, Scenario};
use synwave::tcp::CookiePolicy;
use synwave::wire::{
    MacAddr, SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpRepr, build_tcp_frame,
};

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

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

const FLOOD_PROFILE: &str = r#"
duration = 1
[[template]]
name = "legit"
weight = 1
request_bytes = 64
response_bytes = 256
[[template]]
name = "flood"
weight = 9
kind = "syn-only"
spoof = "10.9.0.0-10.9.255.255"
"#;

fn flood_bench(cookies: &str) -> serde_json::Value {
    let dir = std::env::temp_dir();
    let profile = dir.join(format!(
        "synwave-flood-{}-{cookies}.toml",
        std::process::id()
    ));
    let json = dir.join(format!(
        "synwave-flood-{}-{cookies}.json",
        std::process::id()
    ));
    std::fs::write(&profile, FLOOD_PROFILE).expect("profile");
    let out = Command::new(BIN)
        .args(["bench", "--profile"])
        .arg(&profile)
        .args(["--cookies", cookies, "--json"])
        .arg(&json)
        .output()
        .expect("synwave runs");
    let _ = std::fs::remove_file(&profile);
    let text = std::fs::read_to_string(&json)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let _ = std::fs::remove_file(&json);
    serde_json::from_str(&text).expect("JSON")
}

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The legitimate template's completion share, and its opened count.
fn legit(j: &serde_json::Value) -> (f64, u64) {
    let t = &j["templates"][0];
    let opened = n(&t["opened"]);
    (n(&t["completed"]) as f64 / opened.max(1) as f64, opened)
}

#[test]
fn syn_flood_with_cookies_always_creates_no_state_and_spares_real_clients() {
    let j = flood_bench("always");
    let r = &j["counters"]["responder"];
    let flood = n(&j["templates"][1]["opened"]);
    let (share, opened) = legit(&j);
    assert!(
        flood > 100_000 && flood > 5 * opened,
        "flood {flood}, legit {opened}: {j}"
    );
    assert!(
        share >= 0.99,
        "legitimate clients completed {share:.4}: {j}"
    );
    // No record but from a valid cookie, one per real connection.
    assert_eq!(n(&r["accepted"]), n(&r["cookie_ok"]), "{r}");
    assert!(n(&r["accepted"]) <= opened, "{r}");
    assert_eq!(n(&r["syn_queue_full"]), 0, "{r}");
    // The table never held more than the real connections in flight
    // (the generator's concurrency).
    assert!(
        n(&r["records_peak"]) <= n(&j["counters"]["generator"]["records_peak"]),
        "{r}"
    );
    // Every SYN (flood and real) answered with a cookie.
    assert_eq!(n(&r["cookie_sent"]), n(&r["syn_rx"]), "{r}");
    assert!(n(&r["syn_rx"]) >= flood, "{r}");
}

#[test]
fn syn_flood_on_overload_fills_the_syn_queue_then_cookies_take_over() {
    let j = flood_bench("on-overload");
    let r = &j["counters"]["responder"];
    let (share, _) = legit(&j);
    assert!(
        share >= 0.99,
        "legitimate clients completed {share:.4}: {j}"
    );
    // The spoofed SYNs' SYN-RECEIVED records stay within the SYN queue's
    // bound (65,536); beyond it, cookies.
    assert!(n(&r["records"]) <= 65_536 + 1_024, "{r}");
    assert!(n(&r["records_peak"]) <= 65_536 + 1_024, "{r}");
    assert!(
        n(&r["records_peak"]) >= 65_536,
        "the SYN queue never filled: {r}"
    );
    assert!(n(&r["cookie_sent"]) > 0, "cookies never took over: {r}");
    assert!(
        n(&r["synack_tx"]) <= 65_536 + n(&r["cookie_ok"]) + 1_024,
        "{r}"
    );
}

#[test]
fn cookies_survive_one_key_rotation_and_not_two() {
    use synwave::tcp::Defences;
    const SECOND: u64 = 1_000_000;
    let scenario = Scenario {
        defences: Defences {
            cookie_rotate_us: SECOND,
            ..Defences::default()
        },
        ..Scenario::default()
    };
    let mut s = scenario.server(5);
    let mut c = scenario.client(CLIENT_NET, 1, 5, false);
    // The ACK of each handshake arrives `wait` after its SYN (at `at`)
    // was answered.
    let mut handshake = |s: &mut Endpoint, port: u16, at: u64, wait: u64| {
        let t = FourTuple {
            local_ip: CLIENT_NET,
            remote_ip: SERVER_IP,
            local_port: port,
            remote_port: SERVER_PORT,
        };
        let syn = open(&mut c, &t, at).expect("opened");
        let synack = deliver(s, &syn, at).expect("SYN-ACK");
        let ack = deliver(&mut c, &synack, at).expect("ACK");
        let _ = deliver(s, &ack, at + wait);
    };
    handshake(&mut s, 40_000, 10 * SECOND + SECOND / 2, SECOND); // one rotation later: the previous key
    assert_eq!(s.counters().event(synwave::tcp::Events::COOKIE_OK), 1);
    handshake(&mut s, 40_001, 20 * SECOND + SECOND / 2, 2 * SECOND); // two later: that key is gone
    assert_eq!(s.counters().event(synwave::tcp::Events::COOKIE_OK), 1);
    assert_eq!(s.counters().event(synwave::tcp::Events::COOKIE_BAD), 1);
    assert_eq!(s.connections(), 1);
}

// --- Endpoint-level injection --------------------------------------------

const CLIENT_MAC: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const SERVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);

fn from_client(src_ip: [u8; 4], seg: &TcpRepr, payload: &[u8]) -> Vec<u8> {
    let addr = TcpFrameAddr {
        src_mac: CLIENT_MAC,
        dst_mac: SERVER_MAC,
        vlan: None,
        src_ip,
        dst_ip: SERVER_IP,
    };
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let len = build_tcp_frame(&mut buf, &addr, seg, payload).expect("fits");
    buf.truncate(len);
    buf
}

fn seg(src_port: u16, flags: TcpFlags, seq: u32, ack: u32) -> TcpRepr {
    seg_to(SERVER_PORT, src_port, flags, seq, ack)
}

fn seg_to(dst_port: u16, src_port: u16, flags: TcpFlags, seq: u32, ack: u32) -> TcpRepr {
    TcpRepr {
        src_port,
        dst_port,
        seq: SeqNum(seq),
        ack: SeqNum(ack),
        flags,
        window: 65535,
        options: TcpOptions::default(),
    }
}

/// Delivers `frame` to `ep`; returns the answer, if any.
fn deliver(ep: &mut Endpoint, frame: &[u8], now: u64) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(frame);
    ep.on_frame(&mut buf, frame.len(), now)
        .map(|n| buf[..n].to_vec())
}

#[test]
fn an_ack_flood_with_forged_cookies_is_counted_and_makes_no_state() {
    let mut s = Scenario::default().server(5);
    let mut x = 0x1234_5678u32;
    for i in 0..100_000u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let f = from_client(
            [10, 7, (i >> 8) as u8, i as u8],
            &seg(
                1024 + (i % 60_000) as u16,
                TcpFlags::ACK,
                x,
                x.rotate_left(7),
            ),
            &[],
        );
        assert!(deliver(&mut s, &f, 1_000_000 + u64::from(i)).is_none());
    }
    let c = s.counters();
    // At most a handful of the 100,000 guesses may pass (about 2⁻²² each).
    assert!(c.event(synwave::tcp::Events::COOKIE_BAD) >= 99_990, "{c:?}");
    assert_eq!(
        s.connections() as u64,
        c.event(synwave::tcp::Events::COOKIE_OK)
    );
    assert!(s.connections() <= 10);
}

/// A server with `k` established connections from real clients (the
/// handshake done by a client endpoint); returns the server and, per
/// connection, (client port, the client's next sequence number, the
/// server's).
fn established(k: u16) -> (Endpoint, Vec<(u16, u32, u32)>) {
    let mut s = Scenario {
        cookies: CookiePolicy::Always,
        request_bytes: 0,
        response_bytes: 0,
        ..Scenario::default()
    }
    .server(5);
    let mut c = Scenario {
        request_bytes: 0,
        response_bytes: 0,
        close: synwave::app::CloseKind::ServerFin,
        ..Scenario::default()
    }
    .client(CLIENT_NET, 1, 5, false);
    let mut seqs = Vec::new();
    for port in 0..k {
        let t = FourTuple {
            local_ip: CLIENT_NET,
            remote_ip: SERVER_IP,
            local_port: 30_000 + port,
            remote_port: SERVER_PORT,
        };
        let syn = open(&mut c, &t, 1_000).expect("opened");
        let synack = deliver(&mut s, &syn, 1_000).expect("SYN-ACK");
        let ack = deliver(&mut c, &synack, 1_000).expect("ACK");
        assert!(deliver(&mut s, &ack, 1_000).is_none());
        let (cs, ss) = seq_ack(&ack);
        seqs.push((30_000 + port, cs, ss));
    }
    assert_eq!(s.connections(), usize::from(k));
    (s, seqs)
}

fn seq_ack(frame: &[u8]) -> (u32, u32) {
    match synwave::wire::parse_frame(frame, true) {
        Ok(synwave::wire::Frame::Tcp(f)) => (f.tcp.seq.0, f.tcp.ack.0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn blind_in_window_rsts_and_syns_get_rate_limited_challenge_acks_only() {
    let (mut s, conns) = established(200);
    let now = 2_000_000;
    let mut answered = 0;
    for round in 0..10u32 {
        for &(port, cseq, sseq) in &conns {
            // In the window, but not at RCV.NXT: RFC 5961 §3.2.
            let rst = from_client(
                CLIENT_NET,
                &seg(port, TcpFlags::RST, cseq + 100 + round, 0),
                &[],
            );
            answered += usize::from(deliver(&mut s, &rst, now).is_some());
            // A SYN on an established connection: RFC 5961 §4.2.
            let syn = from_client(CLIENT_NET, &seg(port, TcpFlags::SYN, cseq + 7, 0), &[]);
            answered += usize::from(deliver(&mut s, &syn, now).is_some());
            let _ = sseq;
        }
    }
    let c = s.counters();
    use synwave::tcp::Events;
    // Nothing torn down.
    assert_eq!(s.connections(), 200, "{c:?}");
    assert_eq!(c.event(Events::RST_RX), 0, "{c:?}");
    // Every injected segment either got a challenge ACK or was held back
    // by the limit (1,000 a second: all 4,000 here arrive in one instant).
    let (sent, limited) = (
        c.event(Events::CHALLENGE_ACK),
        c.event(Events::CHALLENGE_ACK_LIMITED),
    );
    assert_eq!(sent + limited, 4_000, "{c:?}");
    assert!(sent <= 1_000, "{sent} challenge ACKs in one second: {c:?}");
    assert_eq!(answered as u64, sent);
}

/// To a port nobody listens on. (To the listening port with cookies
/// `always`, an ACK without a record is a cookie check: a bad one is
/// counted as `cookie_bad` and dropped without an answer, so that a
/// flood of them reflects nothing; see the ACK-flood test.)
#[test]
fn fins_and_data_to_unknown_tuples_get_rate_limited_rsts_and_no_state() {
    let mut s = Scenario::default().server(5);
    let now = 3_000_000;
    let mut rsts = 0u64;
    for i in 0..150_000u32 {
        let port = 1024 + (i % 60_000) as u16;
        let src = [10, 8, (i >> 16) as u8, (i >> 8) as u8];
        let f = if i % 2 == 0 {
            from_client(
                src,
                &seg_to(81, port, TcpFlags::FIN | TcpFlags::ACK, i, i),
                &[],
            )
        } else {
            from_client(
                src,
                &seg_to(81, port, TcpFlags::ACK | TcpFlags::PSH, i, i),
                b"data",
            )
        };
        if let Some(r) = deliver(&mut s, &f, now) {
            let flags = match synwave::wire::parse_frame(&r, true) {
                Ok(synwave::wire::Frame::Tcp(t)) => t.tcp.flags,
                other => panic!("{other:?}"),
            };
            assert!(flags.rst(), "answered with {flags:?}");
            rsts += 1;
        }
    }
    use synwave::tcp::Events;
    let c = s.counters();
    assert_eq!(s.connections(), 0);
    assert_eq!(c.event(Events::RST_TX), rsts, "{c:?}");
    // 100,000 a second at most, all in one instant here.
    assert!(rsts <= 100_000, "{rsts}");
    assert_eq!(rsts + c.event(Events::RST_LIMITED), 150_000, "{c:?}");
}

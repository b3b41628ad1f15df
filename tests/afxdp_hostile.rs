//! Hostile traffic toward `synwave serve` over a veth pair (issue 6), the
//! in-memory cases of `tests/floods.rs` and `tests/malformed_input.rs`
//! sent through the kernel, the XDP program and the AF_XDP socket:
//!
//! - malformed frames (every case the XDP program hands to synwave), from
//!   a raw socket: each counted under its own drop counter, none answered,
//!   no record;
//! - blind RSTs and SYNs into established connections, in the window but
//!   not exact: challenge ACKs only, within `--challenge-ack-limit`, and
//!   every connection still closes cleanly afterwards (RFC 5961 §3, §4);
//! - FINs and data to a port nobody listens on: RSTs within
//!   `--rst-limit`, no record (RFC 9293 §3.10.7.1);
//! - an ACK flood with forged cookies (hping3, random sources): counted
//!   as `cookie_bad`, nothing sent back, no record;
//! - a spoofed-source SYN flood (hping3) mixed with the kernel's clients,
//!   with cookies `always` (no record but the real ones) and
//!   `on-overload` (the SYN queue within `--syn-queue`, cookies beyond):
//!   ≥ 99 % of the real connections complete;
//! - faults from the engine's own impairment layer (`--loss`: serve loses,
//!   duplicates and reorders what it sends): the kernel's clients
//!   retransmit and every connection completes and ends;
//! - SIGINT and SIGTERM: the summary written and the XDP program
//!   detached.
//!
//! Every assertion is on counters and table sizes; elapsed time appears
//! only as the number of one-second rate windows a burst can span.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); hping3 comes from
//! `tools/install-test-deps.sh` (run by `.ci/run`).

#[path = "../bench/frames.rs"]
mod frames;
mod malformed_cases;
mod netns;

use netns::raw::{RawClient, RawConn};
use netns::{
    ClientClose, HPING3_UNCOUNTED, Pair, SYNWAVE_IP, Synwave, counter, hping3, hping3_sent,
    kernel_clients, kernel_clients_waiting, need, num, skip,
};
use std::net::SocketAddrV4;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use synwave::endpoint::WIRE_ERRORS;
use synwave::wire::TcpFlags;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serve(pair: &Pair, extra: &[&str]) -> Synwave {
    Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), extra)
}

/// One-second windows a burst from `start` to now can touch.
fn windows_since(start: Instant) -> u64 {
    start.elapsed().as_secs() + 2
}

/// Closes `c` from the client side: FIN, the server's FIN, our last ACK.
fn close(client: &RawClient, c: &RawConn) {
    client.send(
        c.port,
        TcpFlags::FIN | TcpFlags::ACK,
        c.next,
        c.peer_next,
        &[],
    );
    let fin = client.expect(c.port, Duration::from_secs(5), |s| s.flags.fin());
    assert_eq!(
        fin.ack,
        c.next.wrapping_add(1),
        "the server's FIN acks ours"
    );
    client.send(
        c.port,
        TcpFlags::ACK,
        c.next.wrapping_add(1),
        fin.seq.wrapping_add(1),
        &[],
    );
}

#[test]
fn malformed_frames_over_veth_are_counted_and_dropped() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("malformed_frames_over_veth_are_counted_and_dropped") {
        return;
    }
    let pair = Pair::new(1);
    // On overload: the valid SYN would make a record.
    let server = serve(&pair, &["--cookies", "on-overload"]);
    let client = RawClient::toward_synwave(&pair, 80);
    let syn = frames::linux_syn(40_000);
    let cases: Vec<_> = malformed_cases::cases(&client.frame(&syn, &[]))
        .into_iter()
        .filter(|c| malformed_cases::reaches_synwave(&c.frame, SYNWAVE_IP.octets()))
        .collect();
    const EACH: u64 = 3;
    for c in &cases {
        eprintln!("sending {EACH} × {} ({:?})", c.what, c.want);
        for _ in 0..EACH {
            client.sock.send(&c.frame);
        }
    }
    // Nothing answers them.
    if let Some(s) = client.next_segment(Duration::from_millis(500)) {
        panic!("a malformed frame was answered: {s:?}");
    }
    // The control: a valid connection after them works.
    let conn = client.connect(41_000, 7_000);
    close(&client, &conn);
    let j = server.stop();
    for e in WIRE_ERRORS {
        let want = EACH * cases.iter().filter(|c| c.want == e).count() as u64;
        assert_eq!(
            counter(&j, e.counter_name()),
            want,
            "{}: {j}",
            e.counter_name()
        );
    }
    assert_eq!(
        counter(&j, "drop_malformed"),
        EACH * cases.len() as u64,
        "{j}"
    );
    assert!(cases.len() >= 15, "{} cases reached synwave", cases.len());
    // Only the control made a record, and only its frames were answered.
    assert_eq!(counter(&j, "accepted"), 1, "{j}");
    assert_eq!(counter(&j, "records_peak"), 1, "{j}");
    assert_eq!(counter(&j, "syn_rx"), 1, "{j}");
    assert_eq!(counter(&j, "rst_tx"), 0, "{j}");
    assert_eq!(counter(&j, "end_closed"), 1, "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
}

#[test]
fn blind_rsts_and_syns_over_veth_get_limited_challenge_acks_and_tear_nothing_down() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("blind_rsts_and_syns_over_veth_get_limited_challenge_acks_and_tear_nothing_down") {
        return;
    }
    const CONNS: u16 = 50;
    const ROUNDS: u32 = 20;
    const LIMIT: u64 = 500;
    let pair = Pair::new(1);
    let server = serve(&pair, &["--challenge-ack-limit", &LIMIT.to_string()]);
    let client = RawClient::toward_synwave(&pair, 80);
    let conns: Vec<RawConn> = (0..CONNS)
        .map(|i| client.connect(42_000 + i, 1_000_000 * u32::from(i) + 12_345))
        .collect();
    // In the window, not at RCV.NXT (RFC 5961 §3.2), and a SYN on an
    // established connection (§4.2): 2,000 segments, 4 times the limit.
    let start = Instant::now();
    for r in 0..ROUNDS {
        for c in &conns {
            client.send(c.port, TcpFlags::RST, c.next.wrapping_add(100 + r), 0, &[]);
            client.send(c.port, TcpFlags::SYN, c.next.wrapping_add(7), 0, &[]);
        }
    }
    let injected = 2 * u64::from(CONNS) * u64::from(ROUNDS);
    // Each answer is an ACK of exactly where the connection stands.
    let mut acks = 0u64;
    while let Some(s) = client.next_segment(Duration::from_millis(500)) {
        let c = conns
            .iter()
            .find(|c| c.port == s.dst_port)
            .unwrap_or_else(|| panic!("an answer to no connection: {s:?}"));
        assert!(
            s.flags.ack() && !s.flags.rst() && !s.flags.syn() && !s.flags.fin(),
            "not a challenge ACK: {s:?}"
        );
        assert_eq!((s.seq, s.ack), (c.peer_next, c.next), "{s:?}");
        acks += 1;
    }
    let windows = windows_since(start);
    // Still established: every connection closes cleanly.
    for c in &conns {
        close(&client, c);
    }
    let j = server.stop();
    let (sent, limited) = (
        counter(&j, "challenge_ack"),
        counter(&j, "challenge_ack_limited"),
    );
    eprintln!("{injected} injected: {sent} challenge ACKs, {limited} held back, {acks} seen");
    assert_eq!(sent + limited, injected, "{j}");
    assert_eq!(sent, acks, "every challenge ACK counted arrived: {j}");
    // Each second's budget is drawn from LIMIT/2 .. LIMIT/2 + LIMIT.
    assert!(
        sent < (LIMIT + LIMIT / 2) * windows,
        "{sent} in {windows} windows: {j}"
    );
    assert!(limited > 0, "the limit never held anything back: {j}");
    assert_eq!(counter(&j, "rst_rx"), 0, "{j}");
    assert_eq!(counter(&j, "end_reset_by_peer"), 0, "{j}");
    assert_eq!(counter(&j, "end_closed"), u64::from(CONNS), "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
}

#[test]
fn fins_and_data_to_an_unknown_port_over_veth_get_limited_rsts_and_no_state() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("fins_and_data_to_an_unknown_port_over_veth_get_limited_rsts_and_no_state") {
        return;
    }
    const SENT: u32 = 6_000;
    const LIMIT: u64 = 1_000;
    let pair = Pair::new(1);
    let server = serve(&pair, &["--rst-limit", &LIMIT.to_string()]);
    // Port 81: nobody listens there.
    let client = RawClient::toward_synwave(&pair, 81);
    let start = Instant::now();
    for i in 0..SENT {
        let port = 1024 + (i % 60_000) as u16;
        if i % 2 == 0 {
            client.send(port, TcpFlags::FIN | TcpFlags::ACK, i, i, &[]);
        } else {
            client.send(port, TcpFlags::PSH | TcpFlags::ACK, i, i, b"data");
        }
    }
    let mut rsts = 0u64;
    while let Some(s) = client.next_segment(Duration::from_millis(500)) {
        // RFC 9293 §3.10.7.1: to a segment with ACK, <SEQ=SEG.ACK><CTL=RST>.
        assert!(s.flags.rst(), "answered with {s:?}");
        rsts += 1;
    }
    let windows = windows_since(start);
    let j = server.stop();
    let (sent, limited) = (counter(&j, "rst_tx"), counter(&j, "rst_limited"));
    // A burst this size can outrun the fill ring on a loaded host: the
    // kernel drops what finds it empty, and counts it.
    let dropped: u64 = j["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .map(|q| q["kernel_rx_dropped"].as_u64().expect("kernel_rx_dropped"))
        .sum();
    eprintln!(
        "{SENT} sent: {sent} RSTs, {limited} held back, {rsts} seen, {dropped} dropped by the kernel"
    );
    assert_eq!(sent + limited + dropped, u64::from(SENT), "{j}");
    assert_eq!(sent, rsts, "{j}");
    assert!(sent <= LIMIT * windows, "{sent} in {windows} windows: {j}");
    assert!(limited > 0, "{j}");
    assert_eq!(counter(&j, "records_peak"), 0, "{j}");
    assert_eq!(counter(&j, "accepted"), 0, "{j}");
}

#[test]
fn an_ack_flood_with_forged_cookies_over_veth_reflects_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("an_ack_flood_with_forged_cookies_over_veth_reflects_nothing") {
        return;
    }
    need("hping3", "hping3");
    let pair = Pair::new(1);
    let server = serve(&pair, &["--cookies", "always"]);
    let flood = hping3(&pair, &["-A", "--flood", "--rand-source", "-p", "80"], 3);
    let sent = hping3_sent(flood);
    let j = server.stop();
    let bad = counter(&j, "cookie_bad");
    eprintln!("hping3 sent {sent} ACKs; synwave counted {bad} bad cookies");
    assert!(
        bad > 10_000 && bad <= sent + HPING3_UNCOUNTED,
        "{sent} sent: {j}"
    );
    // Besides the ARP exchange that told hping3 our MAC, nothing came in
    // but the flood, and nothing went out.
    let arp = counter(&j, "arp_reply");
    assert_eq!(counter(&j, "rx_frames"), bad + arp, "{j}");
    assert_eq!(counter(&j, "tx_frames"), arp, "{j}");
    assert_eq!(counter(&j, "cookie_ok"), 0, "{j}");
    assert_eq!(counter(&j, "records_peak"), 0, "{j}");
}

/// A spoofed SYN flood for 6 s with 2,000 kernel connections in its
/// middle; serve's summary.
fn syn_flood_with_real_clients(extra: &[&str]) -> serde_json::Value {
    need("hping3", "hping3");
    let pair = Pair::new(1);
    let server = serve(&pair, extra);
    let flood = hping3(&pair, &["-S", "--flood", "--rand-source", "-p", "80"], 6);
    std::thread::sleep(Duration::from_millis(500));
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        2_000,
        4,
        ClientClose::Fin,
        Duration::from_secs(60),
    );
    let sent = hping3_sent(flood);
    let j = server.stop();
    eprintln!("hping3 sent {sent} SYNs; clients {t:?}");
    let share = t.connected as f64 / 2_000.0;
    assert!(
        share >= 0.99,
        "real clients completed {share:.4}: {t:?} {j}"
    );
    assert!(
        counter(&j, "syn_rx") > 10_000 + t.connected,
        "no flood: {j}"
    );
    j
}

#[test]
fn a_spoofed_syn_flood_over_veth_with_cookies_always_keeps_no_state_but_the_real_clients() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_spoofed_syn_flood_over_veth_with_cookies_always_keeps_no_state_but_the_real_clients")
    {
        return;
    }
    let j = syn_flood_with_real_clients(&["--cookies", "always"]);
    // A record only from a valid cookie: at most the real connections,
    // and never more at once than the clients' four threads can hold
    // open (a record lives from the ACK to the client's close).
    assert_eq!(counter(&j, "accepted"), counter(&j, "cookie_ok"), "{j}");
    assert!(counter(&j, "accepted") <= 2_000 + 100, "{j}");
    assert!(counter(&j, "records_peak") <= 64, "{j}");
    assert_eq!(counter(&j, "syn_queue_full"), 0, "{j}");
    assert_eq!(counter(&j, "cookie_sent"), counter(&j, "syn_rx"), "{j}");
}

#[test]
fn a_spoofed_syn_flood_over_veth_on_overload_fills_the_syn_queue_then_cookies_take_over() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_spoofed_syn_flood_over_veth_on_overload_fills_the_syn_queue_then_cookies_take_over")
    {
        return;
    }
    const QUEUE: u64 = 2_048;
    let j = syn_flood_with_real_clients(&[
        "--cookies",
        "on-overload",
        "--syn-queue",
        &QUEUE.to_string(),
    ]);
    // The spoofed SYNs' SYN-RECEIVED records fill the queue and stay
    // within it (plus the real connections open at that moment).
    let peak = counter(&j, "records_peak");
    assert!((QUEUE..=QUEUE + 64).contains(&peak), "{j}");
    assert!(
        counter(&j, "cookie_sent") > 0,
        "cookies never took over: {j}"
    );
    assert!(
        counter(&j, "cookie_ok") > 0,
        "no real client came by cookie: {j}"
    );
}

#[test]
fn sigint_and_sigterm_write_the_summary_and_detach_the_program() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("sigint_and_sigterm_write_the_summary_and_detach_the_program") {
        return;
    }
    let pair = Pair::new(1);
    let mut s = serve(&pair, &["--cookie-rotate", "1"]);
    assert!(pair.link_a().contains("xdp"), "attached: {}", pair.link_a());
    // Connections across two cookie key rotations.
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        3_000,
        2,
        ClientClose::Fin,
        Duration::from_secs(60),
    );
    std::thread::sleep(Duration::from_millis(3_100));
    let t2 = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        100,
        1,
        ClientClose::Fin,
        Duration::from_secs(30),
    );
    s.signal(libc::SIGINT);
    let st = s.wait(Duration::from_secs(20));
    assert!(st.success(), "exit after SIGINT: {st:?}");
    let text = std::fs::read_to_string(&s.json).expect("a summary after SIGINT");
    let _ = std::fs::remove_file(&s.json);
    let j: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let link = pair.link_a();
    assert!(!link.contains("xdp"), "still attached after SIGINT: {link}");
    assert_eq!(t.connected + t2.connected, 3_100, "{t:?} {t2:?}");
    assert_eq!(num(&j, "established"), 3_100, "{j}");
    assert!(counter(&j, "cookie_rotations") >= 2, "{j}");
    assert_eq!(counter(&j, "cookie_bad"), 0, "{j}");
    // SIGTERM: the same, on a second run on the same interface.
    let s = serve(&pair, &[]);
    assert!(
        pair.link_a().contains("xdp"),
        "attached again: {}",
        pair.link_a()
    );
    let j = s.stop(); // SIGTERM, exit status 0, the JSON summary
    assert_eq!(num(&j, "established"), 0, "{j}");
    let link = pair.link_a();
    assert!(
        !link.contains("xdp"),
        "still attached after SIGTERM: {link}"
    );
}

#[test]
fn serve_losing_duplicating_and_reordering_what_it_sends_still_completes_every_connection() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip(
        "serve_losing_duplicating_and_reordering_what_it_sends_still_completes_every_connection",
    ) {
        return;
    }
    const CONNS: u64 = 2_000;
    let pair = Pair::new(1);
    let server = serve(&pair, &["--loss", "2", "--seed", "9"]);
    // A lost SYN-ACK costs the client a SYN retry (1 s, then 3 s, 7 s):
    // connects wait up to 10 s.
    let t = kernel_clients_waiting(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        CONNS,
        8,
        ClientClose::Fin,
        Duration::from_secs(120),
        Duration::from_secs(10),
    );
    let j = server.stop();
    eprintln!("clients: {t:?}");
    assert_eq!(t.connected, CONNS, "{t:?} {j}");
    assert!(t.retrans_segs > 0, "the clients never retransmitted: {t:?}");
    for c in ["link_lost", "link_duplicated", "link_reordered"] {
        assert!(counter(&j, c) > 0, "{c}: {j}");
    }
    assert_eq!(num(&j, "established"), CONNS, "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
    assert_eq!(counter(&j, "end_closed"), CONNS, "{j}");
}

//! The TCP tunables on the wire, over a veth pair: `serve`'s SYN-ACK and
//! `gen`'s SYN carry the MSS, window, window scale, timestamps and
//! SACK-permitted they were given (read back from their own `--pcap`),
//! with SYN cookies on; with timestamps off a cookie SYN-ACK offers the
//! MSS alone (a cookie without timestamps has nowhere to keep the other
//! options); `--idle-timeout` resets a connection that stays silent;
//! `--rto-min` sets when unacknowledged data goes out again, and
//! `--delayed-ack` when the ACK of a first data segment goes out (serve's
//! capture clock, with cookies on). The initial window (`--init-cwnd`) is on the wire in
//! `tests/afxdp_bulk.rs`.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::{
    ClientClose, KERNEL_IP, Pair, SYNWAVE_IP, Synwave, counter, kernel_clients, kernel_listener,
    pcap_frames, skip,
};
use std::net::{SocketAddrV4, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use synwave::wire::{Frame, TcpRepr, parse_frame};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "synwave-tunables-{name}-{}.pcap",
        std::process::id()
    ))
}

/// The TCP headers of the SYN segments (SYN-ACKs when `ack`) that
/// `pcap` holds.
fn syns(pcap: &std::path::Path, ack: bool) -> Vec<TcpRepr> {
    let frames = pcap_frames(pcap);
    let _ = std::fs::remove_file(pcap);
    frames
        .iter()
        .filter_map(|f| match parse_frame(f, false) {
            Ok(Frame::Tcp(t)) if t.tcp.flags.syn() && t.tcp.flags.ack() == ack => Some(t.tcp),
            _ => None,
        })
        .collect()
}

/// One kernel connection to `serve` run with `extra`; the SYN-ACK it
/// sent, as its capture holds it.
fn serve_syn_ack(extra: &[&str]) -> TcpRepr {
    let pair = Pair::new(1);
    let pcap = temp("serve");
    let p = pcap.display().to_string();
    let mut args = vec!["--cookies", "always", "--pcap", &p];
    args.extend_from_slice(extra);
    let s = Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), &args);
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        1,
        1,
        ClientClose::Fin,
        Duration::from_secs(10),
    );
    let j = s.stop();
    assert_eq!(t.connected, 1, "{t:?} {j}");
    assert_eq!(counter(&j, "cookie_ok"), 1, "{j}");
    let found = syns(&pcap, true);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0]
}

#[test]
fn serve_announces_the_mss_window_scale_and_options_it_is_given() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("serve_announces_the_mss_window_scale_and_options_it_is_given") {
        return;
    }
    let sa = serve_syn_ack(&[
        "--mss",
        "1200",
        "--window",
        "30000",
        "--wscale",
        "3",
        "--sack-permitted",
        "off",
    ]);
    assert_eq!(sa.options.mss, Some(1200), "{sa:?}");
    assert_eq!(sa.window, 30000, "{sa:?}");
    assert_eq!(sa.options.wscale, Some(3), "{sa:?}");
    assert!(!sa.options.sack_permitted, "{sa:?}");
    assert!(sa.options.timestamps.is_some(), "{sa:?}");
    // The defaults, for contrast: MSS 1460, scale 7, SACK-permitted.
    let d = serve_syn_ack(&[]);
    assert_eq!((d.options.mss, d.options.wscale), (Some(1460), Some(7)));
    assert!(d.options.sack_permitted, "{d:?}");
}

#[test]
fn without_timestamps_a_cookie_syn_ack_offers_the_mss_alone() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("without_timestamps_a_cookie_syn_ack_offers_the_mss_alone") {
        return;
    }
    let sa = serve_syn_ack(&["--timestamps", "off", "--mss", "1400"]);
    assert_eq!(sa.options.mss, Some(1400), "{sa:?}");
    assert!(sa.options.timestamps.is_none(), "{sa:?}");
    assert_eq!(sa.options.wscale, None, "{sa:?}");
    assert!(!sa.options.sack_permitted, "{sa:?}");
}

#[test]
fn gen_sends_the_mss_window_and_options_it_is_given() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_sends_the_mss_window_and_options_it_is_given") {
        return;
    }
    let pair = Pair::new(1);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(30),
    );
    let pcap = temp("gen");
    let (a, p) = (pair.a(), pcap.display().to_string());
    let args = [
        "gen",
        "--iface",
        &a,
        "--quiet",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.2:80",
        "--connections",
        "3",
        "--concurrency",
        "1",
        "--duration",
        "10",
        "--pcap",
        &p,
        "--mss",
        "1000",
        "--window",
        "20000",
        "--wscale",
        "off",
        "--timestamps",
        "off",
    ];
    let j = Synwave::start(&a, &args, "synwave gen:").finish(Duration::from_secs(30));
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    assert_eq!((counter(&j, "established"), accepted), (3, 3), "{j}");
    let sent = syns(&pcap, false);
    assert_eq!(sent.len(), 3, "{sent:?}");
    for syn in sent {
        assert_eq!(syn.options.mss, Some(1000), "{syn:?}");
        assert_eq!(syn.window, 20000, "{syn:?}");
        assert_eq!(syn.options.wscale, None, "{syn:?}");
        assert!(syn.options.timestamps.is_none(), "{syn:?}");
        assert!(syn.options.sack_permitted, "{syn:?}");
    }
}

#[test]
fn an_idle_timeout_resets_a_silent_connection() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("an_idle_timeout_resets_a_silent_connection") {
        return;
    }
    let pair = Pair::new(1);
    let s = Synwave::serve(
        &pair.a(),
        &pair.a(),
        &SYNWAVE_IP.to_string(),
        &["--idle-timeout", "1"],
    );
    // A client that connects and says nothing for 3 s: serve resets it
    // after 1.
    let to = SocketAddrV4::new(SYNWAVE_IP, 80);
    let held = pair.in_b(move || {
        let c = TcpStream::connect_timeout(&to.into(), Duration::from_secs(3));
        std::thread::sleep(Duration::from_secs(3));
        c.map(drop).map_err(|e| e.to_string())
    });
    let j = s.stop();
    assert!(held.is_ok(), "{held:?}");
    assert_eq!(counter(&j, "end_idle_timeout"), 1, "{j}");
    assert_eq!(counter(&j, "established"), 1, "{j}");
}

/// Times (µs, from the capture's clock) at which `pcap` holds a data
/// segment from port 80 carrying the first data byte after the
/// handshake (the response's first segment and its retransmissions).
fn first_data_times(pcap: &std::path::Path) -> Vec<u64> {
    let mut first_seq = None;
    timed_segments(pcap)
        .into_iter()
        .filter(|(_, t, len)| t.src_port == 80 && *len > 0)
        .filter(|(_, t, _)| *first_seq.get_or_insert(t.seq) == t.seq)
        .map(|(at, _, _)| at)
        .collect()
}

/// serve with `extra` answers a raw client that sends one byte and then
/// never acknowledges: the gap between the response's first segment and
/// its first retransmission, in serve's capture.
fn first_retransmission_gap(extra: &[&str]) -> u64 {
    let pair = Pair::new(1);
    let pcap = temp("rto");
    let p = pcap.display().to_string();
    let mut args = vec!["--response-bytes", "100", "--pcap", &p];
    args.extend_from_slice(extra);
    let s = Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), &args);
    let client = netns::raw::RawClient::toward_synwave(&pair, 80);
    let c = client.connect(40_123, 7_000);
    client.send(
        c.port,
        synwave::wire::TcpFlags::ACK | synwave::wire::TcpFlags::PSH,
        c.next,
        c.peer_next,
        b"x",
    );
    // The response, then its retransmissions (never acknowledged).
    for _ in 0..2 {
        client.expect(c.port, Duration::from_secs(5), |s| s.payload > 0);
    }
    let j = s.stop();
    assert!(counter(&j, "retransmit") >= 1, "{j}");
    let times = first_data_times(&pcap);
    assert!(times.len() >= 2, "{times:?}");
    times[1] - times[0]
}

/// `--rto-min 50`: data unacknowledged is sent again after 50 ms, not
/// after the default 200 ms (the timer may fire late, never early).
#[test]
fn the_retransmission_timeout_is_on_the_wire() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("the_retransmission_timeout_is_on_the_wire") {
        return;
    }
    let short = first_retransmission_gap(&["--rto-min", "50"]);
    let default = first_retransmission_gap(&[]);
    eprintln!("first retransmission after {short} µs with --rto-min 50, {default} µs by default");
    assert!(short >= 50_000, "{short}");
    assert!(default >= 200_000, "{default}");
    assert!(short < default, "{short} vs {default}");
}

/// Each segment of `pcap` with its capture time (µs).
fn timed_segments(pcap: &std::path::Path) -> Vec<(u64, TcpRepr, usize)> {
    let bytes = std::fs::read(pcap).expect("pcap");
    let _ = std::fs::remove_file(pcap);
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= bytes.len() {
        let word = |o: usize| u32::from_le_bytes(bytes[at + o..at + o + 4].try_into().unwrap());
        let (sec, usec, caplen) = (word(0), word(4), word(8) as usize);
        let frame = &bytes[at + 16..(at + 16 + caplen).min(bytes.len())];
        at += 16 + caplen;
        if let Ok(Frame::Tcp(t)) = parse_frame(frame, false) {
            let us = u64::from(sec) * 1_000_000 + u64::from(usec);
            out.push((us, t.tcp, t.payload.len()));
        }
    }
    out
}

/// serve with `extra` (cookies always, a 2,000-byte request expected)
/// gets the first 1,000 bytes of a raw client's request: the time from
/// that segment to serve's ACK of it (serve's capture), and serve's
/// report.
fn ack_delay(extra: &[&str]) -> (u64, serde_json::Value) {
    use synwave::wire::TcpFlags;
    let pair = Pair::new(1);
    let pcap = temp("delack");
    let p = pcap.display().to_string();
    let mut args = vec![
        "--cookies",
        "always",
        "--request-bytes",
        "2000",
        "--pcap",
        &p,
    ];
    args.extend_from_slice(extra);
    let s = Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), &args);
    let client = netns::raw::RawClient::toward_synwave(&pair, 80);
    let c = client.connect(40_321, 9_000);
    let end = c.next.wrapping_add(1000);
    client.send(c.port, TcpFlags::ACK, c.next, c.peer_next, &[b'x'; 1000]);
    client.expect(c.port, Duration::from_secs(5), |s| s.ack == end);
    let j = s.stop();
    let segs = timed_segments(&pcap);
    let data = segs
        .iter()
        .find(|(_, t, len)| t.dst_port == 80 && *len == 1000)
        .unwrap_or_else(|| panic!("the request's first part in the capture: {segs:?}"));
    let ack = segs
        .iter()
        .find(|(_, t, _)| t.src_port == 80 && t.ack.0 == end)
        .unwrap_or_else(|| panic!("serve's ACK in the capture: {segs:?}"));
    assert_eq!(ack.2, 0, "a bare ACK (the request is not complete)");
    (ack.0 - data.0, j)
}

/// `--delayed-ack 40`: the ACK of a first data segment goes out 40 ms
/// after it (the timer may fire late, never early), by the delayed-ACK
/// timer; by default at once.
#[test]
fn the_ack_delay_is_on_the_wire() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("the_ack_delay_is_on_the_wire") {
        return;
    }
    let (delayed, j) = ack_delay(&["--delayed-ack", "40"]);
    assert_eq!(counter(&j, "delayed_ack"), 1, "{j}");
    assert_eq!(counter(&j, "cookie_ok"), 1, "{j}");
    let (at_once, d) = ack_delay(&[]);
    assert_eq!(counter(&d, "delayed_ack"), 0, "{d}");
    eprintln!("ACK after {delayed} µs with --delayed-ack 40, {at_once} µs by default");
    assert!(delayed >= 40_000, "{delayed}");
    assert!(at_once < delayed, "{at_once} vs {delayed}");
}

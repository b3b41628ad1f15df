//! Large responses over a veth pair, to a Linux client: `serve --response
//! http --response-bytes 1000000` delivers every byte in a few round
//! trips (counted in serve's own `--pcap`: a round ends when the client
//! acknowledges what was sent when it began); with `--loss 1` the
//! transfer still completes, retransmissions counted; a client with a
//! 4 KiB receive buffer that reads slowly gets every byte, and serve
//! never sends past the window the client last advertised; the first
//! flight is the initial window (10 segments, or `--init-cwnd`).
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::sockets::connect_with_rcvbuf;
use netns::{Pair, SYNWAVE_IP, Synwave, counter, pcap_frames, skip};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use synwave::wire::{Frame, SeqNum, TcpRepr, parse_frame};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const REQUEST: &[u8] = b"GET /big HTTP/1.1\r\nHost: synwave\r\n\r\n";

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("synwave-bulk-{name}-{}.pcap", std::process::id()))
}

/// A TCP socket to `SYNWAVE_IP:80` from the current namespace, its
/// receive buffer set to `rcvbuf` bytes before the connect when given.
fn connect(rcvbuf: Option<i32>) -> TcpStream {
    match rcvbuf {
        Some(size) => connect_with_rcvbuf(SYNWAVE_IP, 80, size),
        None => TcpStream::connect((SYNWAVE_IP, 80)).expect("connect"),
    }
}

/// Sends the request and reads the response to its end (serve's FIN),
/// `chunk` bytes at a time with `pause` after each; the bytes read.
fn fetch(rcvbuf: Option<i32>, chunk: usize, pause: Duration) -> Vec<u8> {
    let mut s = connect(rcvbuf);
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(REQUEST).expect("request");
    let mut all = Vec::new();
    let mut buf = vec![0u8; chunk];
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read after {} bytes: {e}", all.len()),
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    all
}

/// The body length of an HTTP response, checked against its
/// Content-Length.
fn body_len(response: &[u8]) -> usize {
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block")
        + 4;
    let head = String::from_utf8_lossy(&response[..head_end]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let declared: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("Content-Length")
        .trim()
        .parse()
        .expect("a number");
    assert_eq!(response.len() - head_end, declared, "{head}");
    declared
}

/// What serve's capture shows of one connection.
#[derive(Debug, Default)]
struct Transfer {
    /// Data segments serve sent.
    data_segments: u64,
    /// Round trips: a round ends when the client acknowledges the
    /// highest byte sent when the round began.
    rounds: u64,
    /// The most bytes in flight at once.
    max_in_flight: u32,
    /// Data segments that reached past the window the client last
    /// advertised.
    past_window: u64,
    /// Data segments sent before the client acknowledged any data: the
    /// initial window.
    first_flight: u64,
}

/// Reads serve's capture: frames to port 80 are the client's, from port
/// 80 serve's.
fn transfer(pcap: &std::path::Path) -> Transfer {
    let frames = pcap_frames(pcap);
    let _ = std::fs::remove_file(pcap);
    let segs: Vec<(TcpRepr, usize)> = frames
        .iter()
        .filter_map(|f| match parse_frame(f, false) {
            Ok(Frame::Tcp(t)) => {
                let len = t.payload.len();
                Some((t.tcp, len))
            }
            _ => None,
        })
        .collect();
    let mut t = Transfer::default();
    let mut client_wscale = 0u8;
    let mut sent_max: Option<SeqNum> = None;
    let mut acked: Option<SeqNum> = None;
    let mut limit: Option<SeqNum> = None;
    let mut mark: Option<SeqNum> = None;
    let mut first_data = SeqNum(0);
    let mut acked_data = false;
    for (seg, len) in segs {
        if seg.dst_port == 80 {
            if seg.flags.syn() {
                client_wscale = seg.options.wscale.unwrap_or(0);
                continue;
            }
            if !seg.flags.ack() {
                continue;
            }
            if acked.is_none_or(|a| seg.ack > a) {
                acked = Some(seg.ack);
            }
            if sent_max.is_some() && seg.ack > first_data {
                acked_data = true;
            }
            limit = Some(seg.ack + (u32::from(seg.window) << client_wscale));
            if let (Some(m), Some(a)) = (mark, acked)
                && a >= m
            {
                t.rounds += 1;
                mark = sent_max.filter(|&s| s > a);
            }
        } else if len > 0 {
            t.data_segments += 1;
            if sent_max.is_none() {
                first_data = seg.seq;
            }
            if !acked_data {
                t.first_flight += 1;
            }
            let end = seg.seq + len as u32;
            if limit.is_some_and(|l| end > l) {
                t.past_window += 1;
            }
            if sent_max.is_none_or(|s| end > s) {
                sent_max = Some(end);
            }
            if mark.is_none() {
                mark = Some(end);
            }
            if let (Some(s), Some(a)) = (sent_max, acked) {
                t.max_in_flight = t.max_in_flight.max(s - a);
            }
        }
    }
    t
}

/// serve on side A with a `bytes`-byte HTTP body and `extra` flags; one
/// fetch from side B; the body length, serve's summary and its capture.
fn serve_one(
    bytes: u32,
    extra: &[&str],
    rcvbuf: Option<i32>,
    chunk: usize,
    pause: Duration,
) -> (usize, serde_json::Value, Transfer) {
    let pair = Pair::new(1);
    let pcap = temp("serve");
    let p = pcap.display().to_string();
    let size = bytes.to_string();
    let mut args = vec![
        "--response",
        "http",
        "--response-bytes",
        &size,
        "--pcap",
        &p,
        "--pcap-limit",
        "100000",
    ];
    args.extend_from_slice(extra);
    let s = Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), &args);
    let response = pair.in_b(move || fetch(rcvbuf, chunk, pause));
    let j = s.stop();
    let body = body_len(&response);
    let t = transfer(&pcap);
    eprintln!("{t:?}");
    (body, j, t)
}

#[test]
fn a_megabyte_response_takes_a_few_round_trips() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_megabyte_response_takes_a_few_round_trips") {
        return;
    }
    let (body, j, t) = serve_one(1_000_000, &[], None, 65_536, Duration::ZERO);
    assert_eq!(body, 1_000_000);
    assert_eq!(counter(&j, "retransmit"), 0, "{j}");
    // 1,000,000 bytes are about 690 segments: sent one per round trip they
    // would take 690 rounds. Slow start from 10 segments within Linux's
    // receive window takes a few tens at most.
    assert!(t.data_segments >= 690, "{t:?}");
    assert!(t.rounds >= 3 && t.rounds <= 40, "{t:?}");
    assert!(
        t.max_in_flight > 10 * 1448,
        "more than the initial window in flight: {t:?}"
    );
    assert_eq!(t.past_window, 0, "{t:?}");
}

/// `--init-cwnd`: the data serve sends before the client's first ACK of
/// any of it is 10 segments by default (RFC 6928), 4 with `--init-cwnd 4`.
#[test]
fn the_initial_window_is_on_the_wire() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("the_initial_window_is_on_the_wire") {
        return;
    }
    let (_, _, t) = serve_one(100_000, &[], None, 65_536, Duration::ZERO);
    assert_eq!(t.first_flight, 10, "{t:?}");
    let (_, _, t) = serve_one(100_000, &["--init-cwnd", "4"], None, 65_536, Duration::ZERO);
    assert_eq!(t.first_flight, 4, "{t:?}");
}

#[test]
fn a_megabyte_response_completes_with_one_percent_loss() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_megabyte_response_completes_with_one_percent_loss") {
        return;
    }
    let (body, j, _) = serve_one(
        1_000_000,
        &["--loss", "1", "--seed", "5"],
        None,
        65_536,
        Duration::ZERO,
    );
    assert_eq!(body, 1_000_000);
    assert!(counter(&j, "retransmit") > 0, "{j}");
    eprintln!(
        "retransmit {} fast_retransmit {}",
        counter(&j, "retransmit"),
        counter(&j, "fast_retransmit")
    );
}

#[test]
fn a_slow_reader_with_a_small_buffer_gets_every_byte_within_its_window() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_slow_reader_with_a_small_buffer_gets_every_byte_within_its_window") {
        return;
    }
    let (body, _, t) = serve_one(200_000, &[], Some(4096), 1024, Duration::from_micros(500));
    assert_eq!(body, 200_000);
    assert!(t.data_segments > 0, "{t:?}");
    assert_eq!(t.past_window, 0, "serve sent past the window: {t:?}");
    // A 4 KiB buffer (the kernel doubles it) keeps far fewer bytes in
    // flight than the 1 MB case.
    assert!(t.max_in_flight <= 16 * 1024, "{t:?}");
}

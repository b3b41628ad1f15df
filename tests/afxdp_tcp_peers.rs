//! synwave's TCP against the Linux kernel's over AF_XDP on a veth pair,
//! where the peer's state decides: a kernel client with a 4 KiB receive
//! buffer that reads a 1,000,000-byte response slowly (its window closes
//! and opens again: synwave sends within it, probes it while it is zero,
//! and retransmits nothing), and two `gen` runs back to back from one
//! source address against a kernel listener that closes first (the kernel
//! keeps TIME-WAIT for the first run's four-tuples; the second run's SYNs
//! carry newer timestamps and sequence numbers, so the kernel takes them).
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); the runs share
//! the machine's two cores, so they take turns.

mod netns;

use netns::sockets::connect_with_rcvbuf;
use netns::{KERNEL_IP, Pair, SYNWAVE_IP, Synwave, counter, kernel_listener, num, skip};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What the slow reader got.
#[derive(Debug)]
struct SlowRead {
    bytes: usize,
    all_r: bool,
    took: Duration,
}

/// In namespace B: connects with a 4 KiB receive buffer, sends one request
/// byte, waits `pause` with the buffer full, then reads `chunk` bytes
/// every `every` until `want` bytes or the end (bounded by `limit`).
fn slow_reader(
    pair: &Pair,
    want: usize,
    pause: Duration,
    chunk: usize,
    every: Duration,
    limit: Duration,
) -> SlowRead {
    pair.in_b(move || {
        let start = Instant::now();
        let mut s = connect_with_rcvbuf(SYNWAVE_IP, 80, 4096);
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        s.write_all(b"q").expect("request");
        std::thread::sleep(pause);
        let mut buf = vec![0u8; chunk];
        let (mut bytes, mut all_r) = (0usize, true);
        while bytes < want && start.elapsed() < limit {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    all_r &= buf[..n].iter().all(|&b| b == b'r');
                    bytes += n;
                }
                Err(e) => panic!("read after {bytes} bytes: {e}"),
            }
            std::thread::sleep(every);
        }
        // The client closes first (serve's default close).
        drop(s);
        SlowRead {
            bytes,
            all_r,
            took: start.elapsed(),
        }
    })
}

/// RFC 9293 §3.8.6: a reader slower than the sender closes its window;
/// synwave never sends past it, probes it while it is zero (RFC 9293
/// §3.8.6.1), and so retransmits nothing, while every byte arrives.
#[test]
fn a_slow_kernel_reader_with_a_4_kib_buffer_gets_a_megabyte_without_retransmissions() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_slow_kernel_reader_with_a_4_kib_buffer_gets_a_megabyte_without_retransmissions") {
        return;
    }
    const BYTES: usize = 1_000_000;
    let pair = Pair::new(1);
    let server = Synwave::serve(
        &pair.a(),
        &pair.a(),
        "10.99.0.1",
        &["--response-bytes", &BYTES.to_string()],
    );
    let got = slow_reader(
        &pair,
        BYTES,
        Duration::from_millis(1500),
        2048,
        Duration::from_millis(1),
        Duration::from_secs(240),
    );
    // The client's FIN and synwave's reach each other before the stop.
    std::thread::sleep(Duration::from_millis(500));
    let j = server.stop();
    eprintln!("reader: {} bytes in {:?}", got.bytes, got.took);
    assert_eq!(got.bytes, BYTES, "{got:?}: {j}");
    assert!(got.all_r, "the bytes are the response's");
    assert_eq!(
        counter(&j, "retransmit"),
        0,
        "a segment past the window: {j}"
    );
    assert!(
        counter(&j, "window_probe") > 0,
        "the window never closed long enough to be probed: {j}"
    );
    assert_eq!(counter(&j, "end_closed"), 1, "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
}

/// `gen --close server-fin` for 10 s at 300/s from 10.99.0.1 to the
/// kernel's listener: its JSON summary.
fn gen_server_fin(pair: &Pair) -> serde_json::Value {
    let a = pair.a();
    Synwave::start(
        &a,
        &[
            "gen",
            "--iface",
            &a,
            "--quiet",
            "--src-ip",
            "10.99.0.1",
            "--dst",
            "10.99.0.2:80",
            "--rate",
            "300",
            "--duration",
            "10",
            "--close",
            "server-fin",
        ],
        "synwave gen:",
    )
    .finish(Duration::from_secs(60))
}

/// RFC 7323 §5.4 and RFC 6528 §3: timestamps and ISNs come from clocks
/// that do not restart with the process. The kernel listener closes
/// first and keeps TIME-WAIT for the first run's four-tuples; the second
/// run reuses them at once, and its SYNs pass PAWS (newer TSvals) and are
/// taken: nothing fails and nothing is retransmitted.
#[test]
fn a_second_gen_run_reuses_the_kernels_time_wait_tuples_without_a_retransmission() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_second_gen_run_reuses_the_kernels_time_wait_tuples_without_a_retransmission") {
        return;
    }
    let pair = Pair::new(1);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(120),
    );
    let first = gen_server_fin(&pair);
    let second = gen_server_fin(&pair);
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    for (run, j) in [("first", &first), ("second", &second)] {
        assert!(num(j, "opened") > 2500, "{run}: {j}");
        assert_eq!(num(j, "failed"), 0, "{run}: {j}");
        assert_eq!(num(j, "retransmits"), 0, "{run}: {j}");
        assert_eq!(num(j, "completed"), num(j, "opened"), "{run}: {j}");
    }
    assert_eq!(accepted, num(&first, "opened") + num(&second, "opened"));
}

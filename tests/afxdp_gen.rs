//! `synwave gen` over AF_XDP on a veth pair: against a Linux kernel
//! accept-and-close server in the other namespace (every connection
//! completes, the server accepts each), against `synwave serve` for 10 s
//! (no failure), and a capture of its traffic decoded by tshark (valid
//! checksums, the three-way handshake and the FIN close in order).
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); the runs share
//! the machine's two cores, so they take turns.

mod netns;

use netns::{KERNEL_IP, Pair, Synwave, counter, kernel_listener, num, skip, wait_until_capturing};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn gen_args<'a>(pair_a: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["gen", "--iface", pair_a, "--quiet"];
    v.extend_from_slice(extra);
    v
}

/// Runs gen to completion (bounded) and returns its JSON summary.
fn run_gen(pair: &Pair, extra: &[&str], limit: Duration) -> serde_json::Value {
    let a = pair.a();
    Synwave::start(&pair.a(), &gen_args(&a, extra), "synwave gen:").finish(limit)
}

/// gen from 10.99.0.1 to the kernel's 10.99.0.2:80: `connections` at
/// `concurrency`, with `extra` flags.
fn gen_to_kernel(
    pair: &Pair,
    connections: &str,
    concurrency: &str,
    extra: &[&str],
) -> serde_json::Value {
    let mut args = vec![
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.2:80",
        "--connections",
        connections,
        "--concurrency",
        concurrency,
    ];
    args.extend_from_slice(extra);
    run_gen(pair, &args, Duration::from_secs(90))
}

#[test]
fn gen_against_a_kernel_listener_completes_every_connection() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_against_a_kernel_listener_completes_every_connection") {
        return;
    }
    let pair = Pair::new(1);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(60),
    );
    let n = 5000;
    let j = gen_to_kernel(&pair, "5000", "32", &["--duration", "60"]);
    // The listener takes what is still in its accept queue after the stop.
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    assert_eq!(num(&j, "opened"), n, "{j}");
    assert_eq!(num(&j, "established"), n, "{j}");
    assert_eq!(num(&j, "completed"), n, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(num(&j, "unfinished"), 0, "{j}");
    assert_eq!(accepted, n, "the kernel server accepted {accepted} of {n}");
}

#[test]
fn gen_against_serve_for_ten_seconds_without_failures() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_against_serve_for_ten_seconds_without_failures") {
        return;
    }
    let pair = Pair::new(1);
    let server = Synwave::serve(&pair.b(), &pair.b(), "10.99.0.3", &[]);
    let j = run_gen(
        &pair,
        &[
            "--src-ip",
            "10.99.1.1-10.99.1.250",
            "--dst",
            "10.99.0.3:80",
            "--duration",
            "10",
            "--concurrency",
            "128",
        ],
        Duration::from_secs(60),
    );
    let s = server.stop();
    let established = num(&j, "established");
    assert!(established > 1000, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(num(&j, "unfinished"), 0, "{j}");
    assert_eq!(num(&j, "completed"), established, "{j}");
    // Every connection gen made, serve made, and no more: the second ACK
    // that gen's TIME-WAIT sends for a FIN serve retransmitted, arriving
    // once serve's record is gone, is a failed cookie check (the cookie
    // hashes the client's ISN), not a connection rebuilt.
    assert_eq!(num(&s, "established"), established, "{s}");
    assert_eq!(counter(&s, "drop_malformed"), 0, "{s}");
    assert!(
        counter(&s, "cookie_bad") <= counter(&s, "retransmit"),
        "a bad cookie that answers no retransmission: {s}"
    );
}

#[test]
fn a_capture_decodes_with_valid_checksums_and_the_handshake_and_fin_close() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("a_capture_decodes_with_valid_checksums_and_the_handshake_and_fin_close") {
        return;
    }
    assert!(
        Command::new("sh")
            .args(["-c", "command -v tshark"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        "tshark is missing: .ci/run installs it (tools/install-test-deps.sh)"
    );
    let pair = Pair::new(1);
    let pcap = std::env::temp_dir().join(format!("synwave-capture-{}.pcap", std::process::id()));
    let _ = std::fs::remove_file(&pcap);
    // The kernel side of the veth sees every frame synwave sends and
    // receives.
    let mut tshark = Command::new("ip")
        .args(["netns", "exec", &pair.b(), "tshark", "-i", &pair.b(), "-w"])
        .arg(&pcap)
        .args(["-f", "tcp port 80"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tshark");
    wait_until_capturing(&mut tshark);
    // tshark says it captures a moment before its capture process takes
    // every frame, and writes the last ones a moment after they pass: a
    // run of 0.1 s once left an empty file. A margin on both sides.
    std::thread::sleep(Duration::from_millis(500));
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(30),
    );
    let j = gen_to_kernel(&pair, "1", "1", &["--request-bytes", "0"]);
    std::thread::sleep(Duration::from_millis(1_500));
    stop.store(true, Ordering::Relaxed);
    let _ = listener.join();
    // Safety: a signal to our own child, by pid.
    unsafe { libc::kill(tshark.id() as i32, libc::SIGINT) };
    let _ = tshark.wait();
    assert_eq!(num(&j, "completed"), 1, "{j}");
    assert_handshake_and_fin_close(&pcap);
    let _ = std::fs::remove_file(&pcap);
}

/// `gen --pcap` writes its own frames of one connection to a file that
/// tshark reads with the same checks as a capture on the wire.
#[test]
fn gen_writes_a_pcap_that_tshark_decodes() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_writes_a_pcap_that_tshark_decodes") {
        return;
    }
    let pair = Pair::new(1);
    let pcap = std::env::temp_dir().join(format!("synwave-own-{}.pcap", std::process::id()));
    let _ = std::fs::remove_file(&pcap);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(30),
    );
    let path = pcap.display().to_string();
    let j = gen_to_kernel(
        &pair,
        "1",
        "1",
        &[
            "--request-bytes",
            "0",
            "--pcap",
            &path,
            "--pcap-limit",
            "100",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    let _ = listener.join();
    assert_eq!(num(&j, "completed"), 1, "{j}");
    // Every frame the worker received and sent, no more: five in a FIN
    // close, or six when the kernel acknowledges our FIN before its
    // listener's close sends its own.
    let seen = counter(&j, "rx_frames") + counter(&j, "tx_frames");
    assert_eq!(j["pcap"]["frames"].as_u64(), Some(seen), "{j}");
    assert!((5..=6).contains(&seen), "{j}");
    assert!(j["pcap"]["error"].is_null(), "{j}");
    assert_handshake_and_fin_close(&pcap);
    let _ = std::fs::remove_file(&pcap);
}

/// Decodes `pcap` with tshark, checksum validation on: every TCP frame has
/// good TCP and IPv4 checksums, and they show the three-way handshake,
/// then a FIN from each side, each acknowledged, and no RST.
fn assert_handshake_and_fin_close(pcap: &std::path::Path) {
    assert!(
        Command::new("sh")
            .args(["-c", "command -v tshark"])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        "tshark is missing: .ci/run installs it (tools/install-test-deps.sh)"
    );
    // Decode with checksum validation on; list flags and checksum status.
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args([
            "-Y",
            "tcp",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "tcp.flags.str",
            "-e",
            "tcp.checksum.status",
            "-e",
            "ip.checksum.status",
        ])
        .output()
        .expect("tshark -r");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "tshark -r failed");
    // Nothing on stderr but the note that tshark runs as root.
    let complaints: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("Running as user"))
        .map(String::from)
        .collect();
    assert!(complaints.is_empty(), "tshark complained: {complaints:?}");
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    // synwave's frames (from 10.99.0.1) carry checksums tshark verifies
    // ("1" = good); the kernel's own are computed after the capture point
    // only when offload is on, which tools/netns.sh turns off.
    for r in &rows {
        assert_eq!(r.get(2), Some(&"1"), "TCP checksum not good: {r:?}");
        assert_eq!(r.get(3), Some(&"1"), "IPv4 checksum not good: {r:?}");
    }
    let flags: Vec<(&str, String)> = rows.iter().map(|r| (r[0], r[1].replace('·', ""))).collect();
    let us = "10.99.0.1";
    let kernel = "10.99.0.2";
    // Three-way handshake first.
    assert_eq!(flags[0], (us, "S".to_string()), "{flags:?}");
    assert_eq!(flags[1], (kernel, "AS".to_string()), "{flags:?}");
    assert_eq!(flags[2].0, us, "{flags:?}");
    assert!(
        flags[2].1.contains('A') && !flags[2].1.contains('S'),
        "{flags:?}"
    );
    // Then a FIN from each side, each acknowledged.
    let fin_from = |who: &str| flags.iter().position(|(s, f)| *s == who && f.contains('F'));
    let (ours, theirs) = (fin_from(us), fin_from(kernel));
    assert!(
        ours.is_some() && theirs.is_some(),
        "a FIN each way: {flags:?}"
    );
    let last = flags.last().expect("frames");
    assert!(
        last.1.contains('A'),
        "the close ends with an ACK: {flags:?}"
    );
    assert!(
        !flags.iter().any(|(_, f)| f.contains('R')),
        "no RST in a FIN close: {flags:?}"
    );
}

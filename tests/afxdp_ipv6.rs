//! IPv6 over a veth pair against the Linux kernel's IPv6 stack: kernel
//! clients connect to and close `serve --ip fd00:99::1` 10,000 times
//! (FIN and RST, cookies always and never; no kernel address on
//! synwave's side: the kernel finds it by neighbor discovery, which
//! synwave answers); `ab` over IPv6; the kernel keeps its own IPv6
//! address on the interface (ping) while serve runs; `gen` over IPv6
//! against a kernel listener; `gen` ↔ `serve` with both families at once.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); ab and ping are
//! installed by `tools/install-test-deps.sh` (run by `.ci/run`).

mod netns;

use netns::{
    ClientClose, KERNEL_IP6, Pair, SYNWAVE_IP6, Synwave, ab_field, counter, kernel_clients,
    kernel_clients_against_serve, kernel_listener, need, num, skip,
};
use std::net::SocketAddrV6;
use std::process::Command;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CONNECTIONS: u64 = 10_000;

/// `serve --ip fd00:99::1` on side A with `extra` flags.
fn serve6(pair: &Pair, extra: &[&str]) -> Synwave {
    Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP6.to_string(), extra)
}

/// 10,000 kernel IPv6 connections with `close` against serve run with
/// `extra` flags; serve's summary, after checking the clients' side.
fn ten_thousand(extra: &[&str], close: ClientClose) -> serde_json::Value {
    let ip = SYNWAVE_IP6.to_string();
    let to = SocketAddrV6::new(SYNWAVE_IP6, 80, 0, 0);
    let j = kernel_clients_against_serve(&ip, to, extra, close, CONNECTIONS);
    // The kernel found us by neighbor discovery.
    assert!(counter(&j, "ndp_reply") >= 1, "{j}");
    // Every connection was an IPv6 one.
    assert_eq!(
        j["families"]["ipv6"]["established"].as_u64(),
        Some(CONNECTIONS),
        "{j}"
    );
    j
}

#[test]
fn kernel_ipv6_clients_fin_close_with_cookies_always() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_ipv6_clients_fin_close_with_cookies_always") {
        return;
    }
    let j = ten_thousand(&["--cookies", "always"], ClientClose::Fin);
    assert_eq!(counter(&j, "cookie_ok"), CONNECTIONS, "{j}");
    assert_eq!(counter(&j, "cookie_bad"), 0, "{j}");
    assert_eq!(counter(&j, "end_closed"), CONNECTIONS, "{j}");
}

#[test]
fn kernel_ipv6_clients_fin_close_with_cookies_never() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_ipv6_clients_fin_close_with_cookies_never") {
        return;
    }
    let j = ten_thousand(&["--cookies", "never"], ClientClose::Fin);
    assert_eq!(counter(&j, "cookie_sent"), 0, "{j}");
    assert_eq!(counter(&j, "end_closed"), CONNECTIONS, "{j}");
}

#[test]
fn kernel_ipv6_clients_rst_close_with_cookies_always() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_ipv6_clients_rst_close_with_cookies_always") {
        return;
    }
    let j = ten_thousand(&["--cookies", "always"], ClientClose::Rst);
    assert_eq!(counter(&j, "end_reset_by_peer"), CONNECTIONS, "{j}");
}

#[test]
fn kernel_ipv6_clients_rst_close_with_cookies_never() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_ipv6_clients_rst_close_with_cookies_never") {
        return;
    }
    let j = ten_thousand(&["--cookies", "never"], ClientClose::Rst);
    assert_eq!(counter(&j, "end_reset_by_peer"), CONNECTIONS, "{j}");
}

#[test]
fn apache_bench_over_ipv6_gets_every_response() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("apache_bench_over_ipv6_gets_every_response") {
        return;
    }
    let ab = need("ab", "apache2-utils");
    let pair = Pair::new(1);
    let server = serve6(&pair, &["--response", "http", "--response-bytes", "512"]);
    let out = Command::new("timeout")
        .args(["180", "ip", "netns", "exec", &pair.b()])
        .arg(&ab)
        .args(["-n", "5000", "-c", "8", "-s", "10", "-q"])
        .arg(format!("http://[{SYNWAVE_IP6}]/"))
        .output()
        .expect("run ab");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let j = server.stop();
    assert!(out.status.success(), "ab failed: {report}");
    assert_eq!(
        ab_field(&report, "Complete requests:"),
        Some(5_000),
        "{report}"
    );
    assert_eq!(ab_field(&report, "Failed requests:"), Some(0), "{report}");
    assert_eq!(ab_field(&report, "Document Length:"), Some(512), "{report}");
    // One response per request; ab may open up to -c connections more
    // that it closes without a request.
    assert_eq!(counter(&j, "data_tx"), 5_000, "{j}");
    assert!((5_000..=5_008).contains(&num(&j, "established")), "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
}

/// `ip -n NS ARGS…`, which must succeed.
fn ip(ns: &str, args: &[&str]) {
    let out = Command::new("ip")
        .args(["-n", ns])
        .args(args)
        .output()
        .expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_kernel_keeps_its_own_ipv6_address_on_the_interface_while_serve_runs() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("the_kernel_keeps_its_own_ipv6_address_on_the_interface_while_serve_runs") {
        return;
    }
    need("ping", "iputils-ping");
    let pair = Pair::new(1);
    let a = pair.a();
    ip(&a, &["addr", "add", "fd00:99::3/64", "dev", &a, "nodad"]);
    let s = serve6(&pair, &[]);
    // ICMPv6 echo (and the neighbor discovery before it) to the kernel's
    // address on synwave's interface.
    let ping = Command::new("ip")
        .args(["netns", "exec", &pair.b(), "ping", "-6", "-c", "3"])
        .args(["-i", "0.2", "-W", "2", "fd00:99::3"])
        .output()
        .expect("ping");
    let said = String::from_utf8_lossy(&ping.stdout);
    assert!(ping.status.success(), "no answer from the kernel: {said}");
    assert!(said.contains("3 received"), "{said}");
    // TCP to a kernel listener on it, beside synwave's TCP on ::1.
    let stop = Arc::new(AtomicBool::new(false));
    let kernel_a: std::net::Ipv6Addr = "fd00:99::3".parse().unwrap();
    let listener = kernel_listener(&a, kernel_a, 8080, stop.clone(), Duration::from_secs(30));
    let kernel = kernel_clients(
        &pair,
        SocketAddrV6::new(kernel_a, 8080, 0, 0),
        100,
        1,
        ClientClose::Fin,
        Duration::from_secs(30),
    );
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    let ours = kernel_clients(
        &pair,
        SocketAddrV6::new(SYNWAVE_IP6, 80, 0, 0),
        100,
        1,
        ClientClose::Fin,
        Duration::from_secs(30),
    );
    let j = s.stop();
    assert_eq!((kernel.connected, accepted), (100, 100), "{kernel:?}");
    assert_eq!(ours.connected, 100, "{ours:?}");
    assert_eq!(num(&j, "established"), 100, "{j}");
    // Not one frame for fd00:99::3 reached synwave.
    assert_eq!(counter(&j, "drop_not_ours"), 0, "{j}");
    assert_eq!(counter(&j, "syn_rx"), 100, "{j}");
}

/// Runs `synwave gen ARGS…` on side A to completion (bounded): its
/// summary.
fn run_gen(pair: &Pair, args: &[&str]) -> serde_json::Value {
    let a = pair.a();
    let mut all = vec!["gen", "--iface", &a, "--quiet"];
    all.extend_from_slice(args);
    Synwave::start(&a, &all, "synwave gen:").finish(Duration::from_secs(90))
}

#[test]
fn gen_over_ipv6_against_a_kernel_listener_completes_every_connection() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_over_ipv6_against_a_kernel_listener_completes_every_connection") {
        return;
    }
    let pair = Pair::new(1);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP6,
        80,
        stop.clone(),
        Duration::from_secs(60),
    );
    let n = 5000;
    let dst = format!("[{KERNEL_IP6}]:80");
    let j = run_gen(
        &pair,
        &[
            "--src-ip",
            "fd00:99::1",
            "--dst",
            &dst,
            "--connections",
            "5000",
            "--concurrency",
            "32",
            "--duration",
            "60",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    assert_eq!(num(&j, "opened"), n, "{j}");
    assert_eq!(num(&j, "established"), n, "{j}");
    assert_eq!(num(&j, "completed"), n, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(accepted, n, "the kernel server accepted {accepted} of {n}");
    // gen resolved the kernel by neighbor discovery and answered its
    // solicitations for our address.
    assert_eq!(counter(&j, "drop_malformed"), 0, "{j}");
}

#[test]
fn gen_and_serve_dual_stack_complete_both_families_without_failures() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_and_serve_dual_stack_complete_both_families_without_failures") {
        return;
    }
    let pair = Pair::new(1);
    // One serve answers both families on side B.
    let server = Synwave::serve(&pair.b(), &pair.b(), "10.99.0.3,fd00:99::3", &[]);
    let j = run_gen(
        &pair,
        &[
            "--src-ip",
            "10.99.1.1-10.99.1.20,fd00:99::1:1-fd00:99::1:20",
            "--dst",
            "10.99.0.3:80,[fd00:99::3]:80",
            "--duration",
            "5",
            "--concurrency",
            "64",
        ],
    );
    let s = server.stop();
    let established = num(&j, "established");
    assert!(established > 1000, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(num(&j, "unfinished"), 0, "{j}");
    assert_eq!(num(&j, "completed"), established, "{j}");
    assert_eq!(num(&s, "established"), established, "{s}");
    // Both families carried connections, on both sides, and they agree.
    for family in ["ipv4", "ipv6"] {
        let ours = j["families"][family]["established"].as_u64().unwrap_or(0);
        let theirs = s["families"][family]["established"].as_u64().unwrap_or(0);
        assert!(ours > 100, "{family}: {j}");
        assert_eq!(ours, theirs, "{family}: gen {j} serve {s}");
        assert_eq!(j["families"][family]["failed"].as_u64(), Some(0), "{j}");
    }
    assert_eq!(counter(&s, "drop_malformed"), 0, "{s}");
}

//! `synwave serve` over AF_XDP on a veth pair, against the Linux kernel's
//! own TCP clients in the other namespace: 10,000 connect + close each,
//! with the clients' FIN close and RST close (SO_LINGER 0), with cookies
//! `always` and `never`, and with synwave closing first; two queues, one
//! worker each, both carrying connections; the program detached after a
//! SIGKILL; the kernel keeping its own address on the same interface (the
//! program's pass branch) while serve runs.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); the runs share
//! the machine's two cores, so they take turns.

mod netns;

use netns::{
    ClientClose, Pair, SYNWAVE_IP, Synwave, counter, kernel_clients, kernel_clients_against_serve,
    kernel_listener, num, skip,
};
use std::net::SocketAddrV4;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CONNECTIONS: u64 = 10_000;

fn serve(pair: &Pair, extra: &[&str]) -> Synwave {
    Synwave::serve(&pair.a(), &pair.a(), "10.99.0.1", extra)
}

/// 10,000 kernel connections with `close` against serve run with `extra`
/// flags; returns serve's summary after checking the clients' side.
fn ten_thousand(extra: &[&str], close: ClientClose) -> serde_json::Value {
    let to = SocketAddrV4::new(SYNWAVE_IP, 80);
    kernel_clients_against_serve("10.99.0.1", to, extra, close, CONNECTIONS)
}

#[test]
fn kernel_clients_fin_close_with_cookies_always() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_clients_fin_close_with_cookies_always") {
        return;
    }
    let j = ten_thousand(&["--cookies", "always"], ClientClose::Fin);
    assert_eq!(counter(&j, "cookie_ok"), CONNECTIONS);
    assert_eq!(counter(&j, "cookie_bad"), 0);
    assert_eq!(counter(&j, "fin_rx"), CONNECTIONS);
    assert_eq!(counter(&j, "end_closed"), CONNECTIONS);
}

#[test]
fn kernel_clients_fin_close_with_cookies_never() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_clients_fin_close_with_cookies_never") {
        return;
    }
    let j = ten_thousand(&["--cookies", "never"], ClientClose::Fin);
    assert_eq!(counter(&j, "cookie_sent"), 0);
    assert_eq!(counter(&j, "end_closed"), CONNECTIONS);
}

#[test]
fn kernel_clients_rst_close_with_cookies_always() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_clients_rst_close_with_cookies_always") {
        return;
    }
    let j = ten_thousand(&["--cookies", "always"], ClientClose::Rst);
    assert_eq!(counter(&j, "rst_rx"), CONNECTIONS);
    assert_eq!(counter(&j, "end_reset_by_peer"), CONNECTIONS);
}

#[test]
fn kernel_clients_rst_close_with_cookies_never() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_clients_rst_close_with_cookies_never") {
        return;
    }
    let j = ten_thousand(&["--cookies", "never"], ClientClose::Rst);
    assert_eq!(counter(&j, "end_reset_by_peer"), CONNECTIONS);
}

#[test]
fn synwave_closes_first_and_holds_time_wait() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("synwave_closes_first_and_holds_time_wait") {
        return;
    }
    let j = ten_thousand(&["--close", "server-fin"], ClientClose::Fin);
    assert_eq!(counter(&j, "end_time_wait"), CONNECTIONS, "{j}");
}

#[test]
fn two_queues_two_workers_both_carry_connections() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("two_queues_two_workers_both_carry_connections") {
        return;
    }
    let pair = Pair::new(2);
    let s = serve(&pair, &["--queues", "2"]);
    let total = 4000;
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        total,
        8,
        ClientClose::Fin,
        Duration::from_secs(120),
    );
    let j = s.stop();
    assert_eq!(t.connected, total, "{t:?}");
    assert_eq!(num(&j, "workers"), 2, "{j}");
    assert_eq!(num(&j, "established"), total, "{j}");
    let queues = j["queues"].as_array().expect("queues");
    assert_eq!(queues.len(), 2);
    for q in queues {
        assert!(
            num(q, "established") > 0,
            "queue {} carried no connection: {j}",
            q["queue"]
        );
    }
    // A flow stays on its queue: no connection broke.
    assert_eq!(counter(&j, "end_closed"), total, "{j}");
}

#[test]
fn after_sigkill_no_xdp_program_remains_and_the_kernel_uses_the_link_again() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("after_sigkill_no_xdp_program_remains_and_the_kernel_uses_the_link_again") {
        return;
    }
    let pair = Pair::new(1);
    let mut s = serve(&pair, &[]);
    let attached = pair.link_a();
    assert!(
        attached.contains("prog/xdp"),
        "attached while running: {attached}"
    );
    s.signal(libc::SIGKILL);
    let st = s.wait(Duration::from_secs(10));
    assert!(!st.success(), "killed");
    // The bpf_link goes with the process; the kernel detaches at once, but
    // give it a bounded moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pair.link_a().contains("xdp") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let link = pair.link_a();
    assert!(
        !link.contains("xdp"),
        "an XDP program remains after SIGKILL: {link}"
    );
    // The kernel of side A owns the address now and answers TCP on it.
    let out = Command::new("ip")
        .args([
            "-n",
            &pair.a(),
            "addr",
            "add",
            "10.99.0.1/24",
            "dev",
            &pair.a(),
        ])
        .output()
        .expect("ip addr add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.a(),
        SYNWAVE_IP,
        8080,
        stop.clone(),
        Duration::from_secs(30),
    );
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 8080),
        100,
        1,
        ClientClose::Fin,
        Duration::from_secs(30),
    );
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    assert_eq!(t.connected, 100, "{t:?}");
    assert_eq!(accepted, 100);
}

/// The XDP program passes every frame that is not synwave's: while serve
/// runs on 10.99.0.1, the kernel of side A, holding 10.99.0.3 on the same
/// interface, answers pings to it and accepts TCP connections on it,
/// and synwave sees none of those frames.
#[test]
fn the_kernel_keeps_its_own_address_on_the_interface_while_serve_runs() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("the_kernel_keeps_its_own_address_on_the_interface_while_serve_runs") {
        return;
    }
    let kernel_a = std::net::Ipv4Addr::new(10, 99, 0, 3);
    let pair = Pair::new(1);
    let out = Command::new("ip")
        .args([
            "-n",
            &pair.a(),
            "addr",
            "add",
            "10.99.0.3/24",
            "dev",
            &pair.a(),
        ])
        .output()
        .expect("ip addr add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = serve(&pair, &[]);
    // ICMP (and the ARP before it) to the kernel's address.
    netns::need("ping", "iputils-ping");
    let ping = Command::new("ip")
        .args([
            "netns",
            "exec",
            &pair.b(),
            "ping",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "2",
        ])
        .arg(kernel_a.to_string())
        .output()
        .expect("ping");
    let said = String::from_utf8_lossy(&ping.stdout);
    assert!(ping.status.success(), "no answer from the kernel: {said}");
    assert!(said.contains("3 received"), "{said}");
    // TCP to a kernel listener on it, beside synwave's TCP on 10.99.0.1.
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.a(),
        kernel_a,
        8080,
        stop.clone(),
        Duration::from_secs(30),
    );
    let kernel = kernel_clients(
        &pair,
        SocketAddrV4::new(kernel_a, 8080),
        100,
        1,
        ClientClose::Fin,
        Duration::from_secs(30),
    );
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    let ours = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        100,
        1,
        ClientClose::Fin,
        Duration::from_secs(30),
    );
    let j = s.stop();
    assert_eq!((kernel.connected, accepted), (100, 100), "{kernel:?}");
    assert_eq!(ours.connected, 100, "{ours:?}");
    assert_eq!(num(&j, "established"), 100, "{j}");
    // Not one frame for 10.99.0.3 reached synwave.
    assert_eq!(counter(&j, "drop_not_ours"), 0, "{j}");
    assert_eq!(counter(&j, "syn_rx"), 100, "{j}");
}

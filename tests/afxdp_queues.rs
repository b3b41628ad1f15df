//! Every queue of an interface whose RSS synwave cannot read or set: a
//! veth with several queues, where the kernel picks the queue a reply
//! arrives on by its own transmit hashing. `gen --queues 2` and `--queues
//! 4` against a Linux accept-and-close listener complete every
//! connection, each queue's worker establishing its share, because a
//! reply that reaches another worker's queue is handed to it over the
//! UMEM the queues share (`--rss auto` picks that here, and says so);
//! `gen --queues 2` ↔ `serve --queues 2` and Linux clients → `serve
//! --queues 2` fail nothing and both workers carry connections; `--rss
//! nic` refuses to start on a NIC that does not report its RSS.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::{
    ClientClose, KERNEL_IP, Pair, SYNWAVE_IP, Synwave, counter, kernel_clients, kernel_listener,
    num, skip,
};
use std::net::SocketAddrV4;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Each queue's established connections, from a summary's `queues`.
fn per_queue(j: &serde_json::Value) -> Vec<u64> {
    j["queues"]
        .as_array()
        .map(|qs| {
            qs.iter()
                .filter_map(|q| q["established"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

/// `gen --queues Q` on side A to the kernel's listener on side B, over a
/// veth with Q queues: N connections, N accepted, none failed, every
/// worker with connections of its own, and replies handed between them.
fn gen_to_a_kernel_listener(queues: u32) {
    let pair = Pair::new(queues);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(90),
    );
    let (a, q) = (pair.a(), queues.to_string());
    let args = [
        "gen",
        "--iface",
        &a,
        "--queues",
        &q,
        "--quiet",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.2:80",
        "--connections",
        "5000",
        "--concurrency",
        "32",
        "--duration",
        "60",
    ];
    let g = Synwave::start(&a, &args, "synwave gen:");
    let said = g.log.join("\n");
    let j = g.finish(Duration::from_secs(90));
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    assert!(
        said.contains("--rss software"),
        "auto says what it picked: {said}"
    );
    assert_eq!(num(&j, "established"), 5000, "{j}");
    assert_eq!(num(&j, "completed"), 5000, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(accepted, 5000, "the kernel accepted {accepted} of 5000");
    let each = per_queue(&j);
    assert_eq!(each.len(), queues as usize, "{j}");
    assert!(
        each.iter().all(|&n| n > 0),
        "every worker establishes: {each:?}"
    );
    // The kernel's transmit hashing put replies on other queues: they
    // were handed to their worker, and every one arrived.
    let (out, into) = (counter(&j, "handoff_out"), counter(&j, "handoff_in"));
    assert!(out > 0 && out == into, "handed {out}, taken {into}: {j}");
    assert_eq!(counter(&j, "handoff_dropped"), 0, "{j}");
}

#[test]
fn gen_on_two_queues_completes_every_connection_to_a_kernel_listener() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_on_two_queues_completes_every_connection_to_a_kernel_listener") {
        return;
    }
    gen_to_a_kernel_listener(2);
}

#[test]
fn gen_on_four_queues_completes_every_connection_to_a_kernel_listener() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_on_four_queues_completes_every_connection_to_a_kernel_listener") {
        return;
    }
    gen_to_a_kernel_listener(4);
}

#[test]
fn gen_and_serve_on_two_queues_each_fail_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_and_serve_on_two_queues_each_fail_nothing") {
        return;
    }
    let pair = Pair::new(2);
    let server = Synwave::serve(&pair.b(), &pair.b(), "10.99.0.3", &["--queues", "2"]);
    let a = pair.a();
    let args = [
        "gen",
        "--iface",
        &a,
        "--queues",
        "2",
        "--quiet",
        "--src-ip",
        "10.99.1.1-10.99.1.50",
        "--dst",
        "10.99.0.3:80",
        "--duration",
        "5",
        "--concurrency",
        "64",
    ];
    let j = Synwave::start(&a, &args, "synwave gen:").finish(Duration::from_secs(60));
    let s = server.stop();
    let established = num(&j, "established");
    assert!(established > 1000, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(num(&j, "completed"), established, "{j}");
    assert_eq!(num(&s, "established"), established, "{s}");
    for side in [&j, &s] {
        let each = per_queue(side);
        assert!(
            each.len() == 2 && each.iter().all(|&n| n > 0),
            "{each:?}: {side}"
        );
    }
}

#[test]
fn kernel_clients_to_serve_on_two_queues_fail_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("kernel_clients_to_serve_on_two_queues_fail_nothing") {
        return;
    }
    let pair = Pair::new(2);
    let server = Synwave::serve(&pair.a(), &pair.a(), "10.99.0.1", &["--queues", "2"]);
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        4_000,
        8,
        ClientClose::Fin,
        Duration::from_secs(60),
    );
    let s = server.stop();
    assert_eq!((t.connected, t.failed), (4_000, 0), "{t:?}");
    assert_eq!(num(&s, "established"), 4_000, "{s}");
    assert_eq!(num(&s, "failed"), 0, "{s}");
    let each = per_queue(&s);
    assert!(
        each.len() == 2 && each.iter().all(|&n| n > 0),
        "{each:?}: {s}"
    );
}

/// `serve --queues 2 --rss MODE` on side A for a second: its exit
/// status and stderr; nothing may stay attached.
fn serve_with_rss(mode: &str) -> (Option<i32>, String) {
    let pair = Pair::new(2);
    let a = pair.a();
    let out = Command::new("ip")
        .args(["netns", "exec", &a, env!("CARGO_BIN_EXE_synwave"), "serve"])
        .args([
            "--iface",
            &a,
            "--queues",
            "2",
            "--ip",
            "10.99.0.1",
            "--port",
            "80",
        ])
        .args(["--rss", mode, "--duration", "1"])
        .output()
        .expect("run synwave");
    assert!(!pair.link_a().contains("xdp"), "{}", pair.link_a());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rss_nic_refuses_a_nic_that_does_not_report_its_rss() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("rss_nic_refuses_a_nic_that_does_not_report_its_rss") {
        return;
    }
    let (code, err) = serve_with_rss("nic");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--rss nic")
            && err.contains("does not report its RSS")
            && err.contains("--rss auto or software"),
        "{err}"
    );
}

#[test]
fn rss_set_refuses_a_nic_whose_rss_cannot_be_set() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("rss_set_refuses_a_nic_whose_rss_cannot_be_set") {
        return;
    }
    // veth has no RSS to set (ETHTOOL_SRSSH): refused before anything is
    // attached or changed.
    let (code, err) = serve_with_rss("set");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--rss set: its RSS cannot be set") && err.contains("--rss auto or software"),
        "{err}"
    );
}

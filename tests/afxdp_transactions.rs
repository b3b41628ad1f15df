//! Several transactions per connection over a veth pair, synwave on both
//! ends: `gen --requests 10 --request-bytes 64 --response-bytes 3000`
//! against `serve --requests 10 --request-bytes 64`, each side closing
//! first in turn, and with `--think`: every connection completes, each
//! carries ten requests and ten responses (counted in both summaries).
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::{Pair, Synwave, counter, num, skip};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// gen (side A) → serve (side B, 10.99.0.3), `n` connections: both
/// summaries.
fn gen_to_serve(
    n: u64,
    gen_extra: &[&str],
    serve_extra: &[&str],
) -> (serde_json::Value, serde_json::Value) {
    let pair = Pair::new(1);
    let mut serve_args = vec![
        "--requests",
        "10",
        "--request-bytes",
        "64",
        "--response-bytes",
        "3000",
    ];
    serve_args.extend_from_slice(serve_extra);
    let server = Synwave::serve(&pair.b(), &pair.b(), "10.99.0.3", &serve_args);
    let a = pair.a();
    let count = n.to_string();
    let mut args = vec![
        "gen",
        "--iface",
        &a,
        "--quiet",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.3:80",
        "--connections",
        &count,
        "--concurrency",
        "16",
        "--duration",
        "60",
        "--requests",
        "10",
        "--request-bytes",
        "64",
        "--response-bytes",
        "3000",
    ];
    args.extend_from_slice(gen_extra);
    let started = Instant::now();
    let g = Synwave::start(&a, &args, "synwave gen:").finish(Duration::from_secs(90));
    eprintln!("gen took {:?}", started.elapsed());
    (g, server.stop())
}

fn check(g: &serde_json::Value, s: &serde_json::Value, n: u64) {
    assert_eq!(num(g, "completed"), n, "{g}");
    assert_eq!(num(g, "failed"), 0, "{g}");
    // Ten requests of one segment each per connection, and ten responses
    // of three segments (3000 bytes at 1448 a segment) each.
    assert_eq!(counter(g, "data_tx"), 10 * n, "{g}");
    assert_eq!(counter(g, "retransmit"), 0, "{g}");
    assert_eq!(counter(s, "data_tx"), 30 * n, "{s}");
    assert_eq!(num(s, "established"), n, "{s}");
    assert_eq!(num(s, "records_left"), 0, "{s}");
}

#[test]
fn ten_transactions_per_connection_client_closing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("ten_transactions_per_connection_client_closing") {
        return;
    }
    let (g, s) = gen_to_serve(500, &[], &[]);
    check(&g, &s, 500);
}

#[test]
fn ten_transactions_per_connection_server_closing_after_the_last() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("ten_transactions_per_connection_server_closing_after_the_last") {
        return;
    }
    let (g, s) = gen_to_serve(500, &["--close", "server-fin"], &["--close", "server-fin"]);
    check(&g, &s, 500);
    assert_eq!(counter(&s, "fin_tx"), 500, "{s}");
}

#[test]
fn think_time_between_transactions() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("think_time_between_transactions") {
        return;
    }
    // 16 connections at once, 9 pauses of 20 ms each: 48 connections
    // take at least 3 × 180 ms.
    let started = Instant::now();
    let (g, s) = gen_to_serve(48, &["--think", "20"], &[]);
    assert!(started.elapsed() >= Duration::from_millis(540));
    check(&g, &s, 48);
}

/// synwave run with `args`, refused before touching an interface:
/// its error.
fn refused(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_synwave"))
        .args(args)
        .output()
        .expect("run synwave");
    assert_eq!(out.status.code(), Some(2), "{args:?} was not refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn serve_needs_the_request_size_to_count_requests() {
    let err = refused(&[
        "serve",
        "--iface",
        "swnosuch0",
        "--ip",
        "10.99.0.1",
        "--port",
        "80",
        "--requests",
        "5",
    ]);
    assert!(err.contains("--request-bytes"), "{err}");
    let err = refused(&[
        "gen",
        "--iface",
        "swnosuch0",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.2:80",
        "--request",
        "http",
        "--think",
        "5",
    ]);
    assert!(err.contains("--think"), "{err}");
}

//! Many servers over a veth pair: `gen --dst 10.99.0.2-10.99.0.5:80,81`
//! against Linux listeners on each of the eight address and port pairs
//! (side B holds the four addresses): every connection completes and the
//! connections spread evenly over the servers (within 2 %), each server
//! with its own budget of source ports; with weights
//! (`10.99.0.2:80*3,10.99.0.3:80`) in proportion to them.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::{Pair, Synwave, kernel_listener, num, skip};
use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Side B of `pair` with the addresses 10.99.0.2 to 10.99.0.`last`.
fn add_addresses(pair: &Pair, last: u8) {
    let b = pair.b();
    for host in 3..=last {
        let st = Command::new("ip")
            .args([
                "-n",
                &b,
                "addr",
                "add",
                &format!("10.99.0.{host}/24"),
                "dev",
                &b,
            ])
            .status()
            .expect("ip addr add");
        assert!(st.success());
    }
}

/// `gen --dst dst` opens `n` connections to Linux listeners on each of
/// `servers` (on side B): gen's report and the connections each
/// listener accepted.
fn spread(pair: &Pair, dst: &str, servers: &[(Ipv4Addr, u16)], n: u64) -> Vec<u64> {
    let b = pair.b();
    let stop = Arc::new(AtomicBool::new(false));
    let listeners: Vec<_> = servers
        .iter()
        .map(|&(ip, port)| kernel_listener(&b, ip, port, stop.clone(), Duration::from_secs(120)))
        .collect();
    let a = pair.a();
    let count = n.to_string();
    let args = [
        "gen",
        "--iface",
        &a,
        "--quiet",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        dst,
        "--connections",
        &count,
        "--concurrency",
        "32",
        "--duration",
        "60",
    ];
    let j = Synwave::start(&a, &args, "synwave gen:").finish(Duration::from_secs(90));
    stop.store(true, Ordering::Relaxed);
    let accepted: Vec<u64> = listeners
        .into_iter()
        .map(|h| h.join().expect("listener"))
        .collect();
    eprintln!("{dst}: accepted per server: {accepted:?}");
    assert_eq!(num(&j, "completed"), n, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(accepted.iter().sum::<u64>(), n, "{accepted:?}");
    accepted
}

/// Each of `accepted` is within 2 % of its share `want`.
fn within_two_percent(servers: &[(Ipv4Addr, u16)], accepted: &[u64], want: &[u64]) {
    for ((s, &got), &w) in servers.iter().zip(accepted).zip(want) {
        assert!(
            got.abs_diff(w) * 50 <= w,
            "{s:?} accepted {got}, not within 2 % of {w}: {accepted:?}"
        );
    }
}

#[test]
fn gen_spreads_connections_evenly_over_address_ranges_and_port_lists() {
    if skip("gen_spreads_connections_evenly_over_address_ranges_and_port_lists") {
        return;
    }
    let pair = Pair::new(1);
    add_addresses(&pair, 5);
    let servers: Vec<(Ipv4Addr, u16)> = (2..=5)
        .flat_map(|h| {
            [
                (Ipv4Addr::new(10, 99, 0, h), 80),
                (Ipv4Addr::new(10, 99, 0, h), 81),
            ]
        })
        .collect();
    let n = 8000;
    let accepted = spread(&pair, "10.99.0.2-10.99.0.5:80,81", &servers, n);
    let even = n / servers.len() as u64;
    within_two_percent(&servers, &accepted, &vec![even; servers.len()]);
}

#[test]
fn gen_spreads_connections_by_weight() {
    if skip("gen_spreads_connections_by_weight") {
        return;
    }
    let pair = Pair::new(1);
    add_addresses(&pair, 3);
    let servers = [
        (Ipv4Addr::new(10, 99, 0, 2), 80),
        (Ipv4Addr::new(10, 99, 0, 2), 81),
        (Ipv4Addr::new(10, 99, 0, 3), 80),
    ];
    let accepted = spread(&pair, "10.99.0.2:80*3,81*2,10.99.0.3:80", &servers, 6000);
    within_two_percent(&servers, &accepted, &[3000, 2000, 1000]);
}

//! Many servers over a veth pair: `gen --dst 10.99.0.2-10.99.0.5:80,81`
//! against Linux listeners on each of the eight address and port pairs
//! (side B holds the four addresses): every connection completes and the
//! connections spread evenly over the servers (within 2 %), each server
//! with its own budget of source ports.
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

#[test]
fn gen_spreads_connections_evenly_over_address_ranges_and_port_lists() {
    if skip("gen_spreads_connections_evenly_over_address_ranges_and_port_lists") {
        return;
    }
    let pair = Pair::new(1);
    let b = pair.b();
    for host in 3..=5 {
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
    let stop = Arc::new(AtomicBool::new(false));
    let servers: Vec<(Ipv4Addr, u16)> = (2..=5)
        .flat_map(|h| {
            [
                (Ipv4Addr::new(10, 99, 0, h), 80),
                (Ipv4Addr::new(10, 99, 0, h), 81),
            ]
        })
        .collect();
    let listeners: Vec<_> = servers
        .iter()
        .map(|&(ip, port)| kernel_listener(&b, ip, port, stop.clone(), Duration::from_secs(120)))
        .collect();
    let a = pair.a();
    let n = 8000u64;
    let count = n.to_string();
    let args = [
        "gen",
        "--iface",
        &a,
        "--quiet",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.2-10.99.0.5:80,81",
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
    eprintln!("accepted per server: {accepted:?}");
    assert_eq!(num(&j, "completed"), n, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(accepted.iter().sum::<u64>(), n, "{accepted:?}");
    let even = n / servers.len() as u64;
    for (s, &got) in servers.iter().zip(&accepted) {
        assert!(
            got.abs_diff(even) * 50 <= even,
            "{s:?} accepted {got}, not within 2 % of {even}: {accepted:?}"
        );
    }
}

//! The real-time engine end to end: generator and responder workers on
//! threads over the loopback backend, with 1 % loss (plus duplication and
//! reordering), then a drain that waits for every TIME-WAIT record.
//! Bookkeeping must be exact: every connection opened is completed or
//! aborted, and at the end no record, TIME-WAIT record or timer is left.

use std::sync::atomic::AtomicBool;
use std::time::Duration;
use synwave::app::CloseKind;
use synwave::engine::{BenchConfig, BenchReport, Steering, run_bench};
use synwave::io::Impairment;
use synwave::scenario::Scenario;
use synwave::tcp::{CookiePolicy, End};

fn run(workers: usize, close: CloseKind, loss: f64, steering: Steering) -> BenchReport {
    run_in(workers, close, loss, steering, false)
}

/// `run` over IPv6 (`ipv6`) or IPv4.
fn run_in(
    workers: usize,
    close: CloseKind,
    loss: f64,
    steering: Steering,
    ipv6: bool,
) -> BenchReport {
    let scenario = Scenario {
        close,
        cookies: CookiePolicy::Always,
        // TIME-WAIT of 100 ms, so that the drain can wait for all of it.
        msl_us: 50_000,
        ..Scenario::default()
    };
    let cfg = BenchConfig {
        workers,
        concurrency: 200,
        duration: Duration::from_secs(2),
        // Retries back off up to minutes: a connection that loses its SYN
        // six times needs about two minutes to be aborted. Bounded anyway.
        drain: Duration::from_secs(150),
        drain_time_wait: true,
        scenario: scenario.clone(),
        impairment: Impairment::lossy(loss),
        seed: 42,
        client_ips: 4,
        live: false,
        steering,
        ipv6,
        ..BenchConfig::default()
    };
    let r = run_bench(&cfg, &AtomicBool::new(false)).expect("bench runs");
    let opened = r.opened();
    let completed = r.completed();
    let failed = r.failed();
    assert!(opened > 1000, "only {opened} connections in 2 s");
    assert_eq!(r.unfinished(), 0, "connections still open at the stop");
    assert_eq!(opened, completed + failed);
    // The only allowed failure is the retry limit.
    let by_retries: u64 = r
        .generators
        .iter()
        .map(|w| w.counters.end(End::RetriesExceeded))
        .sum();
    assert_eq!(failed, by_retries, "failures other than the retry limit");
    if loss == 0.0 {
        assert_eq!(failed, 0);
    }
    assert_eq!(
        r.left(),
        (0, 0, 0),
        "records, TIME-WAIT records, timers left"
    );
    r
}

#[test]
fn one_worker_per_side_at_one_percent_loss() {
    run(1, CloseKind::ClientFin, 0.01, Steering::Rss);
}

#[test]
fn two_workers_per_side_steered_by_rss_without_loss() {
    let r = run(2, CloseKind::ServerFin, 0.0, Steering::Rss);
    // RSS put every frame on its owner: nothing to hand over.
    let handed: u64 = r
        .generators
        .iter()
        .chain(&r.responders)
        .map(|w| w.tally.handoff_out)
        .sum();
    assert_eq!(handed, 0);
}

#[test]
fn frames_on_the_wrong_worker_are_handed_to_their_owner() {
    // Every frame lands on the wrong worker of its side.
    let r = run(2, CloseKind::ClientFin, 0.0, Steering::Skewed);
    for side in [&r.generators, &r.responders] {
        let out: u64 = side.iter().map(|w| w.tally.handoff_out).sum();
        let taken: u64 = side.iter().map(|w| w.tally.handoff_in).sum();
        let dropped: u64 = side.iter().map(|w| w.tally.handoff_dropped).sum();
        let rx: u64 = side.iter().map(|w| w.port.rx_frames).sum();
        assert_eq!(out, rx, "every received frame was handed over");
        assert_eq!(taken + dropped, out, "a handed frame was lost");
        assert_eq!(dropped, 0);
        for w in side.iter() {
            assert!(w.tally.handoff_in > 0, "a worker took no frame");
        }
    }
}

#[test]
fn full_tables_refuse_and_count_and_the_run_still_balances() {
    let scenario = Scenario {
        msl_us: 50_000,
        ..Scenario::default()
    };
    let cfg = BenchConfig {
        concurrency: 400,
        duration: Duration::from_secs(1),
        drain: Duration::from_secs(30),
        drain_time_wait: true,
        scenario: scenario.clone(),
        client_ips: 4,
        live: false,
        // Fewer records than the concurrency asks for, both sides.
        max_connections: 64,
        max_time_wait: 100,
        ..BenchConfig::default()
    };
    let r = run_bench(&cfg, &AtomicBool::new(false)).expect("bench runs");
    let (g, _) = r.metrics();
    let names = synwave::metrics::names();
    let at = |n: &str| g[names.iter().position(|x| x == n).unwrap()];
    assert!(
        at("drop_table_full") > 0,
        "the generator never hit its limit"
    );
    assert!(
        at("drop_time_wait_full") > 0,
        "TIME-WAIT never hit its limit"
    );
    assert!(r.opened() > 1000);
    assert_eq!(r.unfinished(), 0);
    assert_eq!(r.opened(), r.completed() + r.failed());
    assert_eq!(r.left(), (0, 0, 0));
}

#[test]
fn ipv6_two_workers_per_side_at_one_percent_loss_balance_exactly() {
    // Steering and handoff hash IPv6/TCP; every record ends and nothing
    // is left, as over IPv4.
    let r = run_in(2, CloseKind::ClientFin, 0.01, Steering::Rss, true);
    for w in r.generators.iter().chain(&r.responders) {
        let ipv6 = w.families.iter().find(|(n, _)| *n == "ipv6");
        let (_, c) = ipv6.expect("an IPv6 endpoint in every worker");
        assert_eq!(c, &w.counters, "every count is the IPv6 endpoint's");
    }
    assert!(r.generators.iter().all(|w| w.tally.opened > 100));
}

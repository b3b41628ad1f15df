//! Several request/response transactions per connection (`--requests`,
//! `--think`) over the simulated link: every request is answered, each
//! request waits for the previous response (and the think time), the
//! connection ends after the last; with loss as well.

use synwave::sim::{CloseKind, Impairment, SimConfig, run};
use synwave::tcp::{CookiePolicy, Events};

fn sim(
    requests: u32,
    think_us: u64,
    loss: f64,
    close: CloseKind,
    response: u32,
) -> synwave::sim::SimReport {
    run(&SimConfig {
        connections: 200,
        concurrency: 20,
        impairment: Impairment::lossy(loss),
        seed: 11,
        close,
        cookies: CookiePolicy::Always,
        request_bytes: 64,
        response_bytes: response,
        delay_us: 50,
        ipv6: false,
        requests,
        think_us,
    })
}

#[test]
fn every_request_of_every_connection_is_answered() {
    for close in [CloseKind::ClientFin, CloseKind::ServerFin] {
        let r = sim(10, 0, 0.0, close, 256);
        assert_eq!(r.completed, 200, "{close:?} {r:?}");
        assert_eq!(r.records_left, 0);
        // One segment per request and per response: 10 of each per
        // connection.
        assert_eq!(r.client.event(Events::DATA_TX), 2_000, "{close:?}");
        assert_eq!(r.server.event(Events::DATA_TX), 2_000, "{close:?}");
        assert_eq!(r.client.event(Events::DATA_RX), 2_000, "{close:?}");
    }
}

#[test]
fn one_transaction_is_as_before() {
    let r = sim(1, 0, 0.0, CloseKind::ClientFin, 256);
    assert_eq!(r.completed, 200);
    assert_eq!(r.client.event(Events::DATA_TX), 200);
    assert_eq!(r.server.event(Events::DATA_TX), 200);
}

#[test]
fn think_time_spaces_the_requests() {
    let quick = sim(5, 0, 0.0, CloseKind::ClientFin, 256);
    let slow = sim(5, 20_000, 0.0, CloseKind::ClientFin, 256);
    assert_eq!(slow.completed, 200);
    assert_eq!(slow.server.event(Events::DATA_TX), 1_000);
    // 4 pauses of 20 ms per connection, 10 batches of 20 connections:
    // at least 800 ms of virtual time more.
    assert!(
        slow.virtual_us >= quick.virtual_us + 4 * 20_000 * 10,
        "{} vs {}",
        slow.virtual_us,
        quick.virtual_us
    );
}

#[test]
fn multi_segment_responses_survive_loss() {
    let r = sim(5, 1_000, 0.02, CloseKind::ClientFin, 20_000);
    assert_eq!(r.completed, 200, "{r:?}");
    assert!(r.server.event(Events::RETRANSMIT) > 0);
    assert_eq!(r.records_left, 0);
}

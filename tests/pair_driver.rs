//! The virtual-time pair driver under loss, duplication and reordering:
//! 100,000 connections per run, exact bookkeeping. Every connection the
//! client opens ends exactly once, either the way its close pattern
//! specifies or by one of the specified timeouts/resets; every record the
//! server creates ends; afterwards no record, TIME-WAIT entry, timer or
//! frame in flight remains.

use synwave::sim::{self, CloseKind, Impairment, SimConfig, SimReport};
use synwave::tcp::{CookiePolicy, End, Events};

const ABORTS: [End; 4] = [
    End::RetriesExceeded,
    End::ResetByPeer,
    End::FinWait2Timeout,
    End::IdleTimeout,
];

fn check(cfg: &SimConfig) -> SimReport {
    let r = sim::run(cfg);
    let label = format!(
        "loss {} close {:?} cookies {:?}",
        cfg.impairment.loss, cfg.close, cfg.cookies
    );
    assert_eq!(r.opened, cfg.connections, "{label}");
    assert_eq!(r.client.opened, cfg.connections, "{label}");
    // Exact bookkeeping: opened = completed + aborted.
    assert_eq!(r.opened, r.completed + r.aborted, "{label}: {r:?}");
    assert_eq!(r.client.ended(), r.opened, "{label}");
    let client_abort: u64 = ABORTS.iter().map(|&e| r.client.end(e)).sum();
    assert_eq!(
        r.aborted, client_abort,
        "{label}: unexpected end {:?}",
        r.client.ends
    );
    // Every server record ended, the specified way or by a timeout/reset.
    assert_eq!(r.server.ended(), r.server.accepted, "{label}");
    let server_abort: u64 = ABORTS
        .iter()
        .filter(|&&e| e != cfg.close.server_end())
        .map(|&e| r.server.end(e))
        .sum();
    assert_eq!(
        r.server.end(cfg.close.server_end()) + server_abort,
        r.server.accepted,
        "{label}: unexpected server end {:?}",
        r.server.ends
    );
    // Nothing remains.
    assert_eq!(r.records_left, 0, "{label}");
    assert_eq!(r.time_wait_left, 0, "{label}");
    assert_eq!(r.timers_left, 0, "{label}");
    assert_eq!(r.in_flight, 0, "{label}");
    // Every TIME-WAIT record expired (none were reused: tuples are unique).
    let tw = r.client.end(End::TimeWait) + r.server.end(End::TimeWait);
    let (c, s) = (&r.client, &r.server);
    let tw_gone = c.time_wait_expired + s.time_wait_expired + c.time_wait_reset + s.time_wait_reset;
    assert_eq!(tw_gone, tw, "{label}: {r:?}");
    assert_eq!(r.client.malformed() + r.server.malformed(), 0, "{label}");
    r
}

fn cfg(loss: f64, close: CloseKind, cookies: CookiePolicy) -> SimConfig {
    SimConfig {
        connections: 100_000,
        concurrency: 2000,
        impairment: Impairment::lossy(loss),
        seed: 42,
        close,
        cookies,
        ..SimConfig::default()
    }
}

const CASES: [(CloseKind, CookiePolicy); 3] = [
    (CloseKind::ClientFin, CookiePolicy::Always),
    (CloseKind::ServerFin, CookiePolicy::Never),
    (CloseKind::ClientRst, CookiePolicy::OnOverload),
];

#[test]
fn no_loss_everything_completes() {
    for (close, cookies) in CASES {
        let r = check(&cfg(0.0, close, cookies));
        assert_eq!(r.completed, 100_000);
        assert_eq!(r.aborted, 0);
        assert_eq!(
            r.client.event(Events::RETRANSMIT) + r.server.event(Events::RETRANSMIT),
            0
        );
        assert_eq!(r.lost + r.duplicated + r.reordered, 0);
        assert_eq!(r.client.event(Events::ESTABLISHED), 100_000);
        if cookies == CookiePolicy::Always {
            assert_eq!(r.server.event(Events::COOKIE_SENT), 100_000);
            assert_eq!(r.server.event(Events::COOKIE_OK), 100_000);
        }
    }
}

#[test]
fn one_percent_loss() {
    for (close, cookies) in CASES {
        let r = check(&cfg(0.01, close, cookies));
        assert!(r.lost > 0 && r.duplicated > 0 && r.reordered > 0, "{r:?}");
        assert!(r.client.event(Events::RETRANSMIT) + r.server.event(Events::RETRANSMIT) > 0);
    }
}

#[test]
fn ten_percent_loss() {
    for (close, cookies) in CASES {
        let r = check(&cfg(0.10, close, cookies));
        assert!(r.lost > 0 && r.duplicated > 0 && r.reordered > 0, "{r:?}");
        // At 10 % most connections still complete through retransmission.
        assert!(r.completed > 99_000, "{r:?}");
    }
}

#[test]
fn heavy_loss_forces_aborts_and_still_drains() {
    // At 45 % loss some connections exhaust their retries: the aborted
    // path must keep the books exact too.
    let mut c = cfg(0.45, CloseKind::ClientFin, CookiePolicy::OnOverload);
    c.connections = 5_000;
    let r = check(&c);
    assert!(r.aborted > 0, "{r:?}");
}

#[test]
fn same_seed_same_run() {
    let mut c = cfg(0.05, CloseKind::ClientFin, CookiePolicy::Always);
    c.connections = 5_000;
    let a = sim::run(&c);
    let b = sim::run(&c);
    assert_eq!(
        (a.client, a.server, a.virtual_us),
        (b.client, b.server, b.virtual_us)
    );
}

/// The same pair over IPv6 (fd00::1 and fd00::1:0 on): one state machine
/// for both families, so the same books hold; the cookies carry the IPv6
/// MSS table's entry for the client's 1440 (RFC 8200's 20 extra header
/// bytes taken from the IPv4 MSS of 1460).
#[test]
fn ipv6_no_loss_and_one_percent_loss() {
    for (close, cookies) in CASES {
        let mut c = cfg(0.0, close, cookies);
        c.ipv6 = true;
        c.connections = 20_000;
        let r = check(&c);
        assert_eq!(r.completed, 20_000, "{r:?}");
        assert_eq!(r.client.event(Events::ESTABLISHED), 20_000);
        if cookies == CookiePolicy::Always {
            assert_eq!(r.server.event(Events::COOKIE_OK), 20_000);
            // The IPv6 SYN prediction answered them.
            assert_eq!(r.server.syn_predicted, 20_000);
        }
        assert!(r.client.segments_predicted > 20_000, "{r:?}");
        assert!(r.server.segments_predicted > 20_000, "{r:?}");
        c.impairment = Impairment::lossy(0.01);
        let r = check(&c);
        assert!(r.lost > 0, "{r:?}");
    }
}

//! The generator's two loops, driven in virtual time: an open loop at
//! `--rate` opens exactly rate × elapsed connections, and a closed loop at
//! `--concurrency` never has more connections open than that.

use synwave::app::CloseKind;
use synwave::scenario::Scenario;

mod common;

fn scenario() -> Scenario {
    Scenario {
        close: CloseKind::ServerFin,
        ..Scenario::default()
    }
}

#[test]
fn open_loop_opens_rate_times_elapsed() {
    let (mut client, mut server) = common::worker_pair(&scenario(), 1 << 20, Some(10_000.0));
    let mut now = 1_000u64;
    // The first poll sets the origin; then one virtual second in 10 µs steps.
    common::run_for(&mut client, &mut server, &mut now, 1, 0, |_| ());
    common::run_for(&mut client, &mut server, &mut now, 100_000, 10, |_| ());
    let opened = client.report().tally.opened;
    assert!(
        (9_999..=10_000).contains(&opened),
        "opened {opened} in one second at 10,000/s"
    );
    assert_eq!(client.report().tally.open_failed, 0);
}

#[test]
fn closed_loop_keeps_at_most_concurrency_open() {
    let (mut client, mut server) = common::worker_pair(&scenario(), 50, None);
    let mut now = 1_000u64;
    let mut most = 0;
    common::run_for(&mut client, &mut server, &mut now, 50_000, 10, |c| {
        most = most.max(c.endpoint().connections());
    });
    assert_eq!(
        most, 50,
        "the closed loop must fill, and not exceed, its concurrency"
    );
    let r = client.report();
    assert!(
        r.tally.opened > 1_000,
        "only {} connections",
        r.tally.opened
    );
    assert!(r.tally.opened - r.counters.ended() <= 50);
}

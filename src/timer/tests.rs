//! Deterministic tests of the timing wheel: sizes, budgets, stale ids,
//! past and far deadlines, a driver that jumps to `next_deadline`, bounded
//! cascades, and a million timers drained.

use super::*;

/// A value shaped like the endpoint's timer value (`flow::FourTuple`: two
/// IPv4 addresses and two ports), kept local so the timer depends on no
/// layer above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)]
struct Tuple {
    local_ip: [u8; 4],
    remote_ip: [u8; 4],
    local_port: u16,
    remote_port: u16,
}

/// `deadline` rounded up to a tick, saturating.
fn due(deadline: u64, tick: u64) -> u64 {
    deadline.div_ceil(tick).saturating_mul(tick)
}

/// Jumps time to each `next_deadline` and expires there with `budget`;
/// returns `(value, deadline, now)` per fired timer.
fn drive<T: Copy>(wheel: &mut TimerWheel<T>, budget: usize) -> Vec<(T, u64, u64)> {
    let mut out = Vec::new();
    while let Some(now) = wheel.next_deadline() {
        assert!(now >= wheel.now());
        wheel.expire(now, budget, |value, deadline| {
            out.push((value, deadline, now))
        });
    }
    out
}

/// A small xorshift for spreading deadlines.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn ids_and_nodes_are_small() {
    assert_eq!(size_of::<TimerId>(), 8);
    assert_eq!(size_of::<Option<TimerId>>(), 8);
    assert_eq!(size_of::<Tuple>(), 12);
    assert_eq!(TimerWheel::<Tuple>::NODE_SIZE, 32);
    assert_eq!(TimerWheel::<[u8; 12]>::NODE_SIZE, 32);
    assert_eq!(TimerWheel::<(u64, u32)>::NODE_SIZE, 40);
    assert_eq!(TimerWheel::<u32>::NODE_SIZE, 24);
}

#[test]
fn id_bits_round_trip_and_forged_ids_are_refused() {
    let mut wheel = TimerWheel::new();
    let id = wheel.arm(5_000, 1u8);
    assert_eq!(TimerId::from_bits(id.to_bits()), Some(id));
    assert_eq!(TimerId::from_bits(7), None);
    for bits in [u64::MAX, 1 << 32, (1 << 32) | 1, 0xffff_ffff_0000_0000] {
        let forged = TimerId::from_bits(bits).unwrap();
        if forged != id {
            assert_eq!(wheel.cancel(forged), None);
            assert_eq!(wheel.deadline(forged), None);
            assert!(!wheel.rearm(forged, 0));
        }
    }
    assert_eq!(wheel.len(), 1);
    assert_eq!(wheel.cancel(id), Some(1));
}

#[test]
fn budget_bounds_fires_and_later_calls_continue() {
    // 5 ms sits in level 0 from time 0; 5 s in level 2 (it cascades).
    for deadline in [5_000, 5_000_000] {
        let mut wheel = TimerWheel::with_capacity(10_000);
        for v in 0..10_000u32 {
            wheel.arm(deadline, v);
        }
        assert_eq!(wheel.expire(deadline - 1, 100, |_, _| panic!("early")), 0);
        let mut seen = vec![false; 10_000];
        for call in 1..=100 {
            let fired = wheel.expire(deadline, 100, |v, d| {
                assert_eq!(d, deadline);
                assert!(!std::mem::replace(&mut seen[v as usize], true));
            });
            assert_eq!(fired, 100);
            assert_eq!(wheel.len(), 10_000 - 100 * call);
            let expect = if call < 100 { Some(deadline) } else { None };
            assert_eq!(wheel.next_deadline(), expect);
        }
        assert!(seen.iter().all(|&s| s));
        assert!(wheel.is_empty());
        assert_eq!(wheel.expire(deadline, 100, |_, _| panic!("twice")), 0);
    }
}

#[test]
fn stale_ids_are_refused_and_leave_the_reused_node_alone() {
    let mut wheel = TimerWheel::new();
    let old = wheel.arm(10_000, 1u32);
    assert_eq!(wheel.cancel(old), Some(1));
    let new = wheel.arm(20_000, 2);
    assert_eq!(new.index, old.index, "the free list reuses the node");
    assert_ne!(new, old);
    assert_eq!(wheel.cancel(old), None);
    assert_eq!(wheel.deadline(old), None);
    assert!(!wheel.rearm(old, 0));
    assert_eq!(wheel.len(), 1);
    assert_eq!(wheel.deadline(new), Some(20_000));

    // An id whose timer fired is stale too.
    let fired = wheel.arm(0, 3);
    let mut got = Vec::new();
    wheel.expire(0, 10, |v, _| got.push(v));
    assert_eq!(got, [3]);
    assert_eq!(wheel.cancel(fired), None);

    assert_eq!(wheel.cancel(new), Some(2));
    assert_eq!(wheel.cancel(new), None);
    assert!(wheel.is_empty());
}

#[test]
fn past_deadlines_fire_at_the_next_expire() {
    let mut wheel = TimerWheel::new();
    assert_eq!(wheel.expire(1_000_000, 10, |_: u8, _| ()), 0);
    wheel.arm(0, 1u8);
    wheel.arm(500, 2);
    wheel.arm(999_999, 3);
    wheel.arm(1_000_001, 4);
    assert_eq!(wheel.next_deadline(), Some(1_000_000));
    let mut got = Vec::new();
    assert_eq!(wheel.expire(1_000_000, 10, |v, _| got.push(v)), 3);
    got.sort();
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(wheel.next_deadline(), Some(1_001_000));
}

#[test]
fn a_driver_fires_each_timer_exactly_at_its_deadline_with_a_1us_tick() {
    let deadlines = [
        1,
        63,
        64,
        4_095,
        4_096,
        200_000,
        60_000_000,
        120_000_000,
        86_400_000_000,
        30 * 86_400_000_000,
        1 << 42,
        (1 << 42) + 1,
        1 << 63,
        u64::MAX - 1,
        u64::MAX,
    ];
    for budget in [1, 3, usize::MAX] {
        let mut wheel = TimerWheel::with_tick(1, 0);
        for (v, &d) in deadlines.iter().enumerate().rev() {
            wheel.arm(d, v);
        }
        let fired = drive(&mut wheel, budget);
        assert_eq!(fired.len(), deadlines.len());
        for (i, &(v, d, now)) in fired.iter().enumerate() {
            assert_eq!(v, i, "in deadline order");
            assert_eq!((d, now), (deadlines[i], deadlines[i]));
        }
        assert!(wheel.is_empty());
    }
}

#[test]
fn a_driver_fires_each_timer_at_its_due_tick_with_a_1ms_tick() {
    let mut wheel = TimerWheel::with_capacity(10_000);
    let mut state = 0x9e37_79b9_7f4a_7c15;
    for v in 0..10_000u32 {
        // Up to 120 s, most not on a tick.
        wheel.arm(xorshift(&mut state) % 120_000_001, v);
    }
    let fired = drive(&mut wheel, 7);
    assert_eq!(fired.len(), 10_000);
    let mut last = 0;
    for &(_, d, now) in &fired {
        assert!(d <= now);
        assert_eq!(now, due(d, 1_000));
        assert!(now >= last);
        last = now;
    }
}

#[test]
fn rearm_keeps_the_id_and_moves_the_timer() {
    let mut wheel = TimerWheel::new();
    let id = wheel.arm(10_000_000, 'a');
    assert!(wheel.rearm(id, 1_000_000));
    assert_eq!(wheel.deadline(id), Some(1_000_000));
    assert_eq!(wheel.next_deadline().map(|t| t <= 1_000_000), Some(true));
    assert_eq!(wheel.expire(999_999, 10, |_, _| panic!("early")), 0);
    let id2 = wheel.arm(2_000_000, 'b');
    assert!(wheel.rearm(id2, 90_000_000));
    let mut got = Vec::new();
    wheel.expire(1_000_000, 10, |v, d| got.push((v, d)));
    assert_eq!(got, [('a', 1_000_000)]);
    assert!(!wheel.rearm(id, 5));
    assert_eq!(wheel.expire(89_999_999, 10, |_, _| panic!("early")), 0);
    assert_eq!(wheel.expire(90_000_000, 10, |_, _| ()), 1);
}

#[test]
fn time_going_back_fires_nothing_early() {
    let mut wheel = TimerWheel::new();
    wheel.expire(10_000_000, 10, |_: (), _| ());
    wheel.arm(10_005_000, ());
    assert_eq!(wheel.expire(1_000_000, 10, |_, _| panic!("early")), 0);
    assert_eq!(wheel.expire(10_004_999, 10, |_, _| panic!("early")), 0);
    assert_eq!(wheel.expire(10_005_000, 10, |_, _| ()), 1);
}

#[test]
fn a_zero_tick_counts_as_one_and_a_zero_budget_does_nothing() {
    let mut wheel = TimerWheel::with_tick(0, 4);
    assert_eq!(wheel.tick_us(), 1);
    wheel.arm(3, ());
    assert_eq!(wheel.expire(10, 0, |_, _| ()), 0);
    assert_eq!(wheel.next_deadline(), Some(10));
    assert_eq!(wheel.expire(10, 1, |_, _| ()), 1);
}

#[test]
fn cascades_are_bounded_per_call() {
    // 100,000 timers in one level-2 slot (ticks 20,480..24,576), none due
    // when the wheel enters the slot: each call moves at most
    // CASCADE_PER_FIRE × budget of them down.
    let mut wheel = TimerWheel::with_tick(1, 100_000);
    let start = 5 * 4_096;
    for v in 0..100_000u64 {
        wheel.arm(start + 1 + v % 4_095, v);
    }
    let mut calls = 0;
    while wheel.next_deadline() == Some(start) || calls == 0 {
        assert_eq!(wheel.expire(start, 1, |_, _| panic!("early")), 0);
        calls += 1;
    }
    assert!(calls >= 100_000 / CASCADE_PER_FIRE, "{calls} calls");
    let fired = drive(&mut wheel, usize::MAX);
    assert_eq!(fired.len(), 100_000);
    assert!(fired.iter().all(|&(_, d, now)| d == now));
}

#[test]
fn arms_cancels_and_rearms_while_a_cascade_is_unfinished() {
    let mut wheel = TimerWheel::with_tick(1, 0);
    let start = 5 * 4_096;
    let ids: Vec<TimerId> = (0..1_000u64)
        .map(|v| wheel.arm(start + 1 + v * 4, v))
        .collect();
    // One call moves CASCADE_PER_FIRE of them down and stops.
    assert_eq!(wheel.expire(start, 1, |_, _| panic!("early")), 0);
    assert_eq!(wheel.next_deadline(), Some(start));
    wheel.arm(start, 1_000); // due now
    wheel.arm(100, 1_001); // past
    wheel.arm(start + 5, 1_002); // level 0
    wheel.arm(3 * start, 1_003); // another level-2 slot
    let mut cancelled = 0;
    for (v, &id) in ids.iter().enumerate().step_by(7) {
        assert_eq!(wheel.cancel(id), Some(v as u64));
        cancelled += 1;
    }
    assert!(wheel.rearm(ids[500], start + 2));
    assert!(wheel.rearm(ids[1], 2 * start));
    assert_eq!(wheel.len(), 1_004 - cancelled);
    let mut fired = 0;
    while let Some(now) = wheel.next_deadline() {
        wheel.expire(now, 1, |v, d| {
            assert!(d <= now);
            assert!(d == now || v == 1_001, "timer {v} due {d} fired at {now}");
            fired += 1;
        });
    }
    assert_eq!(fired, 1_004 - cancelled);
    assert!(wheel.is_empty());
}

#[test]
fn a_million_timers_over_two_minutes_drain_to_empty() {
    const N: usize = 1_000_000;
    let mut wheel = TimerWheel::with_capacity(N);
    let capacity = wheel.capacity();
    let mut state = 0x2545_f491_4f6c_dd1d;
    for v in 0..N as u32 {
        wheel.arm(xorshift(&mut state) % 120_000_000, v);
    }
    assert_eq!(wheel.len(), N);
    assert_eq!(
        wheel.capacity(),
        capacity,
        "no allocation after with_capacity"
    );
    let mut fired = 0usize;
    let mut now = 0;
    while now <= 120_000_000 {
        fired += wheel.expire(now, usize::MAX, |_, d| {
            assert!(d <= now && now - d < 1_000);
        });
        now += 1_000;
    }
    assert_eq!(fired, N);
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_deadline(), None);
    // The slab is reused, not grown.
    for v in 0..N as u32 {
        wheel.arm(now + u64::from(v), v);
    }
    assert_eq!(wheel.capacity(), capacity);
}

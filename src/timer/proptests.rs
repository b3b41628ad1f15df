//! The timing wheel against a reference model (a `BTreeMap` of armed
//! timers): random arms (past, near, far and huge deadlines), cancels and
//! re-arms through live and stale ids, and expiries with time advancing
//! and random budgets.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// How a deadline relates to the time of the operation.
#[derive(Clone, Debug)]
enum When {
    /// This far in the past (saturating at 0).
    Past(u64),
    /// This far ahead: within the first levels.
    Near(u64),
    /// This far ahead: up to 200 s.
    Far(u64),
    /// This absolute time: anywhere in `u64`.
    Absolute(u64),
}

#[derive(Clone, Debug)]
enum Op {
    Arm(When),
    /// Cancel the id issued `n mod ids` (live or stale).
    Cancel(usize),
    /// Re-arm the id issued `n mod ids` (live or stale).
    Rearm(usize, When),
    /// Advance time (saturating) and expire with a budget.
    Expire {
        advance: u64,
        budget: usize,
    },
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        1 => (0..3_000_000u64).prop_map(When::Past),
        4 => (0..70_000u64).prop_map(When::Near),
        3 => (0..200_000_000u64).prop_map(When::Far),
        1 => prop_oneof![any::<u64>(), Just(u64::MAX), Just(u64::MAX - 1)].prop_map(When::Absolute),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => when().prop_map(Op::Arm),
        2 => any::<usize>().prop_map(Op::Cancel),
        1 => (any::<usize>(), when()).prop_map(|(n, w)| Op::Rearm(n, w)),
        4 => (
            prop_oneof![
                4 => 0..3_000u64,
                3 => 0..400_000u64,
                2 => 0..150_000_000u64,
                1 => Just(u64::MAX / 4),
            ],
            prop_oneof![Just(1usize), 1..5usize, 1..100usize, Just(usize::MAX)],
        )
            .prop_map(|(advance, budget)| Op::Expire { advance, budget }),
    ]
}

fn tick() -> impl Strategy<Value = u64> {
    prop_oneof![Just(1u64), Just(7), Just(1_000), 1..100_000u64]
}

/// `deadline` rounded up to a tick, saturating.
fn due(deadline: u64, tick: u64) -> u64 {
    deadline.div_ceil(tick).saturating_mul(tick)
}

fn deadline_of(when: &When, now: u64) -> u64 {
    match *when {
        When::Past(x) => now.saturating_sub(x),
        When::Near(x) | When::Far(x) => now.saturating_add(x),
        When::Absolute(x) => x,
    }
}

/// `next_deadline` against the model: `None` iff empty; otherwise `now`
/// if something is due, else a time in `[now, earliest due]` (`now` when a
/// call stopped on its budget while moving timers down a level).
fn check_next_deadline(
    wheel: &TimerWheel<u64>,
    live: &BTreeMap<u64, u64>,
    tick: u64,
) -> Result<(), TestCaseError> {
    let now = wheel.now();
    let earliest = live.values().map(|&d| due(d, tick)).min();
    match (wheel.next_deadline(), earliest) {
        (None, None) => {}
        (Some(t), Some(first)) if first <= now => prop_assert_eq!(t, now),
        (Some(t), Some(first)) => prop_assert!(now <= t && t <= first, "{} {} {}", now, t, first),
        (got, want) => prop_assert!(false, "next_deadline {:?}, earliest due {:?}", got, want),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wheel_agrees_with_a_reference_model(
        tick in tick(),
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let mut wheel = TimerWheel::<u64>::with_tick(tick, 0);
        // value → deadline of every armed timer; values are unique.
        let mut live = BTreeMap::new();
        let mut ids: Vec<(TimerId, u64)> = Vec::new();
        let mut now = 0u64;
        for op in &ops {
            match op {
                Op::Arm(when) => {
                    let d = deadline_of(when, now);
                    let value = ids.len() as u64;
                    let id = wheel.arm(d, value);
                    live.insert(value, d);
                    ids.push((id, value));
                    prop_assert_eq!(wheel.deadline(id), Some(d));
                }
                Op::Cancel(n) if !ids.is_empty() => {
                    let (id, value) = ids[n % ids.len()];
                    let want = live.remove(&value).map(|_| value);
                    prop_assert_eq!(wheel.cancel(id), want);
                    prop_assert_eq!(wheel.deadline(id), None);
                }
                Op::Rearm(n, when) if !ids.is_empty() => {
                    let (id, value) = ids[n % ids.len()];
                    let d = deadline_of(when, now);
                    let armed = live.contains_key(&value);
                    prop_assert_eq!(wheel.rearm(id, d), armed);
                    if armed {
                        live.insert(value, d);
                    }
                    prop_assert_eq!(wheel.deadline(id), armed.then_some(d));
                }
                Op::Cancel(_) | Op::Rearm(..) => {}
                Op::Expire { advance, budget } => {
                    now = now.saturating_add(*advance);
                    let mut fired = Vec::new();
                    let n = wheel.expire(now, *budget, |v, d| fired.push((v, d)));
                    prop_assert_eq!(n, fired.len());
                    prop_assert!(n <= *budget);
                    for (v, d) in fired {
                        prop_assert_eq!(live.remove(&v), Some(d), "fired once, as armed");
                        prop_assert!(d <= now, "fired early: deadline {} at {}", d, now);
                    }
                }
            }
            prop_assert_eq!(wheel.len(), live.len());
            prop_assert_eq!(wheel.is_empty(), live.is_empty());
            check_next_deadline(&wheel, &live, tick)?;
        }
        // Whatever is left fires by the end of time, and only once.
        while wheel.next_deadline().is_some() {
            wheel.expire(u64::MAX, 1_000, |v, d| {
                assert_eq!(live.remove(&v), Some(d));
            });
        }
        prop_assert!(live.is_empty());
        prop_assert!(wheel.is_empty());
        for (id, _) in ids {
            prop_assert_eq!(wheel.cancel(id), None);
        }
    }

    #[test]
    fn a_driver_jumping_to_next_deadline_fires_each_timer_at_its_due_time(
        tick in tick(),
        deadlines in prop::collection::vec(
            prop_oneof![0..100_000u64, 0..200_000_000u64, any::<u64>()], 1..200),
        budget in prop_oneof![Just(1usize), 1..10usize, Just(usize::MAX)],
    ) {
        let mut wheel = TimerWheel::with_tick(tick, deadlines.len());
        for (v, &d) in deadlines.iter().enumerate() {
            wheel.arm(d, v);
        }
        let mut fired = vec![false; deadlines.len()];
        let mut steps = 0usize;
        while let Some(now) = wheel.next_deadline() {
            prop_assert!(now >= wheel.now());
            wheel.expire(now, budget, |v, d| {
                assert_eq!(d, deadlines[v]);
                assert_eq!(now, due(d, tick), "fired at its due time");
                assert!(!std::mem::replace(&mut fired[v], true));
            });
            steps += 1;
            // Every call fires or moves a timer down a level.
            prop_assert!(steps <= deadlines.len() * 11);
        }
        prop_assert!(fired.iter().all(|&f| f));
    }
}

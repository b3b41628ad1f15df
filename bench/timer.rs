//! Timing-wheel benchmarks: an arm + cancel pair on an empty wheel and on
//! one holding a million timers, and steady-state arm + expire with 1 M
//! and 10 M live timers (each iteration arms one timer 60–180 s ahead,
//! advances time so that one timer falls due on average, and expires).
//! The big wheels are built once, outside the timed loops.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use synwave::flow::FourTuple;
use synwave::timer::TimerWheel;

/// Spread of the deadlines: two minutes, in microseconds.
const SPAN_US: u64 = 120_000_000;

/// A small xorshift for spreading deadlines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn tuple(i: u64) -> FourTuple {
    FourTuple {
        local_ip: [10, 0, 0, 1],
        remote_ip: (i as u32).to_be_bytes(),
        local_port: 80,
        remote_port: (i >> 32) as u16,
    }
}

/// A wheel of `n` timers spread over the next two minutes, with room for
/// as many more.
fn filled(n: u64, rng: &mut Rng) -> TimerWheel<FourTuple> {
    let mut wheel = TimerWheel::with_capacity(2 * n as usize);
    for i in 0..n {
        wheel.arm(rng.next() % SPAN_US, tuple(i));
    }
    assert_eq!(wheel.len(), n as usize);
    wheel
}

fn arm_cancel(c: &mut Criterion) {
    let mut g = c.benchmark_group("timer");
    g.throughput(Throughput::Elements(1));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, n) in [("arm_cancel", 0), ("arm_cancel_1m_live", 1_000_000)] {
        let mut wheel = filled(n, &mut rng);
        let mut i = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                let deadline = (i * 7_919) % SPAN_US;
                let id = wheel.arm(black_box(deadline), tuple(i));
                wheel.cancel(black_box(id))
            })
        });
        assert_eq!(wheel.len(), n as usize);
    }
    g.finish();
}

/// A wheel kept at about `n` live timers: every step arms one and moves
/// time on by the mean lifetime over `n`, firing one on average.
struct Steady {
    wheel: TimerWheel<FourTuple>,
    rng: Rng,
    n: u64,
    step: u64,
}

impl Steady {
    fn new(n: u64) -> Steady {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let wheel = filled(n, &mut rng);
        Steady {
            wheel,
            rng,
            n,
            step: 0,
        }
    }

    /// Arms one timer 60–180 s ahead (two minutes on average) and expires
    /// what is due; returns how many fired.
    fn step(&mut self) -> usize {
        self.step += 1;
        let now = (u128::from(self.step) * u128::from(SPAN_US) / u128::from(self.n)) as u64;
        let life = SPAN_US / 2 + self.rng.next() % SPAN_US;
        self.wheel.arm(now + life, tuple(self.step));
        self.wheel.expire(now, 256, |tuple, deadline| {
            black_box((tuple, deadline));
        })
    }
}

fn arm_expire(c: &mut Criterion) {
    let mut g = c.benchmark_group("timer");
    g.throughput(Throughput::Elements(1));
    for (name, n) in [
        ("arm_expire_1m_live", 1_000_000),
        ("arm_expire_10m_live", 10_000_000),
    ] {
        let mut steady = Steady::new(n);
        // Sanity: firing keeps pace with arming.
        let fired: usize = (0..n / 10).map(|_| steady.step()).sum();
        assert!(fired > 0);
        g.bench_function(name, |b| b.iter(|| steady.step()));
        let live = steady.wheel.len() as u64;
        assert!(live > n / 2 && live < 2 * n, "{live} live timers");
    }
    g.finish();
}

criterion_group!(benches, arm_cancel, arm_expire);
criterion_main!(benches);

//! The time between two turns of a worker's poll loop: the longest, and
//! every gap counted in power-of-two buckets (`endpoint::Buckets`: 1 µs,
//! 2 µs … 2²² µs, then everything above). A gap is how long the worker
//! left its receive ring alone: a turn that works through a burst, a
//! table that grows, a timer sweep, or the host taking the core away.
//! While it lasts the ring fills at the arrival rate; a gap longer than
//! the ring holds is a ring overflow and a retransmission at the peer.
//!
//! Turns that received no frame count as idle time: the share of idle
//! time is the worker's headroom.
//!
//! Rules: one clock reading per turn (the one the turn uses anyway), a
//! `leading_zeros` and a few stores; nothing is allocated.

use crate::endpoint::Buckets;

/// Gaps between turns of one worker's poll loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollGaps {
    /// Each gap counted in its bucket, and their sum (µs).
    pub buckets: Buckets,
    /// The longest gap (µs).
    pub max_us: u64,
    /// Turns counted (one more than the gaps, per worker).
    pub turns: u64,
    /// The time (µs) spent in turns that received no frame: the
    /// worker's headroom.
    pub idle_us: u64,
    /// Whether the last turn received no frame.
    last_idle: bool,
    /// The last turn's start (µs on the worker's clock); `None` before
    /// the first.
    last: Option<u64>,
}

impl PollGaps {
    /// A turn starts at `now` (µs): counts the gap since the last one.
    #[inline]
    pub fn turn(&mut self, now: u64) {
        self.turns += 1;
        if let Some(last) = self.last {
            let gap = now.saturating_sub(last);
            self.buckets.record(gap);
            self.max_us = self.max_us.max(gap);
            if self.last_idle {
                self.idle_us += gap;
            }
        }
        self.last = Some(now);
    }

    /// The turn that started last received no frame (`idle`) or some:
    /// its time counts as idle or busy.
    #[inline]
    pub fn worked(&mut self, idle: bool) {
        self.last_idle = idle;
    }

    /// The share (0 to 1) of the time between the first and the last
    /// turn spent in turns that received no frame.
    pub fn idle_share(&self) -> f64 {
        self.idle_us as f64 / self.buckets.sum_us.max(1) as f64
    }

    /// Adds `o`'s gaps (the longest of both is kept).
    pub fn add(&mut self, o: &PollGaps) {
        self.buckets.add(&o.buckets);
        self.max_us = self.max_us.max(o.max_us);
        self.idle_us += o.idle_us;
        self.turns += o.turns;
    }

    /// Gaps counted.
    pub fn count(&self) -> u64 {
        self.buckets.count()
    }

    /// An upper bound (µs) of the `q` quantile (0 < q ≤ 1) of the gaps:
    /// the upper bound of the bucket that holds it, never above the
    /// longest gap; 0 without gaps.
    pub fn quantile_bound_us(&self, q: f64) -> u64 {
        let n = self.count();
        if n == 0 {
            return 0;
        }
        // The rank of the quantile, 1-based, at least 1.
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        for (i, c) in self.buckets.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Buckets::upper_us(i).map_or(self.max_us, |u| u.min(self.max_us));
            }
        }
        self.max_us
    }

    /// Gaps longer than `us` microseconds, counted by bucket: exact when
    /// `us` is a power of two (a bucket's bound), otherwise the gaps of
    /// the bucket that holds `us` are all counted.
    pub fn longer_than(&self, us: u64) -> u64 {
        let from = Buckets::index(us);
        let above: u64 = self.buckets.counts[from + 1..].iter().sum();
        if Buckets::upper_us(from) == Some(us) {
            above
        } else {
            above + self.buckets.counts[from]
        }
    }

    /// The non-empty buckets as (upper bound in µs, `None` for the last;
    /// gaps), in order.
    pub fn histogram(&self) -> Vec<(Option<u64>, u64)> {
        self.buckets
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (Buckets::upper_us(i), *c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(starts: &[u64]) -> PollGaps {
        let mut g = PollGaps::default();
        for &t in starts {
            g.turn(t);
        }
        g
    }

    #[test]
    fn the_first_turn_is_no_gap() {
        let g = gaps(&[1_000_000]);
        assert_eq!((g.count(), g.max_us, g.turns), (0, 0, 1));
        assert_eq!(g.quantile_bound_us(0.9999), 0);
    }

    #[test]
    fn gaps_are_counted_by_bucket_with_the_longest() {
        // Gaps 1, 3, 3, 5000 µs.
        let g = gaps(&[10, 11, 14, 17, 5017]);
        assert_eq!(g.count(), 4);
        assert_eq!(g.max_us, 5000);
        assert_eq!(g.buckets.sum_us, 5007);
        assert_eq!(
            g.histogram(),
            vec![(Some(1), 1), (Some(4), 2), (Some(8192), 1)]
        );
        // Half the gaps are ≤ 4 µs; the longest one bounds the top.
        assert_eq!(g.quantile_bound_us(0.5), 4);
        assert_eq!(g.quantile_bound_us(0.75), 4);
        assert_eq!(g.quantile_bound_us(0.9999), 5000);
        assert_eq!(g.longer_than(1000), 1);
        assert_eq!(g.longer_than(4), 1);
        assert_eq!(g.longer_than(2), 3);
    }

    #[test]
    fn a_clock_that_steps_back_counts_a_zero_gap() {
        let g = gaps(&[100, 50, 60]);
        assert_eq!((g.count(), g.max_us), (2, 10));
        assert_eq!(g.buckets.counts[0], 1);
    }

    #[test]
    fn idle_turns_count_as_headroom() {
        let mut g = PollGaps::default();
        // A busy turn of 30 µs, an idle one of 10 µs, a busy one of 60.
        for (t, idle) in [(0, false), (30, true), (40, false), (100, true)] {
            g.turn(t);
            g.worked(idle);
        }
        assert_eq!((g.idle_us, g.buckets.sum_us), (10, 100));
        assert!((g.idle_share() - 0.1).abs() < 1e-9);
    }

    #[test]
    fn adding_keeps_the_longest_of_both() {
        let mut a = gaps(&[0, 2, 4]);
        let b = gaps(&[0, 700]);
        a.add(&b);
        assert_eq!((a.count(), a.max_us, a.turns), (3, 700, 5));
        assert_eq!(a.quantile_bound_us(1.0), 700);
    }
}

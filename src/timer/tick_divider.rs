//! Microseconds → ticks without a hardware divide on the arm path: a
//! 64-bit `div` costs tens of cycles, and every arm, re-arm and expire
//! converts a time. The divider multiplies by a precomputed reciprocal
//! (`m = ⌊2^64 / d⌋ + 1`, the quotient taken from the high half of the
//! 128-bit product), which is exact for every dividend below `2^64 / d`
//! (Granlund & Montgomery, "Division by Invariant Integers using
//! Multiplication", PLDI 1994, §4); larger dividends (centuries of
//! microseconds, or `u64::MAX` meaning "never") fall back to `/`.
//!
//! Rules: results are exactly `n / d` and `n.div_ceil(d)`; tests check
//! them against the hardware divide around every boundary.

/// Divides by one fixed divisor.
#[derive(Clone, Copy, Debug)]
pub(super) struct TickDivider {
    d: u64,
    /// `⌊2^64 / d⌋ + 1` (0 when `d` is 1: no multiply needed).
    m: u64,
    /// Dividends below this divide exactly by multiplication.
    exact_below: u64,
}

impl TickDivider {
    /// A divider by `d` (0 counts as 1).
    pub(super) fn new(d: u64) -> TickDivider {
        let d = d.max(1);
        if d == 1 {
            return TickDivider {
                d,
                m: 0,
                exact_below: 0,
            };
        }
        TickDivider {
            d,
            m: ((1u128 << 64) / u128::from(d)) as u64 + 1,
            exact_below: u64::MAX / d,
        }
    }

    /// The divisor.
    #[inline(always)]
    pub(super) fn divisor(&self) -> u64 {
        self.d
    }

    /// `n / d`, rounded down.
    #[inline(always)]
    pub(super) fn floor(&self, n: u64) -> u64 {
        if self.d == 1 {
            n
        } else if n < self.exact_below {
            ((u128::from(n) * u128::from(self.m)) >> 64) as u64
        } else {
            n / self.d
        }
    }

    /// `n / d`, rounded up.
    #[inline(always)]
    pub(super) fn ceil(&self, n: u64) -> u64 {
        let q = self.floor(n);
        q + u64::from(q * self.d != n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_hardware_divide_around_every_boundary() {
        for d in [1u64, 2, 3, 7, 10, 1000, 1024, 999_983, 1 << 40, u64::MAX] {
            let t = TickDivider::new(d);
            let mut probes = vec![0u64, 1, 2, u64::MAX, u64::MAX - 1, t.exact_below];
            for k in [1u64, 2, 5, 1000, 123_456_789, 1 << 20, 1 << 33] {
                let base = k.saturating_mul(d);
                for delta in [-2i64, -1, 0, 1, 2] {
                    probes.push(base.saturating_add_signed(delta));
                }
            }
            for around in [t.exact_below, u64::MAX / 2] {
                for delta in 0..4 {
                    probes.push(around.saturating_sub(delta));
                    probes.push(around.saturating_add(delta));
                }
            }
            for n in probes {
                assert_eq!(t.floor(n), n / d, "{n} / {d}");
                assert_eq!(t.ceil(n), n.div_ceil(d), "{n} / {d} rounded up");
            }
        }
    }

    #[test]
    fn zero_counts_as_one() {
        let t = TickDivider::new(0);
        assert_eq!(t.divisor(), 1);
        assert_eq!(t.floor(77), 77);
        assert_eq!(t.ceil(77), 77);
    }
}

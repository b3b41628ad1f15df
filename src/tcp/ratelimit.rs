//! A per-second budget, as Linux limits challenge ACKs (RFC 5961 §7): at
//! most `limit` events in each one-second window. Time is passed in.

/// Allows at most `limit` events per second.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    limit: u32,
    left: u32,
    window_start_us: u64,
}

impl RateLimiter {
    /// A limiter allowing `limit` events per second.
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            left: limit,
            window_start_us: 0,
        }
    }

    /// Takes one event from the budget of the second containing `now_us`.
    #[inline]
    pub fn allow(&mut self, now_us: u64) -> bool {
        if now_us.saturating_sub(self.window_start_us) >= 1_000_000 {
            self.window_start_us = now_us;
            self.left = self.limit;
        }
        if self.left > 0 {
            self.left -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_second() {
        let mut r = RateLimiter::new(3);
        assert!((0..3).all(|i| r.allow(i)));
        assert!(!r.allow(10));
        assert!(!r.allow(999_999));
        assert!(r.allow(1_000_000));
    }
}

//! Budgets per second for what the engine sends unasked: RSTs to segments
//! of unknown connections (`RateLimiter`, a fixed budget), and challenge
//! ACKs (`ChallengeBudget`, RFC 5961 §7, a budget drawn anew for each
//! second as Linux has since 4.7, `tcp_send_challenge_ack`: a fixed one is
//! the side channel of CVE-2016-5696, through which an off-path attacker
//! counting the challenge ACKs on its own connection learns when another
//! connection spent some). Time is passed in.
//!
//! Rules: one compare per call while the second lasts; the draw is a keyed
//! function of the second, so it is unpredictable without the key and
//! reproducible with a seeded one.

use super::prf::Prf;

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

/// Tag of the key the budget draws derive from the secret.
const BUDGET_KEY_TAG: u64 = u64::from_le_bytes(*b"chal-ack");

/// Challenge ACKs per second: for each second (`now / 1 s`), a budget
/// drawn from `limit/2 .. limit/2 + limit` (Linux's `half +
/// get_random_u32_below(limit)`), `limit` on average.
#[derive(Clone, Debug)]
pub struct ChallengeBudget {
    limit: u32,
    left: u32,
    /// The second the budget is for (`u64::MAX`: none drawn yet).
    second: u64,
    draw: Prf,
}

impl ChallengeBudget {
    /// A budget of `limit` per second on average (0: none), its draws
    /// keyed by `secret`.
    pub fn new(limit: u32, secret: [u8; 16]) -> ChallengeBudget {
        let (a, b) = Prf::new(secret).eval(0, BUDGET_KEY_TAG);
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&a.to_le_bytes());
        key[8..].copy_from_slice(&b.to_le_bytes());
        ChallengeBudget {
            limit,
            left: 0,
            second: u64::MAX,
            draw: Prf::new(key),
        }
    }

    /// The budget of second `s`.
    pub fn budget(&self, s: u64) -> u32 {
        if self.limit == 0 {
            return 0;
        }
        let half = self.limit.div_ceil(2);
        let (r, _) = self.draw.eval(s, 0);
        half + (r % u64::from(self.limit)) as u32
    }

    /// Takes one challenge ACK from the budget of the second containing
    /// `now_us`.
    #[inline]
    pub fn allow(&mut self, now_us: u64) -> bool {
        let s = now_us / 1_000_000;
        if s != self.second {
            self.second = s;
            self.left = self.budget(s);
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

    /// Each second's challenge budget lies in limit/2 .. limit/2 + limit,
    /// the budgets vary from second to second, average about the limit,
    /// and `allow` spends exactly the second's budget.
    #[test]
    fn challenge_budgets_vary_within_the_bounds() {
        const LIMIT: u32 = 1000;
        let b = ChallengeBudget::new(LIMIT, [7; 16]);
        let budgets: Vec<u32> = (0..1000).map(|s| b.budget(s)).collect();
        assert!(
            budgets.iter().all(|&x| (500..1500).contains(&x)),
            "{budgets:?}"
        );
        let distinct: std::collections::BTreeSet<u32> = budgets.iter().copied().collect();
        assert!(
            distinct.len() > 500,
            "only {} distinct budgets",
            distinct.len()
        );
        let mean = budgets.iter().map(|&x| u64::from(x)).sum::<u64>() / 1000;
        assert!((950..1050).contains(&mean), "mean {mean}");
        // Another key, other budgets.
        let c = ChallengeBudget::new(LIMIT, [8; 16]);
        assert_ne!(
            budgets[..10],
            (0..10).map(|s| c.budget(s)).collect::<Vec<_>>()[..]
        );
        let mut b = b;
        for s in [3u64, 4] {
            let t = s * 1_000_000;
            let allowed = (0..2000).filter(|i| b.allow(t + i)).count() as u32;
            assert_eq!(allowed, b.budget(s), "second {s}");
        }
        let mut none = ChallengeBudget::new(0, [7; 16]);
        assert!(!none.allow(5));
    }
}

//! The open loop's schedule: how many connections are due by a given
//! time at `--rate`, optionally ramped up linearly over `--ramp` (as TRex
//! ASTF's `cps` with a ramp-up).
//!
//! Rules: pure arithmetic on the elapsed time; the generator opens what
//! is due and not yet opened, so a late loop catches up and the count
//! over a run stays exact.

/// Connections due `elapsed_us` after the start at `rate` per second,
/// the rate rising linearly from 0 to `rate` over the first `ramp_us`
/// (0: full rate at once). During the ramp that is rate·t²/(2·R); after
/// it, rate·(t − R/2).
#[inline]
pub fn due(elapsed_us: u64, rate: f64, ramp_us: u64) -> u64 {
    let t = elapsed_us as f64 / 1e6;
    if ramp_us == 0 {
        return (t * rate) as u64;
    }
    let r = ramp_us as f64 / 1e6;
    let n = if t < r {
        rate * t * t / (2.0 * r)
    } else {
        rate * (t - r / 2.0)
    };
    n as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    #[test]
    fn without_a_ramp_the_rate_holds_from_the_start() {
        assert_eq!(due(0, 50_000.0, 0), 0);
        assert_eq!(due(S, 50_000.0, 0), 50_000);
        assert_eq!(due(10 * S, 50_000.0, 0), 500_000);
    }

    #[test]
    fn a_ramp_rises_linearly_then_holds() {
        let (rate, ramp) = (10_000.0, 2 * S);
        assert_eq!(due(0, rate, ramp), 0);
        // Half way up the ramp: a quarter of the ramp's total.
        assert_eq!(due(S, rate, ramp), 2_500);
        // The ramp's end: rate·R/2.
        assert_eq!(due(2 * S, rate, ramp), 10_000);
        // Then the full rate: one second more, `rate` more.
        assert_eq!(due(3 * S, rate, ramp), 20_000);
        assert_eq!(due(12 * S, rate, ramp), 110_000);
        // Never decreasing, and the per-second rate never above `rate`.
        let mut last = 0;
        for ms in 0..5_000u64 {
            let d = due(ms * 1_000, rate, ramp);
            assert!(d >= last && d - last <= 11, "{ms} ms: {last} → {d}");
            last = d;
        }
    }
}

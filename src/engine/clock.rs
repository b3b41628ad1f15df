//! The engine's clock: microseconds since the run started, from the
//! monotonic clock (`Instant`), as the `tcp` layer expects time to be
//! passed in. Reading it is a vDSO call, not a syscall.

use std::time::Instant;

/// Microseconds since `start`, never 0 (0 means "no deadline" to the
/// timers).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
        }
    }

    /// Microseconds since the start, at least 1.
    #[inline]
    pub fn now_us(&self) -> u64 {
        (self.start.elapsed().as_micros() as u64).max(1)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

//! What every turn of a worker's poll loop works with: the run's phase,
//! shared by all workers, and the burst (the most frames received, and
//! connections opened, in one turn).
//!
//! Rules: the phase is one relaxed atomic, read once per turn.

use std::sync::atomic::{AtomicU8, Ordering};

/// Frames received, at most, and connections opened, at most, per turn.
pub const BURST: usize = 64;

/// Phase of a run, shared by all workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Generators open connections.
    Run = 0,
    /// No new connections; live ones finish.
    Drain = 1,
    /// Workers return.
    Stop = 2,
}

impl Phase {
    /// The phase as a board's publication tag (never 0, which is "none
    /// yet").
    pub fn tag(self) -> u8 {
        self as u8 + 1
    }
}

/// The run phase, shared.
#[derive(Debug, Default)]
pub struct SharedPhase(AtomicU8);

impl SharedPhase {
    /// The current phase.
    #[inline]
    pub fn get(&self) -> Phase {
        match self.0.load(Ordering::Relaxed) {
            0 => Phase::Run,
            1 => Phase::Drain,
            _ => Phase::Stop,
        }
    }

    /// Moves to `p`.
    pub fn set(&self, p: Phase) {
        self.0.store(p as u8, Ordering::Relaxed);
    }
}

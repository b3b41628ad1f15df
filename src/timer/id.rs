//! The handle of an armed timer: a slab index and the generation the node
//! had when the timer was armed.

use core::num::NonZeroU32;

/// Names one armed timer of a [`TimerWheel`](super::TimerWheel).
///
/// Eight bytes, and `Option<TimerId>` is eight bytes too (the generation is
/// never zero). The wheel bumps a node's generation whenever its timer
/// fires or is cancelled, so an id kept after that is refused by every call
/// that takes one, even once the node carries a new timer (until the same
/// node has been reused 2^32 − 1 times, when a generation comes round
/// again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    pub(super) index: u32,
    pub(super) generation: NonZeroU32,
}

impl TimerId {
    /// The id as one `u64` (index in the low half), for compact records.
    #[inline]
    pub const fn to_bits(self) -> u64 {
        (self.generation.get() as u64) << 32 | self.index as u64
    }

    /// The id written by [`TimerId::to_bits`]; `None` for bits no id has
    /// (a zero generation). Any other bits make a valid handle: the wheel
    /// refuses it if it names no armed timer.
    #[inline]
    pub const fn from_bits(bits: u64) -> Option<TimerId> {
        match NonZeroU32::new((bits >> 32) as u32) {
            Some(generation) => Some(TimerId {
                index: bits as u32,
                generation,
            }),
            None => None,
        }
    }
}

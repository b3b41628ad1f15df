//! The wheel's geometry: which level and slot a tick goes to, seen from the
//! wheel's current tick, and where a slot starts.
//!
//! A tick `t ≥ cur` goes to the level of the highest base-64 digit in which
//! `t` and `cur` differ, into the slot named by `t`'s digit there. Every
//! timer in a slot of level `l` therefore shares `cur`'s digits above `l`
//! and has a larger digit `l`: lower levels hold earlier ticks, and within
//! a level the slot order is the time order.

/// Bits of a tick consumed by one level.
pub(super) const LEVEL_BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << LEVEL_BITS;
/// Levels: enough for every `u64` tick (`6 × 11 = 66 ≥ 64`).
pub(super) const LEVELS: usize = 11;

/// The level of tick `t` seen from `cur` (`t ≥ cur`; equal ticks are
/// level 0).
#[inline(always)]
pub(super) fn level(t: u64, cur: u64) -> usize {
    let differ = (t ^ cur) | (SLOTS as u64 - 1);
    ((63 - differ.leading_zeros()) / LEVEL_BITS) as usize
}

/// The slot of tick `t` in `level`: its base-64 digit there.
#[inline(always)]
pub(super) fn slot(t: u64, level: usize) -> usize {
    ((t >> (LEVEL_BITS * level as u32)) & (SLOTS as u64 - 1)) as usize
}

/// The first tick of slot `slot` of `level` seen from `cur`: `cur`'s digits
/// above `level`, `slot` at `level`, zeros below.
#[inline(always)]
pub(super) fn slot_start(cur: u64, level: usize, slot: usize) -> u64 {
    let shift = LEVEL_BITS * level as u32;
    let above = cur
        .checked_shr(shift + LEVEL_BITS)
        .and_then(|high| high.checked_shl(shift + LEVEL_BITS))
        .unwrap_or(0);
    above | (slot as u64) << shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_cover_every_tick() {
        assert_eq!(level(5, 5), 0);
        assert_eq!(level(63, 0), 0);
        assert_eq!(level(64, 0), 1);
        assert_eq!(level(64, 63), 1);
        assert_eq!(level(u64::MAX, 0), LEVELS - 1);
        assert_eq!(slot(u64::MAX, LEVELS - 1), 15);
        assert_eq!(slot_start(u64::MAX, LEVELS - 1, 15), 15 << 60);
        assert_eq!(slot_start(0x1234, 1, 9), 0x1000 | 9 << 6);
        assert_eq!(slot_start(0x1234, 0, 9), 0x1200 | 9);
    }
}

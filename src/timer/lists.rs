//! The slot lists: for each slot of each level, [`LANES`] intrusive doubly
//! linked lists of nodes (by `u32` index), and per level a bitmap of the
//! slots that hold any node.
//!
//! Why lanes: walking a linked list is a chain of dependent loads, one
//! cache miss per node once the nodes have gone cold (a slot of a high
//! level is cascaded a minute or more after its timers were armed). A node
//! goes to lane `index mod LANES`, and a slot is drained a node from each
//! lane at a time, so `LANES` misses are in flight at once instead of one.

use super::levels::{LEVELS, SLOTS, slot, slot_start};
use super::node::{HEAD, LISTS_MAX, NIL, Node};

/// Lists per slot.
pub(super) const LANES: usize = 8;

const _: () = assert!(LEVELS * SLOTS * LANES <= LISTS_MAX as usize);
const _: () = assert!(LANES <= 8, "lane bits are a u8");
const _: () = assert!(LEVELS <= 16, "level bits are a u16");

/// Slot list heads and occupancy bitmaps.
#[derive(Clone)]
pub(super) struct Lists {
    /// First node of each lane of each slot (`level × 64 + slot`), or
    /// `NIL`.
    heads: Box<[[u32; LANES]]>,
    /// Bit `l` of `lanes[level × 64 + slot]` is set iff lane `l` of the
    /// slot is not empty (kept apart from `heads` so that telling whether a
    /// slot emptied reads no head just written).
    lanes: Box<[u8]>,
    /// Bit `s` of `occupied[l]` is set iff slot `s` of level `l` holds a
    /// node.
    occupied: [u64; LEVELS],
    /// Bit `l` is set iff `occupied[l]` is not zero.
    levels: u16,
}

impl Lists {
    /// Empty lists.
    pub(super) fn new() -> Self {
        Lists {
            heads: vec![[NIL; LANES]; LEVELS * SLOTS].into_boxed_slice(),
            lanes: vec![0; LEVELS * SLOTS].into_boxed_slice(),
            occupied: [0; LEVELS],
            levels: 0,
        }
    }

    /// The first node of each lane of a slot (`NIL` for an empty lane).
    #[inline(always)]
    pub(super) fn heads(&self, level: usize, slot: usize) -> [u32; LANES] {
        self.heads[level * SLOTS + slot]
    }

    /// Bit `l` is set iff lane `l` of a slot is not empty.
    #[inline(always)]
    pub(super) fn lanes(&self, level: usize, slot: usize) -> u8 {
        self.lanes[level * SLOTS + slot]
    }

    /// Links the unlinked node `index` at the front of its lane of a slot.
    #[inline(always)]
    pub(super) fn push<T>(&mut self, nodes: &mut [Node<T>], index: u32, level: usize, slot: usize) {
        let at = level * SLOTS + slot;
        let lane = index as usize % LANES;
        let head = self.heads[at][lane];
        let node = &mut nodes[index as usize];
        node.prev = HEAD + (at * LANES + lane) as u32;
        node.next = head;
        if head != NIL {
            nodes[head as usize].prev = index;
        } else {
            self.lanes[at] |= 1 << lane;
        }
        self.heads[at][lane] = index;
        self.occupied[level] |= 1 << slot;
        self.levels |= 1 << level;
    }

    /// Takes the first node of a lane of a slot out of its list, given its
    /// `next`; the slot stays marked occupied (see [`Lists::vacate`]).
    #[inline(always)]
    pub(super) fn pop<T>(
        &mut self,
        nodes: &mut [Node<T>],
        level: usize,
        slot: usize,
        lane: usize,
        next: u32,
    ) {
        let at = level * SLOTS + slot;
        self.heads[at][lane] = next;
        if next != NIL {
            nodes[next as usize].prev = HEAD + (at * LANES + lane) as u32;
        } else {
            self.lanes[at] &= !(1 << lane);
        }
    }

    /// Marks a slot whose lanes [`Lists::pop`] emptied as empty.
    #[inline(always)]
    pub(super) fn vacate(&mut self, level: usize, slot: usize) {
        debug_assert_eq!(self.heads(level, slot), [NIL; LANES]);
        debug_assert_eq!(self.lanes[level * SLOTS + slot], 0);
        self.empty_slot(level, slot);
    }

    /// Takes the linked node `index` out of its list.
    #[inline(always)]
    pub(super) fn unlink<T>(&mut self, nodes: &mut [Node<T>], index: u32) {
        let node = &nodes[index as usize];
        let (prev, next) = (node.prev, node.next);
        if prev >= HEAD {
            let list = (prev - HEAD) as usize;
            let (at, lane) = (list / LANES, list % LANES);
            self.heads[at][lane] = next;
            if next == NIL {
                self.lanes[at] &= !(1 << lane);
                if self.lanes[at] == 0 {
                    self.empty_slot(at / SLOTS, at % SLOTS);
                }
            }
        } else {
            nodes[prev as usize].next = next;
        }
        if next != NIL {
            nodes[next as usize].prev = prev;
        }
    }

    /// The non-empty slot that starts first, seen from tick `cur`: `(level,
    /// slot, start tick)`.
    #[inline]
    pub(super) fn first(&self, cur: u64) -> Option<(usize, usize, u64)> {
        // The lowest non-empty level holds the earliest ticks...
        let lowest = self.levels.trailing_zeros() as usize;
        let occupied = *self.occupied.get(lowest)?;
        let here = slot(cur, lowest);
        // Slots behind the wheel's digit are empty by construction.
        debug_assert_eq!(occupied & !(u64::MAX << here), 0);
        let ahead = occupied & (u64::MAX << here);
        let bits = if ahead != 0 { ahead } else { occupied };
        let first = bits.trailing_zeros() as usize;
        let mut best = (lowest, first, slot_start(cur, lowest, first));
        // ...except a slot of a higher level that the wheel has entered but
        // not finished cascading: it starts at or before `cur`.
        let mut above = self.levels & !((2 << lowest) - 1);
        while above != 0 {
            let level = above.trailing_zeros() as usize;
            above &= above - 1;
            let here = slot(cur, level);
            if self.occupied[level] >> here & 1 != 0 {
                let start = slot_start(cur, level, here);
                if start < best.2 {
                    best = (level, here, start);
                }
            }
        }
        Some(best)
    }

    /// Marks a slot empty in the bitmaps.
    #[inline(always)]
    fn empty_slot(&mut self, level: usize, slot: usize) {
        self.occupied[level] &= !(1 << slot);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
    }
}

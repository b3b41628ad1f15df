//! TIME-WAIT expiries in deadline order: a FIFO of (four-tuple, deadline)
//! instead of a timer per record. Every record enters TIME-WAIT with the
//! same lifetime (2·MSL, RFC 9293 §3.10.7.4) counted from now, so records
//! expire in the order they were inserted: pushing at the back and popping
//! due entries at the front keeps them sorted, costs a sequential write per
//! record and no timer-wheel node, and never cascades. A generator holds
//! millions of such records (one per connection it closed in the last
//! 2·MSL); a wheel timer per record would be most of its timer work.
//!
//! Rules: a push whose deadline is earlier than the back's (the lifetime
//! changed, time went back) or that finds the queue at its bound is
//! refused, and the caller arms a wheel timer for that record instead, so
//! the queue stays sorted and bounded. An entry may outlive its record (an
//! RST ended it, a SYN reopened it) or be overtaken by a later deadline
//! (the timer was restarted): the endpoint checks the record when the
//! entry is due, and the entry alone never ends anything.
//!
//! Storage: blocks of `BLOCK` entries in a ring of blocks, emptied blocks
//! kept for reuse. A queue that outgrows its blocks allocates one more
//! block, never a copy of the whole queue: a server whose TIME-WAIT
//! population climbs to millions under open-loop load would otherwise
//! stop for the copy (tens of milliseconds) while its receive ring
//! overflows.

use crate::flow::FourTuple;
use crate::wire::{Family, V4};
use std::collections::VecDeque;

/// Entries per block (24 bytes each: 96 KiB a block).
const BLOCK: usize = 4096;

type Entry<A> = (FourTuple<A>, u64);

/// Deadline-ordered TIME-WAIT expiries, at most `bound` of them (0 until
/// `set_bound`).
#[derive(Debug, Default)]
pub(crate) struct ExpiryQueue<A = V4> {
    /// Blocks in order; the front's entries before `head` are taken. A
    /// block in the ring is never empty past `head`.
    blocks: VecDeque<Vec<Entry<A>>>,
    head: usize,
    len: usize,
    /// Emptied blocks (capacity `BLOCK`), for the next pushes.
    spare: Vec<Vec<Entry<A>>>,
    bound: usize,
}

impl<A: Family> ExpiryQueue<A> {
    /// Entries queued (records whose expiry is pending, and stale entries).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Sets the most entries held (entries already queued stay).
    pub(crate) fn set_bound(&mut self, bound: usize) {
        self.bound = bound;
    }

    /// Makes room for `entries` (capped by the bound) so that pushes do not
    /// allocate until they are exceeded.
    pub(crate) fn reserve(&mut self, entries: usize) {
        let wanted = entries.min(self.bound).div_ceil(BLOCK) + 1;
        let have = self.blocks.len() + self.spare.len();
        self.blocks.reserve(wanted);
        self.spare.reserve(wanted);
        for _ in have..wanted {
            self.spare.push(Vec::with_capacity(BLOCK));
        }
    }

    /// Queues the expiry of `tuple` at `deadline`; `false` (nothing
    /// queued) when the queue is at its bound or `deadline` is earlier
    /// than the last one queued.
    #[inline]
    pub(crate) fn push(&mut self, tuple: FourTuple<A>, deadline: u64) -> bool {
        let back = self.blocks.back().and_then(|b| b.last());
        if self.len >= self.bound || back.is_some_and(|&(_, last)| deadline < last) {
            return false;
        }
        match self.blocks.back_mut() {
            Some(b) if b.len() < BLOCK => b.push((tuple, deadline)),
            _ => self.push_block((tuple, deadline)),
        }
        self.len += 1;
        true
    }

    /// Starts a block with `e` (a spare one when there is one).
    #[cold]
    fn push_block(&mut self, e: Entry<A>) {
        let mut b = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK));
        b.push(e);
        self.blocks.push_back(b);
    }

    /// The earliest deadline queued.
    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.blocks.front().map(|b| b[self.head].1)
    }

    /// Takes the front entry if it is due at `now`.
    #[inline]
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<Entry<A>> {
        let front = self.blocks.front()?;
        let e = front[self.head];
        if e.1 > now {
            return None;
        }
        self.head += 1;
        self.len -= 1;
        if self.head == front.len() {
            self.retire_front();
        }
        Some(e)
    }

    /// Moves the used-up front block to the spares.
    #[cold]
    fn retire_front(&mut self) {
        if let Some(mut b) = self.blocks.pop_front() {
            b.clear();
            self.spare.push(b);
        }
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(bound: usize) -> ExpiryQueue {
        let mut q = ExpiryQueue::default();
        q.set_bound(bound);
        q
    }

    fn tuple(port: u16) -> FourTuple {
        FourTuple {
            local_ip: [10, 0, 0, 1],
            remote_ip: [10, 0, 0, 2],
            local_port: port,
            remote_port: 80,
        }
    }

    #[test]
    fn pops_due_entries_in_order() {
        let mut q = queue(8);
        assert!(q.push(tuple(1), 10));
        assert!(q.push(tuple(2), 10));
        assert!(q.push(tuple(3), 20));
        assert_eq!(q.next_deadline(), Some(10));
        assert_eq!(q.pop_due(9), None);
        assert_eq!(q.pop_due(10), Some((tuple(1), 10)));
        assert_eq!(q.pop_due(15), Some((tuple(2), 10)));
        assert_eq!(q.pop_due(15), None);
        assert_eq!(q.next_deadline(), Some(20));
        assert_eq!(q.pop_due(u64::MAX), Some((tuple(3), 20)));
        assert_eq!(q.next_deadline(), None);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn refuses_out_of_order_and_beyond_bound() {
        let mut q = queue(2);
        assert!(q.push(tuple(1), 10));
        assert!(!q.push(tuple(2), 9), "earlier than the back");
        assert!(q.push(tuple(2), 10));
        assert!(!q.push(tuple(3), 11), "at the bound");
        assert_eq!(q.len(), 2);
        q.set_bound(3);
        assert!(q.push(tuple(3), 11));
        q.set_bound(0);
        assert_eq!(
            q.pop_due(10),
            Some((tuple(1), 10)),
            "shrinking keeps entries"
        );
    }

    #[test]
    fn reserve_is_capped_by_the_bound() {
        let mut q = queue(100);
        q.reserve(1 << 40);
        assert_eq!(q.spare.len(), 2);
        let mut q = queue(3 * BLOCK);
        q.reserve(1 << 20);
        assert_eq!(q.spare.len(), 4);
    }

    #[test]
    fn many_blocks_keep_the_order_and_reuse_their_storage() {
        let mut q = queue(usize::MAX);
        q.reserve(3 * BLOCK);
        let spares = q.spare.len();
        let n = 3 * BLOCK as u64 + 17;
        for i in 0..n {
            assert!(q.push(tuple(i as u16), i / 3));
        }
        assert_eq!(q.len(), n as usize);
        assert_eq!(q.blocks.len(), 4);
        for i in 0..n {
            assert_eq!(q.next_deadline(), Some(i / 3));
            assert_eq!(q.pop_due(i / 3), Some((tuple(i as u16), i / 3)), "{i}");
        }
        assert_eq!(
            (q.len(), q.next_deadline(), q.pop_due(u64::MAX)),
            (0, None, None)
        );
        // Every block came back for reuse; nothing was allocated beyond them.
        assert_eq!(q.spare.len(), spares);
        assert!(
            q.spare
                .iter()
                .all(|b| b.is_empty() && b.capacity() == BLOCK)
        );
        // A push after the queue emptied starts from a spare block.
        assert!(q.push(tuple(1), 5));
        assert_eq!(q.spare.len(), spares - 1);
        assert_eq!(q.pop_due(5), Some((tuple(1), 5)));
    }
}

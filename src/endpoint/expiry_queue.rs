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

use crate::flow::FourTuple;
use std::collections::VecDeque;

/// Deadline-ordered TIME-WAIT expiries, at most `bound` of them (0 until
/// `set_bound`).
#[derive(Debug, Default)]
pub(crate) struct ExpiryQueue {
    entries: VecDeque<(FourTuple, u64)>,
    bound: usize,
}

impl ExpiryQueue {
    /// Entries queued (records whose expiry is pending, and stale entries).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Sets the most entries held (entries already queued stay).
    pub(crate) fn set_bound(&mut self, bound: usize) {
        self.bound = bound;
    }

    /// Makes room for `entries` (capped by the bound) so that pushes do not
    /// allocate until they are exceeded.
    pub(crate) fn reserve(&mut self, entries: usize) {
        let wanted = entries.min(self.bound);
        self.entries
            .reserve(wanted.saturating_sub(self.entries.len()));
    }

    /// Queues the expiry of `tuple` at `deadline`; `false` (nothing
    /// queued) when the queue is at its bound or `deadline` is earlier
    /// than the last one queued.
    #[inline]
    pub(crate) fn push(&mut self, tuple: FourTuple, deadline: u64) -> bool {
        if self.entries.len() >= self.bound
            || self
                .entries
                .back()
                .is_some_and(|&(_, last)| deadline < last)
        {
            return false;
        }
        self.entries.push_back((tuple, deadline));
        true
    }

    /// The earliest deadline queued.
    #[inline]
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.entries.front().map(|&(_, d)| d)
    }

    /// Takes the front entry if it is due at `now`.
    #[inline]
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(FourTuple, u64)> {
        match self.entries.front() {
            Some(&(_, d)) if d <= now => self.entries.pop_front(),
            _ => None,
        }
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
        assert!(q.entries.capacity() >= 100);
        assert!(q.entries.capacity() < 1 << 20);
    }
}

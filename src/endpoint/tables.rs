//! The connection and TIME-WAIT tables of one endpoint, sharing one
//! randomly keyed hasher, so a frame's four-tuple is hashed once for both
//! lookups (and for the insert or remove that may follow). Both are
//! `ProbeTable`s: open addressing whose home slot can be prefetched from
//! the hash, and which grows a slice per insert instead of stopping the
//! worker to rehash (a server under open-loop load can hold hundreds of
//! thousands of live records, a generator millions of TIME-WAIT ones). Each
//! entry keeps its record's timer handle beside the record, so arming,
//! moving and cancelling the timer costs no second lookup. TIME-WAIT
//! records are expired through a deadline-ordered queue (`ExpiryQueue`)
//! and get a wheel timer only when the queue refuses them or their
//! deadline moves.

use super::expiry_queue::ExpiryQueue;
use super::probe_table::ProbeTable;
use super::slot::{Slot, arm_new};
use crate::flow::FourTuple;
use crate::tcp::{Tcb, TimeWait};
use crate::timer::TimerWheel;
use crate::wire::{Family, V4};
use core::hash::BuildHasher;
use hashbrown::DefaultHashBuilder;

/// Live connection records and TIME-WAIT records, keyed by four-tuple.
#[derive(Debug)]
pub(crate) struct Tables<A = V4> {
    hasher: DefaultHashBuilder,
    /// Live connections.
    pub(crate) conns: ProbeTable<Tcb, A>,
    /// TIME-WAIT records.
    pub(crate) time_wait: ProbeTable<TimeWait, A>,
    /// The TIME-WAIT records' expiries, in deadline order.
    pub(crate) tw_expiry: ExpiryQueue<A>,
}

impl<A: Family> Default for Tables<A> {
    fn default() -> Self {
        Tables {
            hasher: DefaultHashBuilder::default(),
            conns: ProbeTable::sparse(),
            time_wait: ProbeTable::default(),
            tw_expiry: ExpiryQueue::default(),
        }
    }
}

impl<A: Family> Tables<A> {
    /// Makes room for `connections` live records and `time_wait`
    /// TIME-WAIT records, so that neither table grows (no allocation, no
    /// rehash pause) until they are exceeded.
    pub(crate) fn reserve(&mut self, connections: usize, time_wait: usize) {
        self.conns.reserve(connections);
        self.time_wait.reserve(time_wait);
        self.tw_expiry.reserve(time_wait);
    }

    /// Doublings of both tables while in use, and those that stopped the
    /// worker (`ProbeTable::growths`).
    pub(crate) fn growths(&self) -> (u64, u64) {
        let (a, b) = (self.conns.growths(), self.time_wait.growths());
        (a.0 + b.0, a.1 + b.1)
    }

    /// The hash of `t`, for the tables' calls.
    #[inline]
    pub(crate) fn hash(&self, t: &FourTuple<A>) -> u64 {
        self.hasher.hash_one(t)
    }

    /// Inserts a connection for a tuple that has none, with its timer.
    #[inline]
    pub(crate) fn insert_conn(
        &mut self,
        h: u64,
        t: FourTuple<A>,
        value: Tcb,
        wheel: &mut TimerWheel<FourTuple<A>>,
    ) {
        let timer = arm_new(wheel, &t, value.deadline());
        self.conns.insert_unique(h, t, Slot { value, timer });
    }

    /// Inserts a TIME-WAIT record for a tuple that has none, its expiry
    /// queued (or, when the queue refuses it, a wheel timer armed).
    #[inline]
    pub(crate) fn insert_time_wait(
        &mut self,
        h: u64,
        t: FourTuple<A>,
        value: TimeWait,
        wheel: &mut TimerWheel<FourTuple<A>>,
    ) {
        let deadline = value.deadline();
        let timer = if self.tw_expiry.push(t, deadline) {
            None
        } else {
            arm_new(wheel, &t, deadline)
        };
        self.time_wait.insert_unique(h, t, Slot { value, timer });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::V6;

    /// The per-connection records of both families: an IPv4 tuple is 12
    /// bytes, an IPv6 one 36, and the entries grow by those 24 bytes
    /// (rounded to their alignment) and no more.
    #[test]
    fn record_sizes_per_family() {
        let live = (
            size_of::<(FourTuple, Slot<Tcb>)>(),
            size_of::<(FourTuple<V6>, Slot<Tcb>)>(),
        );
        assert_eq!(live, (88, 112));
        let time_wait = (
            size_of::<(FourTuple, Slot<TimeWait>)>(),
            size_of::<(FourTuple<V6>, Slot<TimeWait>)>(),
        );
        assert_eq!(time_wait, (48, 72));
        assert_eq!(
            (size_of::<FourTuple>(), size_of::<FourTuple<V6>>()),
            (12, 36)
        );
    }
}

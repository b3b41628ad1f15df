//! The connection and TIME-WAIT tables of one endpoint, sharing one
//! randomly keyed hasher, so a frame's four-tuple is hashed once for both
//! lookups (and for the insert or remove that may follow): live records in
//! a `hashbrown` table, TIME-WAIT records (millions on a generator) in a
//! `ProbeTable` whose home slot can be prefetched from the hash. Each
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
use hashbrown::{DefaultHashBuilder, HashTable};

/// One table of records keyed by four-tuple; every call takes the hash.
#[derive(Debug)]
pub(crate) struct Table<V, A = V4>(HashTable<(FourTuple<A>, Slot<V>)>);

impl<V, A: Family> Default for Table<V, A> {
    fn default() -> Self {
        Table(HashTable::new())
    }
}

impl<V, A: Family> Table<V, A> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    pub(crate) fn get(&self, h: u64, t: &FourTuple<A>) -> Option<&V> {
        self.0.find(h, |e| e.0 == *t).map(|e| &e.1.value)
    }

    #[inline]
    pub(crate) fn slot_mut(&mut self, h: u64, t: &FourTuple<A>) -> Option<&mut Slot<V>> {
        self.0.find_mut(h, |e| e.0 == *t).map(|e| &mut e.1)
    }

    /// The four-tuples of every record, listed into a new vector.
    pub(crate) fn tuples(&self) -> Vec<FourTuple<A>> {
        self.0.iter().map(|e| e.0).collect()
    }

    /// Removes and returns the record of `t` with its timer handle.
    #[inline]
    pub(crate) fn remove(&mut self, h: u64, t: &FourTuple<A>) -> Option<Slot<V>> {
        let entry = self.0.find_entry(h, |e| e.0 == *t).ok()?;
        Some(entry.remove().0.1)
    }
}

/// Live connection records and TIME-WAIT records, keyed by four-tuple.
#[derive(Debug)]
pub(crate) struct Tables<A = V4> {
    hasher: DefaultHashBuilder,
    /// Live connections.
    pub(crate) conns: Table<Tcb, A>,
    /// TIME-WAIT records.
    pub(crate) time_wait: ProbeTable<TimeWait, A>,
    /// The TIME-WAIT records' expiries, in deadline order.
    pub(crate) tw_expiry: ExpiryQueue<A>,
}

impl<A: Family> Default for Tables<A> {
    fn default() -> Self {
        Tables {
            hasher: DefaultHashBuilder::default(),
            conns: Table::default(),
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
        let hasher = &self.hasher;
        let more = connections.saturating_sub(self.conns.len());
        self.conns.0.reserve(more, |e| hasher.hash_one(e.0));
        self.time_wait.reserve(time_wait);
        self.tw_expiry.reserve(time_wait);
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
        let hasher = &self.hasher;
        self.conns
            .0
            .insert_unique(h, (t, Slot { value, timer }), |e| hasher.hash_one(e.0));
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

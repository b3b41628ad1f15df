//! The connection and TIME-WAIT tables of one endpoint: two `hashbrown`
//! tables sharing one randomly keyed hasher, so a frame's four-tuple is
//! hashed once for both lookups (and for the insert or remove that may
//! follow). Each entry keeps its record's timer handle beside the record,
//! so arming, moving and cancelling the timer costs no second lookup.

use crate::flow::FourTuple;
use crate::tcp::{Tcb, TimeWait};
use crate::timer::TimerId;
use core::hash::BuildHasher;
use hashbrown::{DefaultHashBuilder, HashTable};

/// A record and the handle of its timer in the endpoint's wheel (`None`:
/// no timer armed).
#[derive(Debug)]
pub(crate) struct Slot<V> {
    pub(crate) value: V,
    pub(crate) timer: Option<TimerId>,
}

/// One table of records keyed by four-tuple; every call takes the hash.
#[derive(Debug)]
pub(crate) struct Table<V>(HashTable<(FourTuple, Slot<V>)>);

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table(HashTable::new())
    }
}

impl<V> Table<V> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    pub(crate) fn get(&self, h: u64, t: &FourTuple) -> Option<&V> {
        self.0.find(h, |e| e.0 == *t).map(|e| &e.1.value)
    }

    #[inline]
    pub(crate) fn slot_mut(&mut self, h: u64, t: &FourTuple) -> Option<&mut Slot<V>> {
        self.0.find_mut(h, |e| e.0 == *t).map(|e| &mut e.1)
    }

    /// Removes and returns the record of `t` with its timer handle.
    #[inline]
    pub(crate) fn remove(&mut self, h: u64, t: &FourTuple) -> Option<Slot<V>> {
        let entry = self.0.find_entry(h, |e| e.0 == *t).ok()?;
        Some(entry.remove().0.1)
    }
}

/// Live connection records and TIME-WAIT records, keyed by four-tuple.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    hasher: DefaultHashBuilder,
    /// Live connections.
    pub(crate) conns: Table<Tcb>,
    /// TIME-WAIT records.
    pub(crate) time_wait: Table<TimeWait>,
}

impl Tables {
    /// The hash of `t`, for the tables' calls.
    #[inline]
    pub(crate) fn hash(&self, t: &FourTuple) -> u64 {
        self.hasher.hash_one(t)
    }

    /// Inserts a connection for a tuple that has none.
    #[inline]
    pub(crate) fn insert_conn(&mut self, h: u64, t: FourTuple, value: Tcb, timer: Option<TimerId>) {
        let hasher = &self.hasher;
        self.conns
            .0
            .insert_unique(h, (t, Slot { value, timer }), |e| hasher.hash_one(e.0));
    }

    /// Inserts a TIME-WAIT record for a tuple that has none.
    #[inline]
    pub(crate) fn insert_time_wait(
        &mut self,
        h: u64,
        t: FourTuple,
        value: TimeWait,
        timer: Option<TimerId>,
    ) {
        let hasher = &self.hasher;
        self.time_wait
            .0
            .insert_unique(h, (t, Slot { value, timer }), |e| hasher.hash_one(e.0));
    }
}

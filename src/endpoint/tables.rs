//! The connection and TIME-WAIT tables of one endpoint: two `hashbrown`
//! tables sharing one randomly keyed hasher, so a frame's four-tuple is
//! hashed once for both lookups (and for the insert or remove that may
//! follow).

use crate::flow::FourTuple;
use crate::tcp::{Tcb, TimeWait};
use core::hash::BuildHasher;
use hashbrown::{DefaultHashBuilder, HashTable};

/// Live connection records and TIME-WAIT records, keyed by four-tuple.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    hasher: DefaultHashBuilder,
    conns: HashTable<(FourTuple, Tcb)>,
    time_wait: HashTable<(FourTuple, TimeWait)>,
}

impl Tables {
    /// The hash of `t`, for the other calls.
    #[inline]
    pub(crate) fn hash(&self, t: &FourTuple) -> u64 {
        self.hasher.hash_one(t)
    }

    #[inline]
    pub(crate) fn conns(&self) -> usize {
        self.conns.len()
    }

    #[inline]
    pub(crate) fn time_waits(&self) -> usize {
        self.time_wait.len()
    }

    #[inline]
    pub(crate) fn conn(&self, h: u64, t: &FourTuple) -> Option<&Tcb> {
        self.conns.find(h, |e| e.0 == *t).map(|e| &e.1)
    }

    #[inline]
    pub(crate) fn conn_mut(&mut self, h: u64, t: &FourTuple) -> Option<&mut Tcb> {
        self.conns.find_mut(h, |e| e.0 == *t).map(|e| &mut e.1)
    }

    /// Inserts a record for a tuple that has none.
    #[inline]
    pub(crate) fn insert_conn(&mut self, h: u64, t: FourTuple, tcb: Tcb) {
        let hasher = &self.hasher;
        self.conns
            .insert_unique(h, (t, tcb), |e| hasher.hash_one(e.0));
    }

    #[inline]
    pub(crate) fn remove_conn(&mut self, h: u64, t: &FourTuple) -> Option<Tcb> {
        let entry = self.conns.find_entry(h, |e| e.0 == *t).ok()?;
        Some(entry.remove().0.1)
    }

    #[inline]
    pub(crate) fn time_wait(&self, h: u64, t: &FourTuple) -> Option<&TimeWait> {
        self.time_wait.find(h, |e| e.0 == *t).map(|e| &e.1)
    }

    #[inline]
    pub(crate) fn time_wait_mut(&mut self, h: u64, t: &FourTuple) -> Option<&mut TimeWait> {
        self.time_wait.find_mut(h, |e| e.0 == *t).map(|e| &mut e.1)
    }

    /// Inserts a TIME-WAIT record for a tuple that has none.
    #[inline]
    pub(crate) fn insert_time_wait(&mut self, h: u64, t: FourTuple, tw: TimeWait) {
        let hasher = &self.hasher;
        self.time_wait
            .insert_unique(h, (t, tw), |e| hasher.hash_one(e.0));
    }

    #[inline]
    pub(crate) fn remove_time_wait(&mut self, h: u64, t: &FourTuple) -> Option<TimeWait> {
        let entry = self.time_wait.find_entry(h, |e| e.0 == *t).ok()?;
        Some(entry.remove().0.1)
    }
}

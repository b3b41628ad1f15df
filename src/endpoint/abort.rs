//! Ending every live connection at once: what a generator does between
//! two steps of a search (`engine::search_gen`), so that a step's
//! stragglers (SYNs a device dropped, exchanges it stalled) neither count
//! in the next step nor hold its source pairs.
//!
//! Rules: the application's ABORT of RFC 9293 §3.10.5 for each record
//! (RST in synchronized states and SYN-RECEIVED; a record in SYN-SENT is
//! deleted silently); each ends as `End::ResetSent`, is counted, and
//! releases its tuple. Not for the per-frame path: the tuples are listed
//! into a new vector.

use super::state::Endpoint;
use crate::flow::FourTuple;
use crate::wire::Family;

impl<A: Family> Endpoint<A> {
    /// The four-tuples of every live record.
    pub fn live_tuples(&self) -> Vec<FourTuple<A>> {
        self.tables.conns.tuples()
    }

    /// Aborts the live connection on `tuple` at `now`, its RST (if any)
    /// passed to `tx`. False when there is none.
    pub fn abort(&mut self, tuple: &FourTuple<A>, now: u64, tx: &mut impl FnMut(&[u8])) -> bool {
        let h = self.tables.hash(tuple);
        let Some(slot) = self.tables.conns.slot_mut(h, tuple) else {
            return false;
        };
        let out = slot.value.abort(&mut self.ctx, tuple, now);
        self.counters.add_events(out.events);
        if let Some(end) = out.end {
            self.ended(h, tuple, end, now);
        }
        if let Some(r) = out.reply {
            self.send(tuple, &r, tx);
        }
        true
    }
}

//! Expiring timers: the wheel's (retransmissions with backoff, FIN-WAIT-2,
//! idle records, restarted TIME-WAITs) and the TIME-WAIT expiry queue's
//! (2·MSL), in batches; and, with TIME-WAIT reuse, handing back the tuples
//! whose record of ours has become old enough to replace.
//!
//! Rules: bounded work per wheel call (`EXPIRE_BATCH`); a timer that fires
//! before its record's deadline (a lazy restart) is armed again, nothing
//! else; the lists keep their capacity (taken and put back, never freed).

use super::state::{EXPIRE_BATCH, Endpoint};
use crate::flow::FourTuple;
use crate::wire::Family;

impl<A: Family> Endpoint<A> {
    /// Expires every timer due at `now`: retransmissions go to `tx`, ended
    /// records and expired TIME-WAIT records are removed. The wheel and the
    /// TIME-WAIT expiry queue are drained in batches of `EXPIRE_BATCH`.
    pub fn expire<T: FnMut(&[u8])>(&mut self, now: u64, tx: &mut T) {
        self.expire_wheel(now, tx);
        self.expire_time_wait(now);
        self.release_reusable(now);
        self.note_growths();
    }

    /// With TIME-WAIT reuse: hands back the tuples whose record of ours
    /// has become old enough to replace (still that record: not ended,
    /// not replaced already).
    fn release_reusable(&mut self, now: u64) {
        while let Some(&(at, deadline, tuple)) = self.tw_reusable.front() {
            if at > now {
                break;
            }
            self.tw_reusable.pop_front();
            let h = self.tables.hash(&tuple);
            if self
                .tables
                .time_wait
                .get(h, &tuple)
                .is_some_and(|tw| tw.deadline() == deadline)
            {
                self.release(&tuple);
            }
        }
    }

    /// Fires the wheel's timers due at `now`.
    fn expire_wheel<T: FnMut(&[u8])>(&mut self, now: u64, tx: &mut T) {
        // The list keeps its capacity: taken and put back, never freed.
        let mut fired = std::mem::take(&mut self.fired);
        loop {
            fired.clear();
            let n = self
                .timers
                .expire(now, EXPIRE_BATCH, |tuple, _| fired.push(tuple));
            for tuple in &fired {
                self.on_fired(tuple, now, tx);
            }
            if n < EXPIRE_BATCH {
                break;
            }
        }
        fired.clear();
        self.fired = fired;
    }

    /// Takes the queued TIME-WAIT expiries due at `now`, a batch at a time:
    /// the batch's tuples are hashed and their slots asked for first, so
    /// the cache misses of the batch overlap.
    fn expire_time_wait(&mut self, now: u64) {
        let mut due = std::mem::take(&mut self.due);
        loop {
            due.clear();
            while due.len() < EXPIRE_BATCH
                && let Some((tuple, deadline)) = self.tables.tw_expiry.pop_due(now)
            {
                let h = self.tables.hash(&tuple);
                self.tables.time_wait.prefetch(h);
                due.push((h, tuple, deadline));
            }
            for (h, tuple, deadline) in &due {
                self.on_queued_expiry(*h, tuple, *deadline);
            }
            if due.len() < EXPIRE_BATCH {
                break;
            }
        }
        due.clear();
        self.due = due;
    }

    /// The queued expiry of `tuple` at `deadline` is due. The record goes
    /// unless it is gone already or its deadline moved later (restarted:
    /// its wheel timer ends it).
    fn on_queued_expiry(&mut self, h: u64, tuple: &FourTuple<A>, deadline: u64) {
        let Some(slot) = self.tables.time_wait.slot_mut(h, tuple) else {
            return;
        };
        if slot.value.deadline() <= deadline {
            self.time_wait_expired(h, tuple);
        }
    }

    /// The timer of the record at `tuple` fired (its handle is spent).
    fn on_fired<T: FnMut(&[u8])>(&mut self, tuple: &FourTuple<A>, now: u64, tx: &mut T) {
        let h = self.tables.hash(tuple);
        if let Some(slot) = self.tables.conns.slot_mut(h, tuple) {
            slot.timer = None;
            let out = slot.value.on_timer(&mut self.ctx, &self.app, tuple, now);
            self.counters.add_events(out.events);
            match out.end {
                None => {
                    slot.sync_timer(&mut self.timers, tuple);
                    if slot.value.wants_to_send() {
                        self.note_sender(tuple);
                    }
                }
                Some(end) => self.ended(h, tuple, end, now),
            }
            if let Some(r) = out.reply {
                self.send(tuple, &r, tx);
            }
        } else if let Some(slot) = self.tables.time_wait.slot_mut(h, tuple) {
            slot.timer = None;
            if slot.value.expired(now) {
                self.time_wait_expired(h, tuple);
            } else {
                slot.sync_timer(&mut self.timers, tuple);
            }
        }
    }
}

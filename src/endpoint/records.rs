//! How a record ends: counted by how it ended (and by template), its
//! lifetime recorded, its timer cancelled, moved into TIME-WAIT when that
//! is how it ended, its tuple released when its last record is gone.
//!
//! Rules: the TIME-WAIT table's limit holds (beyond it a connection skips
//! TIME-WAIT and is counted, as Linux's `tcp_max_tw_buckets`); with
//! TIME-WAIT reuse, a record of ours that used timestamps is queued to be
//! handed back early (RFC 6191).

use super::state::Endpoint;
use crate::app::Canned;
use crate::flow::FourTuple;
use crate::tcp::End;
use crate::wire::Family;

impl<A: Family> Endpoint<A> {
    /// The live record at `tuple` (hash `h`) ended with `end`: counted,
    /// removed with its timer, and moved to TIME-WAIT when that is how it
    /// ended (unless the TIME-WAIT table is full).
    pub(super) fn ended(&mut self, h: u64, tuple: &FourTuple<A>, end: End, now: u64) {
        let Some(slot) = self.tables.conns.remove(h, tuple) else {
            self.counters.add_end(end);
            return;
        };
        self.counters
            .add_end_of(end, Canned::template(slot.value.app_state()));
        let lifetime = slot.value.age(now);
        self.latency.lifetime(lifetime);
        if let Some(id) = slot.timer {
            self.timers.cancel(id);
        }
        if end != End::TimeWait {
            self.release(tuple);
            return;
        }
        if self.tables.time_wait.len() >= self.cfg.max_time_wait {
            // Like Linux's tcp_max_tw_buckets: close without TIME-WAIT.
            self.counters.drop_time_wait_full += 1;
            self.release(tuple);
            return;
        }
        let tw = slot.value.to_time_wait(&self.ctx, now);
        if self.cfg.time_wait_reuse_us > 0 && tw.timestamps_ok() && self.cfg.report_released {
            self.tw_reusable.push_back((
                now.saturating_add(self.cfg.time_wait_reuse_us),
                tw.deadline(),
                *tuple,
            ));
        }
        self.tables
            .insert_time_wait(h, *tuple, tw, &mut self.timers);
    }

    /// Removes the TIME-WAIT record at `tuple` with its timer.
    pub(super) fn remove_time_wait(&mut self, h: u64, tuple: &FourTuple<A>) {
        if let Some(Some(id)) = self.tables.time_wait.remove(h, tuple).map(|s| s.timer) {
            self.timers.cancel(id);
        }
    }

    /// The TIME-WAIT record at `tuple` expired: removed with its timer,
    /// counted, its tuple released.
    pub(super) fn time_wait_expired(&mut self, h: u64, tuple: &FourTuple<A>) {
        self.remove_time_wait(h, tuple);
        self.counters.time_wait_expired += 1;
        self.release(tuple);
    }
}

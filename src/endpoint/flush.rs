//! Sending what the send window allows beyond the one segment that
//! answers each received frame in place: connections that still have
//! room (`Tcb::wants_to_send`) are noted as frames are handled, and
//! `flush` sends their further segments into fresh transmit frames.
//!
//! Rules: bounded work per call (`FLUSH_BUDGET` segments, `BURST_PER_CONN`
//! per connection; a connection with more left is visited again on the
//! next call); a segment is taken from the record only once a transmit
//! frame holds it (the record is put back as it was when the caller has
//! no frame, so nothing is lost to a full ring); the list keeps its
//! capacity (taken and put back).

use super::state::{Endpoint, FLUSH_BUDGET};
use crate::flow::FourTuple;
use crate::wire::Family;

/// Most connections noted as having more to send.
const MAX_SENDERS: usize = 1 << 16;

/// Most segments one connection sends per `flush` (a burst of the
/// window, RFC 5681 §4.1's concern with line-rate bursts).
const BURST_PER_CONN: usize = 64;

impl<A: Family> Endpoint<A> {
    /// Notes `tuple` (a live record) as having more to send: once per
    /// run of frames of the same connection, and not beyond
    /// `MAX_SENDERS` (a connection left out still sends a segment per
    /// ACK, and is noted again by the next one).
    #[inline]
    pub(super) fn note_sender(&mut self, tuple: &FourTuple<A>) {
        if self.senders.last() != Some(tuple) && self.senders.len() < MAX_SENDERS {
            self.senders.push(*tuple);
        }
    }

    /// Sends the further segments the send window allows of the
    /// connections noted since the last call, each through `tx` (which
    /// returns false when it has no transmit frame: sending stops there
    /// and resumes at the next call).
    #[inline]
    pub fn flush<T: FnMut(&[u8]) -> bool>(&mut self, now: u64, tx: &mut T) {
        if !self.senders.is_empty() {
            self.flush_senders(now, tx);
        }
    }

    /// `flush` with connections noted.
    #[inline(never)]
    fn flush_senders<T: FnMut(&[u8]) -> bool>(&mut self, now: u64, tx: &mut T) {
        let mut list = std::mem::take(&mut self.senders);
        let mut budget = FLUSH_BUDGET;
        let mut keep = 0;
        for i in 0..list.len() {
            let tuple = list[i];
            let more = budget > 0 && self.flush_one(&tuple, now, &mut budget, tx);
            let more = more || (budget == 0 && self.still_sending(&tuple));
            if more && (keep == 0 || list[keep - 1] != tuple) {
                list[keep] = tuple;
                keep += 1;
            }
        }
        list.truncate(keep);
        // Noted during this call (none: `flush_one` notes nothing) plus
        // those left over.
        list.append(&mut self.senders);
        self.senders = list;
    }

    /// The live record at `tuple` still has something the window allows.
    fn still_sending(&self, tuple: &FourTuple<A>) -> bool {
        let h = self.tables.hash(tuple);
        self.tables
            .conns
            .get(h, tuple)
            .is_some_and(|t| t.wants_to_send())
    }

    /// Sends up to `BURST_PER_CONN` segments of `tuple` within `budget`;
    /// whether it has more left.
    fn flush_one<T: FnMut(&[u8]) -> bool>(
        &mut self,
        tuple: &FourTuple<A>,
        now: u64,
        budget: &mut usize,
        tx: &mut T,
    ) -> bool {
        let h = self.tables.hash(tuple);
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut more = false;
        for _ in 0..BURST_PER_CONN {
            let Some(slot) = self.tables.conns.slot_mut(h, tuple) else {
                break;
            };
            if *budget == 0 {
                more = slot.value.wants_to_send();
                break;
            }
            let before = slot.value.clone();
            let Some((reply, events)) = slot.value.send_more(&self.ctx, tuple, now) else {
                break;
            };
            let n = self.write(tuple, &reply, &mut scratch);
            let sent = n.is_some_and(|n| tx(&scratch[..n]));
            let Some(slot) = self.tables.conns.slot_mut(h, tuple) else {
                break;
            };
            if !sent {
                // No frame: the record as it was; tried again next call.
                if n.is_some() {
                    self.counters.tx_frames -= 1;
                }
                slot.value = before;
                more = true;
                *budget = 0;
                break;
            }
            self.counters.add_events(events);
            slot.sync_timer(&mut self.timers, tuple);
            *budget -= 1;
            more = slot.value.wants_to_send();
        }
        self.scratch = scratch;
        more
    }
}

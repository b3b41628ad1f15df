//! Running the state machine on a received segment for our address, with
//! the tables and timers kept in step with its outcome: the live record
//! of its four-tuple if there is one; else the TIME-WAIT record (RFC 9293
//! §3.10.7.4 and RFC 6191 for a new SYN); else the listener, when the port
//! is ours (passive open, SYN queue or cookies); else the answer to a
//! segment for no connection (§3.10.7.1).
//!
//! Rules: the tuple is hashed once for every table; the live table is
//! looked up first (the common case), the TIME-WAIT table only without a
//! live record; a record beyond the table's limit is refused and counted.

use super::state::Endpoint;
use crate::app::Canned;
use crate::flow::FourTuple;
use crate::tcp::{self, Outcome, TwVerdict};
use crate::wire::{Family, SeqNum, TcpFlags, TcpRepr};

/// Whether a segment with `flags` is likely to read or write the TIME-WAIT
/// table: a SYN without ACK (no live record: the TIME-WAIT lookup follows),
/// a FIN or an RST (the record may end, into TIME-WAIT). A SYN-ACK belongs
/// to a live connection of ours and skips the table.
#[inline(always)]
pub(super) fn may_need_time_wait(flags: TcpFlags) -> bool {
    flags.intersects(TcpFlags::FIN | TcpFlags::RST) || (flags.syn() && !flags.ack())
}

impl<A: Family> Endpoint<A> {
    /// Runs the state machine for one segment and keeps tables and timers
    /// in step with the outcome.
    #[inline]
    pub(super) fn dispatch(
        &mut self,
        tuple: &FourTuple<A>,
        seg: &TcpRepr,
        payload: &[u8],
        now: u64,
    ) -> Outcome {
        let h = self.tables.hash(tuple);
        // The TIME-WAIT slot is fetched while the state machine runs when
        // this segment is likely to need it (`may_need_time_wait`); other
        // segments of a live connection skip the fetch, a cache miss in a
        // table of millions of records.
        if may_need_time_wait(seg.flags) {
            self.tables.time_wait.prefetch(h);
        }
        // The live record (the common case), handled here so that its
        // outcome is returned without a copy.
        if let Some(slot) = self.tables.conns.slot_mut(h, tuple) {
            let before = slot.value.bytes_received();
            let out = slot
                .value
                .on_segment(&mut self.ctx, &self.app, tuple, seg, payload, now);
            self.counters.add_events(out.events);
            // A connection we opened: its handshake, first-byte and
            // last-byte latencies.
            if !slot.value.passive() {
                let since_syn = slot.value.age(now);
                if out.events.contains(tcp::Events::ESTABLISHED) {
                    self.latency.handshake(since_syn);
                }
                // The first data (a retransmission that repeats it is not).
                if out.events.contains(tcp::Events::DATA_RX) && before == 0 {
                    self.latency.first_byte(since_syn);
                }
                if out
                    .events
                    .intersects(tcp::Events::DATA_RX | tcp::Events::FIN_RX)
                {
                    let t = Canned::template(slot.value.app_state());
                    if out
                        .events
                        .intersects(tcp::Events::HTTP_2XX | tcp::Events::HTTP_OTHER)
                    {
                        self.counters.add_http_of(out.events, t);
                    }
                    let app = self.app.app_of(t);
                    // The last transaction's response.
                    let expect = app.expect.saturating_mul(app.requests);
                    if response_completed(expect, before, &slot.value, out.events) {
                        self.latency.last_byte(since_syn);
                    }
                }
            }
            match out.end {
                None => {
                    slot.sync_timer(&mut self.timers, tuple);
                    if slot.value.wants_to_send() {
                        self.note_sender(tuple);
                    }
                }
                Some(end) => self.ended(h, tuple, end, now),
            }
            return out;
        }
        let listening = self.listening.contains(tuple.local_port);
        let isn = match self.on_time_wait(h, tuple, seg, payload.len(), listening, now) {
            Ok(isn) => isn,
            Err(answered) => return answered,
        };
        if listening {
            self.on_listen(h, tuple, seg, payload, isn, now)
        } else {
            let out = tcp::on_closed(&mut self.ctx, tuple, seg, payload.len(), now);
            self.counted(out)
        }
    }

    /// `out`, its events and its end counted.
    #[inline]
    fn counted(&mut self, out: Outcome) -> Outcome {
        self.counters.add_events(out.events);
        if let Some(end) = out.end {
            self.counters.add_end(end);
        }
        out
    }

    /// The segment for the TIME-WAIT record at `tuple`, if there is one.
    /// `Err`: answered (dropped, acknowledged, or the record closed by a
    /// valid RST). `Ok`: on to the listener, with the ISN a new SYN that
    /// replaced the record must use (RFC 6191), or `None` without a record.
    #[inline]
    fn on_time_wait(
        &mut self,
        h: u64,
        tuple: &FourTuple<A>,
        seg: &TcpRepr,
        payload_len: usize,
        listening: bool,
        now: u64,
    ) -> Result<Option<SeqNum>, Outcome> {
        let Some(slot) = self.tables.time_wait.slot_mut(h, tuple) else {
            return Ok(None);
        };
        let before = slot.value.deadline();
        let (verdict, ev) = slot
            .value
            .on_segment(&self.ctx, tuple, seg, payload_len, now);
        self.counters.add_events(ev);
        // A restarted 2·MSL timer is followed by a wheel timer; the queued
        // expiry, now early, finds the later deadline and passes.
        if slot.value.deadline() != before {
            slot.sync_timer(&mut self.timers, tuple);
        }
        match verdict {
            TwVerdict::Drop => Err(Outcome::default()),
            TwVerdict::Ack(r) => Err(Outcome {
                reply: Some(r),
                ..Outcome::default()
            }),
            TwVerdict::Close => {
                self.counters.time_wait_reset += 1;
                self.remove_time_wait(h, tuple);
                self.release(tuple);
                Err(Outcome::default())
            }
            TwVerdict::Reopen { .. } if !listening => {
                // Nobody would take the SYN: keep TIME-WAIT and answer as
                // it would any other segment (as Linux does).
                let reply = slot.value.ack(&self.ctx, tuple, now);
                Err(Outcome {
                    reply: Some(reply),
                    ..Outcome::default()
                })
            }
            TwVerdict::Reopen { isn } => {
                self.counters.time_wait_reopened += 1;
                self.remove_time_wait(h, tuple);
                Ok(Some(isn))
            }
        }
    }

    /// The segment for a listening port of ours and no record: the
    /// listener's outcome, and the record it creates (from the SYN queue or
    /// a valid cookie) inserted unless the table is full.
    #[inline]
    fn on_listen(
        &mut self,
        h: u64,
        tuple: &FourTuple<A>,
        seg: &TcpRepr,
        payload: &[u8],
        isn: Option<SeqNum>,
        now: u64,
    ) -> Outcome {
        let program = self
            .cfg
            .port_templates
            .iter()
            .find(|&&(p, _)| p == tuple.local_port)
            .map_or(0, |&(_, t)| t);
        let (tcb, out) = tcp::on_listen_as(
            &mut self.ctx,
            &self.app,
            tuple,
            seg,
            payload,
            isn,
            now,
            Canned::open(program),
        );
        if let Some(mut tcb) = tcb {
            if self.tables.conns.len() >= self.cfg.max_connections {
                // Refused: the record goes (freeing its SYN-queue slot). A
                // SYN is left unanswered (the peer retries); a peer that
                // completed a cookie handshake believes it is connected,
                // so it gets the RST.
                self.counters.drop_table_full += 1;
                let _ = tcb.abort(&mut self.ctx, tuple, now);
                if out.events.contains(tcp::Events::COOKIE_OK) {
                    // As if no connection existed: <SEQ=SEG.ACK><CTL=RST>.
                    let rst = tcp::on_closed(&mut self.ctx, tuple, seg, payload.len(), now);
                    self.counters.add_events(rst.events);
                    return Outcome {
                        reply: rst.reply,
                        ..Outcome::default()
                    };
                }
                return Outcome::default();
            }
            let sending = tcb.wants_to_send();
            self.tables.insert_conn(h, *tuple, tcb, &mut self.timers);
            if sending {
                self.note_sender(tuple);
            }
            self.note_records_peak();
            self.counters.accepted += 1;
        } else if out.events.contains(tcp::Events::COOKIE_OK) {
            // A cookie connection that ended within its own ACK.
            self.counters.accepted += 1;
        }
        self.counted(out)
    }
}

/// Whether the segment that raised `events` completed the response a
/// connection we opened awaits (`expect` bytes; `u32::MAX`: the response
/// ends at the server's FIN, as HTTP with `Connection: close`), `before`
/// bytes having arrived earlier: the moment of RFC 9411 §7.4's time to
/// last byte.
#[inline]
fn response_completed(expect: u32, before: u32, tcb: &tcp::Tcb, events: tcp::Events) -> bool {
    let now = tcb.bytes_received();
    if expect == u32::MAX {
        events.contains(tcp::Events::FIN_RX) && now > 0
    } else {
        expect > 0 && before < expect && now >= expect
    }
}

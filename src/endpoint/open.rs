//! Opening connections (active open, RFC 9293 §3.10.1), two ways: a
//! connection with its record (`connect`), and a SYN alone with no record
//! (`syn_only`, a SYN flood's). Either writes its SYN into a frame the
//! caller gives (a transmit buffer: no copy). A connection's tuple is
//! first `prepare`d: hashed, and its TIME-WAIT home slot asked for, so a
//! generator that prepares a batch before connecting it overlaps the
//! batch's cache misses instead of stalling each connect in turn.
//!
//! Rules: a tuple with a live record is refused; one with our TIME-WAIT
//! record is refused unless TIME-WAIT reuse allows replacing it (RFC 6191
//! §2: the old connection used timestamps and the record is old enough);
//! beyond the table's limit a connection is refused and counted.

use super::state::Endpoint;
use crate::app::Canned;
use crate::flow::FourTuple;
use crate::tcp::Tcb;
use crate::wire::{Family, V4};

/// A four-tuple hashed by the endpoint that will open it (see
/// `Endpoint::prepare`), with the template its connection follows.
#[derive(Clone, Copy, Debug)]
pub struct Prepared<A = V4> {
    tuple: FourTuple<A>,
    h: u64,
    template: u8,
}

impl<A> Prepared<A> {
    /// The four-tuple.
    pub fn tuple(&self) -> &FourTuple<A> {
        &self.tuple
    }
}

/// What [`Endpoint::connect`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// Not opened: the table is full (counted) or the tuple is in use.
    Refused,
    /// Opened; its SYN of this many bytes is in the frame.
    Sent(usize),
    /// Opened; the SYN did not fit the frame (its retransmission timer
    /// sends it).
    Unsent,
}

impl<A: Family> Endpoint<A> {
    /// Hashes `tuple` for this endpoint's tables, for a connection that
    /// follows template `template` (0 without a profile), and asks the CPU
    /// for its TIME-WAIT home slot, which `connect` reads.
    #[inline]
    pub fn prepare(&self, tuple: FourTuple<A>, template: u8) -> Prepared<A> {
        let h = self.tables.hash(&tuple);
        self.tables.time_wait.prefetch(h);
        Prepared { tuple, h, template }
    }

    /// Opens a connection on a tuple this endpoint prepared, its SYN
    /// written into `frame`.
    pub fn connect(&mut self, p: &Prepared<A>, now: u64, frame: &mut [u8]) -> Opened {
        let (tuple, h) = (&p.tuple, p.h);
        debug_assert_eq!(h, self.tables.hash(tuple), "prepared by another endpoint");
        if self.tables.conns.len() >= self.cfg.max_connections {
            self.counters.drop_table_full += 1;
            return Opened::Refused;
        }
        if self.tables.conns.get(h, tuple).is_some() {
            return Opened::Refused;
        }
        if let Some(tw) = self.tables.time_wait.get(h, tuple) {
            let entered = tw
                .deadline()
                .saturating_sub(self.ctx.cfg.msl_us.saturating_mul(2));
            let reuse_us = self.cfg.time_wait_reuse_us;
            let reusable =
                reuse_us > 0 && tw.timestamps_ok() && now >= entered.saturating_add(reuse_us);
            if !reusable {
                return Opened::Refused;
            }
            self.remove_time_wait(h, tuple);
            self.counters.time_wait_recycled += 1;
        }
        let (tcb, out) = Tcb::connect(&mut self.ctx, tuple, now, Canned::open(p.template));
        self.counters.opened += 1;
        if let Some(c) = self.counters.templates.get_mut(usize::from(p.template)) {
            c.opened += 1;
        }
        self.counters.add_events(out.events);
        self.tables.insert_conn(h, *tuple, tcb, &mut self.timers);
        self.note_records_peak();
        match out.reply.and_then(|r| self.write(tuple, &r, frame)) {
            Some(n) => Opened::Sent(n),
            None => Opened::Unsent,
        }
    }

    /// A SYN from `tuple` (whose source need not be ours: a SYN flood's
    /// spoofed one) written into `frame`, with no record kept, counted as
    /// opened by template `template`. Returns its length, or `None` if it
    /// did not fit.
    pub fn syn_only(
        &mut self,
        tuple: &FourTuple<A>,
        template: u8,
        now: u64,
        frame: &mut [u8],
    ) -> Option<usize> {
        let (_, out) = Tcb::connect(&mut self.ctx, tuple, now, Canned::open(template));
        self.counters.add_events(out.events);
        if let Some(c) = self.counters.templates.get_mut(usize::from(template)) {
            c.opened += 1;
        }
        out.reply.and_then(|r| self.write(tuple, &r, frame))
    }
}

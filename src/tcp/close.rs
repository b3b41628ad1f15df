//! How a connection ends: the application's CLOSE and ABORT (RFC 9293
//! §3.10.4–5), resets we send, and the move to TIME-WAIT, whose reduced
//! record replaces this one.
//!
//! Rules: every path that ends the record goes through `end`, which sets
//! CLOSED, clears the timer and names the way it ended (`End`); the caller
//! then deletes the record (or keeps the `TimeWait` after `End::TimeWait`).

use super::context::TcpContext;
use super::flags::ConnFlags;
use super::outcome::{End, Events, Outcome, Reply};
use super::state::State;
use super::tcb::Tcb;
use super::time_wait::TimeWait;
use crate::flow::FourTuple;
use crate::wire::{Family, TcpFlags};

impl Tcb {
    /// Ends the record (state CLOSED) for `why`.
    pub(crate) fn end(&mut self, why: End, events: Events) -> Outcome {
        self.state = State::Closed;
        self.deadline = 0;
        Outcome {
            reply: None,
            events,
            end: Some(why),
        }
    }

    /// Application CLOSE (RFC 9293 §3.10.4): send FIN from ESTABLISHED or
    /// CLOSE-WAIT; forget a connection still in SYN-SENT; reset one still in
    /// SYN-RECEIVED (its handshake never completed).
    pub fn close(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
        let next = match self.state {
            State::SynSent => return self.end(End::Closed, Events::NONE),
            State::SynReceived => return self.abort(ctx, tuple, now),
            State::Established => State::FinWait1,
            State::CloseWait => State::LastAck,
            _ => return Outcome::default(),
        };
        self.flags.set(ConnFlags::FIN_QUEUED);
        self.state = next;
        let (reply, events) = self.output(ctx, tuple, now, false);
        self.update_timer(&ctx.cfg, now);
        Outcome {
            reply,
            events,
            end: None,
        }
    }

    /// Application ABORT (RFC 9293 §3.10.5): send RST (in synchronized
    /// states and SYN-RECEIVED) and delete the record.
    pub fn abort(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
        if self.in_syn_queue() {
            ctx.syn_queue -= 1;
        }
        self.reset(ctx, tuple, now)
    }

    /// Sends RST|ACK at SND.NXT and ends the record (`End::ResetSent`).
    /// The caller keeps the SYN-queue count.
    pub(crate) fn reset(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
        let send = !matches!(self.state, State::SynSent | State::Closed | State::Listen);
        let reply = send.then(|| {
            Reply::control(self.header(
                ctx,
                tuple,
                self.snd_nxt,
                TcpFlags::RST | TcpFlags::ACK,
                now,
            ))
        });
        let mut out = self.end(
            End::ResetSent,
            if send { Events::RST_TX } else { Events::NONE },
        );
        out.reply = reply;
        out
    }

    /// Enters TIME-WAIT (RFC 9293 §3.10.7.4), acknowledging the peer's FIN
    /// when `ack_fin`.
    pub(crate) fn enter_time_wait(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        events: Events,
        ack_fin: bool,
    ) -> Outcome {
        self.state = State::TimeWait;
        self.deadline = 0;
        Outcome {
            reply: ack_fin.then(|| self.ack_reply(ctx, tuple, now)),
            events: events | Events::TIME_WAIT,
            end: Some(End::TimeWait),
        }
    }

    /// The reduced TIME-WAIT record that replaces this one (call after an
    /// outcome with `End::TimeWait`). It lasts 2·MSL from `now`.
    pub fn to_time_wait(&self, ctx: &TcpContext, now: u64) -> TimeWait {
        TimeWait::new(
            now.saturating_add(ctx.cfg.msl_us.saturating_mul(2)),
            self.ts_offset(),
            self.snd_nxt,
            self.rcv_nxt,
            self.ts_recent,
            self.timestamps_ok(),
            self.ws_ok(),
        )
    }
}

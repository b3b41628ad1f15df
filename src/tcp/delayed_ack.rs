//! Delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2):
//! whether the ACK a segment asks for goes out now or waits, and what
//! ends the wait.
//!
//! Rules:
//! - With `TcpConfig::delayed_ack_us` 0 (the default) every segment that
//!   needs an ACK gets it at once.
//! - Otherwise the ACK of a segment that brought new in-order data and no
//!   FIN waits up to that long, in ESTABLISHED only, and only while
//!   nothing else holds the connection's one timer: nothing in flight,
//!   nothing waiting for the peer's window, no application timer (the
//!   ACK goes at once when one of them needs the timer). Any segment we
//!   send carries the ACK and ends the wait.
//! - A second such segment while an ACK is owed is acknowledged at once:
//!   at least every second segment (RFC 5681 §4.2 asks it of full-sized
//!   ones; here of any size). Out-of-order and duplicate data and FINs
//!   are acknowledged at once (RFC 5681 §4.2, §3.2). There is no quick-ACK
//!   phase at the start of a connection (Linux acknowledges its first
//!   segments at once).
//! - `ConnFlags::ACK_PENDING` makes the deadline the delayed-ACK timer
//!   (`timers.rs`); when it fires the ACK goes out (event `DELAYED_ACK`)
//!   and the idle timer resumes.

use super::context::TcpContext;
use super::flags::ConnFlags;
use super::outcome::{Events, Reply};
use super::state::State;
use super::tcb::Tcb;
use crate::flow::FourTuple;
use crate::wire::Family;

impl Tcb {
    /// `output` with delayed ACKs on (`TcpConfig::delayed_ack_us` > 0):
    /// the ACK that `force_ack` asks for after a segment with `events`
    /// waits when it may (a first segment of new in-order data), and an
    /// owed ACK is settled (`settle_delayed_ack`).
    #[inline(never)]
    pub(crate) fn output_delaying_ack(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        events: Events,
        force_ack: bool,
    ) -> (Option<Reply>, Events) {
        let may_wait = force_ack
            && events.contains(Events::DATA_RX)
            && !events.intersects(Events::FIN_RX)
            && !self.flags.has(ConnFlags::ACK_PENDING);
        let (mut reply, ev) = self.output(ctx, tuple, now, force_ack && !may_wait);
        if may_wait || self.flags.has(ConnFlags::ACK_PENDING) {
            self.settle_delayed_ack(ctx, tuple, now, &mut reply, may_wait);
        }
        (reply, ev)
    }

    /// Nothing but a delayed ACK would hold the timer.
    #[inline]
    fn timer_free_for_ack(&self) -> bool {
        self.state == State::Established
            && self.snd_una == self.snd_nxt
            && !self.send_pending()
            && !self.flags.has(ConnFlags::APP_TIMER)
    }

    /// After `output` (which was not asked for the ACK when `may_wait`):
    /// a `reply` carries any owed ACK; otherwise the ACK starts waiting,
    /// keeps waiting, or goes out now as `reply` when the timer is needed
    /// for something else. Call when `may_wait` or an ACK is owed.
    #[inline]
    fn settle_delayed_ack(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        reply: &mut Option<Reply>,
        may_wait: bool,
    ) {
        if reply.is_some() {
            self.flags.clear(ConnFlags::ACK_PENDING);
            return;
        }
        if !self.timer_free_for_ack() {
            if may_wait || self.flags.has(ConnFlags::ACK_PENDING) {
                *reply = Some(self.ack_reply(ctx, tuple, now));
            }
            self.flags.clear(ConnFlags::ACK_PENDING);
            return;
        }
        if may_wait {
            // The deadline becomes the delayed-ACK timer (`update_timer`).
            self.flags.clear(ConnFlags::IDLE_TIMER);
            self.flags.set(ConnFlags::ACK_PENDING);
            self.deadline = 0;
        }
    }
}

//! The interface between TCP and the application above it (RFC 9293 §3.9's
//! user/TCP interface, turned around for a poll-mode engine): TCP calls
//! the application when in-order data arrives and, after every segment
//! taken in and when its timer fires, gives it a turn to queue data, close,
//! abort or arm its timer through a [`Conn`].
//!
//! Rules: the application is a type parameter of the state machine's entry
//! points (monomorphised, no dynamic dispatch on the per-segment path).
//! TCP keeps the mechanics (the send queue's length, the FIN, a one-shot
//! application timer) and never reads the application's per-connection
//! state ([`AppState`]); the application never touches sequence numbers.

use super::app_state::AppState;
use super::context::TcpContext;
use super::flags::ConnFlags;
use super::outcome::{Events, Outcome};
use super::state::State;
use super::tcb::Tcb;
use crate::flow::FourTuple;
use crate::wire::Family;

/// What TCP asks of the application above a connection.
pub trait Application {
    /// `data`, new in-order bytes from stream offset `offset`, arrived on
    /// a connection whose application state is `state` (`passive`: opened
    /// by a listener). Returns the events reading them yields.
    fn on_data(&self, state: &mut AppState, passive: bool, offset: u32, data: &[u8]) -> Events;

    /// The application's turn, in ESTABLISHED and CLOSE-WAIT: after every
    /// segment taken in, and when its timer fires.
    fn on_turn(&self, conn: &mut Conn<'_>);
}

/// The application's handle on a connection during its turn.
pub struct Conn<'a> {
    tcb: &'a mut Tcb,
    now: u64,
    abort: bool,
}

impl Conn<'_> {
    /// The connection's state (ESTABLISHED or CLOSE-WAIT).
    #[inline]
    pub fn state(&self) -> State {
        self.tcb.state
    }

    /// Opened by a listener.
    #[inline]
    pub fn passive(&self) -> bool {
        self.tcb.passive()
    }

    /// In-order data bytes received so far.
    #[inline]
    pub fn bytes_received(&self) -> u32 {
        self.tcb.bytes_received()
    }

    /// The application's state of this connection.
    #[inline]
    pub fn app_state(&mut self) -> &mut AppState {
        &mut self.tcb.app
    }

    /// Bytes queued so far.
    #[inline]
    pub fn queued(&self) -> u32 {
        self.tcb.snd_queued
    }

    /// Queues `bytes` more bytes to send (the application resolves them
    /// from each `Reply`'s stream offset). Nothing once the FIN is queued.
    #[inline]
    pub fn send(&mut self, bytes: u32) {
        if !self.tcb.flags.has(ConnFlags::FIN_QUEUED) {
            self.tcb.snd_queued = self.tcb.snd_queued.saturating_add(bytes);
        }
    }

    /// Everything queued has been sent and acknowledged.
    #[inline]
    pub fn all_acked(&self) -> bool {
        self.tcb.snd_una == self.tcb.data_end()
    }

    /// Our FIN is queued (`close` was called).
    #[inline]
    pub fn fin_queued(&self) -> bool {
        self.tcb.flags.has(ConnFlags::FIN_QUEUED)
    }

    /// CLOSE (RFC 9293 §3.10.4): our FIN follows the queued data.
    #[inline]
    pub fn close(&mut self) {
        let next = match self.tcb.state {
            State::Established => State::FinWait1,
            State::CloseWait => State::LastAck,
            _ => return,
        };
        self.tcb.flags.set(ConnFlags::FIN_QUEUED);
        self.tcb.state = next;
    }

    /// ABORT (RFC 9293 §3.10.5): a RST ends the connection after the turn.
    #[inline]
    pub fn abort(&mut self) {
        self.abort = true;
    }

    /// Arms the application's one-shot timer to fire `after_us` from now
    /// (in ESTABLISHED, with everything queued acknowledged; otherwise,
    /// or while it is armed, nothing). Arming clears `timer_fired`.
    #[inline]
    pub fn start_timer(&mut self, after_us: u64) {
        let t = &mut *self.tcb;
        if t.state != State::Established
            || t.snd_una != t.data_end()
            || t.flags.has(ConnFlags::APP_TIMER)
        {
            return;
        }
        t.deadline = self.now.saturating_add(after_us);
        t.flags
            .clear(ConnFlags::IDLE_TIMER | ConnFlags::APP_TIMER_FIRED);
        t.flags.set(ConnFlags::APP_TIMER);
    }

    /// Whether the application's timer has fired since it was last
    /// armed, clearing that (for a timer used more than once).
    #[inline]
    pub fn take_timer_fired(&mut self) -> bool {
        let fired = self.tcb.flags.has(ConnFlags::APP_TIMER_FIRED);
        self.tcb.flags.clear(ConnFlags::APP_TIMER_FIRED);
        fired
    }

    /// The application's timer is armed and has not fired yet.
    #[inline]
    pub fn timer_armed(&self) -> bool {
        self.tcb.flags.has(ConnFlags::APP_TIMER)
    }

    /// The application's timer has fired.
    #[inline]
    pub fn timer_fired(&self) -> bool {
        self.tcb.flags.has(ConnFlags::APP_TIMER_FIRED)
    }
}

impl Tcb {
    /// Passes new in-order data to the application.
    #[inline]
    pub(crate) fn deliver<A: Application>(&mut self, app: &A, offset: u32, data: &[u8]) -> Events {
        let passive = self.passive();
        app.on_data(&mut self.app, passive, offset, data)
    }

    /// Gives the application its turn (in ESTABLISHED and CLOSE-WAIT), then
    /// sends what is due (a bare ACK too when `force_ack`, unless it may
    /// wait: `delayed_ack.rs`) and sets the timer. `events` are those of
    /// the segment or timer so far.
    #[inline]
    pub(crate) fn respond<A: Application>(
        &mut self,
        ctx: &TcpContext,
        app: &A,
        tuple: &FourTuple<impl Family>,
        events: Events,
        force_ack: bool,
        now: u64,
    ) -> Outcome {
        if matches!(self.state, State::Established | State::CloseWait) {
            let mut conn = Conn {
                tcb: self,
                now,
                abort: false,
            };
            app.on_turn(&mut conn);
            if conn.abort {
                let mut out = self.reset(ctx, tuple, now);
                out.events |= events;
                return out;
            }
        }
        let (reply, ev) = if ctx.cfg.delayed_ack_us == 0 {
            self.output(ctx, tuple, now, force_ack)
        } else {
            self.output_delaying_ack(ctx, tuple, now, events, force_ack)
        };
        self.update_timer(&ctx.cfg, now);
        Outcome {
            reply,
            events: events | ev,
            end: None,
        }
    }
}

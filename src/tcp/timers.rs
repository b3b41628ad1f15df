//! The one timer of a connection (Linux's `tcp_timer.c`): what `deadline`
//! means in each state (retransmission, persist, FIN-WAIT-2, idle, the
//! application's timer), the backed-off timeout, and what happens when it
//! expires.
//!
//! Rules: retransmission follows RFC 6298 §5 (a timer while anything is
//! unacknowledged, doubled on each expiry, capped), the timeout computed
//! from round-trip samples (`rtt.rs`); what a timeout does to the
//! send window is `congestion.rs`'s; a delayed ACK holds the timer only
//! while nothing else needs it (`delayed_ack.rs`);
//! giving up follows RFC 9293 §3.8.3 (a retry limit per state, then the
//! record ends without sending anything, as Linux). With nothing in flight,
//! something to send and the peer's window closed, the persist timer sends
//! window probes with the same backoff (RFC 9293 §3.8.6.1); the connection
//! stays open while the peer answers them (RFC 1122 §4.2.2.17) and ends
//! once `retries` probes are out and the last went unanswered. No I/O, no
//! clock.

use super::application::Application;
use super::config::TcpConfig;
use super::context::TcpContext;
use super::flags::ConnFlags;
use super::outcome::{End, Events, Outcome};
use super::state::State;
use super::tcb::Tcb;
use crate::flow::FourTuple;
use crate::wire::Family;

impl Tcb {
    /// Backed-off retransmission timeout for the current state.
    #[inline]
    fn rto(&self, cfg: &TcpConfig) -> u64 {
        let base = match self.state {
            State::SynSent | State::SynReceived => cfg.rto_syn_us,
            _ => self.data_rto(cfg),
        };
        let r = u32::from(self.retries);
        let backed_off = if r >= base.leading_zeros() {
            u64::MAX
        } else {
            base << r
        };
        backed_off.min(cfg.rto_max_us)
    }

    /// Sets `deadline` for the current state: retransmission while anything
    /// is unacknowledged (RFC 6298 §5), the FIN-WAIT-2 timeout, the
    /// application's timer, the idle timeout, or none.
    pub(crate) fn update_timer(&mut self, cfg: &TcpConfig, now: u64) {
        match self.state {
            State::SynSent | State::SynReceived => {
                if self.deadline == 0 {
                    self.deadline = now.saturating_add(self.rto(cfg));
                }
            }
            State::FinWait2 => {
                self.flags
                    .clear(ConnFlags::IDLE_TIMER | ConnFlags::APP_TIMER);
                if self.deadline == 0 {
                    self.deadline = now.saturating_add(cfg.fin_wait2_us);
                }
            }
            State::Closed | State::Listen | State::TimeWait => self.deadline = 0,
            _ => {
                let other = ConnFlags::IDLE_TIMER
                    | ConnFlags::APP_TIMER
                    | ConnFlags::PERSIST
                    | ConnFlags::ACK_PENDING;
                if self.snd_una != self.snd_nxt {
                    if self.deadline == 0 || self.flags.and(other) != ConnFlags::NONE {
                        self.deadline = now.saturating_add(self.rto(cfg));
                        self.flags.clear(other);
                    }
                } else if self.send_pending() {
                    // Nothing in flight and nothing sent: the window is
                    // closed. Probe it (RFC 9293 §3.8.6.1).
                    if self.deadline == 0 || !self.flags.has(ConnFlags::PERSIST) {
                        self.deadline = now.saturating_add(self.rto(cfg));
                        self.flags.clear(
                            ConnFlags::IDLE_TIMER | ConnFlags::APP_TIMER | ConnFlags::ACK_PENDING,
                        );
                        self.flags.set(ConnFlags::PERSIST);
                    }
                } else if self.state == State::Established && self.flags.has(ConnFlags::APP_TIMER) {
                    // The application's timer stays the deadline.
                } else if self.flags.has(ConnFlags::ACK_PENDING) {
                    // The delayed-ACK timer (`delayed_ack.rs`).
                    if self.deadline == 0 {
                        self.deadline = now.saturating_add(cfg.delayed_ack_us);
                    }
                } else if cfg.idle_timeout_us > 0
                    && matches!(self.state, State::Established | State::CloseWait)
                {
                    self.deadline = now.saturating_add(cfg.idle_timeout_us);
                    self.flags.clear(ConnFlags::APP_TIMER | ConnFlags::PERSIST);
                    self.flags.set(ConnFlags::IDLE_TIMER);
                } else {
                    self.deadline = 0;
                    self.flags.clear(other);
                }
            }
        }
    }

    /// The timer expired (call when `now >= deadline()`): retransmit with
    /// backoff, or give up after the retry limit (RFC 9293 §3.8.3), end
    /// FIN-WAIT-2, reset an idle connection, or give the application its
    /// timer's turn.
    pub fn on_timer<A: Application>(
        &mut self,
        ctx: &mut TcpContext,
        app: &A,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
        if self.deadline == 0 || now < self.deadline {
            return Outcome::default();
        }
        self.keeping_syn_queue(ctx, |tcb, ctx| tcb.expire(ctx, app, tuple, now))
    }

    /// Runs `step` and gives back this record's SYN-queue slot if the step
    /// took it out of passive SYN-RECEIVED (the one place that count drops,
    /// besides `abort`).
    #[inline]
    pub(crate) fn keeping_syn_queue(
        &mut self,
        ctx: &mut TcpContext,
        step: impl FnOnce(&mut Tcb, &mut TcpContext) -> Outcome,
    ) -> Outcome {
        let queued = self.in_syn_queue();
        let out = step(self, ctx);
        if queued && !self.in_syn_queue() {
            ctx.syn_queue -= 1;
        }
        out
    }

    fn expire<A: Application>(
        &mut self,
        ctx: &TcpContext,
        app: &A,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
        let cfg = &ctx.cfg;
        self.deadline = 0;
        if self.flags.has(ConnFlags::ACK_PENDING) {
            self.flags.clear(ConnFlags::ACK_PENDING);
            let reply = self.ack_reply(ctx, tuple, now);
            self.update_timer(cfg, now);
            return Outcome {
                reply: Some(reply),
                events: Events::DELAYED_ACK,
                end: None,
            };
        }
        if self.flags.has(ConnFlags::APP_TIMER) {
            self.flags.clear(ConnFlags::APP_TIMER);
            self.flags.set(ConnFlags::APP_TIMER_FIRED);
            return self.respond(ctx, app, tuple, Events::NONE, false, now);
        }
        if self.flags.has(ConnFlags::PERSIST) {
            return self.probe_window(ctx, tuple, now);
        }
        if self.flags.has(ConnFlags::IDLE_TIMER) {
            self.flags.clear(ConnFlags::IDLE_TIMER);
            let mut out = self.reset(ctx, tuple, now);
            out.end = Some(End::IdleTimeout);
            return out;
        }
        let limit = match self.state {
            State::FinWait2 => return self.end(End::FinWait2Timeout, Events::NONE),
            State::SynSent => cfg.syn_retries,
            State::SynReceived => cfg.synack_retries,
            State::Established
            | State::FinWait1
            | State::CloseWait
            | State::Closing
            | State::LastAck
                if self.snd_una != self.snd_nxt =>
            {
                cfg.retries
            }
            _ => return Outcome::default(),
        };
        if self.retries >= limit {
            return self.end(End::RetriesExceeded, Events::NONE);
        }
        self.retries += 1;
        let reply = if matches!(self.state, State::SynSent | State::SynReceived) {
            self.retransmission(ctx, tuple, now)
        } else {
            // The loss window and go-back-N (`congestion.rs`): the first
            // segment from SND.UNA goes out now, the rest as ACKs return.
            self.on_retransmission_timeout();
            let (reply, _) = self.output(ctx, tuple, now, false);
            reply.unwrap_or_else(|| self.ack_reply(ctx, tuple, now))
        };
        self.deadline = now.saturating_add(self.rto(cfg));
        let events = if self.state == State::SynSent {
            Events::RETRANSMIT | Events::SYN_RETRANSMIT
        } else {
            Events::RETRANSMIT
        };
        Outcome {
            reply: Some(reply),
            events,
            end: None,
        }
    }

    /// The persist timer expired: a window probe, the timer backed off;
    /// or the end, once `retries` probes are out and the last one got no
    /// answer.
    fn probe_window(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
        if self.retries >= ctx.cfg.retries && !self.flags.has(ConnFlags::PROBE_ANSWERED) {
            return self.end(End::RetriesExceeded, Events::NONE);
        }
        self.retries = self.retries.saturating_add(1);
        self.flags.clear(ConnFlags::PROBE_ANSWERED);
        self.deadline = now.saturating_add(self.rto(&ctx.cfg));
        Outcome {
            reply: Some(self.window_probe(ctx, tuple, now)),
            events: Events::WINDOW_PROBE,
            end: None,
        }
    }
}

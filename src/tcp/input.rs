//! SEGMENT ARRIVES for a connection that has a record (RFC 9293 §3.10.7.3
//! for SYN-SENT, §3.10.7.4 for the other states), with RFC 5961 (RST and
//! SYN challenge ACKs, ACK acceptability), RFC 7323 §5 (PAWS) and the
//! canned application step after the segment is taken in.

use super::context::TcpContext;
use super::outcome::{End, Events, Outcome, Reply};
use super::state::State;
use super::tcb::{FIN_RCVD, PASSIVE, TS_OK, Tcb};
use crate::flow::FourTuple;
use crate::wire::{SeqNum, TcpFlags, TcpRepr};

/// TSval `a` is older than `b` (RFC 7323 §5.3: modulo-2^32 comparison).
#[inline]
pub(crate) fn ts_older(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `<SEQ=SEG.ACK><CTL=RST>`: the reset for an unacceptable ACK.
pub(crate) fn reset_for_ack(tuple: &FourTuple, seg: &TcpRepr) -> Reply {
    Reply::control(TcpRepr {
        src_port: tuple.local_port,
        dst_port: tuple.remote_port,
        seq: seg.ack,
        ack: SeqNum(0),
        flags: TcpFlags::RST,
        window: 0,
        options: Default::default(),
    })
}

impl Tcb {
    /// A segment for this connection arrived. The caller routes segments of
    /// a TIME-WAIT connection to its `TimeWait` record instead.
    pub fn on_segment(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple,
        seg: &TcpRepr,
        payload: &[u8],
        now: u64,
    ) -> Outcome {
        self.keeping_syn_queue(ctx, |tcb, ctx| match tcb.state {
            State::SynSent => tcb.input_syn_sent(ctx, tuple, seg, now),
            State::Closed | State::Listen | State::TimeWait => Outcome::events(Events::DROPPED),
            _ => tcb.input_synchronized(ctx, tuple, seg, payload, now),
        })
    }

    /// RFC 9293 §3.10.7.3.
    fn input_syn_sent(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple,
        seg: &TcpRepr,
        now: u64,
    ) -> Outcome {
        let f = seg.flags;
        // First: the ACK must acknowledge our SYN (SND.UNA < SEG.ACK =< SND.NXT).
        if f.ack() && !seg.ack.in_range_inclusive(self.iss + 1, self.snd_nxt) {
            if f.rst() {
                return Outcome::events(Events::DROPPED);
            }
            return Outcome {
                reply: Some(reset_for_ack(tuple, seg)),
                events: Events::RST_TX,
                end: None,
            };
        }
        // Second: RST is accepted only with an acceptable ACK (RFC 5961 §3.2).
        if f.rst() {
            if f.ack() {
                return self.end(End::ResetByPeer, Events::RST_RX);
            }
            return Outcome::events(Events::DROPPED);
        }
        // Fourth: SYN.
        if !f.syn() {
            return Outcome::events(Events::DROPPED);
        }
        self.irs = seg.seq;
        self.rcv_nxt = seg.seq + 1;
        self.negotiate(&ctx.cfg, &seg.options);
        // The window of a SYN is never scaled (RFC 7323 §2.2).
        self.snd_wnd = u32::from(seg.window);
        self.retries = 0;
        self.deadline = 0;
        if f.ack() {
            self.snd_una = seg.ack;
            self.state = State::Established;
            let mut events = Events::ESTABLISHED;
            if let Some(mut out) = self.app_step(ctx, tuple, now) {
                out.events |= events;
                return out;
            }
            let (reply, ev) = self.output(ctx, tuple, now, true);
            events |= ev;
            self.update_timer(&ctx.cfg, now);
            return Outcome {
                reply,
                events,
                end: None,
            };
        }
        // Simultaneous open: SYN-RECEIVED, send <SEQ=ISS><ACK=RCV.NXT><SYN,ACK>.
        self.state = State::SynReceived;
        self.update_timer(&ctx.cfg, now);
        Outcome {
            reply: Some(self.syn_ack_segment(ctx, tuple, now)),
            events: Events::SYNACK_TX,
            end: None,
        }
    }

    fn challenge_ack(&self, ctx: &mut TcpContext, tuple: &FourTuple, now: u64) -> Outcome {
        if ctx.challenge.allow(now) {
            Outcome {
                reply: Some(self.ack_reply(ctx, tuple, now)),
                events: Events::CHALLENGE_ACK,
                end: None,
            }
        } else {
            Outcome::events(Events::CHALLENGE_ACK_LIMITED)
        }
    }

    fn dup_ack(&self, ctx: &TcpContext, tuple: &FourTuple, now: u64, ev: Events) -> Outcome {
        Outcome {
            reply: Some(self.ack_reply(ctx, tuple, now)),
            events: ev,
            end: None,
        }
    }

    /// RFC 9293 §3.10.7.4, states SYN-RECEIVED through LAST-ACK.
    fn input_synchronized(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple,
        seg_in: &TcpRepr,
        payload: &[u8],
        now: u64,
    ) -> Outcome {
        let mut seg = *seg_in;
        if self.state == State::SynReceived
            && seg.flags.syn()
            && !seg.flags.rst()
            && seg.seq == self.irs
        {
            if self.flags & PASSIVE != 0 && !seg.flags.ack() {
                // The peer's SYN again: our SYN-ACK was lost; resend it.
                return Outcome {
                    reply: Some(self.syn_ack_segment(ctx, tuple, now)),
                    events: Events::SYNACK_TX | Events::RETRANSMIT,
                    end: None,
                };
            }
            if self.flags & PASSIVE == 0 && seg.flags.ack() && seg.ack == self.snd_nxt {
                // Simultaneous open: the peer's SYN-ACK acknowledges ours.
                // Its SYN is already counted in RCV.NXT; take it as an ACK.
                seg.flags = TcpFlags(seg.flags.0 & !TcpFlags::SYN.0);
                seg.seq = self.rcv_nxt;
            }
        }
        let f = seg.flags;
        let ts = seg.options.timestamps.filter(|_| self.flags & TS_OK != 0);

        // PAWS (RFC 7323 §5.3 R1): an older TSval makes the segment
        // unacceptable; answer with an ACK unless it is a RST.
        if let Some(t) = ts
            && !f.rst()
            && ts_older(t.tsval, self.ts_recent)
        {
            return self.dup_ack(ctx, tuple, now, Events::PAWS_REJECT);
        }

        let seg_len = payload.len() as u32 + u32::from(f.syn()) + u32::from(f.fin());
        let wnd = self.rcv_wnd(&ctx.cfg);
        let in_window = |s: SeqNum| s.in_range(self.rcv_nxt, self.rcv_nxt + wnd);
        let acceptable = if seg_len == 0 {
            in_window(seg.seq)
        } else {
            in_window(seg.seq) || in_window(seg.seq + (seg_len - 1))
        };

        // Second: RST (RFC 5961 §3.2): exact RCV.NXT resets, anything else
        // in the window earns a challenge ACK, the rest is dropped.
        if f.rst() {
            if !acceptable {
                return Outcome::events(Events::DROPPED);
            }
            if seg.seq == self.rcv_nxt {
                return self.end(End::ResetByPeer, Events::RST_RX);
            }
            return self.challenge_ack(ctx, tuple, now);
        }

        // Fourth (checked early, "irrespective of the sequence number"):
        // SYN in a synchronized state (RFC 5961 §4). A retransmission of the
        // peer's original SYN is answered with a plain ACK.
        if f.syn() {
            if self.state == State::SynReceived && self.flags & PASSIVE != 0 {
                // SYN-RECEIVED is not synchronized: the sequence check comes
                // first (§3.10.7.4, first), then a different in-window SYN on
                // a passive open returns it to LISTEN (the record goes; the
                // peer's next SYN starts afresh).
                if !acceptable {
                    return self.dup_ack(ctx, tuple, now, Events::OUT_OF_WINDOW);
                }
                return self.end(End::ReturnedToListen, Events::DROPPED);
            }
            if seg.seq == self.irs {
                return self.dup_ack(ctx, tuple, now, Events::OUT_OF_WINDOW);
            }
            return self.challenge_ack(ctx, tuple, now);
        }

        // First: sequence acceptability.
        if !acceptable {
            return self.dup_ack(ctx, tuple, now, Events::OUT_OF_WINDOW);
        }

        // Fifth: ACK.
        if !f.ack() {
            return Outcome::events(Events::DROPPED);
        }
        let mut events = Events::NONE;
        if self.state == State::SynReceived {
            if !seg.ack.in_range_inclusive(self.snd_una + 1, self.snd_nxt) {
                return Outcome {
                    reply: Some(reset_for_ack(tuple, &seg)),
                    events: Events::RST_TX,
                    end: None,
                };
            }
            self.state = State::Established;
            events |= Events::ESTABLISHED;
        }
        if seg.ack > self.snd_nxt {
            // Acknowledges something not yet sent.
            return self.dup_ack(ctx, tuple, now, Events::OUT_OF_WINDOW);
        }
        let max_wnd = self.snd_wnd.max(65535);
        if seg.ack < self.snd_una - max_wnd {
            // Too old to be a duplicate (RFC 5961 §5.2).
            return self.challenge_ack(ctx, tuple, now);
        }
        // RFC 7323 §4.3: remember the newest TSval of in-sequence segments,
        // only once the segment passed every check above, ACK included (a
        // blind in-window segment must not poison TS.Recent; Linux updates
        // it from `tcp_ack` for the same reason).
        if let Some(t) = ts
            && seg.seq <= self.rcv_nxt
        {
            self.ts_recent = t.tsval;
        }
        if seg.ack > self.snd_una {
            self.snd_una = seg.ack;
            self.retries = 0;
            self.deadline = 0;
        }
        // Any acceptable segment restarts the idle timeout.
        if self.flags & super::tcb::IDLE_TIMER != 0 {
            self.deadline = 0;
        }
        self.snd_wnd = u32::from(seg.window) << self.snd_wscale().unwrap_or(0);
        match self.state {
            State::FinWait1 if self.fin_acked(ctx) => {
                self.state = State::FinWait2;
                self.deadline = 0;
            }
            State::Closing if self.fin_acked(ctx) => {
                return self.enter_time_wait(ctx, tuple, now, events, false);
            }
            State::LastAck if self.fin_acked(ctx) => {
                return self.end(End::Closed, events);
            }
            _ => {}
        }

        // Seventh: segment text, in order only (no reassembly queue).
        let mut need_ack = false;
        if !payload.is_empty()
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            need_ack = true;
            if seg.seq <= self.rcv_nxt {
                let end = seg.seq + payload.len() as u32;
                if end > self.rcv_nxt {
                    let new = &payload[(self.rcv_nxt - seg.seq) as usize..];
                    events |= self.read_app(ctx, self.bytes_received(), new);
                    self.rcv_nxt = end;
                    events |= Events::DATA_RX;
                }
            }
        }

        // Eighth: FIN, once everything before it has arrived.
        if f.fin() {
            let fin_seq = seg.seq + payload.len() as u32;
            if fin_seq == self.rcv_nxt && self.flags & FIN_RCVD == 0 {
                self.rcv_nxt += 1;
                self.flags |= FIN_RCVD;
                events |= Events::FIN_RX;
                need_ack = true;
                match self.state {
                    State::Established => self.state = State::CloseWait,
                    // (FIN-WAIT-1 with our FIN acknowledged has already moved
                    // to FIN-WAIT-2 above, so FIN+ACK ends in TIME-WAIT below.)
                    State::FinWait1 => self.state = State::Closing,
                    State::FinWait2 => {
                        return self.enter_time_wait(ctx, tuple, now, events, true);
                    }
                    _ => {}
                }
            } else {
                need_ack = true;
            }
        }

        if let Some(mut out) = self.app_step(ctx, tuple, now) {
            out.events |= events;
            return out;
        }
        let (reply, ev) = self.output(ctx, tuple, now, need_ack);
        self.update_timer(&ctx.cfg, now);
        Outcome {
            reply,
            events: events | ev,
            end: None,
        }
    }

    fn enter_time_wait(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple,
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
}

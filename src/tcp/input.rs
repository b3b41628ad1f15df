//! SEGMENT ARRIVES for a connection that has a record (RFC 9293 §3.10.7.3
//! for SYN-SENT, §3.10.7.4 for the other states), with RFC 5961 (RST and
//! SYN challenge ACKs, ACK acceptability) and RFC 7323 §5 (PAWS). The
//! synchronized states run the steps of §3.10.7.4 in order, one function
//! each: sequence check with PAWS, RST, SYN, ACK, segment text, FIN; then
//! the application's turn and what is due to send.
//!
//! Rules: a step either passes the segment on or ends its processing with
//! the outcome to return (`Step`); the record changes only in steps the
//! segment has passed. Text beyond the window we advertise is trimmed
//! (§3.10.7.4, seventh). The duplicate ACKs that answer invalid segments
//! (out of window, failing PAWS, acknowledging unsent data) are rate
//! limited per connection (`oow.rs`).

use super::application::Application;
use super::context::TcpContext;
use super::flags::ConnFlags;
use super::oow::held_back;
use super::outcome::{End, Events, Outcome, Reply};
use super::paws::ts_older;
use super::state::State;
use super::tcb::Tcb;
use crate::flow::FourTuple;
use crate::wire::{Family, SeqNum, TcpFlags, TcpRepr, Timestamps};

/// A step of segment processing: `Err` ends the processing with that
/// outcome.
type Step<T> = Result<T, Outcome>;

/// The value of a step that passed the segment on; a step that ended the
/// processing returns its outcome from the calling function at once (the
/// outcome is built in place, not moved through a `Result` twice).
macro_rules! step {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(out) => return out,
        }
    };
}

/// `<SEQ=SEG.ACK><CTL=RST>`: the reset for an unacceptable ACK.
pub(crate) fn reset_for_ack(tuple: &FourTuple<impl Family>, seg: &TcpRepr) -> Reply {
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

/// What the sequence check found (RFC 9293 §3.10.7.4, first).
#[derive(Clone, Copy)]
struct Arrival {
    /// The segment's timestamps, when both sides use them.
    ts: Option<Timestamps>,
    /// The segment passes the acceptability test.
    acceptable: bool,
}

impl Tcb {
    /// A segment for this connection arrived. The caller routes segments of
    /// a TIME-WAIT connection to its `TimeWait` record instead.
    pub fn on_segment<A: Application>(
        &mut self,
        ctx: &mut TcpContext,
        app: &A,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload: &[u8],
        now: u64,
    ) -> Outcome {
        self.keeping_syn_queue(ctx, |tcb, ctx| match tcb.state {
            State::SynSent => tcb.input_syn_sent(ctx, app, tuple, seg, now),
            State::Closed | State::Listen | State::TimeWait => Outcome::events(Events::DROPPED),
            _ => tcb.input_synchronized(ctx, app, tuple, seg, payload, now),
        })
    }

    /// RFC 9293 §3.10.7.3.
    fn input_syn_sent<A: Application>(
        &mut self,
        ctx: &mut TcpContext,
        app: &A,
        tuple: &FourTuple<impl Family>,
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
        self.negotiate(&ctx.cfg, tuple.family_mss(ctx.cfg.mss), &seg.options);
        // The window of a SYN is never scaled (RFC 7323 §2.2).
        self.snd_wnd = u32::from(seg.window);
        self.retries = 0;
        self.deadline = 0;
        if f.ack() {
            let ts = seg.options.timestamps.filter(|_| self.timestamps_ok());
            self.sample_ack(ctx, ts, seg.ack, now);
            self.snd_una = seg.ack;
            self.state = State::Established;
            return self.respond(ctx, app, tuple, Events::ESTABLISHED, true, now);
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

    fn challenge_ack(
        &self,
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Outcome {
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

    fn dup_ack(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        ev: Events,
    ) -> Outcome {
        Outcome {
            reply: Some(self.ack_reply(ctx, tuple, now)),
            events: ev,
            end: None,
        }
    }

    /// The duplicate ACK answering the invalid segment `seg` (`ev` says
    /// why), unless the per-connection limit holds it back (`oow.rs`).
    fn invalid_ack(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload_len: usize,
        now: u64,
        ev: Events,
    ) -> Outcome {
        if held_back(&mut self.last_oow, seg.flags, payload_len, now) {
            return Outcome::events(ev | Events::DUP_ACK_LIMITED);
        }
        self.dup_ack(ctx, tuple, now, ev)
    }

    /// RFC 9293 §3.10.7.4, states SYN-RECEIVED through LAST-ACK.
    #[inline(always)]
    fn input_synchronized<A: Application>(
        &mut self,
        ctx: &mut TcpContext,
        app: &A,
        tuple: &FourTuple<impl Family>,
        seg_in: &TcpRepr,
        payload: &[u8],
        now: u64,
    ) -> Outcome {
        let seg = step!(self.syn_received_repeat(ctx, tuple, seg_in, now));
        let arrival = step!(self.check_sequence(ctx, tuple, &seg, payload.len(), now));
        step!(self.check_rst(ctx, tuple, &seg, arrival, now));
        step!(self.check_syn(ctx, tuple, &seg, payload.len(), arrival, now));
        if !arrival.acceptable {
            let ev = Events::OUT_OF_WINDOW;
            return self.invalid_ack(ctx, tuple, &seg, payload.len(), now, ev);
        }
        let mut events = step!(self.process_ack(ctx, tuple, &seg, payload.len(), arrival, now));
        let mut need_ack = self.process_text(ctx, app, &seg, payload, &mut events);
        need_ack |= step!(self.process_fin(ctx, tuple, &seg, payload.len(), &mut events, now));
        self.respond(ctx, app, tuple, events, need_ack, now)
    }

    /// SYN-RECEIVED only: the peer's SYN again (our SYN-ACK was lost: resend
    /// it), or, in a simultaneous open, the peer's SYN-ACK acknowledging
    /// ours, taken on as a plain ACK (its SYN is already counted in
    /// RCV.NXT).
    #[inline(always)]
    fn syn_received_repeat(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        seg_in: &TcpRepr,
        now: u64,
    ) -> Step<TcpRepr> {
        let mut seg = *seg_in;
        if self.state != State::SynReceived
            || !seg.flags.syn()
            || seg.flags.rst()
            || seg.seq != self.irs
        {
            return Ok(seg);
        }
        if self.passive() && !seg.flags.ack() {
            return Err(Outcome {
                reply: Some(self.syn_ack_segment(ctx, tuple, now)),
                events: Events::SYNACK_TX | Events::RETRANSMIT,
                end: None,
            });
        }
        if !self.passive() && seg.flags.ack() && seg.ack == self.snd_nxt {
            seg.flags = TcpFlags(seg.flags.0 & !TcpFlags::SYN.0);
            seg.seq = self.rcv_nxt;
        }
        Ok(seg)
    }

    /// First (RFC 9293 §3.10.7.4): PAWS (RFC 7323 §5.3 R1: an older TSval
    /// makes a non-RST segment unacceptable, answered with an ACK), then
    /// the four-case acceptability test against RCV.NXT and the window we
    /// advertise. An unacceptable segment is answered only after the RST
    /// and SYN checks, which RFC 5961 places before it.
    #[inline(always)]
    fn check_sequence(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload_len: usize,
        now: u64,
    ) -> Step<Arrival> {
        let f = seg.flags;
        let ts = seg.options.timestamps.filter(|_| self.timestamps_ok());
        if let Some(t) = ts
            && !f.rst()
            && ts_older(t.tsval, self.ts_recent)
        {
            let ev = Events::PAWS_REJECT;
            return Err(self.invalid_ack(ctx, tuple, seg, payload_len, now, ev));
        }
        let seg_len = payload_len as u32 + u32::from(f.syn()) + u32::from(f.fin());
        let wnd = self.rcv_wnd(&ctx.cfg);
        let in_window = |s: SeqNum| s.in_range(self.rcv_nxt, self.rcv_nxt + wnd);
        let acceptable = if seg_len == 0 {
            in_window(seg.seq)
        } else {
            in_window(seg.seq) || in_window(seg.seq + (seg_len - 1))
        };
        Ok(Arrival { ts, acceptable })
    }

    /// Second: RST (RFC 5961 §3.2): exactly RCV.NXT resets, anything else
    /// in the window earns a challenge ACK, the rest is dropped.
    #[inline(always)]
    fn check_rst(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        arrival: Arrival,
        now: u64,
    ) -> Step<()> {
        if !seg.flags.rst() {
            return Ok(());
        }
        if !arrival.acceptable {
            return Err(Outcome::events(Events::DROPPED));
        }
        if seg.seq == self.rcv_nxt {
            return Err(self.end(End::ResetByPeer, Events::RST_RX));
        }
        Err(self.challenge_ack(ctx, tuple, now))
    }

    /// Fourth, checked before the sequence test ("irrespective of the
    /// sequence number"): SYN in a synchronized state (RFC 5961 §4): a
    /// challenge ACK; a retransmission of the peer's original SYN gets a
    /// plain ACK. SYN-RECEIVED of a passive open is not synchronized: the
    /// sequence check comes first, then a different in-window SYN returns
    /// it to LISTEN (the record goes; the peer's next SYN starts afresh).
    #[inline(always)]
    fn check_syn(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload_len: usize,
        arrival: Arrival,
        now: u64,
    ) -> Step<()> {
        if !seg.flags.syn() {
            return Ok(());
        }
        if self.in_syn_queue() {
            if !arrival.acceptable {
                let ev = Events::OUT_OF_WINDOW;
                return Err(self.invalid_ack(ctx, tuple, seg, payload_len, now, ev));
            }
            return Err(self.end(End::ReturnedToListen, Events::DROPPED));
        }
        if seg.seq == self.irs {
            return Err(self.dup_ack(ctx, tuple, now, Events::OUT_OF_WINDOW));
        }
        Err(self.challenge_ack(ctx, tuple, now))
    }

    /// Fifth: ACK. Completes a passive open, drops what acknowledges
    /// nothing sent (RFC 9293) or is too old (RFC 5961 §5.2), takes
    /// TS.Recent, SND.UNA and SND.WND (ending the persist timer once the
    /// window opens), and moves the closing states on. Returns the events
    /// so far.
    #[inline(always)]
    fn process_ack(
        &mut self,
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload_len: usize,
        arrival: Arrival,
        now: u64,
    ) -> Step<Events> {
        if !seg.flags.ack() {
            return Err(Outcome::events(Events::DROPPED));
        }
        let mut events = Events::NONE;
        if self.state == State::SynReceived {
            if !seg.ack.in_range_inclusive(self.snd_una + 1, self.snd_nxt) {
                return Err(Outcome {
                    reply: Some(reset_for_ack(tuple, seg)),
                    events: Events::RST_TX,
                    end: None,
                });
            }
            self.state = State::Established;
            events |= Events::ESTABLISHED;
        }
        if seg.ack > self.snd_nxt {
            if seg.ack > self.ack_limit() {
                // Acknowledges something not yet sent.
                let ev = Events::OUT_OF_WINDOW;
                return Err(self.invalid_ack(ctx, tuple, seg, payload_len, now, ev));
            }
            // After a rewind: the peer had it from before (BSD's
            // `snd_nxt = snd_una` when SND.UNA passes SND.NXT).
            self.snd_nxt = seg.ack;
        }
        let max_wnd = self.snd_wnd.max(65535);
        if seg.ack < self.snd_una - max_wnd {
            // Too old to be a duplicate (RFC 5961 §5.2).
            return Err(self.challenge_ack(ctx, tuple, now));
        }
        // RFC 7323 §4.3: remember the newest TSval of in-sequence segments,
        // only once the segment passed every check above, ACK included (a
        // blind in-window segment must not poison TS.Recent; Linux updates
        // it from `tcp_ack` for the same reason).
        if let Some(t) = arrival.ts
            && seg.seq <= self.rcv_nxt
        {
            self.ts_recent = t.tsval;
        }
        let wnd = u32::from(seg.window) << self.snd_shift();
        if seg.ack > self.snd_una {
            self.sample_ack(ctx, arrival.ts, seg.ack, now);
            let before = self.snd_una;
            self.snd_una = seg.ack;
            self.retries = 0;
            self.deadline = 0;
            self.on_new_ack(before);
        } else if seg.ack == self.snd_una
            && payload_len == 0
            && !seg.flags.intersects(TcpFlags::SYN | TcpFlags::FIN)
            && wnd == self.snd_wnd
            && self.snd_una != self.snd_nxt
            && !events.contains(Events::ESTABLISHED)
        {
            // A duplicate ACK (RFC 5681 §2).
            self.on_dup_ack();
        }
        // Any acceptable segment restarts the idle timeout.
        if self.flags.has(ConnFlags::IDLE_TIMER) {
            self.deadline = 0;
        }
        self.snd_wnd = wnd;
        if self.flags.has(ConnFlags::PERSIST) {
            self.flags.set(ConnFlags::PROBE_ANSWERED);
            if self.window_room(self.snd_nxt) > 0 {
                // The window opened: sending resumes, the backoff ends.
                self.flags.clear(ConnFlags::PERSIST);
                self.retries = 0;
                self.deadline = 0;
            }
        }
        match self.state {
            State::FinWait1 if self.fin_acked() => {
                self.state = State::FinWait2;
                self.deadline = 0;
            }
            State::Closing if self.fin_acked() => {
                return Err(self.enter_time_wait(ctx, tuple, now, events, false));
            }
            State::LastAck if self.fin_acked() => {
                return Err(self.end(End::Closed, events));
            }
            _ => {}
        }
        Ok(events)
    }

    /// Seventh: segment text, in order only (no reassembly queue), trimmed
    /// to the window we advertise: new bytes go to the application.
    /// Returns whether the segment is to be acknowledged.
    #[inline(always)]
    fn process_text<A: Application>(
        &mut self,
        ctx: &TcpContext,
        app: &A,
        seg: &TcpRepr,
        payload: &[u8],
        events: &mut Events,
    ) -> bool {
        if payload.is_empty()
            || !matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            return false;
        }
        if seg.seq <= self.rcv_nxt {
            let wnd_end = self.rcv_nxt + self.rcv_wnd(&ctx.cfg);
            let mut end = seg.seq + payload.len() as u32;
            if end > wnd_end {
                end = wnd_end;
            }
            if end > self.rcv_nxt {
                let new = &payload[(self.rcv_nxt - seg.seq) as usize..(end - seg.seq) as usize];
                *events |= self.deliver(app, self.bytes_received(), new);
                self.rcv_nxt = end;
                *events |= Events::DATA_RX;
            }
        }
        true
    }

    /// Eighth: FIN, once everything before it has arrived. Returns whether
    /// the segment is to be acknowledged (any FIN is).
    #[inline(always)]
    fn process_fin(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload_len: usize,
        events: &mut Events,
        now: u64,
    ) -> Step<bool> {
        if !seg.flags.fin() {
            return Ok(false);
        }
        let fin_seq = seg.seq + payload_len as u32;
        if fin_seq != self.rcv_nxt || self.flags.has(ConnFlags::FIN_RCVD) {
            return Ok(true);
        }
        self.rcv_nxt += 1;
        self.flags.set(ConnFlags::FIN_RCVD);
        *events |= Events::FIN_RX;
        match self.state {
            State::Established => self.state = State::CloseWait,
            // (FIN-WAIT-1 with our FIN acknowledged has already moved to
            // FIN-WAIT-2 above, so FIN+ACK ends in TIME-WAIT below.)
            State::FinWait1 => self.state = State::Closing,
            State::FinWait2 => {
                return Err(self.enter_time_wait(ctx, tuple, now, *events, true));
            }
            _ => {}
        }
        Ok(true)
    }
}

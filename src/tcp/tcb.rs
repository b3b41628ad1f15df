//! The connection record (TCB, RFC 9293 §3.3.1) and everything that does
//! not depend on an arriving segment: active open, building outgoing
//! segments, the canned application step, timers (retransmission with
//! exponential backoff, FIN-WAIT-2), application close and abort.
//! Segment arrival lives in `input.rs`.
//!
//! Rules: no I/O, no clock (`now` in µs is passed in), no allocation. The
//! record stays at most 64 bytes (held by a test). `deadline` is the one
//! timer of a connection; the caller re-arms its timer structure whenever
//! `deadline()` changes and calls `on_timer` once it has passed.

use super::config::{AppProtocol, CloseMode, TcpConfig};
use super::context::TcpContext;
use super::outcome::{End, Events, Outcome, Reply};
use super::state::State;
use super::time_wait::TimeWait;
use crate::flow::FourTuple;
use crate::http;
use crate::wire::{SeqNum, TcpFlags, TcpOptions, TcpRepr, Timestamps};

pub(crate) const TS_OK: u8 = 1;
pub(crate) const SACK_OK: u8 = 2;
pub(crate) const WS_OK: u8 = 4;
pub(crate) const PASSIVE: u8 = 8;
pub(crate) const DATA_QUEUED: u8 = 16;
pub(crate) const FIN_QUEUED: u8 = 32;
pub(crate) const FIN_RCVD: u8 = 64;
/// `deadline` is the idle timeout, not a retransmission.
pub(crate) const IDLE_TIMER: u8 = 128;

/// MSS assumed when a SYN carries none (RFC 9293 §3.7.1).
pub const DEFAULT_MSS: u16 = 536;

/// A connection record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcb {
    pub(crate) deadline: u64,
    pub(crate) opened_at: u64,
    pub(crate) iss: SeqNum,
    pub(crate) irs: SeqNum,
    pub(crate) snd_una: SeqNum,
    pub(crate) snd_nxt: SeqNum,
    pub(crate) rcv_nxt: SeqNum,
    pub(crate) snd_wnd: u32,
    pub(crate) ts_recent: u32,
    pub(crate) peer_mss: u16,
    pub(crate) state: State,
    pub(crate) flags: u8,
    pub(crate) snd_wscale: u8,
    pub(crate) rcv_wscale: u8,
    pub(crate) retries: u8,
    /// What the application protocol has read so far (`crate::http`'s
    /// scan state; 0 with `AppProtocol::Bytes`).
    pub(crate) app_scan: u8,
    /// The template this connection follows (`TcpConfig::app_of`).
    pub(crate) template: u8,
    /// Where the application's hold before its close stands (`HOLD_*`).
    pub(crate) hold: u8,
}

/// `Tcb::hold`: not started; the exchange is done and the hold's timer is
/// to be armed; armed (`deadline` is its end); over (close now).
const HOLD_NONE: u8 = 0;
const HOLD_WANTED: u8 = 1;
const HOLD_ARMED: u8 = 2;
const HOLD_OVER: u8 = 3;

impl Tcb {
    /// Active open (RFC 9293 §3.10.1): a record in SYN-SENT and its SYN.
    pub fn connect(ctx: &mut TcpContext, tuple: &FourTuple, now: u64) -> (Tcb, Outcome) {
        Tcb::connect_as(ctx, tuple, now, 0)
    }

    /// `connect` for a connection following template `template`.
    pub fn connect_as(
        ctx: &mut TcpContext,
        tuple: &FourTuple,
        now: u64,
        template: u8,
    ) -> (Tcb, Outcome) {
        let iss = ctx.isn.isn(tuple, now);
        let mut tcb = Tcb::blank(State::SynSent, iss, now);
        tcb.template = template;
        tcb.snd_nxt = iss + 1;
        tcb.deadline = now.saturating_add(ctx.cfg.rto_syn_us);
        let reply = tcb.syn_segment(ctx, tuple, now);
        let out = Outcome {
            reply: Some(reply),
            events: Events::SYN_TX,
            end: None,
        };
        (tcb, out)
    }

    pub(crate) fn blank(state: State, iss: SeqNum, now: u64) -> Tcb {
        Tcb {
            deadline: 0,
            opened_at: now,
            iss,
            irs: SeqNum(0),
            snd_una: iss,
            snd_nxt: iss,
            rcv_nxt: SeqNum(0),
            snd_wnd: 0,
            ts_recent: 0,
            peer_mss: DEFAULT_MSS,
            state,
            flags: 0,
            snd_wscale: 0,
            rcv_wscale: 0,
            retries: 0,
            app_scan: 0,
            template: 0,
            hold: HOLD_NONE,
        }
    }

    /// Current state.
    #[inline]
    pub fn state(&self) -> State {
        self.state
    }

    /// When `on_timer` must next be called (µs), or 0 for no timer.
    #[inline]
    pub fn deadline(&self) -> u64 {
        self.deadline
    }

    /// When the record was created (µs).
    #[inline]
    pub fn opened_at(&self) -> u64 {
        self.opened_at
    }

    /// The template this connection follows.
    #[inline]
    pub fn template(&self) -> u8 {
        self.template
    }

    /// Created by a passive open (a listener), not by `connect`.
    #[inline]
    pub fn passive(&self) -> bool {
        self.flags & PASSIVE != 0
    }

    /// Next sequence number to send.
    #[inline]
    pub fn snd_nxt(&self) -> SeqNum {
        self.snd_nxt
    }

    /// Oldest unacknowledged sequence number.
    #[inline]
    pub fn snd_una(&self) -> SeqNum {
        self.snd_una
    }

    /// Next sequence number expected from the peer.
    #[inline]
    pub fn rcv_nxt(&self) -> SeqNum {
        self.rcv_nxt
    }

    /// Our initial sequence number.
    #[inline]
    pub fn iss(&self) -> SeqNum {
        self.iss
    }

    /// The MSS we send with.
    #[inline]
    pub fn peer_mss(&self) -> u16 {
        self.peer_mss
    }

    /// Data bytes per segment (RFC 9293 §3.7.1, RFC 6691): the peer's MSS
    /// counts data behind a bare 20-byte TCP header, so the options every
    /// segment of ours carries (the 12 bytes of timestamps, when in use)
    /// come out of it; otherwise a full segment would exceed the path's
    /// MTU.
    #[inline]
    pub fn effective_send_mss(&self) -> u32 {
        let options = if self.flags & TS_OK != 0 { 12 } else { 0 };
        u32::from(self.peer_mss).saturating_sub(options).max(1)
    }

    /// Timestamps are in use.
    #[inline]
    pub fn timestamps_ok(&self) -> bool {
        self.flags & TS_OK != 0
    }

    /// SACK was negotiated.
    #[inline]
    pub fn sack_ok(&self) -> bool {
        self.flags & SACK_OK != 0
    }

    /// The peer's window scale shift, when window scaling is in use.
    #[inline]
    pub fn snd_wscale(&self) -> Option<u8> {
        (self.flags & WS_OK != 0).then_some(self.snd_wscale)
    }

    /// Retransmissions of the current segment so far.
    #[inline]
    pub fn retries(&self) -> u8 {
        self.retries
    }

    /// In-order data bytes received so far.
    #[inline]
    pub fn bytes_received(&self) -> u32 {
        let fin = u32::from(self.flags & FIN_RCVD != 0);
        (self.rcv_nxt - self.irs).saturating_sub(1 + fin)
    }

    pub(crate) fn in_syn_queue(&self) -> bool {
        self.state == State::SynReceived && self.flags & PASSIVE != 0
    }

    /// Adopts the options of the peer's SYN (or SYN-ACK) that we also
    /// support (RFC 7323 §1.3, RFC 2018 §2, RFC 9293 §3.7.1).
    pub(crate) fn negotiate(&mut self, cfg: &TcpConfig, o: &TcpOptions) {
        self.peer_mss = o.mss.unwrap_or(DEFAULT_MSS).min(cfg.mss).max(64);
        if let (Some(ours), Some(theirs)) = (cfg.wscale, o.wscale) {
            self.flags |= WS_OK;
            self.rcv_wscale = ours;
            self.snd_wscale = theirs.min(crate::wire::MAX_WSCALE);
        }
        if cfg.sack && o.sack_permitted {
            self.flags |= SACK_OK;
        }
        if let (true, Some(ts)) = (cfg.timestamps, o.timestamps) {
            self.flags |= TS_OK;
            self.ts_recent = ts.tsval;
        }
    }

    /// End of our data: ISS + 1 + payload length once the payload is queued.
    #[inline]
    pub(crate) fn data_end(&self, ctx: &TcpContext) -> SeqNum {
        let len = if self.flags & DATA_QUEUED != 0 {
            ctx.cfg.app_of(self.template).payload.len() as u32
        } else {
            0
        };
        self.iss + 1 + len
    }

    /// Our FIN has been sent and acknowledged.
    #[inline]
    pub(crate) fn fin_acked(&self, ctx: &TcpContext) -> bool {
        self.flags & FIN_QUEUED != 0 && self.snd_una == self.data_end(ctx) + 1
    }

    /// The receive window we actually advertise (RCV.WND): without window
    /// scaling the 16-bit field caps it.
    #[inline]
    pub(crate) fn rcv_wnd(&self, cfg: &TcpConfig) -> u32 {
        if self.flags & WS_OK != 0 {
            cfg.rcv_wnd
        } else {
            cfg.rcv_wnd.min(65535)
        }
    }

    #[inline]
    fn window_field(&self, cfg: &TcpConfig, syn: bool) -> u16 {
        let shift = if syn || self.flags & WS_OK == 0 {
            0
        } else {
            self.rcv_wscale
        };
        (cfg.rcv_wnd >> shift).min(65535) as u16
    }

    #[inline]
    fn ts_option(&self, now: u64) -> Option<Timestamps> {
        (self.flags & TS_OK != 0).then(|| Timestamps {
            tsval: TcpContext::ts_now(now),
            tsecr: self.ts_recent,
        })
    }

    /// A header from this connection with the given numbers and flags.
    #[inline]
    pub(crate) fn header(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple,
        seq: SeqNum,
        flags: TcpFlags,
        now: u64,
    ) -> TcpRepr {
        TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq,
            ack: if flags.ack() { self.rcv_nxt } else { SeqNum(0) },
            flags,
            window: self.window_field(&ctx.cfg, false),
            options: TcpOptions {
                timestamps: self.ts_option(now),
                ..TcpOptions::default()
            },
        }
    }

    /// An ACK at SND.NXT acknowledging RCV.NXT.
    #[inline]
    pub(crate) fn ack_reply(&self, ctx: &TcpContext, tuple: &FourTuple, now: u64) -> Reply {
        Reply::control(self.header(ctx, tuple, self.snd_nxt, TcpFlags::ACK, now))
    }

    fn syn_segment(&self, ctx: &TcpContext, tuple: &FourTuple, now: u64) -> Reply {
        let cfg = &ctx.cfg;
        let repr = TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq: self.iss,
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window: self.window_field(cfg, true),
            options: TcpOptions {
                mss: Some(cfg.mss),
                wscale: cfg.wscale,
                sack_permitted: cfg.sack,
                timestamps: cfg.timestamps.then(|| Timestamps {
                    tsval: TcpContext::ts_now(now),
                    tsecr: 0,
                }),
            },
        };
        Reply::control(repr)
    }

    /// Our SYN-ACK, with the options negotiated from the peer's SYN.
    pub(crate) fn syn_ack_segment(&self, ctx: &TcpContext, tuple: &FourTuple, now: u64) -> Reply {
        let cfg = &ctx.cfg;
        let repr = TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq: self.iss,
            ack: self.rcv_nxt,
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window: self.window_field(cfg, true),
            options: TcpOptions {
                mss: Some(cfg.mss),
                wscale: (self.flags & WS_OK != 0).then_some(self.rcv_wscale),
                sack_permitted: self.flags & SACK_OK != 0,
                timestamps: self.ts_option(now),
            },
        };
        Reply::control(repr)
    }

    /// The data/FIN segment starting at `seq`: up to one MSS of our data,
    /// and our FIN when it comes next and `fin_ok`. Returns the segment
    /// (`None` when it would be empty), its data length and whether it
    /// carries the FIN.
    fn segment_at(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple,
        seq: SeqNum,
        fin_ok: bool,
        now: u64,
    ) -> (Option<Reply>, u32, bool) {
        let data_end = self.data_end(ctx);
        let len = if seq < data_end {
            (data_end - seq).min(self.effective_send_mss())
        } else {
            0
        };
        let fin = fin_ok && self.flags & FIN_QUEUED != 0 && seq + len == data_end;
        if len == 0 && !fin {
            return (None, 0, false);
        }
        let mut flags = TcpFlags::ACK;
        if len > 0 {
            flags |= TcpFlags::PSH;
        }
        if fin {
            flags |= TcpFlags::FIN;
        }
        let reply = Reply {
            repr: self.header(ctx, tuple, seq, flags, now),
            data_offset: (seq - (self.iss + 1)) as u16,
            data_len: len as u16,
            template: self.template,
        };
        (Some(reply), len, fin)
    }

    /// Sends what is due at SND.NXT: new data (up to one MSS), our FIN when
    /// all data is out, or a bare ACK when `force_ack`.
    pub(crate) fn output(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple,
        now: u64,
        force_ack: bool,
    ) -> (Option<Reply>, Events) {
        let (reply, len, fin) = self.segment_at(ctx, tuple, self.snd_nxt, true, now);
        let Some(reply) = reply else {
            return (
                force_ack.then(|| self.ack_reply(ctx, tuple, now)),
                Events::NONE,
            );
        };
        self.snd_nxt += len + u32::from(fin);
        let mut ev = Events::NONE;
        if len > 0 {
            ev |= Events::DATA_TX;
        }
        if fin {
            ev |= Events::FIN_TX;
        }
        (Some(reply), ev)
    }

    /// The segment to retransmit from SND.UNA.
    fn retransmission(&self, ctx: &TcpContext, tuple: &FourTuple, now: u64) -> Reply {
        match self.state {
            State::SynSent => self.syn_segment(ctx, tuple, now),
            State::SynReceived => self.syn_ack_segment(ctx, tuple, now),
            _ => {
                let fin_sent = self.snd_nxt > self.data_end(ctx);
                let (reply, _, _) = self.segment_at(ctx, tuple, self.snd_una, fin_sent, now);
                reply.unwrap_or_else(|| self.ack_reply(ctx, tuple, now))
            }
        }
    }

    /// Backed-off retransmission timeout for the current state.
    #[inline]
    fn rto(&self, cfg: &TcpConfig) -> u64 {
        let base = match self.state {
            State::SynSent | State::SynReceived => cfg.rto_syn_us,
            _ => cfg.rto_us,
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
    /// is unacknowledged (RFC 6298 §5), the FIN-WAIT-2 timeout, or none.
    pub(crate) fn update_timer(&mut self, cfg: &TcpConfig, now: u64) {
        match self.state {
            State::SynSent | State::SynReceived => {
                if self.deadline == 0 {
                    self.deadline = now.saturating_add(self.rto(cfg));
                }
            }
            State::FinWait2 => {
                self.flags &= !IDLE_TIMER;
                if self.deadline == 0 {
                    self.deadline = now.saturating_add(cfg.fin_wait2_us);
                }
            }
            State::Closed | State::Listen | State::TimeWait => self.deadline = 0,
            _ => {
                let idle = self.flags & IDLE_TIMER != 0;
                if self.snd_una != self.snd_nxt {
                    if self.deadline == 0 || idle || self.hold == HOLD_ARMED {
                        self.deadline = now.saturating_add(self.rto(cfg));
                        self.flags &= !IDLE_TIMER;
                    }
                    // A hold interrupted by a retransmission starts again
                    // once everything is acknowledged.
                    if self.hold == HOLD_ARMED {
                        self.hold = HOLD_WANTED;
                    }
                } else if self.state == State::Established && self.hold == HOLD_WANTED {
                    self.deadline = now.saturating_add(cfg.app_of(self.template).hold_us);
                    self.hold = HOLD_ARMED;
                    self.flags &= !IDLE_TIMER;
                } else if self.state == State::Established && self.hold == HOLD_ARMED {
                    // The hold's end stays the deadline.
                } else if cfg.idle_timeout_us > 0
                    && matches!(self.state, State::Established | State::CloseWait)
                {
                    self.deadline = now.saturating_add(cfg.idle_timeout_us);
                    self.flags |= IDLE_TIMER;
                } else {
                    self.deadline = 0;
                    self.flags &= !IDLE_TIMER;
                }
            }
        }
    }

    /// The timer expired (call when `now >= deadline()`): retransmit with
    /// backoff, or give up after the retry limit (RFC 9293 §3.8.3), or end
    /// FIN-WAIT-2.
    pub fn on_timer(&mut self, ctx: &mut TcpContext, tuple: &FourTuple, now: u64) -> Outcome {
        if self.deadline == 0 || now < self.deadline {
            return Outcome::default();
        }
        self.keeping_syn_queue(ctx, |tcb, ctx| tcb.expire(ctx, tuple, now))
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

    fn expire(&mut self, ctx: &TcpContext, tuple: &FourTuple, now: u64) -> Outcome {
        let cfg = &ctx.cfg;
        self.deadline = 0;
        if self.hold == HOLD_ARMED && self.state == State::Established {
            // The hold is over: the application closes now.
            self.hold = HOLD_OVER;
            if let Some(out) = self.app_step(ctx, tuple, now) {
                return out;
            }
            let (reply, events) = self.output(ctx, tuple, now, false);
            self.update_timer(cfg, now);
            return Outcome {
                reply,
                events,
                end: None,
            };
        }
        if self.flags & IDLE_TIMER != 0 {
            self.flags &= !IDLE_TIMER;
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
        let reply = self.retransmission(ctx, tuple, now);
        self.deadline = now.saturating_add(self.rto(cfg));
        Outcome {
            reply: Some(reply),
            events: Events::RETRANSMIT,
            end: None,
        }
    }

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

    /// The canned application (see `AppConfig`): queue the payload once
    /// enough has been received, close once the exchange is done. Returns
    /// an outcome when the application aborts with RST.
    pub(crate) fn app_step(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple,
        now: u64,
    ) -> Option<Outcome> {
        let app = ctx.cfg.app_of(self.template);
        if !matches!(self.state, State::Established | State::CloseWait) {
            return None;
        }
        let rcvd = self.bytes_received();
        // An HTTP server's request is complete at its header block's end,
        // however many bytes that took; otherwise bytes are counted.
        let http_server = app.protocol == AppProtocol::Http && self.passive();
        let request_in = http_server && http::request_ended(self.app_scan);
        let (send_after, expect) = if http_server {
            let n = if request_in { 0 } else { u32::MAX };
            (n, n)
        } else {
            (app.send_after, app.expect)
        };
        if self.flags & DATA_QUEUED == 0 && !app.payload.is_empty() && rcvd >= send_after {
            self.flags |= DATA_QUEUED;
        }
        if self.flags & FIN_QUEUED != 0 {
            return None;
        }
        let sent = app.payload.is_empty() || self.flags & DATA_QUEUED != 0;
        match self.state {
            State::CloseWait if app.close_on_peer_fin => {
                self.flags |= FIN_QUEUED;
                self.state = State::LastAck;
            }
            // The exchange is done: hold the connection open first, if
            // asked (`update_timer` arms the hold, `expire` ends it).
            State::Established
                if sent && rcvd >= expect && app.hold_us > 0 && self.hold == HOLD_NONE =>
            {
                self.hold = HOLD_WANTED;
            }
            State::Established
                if sent && rcvd >= expect && app.hold_us > 0 && self.hold != HOLD_OVER => {}
            State::Established if sent && rcvd >= expect => match app.close {
                CloseMode::Fin => {
                    self.flags |= FIN_QUEUED;
                    self.state = State::FinWait1;
                }
                // RST only once our data is acknowledged, so it is not lost.
                CloseMode::Rst if self.snd_una == self.data_end(ctx) => {
                    return Some(self.reset(ctx, tuple, now));
                }
                _ => {}
            },
            _ => {}
        }
        None
    }

    /// Reads `data`, new in-order bytes from stream offset `offset`, for
    /// the application protocol: the events it yields (an HTTP client's
    /// status class).
    #[inline]
    pub(crate) fn read_app(&mut self, ctx: &TcpContext, offset: u32, data: &[u8]) -> Events {
        if ctx.cfg.app_of(self.template).protocol != AppProtocol::Http {
            return Events::NONE;
        }
        if self.passive() {
            http::scan_request_end(&mut self.app_scan, data);
            return Events::NONE;
        }
        match http::scan_status(&mut self.app_scan, offset, data) {
            Some(http::Status::Success) => Events::HTTP_2XX,
            Some(http::Status::Other) => Events::HTTP_OTHER,
            None => Events::NONE,
        }
    }

    /// Application CLOSE (RFC 9293 §3.10.4): send FIN from ESTABLISHED or
    /// CLOSE-WAIT; forget a connection still in SYN-SENT; reset one still in
    /// SYN-RECEIVED (its handshake never completed).
    pub fn close(&mut self, ctx: &mut TcpContext, tuple: &FourTuple, now: u64) -> Outcome {
        let next = match self.state {
            State::SynSent => return self.end(End::Closed, Events::NONE),
            State::SynReceived => return self.abort(ctx, tuple, now),
            State::Established => State::FinWait1,
            State::CloseWait => State::LastAck,
            _ => return Outcome::default(),
        };
        self.flags |= FIN_QUEUED;
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
    pub fn abort(&mut self, ctx: &mut TcpContext, tuple: &FourTuple, now: u64) -> Outcome {
        if self.in_syn_queue() {
            ctx.syn_queue -= 1;
        }
        self.reset(ctx, tuple, now)
    }

    /// Sends RST|ACK at SND.NXT and ends the record (`End::ResetSent`).
    /// The caller keeps the SYN-queue count.
    pub(crate) fn reset(&mut self, ctx: &TcpContext, tuple: &FourTuple, now: u64) -> Outcome {
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

    /// The reduced TIME-WAIT record that replaces this one (call after an
    /// outcome with `End::TimeWait`). It lasts 2·MSL from `now`.
    pub fn to_time_wait(&self, ctx: &TcpContext, now: u64) -> TimeWait {
        TimeWait::new(self, now.saturating_add(ctx.cfg.msl_us.saturating_mul(2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records stay small so tens of millions fit in memory.
    #[test]
    fn record_sizes() {
        assert!(
            core::mem::size_of::<Tcb>() <= 64,
            "{}",
            core::mem::size_of::<Tcb>()
        );
        assert!(
            core::mem::size_of::<TimeWait>() <= 32,
            "{}",
            core::mem::size_of::<TimeWait>()
        );
        assert_eq!(core::mem::size_of::<Tcb>(), 56);
        assert_eq!(core::mem::size_of::<TimeWait>(), 24);
    }
}

//! Building the segments a connection sends (Linux's `tcp_output.c`):
//! the active open's SYN, headers with our numbers and options, the SYN and SYN-ACK, data and FIN
//! from the send queue, bare ACKs, and what a retransmission resends.
//!
//! Rules: a segment carries at most one MSS of data and never reaches past
//! the peer's window (SND.UNA + SND.WND, RFC 9293 §3.8.6; our FIN needs
//! room for its one sequence number too) nor, for new data, past the
//! congestion window (`congestion.rs`); its bytes are named by their
//! stream offset (`Reply::data_offset`), never copied here: the
//! application resolves them. TSvals are the context's timestamp clock
//! plus the connection's offset (RFC 7323 §5.4). No I/O, no allocation.

use super::app_state::AppState;
use super::context::TcpContext;
use super::flags::ConnFlags;
use super::outcome::{Events, Outcome, Reply};
use super::state::State;
use super::tcb::Tcb;
use crate::flow::FourTuple;
use crate::wire::{Family, SeqNum, TcpFlags, TcpOptions, TcpRepr, Timestamps};

impl Tcb {
    /// Active open (RFC 9293 §3.10.1): a record in SYN-SENT and its SYN.
    /// `app` is the application's state for the new connection.
    #[inline]
    pub fn connect(
        ctx: &mut TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        app: AppState,
    ) -> (Tcb, Outcome) {
        let (iss, ts_offset) = ctx.isn.isn_and_ts_offset(tuple, ctx.isn_clock(now));
        let mut tcb = Tcb::blank(&ctx.cfg, State::SynSent, iss, ts_offset, now);
        tcb.app = app;
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

    #[inline]
    fn window_field(&self, ctx: &TcpContext, syn: bool) -> u16 {
        let shift = if syn || !self.ws_ok() {
            0
        } else {
            self.rcv_wscale()
        };
        (ctx.cfg.rcv_wnd >> shift).min(65535) as u16
    }

    /// Our TSval at `now`.
    #[inline]
    fn tsval(&self, ctx: &TcpContext, now: u64) -> u32 {
        ctx.ts_clock(now).wrapping_add(self.ts_offset())
    }

    #[inline]
    fn ts_option(&self, ctx: &TcpContext, now: u64) -> Option<Timestamps> {
        self.timestamps_ok().then(|| Timestamps {
            tsval: self.tsval(ctx, now),
            tsecr: self.ts_recent,
        })
    }

    /// A header from this connection with the given numbers and flags.
    #[inline]
    pub(crate) fn header(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
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
            window: self.window_field(ctx, false),
            options: TcpOptions {
                timestamps: self.ts_option(ctx, now),
                ..TcpOptions::default()
            },
        }
    }

    /// An ACK at SND.NXT acknowledging RCV.NXT.
    #[inline]
    pub(crate) fn ack_reply(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Reply {
        Reply::control(self.header(ctx, tuple, self.snd_nxt, TcpFlags::ACK, now))
    }

    /// Our SYN (active open).
    pub(crate) fn syn_segment(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Reply {
        let cfg = &ctx.cfg;
        let repr = TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq: self.iss,
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window: self.window_field(ctx, true),
            options: TcpOptions {
                mss: Some(tuple.family_mss(cfg.mss)),
                wscale: cfg.wscale,
                sack_permitted: cfg.sack,
                timestamps: cfg.timestamps.then(|| Timestamps {
                    tsval: self.tsval(ctx, now),
                    tsecr: 0,
                }),
            },
        };
        Reply::control(repr)
    }

    /// Our SYN-ACK, with the options negotiated from the peer's SYN.
    pub(crate) fn syn_ack_segment(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Reply {
        let repr = TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq: self.iss,
            ack: self.rcv_nxt,
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window: self.window_field(ctx, true),
            options: TcpOptions {
                mss: Some(tuple.family_mss(ctx.cfg.mss)),
                wscale: self.ws_ok().then(|| self.rcv_wscale()),
                sack_permitted: self.sack_ok(),
                timestamps: self.ts_option(ctx, now),
            },
        };
        Reply::control(repr)
    }

    /// The data/FIN segment starting at `seq`: up to one MSS of our data
    /// within the peer's window, and our FIN when it comes next, fits the
    /// window and `fin_ok`. Returns the segment (`None` when it would be
    /// empty), its data length and whether it carries the FIN.
    #[inline(always)]
    fn segment_at(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        seq: SeqNum,
        fin_ok: bool,
        now: u64,
    ) -> (Option<Reply>, u32, bool) {
        let data_end = self.data_end();
        let mss = self.effective_send_mss();
        let room = self.send_room_with(seq, mss);
        let len = if seq < data_end {
            (data_end - seq).min(mss).min(room)
        } else {
            0
        };
        let fin =
            fin_ok && self.flags.has(ConnFlags::FIN_QUEUED) && seq + len == data_end && len < room;
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
            data_offset: seq - (self.iss + 1),
            data_len: len as u16,
            app: self.app,
        };
        (Some(reply), len, fin)
    }

    /// Sends what is due: the segment at SND.UNA when a fast retransmit or
    /// a partial ACK asked for it; else, outside recovery, new data at
    /// SND.NXT (up to one MSS within the send room), our FIN when all data
    /// is out; else a bare ACK when `force_ack`.
    #[inline(always)]
    pub(crate) fn output(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        force_ack: bool,
    ) -> (Option<Reply>, Events) {
        if self
            .flags
            .and(ConnFlags::RETRANSMIT_DUE | ConnFlags::RECOVERY)
            != ConnFlags::NONE
            && let Some(out) = self.output_recovering(ctx, tuple, now, force_ack)
        {
            return out;
        }
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

    /// `output` in fast recovery or with a retransmission due: the
    /// segment at SND.UNA when one is due; in recovery no new data (a
    /// bare ACK when `force_ack`); `None` when neither applies after all
    /// (new data as usual).
    #[cold]
    #[inline(never)]
    fn output_recovering(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
        force_ack: bool,
    ) -> Option<(Option<Reply>, Events)> {
        if self.flags.has(ConnFlags::RETRANSMIT_DUE) {
            self.flags.clear(ConnFlags::RETRANSMIT_DUE);
            if self.snd_una < self.snd_nxt {
                return Some((
                    Some(self.retransmission(ctx, tuple, now)),
                    Events::RETRANSMIT | Events::FAST_RETRANSMIT,
                ));
            }
        }
        self.flags.has(ConnFlags::RECOVERY).then(|| {
            (
                force_ack.then(|| self.ack_reply(ctx, tuple, now)),
                Events::NONE,
            )
        })
    }

    /// The next segment the send window allows beyond what the last call
    /// sent (new data or our FIN at SND.NXT), with its events, the timer
    /// kept in step; `None` when nothing more may go out now (see
    /// `wants_to_send`). For a caller that sends several segments per
    /// received one.
    pub fn send_more(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Option<(Reply, Events)> {
        if !self.wants_to_send() {
            return None;
        }
        let (reply, events) = self.output(ctx, tuple, now, false);
        self.update_timer(&ctx.cfg, now);
        reply.map(|r| (r, events))
    }

    /// A zero-window probe (RFC 9293 §3.8.6.1) in Linux's form
    /// (`tcp_xmit_probe_skb`): an ACK whose sequence number, SND.UNA − 1,
    /// the peer has already received, so it answers at once with an ACK
    /// carrying its window, and no byte goes past the window.
    pub(crate) fn window_probe(
        &self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Reply {
        Reply::control(self.header(ctx, tuple, self.snd_una - 1, TcpFlags::ACK, now))
    }

    /// The segment to retransmit from SND.UNA.
    pub(crate) fn retransmission(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        now: u64,
    ) -> Reply {
        match self.state {
            State::SynSent => self.syn_segment(ctx, tuple, now),
            State::SynReceived => self.syn_ack_segment(ctx, tuple, now),
            _ => {
                let fin_sent = self.snd_nxt > self.data_end();
                // One segment, whatever the congestion window (RFC 5681
                // §3.2 step 4 sends it regardless of cwnd).
                let cwnd = std::mem::replace(&mut self.cwnd, u16::MAX);
                let (reply, _, _) = self.segment_at(ctx, tuple, self.snd_una, fin_sent, now);
                self.cwnd = cwnd;
                reply.unwrap_or_else(|| self.ack_reply(ctx, tuple, now))
            }
        }
    }
}

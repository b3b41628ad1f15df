//! TIME-WAIT as a reduced record (RFC 9293 §3.6.1, §3.10.7.4): what is left
//! of a connection after an active close, kept 2·MSL so that late segments
//! of the old incarnation are recognised. Its handler returns a verdict.
//!
//! Decisions (per RFC 9293, RFC 5961 §3, RFC 6191, RFC 7323 §5 and Linux's
//! `tcp_timewait_state_process`):
//! - a bare ACK at exactly RCV.NXT restarts the 2·MSL timer and is not
//!   answered; a retransmitted FIN (or any other non-RST segment) is
//!   re-acknowledged and, when it carries ACK, restarts the timer;
//! - a RST whose sequence number is exactly RCV.NXT ends the record early
//!   (unless RFC 1337 protection is on); any other RST is dropped;
//! - a SYN reopens the connection (RFC 6191 §2): when timestamps were in
//!   use and the SYN carries them, iff its TSval is newer than TS.Recent, or
//!   equal to it with a sequence number beyond RCV.NXT; otherwise iff its
//!   sequence number is beyond RCV.NXT (RFC 1122 §4.2.2.13). The new ISN must exceed the old SND.NXT: Linux's
//!   SND.NXT + 65537 is proposed;
//! - PAWS-failing segments are answered with an ACK and dropped;
//! - the ACKs answering segments without data or FIN, or with a SYN, are
//!   rate limited as a live connection's (`oow.rs`, Linux's
//!   `tcp_timewait_check_oow_rate_limit`).

use super::context::TcpContext;
use super::oow::held_back;
use super::outcome::{Events, Reply};
use super::paws::ts_older;
use crate::flow::FourTuple;
use crate::wire::{Family, SeqNum, TcpFlags, TcpOptions, TcpRepr, Timestamps};

/// A connection in TIME-WAIT: 28 bytes, aligned to 4 (the deadline is
/// kept as two halves) so that a TIME-WAIT table entry stays 48 bytes.
/// What it sends is computed from the context where it is the same for
/// every connection (our window scale is the configured one) and from the
/// connection's own timestamp offset, which it keeps: a cookie
/// connection's offset comes from its cookie, not from the tuple alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWait {
    /// The deadline (µs), low and high halves.
    deadline: [u32; 2],
    ts_offset: u32,
    snd_nxt: SeqNum,
    rcv_nxt: SeqNum,
    ts_recent: u32,
    /// Timestamps were in use (RFC 7323 §3).
    ts_ok: bool,
    /// Window scaling was in use (RFC 7323 §2).
    ws_ok: bool,
    /// The duplicate-ACK rate limit's stamp (`oow.rs`).
    last_oow: u8,
}

/// What to do with a segment that hit a TIME-WAIT record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwVerdict {
    /// Drop it silently.
    Drop,
    /// Send this ACK (the record stays; check `deadline()` for a restart).
    Ack(Reply),
    /// Delete the record and hand the SYN to the listener, proposing `isn`.
    Reopen {
        /// An ISN beyond the old incarnation's sequence space.
        isn: SeqNum,
    },
    /// Delete the record (a valid RST).
    Close,
}

/// A deadline as (low, high) halves.
#[inline]
fn split(deadline: u64) -> [u32; 2] {
    [deadline as u32, (deadline >> 32) as u32]
}

impl TimeWait {
    /// The record of a connection whose last numbers were `snd_nxt` and
    /// `rcv_nxt`, lasting until `deadline`; `ts_ok` and `ws_ok` tell
    /// whether timestamps (TS.Recent: `ts_recent`) and window scaling
    /// were in use.
    pub(crate) fn new(
        deadline: u64,
        ts_offset: u32,
        snd_nxt: SeqNum,
        rcv_nxt: SeqNum,
        ts_recent: u32,
        ts_ok: bool,
        ws_ok: bool,
    ) -> TimeWait {
        TimeWait {
            deadline: split(deadline),
            ts_offset,
            snd_nxt,
            rcv_nxt,
            ts_recent,
            ts_ok,
            ws_ok,
            last_oow: 0,
        }
    }

    /// Timestamps were in use on the connection (RFC 7323).
    #[inline]
    pub fn timestamps_ok(&self) -> bool {
        self.ts_ok
    }

    /// When the record expires (µs).
    #[inline]
    pub fn deadline(&self) -> u64 {
        u64::from(self.deadline[0]) | (u64::from(self.deadline[1]) << 32)
    }

    /// RCV.NXT of the old connection.
    #[inline]
    pub fn rcv_nxt(&self) -> SeqNum {
        self.rcv_nxt
    }

    /// The record has expired at `now`.
    #[inline]
    pub fn expired(&self, now: u64) -> bool {
        now >= self.deadline()
    }

    /// Handles a segment for this four-tuple.
    pub fn on_segment(
        &mut self,
        ctx: &TcpContext,
        tuple: &FourTuple<impl Family>,
        seg: &TcpRepr,
        payload_len: usize,
        now: u64,
    ) -> (TwVerdict, Events) {
        let f = seg.flags;
        let ts = seg.options.timestamps.filter(|_| self.ts_ok);
        let paws_reject = ts.is_some_and(|t| ts_older(t.tsval, self.ts_recent));
        let seg_len = payload_len as u32 + u32::from(f.syn()) + u32::from(f.fin());

        if f.rst() {
            // RSTs are exempt from PAWS (RFC 7323 §5.3 R1).
            if seg.seq == self.rcv_nxt && !ctx.cfg.rfc1337 {
                return (TwVerdict::Close, Events::RST_RX);
            }
            return (TwVerdict::Drop, Events::DROPPED);
        }
        if !paws_reject && seg.seq == self.rcv_nxt && seg_len == 0 && !f.syn() {
            // A bare in-window ACK: restart the timer, nothing to answer.
            self.deadline = split(now.saturating_add(ctx.cfg.msl_us.saturating_mul(2)));
            return (TwVerdict::Drop, Events::NONE);
        }
        if f.syn() && !f.ack() && !paws_reject {
            // RFC 6191 §2: a newer TSval, or an equal one with a sequence
            // number beyond the old incarnation's; without timestamps, the
            // sequence number alone (RFC 1122 §4.2.2.13).
            let newer = match ts {
                Some(t) if t.tsval == self.ts_recent => seg.seq > self.rcv_nxt,
                Some(t) => ts_older(self.ts_recent, t.tsval),
                None => seg.seq > self.rcv_nxt,
            };
            if newer {
                let mut isn = self.snd_nxt + 65535 + 2;
                if isn.0 == 0 {
                    isn += 1;
                }
                return (TwVerdict::Reopen { isn }, Events::TIME_WAIT_REUSED);
            }
        }
        if paws_reject || f.ack() {
            self.deadline = split(now.saturating_add(ctx.cfg.msl_us.saturating_mul(2)));
        }
        let events = if paws_reject {
            Events::PAWS_REJECT
        } else {
            Events::NONE
        };
        if held_back(&mut self.last_oow, f, payload_len, now) {
            return (TwVerdict::Drop, events | Events::DUP_ACK_LIMITED);
        }
        (TwVerdict::Ack(self.ack(ctx, tuple, now)), events)
    }

    /// The ACK this record answers with: `<SEQ=SND.NXT><ACK=RCV.NXT>`.
    pub fn ack(&self, ctx: &TcpContext, tuple: &FourTuple<impl Family>, now: u64) -> Reply {
        let shift = if self.ws_ok {
            ctx.cfg.wscale.unwrap_or(0)
        } else {
            0
        };
        Reply::control(TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq: self.snd_nxt,
            ack: self.rcv_nxt,
            flags: TcpFlags::ACK,
            window: (ctx.cfg.rcv_wnd >> shift).min(65535) as u16,
            options: TcpOptions {
                timestamps: self.ts_ok.then(|| Timestamps {
                    tsval: ctx.ts_clock(now).wrapping_add(self.ts_offset),
                    tsecr: self.ts_recent,
                }),
                ..TcpOptions::default()
            },
        })
    }
}

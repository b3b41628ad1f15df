//! The connection record (TCB, RFC 9293 §3.3.1): its fields, typed flags,
//! what the handshake negotiated, and the sequence-space arithmetic every
//! other part reads. What happens to it lives beside it, along Linux's
//! lines: `input.rs` (a segment arrives), `output.rs` (building segments),
//! `timers.rs` (retransmission, persist and the other timers), `close.rs`
//! (close, abort, reset, TIME-WAIT), `application.rs` (the application's
//! turn).
//!
//! Rules: no I/O, no clock (`now` in µs is passed in), no allocation. The
//! record stays at most 64 bytes (held by a test). `deadline` is the one
//! timer of a connection; the caller re-arms its timer structure whenever
//! `deadline()` changes and calls `on_timer` once it has passed. The
//! application's per-connection state (`AppState`) is kept here and never
//! read by TCP.

use super::app_state::AppState;
use super::config::TcpConfig;
use super::flags::ConnFlags;
use super::state::State;
use crate::wire::{SeqNum, TcpOptions};

/// `Tcb::wscales` when window scaling is not in use: our nibble 15 (shifts
/// go up to 14, RFC 7323 §2.3), the peer's shift 0.
pub(crate) const NO_WSCALE: u8 = 0xF0;

/// MSS assumed when a SYN carries none (RFC 9293 §3.7.1).
pub const DEFAULT_MSS: u16 = 536;

/// A connection record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcb {
    pub(crate) deadline: u64,
    /// When the record was created (µs, the low 32 bits: ages up to 71
    /// minutes are exact, see `age`).
    pub(crate) opened_at: u32,
    pub(crate) iss: SeqNum,
    pub(crate) irs: SeqNum,
    pub(crate) snd_una: SeqNum,
    pub(crate) snd_nxt: SeqNum,
    pub(crate) rcv_nxt: SeqNum,
    pub(crate) snd_wnd: u32,
    pub(crate) ts_recent: u32,
    /// Bytes the application has queued: our data is the stream
    /// ISS+1 .. ISS+1+`snd_queued`.
    pub(crate) snd_queued: u32,
    pub(crate) peer_mss: u16,
    /// The congestion window, in segments (RFC 5681 §2; counted in
    /// segments as Linux's `snd_cwnd`).
    pub(crate) cwnd: u16,
    /// The slow-start threshold, in segments (`u16::MAX`: none yet).
    pub(crate) ssthresh: u16,
    /// Added to the timestamp clock for our TSvals (RFC 7323 §5.4): the
    /// half that `isn::fold_ts_offset` repeats in both halves of the u32.
    pub(crate) ts_offset_half: u16,
    /// The smoothed round-trip time (RFC 6298 §2), in 1/8 ms (0: no
    /// sample yet).
    pub(crate) srtt8: u16,
    /// The round-trip time variation (RFC 6298 §2), in 1/4 ms.
    pub(crate) rttvar4: u16,
    pub(crate) flags: ConnFlags,
    pub(crate) state: State,
    /// The window scales: the peer's shift in the low nibble (0 without
    /// scaling, so that it applies as it is), ours in the high one (15:
    /// window scaling is not in use, `NO_WSCALE`).
    pub(crate) wscales: u8,
    /// When the last duplicate ACK answering an invalid segment went out
    /// (in `OOW_TICK_US` ticks, modulo 2^8; 0: never), for the
    /// per-connection rate limit.
    pub(crate) last_oow: u8,
    pub(crate) retries: u8,
    pub(crate) app: AppState,
}

impl Tcb {
    pub(crate) fn blank(
        cfg: &TcpConfig,
        state: State,
        iss: SeqNum,
        ts_offset: u32,
        now: u64,
    ) -> Tcb {
        debug_assert_eq!(
            ts_offset,
            super::isn::fold_ts_offset(ts_offset),
            "a timestamp offset from isn.rs or a cookie (folded)"
        );
        Tcb {
            deadline: 0,
            opened_at: now as u32,
            iss,
            irs: SeqNum(0),
            snd_una: iss,
            snd_nxt: iss,
            rcv_nxt: SeqNum(0),
            snd_wnd: 0,
            ts_recent: 0,
            snd_queued: 0,
            peer_mss: DEFAULT_MSS,
            cwnd: cfg.init_cwnd,
            ssthresh: u16::MAX,
            ts_offset_half: (ts_offset >> 16) as u16,
            srtt8: 0,
            rttvar4: 0,
            flags: ConnFlags::NONE,
            state,
            wscales: NO_WSCALE,
            last_oow: 0,
            retries: 0,
            app: AppState::default(),
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

    /// How long ago the record was created (µs), at `now`: exact for
    /// records younger than 2^32 µs (71 minutes), modulo that beyond.
    #[inline]
    pub fn age(&self, now: u64) -> u64 {
        u64::from((now as u32).wrapping_sub(self.opened_at))
    }

    /// The congestion window, in segments.
    #[inline]
    pub fn cwnd(&self) -> u16 {
        self.cwnd
    }

    /// The slow-start threshold, in segments (`u16::MAX`: none yet).
    #[inline]
    pub fn ssthresh(&self) -> u16 {
        self.ssthresh
    }

    /// The application's state of this connection.
    #[inline]
    pub fn app_state(&self) -> AppState {
        self.app
    }

    /// Created by a passive open (a listener), not by `connect`.
    #[inline]
    pub fn passive(&self) -> bool {
        self.flags.has(ConnFlags::PASSIVE)
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

    /// The peer's receive window (SND.WND), in bytes, scaled.
    #[inline]
    pub fn snd_wnd(&self) -> u32 {
        self.snd_wnd
    }

    /// What this connection adds to the timestamp clock for its TSvals.
    #[inline]
    pub fn ts_offset(&self) -> u32 {
        u32::from(self.ts_offset_half) * 0x1_0001
    }

    /// Bytes the application has queued so far.
    #[inline]
    pub fn bytes_queued(&self) -> u32 {
        self.snd_queued
    }

    /// Data bytes per segment (RFC 9293 §3.7.1, RFC 6691): the peer's MSS
    /// counts data behind a bare 20-byte TCP header, so the options every
    /// segment of ours carries (the 12 bytes of timestamps, when in use)
    /// come out of it; otherwise a full segment would exceed the path's
    /// MTU.
    #[inline]
    pub fn effective_send_mss(&self) -> u32 {
        let options = if self.timestamps_ok() { 12 } else { 0 };
        u32::from(self.peer_mss).saturating_sub(options).max(1)
    }

    /// Timestamps are in use.
    #[inline]
    pub fn timestamps_ok(&self) -> bool {
        self.flags.has(ConnFlags::TS_OK)
    }

    /// SACK was negotiated.
    #[inline]
    pub fn sack_ok(&self) -> bool {
        self.flags.has(ConnFlags::SACK_OK)
    }

    /// The peer's window scale shift, when window scaling is in use.
    #[inline]
    pub fn snd_wscale(&self) -> Option<u8> {
        self.ws_ok().then_some(self.snd_shift())
    }

    /// The shift of the peer's window field: its scale, or 0 without
    /// scaling.
    #[inline]
    pub(crate) fn snd_shift(&self) -> u8 {
        self.wscales & 0x0F
    }

    /// Window scaling is in use (RFC 7323 §2.2).
    #[inline]
    pub(crate) fn ws_ok(&self) -> bool {
        self.wscales < NO_WSCALE
    }

    /// Our window scale shift (meaningful when `ws_ok`).
    #[inline]
    pub(crate) fn rcv_wscale(&self) -> u8 {
        self.wscales >> 4
    }

    /// Window scaling in use with the peer's shift `theirs` and ours.
    #[inline]
    pub(crate) fn set_wscales(&mut self, theirs: u8, ours: u8) {
        self.wscales = (ours << 4) | theirs.min(crate::wire::MAX_WSCALE);
    }

    /// Retransmissions of the current segment so far.
    #[inline]
    pub fn retries(&self) -> u8 {
        self.retries
    }

    /// In-order data bytes received so far.
    #[inline]
    pub fn bytes_received(&self) -> u32 {
        let fin = u32::from(self.flags.has(ConnFlags::FIN_RCVD));
        (self.rcv_nxt - self.irs).saturating_sub(1 + fin)
    }

    pub(crate) fn in_syn_queue(&self) -> bool {
        self.state == State::SynReceived && self.passive()
    }

    /// Adopts the options of the peer's SYN (or SYN-ACK) that we also
    /// support (RFC 7323 §1.3, RFC 2018 §2, RFC 9293 §3.7.1); `mss` is
    /// ours, for the connection's address family.
    pub(crate) fn negotiate(&mut self, cfg: &TcpConfig, mss: u16, o: &TcpOptions) {
        self.peer_mss = o.mss.unwrap_or(DEFAULT_MSS).min(mss).max(64);
        if let (Some(ours), Some(theirs)) = (cfg.wscale, o.wscale) {
            self.set_wscales(theirs, ours);
        }
        if cfg.sack && o.sack_permitted {
            self.flags.set(ConnFlags::SACK_OK);
        }
        if let (true, Some(ts)) = (cfg.timestamps, o.timestamps) {
            self.flags.set(ConnFlags::TS_OK);
            self.ts_recent = ts.tsval;
        }
    }

    /// End of our data: ISS + 1 + the bytes queued.
    #[inline]
    pub(crate) fn data_end(&self) -> SeqNum {
        self.iss + 1 + self.snd_queued
    }

    /// Our FIN has been sent and acknowledged.
    #[inline]
    pub(crate) fn fin_acked(&self) -> bool {
        self.flags.has(ConnFlags::FIN_QUEUED) && self.snd_una == self.data_end() + 1
    }

    /// The receive window we advertise (RCV.WND): the window field of our
    /// segments times the scale, so the bytes the shift drops are not
    /// counted (RFC 7323 §2.3); without window scaling, and in our
    /// SYN-ACK, the 16-bit field caps it.
    #[inline]
    pub(crate) fn rcv_wnd(&self, cfg: &TcpConfig) -> u32 {
        if self.ws_ok() && self.state != State::SynReceived {
            let shift = self.rcv_wscale();
            (cfg.rcv_wnd >> shift).min(65535) << shift
        } else {
            cfg.rcv_wnd.min(65535)
        }
    }

    /// How many bytes from `seq` on the peer's window still takes
    /// (SND.UNA + SND.WND − seq, or 0).
    #[inline]
    pub(crate) fn window_room(&self, seq: SeqNum) -> u32 {
        let end = self.snd_una + self.snd_wnd;
        if seq < end { end - seq } else { 0 }
    }

    /// Something queued is still to be sent: data beyond SND.NXT, or our
    /// FIN.
    #[inline]
    pub(crate) fn send_pending(&self) -> bool {
        let fin = u32::from(self.flags.has(ConnFlags::FIN_QUEUED));
        self.snd_nxt < self.data_end() + fin
    }
}

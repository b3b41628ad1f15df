//! The send window (Linux's `tcp_cong.c` and the recovery of
//! `tcp_input.c`, reduced to what fits the 64-byte record): how much may
//! be in flight, how the congestion window grows, and what a loss does
//! to it.
//!
//! Rules:
//! - In flight: at most min(peer window, congestion window) from SND.UNA
//!   (RFC 5681 §2, RFC 9293 §3.8.6); the congestion window counts
//!   segments of `effective_send_mss` bytes (as Linux's `snd_cwnd`) and
//!   starts at `TcpConfig::init_cwnd` (RFC 6928: 10).
//! - Growth, only while the congestion window limits the sender (the
//!   flight filled it, or data waits and the peer's window is the wider;
//!   RFC 7661 §4.2, Linux's `tcp_is_cwnd_limited`): slow start adds the segments each
//!   ACK acknowledges (RFC 3465's byte counting without its L limit, as
//!   Linux's `tcp_slow_start`: a receiver that acknowledges a whole flight
//!   at once, as Linux behind GRO does, still doubles the window each
//!   round trip); congestion avoidance adds one segment each time the
//!   acknowledged stream crosses a multiple of the window (about one per
//!   round trip, RFC 5681 eq. 3, without a byte counter in the record).
//! - Fast retransmit at the third duplicate ACK (RFC 5681 §2's
//!   definition, §3.2): ssthresh = max(FlightSize / 2, 2 segments), the
//!   segment at SND.UNA is resent, and fast recovery follows RFC 6582
//!   with one simplification: no new data is sent during recovery (the
//!   window is not inflated), so `recover` (RFC 6582 §3.2 step 2) is
//!   SND.NXT itself and needs no field. A partial ACK resends the next
//!   segment (step 5); a full ACK ends recovery with cwnd = ssthresh
//!   (step 3, option 2). Duplicate ACKs during recovery or after a
//!   timeout's rewind start nothing (step 1's guard).
//! - A retransmission timeout (RFC 5681 §3.1 eq. 4, RFC 6298 §5.5):
//!   ssthresh = max(FlightSize / 2, 2), cwnd = 1 (the loss window), and
//!   SND.NXT goes back to SND.UNA (go-back-N, as BSD), so slow start
//!   resends what followed the lost segment.

use super::flags::ConnFlags;
use super::tcb::Tcb;
use crate::wire::SeqNum;

impl Tcb {
    /// The congestion window in bytes.
    #[inline]
    pub(crate) fn cwnd_bytes(&self) -> u32 {
        u32::from(self.cwnd).saturating_mul(self.effective_send_mss())
    }

    /// How many bytes from `seq` on may go out now: the room left in both
    /// the peer's window and the congestion window.
    #[inline]
    pub(crate) fn send_room(&self, seq: SeqNum) -> u32 {
        self.send_room_with(seq, self.effective_send_mss())
    }

    /// `send_room` with the segment size `mss` already at hand.
    #[inline(always)]
    pub(crate) fn send_room_with(&self, seq: SeqNum, mss: u32) -> u32 {
        let end = self.snd_una + u32::from(self.cwnd).saturating_mul(mss);
        let cwnd_room = if seq < end { end - seq } else { 0 };
        self.window_room(seq).min(cwnd_room)
    }

    /// Bytes sent and not yet acknowledged (FlightSize, RFC 5681 §2).
    #[inline]
    pub(crate) fn flight(&self) -> u32 {
        self.snd_nxt - self.snd_una
    }

    /// max(FlightSize / 2, 2 segments), in segments (RFC 5681 eq. 4).
    #[inline]
    fn halved_flight(&self) -> u16 {
        let segments = self.flight().div_ceil(self.effective_send_mss());
        (segments / 2).clamp(2, u32::from(u16::MAX)) as u16
    }

    /// SND.UNA advanced from `before` (a new ACK; SND.UNA is already
    /// updated): duplicate ACKs start over, recovery moves on or ends, or
    /// the window grows.
    #[inline(always)]
    pub(crate) fn on_new_ack(&mut self, before: SeqNum) {
        let loss = ConnFlags::DUP_ACK_ONE
            | ConnFlags::DUP_ACK_TWO
            | ConnFlags::REWOUND
            | ConnFlags::RECOVERY;
        // The common case, cheaply: no loss state, nothing waiting, and
        // less in flight than the window less a segment of 32 bytes (below
        // any MSS less the timestamp option): the window did not limit the
        // sender, so it does not grow.
        if self.flags.and(loss) == ConnFlags::NONE
            && (self.snd_nxt - before) < u32::from(self.cwnd).saturating_sub(1) << 5
            && !self.send_pending()
        {
            return;
        }
        self.on_new_ack_slow(before);
    }

    /// `on_new_ack` past its common case.
    #[inline(never)]
    fn on_new_ack_slow(&mut self, before: SeqNum) {
        self.flags
            .clear(ConnFlags::DUP_ACK_ONE | ConnFlags::DUP_ACK_TWO);
        if self.flags.has(ConnFlags::REWOUND)
            && self.snd_una >= self.snd_nxt
            && !self.send_pending()
        {
            self.flags.clear(ConnFlags::REWOUND);
        }
        if self.flags.has(ConnFlags::RECOVERY) {
            if self.snd_una >= self.snd_nxt {
                // Full ACK (RFC 6582 §3.2 step 3, option 2).
                self.flags.clear(ConnFlags::RECOVERY);
                self.cwnd = self.ssthresh;
            } else {
                // Partial ACK (step 5): the next hole goes out now.
                self.flags.set(ConnFlags::RETRANSMIT_DUE);
            }
            return;
        }
        // Grow only while the congestion window holds the sender back:
        // what was in flight before this ACK filled it (to within a
        // segment), or data waits and the peer's window is the wider.
        let mss = self.effective_send_mss();
        let was_in_flight = self.snd_nxt - before;
        let window = self.cwnd_bytes();
        let limited = was_in_flight.saturating_add(mss) >= window
            || (self.send_pending() && window <= self.snd_wnd);
        if !limited || self.cwnd == u16::MAX {
            return;
        }
        if self.cwnd < self.ssthresh {
            let acked = (self.snd_una - before)
                .div_ceil(mss)
                .min(u32::from(u16::MAX)) as u16;
            self.cwnd = self.cwnd.saturating_add(acked).min(self.ssthresh.max(2));
        } else {
            let crossed = (self.snd_una - self.iss) / window != (before - self.iss) / window;
            if crossed {
                self.cwnd += 1;
            }
        }
    }

    /// A duplicate ACK (RFC 5681 §2: nothing new acknowledged, no data,
    /// no SYN or FIN, the same window, data outstanding). The third in a
    /// row starts fast retransmit and recovery (§3.2).
    #[inline]
    pub(crate) fn on_dup_ack(&mut self) {
        if self.flags.and(ConnFlags::RECOVERY | ConnFlags::REWOUND) != ConnFlags::NONE {
            return;
        }
        let one = self.flags.has(ConnFlags::DUP_ACK_ONE);
        let two = self.flags.has(ConnFlags::DUP_ACK_TWO);
        match (one, two) {
            (false, false) => self.flags.set(ConnFlags::DUP_ACK_ONE),
            (true, false) => {
                self.flags.clear(ConnFlags::DUP_ACK_ONE);
                self.flags.set(ConnFlags::DUP_ACK_TWO);
            }
            _ => {
                self.flags
                    .clear(ConnFlags::DUP_ACK_ONE | ConnFlags::DUP_ACK_TWO);
                self.ssthresh = self.halved_flight();
                self.cwnd = self.ssthresh;
                self.flags
                    .set(ConnFlags::RECOVERY | ConnFlags::RETRANSMIT_DUE);
            }
        }
    }

    /// The retransmission timer expired with data in flight: the loss
    /// window, and SND.NXT back to SND.UNA so that what follows goes out
    /// again under slow start.
    #[inline]
    pub(crate) fn on_retransmission_timeout(&mut self) {
        self.ssthresh = self.halved_flight();
        self.cwnd = 1;
        self.flags.clear(
            ConnFlags::RECOVERY
                | ConnFlags::RETRANSMIT_DUE
                | ConnFlags::DUP_ACK_ONE
                | ConnFlags::DUP_ACK_TWO,
        );
        self.snd_nxt = self.snd_una;
        self.flags.set(ConnFlags::REWOUND);
    }

    /// The highest sequence number an ACK may acknowledge: SND.NXT, or,
    /// after a rewind, the end of the queued stream and FIN (what may have
    /// been sent before it).
    #[inline]
    pub(crate) fn ack_limit(&self) -> SeqNum {
        if self.flags.has(ConnFlags::REWOUND) {
            let fin = u32::from(self.flags.has(ConnFlags::FIN_QUEUED));
            self.data_end() + fin
        } else {
            self.snd_nxt
        }
    }

    /// Whether output would send another segment now: something queued
    /// beyond SND.NXT with room for it, outside recovery.
    #[inline]
    pub fn wants_to_send(&self) -> bool {
        self.send_pending()
            && !self.flags.has(ConnFlags::RECOVERY)
            && self.send_room(self.snd_nxt) > 0
    }
}

//! The per-connection limit on duplicate ACKs that answer invalid
//! segments (out of window, failing PAWS, acknowledging unsent data, or
//! hitting a TIME-WAIT record), as Linux's `tcp_oow_rate_limited`: at most
//! one per `INVALID_ACK_GAP_MS` (Linux's `tcp_invalid_ratelimit`, 500 ms)
//! per connection, so that two endpoints that disagree on the sequence
//! space cannot keep each other in an ACK loop, and a flood of such
//! segments on one connection draws few answers.
//!
//! Rules: only segments that carry neither data nor FIN, or that carry a
//! SYN, are limited (a segment with data always gets its ACK: it is not
//! part of a loop, and its sender needs the answer). The time of the last
//! answer is kept in 8 bits of 4-ms ticks (0: never), so that it fits the
//! records; an answer exactly a multiple of 1.024 s after the previous one
//! may be held back once.

use crate::wire::TcpFlags;

/// Least time between two duplicate ACKs answering invalid segments on
/// one connection (Linux's `tcp_invalid_ratelimit`).
pub const INVALID_ACK_GAP_MS: u64 = 500;

/// The tick of the stamp the records keep (µs).
pub const OOW_TICK_US: u64 = 4000;

/// `INVALID_ACK_GAP_MS` in ticks.
const GAP_TICKS: u8 = (INVALID_ACK_GAP_MS * 1000 / OOW_TICK_US) as u8;

/// Whether the duplicate ACK for an invalid segment with `flags` and
/// `payload_len` bytes must be held back at `now_us`, given `last`, the
/// tick of the connection's last such answer, which is updated when the
/// answer goes out.
#[inline]
pub(crate) fn held_back(last: &mut u8, flags: TcpFlags, payload_len: usize, now_us: u64) -> bool {
    if !flags.syn() && (payload_len > 0 || flags.fin()) {
        return false;
    }
    let now_tick = (now_us / OOW_TICK_US) as u8;
    if *last != 0 && now_tick.wrapping_sub(*last) < GAP_TICKS {
        return true;
    }
    *last = now_tick.max(1);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_answer_per_gap_for_segments_without_data() {
        let mut last = 0;
        let ack = TcpFlags::ACK;
        assert!(!held_back(&mut last, ack, 0, 1_000_000));
        assert!(held_back(&mut last, ack, 0, 1_000_000));
        assert!(held_back(&mut last, ack, 0, 1_499_999));
        assert!(!held_back(&mut last, ack, 0, 1_500_000));
        // SYNs are limited, data and FINs are not.
        assert!(held_back(&mut last, TcpFlags::SYN | ack, 10, 1_600_000));
        assert!(!held_back(&mut last, ack, 10, 1_600_000));
        assert!(!held_back(&mut last, TcpFlags::FIN | ack, 0, 1_600_000));
        // Tick 0 is kept as 1 (0 means never).
        let mut last = 0;
        assert!(!held_back(&mut last, ack, 0, 0));
        assert_eq!(last, 1);
    }
}

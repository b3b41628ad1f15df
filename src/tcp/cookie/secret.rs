//! The keyed hash of a SYN cookie and its bit layout: one secret's MAC
//! over the four-tuple and the client's ISN, made a function of the period
//! by the period's pad, and how a cookie is made and checked with it.
//!
//! Rules: no state but the secret and the pads of the periods met last
//! (refreshed by the caller when a period starts); the layout is Linux's
//! but for the MSS index's place (`cookie` module doc).

use crate::flow::FourTuple;
use crate::tcp::isn::fold_ts_offset;
use crate::tcp::prf::Prf;
use crate::tcp::tuple_keys::TupleKeys;
use crate::wire::Family;

/// MSS values a cookie can carry over IPv4 (Linux `msstab`).
pub const MSS_TABLE: [u16; 4] = [536, 1300, 1440, 1460];
/// MSS values a cookie can carry over IPv6 (Linux `msstab` of
/// `net/ipv6/syncookies.c`: 1280, 1480, 1500 and 9000 less 60).
pub const MSS_TABLE_V6: [u16; 4] = [1220, 1420, 1440, 8940];

/// The MSS table of `A`'s family.
#[inline(always)]
pub fn mss_table<A: Family>() -> &'static [u16; 4] {
    if A::IS_V6 { &MSS_TABLE_V6 } else { &MSS_TABLE }
}
const COOKIE_BITS: u32 = 24;
const COOKIE_MASK: u32 = (1 << COOKIE_BITS) - 1;
const COUNT_MASK: u32 = u32::MAX >> COOKIE_BITS;
/// Position of the MSS index inside the hashed 24 bits.
const MSS_SHIFT: u32 = 22;
const CHECK_MASK: u32 = (1 << MSS_SHIFT) - 1;

/// Domain separation of the key of the period pads ("cookie-p").
const PAD_KEY_TAG: u64 = u64::from_le_bytes(*b"cookie-p");

/// No period: a pad cache entry that matches none.
const NO_PERIOD: u32 = u32::MAX;

/// One cookie secret.
#[derive(Clone, Debug)]
pub(super) struct Secret {
    /// The hash of tuple and client ISN.
    prf: Prf,
    /// The function of the period pads, under a key derived from the
    /// secret.
    pads: Prf,
    /// (period, pad) of the periods met last; refreshed with the period.
    cached: [(u32, u64); 2],
    /// The keys that compress an IPv6 tuple, derived from the secret.
    tuples: TupleKeys,
}

impl Secret {
    pub(super) fn new(key: [u8; 16]) -> Secret {
        let prf = Prf::new(key);
        // The derivation block: both addresses 255.255.255.255, never a
        // connection's.
        let (a, b) = prf.eval(u64::MAX, PAD_KEY_TAG);
        let mut pad_key = [0u8; 16];
        pad_key[..8].copy_from_slice(&a.to_le_bytes());
        pad_key[8..].copy_from_slice(&b.to_le_bytes());
        Secret {
            tuples: TupleKeys::derive(&prf),
            prf,
            pads: Prf::new(pad_key),
            cached: [(NO_PERIOD, 0); 2],
        }
    }

    /// The pad of period `count`: a keyed function of the period, so the
    /// hash depends on it although the 16-byte block holds only tuple and
    /// ISN.
    #[inline(always)]
    fn pad(&self, count: u32) -> u64 {
        let count = count & COUNT_MASK;
        match self.cached {
            [(c, p), _] if c == count => p,
            [_, (c, p)] if c == count => p,
            _ => self.uncached_pad(count),
        }
    }

    /// The pad of a period not at hand (no `refresh` since it began).
    #[cold]
    #[inline(never)]
    fn uncached_pad(&self, count: u32) -> u64 {
        self.pads.eval(u64::from(count), 0).0
    }

    /// The period whose pad is at hand, if any.
    pub(super) fn cached_period(&self) -> Option<u32> {
        let [(count, _), _] = self.cached;
        (count != NO_PERIOD).then_some(count)
    }

    /// Keeps the pads of period `count` and the one before it at hand.
    pub(super) fn cache_pads(&mut self, count: u32) {
        let [now, prev] = [count, count.wrapping_sub(1)].map(|c| c & COUNT_MASK);
        self.cached = [
            (now, self.pads.eval(u64::from(now), 0).0),
            (prev, self.pads.eval(u64::from(prev), 0).0),
        ];
    }

    /// (high 32 bits, low 32 bits) of the low 64 bits of AES(tuple ‖
    /// client ISN), the 16 bytes built as two little-endian words, XORed
    /// with the pad of period `count`; and the low 32 bits of the high 64,
    /// the connection's timestamp offset (independent of the period, so the
    /// cookie's ACK finds the offset its SYN-ACK used).
    ///
    /// The ISN is hashed, all 32 bits of it, not only added (as Linux
    /// does), so that a segment whose SEQ and ACK are both off by the same
    /// amount does not validate: the final ACK of a connection that closed
    /// cleanly (SEQ = ISN + 2, ACK = cookie + 2, both FINs counted),
    /// arriving again after its record is gone, would otherwise open the
    /// connection anew; and no shift by a multiple of 2^24 passes either.
    /// `tuple` as this secret hashes it.
    #[inline(always)]
    pub(super) fn input<A: Family>(&self, tuple: &FourTuple<A>) -> (u64, u32) {
        self.tuples.input(tuple)
    }

    #[inline(always)]
    fn hash(&self, input: &(u64, u32), count: u32, client_isn: u32) -> (u32, u32, u32) {
        let (h, more) = self
            .prf
            .eval(input.0, u64::from(input.1) | (u64::from(client_isn) << 32));
        let h = h ^ self.pad(count);
        ((h >> 32) as u32, h as u32, more as u32)
    }

    /// The cookie of period `count` carrying MSS index `idx`, and the
    /// connection's timestamp offset.
    #[inline]
    pub(super) fn make(
        &self,
        input: &(u64, u32),
        client_isn: u32,
        count: u32,
        idx: u32,
    ) -> (u32, u32) {
        let (hi, lo, ts_offset) = self.hash(input, count, client_isn);
        let cookie = hi
            .wrapping_add(client_isn)
            .wrapping_add(count << COOKIE_BITS)
            .wrapping_add(lo.wrapping_add(idx << MSS_SHIFT) & COOKIE_MASK);
        (cookie, fold_ts_offset(ts_offset))
    }

    /// The MSS of `cookie` (from `table`) and the connection's timestamp
    /// offset, if it was made in period `count`.
    #[inline]
    pub(super) fn check(
        &self,
        input: &(u64, u32),
        client_isn: u32,
        cookie: u32,
        count: u32,
        table: &[u16; 4],
    ) -> Option<(u16, u32)> {
        let (hi, lo, ts_offset) = self.hash(input, count, client_isn);
        let x = cookie.wrapping_sub(hi).wrapping_sub(client_isn);
        if x >> COOKIE_BITS != count & COUNT_MASK {
            return None;
        }
        let data = x.wrapping_sub(lo) & COOKIE_MASK;
        if data & CHECK_MASK != 0 {
            return None;
        }
        Some((
            table[(data >> MSS_SHIFT) as usize],
            fold_ts_offset(ts_offset),
        ))
    }
}

/// Index into `MSS_TABLE` of the largest entry not above `mss` (the
/// smallest entry when `mss` is below all of them).
#[inline]
pub fn mss_index(mss: u16) -> usize {
    mss_index_in(&MSS_TABLE, mss)
}

/// `mss_index` in `table`.
#[inline]
pub fn mss_index_in(table: &[u16; 4], mss: u16) -> usize {
    table.iter().rposition(|&m| mss >= m).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mss_table_rounding() {
        assert_eq!(mss_index(536), 0);
        assert_eq!(mss_index(1299), 0);
        assert_eq!(mss_index(1300), 1);
        assert_eq!(mss_index(1440), 2);
        assert_eq!(mss_index(1460), 3);
        assert_eq!(mss_index(0), 0);
        assert_eq!(mss_index_in(&MSS_TABLE_V6, 1440), 2);
        assert_eq!(mss_index_in(&MSS_TABLE_V6, 9000), 3);
        assert_eq!(mss_index_in(&MSS_TABLE_V6, 1419), 0);
    }
}

//! The address family, named by its address type: `[u8; 4]` is IPv4,
//! `[u8; 16]` IPv6. Everything above `wire` that holds an address (the
//! four-tuple, the tables, the endpoint) is generic over it and
//! monomorphised, so the IPv4 path compiles to what it was before IPv6
//! existed, and an IPv6 connection record holds two 16-byte addresses
//! while an IPv4 one keeps its two 4-byte ones.
//!
//! Rules: what differs between the families at the wire is answered by
//! the address type: the network header and the EtherType
//! (`frame::IpTcp`), the pseudo-header of the TCP checksum
//! (`checksum::PseudoHeader`), and here the predictions, the parse and
//! the MSS the header size leaves; nothing here keeps state.

use super::error::Result;
use super::frame::{self, Frame, IpTcp};
use super::ipv4;
use super::segment_prediction::{self, PredictedSegment, SegmentPeek};
use super::syn_prediction::{self, PlainSyn};

/// IPv4 addresses.
pub type V4 = [u8; 4];
/// IPv6 addresses.
pub type V6 = [u8; 16];

/// An IP address family, implemented by its address type.
pub trait Family:
    IpTcp
    + AsRef<[u8]>
    + Eq
    + Ord
    + core::hash::Hash
    + Default
    + core::fmt::Debug
    + Send
    + Sync
    + 'static
{
    /// IPv6 (else IPv4).
    const IS_V6: bool;
    /// "IPv4" or "IPv6", for reports.
    const NAME: &'static str;

    /// The address as two little-endian words (IPv4: its four bytes as
    /// the low half of the first, the second zero).
    fn words(self) -> [u64; 2];

    /// The address in `bytes`, when they are one of this family's.
    fn from_slice(bytes: &[u8]) -> Option<Self>;

    /// `self`'s offset from `first` in a range of consecutive addresses
    /// (IPv6: within the same upper 64 bits, else `u64::MAX`).
    fn offset_from(self, first: Self) -> u64;

    /// The address `n` after `self` (wrapping within the last 32 bits
    /// for IPv4, the last 64 for IPv6).
    fn add(self, n: u64) -> Self;

    /// The plain SYN of an untagged frame, read at fixed offsets (`None`:
    /// not predicted).
    fn predict_syn(frame: &[u8], verify: bool) -> Option<PlainSyn<'_, Self>>;

    /// A segment after the SYN of an untagged frame, read at fixed
    /// offsets (`None`: not predicted).
    fn predict_segment(frame: &[u8], verify: bool) -> Option<PredictedSegment<Self>>;

    /// Addresses, ports and flags at fixed offsets, for prefetch hints.
    fn peek_segment(frame: &[u8]) -> Option<SegmentPeek<Self>>;

    /// Parses a whole frame: IPv4 and ARP, or IPv6 with its neighbor
    /// discovery.
    fn parse_frame(buf: &[u8], verify: bool) -> Result<Frame<'_>>;

    /// The TCP segment of a parsed frame of this family, and the length of
    /// its Ethernet header; `None` for any other frame.
    fn segment_of(frame: &Frame<'_>) -> Option<(PredictedSegment<Self>, usize)>;

    /// The MSS a header of this family leaves where an IPv4 header
    /// leaves `mss_v4` (the IPv6 header is 20 bytes longer).
    #[inline(always)]
    fn mss_from_v4(mss_v4: u16) -> u16 {
        mss_v4.saturating_sub((Self::HEADER_LEN - ipv4::HEADER_LEN) as u16)
    }

    /// Writes the address in its text form.
    fn write_text(self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}

impl Family for V4 {
    const IS_V6: bool = false;
    const NAME: &'static str = "IPv4";

    #[inline(always)]
    fn words(self) -> [u64; 2] {
        [u64::from(u32::from_le_bytes(self)), 0]
    }

    #[inline]
    fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok()
    }

    #[inline(always)]
    fn offset_from(self, first: Self) -> u64 {
        u64::from(u32::from_be_bytes(self).wrapping_sub(u32::from_be_bytes(first)))
    }

    #[inline]
    fn add(self, n: u64) -> Self {
        u32::from_be_bytes(self)
            .wrapping_add(n as u32)
            .to_be_bytes()
    }

    #[inline(always)]
    fn predict_syn(frame: &[u8], verify: bool) -> Option<PlainSyn<'_, Self>> {
        syn_prediction::predict_syn(frame, verify)
    }

    #[inline(always)]
    fn predict_segment(frame: &[u8], verify: bool) -> Option<PredictedSegment<Self>> {
        segment_prediction::predict_segment(frame, verify)
    }

    #[inline(always)]
    fn peek_segment(frame: &[u8]) -> Option<SegmentPeek<Self>> {
        segment_prediction::peek_segment(frame)
    }

    #[inline(always)]
    fn parse_frame(buf: &[u8], verify: bool) -> Result<Frame<'_>> {
        frame::parse_frame(buf, verify)
    }

    #[inline(always)]
    fn segment_of(frame: &Frame<'_>) -> Option<(PredictedSegment<Self>, usize)> {
        match frame {
            Frame::Tcp(f) => Some((PredictedSegment::of_frame(f), f.eth.header_len())),
            _ => None,
        }
    }

    fn write_text(self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&std::net::Ipv4Addr::from(self), f)
    }
}

impl Family for V6 {
    const IS_V6: bool = true;
    const NAME: &'static str = "IPv6";

    #[inline(always)]
    fn words(self) -> [u64; 2] {
        let (a, b) = self.split_at(8);
        [
            u64::from_le_bytes(a.try_into().unwrap_or_default()),
            u64::from_le_bytes(b.try_into().unwrap_or_default()),
        ]
    }

    #[inline]
    fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok()
    }

    #[inline]
    fn offset_from(self, first: Self) -> u64 {
        let (a, b) = (u128::from_be_bytes(self), u128::from_be_bytes(first));
        if a >> 64 != b >> 64 {
            return u64::MAX;
        }
        (a as u64).wrapping_sub(b as u64)
    }

    #[inline]
    fn add(self, n: u64) -> Self {
        let a = u128::from_be_bytes(self);
        let low = (a as u64).wrapping_add(n);
        ((a >> 64 << 64) | u128::from(low)).to_be_bytes()
    }

    #[inline(always)]
    fn predict_syn(frame: &[u8], verify: bool) -> Option<PlainSyn<'_, Self>> {
        syn_prediction::predict_syn_v6(frame, verify)
    }

    #[inline(always)]
    fn predict_segment(frame: &[u8], verify: bool) -> Option<PredictedSegment<Self>> {
        segment_prediction::predict_segment_v6(frame, verify)
    }

    #[inline(always)]
    fn peek_segment(frame: &[u8]) -> Option<SegmentPeek<Self>> {
        segment_prediction::peek_segment_v6(frame)
    }

    #[inline]
    fn parse_frame(buf: &[u8], verify: bool) -> Result<Frame<'_>> {
        frame::parse_frame_v6(buf, verify)
    }

    #[inline(always)]
    fn segment_of(frame: &Frame<'_>) -> Option<(PredictedSegment<Self>, usize)> {
        match frame {
            Frame::Tcp6(f) => Some((PredictedSegment::of_frame6(f), f.eth.header_len())),
            _ => None,
        }
    }

    fn write_text(self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&std::net::Ipv6Addr::from(self), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_sums_stay_within_the_range_part() {
        assert_eq!([10, 0, 0, 9].offset_from([10, 0, 0, 1]), 8);
        assert_eq!([10, 0, 0, 1].add(0x1_0000_0001), [10, 0, 0, 2]);
        let a: V6 = std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0xff).octets();
        let b: V6 = std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).octets();
        assert_eq!(a.offset_from(b), 0xfe);
        assert_eq!(b.add(0xfe), a);
        let other: V6 = std::net::Ipv6Addr::new(0xfd01, 0, 0, 0, 0, 0, 0, 1).octets();
        assert_eq!(other.offset_from(b), u64::MAX);
        // Wrapping stays within the low 64 bits.
        let top: V6 =
            std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0xffff, 0xffff, 0xffff, 0xffff).octets();
        assert_eq!(
            top.add(2),
            std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).octets()
        );
    }

    #[test]
    fn the_mss_shrinks_by_the_longer_header() {
        assert_eq!(V4::mss_from_v4(1460), 1460);
        assert_eq!(V6::mss_from_v4(1460), 1440);
    }

    #[test]
    fn words_are_little_endian_halves() {
        assert_eq!([1, 2, 3, 4].words(), [0x0403_0201, 0]);
        let mut a = [0u8; 16];
        a[0] = 1;
        a[8] = 2;
        assert_eq!(a.words(), [1, 2]);
    }
}

//! Header prediction for plain SYNs, the segment a SYN flood is made of.
//!
//! Van Jacobson's header prediction (Linux's `tcp_rcv_established` fast
//! path) applied to connection setup: a frame that is untagged Ethernet II,
//! a 20-byte unfragmented IPv4 header, and a TCP segment with only the SYN
//! bit and no data is read at fixed offsets into a small [`PlainSyn`],
//! skipping the general [`parse_frame`](super::parse_frame). For IPv6 the
//! same holds of an untagged frame with a 40-byte IPv6 header whose next
//! header is TCP (no extension header): `predict_syn_v6`, whose answer
//! equals `parse_frame_v6`'s.
//!
//! Rules: this file decides nothing. A frame it accepts gives exactly what
//! `parse_frame` gives for it (a test holds the two byte-equal, checksum
//! verification included); every other frame, malformed ones included,
//! yields `None` and is left to `parse_frame`, which counts its errors.

use super::checksum;
use super::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::ipv4::PROTO_TCP;
use super::seq::SeqNum;
use super::tcp::TcpFlags;
#[cfg(doc)]
use super::tcp_options::TcpOptions;

/// Ethernet II header length (no VLAN tag).
const L2: usize = 14;
/// Offset of the TCP header (20-byte IPv4 header).
const L4: usize = L2 + 20;

/// The fields of a plain SYN that its answer depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainSyn<'a, A = [u8; 4]> {
    /// Source address.
    pub src: A,
    /// Destination address.
    pub dst: A,
    /// TCP source port.
    pub src_port: u16,
    /// TCP destination port.
    pub dst_port: u16,
    /// Sequence number (the peer's ISN).
    pub seq: SeqNum,
    /// Window field.
    pub window: u16,
    /// The options bytes, for [`TcpOptions::parse`] (kept unparsed so
    /// that the parsed options are not moved between stack slots: a
    /// move right after the parse's narrow stores reloads them with wide
    /// loads, a store-forwarding stall).
    pub options: &'a [u8],
}

impl PlainSyn<'_> {
    /// Length of the Ethernet header in front of the IP header.
    pub const L2_LEN: usize = L2;
}

#[inline(always)]
fn be16<const N: usize>(b: &[u8; N], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

#[inline(always)]
fn ne32<const N: usize>(b: &[u8; N], i: usize) -> u32 {
    u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

#[inline(always)]
fn be32<const N: usize>(b: &[u8; N], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Recognises a plain SYN in `frame` (the received bytes). With `verify`,
/// both checksums must verify. `None` means "not predicted", never "bad".
#[inline(always)]
pub fn predict_syn(frame: &[u8], verify: bool) -> Option<PlainSyn<'_>> {
    let h: &[u8; L4 + 20] = frame.get(..L4 + 20)?.try_into().ok()?;
    // Ethertype IPv4, version 4 with IHL 5, TCP, no MF and offset 0, and
    // TCP flags exactly SYN.
    if be16(h, 12) != ETHERTYPE_IPV4
        || h[L2] != 0x45
        || h[L2 + 9] != PROTO_TCP
        || be16(h, L2 + 6) & 0x3fff != 0
        || h[L4 + 13] != TcpFlags::SYN.0
    {
        return None;
    }
    let total = usize::from(be16(h, L2 + 2));
    let tcp_len = usize::from(h[L4 + 12] >> 4) * 4;
    // No data: the segment is exactly the TCP header. Trailing bytes past
    // the IPv4 total length (Ethernet padding) are ignored, as by
    // `parse_frame`.
    if tcp_len < 20 || total != 20 + tcp_len || L2 + total > frame.len() {
        return None;
    }
    let src = [h[L2 + 12], h[L2 + 13], h[L2 + 14], h[L2 + 15]];
    let dst = [h[L2 + 16], h[L2 + 17], h[L2 + 18], h[L2 + 19]];
    let segment = &frame[L4..L4 + tcp_len];
    if verify {
        // Both sums in the machine's byte order: a checksum that verifies
        // folds to 0xffff in either order (RFC 1071 §2(B)).
        let ip = (0..5).map(|i| u64::from(ne32(h, L2 + 4 * i))).sum::<u64>();
        let pseudo = checksum::pseudo_header_v4_native(src, dst, PROTO_TCP, tcp_len as u16);
        if checksum::fold(ip) != 0xffff
            || checksum::fold(pseudo + checksum::sum_native(segment)) != 0xffff
        {
            return None;
        }
    }
    Some(PlainSyn {
        src,
        dst,
        src_port: be16(h, L4),
        dst_port: be16(h, L4 + 2),
        seq: SeqNum(be32(h, L4 + 4)),
        window: be16(h, L4 + 14),
        options: &segment[20..],
    })
}

/// Offset of the TCP header behind a 40-byte IPv6 header.
const L4_V6: usize = L2 + 40;

/// `predict_syn` for IPv6: version 6, next header TCP (no extension
/// header), a payload of exactly the TCP header, flags exactly SYN.
#[inline(always)]
pub fn predict_syn_v6(frame: &[u8], verify: bool) -> Option<PlainSyn<'_, [u8; 16]>> {
    let h: &[u8; L4_V6 + 20] = frame.get(..L4_V6 + 20)?.try_into().ok()?;
    if be16(h, 12) != ETHERTYPE_IPV6
        || h[L2] >> 4 != 6
        || h[L2 + 6] != PROTO_TCP
        || h[L4_V6 + 13] != TcpFlags::SYN.0
    {
        return None;
    }
    let payload = usize::from(be16(h, L2 + 4));
    let tcp_len = usize::from(h[L4_V6 + 12] >> 4) * 4;
    if tcp_len < 20 || payload != tcp_len || L4_V6 + payload > frame.len() {
        return None;
    }
    let segment = &frame[L4_V6..L4_V6 + tcp_len];
    if verify {
        // The addresses as they lie in the header, the length and the next
        // header, all in the machine's byte order (RFC 1071 §2(B)).
        let pseudo = checksum::sum_native(&h[L2 + 8..L4_V6])
            + u64::from(u16::from_ne_bytes([0, PROTO_TCP]))
            + u64::from(u16::from_ne_bytes((tcp_len as u16).to_be_bytes()));
        if checksum::fold(pseudo + checksum::sum_native(segment)) != 0xffff {
            return None;
        }
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[L2 + 8..L2 + 24]);
    dst.copy_from_slice(&h[L2 + 24..L4_V6]);
    Some(PlainSyn {
        src,
        dst,
        src_port: be16(h, L4_V6),
        dst_port: be16(h, L4_V6 + 2),
        seq: SeqNum(be32(h, L4_V6 + 4)),
        window: be16(h, L4_V6 + 14),
        options: &segment[20..],
    })
}

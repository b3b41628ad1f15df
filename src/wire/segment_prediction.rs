//! Header prediction for the segments of a running connection: the SYN-ACK
//! (in Linux's option layout), then ACKs, data, FINs and RSTs, the frames
//! every connection exchanges after its SYN.
//!
//! As Linux's `tcp_rcv_established` fast path checks a segment against the
//! expected header before the general path, a frame that is untagged
//! Ethernet II, a 20-byte unfragmented IPv4 header and a TCP header with no
//! options or exactly NOP NOP timestamps (RFC 7323 Appendix A's layout) and
//! no SYN, or a SYN-ACK with exactly Linux's SYN options (MSS,
//! SACK-permitted, timestamps, NOP, window scale), is read at fixed
//! offsets into a [`PredictedSegment`], skipping the general
//! [`parse_frame`](super::parse_frame) with its checked views and option
//! walk.
//!
//! Rules: this file decides nothing. A frame it accepts gives exactly what
//! `parse_frame` gives for it (a test holds the two equal over mutated
//! frames, checksum verification included); every other frame, malformed
//! ones included, yields `None` and is left to `parse_frame`, which counts
//! its errors. For IPv6 the same holds of an untagged frame with a
//! 40-byte IPv6 header whose next header is TCP (`predict_segment_v6`,
//! equal to `parse_frame_v6`).

use super::checksum;
use super::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::frame::{Tcp6Frame, TcpFrame};
use super::ipv4::PROTO_TCP;
use super::seq::SeqNum;
use super::tcp::{TcpFlags, TcpRepr};
use super::tcp_options::{TcpOptions, Timestamps};

/// Ethernet II header length (no VLAN tag).
const L2: usize = 14;
/// Offset of the TCP header (20-byte IPv4 header).
const L4: usize = L2 + 20;
/// The first option word of the aligned timestamps layout: NOP, NOP,
/// kind 8, length 10.
const NOP_NOP_TS: u32 = 0x0101_080a;
/// Linux's SYN options: MSS (kind 2, length 4) in the high half of the
/// first word, SACK-permitted then timestamps as the second word, NOP and
/// window scale (kind 3, length 3) in the high three bytes of the last.
const SYN_MSS: u32 = 0x0204;
const SYN_SACK_TS: u32 = 0x0402_080a;
const SYN_NOP_WS: u32 = 0x01_0303;

/// A predicted segment: addresses, the TCP header as `TcpRepr`, and where
/// its data lies in the frame (`of_frame` gives the same view of a frame
/// the general parse read, so the endpoint has one path after either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PredictedSegment<A = [u8; 4]> {
    /// Source address.
    pub src: A,
    /// Destination address.
    pub dst: A,
    /// The TCP header.
    pub tcp: TcpRepr,
    /// Offset of the segment's data in the frame.
    pub data_start: usize,
    /// End of the segment's data in the frame (the IP packet's end; any
    /// Ethernet padding beyond it is ignored).
    pub data_end: usize,
}

impl PredictedSegment<[u8; 16]> {
    /// The same fields of an IPv6 frame the general parse read.
    #[inline]
    pub fn of_frame6(f: &Tcp6Frame<'_>) -> PredictedSegment<[u8; 16]> {
        PredictedSegment {
            src: f.ip.src,
            dst: f.ip.dst,
            tcp: f.tcp,
            data_start: f.payload_start,
            data_end: f.payload_start + f.payload.len(),
        }
    }
}

impl<A> PredictedSegment<A> {
    /// Where the segment's data lies in the frame.
    #[inline]
    pub fn data(&self) -> core::ops::Range<usize> {
        self.data_start..self.data_end
    }
}

impl PredictedSegment {
    /// Length of the Ethernet header in front of the IP header.
    pub const L2_LEN: usize = L2;

    /// The same fields of a frame the general parse read.
    #[inline]
    pub fn of_frame(f: &TcpFrame<'_>) -> PredictedSegment {
        PredictedSegment {
            src: f.ip.src,
            dst: f.ip.dst,
            tcp: f.tcp,
            data_start: f.payload_start,
            data_end: f.payload_start + f.payload.len(),
        }
    }
}

#[inline(always)]
fn be16<const N: usize>(b: &[u8; N], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

#[inline(always)]
fn be32<const N: usize>(b: &[u8; N], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

#[inline(always)]
fn ne32<const N: usize>(b: &[u8; N], i: usize) -> u32 {
    u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// The four-tuple fields and TCP flags of a frame, read at the fixed
/// offsets of an untagged IPv4 frame with a 20-byte header (see
/// [`peek_segment`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentPeek<A = [u8; 4]> {
    /// Source address.
    pub src: A,
    /// Destination address.
    pub dst: A,
    /// TCP source port.
    pub src_port: u16,
    /// TCP destination port.
    pub dst_port: u16,
    /// TCP flags.
    pub flags: TcpFlags,
}

/// A glance at a frame not yet handled, for prefetch hints only: the
/// addresses, ports and flags where an untagged IPv4/TCP frame with a
/// 20-byte IP header has them. Checks only the length, the ethertype, the
/// IP version and header length and the protocol; nothing else about the
/// frame is known to be valid, so nothing may be decided from it.
#[inline(always)]
pub fn peek_segment(frame: &[u8]) -> Option<SegmentPeek> {
    let h: &[u8; L4 + 20] = frame.get(..L4 + 20)?.try_into().ok()?;
    if be16(h, 12) != ETHERTYPE_IPV4 || h[L2] != 0x45 || h[L2 + 9] != PROTO_TCP {
        return None;
    }
    Some(SegmentPeek {
        src: [h[L2 + 12], h[L2 + 13], h[L2 + 14], h[L2 + 15]],
        dst: [h[L2 + 16], h[L2 + 17], h[L2 + 18], h[L2 + 19]],
        src_port: be16(h, L4),
        dst_port: be16(h, L4 + 2),
        flags: TcpFlags(h[L4 + 13]),
    })
}

/// Recognises a segment after the SYN in `frame` (the received bytes). With
/// `verify`, both checksums must verify. `None` means "not predicted",
/// never "bad".
#[inline(always)]
pub fn predict_segment(frame: &[u8], verify: bool) -> Option<PredictedSegment> {
    // The 54 bytes of fixed headers, then the options, through views of
    // their exact size: every offset is checked at compile time.
    let h: &[u8; L4 + 20] = frame.get(..L4 + 20)?.try_into().ok()?;
    // Ethertype IPv4, version 4 with IHL 5, TCP, no MF and offset 0, and
    // no SYN unless with ACK alone (a SYN-ACK).
    let flags = h[L4 + 13];
    let syn_ack = TcpFlags::SYN.0 | TcpFlags::ACK.0;
    let control = syn_ack | TcpFlags::RST.0 | TcpFlags::FIN.0;
    if be16(h, 12) != ETHERTYPE_IPV4
        || h[L2] != 0x45
        || h[L2 + 9] != PROTO_TCP
        || be16(h, L2 + 6) & 0x3fff != 0
        || (flags & TcpFlags::SYN.0 != 0 && flags & control != syn_ack)
    {
        return None;
    }
    let total = usize::from(be16(h, L2 + 2));
    let tcp_len = match (h[L4 + 12] >> 4, flags & TcpFlags::SYN.0 != 0) {
        (5, false) => 20,
        (8, false) => 32,
        (10, true) => 40,
        _ => return None,
    };
    if total < 20 + tcp_len || L2 + total > frame.len() {
        return None;
    }
    let options = predicted_options::<L4>(frame, tcp_len)?;
    let src = [h[L2 + 12], h[L2 + 13], h[L2 + 14], h[L2 + 15]];
    let dst = [h[L2 + 16], h[L2 + 17], h[L2 + 18], h[L2 + 19]];
    if verify {
        // Both sums in the machine's byte order: a checksum that verifies
        // folds to 0xffff in either order (RFC 1071 §2(B)).
        let ip = (0..5).map(|i| u64::from(ne32(h, L2 + 4 * i))).sum::<u64>();
        let seg_len = (total - 20) as u16;
        let pseudo = checksum::pseudo_header_v4_native(src, dst, PROTO_TCP, seg_len);
        if checksum::fold(ip) != 0xffff
            || checksum::fold(pseudo + checksum::sum_native(&frame[L4..L2 + total])) != 0xffff
        {
            return None;
        }
    }
    Some(PredictedSegment {
        src,
        dst,
        tcp: TcpRepr {
            src_port: be16(h, L4),
            dst_port: be16(h, L4 + 2),
            seq: SeqNum(be32(h, L4 + 4)),
            ack: SeqNum(be32(h, L4 + 8)),
            flags: TcpFlags(h[L4 + 13]),
            window: be16(h, L4 + 14),
            options,
        },
        data_start: L4 + tcp_len,
        data_end: L2 + total,
    })
}

/// The options of a predicted segment whose TCP header, of `tcp_len`
/// bytes, starts at `AT`: none, NOP NOP timestamps, or Linux's SYN-ACK
/// layout (`None` for any other).
#[inline(always)]
fn predicted_options<const AT: usize>(frame: &[u8], tcp_len: usize) -> Option<TcpOptions> {
    Some(match tcp_len {
        32 => {
            let o: &[u8; 12] = frame.get(AT + 20..AT + 32)?.try_into().ok()?;
            if be32(o, 0) != NOP_NOP_TS {
                return None;
            }
            TcpOptions {
                timestamps: Some(Timestamps {
                    tsval: be32(o, 4),
                    tsecr: be32(o, 8),
                }),
                ..TcpOptions::default()
            }
        }
        40 => {
            let o: &[u8; 20] = frame.get(AT + 20..AT + 40)?.try_into().ok()?;
            if be32(o, 0) >> 16 != SYN_MSS
                || be32(o, 4) != SYN_SACK_TS
                || be32(o, 16) >> 8 != SYN_NOP_WS
            {
                return None;
            }
            TcpOptions {
                mss: Some(be32(o, 0) as u16),
                wscale: Some(o[19]),
                sack_permitted: true,
                timestamps: Some(Timestamps {
                    tsval: be32(o, 8),
                    tsecr: be32(o, 12),
                }),
            }
        }
        _ => TcpOptions::default(),
    })
}

/// Offset of the TCP header behind a 40-byte IPv6 header.
const L4_V6: usize = L2 + 40;

/// `peek_segment` for IPv6 (next header TCP, no extension header).
#[inline(always)]
pub fn peek_segment_v6(frame: &[u8]) -> Option<SegmentPeek<[u8; 16]>> {
    let h: &[u8; L4_V6 + 20] = frame.get(..L4_V6 + 20)?.try_into().ok()?;
    if be16(h, 12) != ETHERTYPE_IPV6 || h[L2] >> 4 != 6 || h[L2 + 6] != PROTO_TCP {
        return None;
    }
    let (src, dst) = v6_addresses(h);
    Some(SegmentPeek {
        src,
        dst,
        src_port: be16(h, L4_V6),
        dst_port: be16(h, L4_V6 + 2),
        flags: TcpFlags(h[L4_V6 + 13]),
    })
}

#[inline(always)]
fn v6_addresses(h: &[u8; L4_V6 + 20]) -> ([u8; 16], [u8; 16]) {
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[L2 + 8..L2 + 24]);
    dst.copy_from_slice(&h[L2 + 24..L4_V6]);
    (src, dst)
}

/// `predict_segment` for IPv6: version 6, next header TCP (no extension
/// header), the same TCP layouts.
#[inline(always)]
pub fn predict_segment_v6(frame: &[u8], verify: bool) -> Option<PredictedSegment<[u8; 16]>> {
    let h: &[u8; L4_V6 + 20] = frame.get(..L4_V6 + 20)?.try_into().ok()?;
    let flags = h[L4_V6 + 13];
    let syn_ack = TcpFlags::SYN.0 | TcpFlags::ACK.0;
    let control = syn_ack | TcpFlags::RST.0 | TcpFlags::FIN.0;
    if be16(h, 12) != ETHERTYPE_IPV6
        || h[L2] >> 4 != 6
        || h[L2 + 6] != PROTO_TCP
        || (flags & TcpFlags::SYN.0 != 0 && flags & control != syn_ack)
    {
        return None;
    }
    let payload = usize::from(be16(h, L2 + 4));
    let tcp_len = match (h[L4_V6 + 12] >> 4, flags & TcpFlags::SYN.0 != 0) {
        (5, false) => 20,
        (8, false) => 32,
        (10, true) => 40,
        _ => return None,
    };
    if payload < tcp_len || L2 + 40 + payload > frame.len() {
        return None;
    }
    let options = predicted_options::<L4_V6>(frame, tcp_len)?;
    let end = L2 + 40 + payload;
    if verify {
        let pseudo = checksum::sum_native(&h[L2 + 8..L4_V6])
            + u64::from(u16::from_ne_bytes([0, PROTO_TCP]))
            + u64::from(u16::from_ne_bytes((payload as u16).to_be_bytes()));
        if checksum::fold(pseudo + checksum::sum_native(&frame[L4_V6..end])) != 0xffff {
            return None;
        }
    }
    let (src, dst) = v6_addresses(h);
    Some(PredictedSegment {
        src,
        dst,
        tcp: TcpRepr {
            src_port: be16(h, L4_V6),
            dst_port: be16(h, L4_V6 + 2),
            seq: SeqNum(be32(h, L4_V6 + 4)),
            ack: SeqNum(be32(h, L4_V6 + 8)),
            flags: TcpFlags(flags),
            window: be16(h, L4_V6 + 14),
            options,
        },
        data_start: L4_V6 + tcp_len,
        data_end: end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Frame, MacAddr, TcpFrameAddr, build_tcp_frame, parse_frame};

    fn addr() -> TcpFrameAddr {
        TcpFrameAddr {
            src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            vlan: None,
            src_ip: [10, 1, 0, 7],
            dst_ip: [10, 0, 0, 1],
        }
    }

    fn segment(flags: TcpFlags, ts: bool) -> TcpRepr {
        TcpRepr {
            src_port: 40001,
            dst_port: 80,
            seq: SeqNum(0x1234_5678),
            ack: SeqNum(0x9abc_def0),
            flags,
            window: 502,
            options: TcpOptions {
                timestamps: ts.then_some(Timestamps {
                    tsval: 77,
                    tsecr: 99,
                }),
                ..TcpOptions::default()
            },
        }
    }

    /// What `parse_frame` makes of `frame`, in the predicted form.
    fn general(frame: &[u8], verify: bool) -> Option<(PredictedSegment, Vec<u8>)> {
        let Ok(Frame::Tcp(f)) = parse_frame(frame, verify) else {
            return None;
        };
        // The offset from the slice itself, not from `payload_start`.
        let start = f.payload.as_ptr() as usize - frame.as_ptr() as usize;
        let g = PredictedSegment::of_frame(&f);
        assert_eq!(g.data(), start..start + f.payload.len());
        Some((g, f.payload.to_vec()))
    }

    #[test]
    fn ack_data_fin_rst_are_predicted_as_parsed() {
        let flags = [
            TcpFlags::ACK,
            TcpFlags::ACK | TcpFlags::PSH,
            TcpFlags::ACK | TcpFlags::FIN,
            TcpFlags::RST,
            TcpFlags::RST | TcpFlags::ACK,
        ];
        for f in flags {
            for ts in [false, true] {
                for data in [&b""[..], b"x", b"GET / HTTP/1.1\r\n\r\n"] {
                    let mut buf = [0u8; 256];
                    let n = build_tcp_frame(&mut buf, &addr(), &segment(f, ts), data).unwrap();
                    let p = predict_segment(&buf[..n], true).expect("predicted");
                    let (g, payload) = general(&buf[..n], true).unwrap();
                    assert_eq!(p, g, "{f:?} ts {ts}");
                    assert_eq!(&buf[p.data()], &payload[..]);
                }
            }
        }
    }

    #[test]
    fn a_peek_reads_what_the_parse_reads_and_nothing_more() {
        for f in [TcpFlags::SYN, TcpFlags::ACK | TcpFlags::FIN, TcpFlags::RST] {
            let mut buf = [0u8; 256];
            let n = build_tcp_frame(&mut buf, &addr(), &segment(f, true), b"x").unwrap();
            let Ok(Frame::Tcp(g)) = parse_frame(&buf[..n], true) else {
                panic!("not parsed");
            };
            let p = peek_segment(&buf[..n]).expect("peeked");
            assert_eq!((p.src, p.dst), (g.ip.src, g.ip.dst));
            assert_eq!((p.src_port, p.dst_port), (g.tcp.src_port, g.tcp.dst_port));
            assert_eq!(p.flags, g.tcp.flags);
            // Short, not IPv4, an IP header with options, not TCP: no peek.
            assert_eq!(peek_segment(&buf[..53]), None);
            for (at, byte) in [(12, 0x86), (14, 0x46), (23, 17)] {
                let mut other = buf;
                other[at] = byte;
                assert_eq!(peek_segment(&other[..n]), None, "byte {at}");
            }
        }
    }

    fn syn_ack() -> TcpRepr {
        let mut r = segment(TcpFlags::SYN | TcpFlags::ACK, true);
        r.options.mss = Some(1460);
        r.options.wscale = Some(7);
        r.options.sack_permitted = true;
        r
    }

    #[test]
    fn syn_ack_in_linux_layout_is_predicted_as_parsed() {
        let mut buf = [0u8; 256];
        let n = build_tcp_frame(&mut buf, &addr(), &syn_ack(), &[]).unwrap();
        let p = predict_segment(&buf[..n], true).expect("predicted");
        assert_eq!(Some(p), general(&buf[..n], true).map(|g| g.0));
        assert_eq!(p.tcp.options.wscale, Some(7));
        // Without window scale the layout differs: left to the general parse.
        let mut r = syn_ack();
        r.options.wscale = None;
        let n = build_tcp_frame(&mut buf, &addr(), &r, &[]).unwrap();
        assert_eq!(predict_segment(&buf[..n], true), None);
        assert!(general(&buf[..n], true).is_some());
    }

    #[test]
    fn syn_and_other_option_layouts_are_left_to_the_general_parse() {
        let mut buf = [0u8; 256];
        let syn = segment(TcpFlags::SYN, true);
        let n = build_tcp_frame(&mut buf, &addr(), &syn, &[]).unwrap();
        assert_eq!(predict_segment(&buf[..n], true), None);
        let mut mss = segment(TcpFlags::ACK, false);
        mss.options.mss = Some(1460);
        let n = build_tcp_frame(&mut buf, &addr(), &mss, &[]).unwrap();
        assert_eq!(predict_segment(&buf[..n], true), None);
        assert!(general(&buf[..n], true).is_some());
    }

    #[test]
    fn padding_past_the_ip_total_length_is_not_data() {
        let mut buf = [0u8; 128];
        let n = build_tcp_frame(&mut buf, &addr(), &segment(TcpFlags::ACK, false), &[]).unwrap();
        assert_eq!(n, 54);
        // Padded to the 60-byte Ethernet minimum.
        let p = predict_segment(&buf[..60], true).unwrap();
        assert_eq!((p.data_start, p.data_end), (54, 54));
        assert_eq!(Some(p), general(&buf[..60], true).map(|g| g.0));
    }

    /// Every single-byte change and every truncation of valid frames: a
    /// predicted frame is parsed identically by `parse_frame`, and a frame
    /// `parse_frame` refuses is never predicted.
    #[test]
    fn predicted_frames_equal_the_general_parse_under_mutation() {
        let mut x = 0x853c_49e6_748f_ea9bu64;
        let mut checked = 0;
        for (f, ts, data) in [
            (TcpFlags::ACK, true, &b"hello"[..]),
            (TcpFlags::ACK | TcpFlags::FIN, false, &b""[..]),
            (TcpFlags::RST, true, &b""[..]),
            (TcpFlags::SYN | TcpFlags::ACK, true, &b""[..]),
        ] {
            let mut orig = [0u8; 128];
            let seg = if f.syn() { syn_ack() } else { segment(f, ts) };
            let n = build_tcp_frame(&mut orig, &addr(), &seg, data).unwrap();
            for len in 0..=n {
                for verify in [true, false] {
                    if let Some(p) = predict_segment(&orig[..len], verify) {
                        assert_eq!(Some(p), general(&orig[..len], verify).map(|g| g.0));
                    }
                }
            }
            for i in 0..n {
                for _ in 0..24 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let mut buf = orig;
                    buf[i] = x as u8;
                    for verify in [true, false] {
                        if let Some(p) = predict_segment(&buf[..n], verify) {
                            assert_eq!(
                                Some(p),
                                general(&buf[..n], verify).map(|g| g.0),
                                "byte {i} = {:#x}, verify {verify}",
                                buf[i]
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "only {checked} mutated frames predicted");
    }
}

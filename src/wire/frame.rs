//! Whole frames: Ethernet → ARP or IPv4 → TCP in one call (or, for an
//! IPv6 endpoint, Ethernet → IPv6 → TCP or neighbor discovery), building a TCP
//! frame from its parts, and turning a received TCP frame into its reply in
//! place (RFC-free plumbing; the TCP decisions are made by `tcp`).
//!
//! Rules: never panic on any input; the in-place reply reuses the received
//! buffer (addresses and ports swapped, headers rewritten, checksums fixed)
//! without copying the frame.

use super::arp::ArpRepr;
use super::checksum::PseudoHeader;
use super::error::{Result, WireError};
use super::ethernet::ETHERTYPE_IPV6;
use super::ethernet::{ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame, EthernetRepr, MacAddr};
use super::ipv4::{self, Ipv4Packet, Ipv4Repr, PROTO_TCP};
use super::ipv6::{self, Ipv6Packet, Ipv6Repr, NEXT_ICMPV6};
use super::ndp::{NdpHeader, NdpRepr};
use super::tcp::{TcpPacket, TcpRepr};

/// A parsed TCP/IPv4 frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpFrame<'a> {
    /// The Ethernet header.
    pub eth: EthernetRepr,
    /// The IPv4 header.
    pub ip: Ipv4Repr,
    /// The TCP header and options.
    pub tcp: TcpRepr,
    /// The segment's data.
    pub payload: &'a [u8],
    /// Offset of the data in the frame.
    pub payload_start: usize,
}

/// A parsed TCP/IPv6 frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcp6Frame<'a> {
    /// The Ethernet header.
    pub eth: EthernetRepr,
    /// The IPv6 header (the upper layer's protocol and length after any
    /// extension headers).
    pub ip: Ipv6Repr,
    /// The TCP header and options.
    pub tcp: TcpRepr,
    /// The segment's data.
    pub payload: &'a [u8],
    /// Offset of the data in the frame.
    pub payload_start: usize,
}

/// What a received frame turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A TCP segment over IPv4.
    Tcp(TcpFrame<'a>),
    /// An ARP packet.
    Arp(EthernetRepr, ArpRepr),
    /// A TCP segment over IPv6.
    Tcp6(Tcp6Frame<'a>),
    /// A Neighbor Solicitation or Advertisement (RFC 4861).
    Ndp(EthernetRepr, NdpHeader, NdpRepr),
}

impl Frame<'_> {
    /// The frame's 802.1Q VLAN id, if tagged.
    #[inline]
    pub fn vlan(&self) -> Option<u16> {
        match self {
            Frame::Tcp(f) => f.eth.vlan,
            Frame::Arp(eth, _) | Frame::Ndp(eth, ..) => eth.vlan,
            Frame::Tcp6(f) => f.eth.vlan,
        }
    }
}

/// Parses a whole frame. With `verify_checksums`, the IPv4 header checksum
/// and the TCP checksum must verify.
#[inline(always)]
pub fn parse_frame(buf: &[u8], verify_checksums: bool) -> Result<Frame<'_>> {
    let eth = EthernetFrame::new_checked(buf)?;
    let eth_repr = EthernetRepr::parse(&eth);
    let l3 = &buf[eth.header_len()..];
    match eth_repr.ethertype {
        ETHERTYPE_IPV4 => {}
        ETHERTYPE_ARP => return Ok(Frame::Arp(eth_repr, ArpRepr::parse(l3)?)),
        _ => return Err(WireError::UnsupportedEtherType),
    }
    let ip = Ipv4Packet::new_checked(l3)?;
    if ip.protocol() != PROTO_TCP {
        return Err(WireError::NotTcp);
    }
    if verify_checksums && !ip.verify_checksum() {
        return Err(WireError::BadChecksum);
    }
    let ip_repr = Ipv4Repr::parse(&ip);
    let seg_bytes = &l3[ip.header_len()..ip.total_len()];
    let seg = TcpPacket::new_checked(seg_bytes)?;
    if verify_checksums && !seg.verify_checksum(ip_repr.src, ip_repr.dst) {
        return Err(WireError::BadChecksum);
    }
    let tcp = TcpRepr::parse(&seg)?;
    let payload = &seg_bytes[seg.header_len()..];
    Ok(Frame::Tcp(TcpFrame {
        eth: eth_repr,
        ip: ip_repr,
        tcp,
        payload,
        payload_start: eth.header_len() + ip.header_len() + seg.header_len(),
    }))
}

/// What building a TCP frame needs of an address family: its EtherType
/// and how its network header is written in front of the segment.
pub trait IpTcp: PseudoHeader {
    /// The EtherType of the family's frames.
    const ETHERTYPE: u16;
    /// Bytes of the network header we write (no options, no extension
    /// headers).
    const HEADER_LEN: usize;

    /// Writes the network header and the TCP segment into `buf` (network
    /// header first); returns their length.
    fn write_ip_tcp(
        buf: &mut [u8],
        src: Self,
        dst: Self,
        tcp: &TcpRepr,
        payload: &[u8],
    ) -> Result<usize>;
}

impl IpTcp for [u8; 4] {
    const ETHERTYPE: u16 = ETHERTYPE_IPV4;
    const HEADER_LEN: usize = ipv4::HEADER_LEN;

    #[inline(always)]
    fn write_ip_tcp(
        buf: &mut [u8],
        src: Self,
        dst: Self,
        tcp: &TcpRepr,
        payload: &[u8],
    ) -> Result<usize> {
        write_ipv4_tcp(buf, src, dst, tcp, payload)
    }
}

impl IpTcp for [u8; 16] {
    const ETHERTYPE: u16 = ETHERTYPE_IPV6;
    const HEADER_LEN: usize = ipv6::HEADER_LEN;

    #[inline]
    fn write_ip_tcp(
        buf: &mut [u8],
        src: Self,
        dst: Self,
        tcp: &TcpRepr,
        payload: &[u8],
    ) -> Result<usize> {
        write_ipv6_tcp(buf, src, dst, tcp, payload)
    }
}

/// Parses a whole frame for an IPv6 endpoint: IPv6 carrying TCP, or
/// ICMPv6 neighbor discovery; ARP too (a dual-stack host's neighbours
/// send both). With `verify_checksums`, the TCP checksum must verify (the
/// neighbor discovery checksum is always checked, RFC 4861 §7.1).
#[inline]
pub fn parse_frame_v6(buf: &[u8], verify_checksums: bool) -> Result<Frame<'_>> {
    let eth = EthernetFrame::new_checked(buf)?;
    let eth_repr = EthernetRepr::parse(&eth);
    let l3 = &buf[eth.header_len()..];
    match eth_repr.ethertype {
        ETHERTYPE_IPV6 => {}
        ETHERTYPE_ARP => return Ok(Frame::Arp(eth_repr, ArpRepr::parse(l3)?)),
        _ => return Err(WireError::UnsupportedEtherType),
    }
    let ip = Ipv6Packet::new_checked(l3)?;
    let ip_repr = Ipv6Repr::parse(&ip);
    let upper = &l3[ip.header_len()..ipv6::HEADER_LEN + ip.payload_len()];
    match ip.protocol() {
        PROTO_TCP => {}
        NEXT_ICMPV6 => {
            let header = NdpHeader {
                src: ip_repr.src,
                dst: ip_repr.dst,
                hop_limit: ip_repr.hop_limit,
            };
            return match NdpRepr::parse(&header, upper)? {
                Some(ndp) => Ok(Frame::Ndp(eth_repr, header, ndp)),
                None => Err(WireError::NotTcp),
            };
        }
        _ => return Err(WireError::NotTcp),
    }
    let seg = TcpPacket::new_checked(upper)?;
    if verify_checksums && !seg.verify_checksum(ip_repr.src, ip_repr.dst) {
        return Err(WireError::BadChecksum);
    }
    let tcp = TcpRepr::parse(&seg)?;
    Ok(Frame::Tcp6(Tcp6Frame {
        eth: eth_repr,
        ip: ip_repr,
        tcp,
        payload: &upper[seg.header_len()..],
        payload_start: eth.header_len() + ip.header_len() + seg.header_len(),
    }))
}

/// Addressing of a TCP frame to build, in family `A` (IPv4 by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpFrameAddr<A = [u8; 4]> {
    /// Source MAC.
    pub src_mac: MacAddr,
    /// Destination MAC.
    pub dst_mac: MacAddr,
    /// 802.1Q VLAN id, if any.
    pub vlan: Option<u16>,
    /// Source address.
    pub src_ip: A,
    /// Destination address.
    pub dst_ip: A,
}

/// Writes a complete Ethernet/IP/TCP frame into `buf`; returns its length.
#[inline]
pub fn build_tcp_frame<A: IpTcp>(
    buf: &mut [u8],
    addr: &TcpFrameAddr<A>,
    tcp: &TcpRepr,
    payload: &[u8],
) -> Result<usize> {
    let eth = EthernetRepr {
        src: addr.src_mac,
        dst: addr.dst_mac,
        vlan: addr.vlan,
        ethertype: A::ETHERTYPE,
    };
    let l2 = eth.emit(buf)?;
    A::write_ip_tcp(&mut buf[l2..], addr.src_ip, addr.dst_ip, tcp, payload).map(|n| l2 + n)
}

/// Writes an ARP frame into `buf`; returns its length.
pub fn build_arp_frame(buf: &mut [u8], eth: &EthernetRepr, arp: &ArpRepr) -> Result<usize> {
    let l2 = eth.emit(buf)?;
    arp.emit(&mut buf[l2..]).map(|n| l2 + n)
}

/// Writes a neighbor discovery frame into `buf` (Ethernet, a 40-byte IPv6
/// header from `ip`, the ICMPv6 message with its checksum); returns its
/// length.
pub fn build_ndp_frame(
    buf: &mut [u8],
    eth: &EthernetRepr,
    ip: &NdpHeader,
    msg: &NdpRepr,
) -> Result<usize> {
    let l2 = eth.emit(buf)?;
    let l4 = l2 + ipv6::HEADER_LEN;
    let n = msg.emit(ip, buf.get_mut(l4..).ok_or(WireError::Truncated)?)?;
    Ipv6Repr {
        src: ip.src,
        dst: ip.dst,
        next_header: NEXT_ICMPV6,
        payload_len: n as u16,
        hop_limit: ip.hop_limit,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut buf[l2..])?;
    Ok(l4 + n)
}

/// Rewrites the TCP frame in `buf` (as received: `l2_len` bytes of Ethernet
/// header, then IP from `src` to `dst`) into a reply carrying `tcp` and
/// `payload`: MAC addresses and IP addresses swapped, a fresh IP header
/// (20 bytes for IPv4, 40 for IPv6: any extension header is dropped), the TCP header and options rewritten, checksums computed. `buf`
/// is the whole frame buffer, so the reply may be longer than the request.
/// Returns the reply's length.
#[inline]
pub fn reply_in_place<A: IpTcp>(
    buf: &mut [u8],
    l2_len: usize,
    src: A,
    dst: A,
    tcp: &TcpRepr,
    payload: &[u8],
) -> Result<usize> {
    if buf.len() < l2_len || l2_len < 12 {
        return Err(WireError::Truncated);
    }
    let (dst_mac, src_mac) = buf.split_at_mut(6);
    dst_mac.swap_with_slice(&mut src_mac[..6]);
    A::write_ip_tcp(&mut buf[l2_len..], dst, src, tcp, payload).map(|n| l2_len + n)
}

/// Writes a 20-byte IPv4 header and the TCP segment into `buf`.
#[inline]
fn write_ipv4_tcp(
    buf: &mut [u8],
    src: [u8; 4],
    dst: [u8; 4],
    tcp: &TcpRepr,
    payload: &[u8],
) -> Result<usize> {
    if buf.len() < ipv4::HEADER_LEN {
        return Err(WireError::Truncated);
    }
    // The segment first: its length (options included) sizes the IP header.
    let (head, rest) = buf.split_at_mut(ipv4::HEADER_LEN);
    let n = tcp.emit(rest, src, dst, payload)?;
    if n > 0xffff - ipv4::HEADER_LEN {
        return Err(WireError::Truncated);
    }
    let ip = Ipv4Repr {
        src,
        dst,
        protocol: PROTO_TCP,
        payload_len: n as u16,
        ttl: ipv4::DEFAULT_TTL,
        tos: 0,
    };
    ip.emit(head)?;
    Ok(ipv4::HEADER_LEN + n)
}

/// Writes a 40-byte IPv6 header (no extension header) and the TCP segment
/// into `buf`.
#[inline]
fn write_ipv6_tcp(
    buf: &mut [u8],
    src: [u8; 16],
    dst: [u8; 16],
    tcp: &TcpRepr,
    payload: &[u8],
) -> Result<usize> {
    if buf.len() < ipv6::HEADER_LEN {
        return Err(WireError::Truncated);
    }
    let (head, rest) = buf.split_at_mut(ipv6::HEADER_LEN);
    let n = tcp.emit(rest, src, dst, payload)?;
    let ip = Ipv6Repr {
        src,
        dst,
        next_header: PROTO_TCP,
        payload_len: u16::try_from(n).map_err(|_| WireError::Truncated)?,
        hop_limit: ipv6::DEFAULT_HOP_LIMIT,
        traffic_class: 0,
        flow_label: 0,
    };
    ip.emit(head)?;
    Ok(ipv6::HEADER_LEN + n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{SeqNum, TcpFlags, TcpOptions};

    fn addr() -> TcpFrameAddr {
        TcpFrameAddr {
            src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            vlan: None,
            src_ip: [10, 0, 0, 1],
            dst_ip: [10, 0, 0, 2],
        }
    }

    fn syn() -> TcpRepr {
        TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq: SeqNum(1000),
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window: 64240,
            options: TcpOptions {
                mss: Some(1460),
                wscale: Some(7),
                sack_permitted: true,
                timestamps: None,
            },
        }
    }

    #[test]
    fn build_then_parse() {
        let mut buf = [0u8; 256];
        let n = build_tcp_frame(&mut buf, &addr(), &syn(), b"xy").unwrap();
        assert_eq!(n, 14 + 20 + 32 + 2);
        let Frame::Tcp(f) = parse_frame(&buf[..n], true).unwrap() else {
            panic!("not tcp")
        };
        assert_eq!(f.tcp, syn());
        assert_eq!(f.payload, b"xy");
        assert_eq!(f.ip.src, [10, 0, 0, 1]);
        assert_eq!(f.eth.dst, MacAddr([2, 0, 0, 0, 0, 2]));
    }

    #[test]
    fn checksum_errors_reported_only_when_verifying() {
        let mut buf = [0u8; 256];
        let n = build_tcp_frame(&mut buf, &addr(), &syn(), &[]).unwrap();
        buf[n - 1] ^= 0xff; // corrupt an option byte (window scale value)
        assert_eq!(parse_frame(&buf[..n], true), Err(WireError::BadChecksum));
        assert!(parse_frame(&buf[..n], false).is_ok());
    }

    #[test]
    fn reply_in_place_swaps_and_verifies() {
        let mut buf = [0u8; 256];
        let n = build_tcp_frame(&mut buf, &addr(), &syn(), &[]).unwrap();
        let reply = TcpRepr {
            src_port: 80,
            dst_port: 40000,
            seq: SeqNum(5000),
            ack: SeqNum(1001),
            flags: TcpFlags::SYN | TcpFlags::ACK,
            window: 65535,
            options: TcpOptions {
                mss: Some(1460),
                wscale: Some(7),
                sack_permitted: true,
                timestamps: Some(crate::wire::Timestamps { tsval: 1, tsecr: 2 }),
            },
        };
        let (src, dst) = {
            let Frame::Tcp(f) = parse_frame(&buf[..n], true).unwrap() else {
                panic!()
            };
            (f.ip.src, f.ip.dst)
        };
        let m = reply_in_place(&mut buf, 14, src, dst, &reply, &[]).unwrap();
        assert_eq!(m, 14 + 20 + 40);
        let Frame::Tcp(f) = parse_frame(&buf[..m], true).unwrap() else {
            panic!()
        };
        assert_eq!(f.eth.src, MacAddr([2, 0, 0, 0, 0, 2]));
        assert_eq!(f.eth.dst, MacAddr([2, 0, 0, 0, 0, 1]));
        assert_eq!(f.ip.src, [10, 0, 0, 2]);
        assert_eq!(f.ip.dst, [10, 0, 0, 1]);
        assert_eq!(f.tcp, reply);
    }

    #[test]
    fn non_tcp_and_foreign_ethertypes_rejected() {
        let mut buf = [0u8; 256];
        let n = build_tcp_frame(&mut buf, &addr(), &syn(), &[]).unwrap();
        let mut udp = buf;
        udp[14 + 9] = 17;
        assert_eq!(parse_frame(&udp[..n], false), Err(WireError::NotTcp));
        let mut v6 = buf;
        v6[12] = 0x86;
        v6[13] = 0xdd;
        assert_eq!(
            parse_frame(&v6[..n], false),
            Err(WireError::UnsupportedEtherType)
        );
    }
}

//! Receive-side steering as a NIC does it: the Toeplitz hash of a received
//! IPv4/TCP or IPv6/TCP frame's (source IP, destination IP, source port,
//! destination port) through the 128-entry RETA picks the queue. Other
//! frames (ARP, neighbor discovery, malformed) go to queue 0, as a NIC
//! without a matching hash type does.
//!
//! Rules: the frame is read through the wire layer's checked views, never
//! at raw offsets.

use crate::flow::{Reta, RssHasher};
use crate::io::loopback::Steer;
use crate::wire::ethernet::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use crate::wire::ipv4::PROTO_TCP;
use crate::wire::{EthernetFrame, Ipv4Packet, Ipv6Packet, TcpPacket};
use std::sync::Arc;

/// The queue of a received frame.
#[inline]
pub fn queue_of(hasher: &RssHasher, reta: &Reta, frame: &[u8]) -> usize {
    hash_of(hasher, frame).map_or(0, |h| usize::from(reta.worker_of(h)))
}

/// The RSS hash of an IPv4/TCP or IPv6/TCP frame, tagged or not (a NIC
/// hashes past one 802.1Q tag): source and destination addresses, source
/// and destination ports.
#[inline]
fn hash_of(hasher: &RssHasher, frame: &[u8]) -> Option<u32> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    match eth.ethertype() {
        ETHERTYPE_IPV4 => {
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            if ip.protocol() != PROTO_TCP {
                return None;
            }
            let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
            Some(hasher.hash_ipv4_tcp(ip.src(), ip.dst(), tcp.src_port(), tcp.dst_port()))
        }
        ETHERTYPE_IPV6 => {
            let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
            if ip.protocol() != PROTO_TCP {
                return None;
            }
            let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
            Some(hasher.hash_ipv6_tcp(ip.src(), ip.dst(), tcp.src_port(), tcp.dst_port()))
        }
        _ => None,
    }
}

/// A loopback steering function for `hasher` and `reta`.
pub fn rss_steer(hasher: RssHasher, reta: Reta) -> Steer {
    Arc::new(move |frame: &[u8]| queue_of(&hasher, &reta, frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::RssKey;
    use crate::wire::{
        MacAddr, SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpRepr, build_tcp_frame,
    };

    #[test]
    fn frames_go_where_the_hash_says_and_others_to_queue_0() {
        let hasher = RssHasher::new(&RssKey::MICROSOFT);
        let reta = Reta::round_robin(7).unwrap();
        let mut buf = [0u8; 128];
        let addr = TcpFrameAddr {
            src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            vlan: None,
            src_ip: [66, 9, 149, 187],
            dst_ip: [161, 142, 100, 80],
        };
        let seg = TcpRepr {
            src_port: 2794,
            dst_port: 1766,
            seq: SeqNum(1),
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window: 1000,
            options: TcpOptions::default(),
        };
        let n = build_tcp_frame(&mut buf, &addr, &seg, &[]).unwrap();
        // Microsoft's first vector: 0x51ccc178; RETA entry 0x78 = 120 → 120 % 7.
        assert_eq!(queue_of(&hasher, &reta, &buf[..n]), 120 % 7);
        // Its first IPv6 vector: 0x40207d3d; entry 0x3d = 61 → 61 % 7.
        let v6 = |g: [u16; 8]| std::net::Ipv6Addr::from(g).octets();
        let addr6 = TcpFrameAddr {
            src_mac: addr.src_mac,
            dst_mac: addr.dst_mac,
            vlan: None,
            src_ip: v6([0x3ffe, 0x2501, 0x200, 0x1fff, 0, 0, 0, 7]),
            dst_ip: v6([0x3ffe, 0x2501, 0x200, 3, 0, 0, 0, 1]),
        };
        let mut buf6 = [0u8; 128];
        let n6 = build_tcp_frame(&mut buf6, &addr6, &seg, &[]).unwrap();
        assert_eq!(queue_of(&hasher, &reta, &buf6[..n6]), 0x3d % 7);
        assert_eq!(queue_of(&hasher, &reta, &buf[..20]), 0);
        buf[12] = 0x08;
        buf[13] = 0x06; // ARP
        assert_eq!(queue_of(&hasher, &reta, &buf[..n]), 0);
    }
}

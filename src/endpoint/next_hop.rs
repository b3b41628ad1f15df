//! Where the frames an endpoint originates go (SYNs, retransmissions,
//! timer-driven FINs and RSTs): the next hop's MAC address, fixed, or
//! learned from ARP (RFC 826) or, for IPv6, from neighbor discovery (RFC
//! 4861). Answers to received frames need none of
//! this: they go back to the MAC they came from.
//!
//! Rules: a MAC is learned only from ARP, never from a TCP frame (anyone
//! on the link can send one to our address). With a configured peer or
//! gateway, from ARP (request or reply) whose sender is that address;
//! without one (a server), from ARP requests for one of our own addresses
//! (the host that resolves us). Only a unicast MAC is learned. The
//! workers of a run share one next hop: what one learns, all use (one
//! relaxed atomic, written when ARP changes it, read per originated
//! frame).

use crate::wire::{ArpOp, ArpRepr, MacAddr, NdpHeader, NdpRepr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which ARP a learned next hop follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpSource {
    /// ARP, request or reply, whose sender is this address: the configured
    /// peer or gateway.
    Peer([u8; 4]),
    /// Neighbor discovery about this IPv6 address: its advertisements
    /// (RFC 4861 §7.2.5) and its solicitations carrying its link-layer
    /// address (§7.2.3).
    Peer6([u8; 16]),
    /// ARP requests (or neighbor solicitations) for one of our addresses:
    /// whoever resolves us.
    Resolvers,
}

/// A next hop learned from ARP, shared by the workers of a run.
#[derive(Debug)]
pub struct LearnedMac {
    mac: AtomicU64,
    from: ArpSource,
}

/// The next hop of the frames an endpoint originates.
#[derive(Clone, Debug)]
pub enum NextHop {
    /// Always this MAC (given, or the other side of an in-memory link).
    Fixed(MacAddr),
    /// Learned from ARP; clones share what is learned.
    Learned(Arc<LearnedMac>),
}

fn to_bits(m: MacAddr) -> u64 {
    let mut b = [0u8; 8];
    b[..6].copy_from_slice(&m.0);
    u64::from_le_bytes(b)
}

fn from_bits(v: u64) -> MacAddr {
    let b = v.to_le_bytes();
    MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
}

impl NextHop {
    /// A next hop learned from the ARP `from` names, `first` until then.
    pub fn learned(first: MacAddr, from: ArpSource) -> NextHop {
        NextHop::Learned(Arc::new(LearnedMac {
            mac: AtomicU64::new(to_bits(first)),
            from,
        }))
    }

    /// The next hop's MAC now.
    #[inline]
    pub fn mac(&self) -> MacAddr {
        match self {
            NextHop::Fixed(m) => *m,
            NextHop::Learned(l) => from_bits(l.mac.load(Ordering::Relaxed)),
        }
    }

    /// Learns the sender of `arp` (received; `for_us`: its target is one
    /// of our addresses) when it is the ARP this next hop follows. Returns
    /// whether the MAC changed.
    pub(crate) fn learn(&self, arp: &ArpRepr, for_us: bool) -> bool {
        let NextHop::Learned(l) = self else {
            return false;
        };
        let follows = match l.from {
            ArpSource::Peer(ip) => {
                arp.sender_ip == ip && matches!(arp.op, ArpOp::Request | ArpOp::Reply)
            }
            ArpSource::Resolvers => arp.op == ArpOp::Request && for_us,
            ArpSource::Peer6(_) => false,
        };
        follows && l.store(arp.sender_mac)
    }

    /// Learns from a neighbor discovery message (`for_us`: its target is
    /// one of our addresses); true when the MAC changed. A solicitation
    /// teaches its source's link-layer address, an advertisement its
    /// target's (RFC 4861 §7.2.3, §7.2.5).
    pub(crate) fn learn_ndp(&self, ip: &NdpHeader, ndp: &NdpRepr, for_us: bool) -> bool {
        let NextHop::Learned(l) = self else {
            return false;
        };
        let mac = match (l.from, ndp) {
            (ArpSource::Peer6(peer), NdpRepr::Solicit { source_mac, .. }) if ip.src == peer => {
                *source_mac
            }
            (
                ArpSource::Peer6(peer),
                NdpRepr::Advert {
                    target, target_mac, ..
                },
            ) if *target == peer => *target_mac,
            (ArpSource::Resolvers, NdpRepr::Solicit { source_mac, .. }) if for_us => *source_mac,
            _ => None,
        };
        mac.is_some_and(|m| l.store(m))
    }
}

impl LearnedMac {
    /// Stores `m` if unicast (not the broadcast, a multicast or the zero
    /// address); true when the MAC changed.
    fn store(&self, m: MacAddr) -> bool {
        if m.0[0] & 1 != 0 || m.0 == [0; 6] {
            return false;
        }
        self.mac.swap(to_bits(m), Ordering::Relaxed) != to_bits(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arp(op: ArpOp, sender: ([u8; 6], [u8; 4]), target_ip: [u8; 4]) -> ArpRepr {
        ArpRepr {
            op,
            sender_mac: MacAddr(sender.0),
            sender_ip: sender.1,
            target_mac: MacAddr([0; 6]),
            target_ip,
        }
    }

    const US: [u8; 4] = [10, 0, 0, 1];
    const PEER: [u8; 4] = [10, 0, 0, 2];
    const A: [u8; 6] = [2, 0, 0, 0, 0, 0xa];
    const B: [u8; 6] = [2, 0, 0, 0, 0, 0xb];

    #[test]
    fn a_configured_peer_is_learned_from_its_own_arp_only() {
        let hop = NextHop::learned(MacAddr(A), ArpSource::Peer(PEER));
        let copy = hop.clone();
        // Another host asking for us, or answering for itself: not the peer.
        assert!(!hop.learn(&arp(ArpOp::Request, (B, [10, 0, 0, 9]), US), true));
        assert!(!hop.learn(&arp(ArpOp::Reply, (B, [10, 0, 0, 9]), US), true));
        assert_eq!(copy.mac(), MacAddr(A));
        // The peer, by request (for anyone) or reply: learned, by every clone.
        assert!(hop.learn(&arp(ArpOp::Request, (B, PEER), [10, 0, 0, 7]), false));
        assert_eq!(copy.mac(), MacAddr(B));
        assert!(hop.learn(&arp(ArpOp::Reply, (A, PEER), US), true));
        assert_eq!(copy.mac(), MacAddr(A));
        // Unchanged: not reported as a change.
        assert!(!hop.learn(&arp(ArpOp::Reply, (A, PEER), US), true));
    }

    #[test]
    fn without_a_peer_the_host_that_resolves_us_is_learned() {
        let hop = NextHop::learned(MacAddr::BROADCAST, ArpSource::Resolvers);
        // A reply, or a request for someone else: not learned.
        assert!(!hop.learn(&arp(ArpOp::Reply, (A, PEER), US), true));
        assert!(!hop.learn(&arp(ArpOp::Request, (A, PEER), [10, 0, 0, 7]), false));
        assert_eq!(hop.mac(), MacAddr::BROADCAST);
        assert!(hop.learn(&arp(ArpOp::Request, (A, PEER), US), true));
        assert_eq!(hop.mac(), MacAddr(A));
    }

    #[test]
    fn only_a_unicast_mac_is_learned_and_a_fixed_hop_never_moves() {
        let hop = NextHop::learned(MacAddr(A), ArpSource::Resolvers);
        for bad in [[0xff; 6], [1, 0, 0x5e, 0, 0, 1], [0; 6]] {
            assert!(!hop.learn(&arp(ArpOp::Request, (bad, PEER), US), true));
        }
        assert_eq!(hop.mac(), MacAddr(A));
        let fixed = NextHop::Fixed(MacAddr(A));
        assert!(!fixed.learn(&arp(ArpOp::Request, (B, PEER), US), true));
        assert_eq!(fixed.mac(), MacAddr(A));
    }
}

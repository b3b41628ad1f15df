//! IPv6 neighbor discovery (RFC 4861), IPv6's ARP: a Neighbor
//! Solicitation for one of our addresses is answered in place with a
//! solicited Neighbor Advertisement carrying our MAC (§7.2.4); the next
//! hop learns from the messages it follows (`next_hop`).
//!
//! Rules: only solicitations whose target is ours are answered (to the
//! solicitation's source, or to all nodes when the source is unspecified:
//! duplicate address detection); `wire::ndp` has already applied §7.1's
//! validity checks; anything else is left unanswered.

use super::state::Endpoint;
use crate::wire::ethernet::ETHERTYPE_IPV6;
use crate::wire::{EthernetRepr, Family, NdpHeader, NdpRepr, frame, ipv6, ndp};

/// The all-nodes multicast address ff02::1 (RFC 4291 §2.7.1).
const ALL_NODES: [u8; 16] = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

impl<A: Family> Endpoint<A> {
    /// Handles a neighbor discovery message received in `buf`; the
    /// advertisement answering a solicitation for one of our addresses is
    /// written over it, and its length returned.
    pub(super) fn on_ndp(
        &mut self,
        buf: &mut [u8],
        rx_eth: &EthernetRepr,
        ip: &NdpHeader,
        msg: &NdpRepr,
    ) -> Option<usize> {
        let target = match msg {
            NdpRepr::Solicit { target, .. } | NdpRepr::Advert { target, .. } => *target,
        };
        let for_us = self.owns_bytes(&target);
        if self.cfg.next_hop.learn_ndp(ip, msg, for_us) {
            self.counters.next_hop_learned += 1;
        }
        let NdpRepr::Solicit { source_mac, .. } = *msg else {
            return None;
        };
        if !for_us {
            return None;
        }
        // §7.2.4: to the solicitation's source, solicited; to all nodes,
        // unsolicited, when the source is unspecified.
        let dad = ip.src == [0; 16];
        let (dst_ip, dst_mac) = if dad {
            (ALL_NODES, ipv6::multicast_mac(ALL_NODES))
        } else {
            (ip.src, source_mac.unwrap_or(rx_eth.src))
        };
        let advert = NdpRepr::Advert {
            target,
            router: false,
            solicited: !dad,
            override_cache: true,
            target_mac: Some(self.cfg.mac),
        };
        let header = NdpHeader {
            src: target,
            dst: dst_ip,
            hop_limit: ndp::HOP_LIMIT,
        };
        let eth = EthernetRepr {
            src: self.cfg.mac,
            dst: dst_mac,
            vlan: rx_eth.vlan,
            ethertype: ETHERTYPE_IPV6,
        };
        let n = frame::build_ndp_frame(buf, &eth, &header, &advert).ok()?;
        self.counters.ndp_reply += 1;
        self.counters.tx_frames += 1;
        Some(n)
    }
}

//! ARP (RFC 826): a request for one of our addresses is answered in place
//! with our MAC; the next hop learns from the ARP it follows
//! (`next_hop`).
//!
//! Rules: only requests whose target is ours are answered; anything else
//! is left unanswered.

use super::state::Endpoint;
use crate::wire::{self, ArpOp, ArpRepr, EthernetRepr, Family};

impl<A: Family> Endpoint<A> {
    /// Learns the next hop from `arp` if it follows it, and answers an ARP
    /// request for one of our addresses, in place.
    pub(super) fn on_arp(
        &mut self,
        buf: &mut [u8],
        rx_eth: &EthernetRepr,
        arp: &ArpRepr,
    ) -> Option<usize> {
        let for_us = self.owns_bytes(&arp.target_ip);
        if self.cfg.next_hop.learn(arp, for_us) {
            self.counters.next_hop_learned += 1;
        }
        if arp.op != ArpOp::Request || !for_us {
            return None;
        }
        let reply = arp.reply_from(self.cfg.mac);
        let eth = EthernetRepr {
            src: self.cfg.mac,
            dst: arp.sender_mac,
            vlan: rx_eth.vlan,
            ethertype: wire::ethernet::ETHERTYPE_ARP,
        };
        self.counters.arp_reply += 1;
        let n = wire::frame::build_arp_frame(buf, &eth, &reply).ok()?;
        self.counters.tx_frames += 1;
        Some(n)
    }
}

//! ARP (RFC 826) for our addresses: a request for one of them is answered
//! in place with our MAC.
//!
//! Rules: only requests whose target is ours are answered; anything else
//! is left unanswered.

use super::state::Endpoint;
use crate::wire::{self, ArpOp, ArpRepr, EthernetRepr};

impl Endpoint {
    /// Answers an ARP request for one of our addresses, in place.
    pub(super) fn on_arp(
        &mut self,
        buf: &mut [u8],
        rx_eth: &EthernetRepr,
        arp: &ArpRepr,
    ) -> Option<usize> {
        if arp.op != ArpOp::Request || !self.owns(arp.target_ip) {
            return None;
        }
        if self.cfg.learn_peer_mac {
            self.cfg.peer_mac = arp.sender_mac;
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

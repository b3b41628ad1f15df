//! Resolving the next hop's MAC address before a run: by ARP (RFC 826)
//! for IPv4, by a Neighbor Solicitation to the target's solicited-node
//! multicast address (RFC 4861 §7.2.2) for IPv6; a request from one of
//! our addresses, repeated every half second, and the first answer from
//! the target taken. Used by `synwave gen` (and `--gateway`) unless
//! `--peer-mac` is given.
//!
//! Rules: before the workers start, on one port, bounded in time; frames
//! that are not the awaited reply are recycled unanswered (nobody else is
//! talking to us yet).

use crate::io::{FrameBuf, Port};
use crate::wire::ipv6::{multicast_mac, solicited_node};
use crate::wire::{self, ArpOp, ArpRepr, EthernetRepr, Frame, MacAddr, NdpHeader, NdpRepr};
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The next hop did not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpError {
    /// The address asked for.
    pub target: IpAddr,
    /// How long we asked.
    pub waited: Duration,
}

impl fmt::Display for ArpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let asked = match self.target {
            IpAddr::V4(_) => "ARP reply",
            IpAddr::V6(_) => "neighbor advertisement",
        };
        write!(
            f,
            "no {asked} from {} within {} s: is it up, on this link, and in the same subnet?",
            self.target,
            self.waited.as_secs()
        )
    }
}

impl std::error::Error for ArpError {}

/// Sends the frame `request` writes every half second on the first of
/// `ports` until `answer` finds the MAC in a frame received on any of
/// them (the answer may come in on any queue) or `limit` passes.
fn ask<P: Port>(
    ports: &mut [P],
    request: impl Fn(&mut [u8]) -> wire::Result<usize>,
    answer: impl Fn(&[u8]) -> Option<MacAddr>,
    limit: Duration,
) -> Option<MacAddr> {
    let started = Instant::now();
    let mut next_request = started;
    let mut rx = Vec::with_capacity(64);
    let mut tx = Vec::with_capacity(1);
    while started.elapsed() < limit {
        if Instant::now() >= next_request
            && let Some(port) = ports.first_mut()
        {
            if let Some(mut f) = port.alloc() {
                match request(f.buf_mut()) {
                    Ok(n) => {
                        f.set_len(n);
                        tx.push(f);
                        port.tx_burst(&mut tx);
                    }
                    Err(_) => port.recycle(f),
                }
            }
            next_request = Instant::now() + Duration::from_millis(500);
        }
        let mut found = None;
        for port in ports.iter_mut() {
            port.rx_burst(&mut rx, 64);
            for f in rx.drain(..) {
                found = found.or_else(|| answer(f.data()));
                port.recycle(f);
            }
        }
        if found.is_some() {
            return found;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

/// Asks who has `target` (from `our_ip` at `our_mac`, on VLAN `vlan` or
/// untagged) on the first of `ports` until a reply on the same VLAN
/// arrives on any of them or `limit` passes.
pub fn resolve<P: Port>(
    ports: &mut [P],
    our_mac: MacAddr,
    our_ip: [u8; 4],
    target: [u8; 4],
    vlan: Option<u16>,
    limit: Duration,
) -> Result<MacAddr, ArpError> {
    let request = ArpRepr {
        op: ArpOp::Request,
        sender_mac: our_mac,
        sender_ip: our_ip,
        target_mac: MacAddr([0; 6]),
        target_ip: target,
    };
    let eth = EthernetRepr {
        src: our_mac,
        dst: MacAddr::BROADCAST,
        vlan,
        ethertype: wire::ethernet::ETHERTYPE_ARP,
    };
    ask(
        ports,
        |buf| wire::frame::build_arp_frame(buf, &eth, &request),
        |frame| match wire::parse_frame(frame, false) {
            Ok(Frame::Arp(eth, a))
                if eth.vlan == vlan && a.op == ArpOp::Reply && a.sender_ip == target =>
            {
                Some(a.sender_mac)
            }
            _ => None,
        },
        limit,
    )
    .ok_or(ArpError {
        target: target.into(),
        waited: limit,
    })
}

/// Solicits `target` (from `our_ip` at `our_mac`, on VLAN `vlan` or
/// untagged) on the first of `ports` until its advertisement on the same
/// VLAN arrives on any of them or `limit` passes.
pub fn resolve_ndp<P: Port>(
    ports: &mut [P],
    our_mac: MacAddr,
    our_ip: [u8; 16],
    target: [u8; 16],
    vlan: Option<u16>,
    limit: Duration,
) -> Result<MacAddr, ArpError> {
    let group = solicited_node(target);
    let eth = EthernetRepr {
        src: our_mac,
        dst: multicast_mac(group),
        vlan,
        ethertype: wire::ethernet::ETHERTYPE_IPV6,
    };
    let ip = NdpHeader {
        src: our_ip,
        dst: group,
        hop_limit: 255,
    };
    let solicit = NdpRepr::Solicit {
        target,
        source_mac: Some(our_mac),
    };
    ask(
        ports,
        |buf| wire::frame::build_ndp_frame(buf, &eth, &ip, &solicit),
        |frame| match wire::parse_frame_v6(frame, false) {
            Ok(Frame::Ndp(
                eth,
                _,
                NdpRepr::Advert {
                    target: t,
                    target_mac,
                    ..
                },
            )) if eth.vlan == vlan && t == target => target_mac,
            _ => None,
        },
        limit,
    )
    .ok_or(ArpError {
        target: target.into(),
        waited: limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::loopback::{LoopbackConfig, loopback};

    #[test]
    fn a_reply_from_the_target_resolves_and_silence_names_the_fix() {
        let (a, b) = loopback(&LoopbackConfig::default()).expect("loopback");
        let mut ours = a.into_iter().next().expect("queue");
        let mut theirs = b.into_iter().next().expect("queue");
        // The peer: answers the first request it sees.
        let peer_mac = MacAddr([2, 0, 0, 0, 9, 9]);
        let h = std::thread::spawn(move || {
            let mut rx = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                theirs.rx_burst(&mut rx, 8);
                for mut f in rx.drain(..) {
                    let Ok(Frame::Arp(eth, req)) = wire::parse_frame(f.data(), false) else {
                        theirs.recycle(f);
                        continue;
                    };
                    let reply = req.reply_from(peer_mac);
                    let eth = EthernetRepr {
                        src: peer_mac,
                        dst: eth.src,
                        vlan: None,
                        ethertype: wire::ethernet::ETHERTYPE_ARP,
                    };
                    let n = wire::frame::build_arp_frame(f.buf_mut(), &eth, &reply).unwrap();
                    f.set_len(n);
                    let mut tx = vec![f];
                    theirs.tx_burst(&mut tx);
                    return theirs;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            theirs
        });
        let mac = resolve(
            std::slice::from_mut(&mut ours),
            MacAddr([2, 0, 0, 0, 1, 1]),
            [10, 0, 0, 2],
            [10, 0, 0, 1],
            None,
            Duration::from_secs(5),
        );
        assert_eq!(mac, Ok(peer_mac));
        let _theirs = h.join().unwrap();
        // Nobody answers for another address.
        let e = resolve(
            std::slice::from_mut(&mut ours),
            MacAddr([2, 0, 0, 0, 1, 1]),
            [10, 0, 0, 2],
            [10, 0, 0, 7],
            None,
            Duration::from_millis(600),
        )
        .unwrap_err();
        assert_eq!(e.target, IpAddr::from([10, 0, 0, 7]));
        assert!(e.to_string().contains("10.0.0.7"), "{e}");
    }
}

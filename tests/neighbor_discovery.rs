//! IPv6 neighbor discovery at the endpoint (RFC 4861): a Neighbor
//! Solicitation for one of our addresses, unicast or to its
//! solicited-node multicast address, is answered with a solicited
//! advertisement carrying our MAC; duplicate address detection (an
//! unspecified source) is answered to all nodes; a solicitation for
//! another address, or one that fails §7.1's checks, gets nothing. The
//! next hop learns the resolver (a server) or its peer (a generator) from
//! the messages it follows. Frames built and read with the wire layer.

use synwave::app::Canned;
use synwave::endpoint::{ArpSource, Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop};
use synwave::tcp::{Secrets, TcpConfig, TcpContext};
use synwave::wire::ethernet::ETHERTYPE_IPV6;
use synwave::wire::frame::build_ndp_frame;
use synwave::wire::ipv6;
use synwave::wire::{EthernetRepr, Frame, MacAddr, NdpHeader, NdpRepr, V6, parse_frame_v6};

const OURS: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
const ASKER: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);

fn ip(last: u16) -> V6 {
    std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last).octets()
}

fn endpoint(next_hop: NextHop) -> Endpoint<V6> {
    let cfg = EndpointConfig {
        mac: OURS,
        next_hop,
        listen_ports: vec![80],
        ..EndpointConfig::default()
    };
    Endpoint::new(
        cfg.with_addresses(ip(1), 4),
        TcpContext::new(TcpConfig::default(), Secrets::from_seed(3)),
        Canned::default(),
    )
}

/// A neighbor discovery frame from `src` (MAC `mac`) to `dst`.
fn frame(mac: MacAddr, src: V6, dst: V6, msg: &NdpRepr, hop_limit: u8) -> Vec<u8> {
    let eth_dst = if dst[0] == 0xff {
        ipv6::multicast_mac(dst)
    } else {
        OURS
    };
    let eth = EthernetRepr {
        src: mac,
        dst: eth_dst,
        vlan: None,
        ethertype: ETHERTYPE_IPV6,
    };
    let header = NdpHeader {
        src,
        dst,
        hop_limit,
    };
    let mut buf = vec![0u8; 256];
    let n = build_ndp_frame(&mut buf, &eth, &header, msg).expect("fits");
    buf.truncate(n);
    buf
}

fn solicit(target: V6, source_mac: Option<MacAddr>) -> NdpRepr {
    NdpRepr::Solicit { target, source_mac }
}

/// Feeds `f`; the answer, parsed.
fn answer(ep: &mut Endpoint<V6>, f: &[u8]) -> Option<(EthernetRepr, NdpHeader, NdpRepr)> {
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..f.len()].copy_from_slice(f);
    let n = ep.on_frame(&mut buf, f.len(), 1_000)?;
    match parse_frame_v6(&buf[..n], true) {
        Ok(Frame::Ndp(eth, ip, msg)) => Some((eth, ip, msg)),
        other => panic!("the answer is not neighbor discovery: {other:?}"),
    }
}

#[test]
fn a_solicitation_for_our_address_is_answered_unicast_or_multicast() {
    let mut ep = endpoint(NextHop::Fixed(ASKER));
    let asker = ip(0x100);
    for dst in [ip(3), ipv6::solicited_node(ip(3))] {
        let f = frame(ASKER, asker, dst, &solicit(ip(3), Some(ASKER)), 255);
        let (eth, header, msg) = answer(&mut ep, &f).expect("answered");
        assert_eq!((eth.src, eth.dst), (OURS, ASKER));
        assert_eq!((header.src, header.dst), (ip(3), asker));
        assert_eq!(header.hop_limit, 255);
        assert_eq!(
            msg,
            NdpRepr::Advert {
                target: ip(3),
                router: false,
                solicited: true,
                override_cache: true,
                target_mac: Some(OURS),
            }
        );
    }
    assert_eq!(ep.counters().ndp_reply, 2);
}

#[test]
fn duplicate_address_detection_is_answered_to_all_nodes() {
    let mut ep = endpoint(NextHop::Fixed(ASKER));
    let f = frame(
        ASKER,
        [0; 16],
        ipv6::solicited_node(ip(2)),
        &solicit(ip(2), None),
        255,
    );
    let (eth, header, msg) = answer(&mut ep, &f).expect("answered");
    assert_eq!(eth.dst, MacAddr([0x33, 0x33, 0, 0, 0, 1]));
    assert_eq!(header.dst[..2], [0xff, 0x02]);
    assert!(matches!(
        msg,
        NdpRepr::Advert {
            solicited: false,
            ..
        }
    ));
}

#[test]
fn other_targets_and_invalid_messages_get_nothing() {
    let mut ep = endpoint(NextHop::Fixed(ASKER));
    // Not ours (fd00::9 lies outside fd00::1-fd00::4).
    let f = frame(ASKER, ip(0x100), ip(9), &solicit(ip(9), Some(ASKER)), 255);
    assert!(answer(&mut ep, &f).is_none());
    // Hop limit 64: maybe from off-link (RFC 4861 §7.1.1); counted.
    let f = frame(ASKER, ip(0x100), ip(1), &solicit(ip(1), Some(ASKER)), 64);
    assert!(answer(&mut ep, &f).is_none());
    let bad = synwave::wire::WireError::BadNeighborDiscovery;
    assert_eq!(ep.counters().wire_error(bad), 1);
    assert_eq!(ep.counters().ndp_reply, 0);
}

#[test]
fn the_next_hop_follows_its_resolver_or_its_peer() {
    // A server follows whoever resolves our addresses.
    let hop = NextHop::learned(MacAddr::BROADCAST, ArpSource::Resolvers);
    let mut ep = endpoint(hop.clone());
    let f = frame(ASKER, ip(0x100), ip(1), &solicit(ip(1), Some(ASKER)), 255);
    answer(&mut ep, &f).expect("answered");
    assert_eq!(hop.mac(), ASKER);
    assert_eq!(ep.counters().next_hop_learned, 1);
    // A generator follows its peer's advertisements only.
    let peer = ip(0x200);
    let hop = NextHop::learned(MacAddr::BROADCAST, ArpSource::Peer6(peer));
    let mut ep = endpoint(hop.clone());
    let advert = |target, mac| NdpRepr::Advert {
        target,
        router: false,
        solicited: true,
        override_cache: true,
        target_mac: Some(mac),
    };
    let other = MacAddr([2, 0, 0, 0, 0, 0xe]);
    let f = frame(other, ip(0x300), ip(1), &advert(ip(0x300), other), 255);
    assert!(answer(&mut ep, &f).is_none());
    assert_eq!(hop.mac(), MacAddr::BROADCAST);
    let peer_mac = MacAddr([2, 0, 0, 0, 0, 0xb]);
    let f = frame(peer_mac, peer, ip(1), &advert(peer, peer_mac), 255);
    assert!(answer(&mut ep, &f).is_none());
    assert_eq!(hop.mac(), peer_mac);
}

#[test]
fn gen_resolves_by_solicitation_against_an_endpoint_that_answers_it() {
    use std::time::{Duration, Instant};
    use synwave::engine::arp_resolve::resolve_ndp;
    use synwave::io::loopback::{LoopbackConfig, loopback};
    use synwave::io::{FrameBuf, Port};
    let (a, b) = loopback(&LoopbackConfig::default()).expect("loopback");
    let mut ours = a.into_iter().next().expect("queue");
    let mut theirs = b.into_iter().next().expect("queue");
    // The peer: an IPv6 endpoint on fd00::1-4 answering what it receives.
    let peer = std::thread::spawn(move || {
        let mut ep = endpoint(NextHop::learned(MacAddr::BROADCAST, ArpSource::Resolvers));
        let (mut rx, mut tx) = (Vec::new(), Vec::new());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && ep.counters().ndp_reply == 0 {
            theirs.rx_burst(&mut rx, 8);
            for mut f in rx.drain(..) {
                let len = f.len();
                match ep.on_frame(f.buf_mut(), len, 1) {
                    Some(n) => {
                        f.set_len(n);
                        tx.push(f);
                    }
                    None => theirs.recycle(f),
                }
            }
            theirs.tx_burst(&mut tx);
            std::thread::sleep(Duration::from_millis(1));
        }
        (theirs, ep.counters().ndp_reply)
    });
    let limit = Duration::from_secs(5);
    let mac = resolve_ndp(
        std::slice::from_mut(&mut ours),
        ASKER,
        ip(9),
        ip(2),
        None,
        limit,
    );
    let (_theirs, replies) = peer.join().expect("peer");
    assert_eq!(mac, Ok(OURS));
    assert_eq!(replies, 1);
    // Nobody has fd00::7: the error names it.
    let e = resolve_ndp(
        std::slice::from_mut(&mut ours),
        ASKER,
        ip(9),
        ip(7),
        None,
        Duration::from_millis(600),
    );
    let e = e.expect_err("no answer");
    assert!(
        e.to_string()
            .contains("no neighbor advertisement from fd00::7"),
        "{e}"
    );
}

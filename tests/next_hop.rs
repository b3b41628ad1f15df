//! Where the frames an endpoint originates go (issue 24 B7): the next
//! hop's MAC is learned only from ARP, never from a TCP frame addressed to
//! us. A server (no configured peer) follows the host that resolves its
//! addresses; a generator follows the ARP of its configured peer only.
//! Real endpoints, frames built and read with the wire layer.

use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::endpoint::{ArpSource, Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop, Opened};
use synwave::flow::FourTuple;
use synwave::tcp::{CookiePolicy, Secrets, TcpConfig, TcpContext};
use synwave::wire::ethernet::ETHERTYPE_ARP;
use synwave::wire::frame::build_arp_frame;
use synwave::wire::{
    ArpOp, ArpRepr, EthernetFrame, EthernetRepr, MacAddr, SeqNum, TcpFlags, TcpFrameAddr,
    TcpOptions, TcpRepr, build_tcp_frame,
};

const SERVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
const SERVER_IP: [u8; 4] = [10, 0, 0, 1];
const CLIENT_MAC: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const CLIENT_IP: [u8; 4] = [10, 0, 0, 2];
/// The host that resolves the server, and the server's MAC after it moved.
const RESOLVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xa]);
/// A host that sends TCP to our address from elsewhere.
const FOREIGN_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 0xf]);
/// Some other host on the link.
const OTHER: ([u8; 6], [u8; 4]) = ([2, 0, 0, 0, 0, 0xe], [10, 0, 0, 9]);

fn endpoint(mac: MacAddr, ip: [u8; 4], next_hop: NextHop, listen: &[u16]) -> Endpoint {
    let cfg = EndpointConfig {
        mac,
        next_hop,
        ip_first: ip,
        listen_ports: listen.to_vec(),
        ..EndpointConfig::default()
    };
    // A SYN queue, not cookies: a SYN keeps a record whose SYN-ACK the
    // server retransmits on its own.
    let tcp = TcpConfig {
        cookies: CookiePolicy::Never,
        ..TcpConfig::default()
    };
    let app = Canned::new(AppConfig {
        close: CloseMode::Wait,
        close_on_peer_fin: true,
        ..AppConfig::default()
    });
    Endpoint::new(cfg, TcpContext::new(tcp, Secrets::from_seed(3)), app)
}

/// Hands `frame` to `ep`; its answer, if any.
fn deliver(ep: &mut Endpoint, frame: &[u8], now: u64) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(frame);
    ep.on_frame(&mut buf, frame.len(), now)
        .map(|n| buf[..n].to_vec())
}

fn arp(op: ArpOp, sender: (MacAddr, [u8; 4]), target_ip: [u8; 4]) -> Vec<u8> {
    let a = ArpRepr {
        op,
        sender_mac: sender.0,
        sender_ip: sender.1,
        target_mac: MacAddr([0; 6]),
        target_ip,
    };
    let eth = EthernetRepr {
        src: sender.0,
        dst: MacAddr::BROADCAST,
        vlan: None,
        ethertype: ETHERTYPE_ARP,
    };
    let mut buf = [0u8; 64];
    let n = build_arp_frame(&mut buf, &eth, &a).expect("fits");
    buf[..n].to_vec()
}

/// A SYN from `src_mac`/`src_ip`:41000 to `dst_ip`:80.
fn syn(src_mac: MacAddr, src_ip: [u8; 4], dst_mac: MacAddr, dst_ip: [u8; 4]) -> Vec<u8> {
    let addr = TcpFrameAddr {
        src_mac,
        dst_mac,
        vlan: None,
        src_ip,
        dst_ip,
    };
    let seg = TcpRepr {
        src_port: 41_000,
        dst_port: 80,
        seq: SeqNum(7),
        ack: SeqNum(0),
        flags: TcpFlags::SYN,
        window: 65_535,
        options: TcpOptions {
            mss: Some(1460),
            ..TcpOptions::default()
        },
    };
    let mut buf = [0u8; 128];
    let n = build_tcp_frame(&mut buf, &addr, &seg, &[]).expect("fits");
    buf[..n].to_vec()
}

fn dst_mac(frame: &[u8]) -> MacAddr {
    EthernetFrame::new_checked(frame).expect("a frame").dst()
}

/// Every frame `ep` originates when its timers run at `now`.
fn originated(ep: &mut Endpoint, now: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    ep.expire(now, &mut |f| out.push(f.to_vec()));
    out
}

#[test]
fn a_server_sends_what_it_originates_to_its_resolver_never_to_a_tcp_source() {
    let mut s = endpoint(
        SERVER_MAC,
        SERVER_IP,
        NextHop::learned(MacAddr::BROADCAST, ArpSource::Resolvers),
        &[80],
    );
    // A host asking for someone else: not followed.
    let other = (MacAddr(OTHER.0), OTHER.1);
    assert_eq!(
        deliver(&mut s, &arp(ArpOp::Request, other, [10, 0, 0, 7]), 1),
        None
    );
    // The host that resolves us: answered, and followed.
    let reply = deliver(
        &mut s,
        &arp(ArpOp::Request, (RESOLVER_MAC, CLIENT_IP), SERVER_IP),
        1,
    )
    .expect("an ARP reply");
    assert_eq!(dst_mac(&reply), RESOLVER_MAC);
    assert_eq!(s.counters().next_hop_learned, 1);
    // A SYN to our address from a foreign MAC: answered where it came
    // from, and it moves nothing.
    let synack = deliver(
        &mut s,
        &syn(FOREIGN_MAC, CLIENT_IP, SERVER_MAC, SERVER_IP),
        1,
    )
    .expect("a SYN-ACK");
    assert_eq!(dst_mac(&synack), FOREIGN_MAC);
    // The SYN-ACK's retransmission (RTO 1 s) is originated: to the
    // resolver.
    let sent = originated(&mut s, 1_500_000);
    assert_eq!(sent.len(), 1, "one retransmitted SYN-ACK");
    assert_eq!(dst_mac(&sent[0]), RESOLVER_MAC);
    assert_eq!(s.counters().next_hop_learned, 1);
}

#[test]
fn a_generator_follows_its_configured_peer_s_arp_only() {
    let mut c = endpoint(
        CLIENT_MAC,
        CLIENT_IP,
        NextHop::learned(SERVER_MAC, ArpSource::Peer(SERVER_IP)),
        &[],
    );
    let open = |c: &mut Endpoint, port: u16| {
        let t = FourTuple {
            local_ip: CLIENT_IP,
            remote_ip: SERVER_IP,
            local_port: port,
            remote_port: 80,
        };
        let mut frame = [0u8; FRAME_CAPACITY];
        let p = c.prepare(t, 0);
        match c.connect(&p, 1, &mut frame) {
            Opened::Sent(n) => dst_mac(&frame[..n]),
            other => panic!("not opened: {other:?}"),
        }
    };
    assert_eq!(open(&mut c, 40_000), SERVER_MAC);
    // Another host resolving us, or announcing itself: not the peer.
    let other = (MacAddr(OTHER.0), OTHER.1);
    assert!(deliver(&mut c, &arp(ArpOp::Request, other, CLIENT_IP), 1).is_some());
    let _ = deliver(&mut c, &arp(ArpOp::Reply, other, CLIENT_IP), 1);
    // A TCP frame from a foreign MAC addressed to us: not ARP.
    let _ = deliver(
        &mut c,
        &syn(FOREIGN_MAC, SERVER_IP, CLIENT_MAC, CLIENT_IP),
        1,
    );
    assert_eq!(open(&mut c, 40_001), SERVER_MAC);
    assert_eq!(c.counters().next_hop_learned, 0);
    // The peer moved (a gratuitous ARP reply from its address): followed.
    let _ = deliver(
        &mut c,
        &arp(ArpOp::Reply, (RESOLVER_MAC, SERVER_IP), SERVER_IP),
        1,
    );
    assert_eq!(open(&mut c, 40_002), RESOLVER_MAC);
    assert_eq!(c.counters().next_hop_learned, 1);
}

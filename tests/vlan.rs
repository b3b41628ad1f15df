//! 802.1Q VLANs at the endpoint: with a VLAN, every frame an endpoint
//! originates or answers carries its tag, and a frame with another tag or
//! none is counted (`drop_vlan`) and left unanswered; without one, tagged
//! frames are not ours. A client and a server endpoint exchange frames
//! directly; `bench --vlan` runs the same over the in-memory link.

use std::process::Command;
use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop, Opened};
use synwave::flow::FourTuple;
use synwave::tcp::{CookiePolicy, Secrets, TcpConfig, TcpContext};
use synwave::wire::{
    ArpOp, ArpRepr, EthernetRepr, Frame, MacAddr, TcpFlags, build_tcp_frame, parse_frame,
};

const CLIENT_MAC: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const SERVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
const CLIENT_IP: [u8; 4] = [10, 1, 0, 1];
const SERVER_IP: [u8; 4] = [10, 0, 0, 1];

fn endpoint(server: bool, vlan: Option<u16>) -> Endpoint {
    let (mac, peer, ip) = if server {
        (SERVER_MAC, CLIENT_MAC, SERVER_IP)
    } else {
        (CLIENT_MAC, SERVER_MAC, CLIENT_IP)
    };
    let cfg = EndpointConfig {
        mac,
        next_hop: NextHop::Fixed(peer),
        ip_first: ip,
        listen_ports: if server { vec![80] } else { Vec::new() },
        vlan,
        ..EndpointConfig::default()
    };
    let tcp = TcpConfig {
        cookies: CookiePolicy::Always,
        ..TcpConfig::default()
    };
    let app = Canned::new(AppConfig {
        close: if server {
            CloseMode::Wait
        } else {
            CloseMode::Fin
        },
        close_on_peer_fin: true,
        ..AppConfig::default()
    });
    Endpoint::new(cfg, TcpContext::new(tcp, Secrets::from_seed(7)), app)
}

/// The client's SYN on a fresh tuple.
fn syn(client: &mut Endpoint, port: u16) -> Vec<u8> {
    let tuple = FourTuple {
        local_ip: CLIENT_IP,
        remote_ip: SERVER_IP,
        local_port: port,
        remote_port: 80,
    };
    let mut frame = [0u8; FRAME_CAPACITY];
    let p = client.prepare(tuple, 0);
    match client.connect(&p, 1_000, &mut frame) {
        Opened::Sent(n) => frame[..n].to_vec(),
        other => panic!("not sent: {other:?}"),
    }
}

/// Hands `frame` to `ep`; its answer, if any.
fn deliver(ep: &mut Endpoint, frame: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(frame);
    ep.on_frame(&mut buf, frame.len(), 2_000)
        .map(|n| buf[..n].to_vec())
}

fn tcp_of(frame: &[u8]) -> (Option<u16>, TcpFlags) {
    match parse_frame(frame, true) {
        Ok(Frame::Tcp(f)) => (f.eth.vlan, f.tcp.flags),
        other => panic!("not a TCP frame: {other:?}"),
    }
}

#[test]
fn a_tagged_exchange_stays_tagged_from_syn_to_close() {
    let (mut c, mut s) = (endpoint(false, Some(100)), endpoint(true, Some(100)));
    let mut frame = syn(&mut c, 40_000);
    let mut seen = Vec::new();
    let mut to_server = true;
    for _ in 0..20 {
        seen.push(tcp_of(&frame));
        let ep = if to_server { &mut s } else { &mut c };
        match deliver(ep, &frame) {
            Some(next) => frame = next,
            None => break,
        }
        to_server = !to_server;
    }
    assert!(seen.len() >= 5, "{seen:?}");
    assert!(seen.iter().all(|(vlan, _)| *vlan == Some(100)), "{seen:?}");
    assert_eq!(seen[0].1, TcpFlags::SYN);
    assert_eq!(seen[1].1, TcpFlags::SYN | TcpFlags::ACK);
    assert_eq!(c.counters().completed(), 1);
    assert_eq!(c.counters().drop_vlan + s.counters().drop_vlan, 0);
    // On a VLAN every frame takes the general parse (the predictions
    // read untagged frames only).
    assert_eq!(s.counters().syn_predicted, 0);
    assert_eq!(
        c.counters().segments_predicted + s.counters().segments_predicted,
        0
    );
}

#[test]
fn another_tag_or_none_is_not_ours() {
    let mut s = endpoint(true, Some(100));
    let mut untagged_client = endpoint(false, None);
    let mut other_client = endpoint(false, Some(200));
    assert_eq!(deliver(&mut s, &syn(&mut untagged_client, 40_001)), None);
    assert_eq!(deliver(&mut s, &syn(&mut other_client, 40_002)), None);
    assert_eq!(s.counters().drop_vlan, 2);
    assert_eq!(s.counters().event(synwave::tcp::Events::SYN_RX), 0);
    // A server without a VLAN does not take tagged frames either.
    let mut plain = endpoint(true, None);
    let mut tagged_client = endpoint(false, Some(100));
    assert_eq!(deliver(&mut plain, &syn(&mut tagged_client, 40_003)), None);
    assert_eq!(plain.counters().drop_vlan, 1);
    // And the untagged exchange still works.
    let reply = deliver(&mut plain, &syn(&mut untagged_client, 40_004)).expect("SYN-ACK");
    assert_eq!(tcp_of(&reply), (None, TcpFlags::SYN | TcpFlags::ACK));
}

#[test]
fn arp_is_answered_on_our_vlan_only() {
    let mut s = endpoint(true, Some(100));
    let request = ArpRepr {
        op: ArpOp::Request,
        sender_mac: CLIENT_MAC,
        sender_ip: CLIENT_IP,
        target_mac: MacAddr([0; 6]),
        target_ip: SERVER_IP,
    };
    let frame = |vlan| {
        let eth = EthernetRepr {
            src: CLIENT_MAC,
            dst: MacAddr::BROADCAST,
            vlan,
            ethertype: synwave::wire::ethernet::ETHERTYPE_ARP,
        };
        let mut b = vec![0u8; 64];
        let n = synwave::wire::frame::build_arp_frame(&mut b, &eth, &request).unwrap();
        b.truncate(n);
        b
    };
    let reply = deliver(&mut s, &frame(Some(100))).expect("an ARP reply");
    match parse_frame(&reply, true) {
        Ok(Frame::Arp(eth, a)) => {
            assert_eq!(
                (eth.vlan, a.op, a.sender_mac),
                (Some(100), ArpOp::Reply, SERVER_MAC)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(deliver(&mut s, &frame(None)), None);
    assert_eq!(deliver(&mut s, &frame(Some(101))), None);
    assert_eq!(s.counters().drop_vlan, 2);
    // A tagged SYN built by hand (not by an endpoint) is answered tagged.
    let addr = synwave::wire::TcpFrameAddr {
        src_mac: CLIENT_MAC,
        dst_mac: SERVER_MAC,
        vlan: Some(100),
        src_ip: CLIENT_IP,
        dst_ip: SERVER_IP,
    };
    let seg = synwave::wire::TcpRepr {
        src_port: 50_000,
        dst_port: 80,
        seq: synwave::wire::SeqNum(1),
        ack: synwave::wire::SeqNum(0),
        flags: TcpFlags::SYN,
        window: 65_535,
        options: synwave::wire::TcpOptions {
            mss: Some(1460),
            ..Default::default()
        },
    };
    let mut b = vec![0u8; 128];
    let n = build_tcp_frame(&mut b, &addr, &seg, &[]).unwrap();
    let reply = deliver(&mut s, &b[..n]).expect("a SYN-ACK");
    assert_eq!(tcp_of(&reply), (Some(100), TcpFlags::SYN | TcpFlags::ACK));
}

#[test]
fn bench_runs_tagged_in_memory() {
    let json = std::env::temp_dir().join(format!("synwave-vlan-bench-{}.json", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_synwave"))
        .args(["bench", "--vlan", "100", "--duration", "1", "--json"])
        .arg(&json)
        .output()
        .expect("run synwave bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("the JSON summary");
    let _ = std::fs::remove_file(&json);
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(j["vlan"], 100, "{j}");
    assert!(j["completed"].as_u64().unwrap() > 1_000, "{j}");
    assert_eq!(j["failed"], 0, "{j}");
    let bad = Command::new(env!("CARGO_BIN_EXE_synwave"))
        .args(["bench", "--vlan", "4095"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("give 1 to 4094"));
}

//! The fuzz targets, shared by the cargo-fuzz project (`tools/fuzz`,
//! nightly, coverage-guided) and the stable harness (`tests/fuzz_smoke.rs`
//! in CI, `examples/fuzz_campaign.rs` for long runs), each of which
//! includes this file with `#[path]`.
//!
//! Every `wire` parser gets arbitrary bytes; the whole pipeline (an
//! endpoint's `on_frame`, then its timers) gets arbitrary sequences of
//! frames, alongside real traffic so that mutated segments meet live
//! connections. A target passes an input when it neither panics nor
//! breaks the invariant it checks.

#![allow(dead_code)]

use synwave::endpoint::{Endpoint, Opened};
use synwave::flow::FourTuple;
use synwave::scenario::{CLIENT_NET, Scenario};
use synwave::tcp::CookiePolicy;
use synwave::wire;

/// Frame buffers are this large, as a UMEM frame.
const FRAME: usize = 2048;

/// A target: a name and the function that runs one input.
pub type Target = (&'static str, fn(&[u8]));

/// Every target by name.
pub const TARGETS: &[Target] = &[
    ("parse_frame", parse_frame),
    ("tcp_options", tcp_options),
    ("arp", arp),
    ("predict_segment", predict_segment),
    ("predict_syn", predict_syn),
    ("endpoint", endpoint),
    ("ipv6", ipv6),
    ("ndp", ndp),
    ("vlan", vlan),
    ("predict_v6", predict_v6),
];

/// `wire::parse_frame`, checksums verified and not.
pub fn parse_frame(data: &[u8]) {
    let _ = wire::parse_frame(data, true);
    let _ = wire::parse_frame(data, false);
}

/// `TcpOptions::parse` on the bytes as an options area.
pub fn tcp_options(data: &[u8]) {
    let _ = wire::TcpOptions::parse(data);
}

/// `ArpRepr::parse` on the bytes as an ARP packet.
pub fn arp(data: &[u8]) {
    let _ = wire::ArpRepr::parse(data);
}

/// Segment prediction must agree with the general parse: whenever it
/// reads a frame, the general parse reads the same header.
pub fn predict_segment(data: &[u8]) {
    for verify in [true, false] {
        if let Some(p) = wire::predict_segment(data, verify) {
            match wire::parse_frame(data, verify) {
                Ok(wire::Frame::Tcp(f)) => {
                    assert_eq!(p.tcp.seq, f.tcp.seq, "predicted seq differs");
                    assert_eq!(p.tcp.ack, f.tcp.ack, "predicted ack differs");
                    assert_eq!(p.tcp.flags, f.tcp.flags, "predicted flags differ");
                }
                other => panic!("predicted a segment the parse rejects: {other:?}"),
            }
        }
    }
}

/// SYN prediction must only read frames that the general parse reads as
/// SYNs, with the same numbers, whenever their options parse (the
/// endpoint parses a predicted SYN's options next and takes the general
/// path when they do not).
pub fn predict_syn(data: &[u8]) {
    for verify in [true, false] {
        if let Some(syn) = wire::predict_syn(data, verify)
            && wire::TcpOptions::parse(syn.options).is_ok()
        {
            match wire::parse_frame(data, verify) {
                Ok(wire::Frame::Tcp(f)) => {
                    assert!(
                        f.tcp.flags.syn() && !f.tcp.flags.ack(),
                        "predicted a non-SYN"
                    );
                    assert_eq!((syn.seq, syn.src_port), (f.tcp.seq, f.tcp.src_port));
                }
                other => panic!("predicted a SYN the parse rejects: {other:?}"),
            }
        }
    }
}

/// The IPv6 predictions must agree with `parse_frame_v6`: a predicted
/// segment reads as the general parse reads it; a predicted SYN whose
/// options parse is a SYN of the same numbers.
pub fn predict_v6(data: &[u8]) {
    for verify in [true, false] {
        if let Some(p) = wire::predict_segment_v6(data, verify) {
            match wire::parse_frame_v6(data, verify) {
                Ok(wire::Frame::Tcp6(f)) => {
                    assert_eq!(
                        p,
                        wire::PredictedSegment::of_frame6(&f),
                        "prediction differs"
                    );
                }
                other => panic!("predicted an IPv6 segment the parse rejects: {other:?}"),
            }
        }
        if let Some(syn) = wire::predict_syn_v6(data, verify)
            && wire::TcpOptions::parse(syn.options).is_ok()
        {
            match wire::parse_frame_v6(data, verify) {
                Ok(wire::Frame::Tcp6(f)) => {
                    assert_eq!(f.tcp.flags, wire::TcpFlags::SYN, "predicted a non-SYN");
                    assert_eq!((syn.seq, syn.src_port), (f.tcp.seq, f.tcp.src_port));
                    assert_eq!((syn.src, syn.dst), (f.ip.src, f.ip.dst));
                }
                other => panic!("predicted an IPv6 SYN the parse rejects: {other:?}"),
            }
        }
    }
}

/// `Ipv6Packet::new_checked` (the extension-header walk) and its `Repr`.
/// Invariants: what it accepts lies inside the input, and the `Repr`
/// emits the fixed header it read.
pub fn ipv6(data: &[u8]) {
    if let Ok(p) = wire::Ipv6Packet::new_checked(data) {
        assert!(
            p.header_len() + p.payload().len() <= data.len(),
            "past the input"
        );
        assert!(p.header_len() >= wire::ipv6::HEADER_LEN);
        let r = wire::Ipv6Repr::parse(&p);
        let mut out = [0u8; wire::ipv6::HEADER_LEN];
        r.emit(&mut out).expect("a 40-byte header fits");
        assert_eq!(out[8..40], data[8..40], "addresses differ");
        assert_eq!(out[7], data[7], "hop limit differs");
    }
}

/// `NdpRepr::parse` on an ICMPv6 message: the input's first 33 bytes are
/// the IPv6 source, destination and hop limit it came with, the rest the
/// message, whose checksum is set right first unless the low bit of its
/// eighth byte (reserved, ignored by the parse) is set: most mutations
/// reach the checks behind the checksum, some test the checksum itself. Invariant: a
/// message it accepts emits and parses back to the same message.
pub fn ndp(data: &[u8]) {
    let Some((ip, icmp)) = ndp_split(data) else {
        return;
    };
    let mut fixed = icmp.to_vec();
    if fixed.len() >= 8 && fixed[7] & 1 == 0 {
        fixed[2..4].copy_from_slice(&[0, 0]);
        let sum = wire::checksum::pseudo_header_v6(ip.src, ip.dst, 58, fixed.len() as u32);
        let c = wire::checksum::finish(wire::checksum::sum(sum, &fixed));
        fixed[2..4].copy_from_slice(&c.to_be_bytes());
    }
    if let Ok(Some(r)) = wire::NdpRepr::parse(&ip, &fixed) {
        let mut out = vec![0u8; r.len()];
        r.emit(&ip, &mut out).expect("fits its own length");
        assert_eq!(wire::NdpRepr::parse(&ip, &out), Ok(Some(r)), "round trip");
    }
}

fn ndp_split(data: &[u8]) -> Option<(wire::NdpHeader, &[u8])> {
    if data.len() < 33 {
        return None;
    }
    let (src, dst) = (data[..16].try_into().ok()?, data[16..32].try_into().ok()?);
    let ip = wire::NdpHeader {
        src,
        dst,
        hop_limit: data[32],
    };
    Some((ip, &data[33..]))
}

/// `parse_frame` on an 802.1Q-tagged frame. Invariant: a tagged frame
/// parses as the same frame without its tag does (the same result, the
/// same TCP header), and reports the tag.
pub fn vlan(data: &[u8]) {
    if data.len() < 18 || data[12..14] != [0x81, 0x00] {
        return parse_frame(data);
    }
    let mut untagged = data[..12].to_vec();
    untagged.extend_from_slice(&data[16..]);
    let vid = u16::from_be_bytes([data[14], data[15]]) & 0x0fff;
    // The predictions read nothing before the EtherType: 4 bytes into a
    // tagged frame they see what they see in its untagged twin.
    for verify in [true, false] {
        assert_eq!(
            wire::predict_segment(&data[4..], verify),
            wire::predict_segment(&untagged, verify),
            "segment prediction differs past the tag"
        );
        assert_eq!(
            wire::predict_syn(&data[4..], verify).map(|s| (s.seq, s.src_port, s.options)),
            wire::predict_syn(&untagged, verify).map(|s| (s.seq, s.src_port, s.options)),
            "SYN prediction differs past the tag"
        );
    }
    for verify in [true, false] {
        let (t, u) = (
            wire::parse_frame(data, verify),
            wire::parse_frame(&untagged, verify),
        );
        match (&t, &u) {
            (Ok(wire::Frame::Tcp(a)), Ok(wire::Frame::Tcp(b))) => {
                assert_eq!(a.tcp, b.tcp, "the tag changed the segment");
                assert_eq!(a.eth.vlan, Some(vid));
            }
            (Ok(wire::Frame::Arp(ea, a)), Ok(wire::Frame::Arp(_, b))) => {
                assert_eq!(a, b, "the tag changed the ARP packet");
                assert_eq!(ea.vlan, Some(vid));
            }
            // A second tag is not walked: the inner EtherType is 0x8100.
            (Err(e), _) if untagged.len() >= 14 && untagged[12..14] == [0x81, 0x00] => {
                assert_eq!(*e, wire::WireError::UnsupportedEtherType);
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "the tag changed the error"),
            _ => panic!("tagged {t:?} but untagged {u:?}"),
        }
    }
}

/// A server (cookies on overload, so SYNs make state) and a client with
/// live connections toward it, fed the input as frames: each a 2-byte
/// little-endian length (its low 11 bits; bit 15 set sends the frame to
/// the client), a byte of milliseconds that pass before it, then the
/// frame's bytes. Timers run after every frame. Invariants: an answer
/// fits its buffer; every frame is counted once. The pair is built anew
/// every `FRESH_EVERY` inputs (building it costs more than an input), so
/// an input meets the state the inputs before it left.
pub fn endpoint(data: &[u8]) {
    PAIR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|p| p.inputs >= FRESH_EVERY) {
            *cell = Some(Pair::new());
        }
        let p = cell.as_mut().expect("built above");
        p.inputs += 1;
        p.feed(data);
    });
}

/// Inputs an endpoint pair takes before it is built anew.
const FRESH_EVERY: u64 = 1024;

std::thread_local! {
    static PAIR: std::cell::RefCell<Option<Pair>> = const { std::cell::RefCell::new(None) };
}

struct Pair {
    server: Endpoint,
    client: Endpoint,
    now: u64,
    inputs: u64,
}

impl Pair {
    fn new() -> Pair {
        let mut server = Scenario {
            cookies: CookiePolicy::OnOverload,
            ..Scenario::default()
        }
        .server(7);
        let mut client = Scenario::default().client(CLIENT_NET, 4, 7, false);
        let now = 1_000_000u64;
        // Real traffic first: a few connections in flight, whose segments
        // the fuzzed frames may hit.
        let mut syns: Vec<Vec<u8>> = Vec::new();
        for port in 40_000..40_004u16 {
            let t = FourTuple {
                local_ip: CLIENT_NET,
                remote_ip: synwave::scenario::SERVER_IP,
                local_port: port,
                remote_port: synwave::scenario::SERVER_PORT,
            };
            let mut frame = [0u8; FRAME];
            let p = client.prepare(t, 0);
            if let Opened::Sent(n) = client.connect(&p, now, &mut frame) {
                syns.push(frame[..n].to_vec());
            }
        }
        for f in syns {
            let mut buf = [0u8; FRAME];
            buf[..f.len()].copy_from_slice(&f);
            let _ = server.on_frame(&mut buf, f.len(), now);
        }
        Pair {
            server,
            client,
            now,
            inputs: 0,
        }
    }

    fn feed(&mut self, data: &[u8]) {
        let before = (
            self.server.counters().rx_frames,
            self.client.counters().rx_frames,
        );
        let mut fed = (0u64, 0u64);
        let mut rest = data;
        let mut buf = [0u8; FRAME];
        while rest.len() >= 3 {
            let len = usize::from(u16::from_le_bytes([rest[0], rest[1] & 0x07]));
            let to_client = rest[1] & 0x80 != 0;
            self.now += u64::from(rest[2]) * 1_000;
            rest = &rest[3..];
            let n = len.min(rest.len()).min(FRAME);
            buf[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            let ep = if to_client {
                fed.1 += 1;
                &mut self.client
            } else {
                fed.0 += 1;
                &mut self.server
            };
            if let Some(out) = ep.on_frame(&mut buf, n, self.now) {
                assert!(out <= FRAME, "an answer of {out} bytes overruns its buffer");
            }
            ep.expire(self.now, &mut |f| assert!(f.len() <= FRAME));
        }
        assert_eq!(self.server.counters().rx_frames - before.0, fed.0);
        assert_eq!(self.client.counters().rx_frames - before.1, fed.1);
    }
}

/// Seed inputs per target: well-formed frames of every kind the pipeline
/// meets (a SYN, its SYN-ACK, the handshake's ACK with data, a FIN, a
/// RST, an ARP request), for the mutators to start from.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let frames = sample_frames();
    match target {
        "tcp_options" => frames
            .iter()
            .filter(|f| f.len() > 54)
            .map(|f| f[54..].to_vec())
            .chain([vec![
                2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
            ]])
            .collect(),
        "arp" => frames
            .iter()
            .filter(|f| f.len() >= 42 && f[12..14] == [0x08, 0x06])
            .map(|f| f[14..].to_vec())
            .collect(),
        "endpoint" => {
            // The frames in sequence, each addressed to the server.
            let mut all = Vec::new();
            for f in &frames {
                all.extend_from_slice(&(f.len() as u16).to_le_bytes());
                all.push(1);
                all.extend_from_slice(f);
            }
            vec![all]
        }
        "ipv6" => ipv6_seeds(),
        "ndp" => ndp_seeds(),
        "predict_v6" => exchange::<[u8; 16]>(),
        "vlan" => frames
            .iter()
            .map(|f| {
                let mut t = f[..12].to_vec();
                t.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
                t.extend_from_slice(&f[12..]);
                t
            })
            .collect(),
        _ => frames,
    }
}

/// IPv6 packets: plain TCP, and TCP behind hop-by-hop, routing and
/// destination options headers.
fn ipv6_seeds() -> Vec<Vec<u8>> {
    let tcp = [0u8; 20];
    let chains: [&[u8]; 3] = [
        &[],
        &[43, 0, 0, 0, 0, 0, 0, 0],
        &[
            43, 0, 1, 4, 0, 0, 0, 0, 60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1, 4,
            0, 0, 0, 0,
        ],
    ];
    let first = [6u8, 0, 0];
    chains
        .iter()
        .zip(first)
        .map(|(chain, next)| {
            let r = wire::Ipv6Repr {
                src: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
                dst: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                next_header: next,
                payload_len: (chain.len() + tcp.len()) as u16,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: 7,
            };
            let mut p = vec![0u8; wire::ipv6::HEADER_LEN];
            r.emit(&mut p).expect("fits");
            p.extend_from_slice(chain);
            p.extend_from_slice(&tcp);
            p
        })
        .collect()
}

/// Neighbor solicitations and advertisements, each behind the 33 bytes
/// of addresses and hop limit that `ndp` reads first.
fn ndp_seeds() -> Vec<Vec<u8>> {
    let ours = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let peer = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    let mac = wire::MacAddr([2, 0, 0, 0, 0, 2]);
    let messages = [
        (
            peer,
            wire::ipv6::solicited_node(ours),
            wire::NdpRepr::Solicit {
                target: ours,
                source_mac: Some(mac),
            },
        ),
        (
            ours,
            peer,
            wire::NdpRepr::Advert {
                target: ours,
                router: false,
                solicited: true,
                override_cache: true,
                target_mac: Some(mac),
            },
        ),
    ];
    messages
        .iter()
        .map(|(src, dst, r)| {
            let ip = wire::NdpHeader {
                src: *src,
                dst: *dst,
                hop_limit: wire::ndp::HOP_LIMIT,
            };
            let mut v = Vec::new();
            v.extend_from_slice(src);
            v.extend_from_slice(dst);
            v.push(wire::ndp::HOP_LIMIT);
            let mut m = vec![0u8; r.len()];
            r.emit(&ip, &mut m).expect("fits");
            v.extend_from_slice(&m);
            v
        })
        .collect()
}

/// Real frames of one exchange between a client and a server endpoint.
fn sample_frames() -> Vec<Vec<u8>> {
    let mut out = exchange::<[u8; 4]>();
    out.extend(arp_seeds());
    out
}

/// The frames of one connection between the scenario's client and
/// server, in family `A`.
fn exchange<A: synwave::scenario::ScenarioAddrs>() -> Vec<Vec<u8>> {
    let mut server = Scenario::default().server_in::<A>(7);
    let mut client = Scenario::default().client_in(A::CLIENT_NET, 1, 7, false);
    let t = FourTuple {
        local_ip: A::CLIENT_NET,
        remote_ip: A::SERVER,
        local_port: 40_000,
        remote_port: synwave::scenario::SERVER_PORT,
    };
    let mut out = Vec::new();
    let mut to_server = Vec::new();
    let mut frame = [0u8; FRAME];
    let p = client.prepare(t, 0);
    if let Opened::Sent(n) = client.connect(&p, 1_000_000, &mut frame) {
        to_server.push(frame[..n].to_vec());
    }
    let mut now = 1_000_000;
    for _ in 0..6 {
        let mut to_client = Vec::new();
        for f in to_server.drain(..) {
            out.push(f.clone());
            let mut buf = [0u8; FRAME];
            buf[..f.len()].copy_from_slice(&f);
            if let Some(n) = server.on_frame(&mut buf, f.len(), now) {
                to_client.push(buf[..n].to_vec());
            }
        }
        now += 100;
        for f in to_client {
            out.push(f.clone());
            let mut buf = [0u8; FRAME];
            buf[..f.len()].copy_from_slice(&f);
            if let Some(n) = client.on_frame(&mut buf, f.len(), now) {
                to_server.push(buf[..n].to_vec());
            }
        }
    }
    out
}

/// An ARP request for the server's address.
fn arp_seeds() -> Vec<Vec<u8>> {
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2, 0, 0, 0, 1, 1, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&[2, 0, 0, 0, 1, 1, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
    vec![arp]
}

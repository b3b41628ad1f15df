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
        _ => frames,
    }
}

/// Real frames of one exchange between a client and a server endpoint.
fn sample_frames() -> Vec<Vec<u8>> {
    let mut server = Scenario::default().server(7);
    let mut client = Scenario::default().client(CLIENT_NET, 1, 7, false);
    let t = FourTuple {
        local_ip: CLIENT_NET,
        remote_ip: synwave::scenario::SERVER_IP,
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
    // An ARP request for the server's address.
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2, 0, 0, 0, 1, 1, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&[2, 0, 0, 0, 1, 1, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
    out.push(arp);
    out
}

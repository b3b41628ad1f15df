//! Property tests (proptest) for `synwave`:
//!
//! 1. arbitrary and mutated bytes into every `wire` parser: no panic, and a
//!    view that `new_checked` accepted answers every accessor consistently;
//! 2. round trips: TCP frames, ARP, IPv4 headers, TCP options, checksums
//!    (full against a reference, incremental against full);
//! 3. arbitrary frames into a listening `Endpoint`: no panic, every answer
//!    fits the buffer and parses with verifying checksums, tables drain;
//! 4. arbitrary segment sequences, timers, `close` and `abort` into client,
//!    server and TIME-WAIT records: no panic, SND.UNA ≤ SND.NXT, SYN-queue
//!    count exact, every record ends through its timers, replies addressed
//!    to the tuple.
//!
//! Bugs found in `src/` are kept as regression tests
//! at the end of the file.

use std::sync::Arc;

#[path = "common/options.rs"]
mod options;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop};
use synwave::flow::FourTuple;
use synwave::tcp::{
    self, AppState, CookiePolicy, End, Events, Outcome, Reply, Secrets, State, Tcb, TcpConfig,
    TcpContext, TimeWait, TwVerdict,
};
use synwave::wire::{
    self, ArpOp, ArpRepr, EthernetFrame, EthernetRepr, Frame, Ipv4Packet, Ipv4Repr, MacAddr,
    SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpPacket, TcpRepr, Timestamps, WireError,
    checksum,
};

// ---------------------------------------------------------------------------
// Helpers: configuration, references, frame building
// ---------------------------------------------------------------------------

type TestResult = Result<(), TestCaseError>;

/// `cases` cases (`PROPTEST_CASES` overrides, for a deeper search), no
/// regression files written next to the sources.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const SEC: u64 = 1_000_000;
/// Start of every scenario: well past 0, inside cookie period 1.
const T0: u64 = 100 * SEC;
const CLIENT_IP: [u8; 4] = [10, 0, 0, 1];
const SERVER_IP: [u8; 4] = [10, 0, 0, 2];
const CLIENT_PORT: u16 = 40_000;
const SERVER_PORT: u16 = 80;
const CLIENT_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const SERVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);
/// Idle timeout of every state-machine configuration: > 0, so every live
/// record has a timer and ends by itself.
const IDLE_US: u64 = 5 * SEC;

const FIN: u8 = TcpFlags::FIN.0;
const SYN: u8 = TcpFlags::SYN.0;
const RST: u8 = TcpFlags::RST.0;
const PSH: u8 = TcpFlags::PSH.0;
const ACK: u8 = TcpFlags::ACK.0;

/// Ones' complement sum of big-endian 16-bit words, folded (RFC 1071, the
/// slow obvious way), as the reference for `checksum::sum`.
fn ref_fold(data: &[u8]) -> u16 {
    let mut acc: u64 = 0;
    for c in data.chunks(2) {
        acc += u64::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]));
    }
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The reference verdict on a TCP segment's checksum: pseudo-header plus
/// segment sum to all ones.
fn ref_tcp_verifies(seg: &[u8], src: [u8; 4], dst: [u8; 4]) -> bool {
    let mut v = Vec::with_capacity(12 + seg.len());
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(&[0, 6]);
    v.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    v.extend_from_slice(seg);
    seg.len() <= 0xffff && ref_fold(&v) == 0xffff
}

/// A complete Ethernet/IPv4/TCP frame.
fn tcp_frame(addr: &TcpFrameAddr, repr: &TcpRepr, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 18 + 20 + 60 + payload.len()];
    let n = wire::build_tcp_frame(&mut buf, addr, repr, payload).expect("frame fits");
    buf.truncate(n);
    buf
}

/// A complete Ethernet/ARP frame.
fn arp_frame(src: MacAddr, dst: MacAddr, vlan: Option<u16>, arp: &ArpRepr) -> Vec<u8> {
    let eth = EthernetRepr {
        src,
        dst,
        vlan,
        ethertype: wire::ethernet::ETHERTYPE_ARP,
    };
    let mut buf = vec![0u8; 64];
    let n = wire::frame::build_arp_frame(&mut buf, &eth, arp).expect("frame fits");
    buf.truncate(n);
    buf
}

/// Frame addressing for segments sent from the local side of `tuple`.
fn addr_from(tuple: &FourTuple) -> TcpFrameAddr {
    TcpFrameAddr {
        src_mac: CLIENT_MAC,
        dst_mac: SERVER_MAC,
        vlan: None,
        src_ip: tuple.local_ip,
        dst_ip: tuple.remote_ip,
    }
}

/// SEG.LEN: data plus SYN and FIN.
fn seg_len(t: &TcpRepr, payload_len: usize) -> u32 {
    payload_len as u32 + u32::from(t.flags.syn()) + u32::from(t.flags.fin())
}

/// One change to a byte string.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR the byte at (index mod length).
    Flip(usize, u8),
    /// Overwrite the byte at (index mod length).
    Set(usize, u8),
    /// Keep (n mod (length + 1)) bytes.
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
}

fn mutate(mut v: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = v.len();
        match m {
            Mutation::Flip(i, x) if len > 0 => v[i % len] ^= x,
            Mutation::Set(i, x) if len > 0 => v[i % len] = *x,
            Mutation::Truncate(n) => v.truncate(n % (len + 1)),
            Mutation::Extend(b) => v.extend_from_slice(b),
            _ => {}
        }
    }
    v
}

// ---------------------------------------------------------------------------
// Strategies: wire values
// ---------------------------------------------------------------------------

fn arb_mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}

fn arb_tcp_repr() -> impl Strategy<Value = TcpRepr> {
    (
        any::<(u16, u16, u32, u32)>(),
        any::<u8>(),
        any::<u16>(),
        options::arb_options(14),
    )
        .prop_map(
            |((src_port, dst_port, seq, ack), flags, window, options)| TcpRepr {
                src_port,
                dst_port,
                seq: SeqNum(seq),
                ack: SeqNum(ack),
                flags: TcpFlags(flags),
                window,
                options,
            },
        )
}

fn arb_frame_addr() -> impl Strategy<Value = TcpFrameAddr> {
    (
        arb_mac(),
        arb_mac(),
        option::of(0u16..4096),
        any::<[u8; 4]>(),
        any::<[u8; 4]>(),
    )
        .prop_map(|(src_mac, dst_mac, vlan, src_ip, dst_ip)| TcpFrameAddr {
            src_mac,
            dst_mac,
            vlan,
            src_ip,
            dst_ip,
        })
}

/// ARP operations in their canonical form (`Other(1)` would read back as
/// `Request`).
fn arb_arp_op() -> impl Strategy<Value = ArpOp> {
    prop_oneof![
        Just(ArpOp::Request),
        Just(ArpOp::Reply),
        any::<u16>().prop_filter_map("canonical", |c| (c != 1 && c != 2)
            .then_some(ArpOp::Other(c))),
    ]
}

fn arb_arp() -> impl Strategy<Value = ArpRepr> {
    (
        arb_arp_op(),
        arb_mac(),
        any::<[u8; 4]>(),
        arb_mac(),
        any::<[u8; 4]>(),
    )
        .prop_map(
            |(op, sender_mac, sender_ip, target_mac, target_ip)| ArpRepr {
                op,
                sender_mac,
                sender_ip,
                target_mac,
                target_ip,
            },
        )
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1u8..).prop_map(|(i, x)| Mutation::Flip(i, x)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Set(i, x)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => vec(any::<u8>(), 1..=16).prop_map(Mutation::Extend),
    ]
}

/// A valid TCP or ARP frame.
fn arb_valid_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (arb_frame_addr(), arb_tcp_repr(), vec(any::<u8>(), 0..=64))
            .prop_map(|(a, r, p)| tcp_frame(&a, &r, &p)),
        1 => (arb_mac(), arb_mac(), option::of(0u16..4096), arb_arp())
            .prop_map(|(s, d, v, a)| arp_frame(s, d, v, &a)),
    ]
}

/// Arbitrary bytes, or a valid frame with a few mutations.
fn arb_fuzz_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..=200),
        (arb_valid_frame(), vec(arb_mutation(), 0..=4)).prop_map(|(f, m)| mutate(f, &m)),
    ]
}

// ---------------------------------------------------------------------------
// Parser checks (property 1)
// ---------------------------------------------------------------------------

fn check_ethernet(b: &[u8]) -> TestResult {
    let Ok(f) = EthernetFrame::new_checked(b) else {
        return Ok(());
    };
    let hl = f.header_len();
    prop_assert!(hl == 14 || hl == 18);
    prop_assert_eq!(f.vlan().is_some(), hl == 18);
    prop_assert_eq!(&f.dst().0[..], &b[0..6]);
    prop_assert_eq!(&f.src().0[..], &b[6..12]);
    let _ = f.ethertype();
    prop_assert_eq!(f.payload().len(), b.len() - hl);
    // Parse then emit gives the header back, but for the tag's PCP/DEI bits.
    let r = EthernetRepr::parse(&f);
    prop_assert_eq!(r.header_len(), hl);
    let mut out = [0u8; 18];
    prop_assert_eq!(r.emit(&mut out), Ok(hl));
    let mut expect = b[..hl].to_vec();
    if hl == 18 {
        expect[14] &= 0x0f;
    }
    prop_assert_eq!(&out[..hl], &expect[..]);
    Ok(())
}

fn check_arp(b: &[u8]) -> TestResult {
    match ArpRepr::parse(b) {
        Ok(a) => {
            let mut out = [0u8; 28];
            prop_assert_eq!(a.emit(&mut out), Ok(28));
            prop_assert_eq!(&out[..], &b[..28]);
        }
        Err(e) => prop_assert!(matches!(
            e,
            WireError::Truncated | WireError::UnsupportedArp
        )),
    }
    Ok(())
}

fn check_ipv4(b: &[u8]) -> TestResult {
    let Ok(p) = Ipv4Packet::new_checked(b) else {
        return Ok(());
    };
    let (hl, tl) = (p.header_len(), p.total_len());
    prop_assert!((20..=60).contains(&hl) && hl % 4 == 0);
    prop_assert!(hl <= tl && tl <= b.len());
    let _ = (p.tos(), p.ident(), p.dont_frag(), p.ttl(), p.protocol());
    let _ = (p.checksum_field(), p.src(), p.dst());
    prop_assert_eq!(p.payload().len(), tl - hl);
    prop_assert_eq!(p.verify_checksum(), ref_fold(&b[..hl]) == 0xffff);
    let r = Ipv4Repr::parse(&p);
    prop_assert_eq!(usize::from(r.payload_len), tl - hl);
    prop_assert_eq!((r.src, r.dst), (p.src(), p.dst()));
    Ok(())
}

fn check_tcp(b: &[u8], src: [u8; 4], dst: [u8; 4]) -> TestResult {
    let Ok(p) = TcpPacket::new_checked(b) else {
        return Ok(());
    };
    let hl = p.header_len();
    prop_assert!((20..=60).contains(&hl) && hl % 4 == 0 && hl <= b.len());
    let _ = (p.src_port(), p.dst_port(), p.seq(), p.ack());
    let _ = (p.flags(), p.window(), p.checksum_field());
    prop_assert_eq!(p.options().len(), hl - 20);
    prop_assert_eq!(p.payload().len(), b.len() - hl);
    prop_assert_eq!(p.verify_checksum(src, dst), ref_tcp_verifies(b, src, dst));
    match TcpRepr::parse(&p) {
        Ok(r) => {
            prop_assert_eq!((r.src_port, r.dst_port), (p.src_port(), p.dst_port()));
            prop_assert_eq!((r.seq, r.ack), (p.seq(), p.ack()));
            prop_assert_eq!((r.flags, r.window), (p.flags(), p.window()));
            prop_assert_eq!(Ok(r.options), TcpOptions::parse(p.options()));
        }
        Err(e) => prop_assert_eq!(e, WireError::BadOption),
    }
    Ok(())
}

fn check_options(b: &[u8]) -> TestResult {
    let r = TcpOptions::parse(b);
    // Four leading NOPs defeat both fast paths (lengths 12 and 20, first
    // word 0x0101080a or MSS): the general parser must agree with them.
    let mut padded = vec![1u8; 4];
    padded.extend_from_slice(b);
    prop_assert_eq!(TcpOptions::parse(&padded), r, "fast path disagrees");
    match r {
        Ok(o) => {
            let mut out = [0u8; 40];
            let n = o.emit(&mut out).expect("options fit in 40 bytes");
            prop_assert_eq!(n, o.len());
            prop_assert_eq!(n % 4, 0);
            prop_assert_eq!(TcpOptions::parse(&out[..n]), Ok(o));
        }
        Err(e) => prop_assert_eq!(e, WireError::BadOption),
    }
    Ok(())
}

fn check_parse_frame(b: &[u8]) -> TestResult {
    let strict = wire::parse_frame(b, true);
    let lax = wire::parse_frame(b, false);
    match (&strict, &lax) {
        (Ok(s), l) => prop_assert_eq!(l.as_ref().ok(), Some(s)),
        (Err(WireError::BadChecksum), _) => {}
        (Err(e), l) => prop_assert_eq!(l.as_ref().err(), Some(e)),
    }
    if let Ok(Frame::Tcp(f)) = lax {
        // The payload is the end of the segment inside the buffer.
        let end = f.payload.as_ptr() as usize + f.payload.len();
        prop_assert!(end <= b.as_ptr() as usize + b.len());
    }
    Ok(())
}

/// Every parser on `b` and on its tails at the usual header offsets.
fn check_all_parsers(b: &[u8]) -> TestResult {
    check_parse_frame(b)?;
    for off in [0usize, 14, 18, 34, 38, 54] {
        let Some(t) = b.get(off..) else { continue };
        check_ethernet(t)?;
        check_arp(t)?;
        check_ipv4(t)?;
        check_tcp(t, CLIENT_IP, SERVER_IP)?;
        check_options(t)?;
        check_options(&t[..t.len().min(40)])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// State-machine harness (property 4)
// ---------------------------------------------------------------------------

/// A sequence-number reference point of the record under test.
#[derive(Clone, Copy, Debug)]
enum Base {
    RcvNxt,
    SndNxt,
    SndUna,
    PeerIsn,
    Iss,
}

/// A sequence number: a reference point plus an offset, or anything.
#[derive(Clone, Copy, Debug)]
enum Num {
    At(Base, i32),
    Any(u32),
}

/// The timestamps option of a generated segment.
#[derive(Clone, Copy, Debug)]
enum Ts {
    None,
    /// The peer's clock, one tick on.
    Fresh,
    /// The peer's clock, this many ticks back (PAWS).
    Stale(u32),
    /// Any value.
    Any(u32),
}

/// A segment from the peer, relative to the record's numbers.
#[derive(Clone, Debug)]
struct SegSpec {
    flags: u8,
    seq: Num,
    ack: Num,
    len: usize,
    window: u16,
    ts: Ts,
    /// SYN options: MSS, window scale, SACK-permitted.
    mss: Option<u16>,
    wscale: Option<u8>,
    sack: bool,
}

/// One thing that happens to a record.
#[derive(Clone, Debug)]
enum Step {
    /// A generated segment.
    Seg(SegSpec),
    /// What a well-behaved peer sends next (SYN-ACK, or ACK of everything
    /// with optional FIN and data).
    Good { fin: bool, len: usize },
    /// Time passes.
    Wait(u64),
    /// The timer fires at `deadline()`.
    Timer,
    /// `on_timer` before `deadline()`: must change nothing.
    EarlyTimer,
    /// Application close.
    Close,
    /// Application abort.
    Abort,
}

/// The numbers generated segments are placed around.
#[derive(Clone, Copy, Debug)]
struct Nums {
    rcv_nxt: SeqNum,
    snd_nxt: SeqNum,
    snd_una: SeqNum,
    peer_isn: SeqNum,
    iss: SeqNum,
}

impl Nums {
    fn of(tcb: &Tcb, peer: &Peer) -> Nums {
        Nums {
            rcv_nxt: tcb.rcv_nxt(),
            snd_nxt: tcb.snd_nxt(),
            snd_una: tcb.snd_una(),
            peer_isn: peer.isn,
            iss: tcb.iss(),
        }
    }

    fn resolve(&self, n: Num) -> SeqNum {
        match n {
            Num::Any(v) => SeqNum(v),
            Num::At(b, d) => {
                let base = match b {
                    Base::RcvNxt => self.rcv_nxt,
                    Base::SndNxt => self.snd_nxt,
                    Base::SndUna => self.snd_una,
                    Base::PeerIsn => self.peer_isn,
                    Base::Iss => self.iss,
                };
                SeqNum(base.0.wrapping_add(d as u32))
            }
        }
    }
}

/// The remote side as far as generated segments need it.
#[derive(Clone, Copy, Debug)]
struct Peer {
    isn: SeqNum,
    ts: u32,
}

impl Peer {
    fn fresh_ts(&mut self, tsecr: u32) -> Option<Timestamps> {
        self.ts = self.ts.wrapping_add(1);
        Some(Timestamps {
            tsval: self.ts,
            tsecr,
        })
    }

    fn ts(&mut self, spec: Ts) -> Option<Timestamps> {
        match spec {
            Ts::None => None,
            Ts::Fresh => self.fresh_ts(0),
            Ts::Stale(k) => Some(Timestamps {
                tsval: self.ts.wrapping_sub(k),
                tsecr: 0,
            }),
            Ts::Any(v) => Some(Timestamps {
                tsval: v,
                tsecr: v.rotate_left(7),
            }),
        }
    }
}

/// The peer's segment `spec` on `tuple` (seen from the record's side).
fn build_seg(spec: &SegSpec, nums: &Nums, peer: &mut Peer, tuple: &FourTuple) -> TcpRepr {
    let syn = spec.flags & SYN != 0;
    TcpRepr {
        src_port: tuple.remote_port,
        dst_port: tuple.local_port,
        seq: nums.resolve(spec.seq),
        ack: nums.resolve(spec.ack),
        flags: TcpFlags(spec.flags),
        window: spec.window,
        options: TcpOptions {
            mss: spec.mss.filter(|_| syn),
            wscale: spec.wscale.filter(|_| syn),
            sack_permitted: spec.sack && syn,
            timestamps: peer.ts(spec.ts),
        },
    }
}

/// What a well-behaved peer sends to `tcb` next (a SYN-ACK carries the
/// options `syn`).
fn good_seg(tcb: &Tcb, syn: &PeerSyn, peer: &mut Peer, tuple: &FourTuple, fin: bool) -> TcpRepr {
    let mut r = TcpRepr {
        src_port: tuple.remote_port,
        dst_port: tuple.local_port,
        seq: tcb.rcv_nxt(),
        ack: tcb.snd_nxt(),
        flags: TcpFlags(ACK | if fin { FIN } else { 0 }),
        window: 65535,
        options: TcpOptions::default(),
    };
    if tcb.state() == State::SynSent {
        r.seq = peer.isn;
        r.flags = TcpFlags(SYN | ACK);
        r.options = TcpOptions {
            mss: syn.mss,
            wscale: syn.wscale,
            sack_permitted: syn.sack,
            timestamps: if syn.ts { peer.fresh_ts(0) } else { None },
        };
    } else if tcb.timestamps_ok() {
        r.options.timestamps = peer.fresh_ts(0);
    }
    r
}

/// Knobs of the TCP configuration and the canned application.
#[derive(Clone, Debug)]
struct Knobs {
    timestamps: bool,
    wscale: Option<u8>,
    sack: bool,
    mss: u16,
    /// Bytes this side sends.
    payload_len: usize,
    /// Bytes this side waits for (and, on a server, before answering).
    expect: u32,
    close: CloseMode,
    close_on_peer_fin: bool,
    seed: u64,
}

fn arb_knobs() -> impl Strategy<Value = Knobs> {
    (
        any::<bool>(),
        option::of(0u8..=14),
        any::<bool>(),
        select(&[88u16, 536, 1460][..]),
        select(&[0usize, 20, 150][..]),
        select(&[0u32, 10, 50][..]),
        select(&[CloseMode::Fin, CloseMode::Wait, CloseMode::Rst][..]),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(
            |(timestamps, wscale, sack, mss, payload_len, expect, close, cpf, seed)| Knobs {
                timestamps,
                wscale,
                sack,
                mss,
                payload_len,
                expect,
                close,
                close_on_peer_fin: cpf,
                seed,
            },
        )
}

fn tcp_config(k: &Knobs, cookies: CookiePolicy) -> TcpConfig {
    let c = TcpConfig {
        mss: k.mss,
        wscale: k.wscale,
        sack: k.sack,
        timestamps: k.timestamps,
        idle_timeout_us: IDLE_US,
        cookies,
        ..TcpConfig::default()
    };
    c.validate().expect("valid test configuration");
    c
}

fn app_config(k: &Knobs, server: bool) -> Canned {
    let a = Canned::new(AppConfig {
        payload: Arc::from(vec![b'x'; k.payload_len]),
        send_after: if server { k.expect } else { 0 },
        expect: k.expect,
        close: k.close,
        close_on_peer_fin: k.close_on_peer_fin,
        ..AppConfig::default()
    });
    a.validate().expect("valid test application");
    a
}

fn client_tuple() -> FourTuple {
    FourTuple {
        local_ip: CLIENT_IP,
        remote_ip: SERVER_IP,
        local_port: CLIENT_PORT,
        remote_port: SERVER_PORT,
    }
}

fn server_tuple() -> FourTuple {
    client_tuple().reversed()
}

fn arb_num(bases: &'static [Base]) -> impl Strategy<Value = Num> {
    prop_oneof![
        4 => select(bases).prop_map(|b| Num::At(b, 0)),
        3 => (select(bases), -3i32..=3).prop_map(|(b, d)| Num::At(b, d)),
        1 => (select(bases), -70_000i32..=70_000).prop_map(|(b, d)| Num::At(b, d)),
        1 => any::<u32>().prop_map(Num::Any),
    ]
}

fn arb_seg_flags() -> impl Strategy<Value = u8> {
    prop_oneof![
        // Any subset of FIN, SYN, RST, PSH, ACK.
        1 => any::<u8>().prop_map(|f| f & (FIN | SYN | RST | PSH | ACK)),
        // ACK, maybe with FIN and PSH.
        2 => any::<u8>().prop_map(|f| ACK | (f & (FIN | PSH))),
    ]
}

fn arb_ts() -> impl Strategy<Value = Ts> {
    prop_oneof![
        3 => Just(Ts::Fresh),
        2 => Just(Ts::None),
        1 => (1u32..10).prop_map(Ts::Stale),
        1 => any::<u32>().prop_map(Ts::Any),
    ]
}

fn arb_payload_len() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0usize), 2 => 1usize..=100]
}

fn arb_seg_spec() -> impl Strategy<Value = SegSpec> {
    const SEQ: &[Base] = &[Base::RcvNxt, Base::RcvNxt, Base::RcvNxt, Base::PeerIsn];
    const ACKB: &[Base] = &[Base::SndNxt, Base::SndNxt, Base::SndUna, Base::Iss];
    (
        arb_seg_flags(),
        arb_num(SEQ),
        arb_num(ACKB),
        arb_payload_len(),
        prop_oneof![Just(65535u16), any::<u16>()],
        arb_ts(),
        option::of(select(&[0u16, 64, 536, 1460, 9000][..])),
        option::of(0u8..=20),
        any::<bool>(),
    )
        .prop_map(
            |(flags, seq, ack, len, window, ts, mss, wscale, sack)| SegSpec {
                flags,
                seq,
                ack,
                len,
                window,
                ts,
                mss,
                wscale,
                sack,
            },
        )
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        16 => arb_seg_spec().prop_map(Step::Seg),
        10 => (prop::bool::weighted(0.3), arb_payload_len())
            .prop_map(|(fin, len)| Step::Good { fin, len }),
        3 => (0u64..=3 * SEC).prop_map(Step::Wait),
        2 => Just(Step::Timer),
        1 => Just(Step::EarlyTimer),
        1 => Just(Step::Close),
        1 => Just(Step::Abort),
    ]
}

fn arb_steps() -> impl Strategy<Value = Vec<Step>> {
    vec(arb_step(), 0..=30)
}

/// Checks a reply of the state machine: addressed to the tuple, its data
/// inside the application payload, and a valid frame once built.
fn check_reply(app: &Canned, tuple: &FourTuple, r: &Reply) -> TestResult {
    prop_assert_eq!(r.repr.src_port, tuple.local_port, "reply source port");
    prop_assert_eq!(r.repr.dst_port, tuple.remote_port, "reply destination port");
    let data = app.payload(r);
    prop_assert_eq!(data.len(), usize::from(r.data_len), "data outside payload");
    let frame = tcp_frame(&addr_from(tuple), &r.repr, data);
    match wire::parse_frame(&frame, true) {
        Ok(Frame::Tcp(f)) => {
            prop_assert_eq!(f.tcp, r.repr);
            prop_assert_eq!(f.payload, data);
        }
        other => prop_assert!(false, "reply does not parse: {:?}", other),
    }
    Ok(())
}

fn check_outcome(app: &Canned, tuple: &FourTuple, out: &Outcome) -> TestResult {
    if let Some(r) = &out.reply {
        check_reply(app, tuple, r)?;
    }
    Ok(())
}

/// Invariants of a record that has not ended.
fn check_live(ctx: &TcpContext, tcb: &Tcb, passive: bool) -> TestResult {
    prop_assert!(
        tcb.snd_una() <= tcb.snd_nxt(),
        "snd_una {:?} > snd_nxt {:?} in {:?}",
        tcb.snd_una(),
        tcb.snd_nxt(),
        tcb.state()
    );
    prop_assert!(
        !matches!(tcb.state(), State::Closed | State::Listen | State::TimeWait),
        "live record in {:?}",
        tcb.state()
    );
    prop_assert!(
        tcb.deadline() != 0,
        "live record in {:?} has no timer",
        tcb.state()
    );
    let queued = u32::from(passive && tcb.state() == State::SynReceived);
    prop_assert_eq!(ctx.syn_queue_len(), queued, "SYN-queue count");
    Ok(())
}

/// Invariants of a record whose outcome carried `end`.
fn check_ended(ctx: &TcpContext, tcb: &Tcb, end: End, passive: bool) -> TestResult {
    prop_assert_eq!(ctx.syn_queue_len(), 0, "SYN-queue count after {:?}", end);
    prop_assert_eq!(tcb.deadline(), 0);
    let want = if end == End::TimeWait {
        State::TimeWait
    } else {
        State::Closed
    };
    prop_assert_eq!(tcb.state(), want);
    if end == End::ReturnedToListen {
        prop_assert!(passive, "an active open returned to LISTEN");
    }
    Ok(())
}

/// A record under test with its surroundings.
struct Run {
    ctx: TcpContext,
    app: Canned,
    tuple: FourTuple,
    tcb: Tcb,
    peer: Peer,
    now: u64,
    passive: bool,
    /// Options of the peer's SYN or SYN-ACK.
    syn_opts: PeerSyn,
}

impl Run {
    /// Applies `steps` until the record ends; returns how it ended.
    fn drive(&mut self, steps: &[Step]) -> Result<Option<End>, TestCaseError> {
        for step in steps {
            let (ctx, app, tuple, now) = (&mut self.ctx, &self.app, &self.tuple, self.now);
            let out = match step {
                Step::Seg(spec) => {
                    let nums = Nums::of(&self.tcb, &self.peer);
                    let seg = build_seg(spec, &nums, &mut self.peer, tuple);
                    let payload = vec![b'p'; spec.len];
                    self.tcb.on_segment(ctx, app, tuple, &seg, &payload, now)
                }
                Step::Good { fin, len } => {
                    let seg = good_seg(&self.tcb, &self.syn_opts, &mut self.peer, tuple, *fin);
                    let payload = vec![b'g'; *len];
                    self.tcb.on_segment(ctx, app, tuple, &seg, &payload, now)
                }
                Step::Wait(dt) => {
                    self.now += dt;
                    continue;
                }
                Step::Timer => {
                    self.now = self.now.max(self.tcb.deadline());
                    let out = self.tcb.on_timer(ctx, app, tuple, self.now);
                    if out.end.is_none() {
                        prop_assert!(self.tcb.deadline() > self.now, "timer did not move on");
                    }
                    out
                }
                Step::EarlyTimer => {
                    if self.tcb.deadline() > now {
                        let before = self.tcb.clone();
                        let out = self.tcb.on_timer(ctx, app, tuple, now);
                        prop_assert_eq!(out, Outcome::default());
                        prop_assert_eq!(&self.tcb, &before);
                    }
                    continue;
                }
                Step::Close => self.tcb.close(ctx, tuple, now),
                Step::Abort => self.tcb.abort(ctx, tuple, now),
            };
            check_outcome(&self.app, &self.tuple, &out)?;
            if let Some(end) = out.end {
                check_ended(&self.ctx, &self.tcb, end, self.passive)?;
                return Ok(Some(end));
            }
            check_live(&self.ctx, &self.tcb, self.passive)?;
        }
        Ok(None)
    }

    /// Fires the timer at `deadline()` until the record ends (bounded).
    fn drain(&mut self) -> Result<End, TestCaseError> {
        for _ in 0..200 {
            check_live(&self.ctx, &self.tcb, self.passive)?;
            self.now = self.now.max(self.tcb.deadline());
            let out = self
                .tcb
                .on_timer(&mut self.ctx, &self.app, &self.tuple, self.now);
            check_outcome(&self.app, &self.tuple, &out)?;
            if let Some(end) = out.end {
                check_ended(&self.ctx, &self.tcb, end, self.passive)?;
                return Ok(end);
            }
            prop_assert!(self.tcb.deadline() > self.now, "timer did not move on");
        }
        Err(TestCaseError::fail(format!(
            "record in {:?} never ended",
            self.tcb.state()
        )))
    }

    /// Steps, then timers until the end; returns how it ended.
    fn run(&mut self, steps: &[Step]) -> Result<End, TestCaseError> {
        match self.drive(steps)? {
            Some(end) => Ok(end),
            None => self.drain(),
        }
    }
}

/// How a server record is opened through `tcp::on_listen`.
#[derive(Clone, Copy, Debug)]
enum Open {
    /// SYN only (cookies `Never`): the record stays in SYN-RECEIVED.
    SynQueue,
    /// SYN and the handshake's ACK (cookies `Never`).
    Handshake,
    /// SYN, cookie SYN-ACK and the ACK carrying it (cookies `Always`).
    Cookie,
}

/// The options of the peer's SYN.
#[derive(Clone, Copy, Debug)]
struct PeerSyn {
    mss: Option<u16>,
    wscale: Option<u8>,
    sack: bool,
    ts: bool,
}

fn arb_peer_syn() -> impl Strategy<Value = PeerSyn> {
    (
        option::of(select(&[64u16, 536, 1300, 1460][..])),
        option::of(0u8..=16),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mss, wscale, sack, ts)| PeerSyn {
            mss,
            wscale,
            sack,
            ts,
        })
}

/// A passive record opened by `open`, or `None` when the handshake's ACK
/// already ended it (e.g. close mode `Rst` with nothing to wait for); the
/// SYN-queue count is checked.
fn open_server(
    knobs: &Knobs,
    open: Open,
    syn_opts: PeerSyn,
    mut peer: Peer,
) -> Result<Option<Run>, TestCaseError> {
    let cookies = match open {
        Open::Cookie => CookiePolicy::Always,
        Open::SynQueue | Open::Handshake => CookiePolicy::Never,
    };
    let mut ctx = TcpContext::new(tcp_config(knobs, cookies), Secrets::from_seed(knobs.seed));
    let app = app_config(knobs, true);
    let tuple = server_tuple();
    let now = T0;
    let syn = TcpRepr {
        src_port: tuple.remote_port,
        dst_port: tuple.local_port,
        seq: peer.isn,
        ack: SeqNum(0),
        flags: TcpFlags::SYN,
        window: 64240,
        options: TcpOptions {
            mss: syn_opts.mss,
            wscale: syn_opts.wscale,
            sack_permitted: syn_opts.sack,
            timestamps: if syn_opts.ts { peer.fresh_ts(0) } else { None },
        },
    };
    let (tcb, out) = tcp::on_listen(&mut ctx, &app, &tuple, &syn, &[], None, now);
    check_outcome(&app, &tuple, &out)?;
    let syn_ack = out.reply.expect("a SYN-ACK").repr;
    prop_assert_eq!(syn_ack.flags, TcpFlags(SYN | ACK));
    prop_assert_eq!(syn_ack.ack, peer.isn + 1);
    let ack = TcpRepr {
        src_port: tuple.remote_port,
        dst_port: tuple.local_port,
        seq: peer.isn + 1,
        ack: syn_ack.seq + 1,
        flags: TcpFlags::ACK,
        window: 64240,
        options: TcpOptions {
            timestamps: match syn_ack.options.timestamps {
                Some(t) => peer.fresh_ts(t.tsval),
                None => None,
            },
            ..TcpOptions::default()
        },
    };
    let tcb = match open {
        Open::SynQueue | Open::Handshake => {
            let mut tcb = tcb.expect("a SYN-RECEIVED record");
            prop_assert_eq!(ctx.syn_queue_len(), 1);
            if let Open::Handshake = open {
                let out = tcb.on_segment(&mut ctx, &app, &tuple, &ack, &[], now);
                check_outcome(&app, &tuple, &out)?;
                prop_assert_ne!(tcb.state(), State::SynReceived);
                if let Some(end) = out.end {
                    check_ended(&ctx, &tcb, end, true)?;
                    return Ok(None);
                }
            }
            tcb
        }
        Open::Cookie => {
            prop_assert!(tcb.is_none(), "state for a cookie SYN");
            prop_assert_eq!(ctx.syn_queue_len(), 0);
            let (tcb, out) = tcp::on_listen(&mut ctx, &app, &tuple, &ack, &[], None, now);
            check_outcome(&app, &tuple, &out)?;
            prop_assert!(
                out.events.contains(Events::COOKIE_OK),
                "valid cookie refused: {:?}",
                out
            );
            prop_assert_eq!(tcb.is_none(), out.end.is_some());
            prop_assert_eq!(ctx.syn_queue_len(), 0);
            match tcb {
                Some(tcb) => tcb,
                None => return Ok(None),
            }
        }
    };
    check_live(&ctx, &tcb, true)?;
    Ok(Some(Run {
        ctx,
        app,
        tuple,
        tcb,
        peer,
        now,
        passive: true,
        syn_opts,
    }))
}

// ---------------------------------------------------------------------------
// TIME-WAIT harness (property 4)
// ---------------------------------------------------------------------------

/// A server-side TIME-WAIT record after an active close, with the context
/// and the numbers of the old connection.
fn server_time_wait(
    knobs: &Knobs,
    syn_opts: PeerSyn,
    peer: Peer,
    cookies: CookiePolicy,
) -> Result<(Run, TimeWait), TestCaseError> {
    // The default application: no data, close only when told to.
    let k = Knobs {
        payload_len: 0,
        expect: 0,
        close: CloseMode::Wait,
        ..knobs.clone()
    };
    let Some(mut run) = open_server(&k, Open::Handshake, syn_opts, peer)? else {
        return Err(TestCaseError::fail("handshake ended"));
    };
    run.ctx.cfg.cookies = cookies;
    let (ctx, app, tuple) = (&mut run.ctx, &run.app, &run.tuple);
    let out = run.tcb.close(ctx, tuple, run.now);
    check_outcome(app, tuple, &out)?;
    prop_assert_eq!(run.tcb.state(), State::FinWait1);
    run.now += 1000;
    let fin = good_seg(&run.tcb, &run.syn_opts, &mut run.peer, tuple, true);
    let out = run.tcb.on_segment(ctx, app, tuple, &fin, &[], run.now);
    check_outcome(app, tuple, &out)?;
    prop_assert_eq!(out.end, Some(End::TimeWait));
    let tw = run.tcb.to_time_wait(ctx, run.now);
    prop_assert_eq!(tw.rcv_nxt(), run.tcb.rcv_nxt());
    Ok((run, tw))
}

/// Applies `steps` to a TIME-WAIT record until it goes.
fn drive_time_wait(run: &mut Run, mut tw: TimeWait, steps: &[Step]) -> TestResult {
    let tuple = run.tuple;
    let mut nums = Nums::of(&run.tcb, &run.peer);
    nums.snd_una = nums.snd_nxt;
    for step in steps {
        prop_assert_eq!(run.ctx.syn_queue_len(), 0);
        let before = tw.deadline();
        let (seg, payload) = match step {
            Step::Seg(spec) => (
                build_seg(spec, &nums, &mut run.peer, &tuple),
                vec![b'p'; spec.len],
            ),
            Step::Good { fin, len } => {
                let mut seg = good_seg(&run.tcb, &run.syn_opts, &mut run.peer, &tuple, *fin);
                if *fin {
                    // A retransmission of the FIN that closed the connection.
                    seg.seq = tw.rcv_nxt() - 1;
                }
                (seg, vec![b'g'; *len])
            }
            Step::Wait(dt) => {
                run.now += dt;
                if tw.expired(run.now) {
                    return Ok(());
                }
                continue;
            }
            Step::Timer => {
                run.now = run.now.max(tw.deadline());
                prop_assert!(tw.expired(run.now));
                return Ok(());
            }
            Step::EarlyTimer => {
                prop_assert_eq!(tw.expired(run.now), run.now >= tw.deadline());
                continue;
            }
            Step::Close | Step::Abort => continue,
        };
        let (verdict, _) = tw.on_segment(&run.ctx, &tuple, &seg, payload.len(), run.now);
        prop_assert!(tw.deadline() >= before, "TIME-WAIT deadline went back");
        prop_assert_eq!(tw.rcv_nxt(), nums.rcv_nxt);
        match verdict {
            TwVerdict::Drop => {}
            TwVerdict::Ack(r) => {
                check_reply(&run.app, &tuple, &r)?;
                prop_assert_eq!(r.repr.flags, TcpFlags::ACK);
                prop_assert_eq!((r.repr.seq, r.repr.ack), (nums.snd_nxt, nums.rcv_nxt));
            }
            TwVerdict::Close => {
                prop_assert!(seg.flags.rst() && seg.seq == nums.rcv_nxt);
                return Ok(());
            }
            TwVerdict::Reopen { isn } => {
                prop_assert!(seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst());
                prop_assert!(
                    isn > nums.snd_nxt,
                    "reopen ISN {isn:?} not beyond old SND.NXT"
                );
                // The listener takes the SYN with the proposed ISN.
                let (tcb, out) = tcp::on_listen(
                    &mut run.ctx,
                    &run.app,
                    &tuple,
                    &seg,
                    &payload,
                    Some(isn),
                    run.now,
                );
                check_outcome(&run.app, &tuple, &out)?;
                if let Some(mut tcb) = tcb {
                    prop_assert_eq!(tcb.iss(), isn);
                    prop_assert_eq!(run.ctx.syn_queue_len(), 1);
                    let out = tcb.abort(&mut run.ctx, &tuple, run.now);
                    check_outcome(&run.app, &tuple, &out)?;
                }
                prop_assert_eq!(run.ctx.syn_queue_len(), 0);
                return Ok(());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Endpoint harness (property 3)
// ---------------------------------------------------------------------------

const EP_IP: [u8; 4] = [10, 0, 0, 1];
const EP_PEER_IP: [u8; 4] = [10, 0, 0, 9];
const EP_PORT: u16 = 80;

/// A TCP frame toward the endpoint.
#[derive(Clone, Debug)]
struct EpSeg {
    src_ip: [u8; 4],
    dst_ip: [u8; 4],
    vlan: Option<u16>,
    repr: TcpRepr,
    len: usize,
}

/// One thing that happens to the endpoint.
#[derive(Clone, Debug)]
enum EpStep {
    /// Arbitrary bytes, with an optional `len` argument of its own.
    Bytes(Vec<u8>, Option<usize>),
    /// A built TCP frame, then mutations.
    Tcp(EpSeg, Vec<Mutation>),
    /// An ARP frame (maybe VLAN-tagged), then mutations.
    Arp(ArpRepr, Option<u16>, Vec<Mutation>),
    /// The peer's natural answer to the last TCP frame the endpoint sent.
    Respond { fin: bool, rst: bool, len: usize },
    /// Time passes and timers expire.
    Expire(u64),
}

fn arb_ep_seg() -> impl Strategy<Value = EpSeg> {
    (
        prop_oneof![3 => Just(EP_PEER_IP), 1 => any::<[u8; 4]>()],
        prop_oneof![6 => Just(EP_IP), 1 => Just([10, 0, 0, 2]), 1 => any::<[u8; 4]>()],
        option::of(0u16..4096),
        prop_oneof![3 => select(&[40_000u16, 40_001][..]), 1 => any::<u16>()],
        prop_oneof![4 => Just(EP_PORT), 1 => Just(81u16), 1 => any::<u16>()],
        prop_oneof![2 => Just(SYN), 2 => arb_seg_flags(), 1 => any::<u8>()],
        arb_tcp_repr(),
        arb_payload_len(),
    )
        .prop_map(
            |(src_ip, dst_ip, vlan, sport, dport, flags, mut repr, len)| {
                repr.src_port = sport;
                repr.dst_port = dport;
                repr.flags = TcpFlags(flags);
                EpSeg {
                    src_ip,
                    dst_ip,
                    vlan,
                    repr,
                    len,
                }
            },
        )
}

fn arb_ep_step() -> impl Strategy<Value = EpStep> {
    let muts = || {
        prop_oneof![
            3 => Just(Vec::new()),
            1 => vec(arb_mutation(), 1..=3),
        ]
    };
    let arp = (arb_arp(), any::<bool>()).prop_map(|(mut a, ours)| {
        if ours {
            a.target_ip = EP_IP;
        }
        a
    });
    prop_oneof![
        1 => (vec(any::<u8>(), 0..=200), option::of(any::<usize>()))
            .prop_map(|(b, l)| EpStep::Bytes(b, l)),
        6 => (arb_ep_seg(), muts()).prop_map(|(s, m)| EpStep::Tcp(s, m)),
        1 => (arp, option::of(0u16..4096), muts()).prop_map(|(a, v, m)| EpStep::Arp(a, v, m)),
        6 => (any::<bool>(), prop::bool::weighted(0.1), arb_payload_len())
            .prop_map(|(fin, rst, len)| EpStep::Respond { fin, rst, len }),
        2 => (0u64..=2 * SEC).prop_map(EpStep::Expire),
    ]
}

/// A listening endpoint on `EP_IP`:`EP_PORT`.
fn server_endpoint(knobs: &Knobs, cookies: CookiePolicy, verify: bool) -> Endpoint {
    let cfg = EndpointConfig {
        mac: SERVER_MAC,
        next_hop: NextHop::Fixed(CLIENT_MAC),
        ip_first: EP_IP,
        ip_count: 1,
        listen_ports: vec![EP_PORT],
        verify_checksums: verify,
        ..EndpointConfig::default()
    };
    let tcp = tcp_config(knobs, cookies);
    Endpoint::new(
        cfg,
        TcpContext::new(tcp, Secrets::from_seed(knobs.seed)),
        app_config(knobs, true),
    )
}

/// The peer's answer to the endpoint's TCP frame `last`.
fn respond_to(last: &[u8], fin: bool, rst: bool, len: usize, peer_ts: &mut u32) -> Vec<u8> {
    let Ok(Frame::Tcp(f)) = wire::parse_frame(last, true) else {
        return Vec::new();
    };
    *peer_ts = peer_ts.wrapping_add(1);
    let mut flags = ACK;
    if fin {
        flags |= FIN;
    }
    if rst {
        flags |= RST;
    }
    let repr = TcpRepr {
        src_port: f.tcp.dst_port,
        dst_port: f.tcp.src_port,
        seq: f.tcp.ack,
        ack: f.tcp.seq + seg_len(&f.tcp, f.payload.len()),
        flags: TcpFlags(flags),
        window: 65535,
        options: TcpOptions {
            timestamps: f.tcp.options.timestamps.map(|t| Timestamps {
                tsval: *peer_ts,
                tsecr: t.tsval,
            }),
            ..TcpOptions::default()
        },
    };
    let addr = TcpFrameAddr {
        src_mac: f.eth.dst,
        dst_mac: f.eth.src,
        vlan: f.eth.vlan,
        src_ip: f.ip.dst,
        dst_ip: f.ip.src,
    };
    tcp_frame(&addr, &repr, &vec![b'r'; len])
}

/// Feeds `frame` (with `len`) to the endpoint and checks the answer.
fn ep_feed(
    ep: &mut Endpoint,
    frame: &[u8],
    len: usize,
    now: u64,
    verify: bool,
    last: &mut Option<Vec<u8>>,
) -> TestResult {
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let n = frame.len().min(FRAME_CAPACITY);
    buf[..n].copy_from_slice(&frame[..n]);
    let request = buf[..len.min(FRAME_CAPACITY)].to_vec();
    let Some(m) = ep.on_frame(&mut buf, len, now) else {
        return Ok(());
    };
    prop_assert!(m <= buf.len(), "answer length {} beyond the buffer", m);
    let req = wire::parse_frame(&request, verify);
    prop_assert!(req.is_ok(), "answered a frame that does not parse");
    let reply = wire::parse_frame(&buf[..m], true);
    match (req, reply) {
        (Ok(Frame::Tcp(q)), Ok(Frame::Tcp(a))) => {
            prop_assert_eq!((a.eth.src, a.eth.dst), (q.eth.dst, q.eth.src));
            prop_assert_eq!(a.eth.vlan, q.eth.vlan);
            prop_assert_eq!((a.ip.src, a.ip.dst), (q.ip.dst, q.ip.src));
            prop_assert_eq!(
                (a.tcp.src_port, a.tcp.dst_port),
                (q.tcp.dst_port, q.tcp.src_port)
            );
            *last = Some(buf[..m].to_vec());
        }
        (Ok(Frame::Arp(_, q)), Ok(Frame::Arp(ae, a))) => {
            prop_assert_eq!(q.op, ArpOp::Request);
            prop_assert_eq!(q.target_ip, EP_IP);
            prop_assert_eq!(a.op, ArpOp::Reply);
            prop_assert_eq!((a.sender_mac, a.sender_ip), (SERVER_MAC, EP_IP));
            prop_assert_eq!((a.target_mac, a.target_ip), (q.sender_mac, q.sender_ip));
            // (The reply's VLAN tag is not checked: see
            // `regression_arp_reply_to_tagged_request_is_untagged`.)
            prop_assert_eq!((ae.src, ae.dst), (SERVER_MAC, q.sender_mac));
        }
        (q, a) => prop_assert!(false, "answer {:?} to request {:?}", a, q),
    }
    Ok(())
}

/// Expires the endpoint's timers at `now`; every frame sent must verify.
fn ep_expire(ep: &mut Endpoint, now: u64, last: &mut Option<Vec<u8>>) -> TestResult {
    let mut sent = Vec::new();
    ep.expire(now, &mut |f| sent.push(f.to_vec()));
    for f in sent {
        match wire::parse_frame(&f, true) {
            Ok(Frame::Tcp(t)) => {
                prop_assert_eq!(t.tcp.src_port, EP_PORT);
                prop_assert_eq!(t.ip.src, EP_IP);
                *last = Some(f);
            }
            other => prop_assert!(false, "timer frame does not parse: {:?}", other),
        }
    }
    Ok(())
}

fn run_endpoint(ep: &mut Endpoint, verify: bool, steps: &[EpStep]) -> TestResult {
    let mut now = T0;
    let mut last: Option<Vec<u8>> = None;
    let mut peer_ts = 1u32;
    let mut fed = 0u64;
    for step in steps {
        let (frame, len) = match step {
            EpStep::Bytes(b, l) => (b.clone(), l.unwrap_or(b.len())),
            EpStep::Tcp(s, m) => {
                let addr = TcpFrameAddr {
                    src_mac: CLIENT_MAC,
                    dst_mac: SERVER_MAC,
                    vlan: s.vlan,
                    src_ip: s.src_ip,
                    dst_ip: s.dst_ip,
                };
                let f = mutate(tcp_frame(&addr, &s.repr, &vec![b'q'; s.len]), m);
                let n = f.len();
                (f, n)
            }
            EpStep::Arp(a, vlan, m) => {
                let f = mutate(arp_frame(a.sender_mac, MacAddr::BROADCAST, *vlan, a), m);
                let n = f.len();
                (f, n)
            }
            EpStep::Respond { fin, rst, len } => {
                let Some(l) = &last else { continue };
                let f = respond_to(l, *fin, *rst, *len, &mut peer_ts);
                let n = f.len();
                (f, n)
            }
            EpStep::Expire(dt) => {
                now += dt;
                ep_expire(ep, now, &mut last)?;
                continue;
            }
        };
        ep_feed(ep, &frame, len, now, verify, &mut last)?;
        fed += 1;
        prop_assert_eq!(ep.counters().rx_frames, fed);
        prop_assert!(ep.context().syn_queue_len() as usize <= ep.connections());
    }
    // Every record ends by its timers; nothing is left behind.
    for _ in 0..1000 {
        let Some(d) = ep.next_deadline() else { break };
        now = now.max(d);
        ep_expire(ep, now, &mut last)?;
    }
    prop_assert_eq!(ep.next_deadline(), None, "timers never drained");
    prop_assert_eq!(ep.connections(), 0, "records without timers");
    prop_assert_eq!(ep.time_wait_records(), 0);
    prop_assert_eq!(ep.armed_timers(), 0);
    prop_assert_eq!(ep.context().syn_queue_len(), 0);
    // Every accepted record ended, and every ended record was accepted.
    let ended: u64 = ep.counters().ends.iter().sum();
    prop_assert_eq!(ended, ep.counters().accepted, "records created != ended");
    Ok(())
}

// ---------------------------------------------------------------------------
// 1. Parsers never panic
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// Arbitrary and mutated frames into every parser (and its tails at the
    /// header offsets): no panic, accessors consistent with the bytes.
    #[test]
    fn parsers_never_panic(b in arb_fuzz_bytes()) {
        check_all_parsers(&b)?;
    }

    /// Option bytes built from valid options, then mutated, into the
    /// option parser: fast paths agree with the general parser.
    #[test]
    fn options_parser_on_mutated_options(
        o in options::arb_options(14),
        muts in vec(arb_mutation(), 0..=3),
    ) {
        let mut out = [0u8; 40];
        let n = o.emit(&mut out).unwrap();
        let b = mutate(out[..n].to_vec(), &muts);
        check_options(&b)?;
    }
}

// ---------------------------------------------------------------------------
// 2. Round trips and checksums
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// `build_tcp_frame` → `parse_frame(.., true)` gives back the addresses,
    /// the `TcpRepr` and the payload at its offset; so does the same frame
    /// with IPv4 options (the payload further on) and Ethernet padding; any bit flip after the Ethernet
    /// header (except in the version/IHL byte) makes the strict parse fail.
    #[test]
    fn tcp_frame_roundtrip(
        addr in arb_frame_addr(),
        repr in arb_tcp_repr(),
        payload in vec(any::<u8>(), 0..=100),
        ip_opts in vec(any::<u8>(), 0..=10).prop_map(|v| { let n = v.len() / 4 * 4; v[..n].to_vec() }),
        padding in vec(any::<u8>(), 0..=8),
        bit in any::<usize>(),
    ) {
        let f = tcp_frame(&addr, &repr, &payload);
        let l2 = if addr.vlan.is_some() { 18 } else { 14 };
        prop_assert_eq!(f.len(), l2 + 20 + repr.header_len() + payload.len());
        let Ok(Frame::Tcp(t)) = wire::parse_frame(&f, true) else {
            return Err(TestCaseError::fail("built frame does not parse"));
        };
        prop_assert_eq!(t.tcp, repr);
        prop_assert_eq!(t.payload, &payload[..]);
        prop_assert_eq!(&f[t.payload_start..t.payload_start + payload.len()], &payload[..]);
        prop_assert_eq!((t.eth.src, t.eth.dst, t.eth.vlan), (addr.src_mac, addr.dst_mac, addr.vlan));
        prop_assert_eq!((t.ip.src, t.ip.dst), (addr.src_ip, addr.dst_ip));
        prop_assert_eq!(t.ip.protocol, 6);
        prop_assert_eq!(usize::from(t.ip.payload_len), repr.header_len() + payload.len());

        // IPv4 options and Ethernet padding change nothing.
        let mut g = f[..l2 + 20].to_vec();
        g.extend_from_slice(&ip_opts);
        g.extend_from_slice(&f[l2 + 20..]);
        g.extend_from_slice(&padding);
        g[l2] = 0x40 | (5 + ip_opts.len() / 4) as u8;
        let total = u16::from_be_bytes([g[l2 + 2], g[l2 + 3]]) + ip_opts.len() as u16;
        g[l2 + 2..l2 + 4].copy_from_slice(&total.to_be_bytes());
        g[l2 + 10..l2 + 12].copy_from_slice(&[0, 0]);
        let c = checksum::checksum(&g[l2..l2 + 20 + ip_opts.len()]);
        g[l2 + 10..l2 + 12].copy_from_slice(&c.to_be_bytes());
        let moved = wire::TcpFrame { payload_start: t.payload_start + ip_opts.len(), ..t };
        prop_assert_eq!(wire::parse_frame(&g, true), Ok(Frame::Tcp(moved)));

        // Any shorter buffer is refused, never overrun.
        let mut short = vec![0u8; bit % f.len()];
        prop_assert_eq!(
            wire::build_tcp_frame(&mut short, &addr, &repr, &payload),
            Err(WireError::Truncated)
        );

        // One flipped bit in the checksummed bytes is detected.
        let span = (f.len() - l2 - 1) * 8;
        let i = l2 + 1 + (bit % span) / 8;
        let mut h = f.clone();
        h[i] ^= 1 << (bit % 8);
        prop_assert!(wire::parse_frame(&h, true).is_err(), "flip at byte {} undetected", i);
    }

    /// `reply_in_place` turns a received frame into a verifying reply with
    /// MACs, addresses and ports swapped and the tag kept; on arbitrary
    /// buffers and header lengths it never panics.
    #[test]
    fn reply_in_place_roundtrip(
        addr in arb_frame_addr(),
        req in arb_tcp_repr(),
        req_payload in vec(any::<u8>(), 0..=40),
        mut reply in arb_tcp_repr(),
        reply_payload in vec(any::<u8>(), 0..=40),
        junk in vec(any::<u8>(), 0..=120),
        l2_len in 0usize..=40,
    ) {
        let f = tcp_frame(&addr, &req, &req_payload);
        let mut buf = vec![0u8; FRAME_CAPACITY];
        buf[..f.len()].copy_from_slice(&f);
        let l2 = if addr.vlan.is_some() { 18 } else { 14 };
        reply.src_port = req.dst_port;
        reply.dst_port = req.src_port;
        let n = wire::reply_in_place(&mut buf, l2, addr.src_ip, addr.dst_ip, &reply, &reply_payload);
        prop_assert_eq!(n, Ok(l2 + 20 + reply.header_len() + reply_payload.len()));
        let Ok(Frame::Tcp(t)) = wire::parse_frame(&buf[..n.unwrap()], true) else {
            return Err(TestCaseError::fail("reply does not parse"));
        };
        prop_assert_eq!((t.eth.src, t.eth.dst, t.eth.vlan), (addr.dst_mac, addr.src_mac, addr.vlan));
        prop_assert_eq!((t.ip.src, t.ip.dst), (addr.dst_ip, addr.src_ip));
        prop_assert_eq!(t.tcp, reply);
        prop_assert_eq!(t.payload, &reply_payload[..]);
        // Arbitrary buffer and L2 length: an error or a frame, no panic.
        let mut j = junk;
        let _ = wire::reply_in_place(&mut j, l2_len, addr.src_ip, addr.dst_ip, &reply, &reply_payload);
    }

    /// `ArpRepr` emit → parse is the identity, alone and in a frame.
    #[test]
    fn arp_roundtrip(
        arp in arb_arp(),
        src in arb_mac(),
        dst in arb_mac(),
        vlan in option::of(0u16..4096),
    ) {
        let mut out = [0u8; 28];
        prop_assert_eq!(arp.emit(&mut out), Ok(28));
        prop_assert_eq!(ArpRepr::parse(&out), Ok(arp));
        prop_assert_eq!(arp.emit(&mut out[..27]), Err(WireError::Truncated));
        let f = arp_frame(src, dst, vlan, &arp);
        let eth = EthernetRepr { src, dst, vlan, ethertype: wire::ethernet::ETHERTYPE_ARP };
        prop_assert_eq!(wire::parse_frame(&f, true), Ok(Frame::Arp(eth, arp)));
        let r = arp.reply_from(src);
        prop_assert_eq!((r.op, r.sender_mac, r.sender_ip), (ArpOp::Reply, src, arp.target_ip));
        prop_assert_eq!((r.target_mac, r.target_ip), (arp.sender_mac, arp.sender_ip));
    }

    /// `Ipv4Repr` emit → `new_checked` → parse is the identity, with a
    /// verifying checksum; lengths beyond 65535 are refused.
    #[test]
    fn ipv4_roundtrip(
        src in any::<[u8; 4]>(),
        dst in any::<[u8; 4]>(),
        protocol in any::<u8>(),
        payload_len in prop_oneof![0u16..=1500, any::<u16>()],
        ttl in any::<u8>(),
        tos in any::<u8>(),
        padding in 0usize..=8,
    ) {
        let r = Ipv4Repr { src, dst, protocol, payload_len, ttl, tos };
        let total = 20 + usize::from(payload_len);
        let mut buf = vec![0u8; total + padding];
        if total > 0xffff {
            prop_assert_eq!(r.emit(&mut buf), Err(WireError::Truncated));
            return Ok(());
        }
        prop_assert_eq!(r.emit(&mut buf), Ok(20));
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        prop_assert!(p.verify_checksum());
        prop_assert_eq!(ref_fold(&buf[..20]), 0xffff);
        prop_assert!(p.dont_frag());
        prop_assert_eq!((p.header_len(), p.total_len(), p.ident()), (20, total, 0));
        prop_assert_eq!(Ipv4Repr::parse(&p), r);
    }

    /// `TcpOptions` emit → parse is the identity, and `len` is what `emit`
    /// writes.
    #[test]
    fn options_roundtrip(o in options::arb_options(14)) {
        let mut out = [0u8; 40];
        let n = o.emit(&mut out).unwrap();
        prop_assert_eq!(n, o.len());
        prop_assert_eq!(o.is_empty(), n == 0);
        prop_assert_eq!(TcpOptions::parse(&out[..n]), Ok(o));
    }

    /// `checksum::sum` equals the word-by-word reference for any data, and
    /// chained sums split at an even offset equal one sum.
    #[test]
    fn checksum_matches_reference(data in vec(any::<u8>(), 0..=300), split in any::<usize>()) {
        prop_assert_eq!(checksum::fold(checksum::sum(0, &data)), ref_fold(&data));
        let k = (split % (data.len() + 1)) & !1;
        let chained = checksum::sum(checksum::sum(0, &data[..k]), &data[k..]);
        prop_assert_eq!(checksum::finish(chained), checksum::checksum(&data));
    }

    /// RFC 1624 incremental updates (`update16`, `update32`) equal a full
    /// recompute after changing a random word of random data. (When the new
    /// data is all zeros the two differ only as ±0: 0x0000 vs 0xffff.)
    #[test]
    fn incremental_checksum_equals_full(
        data in prop_oneof![
            vec(any::<u8>(), 4..=200),
            vec(prop_oneof![3 => Just(0u8), 1 => any::<u8>()], 4..=40),
        ],
        word in any::<usize>(),
        new16 in prop_oneof![Just(0u16), Just(0xffff), any::<u16>()],
        new32 in prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()],
    ) {
        let mut d = data;
        let same_as_full = |c: u16, d: &[u8]| {
            let full = checksum::checksum(d);
            if d.iter().all(|&b| b == 0) { c == 0 && full == 0xffff } else { c == full }
        };
        // 16-bit word at an even offset.
        let i = 2 * (word % (d.len() / 2));
        let c0 = checksum::checksum(&d);
        let old = u16::from_be_bytes([d[i], d[i + 1]]);
        d[i..i + 2].copy_from_slice(&new16.to_be_bytes());
        let c1 = checksum::update16(c0, old, new16);
        prop_assert!(same_as_full(c1, &d), "update16 {:#06x} vs full {:#06x}", c1, checksum::checksum(&d));
        // 32-bit field at an even offset.
        let j = 2 * (word % (d.len() / 2 - 1));
        let c0 = checksum::checksum(&d);
        let old = u32::from_be_bytes([d[j], d[j + 1], d[j + 2], d[j + 3]]);
        d[j..j + 4].copy_from_slice(&new32.to_be_bytes());
        let c1 = checksum::update32(c0, old, new32);
        prop_assert!(same_as_full(c1, &d), "update32 {:#06x} vs full {:#06x}", c1, checksum::checksum(&d));
    }
}

// ---------------------------------------------------------------------------
// 3. Endpoint
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// Frames (arbitrary, built, mutated, ARP, and the peer's natural
    /// answers) into a listening endpoint with cookies `Always` or `Never`,
    /// checksum verification on or off: no panic; every answer lies in the
    /// buffer, parses with verifying checksums and is addressed back; all
    /// records, TIME-WAIT entries and timers drain.
    #[test]
    fn endpoint_on_frame(
        knobs in arb_knobs(),
        always in any::<bool>(),
        verify in any::<bool>(),
        steps in vec(arb_ep_step(), 1..=30),
    ) {
        let cookies = if always { CookiePolicy::Always } else { CookiePolicy::Never };
        let mut ep = server_endpoint(&knobs, cookies, verify);
        run_endpoint(&mut ep, verify, &steps)?;
    }
}

// ---------------------------------------------------------------------------
// 4. State machine: client, server, TIME-WAIT
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// Segments, timers, close and abort into a client record from
    /// `Tcb::connect`: invariants hold at every step and timers end it.
    #[test]
    fn client_segment_sequences(
        knobs in arb_knobs(),
        syn_opts in arb_peer_syn(),
        peer_isn in any::<u32>(),
        peer_ts in any::<u32>(),
        steps in arb_steps(),
    ) {
        let mut ctx = TcpContext::new(
            tcp_config(&knobs, CookiePolicy::OnOverload),
            Secrets::from_seed(knobs.seed),
        );
        let app = app_config(&knobs, false);
        let tuple = client_tuple();
        let (tcb, out) = Tcb::connect(&mut ctx, &tuple, T0, AppState::default());
        check_outcome(&app, &tuple, &out)?;
        prop_assert!(out.reply.is_some_and(|r| r.repr.flags == TcpFlags::SYN));
        check_live(&ctx, &tcb, false)?;
        let mut run = Run {
            ctx,
            app,
            tuple,
            tcb,
            peer: Peer { isn: SeqNum(peer_isn), ts: peer_ts },
            now: T0,
            passive: false,
            syn_opts,
        };
        run.run(&steps)?;
    }

    /// Segments, timers, close and abort into a server record opened
    /// through `tcp::on_listen` (SYN queue, handshake, or cookie): the
    /// SYN-queue count is exact and returns to 0 once the record ends.
    #[test]
    fn server_segment_sequences(
        knobs in arb_knobs(),
        open in select(&[Open::SynQueue, Open::Handshake, Open::Cookie][..]),
        syn_opts in arb_peer_syn(),
        peer_isn in any::<u32>(),
        peer_ts in any::<u32>(),
        steps in arb_steps(),
    ) {
        let peer = Peer { isn: SeqNum(peer_isn), ts: peer_ts };
        if let Some(mut run) = open_server(&knobs, open, syn_opts, peer)? {
            run.run(&steps)?;
            prop_assert_eq!(run.ctx.syn_queue_len(), 0);
        }
    }

    /// Segments and timers into a TIME-WAIT record from an active close:
    /// ACKs addressed to the tuple at the old numbers, only an exact RST
    /// closes it, a reopen proposes an ISN beyond the old SND.NXT and the
    /// listener uses it.
    #[test]
    fn time_wait_segment_sequences(
        knobs in arb_knobs(),
        syn_opts in arb_peer_syn(),
        peer_isn in any::<u32>(),
        peer_ts in any::<u32>(),
        always in any::<bool>(),
        steps in arb_steps(),
    ) {
        let peer = Peer { isn: SeqNum(peer_isn), ts: peer_ts };
        let cookies = if always { CookiePolicy::Always } else { CookiePolicy::Never };
        let (mut run, tw) = server_time_wait(&knobs, syn_opts, peer, cookies)?;
        drive_time_wait(&mut run, tw, &steps)?;
    }
}

// ---------------------------------------------------------------------------
// Regressions: bugs found by the properties above (fixed in src/ later)
// ---------------------------------------------------------------------------

/// The frame of a SYN from `EP_PEER_IP`:40000 to the endpoint's port.
fn syn_frame_to_endpoint(seq: u32) -> Vec<u8> {
    let addr = TcpFrameAddr {
        src_mac: CLIENT_MAC,
        dst_mac: SERVER_MAC,
        vlan: None,
        src_ip: EP_PEER_IP,
        dst_ip: EP_IP,
    };
    let syn = TcpRepr {
        src_port: 40_000,
        dst_port: EP_PORT,
        seq: SeqNum(seq),
        ack: SeqNum(0),
        flags: TcpFlags::SYN,
        window: 64240,
        options: TcpOptions::default(),
    };
    tcp_frame(&addr, &syn, &[])
}

/// `Endpoint::dispatch` (src/endpoint/mod.rs, the `max_connections` check
/// after `tcp::on_listen`): a SYN-RECEIVED record refused because the
/// table is full is dropped without giving back the SYN-queue slot
/// `on_listen` took, so `syn_queue_len()` grows for ever: with cookies
/// `Never` every later SYN is dropped as SYN_QUEUE_FULL, with `OnOverload`
/// every later SYN gets a cookie, even once the table has room.
#[test]
fn regression_table_full_syn_leaks_syn_queue_slot() {
    let cfg = EndpointConfig {
        ip_first: EP_IP,
        listen_ports: vec![EP_PORT],
        max_connections: 0,
        ..EndpointConfig::default()
    };
    let tcp = TcpConfig {
        cookies: CookiePolicy::Never,
        ..TcpConfig::default()
    };
    let mut ep = Endpoint::new(
        cfg,
        TcpContext::new(tcp, Secrets::from_seed(1)),
        Canned::default(),
    );
    let frame = syn_frame_to_endpoint(1000);
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(&frame);
    assert_eq!(ep.on_frame(&mut buf, frame.len(), T0), None);
    assert_eq!(ep.counters().drop_table_full, 1);
    assert_eq!(ep.connections(), 0);
    assert_eq!(ep.context().syn_queue_len(), 0, "SYN-queue slot leaked");
}

/// `Endpoint::dispatch` (src/endpoint/mod.rs, the no-record branch): a
/// record created from a valid cookie that ends while its ACK is processed
/// (here close mode `Rst` with nothing to wait for) is counted in `ends`
/// (and COOKIE_OK) but not in `accepted`, so `sum(ends) == accepted` (the
/// pair driver's bookkeeping) no longer holds.
#[test]
fn regression_cookie_record_ending_at_once_not_counted_accepted() {
    let cfg = EndpointConfig {
        ip_first: EP_IP,
        listen_ports: vec![EP_PORT],
        ..EndpointConfig::default()
    };
    let tcp = TcpConfig {
        cookies: CookiePolicy::Always,
        ..TcpConfig::default()
    };
    let app = Canned::new(AppConfig {
        close: CloseMode::Rst,
        ..AppConfig::passive_close()
    });
    let mut ep = Endpoint::new(cfg, TcpContext::new(tcp, Secrets::from_seed(1)), app);
    let frame = syn_frame_to_endpoint(1000);
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(&frame);
    let n = ep.on_frame(&mut buf, frame.len(), T0).expect("a SYN-ACK");
    let mut ts = 0;
    let ack = respond_to(&buf[..n], false, false, 0, &mut ts);
    buf[..ack.len()].copy_from_slice(&ack);
    let n = ep.on_frame(&mut buf, ack.len(), T0).expect("a RST");
    let Ok(Frame::Tcp(rst)) = wire::parse_frame(&buf[..n], true) else {
        panic!("no TCP answer")
    };
    assert!(rst.tcp.flags.rst());
    let ended: u64 = ep.counters().ends.iter().sum();
    assert_eq!(ended, 1);
    assert_eq!(ep.counters().accepted, ended, "created record not counted");
}

/// `Endpoint::on_frame` (src/endpoint/mod.rs, the `Frame::Arp` branch):
/// the ARP reply was built with `vlan: None`, so a request received in an
/// 802.1Q VLAN was answered untagged, while TCP answers kept the tag
/// (`reply_in_place` keeps the received L2 header). On a tagged link the
/// peer never learned our MAC. (An endpoint takes tagged frames only on
/// its `vlan` now; without one it answers none: `tests/vlan.rs`.)
#[test]
fn regression_arp_reply_to_tagged_request_is_untagged() {
    let cfg = EndpointConfig {
        ip_first: EP_IP,
        listen_ports: vec![EP_PORT],
        vlan: Some(100),
        ..EndpointConfig::default()
    };
    let mut ep = Endpoint::new(
        cfg,
        TcpContext::new(TcpConfig::default(), Secrets::from_seed(1)),
        Canned::default(),
    );
    let req = ArpRepr {
        op: ArpOp::Request,
        sender_mac: CLIENT_MAC,
        sender_ip: EP_PEER_IP,
        target_mac: MacAddr([0; 6]),
        target_ip: EP_IP,
    };
    let frame = arp_frame(CLIENT_MAC, MacAddr::BROADCAST, Some(100), &req);
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..frame.len()].copy_from_slice(&frame);
    let n = ep
        .on_frame(&mut buf, frame.len(), T0)
        .expect("an ARP reply");
    let Ok(Frame::Arp(eth, arp)) = wire::parse_frame(&buf[..n], true) else {
        panic!("not an ARP reply")
    };
    assert_eq!(arp.op, ArpOp::Reply);
    assert_eq!(eth.vlan, Some(100), "reply left the request's VLAN");
}

//! Header prediction for SYNs (`wire::syn_prediction` and the endpoint's
//! fast path) against the general path: two server endpoints, identical
//! but for `predict_syn`, get the same frames; every answer must be
//! byte-equal and every counter but `syn_predicted` equal, whatever the
//! frame (plain SYNs, near misses, corrupted bytes) and the cookie policy.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use synwave::app::Canned;
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop};
use synwave::tcp::{CookiePolicy, Secrets, TcpConfig, TcpContext};
use synwave::wire::{
    Frame, MacAddr, SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpRepr, build_tcp_frame,
    parse_frame, predict_syn,
};

#[path = "common/options.rs"]
mod options;

#[path = "../bench/frames.rs"]
mod frames;

const SERVER_IP: [u8; 4] = [10, 0, 0, 1];
const CLIENT_IP: [u8; 4] = [10, 1, 0, 7];

fn server(cookies: CookiePolicy, syn_queue_limit: u32, verify: bool, predict: bool) -> Endpoint {
    let tcp = TcpConfig {
        cookies,
        syn_queue_limit,
        ..TcpConfig::default()
    };
    Endpoint::new(
        EndpointConfig {
            mac: MacAddr([2, 0, 0, 0, 2, 2]),
            next_hop: NextHop::Fixed(MacAddr([2, 0, 0, 0, 1, 1])),
            ip_first: SERVER_IP,
            ip_count: 2,
            listen_ports: vec![80, 443],
            verify_checksums: verify,
            predict_headers: predict,
            ..EndpointConfig::default()
        },
        TcpContext::new(tcp, Secrets::from_seed(11)),
        Canned::default(),
    )
}

fn frame(vlan: Option<u16>, dst_ip: [u8; 4], seg: &TcpRepr, payload: &[u8]) -> Vec<u8> {
    let addr = TcpFrameAddr {
        src_mac: MacAddr([2, 0, 0, 0, 1, 1]),
        dst_mac: MacAddr([2, 0, 0, 0, 2, 2]),
        vlan,
        src_ip: CLIENT_IP,
        dst_ip,
    };
    let mut buf = vec![0u8; 128 + payload.len()];
    let n = build_tcp_frame(&mut buf, &addr, seg, payload).expect("fits");
    buf.truncate(n);
    buf
}

/// Feeds `bytes` to both endpoints; answers and state must agree.
fn feed_both(
    fast: &mut Endpoint,
    general: &mut Endpoint,
    bytes: &[u8],
    now: u64,
) -> Option<Vec<u8>> {
    let mut a = vec![0u8; FRAME_CAPACITY];
    let mut b = vec![0u8; FRAME_CAPACITY];
    let n = bytes.len().min(FRAME_CAPACITY);
    a[..n].copy_from_slice(&bytes[..n]);
    b[..n].copy_from_slice(&bytes[..n]);
    let ra = fast.on_frame(&mut a, n, now);
    let rb = general.on_frame(&mut b, n, now);
    assert_eq!(ra, rb, "answer lengths differ");
    let out = ra.map(|m| {
        assert_eq!(a[..m], b[..m], "answers differ");
        a[..m].to_vec()
    });
    let mut ca = fast.counters().clone();
    ca.syn_predicted = 0;
    ca.segments_predicted = 0;
    assert_eq!(&ca, general.counters());
    assert_eq!(general.counters().syn_predicted, 0);
    assert_eq!(general.counters().segments_predicted, 0);
    assert_eq!(fast.connections(), general.connections());
    assert_eq!(fast.time_wait_records(), general.time_wait_records());
    assert_eq!(fast.armed_timers(), general.armed_timers());
    out
}

#[test]
fn linux_syn_is_predicted_and_answered_like_the_general_path() {
    let mut fast = server(CookiePolicy::Always, 1024, true, true);
    let mut general = server(CookiePolicy::Always, 1024, true, false);
    let syn = frame(None, SERVER_IP, &frames::linux_syn(40000), &[]);
    let p = predict_syn(&syn, true).expect("a plain SYN");
    assert_eq!(
        (p.src, p.dst, p.src_port, p.dst_port),
        (CLIENT_IP, SERVER_IP, 40000, 80)
    );
    assert_eq!((p.seq, p.window), (SeqNum(0x3a5b_1c0d), 64240));
    assert_eq!(
        TcpOptions::parse(p.options),
        Ok(frames::linux_syn(40000).options)
    );
    let reply = feed_both(&mut fast, &mut general, &syn, 1_000).expect("answered");
    assert_eq!(fast.counters().syn_predicted, 1);
    let Ok(Frame::Tcp(f)) = parse_frame(&reply, true) else {
        panic!("the answer is a valid TCP frame")
    };
    assert_eq!(f.tcp.flags, TcpFlags::SYN | TcpFlags::ACK);
    assert_eq!(f.tcp.ack, SeqNum(0x3a5b_1c0e));
    assert_eq!(fast.connections(), 0);
}

#[test]
fn near_misses_take_the_general_path() {
    let base = frames::linux_syn(40001);
    let with = |f: fn(&mut TcpRepr)| {
        let mut s = base;
        f(&mut s);
        s
    };
    let ecn = with(|s| s.flags = TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR);
    let syn_ack = with(|s| s.flags = TcpFlags::SYN | TcpFlags::ACK);
    let other_port = with(|s| s.dst_port = 81);
    let mut bad_checksum = frame(None, SERVER_IP, &base, &[]);
    let last = bad_checksum.len() - 1;
    bad_checksum[last] ^= 0x40;
    let mut fragment = frame(None, SERVER_IP, &base, &[]);
    fragment[14 + 6] |= 0x20; // MF (the IPv4 checksum no longer verifies either)
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("vlan", frame(Some(7), SERVER_IP, &base, &[])),
        ("data", frame(None, SERVER_IP, &base, b"hello")),
        ("ecn", frame(None, SERVER_IP, &ecn, &[])),
        ("syn-ack", frame(None, SERVER_IP, &syn_ack, &[])),
        ("not listening", frame(None, SERVER_IP, &other_port, &[])),
        ("not ours", frame(None, [10, 0, 0, 9], &base, &[])),
        ("bad checksum", bad_checksum),
        ("fragment", fragment),
    ];
    for (name, bytes) in cases {
        let mut fast = server(CookiePolicy::Always, 1024, true, true);
        let mut general = server(CookiePolicy::Always, 1024, true, false);
        feed_both(&mut fast, &mut general, &bytes, 1_000);
        assert_eq!(fast.counters().syn_predicted, 0, "{name} was predicted");
    }
}

#[test]
fn syn_for_an_existing_record_is_left_to_the_state_machine() {
    // `on-overload` with room in the SYN queue: the first SYN creates a
    // record; its retransmission must reach that record (SYN-ACK again),
    // and a SYN once the queue is full gets a cookie through prediction.
    let mut fast = server(CookiePolicy::OnOverload, 1, true, true);
    let mut general = server(CookiePolicy::OnOverload, 1, true, false);
    let first = frame(None, SERVER_IP, &frames::linux_syn(40002), &[]);
    feed_both(&mut fast, &mut general, &first, 1_000).expect("SYN-ACK");
    assert_eq!(fast.connections(), 1);
    feed_both(&mut fast, &mut general, &first, 2_000).expect("SYN-ACK again");
    assert_eq!(fast.counters().syn_predicted, 0);
    let second = frame(None, SERVER_IP, &frames::linux_syn(40003), &[]);
    feed_both(&mut fast, &mut general, &second, 3_000).expect("cookie SYN-ACK");
    assert_eq!(fast.counters().syn_predicted, 1);
    assert_eq!(fast.connections(), 1);
}

/// A SYN-like frame: mostly plain SYNs, with the near misses mixed in,
/// then up to two byte flips (anywhere: headers, options, checksums).
fn arb_frame() -> impl Strategy<Value = Vec<u8>> {
    let flags = prop_oneof![
        6 => Just(TcpFlags::SYN.0),
        1 => Just(0xc2u8),
        1 => any::<u8>(),
    ];
    (
        (
            any::<u16>(),
            prop_oneof![Just(80u16), Just(443), any::<u16>()],
        ),
        (any::<u32>(), any::<u32>(), flags, any::<u16>()),
        options::arb_options(16),
        (prop::bool::weighted(0.1), 0usize..3, 0u8..3),
        vec((any::<usize>(), any::<u8>()), 0..3),
        option::of(0usize..100),
    )
        .prop_map(
            |((sp, dp), (seq, ack, fl, win), options, (vlan, data, ip), flips, cut)| {
                let seg = TcpRepr {
                    src_port: sp,
                    dst_port: dp,
                    seq: SeqNum(seq),
                    ack: SeqNum(ack),
                    flags: TcpFlags(fl),
                    window: win,
                    options,
                };
                let dst = [10, 0, 0, 1 + ip];
                let mut b = frame(vlan.then_some(5), dst, &seg, &vec![b'x'; data]);
                for (i, x) in flips {
                    let n = b.len();
                    b[i % n] ^= x;
                }
                if let Some(c) = cut {
                    b.truncate(c.min(b.len()));
                }
                b
            },
        )
}

fn arb_policy() -> impl Strategy<Value = (CookiePolicy, u32)> {
    (
        prop_oneof![
            Just(CookiePolicy::Always),
            Just(CookiePolicy::OnOverload),
            Just(CookiePolicy::Never)
        ],
        prop_oneof![Just(0u32), Just(1), Just(1024)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prediction_never_changes_an_answer(
        (policy, limit) in arb_policy(),
        verify in prop::bool::weighted(0.8),
        frames in vec(arb_frame(), 1..6),
    ) {
        let mut fast = server(policy, limit, verify, true);
        let mut general = server(policy, limit, verify, false);
        for (i, f) in frames.iter().enumerate() {
            feed_both(&mut fast, &mut general, f, 1_000 + i as u64 * 1_000);
        }
    }
}

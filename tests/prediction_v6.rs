//! Header prediction over IPv6 (`predict_syn_v6`, `predict_segment_v6`
//! and the endpoint's fast paths) against the general path
//! (`parse_frame_v6`): whatever the frame (plain SYNs, segments after the
//! SYN, near misses, corrupted bytes, cut frames), a predicted frame reads
//! exactly as the general parse reads it, and two IPv6 server endpoints,
//! identical but for prediction, give byte-equal answers and equal
//! counters (but the prediction counters).

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use synwave::app::Canned;
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop};
use synwave::tcp::{CookiePolicy, Secrets, TcpConfig, TcpContext};
use synwave::wire::{
    Frame, MacAddr, PredictedSegment, SeqNum, TcpFlags, TcpFrameAddr, TcpRepr, V6, build_tcp_frame,
    parse_frame_v6, predict_segment_v6, predict_syn_v6,
};

#[path = "common/options.rs"]
mod options;

#[path = "../bench/frames.rs"]
mod frames;

fn v6(last: u16) -> V6 {
    std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last).octets()
}

fn server(cookies: CookiePolicy, verify: bool, predict: bool) -> Endpoint<V6> {
    let tcp = TcpConfig {
        cookies,
        ..TcpConfig::default()
    };
    let cfg = EndpointConfig {
        mac: MacAddr([2, 0, 0, 0, 2, 2]),
        next_hop: NextHop::Fixed(MacAddr([2, 0, 0, 0, 1, 1])),
        listen_ports: vec![80, 443],
        verify_checksums: verify,
        predict_headers: predict,
        ..EndpointConfig::default()
    };
    Endpoint::new(
        cfg.with_addresses(v6(1), 2),
        TcpContext::new(tcp, Secrets::from_seed(11)),
        Canned::default(),
    )
}

fn frame(vlan: Option<u16>, dst_ip: V6, seg: &TcpRepr, payload: &[u8]) -> Vec<u8> {
    let addr = TcpFrameAddr {
        src_mac: MacAddr([2, 0, 0, 0, 1, 1]),
        dst_mac: MacAddr([2, 0, 0, 0, 2, 2]),
        vlan,
        src_ip: v6(0x107),
        dst_ip,
    };
    let mut buf = vec![0u8; 160 + payload.len()];
    let n = build_tcp_frame(&mut buf, &addr, seg, payload).expect("fits");
    buf.truncate(n);
    buf
}

/// A predicted frame reads as the general parse reads it.
fn agrees_with_the_general_parse(bytes: &[u8], verify: bool) {
    let general = parse_frame_v6(bytes, verify);
    if let Some(p) = predict_syn_v6(bytes, verify) {
        // The options are left unparsed by the prediction: bad ones make
        // the endpoint take the general path.
        if general == Err(synwave::wire::WireError::BadOption) {
            assert!(synwave::wire::TcpOptions::parse(p.options).is_err());
            return;
        }
        let Ok(Frame::Tcp6(f)) = general else {
            panic!("predicted SYN the general parse refuses: {general:?}")
        };
        assert_eq!((p.src, p.dst), (f.ip.src, f.ip.dst));
        assert_eq!((p.src_port, p.dst_port), (f.tcp.src_port, f.tcp.dst_port));
        assert_eq!((p.seq, p.window), (f.tcp.seq, f.tcp.window));
        assert_eq!(
            synwave::wire::TcpOptions::parse(p.options),
            Ok(f.tcp.options)
        );
        assert_eq!(f.tcp.flags, TcpFlags::SYN);
        assert!(f.payload.is_empty());
    }
    if let Some(p) = predict_segment_v6(bytes, verify) {
        let Ok(Frame::Tcp6(f)) = general else {
            panic!("predicted segment the general parse refuses: {general:?}")
        };
        assert_eq!(p, PredictedSegment::of_frame6(&f));
    }
}

/// Feeds `bytes` to both endpoints; answers and state must agree.
fn feed_both(fast: &mut Endpoint<V6>, general: &mut Endpoint<V6>, bytes: &[u8], now: u64) {
    let mut a = vec![0u8; FRAME_CAPACITY];
    let mut b = vec![0u8; FRAME_CAPACITY];
    let n = bytes.len().min(FRAME_CAPACITY);
    a[..n].copy_from_slice(&bytes[..n]);
    b[..n].copy_from_slice(&bytes[..n]);
    let ra = fast.on_frame(&mut a, n, now);
    let rb = general.on_frame(&mut b, n, now);
    assert_eq!(ra, rb, "answer lengths differ");
    if let Some(m) = ra {
        assert_eq!(a[..m], b[..m], "answers differ");
    }
    let mut ca = fast.counters().clone();
    ca.syn_predicted = 0;
    ca.segments_predicted = 0;
    assert_eq!(&ca, general.counters());
    assert_eq!(fast.connections(), general.connections());
}

#[test]
fn a_linux_syn_over_ipv6_is_predicted_and_answered_with_a_cookie() {
    let mut fast = server(CookiePolicy::Always, true, true);
    let mut general = server(CookiePolicy::Always, true, false);
    let syn = frame(None, v6(1), &frames::linux_syn(40000), &[]);
    agrees_with_the_general_parse(&syn, true);
    assert!(predict_syn_v6(&syn, true).is_some());
    feed_both(&mut fast, &mut general, &syn, 1_000);
    assert_eq!(fast.counters().syn_predicted, 1);
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..syn.len()].copy_from_slice(&syn);
    let n = server(CookiePolicy::Always, true, true)
        .on_frame(&mut buf, syn.len(), 1_000)
        .expect("answered");
    let Ok(Frame::Tcp6(f)) = parse_frame_v6(&buf[..n], true) else {
        panic!("the answer is a valid IPv6 TCP frame")
    };
    assert_eq!(f.tcp.flags, TcpFlags::SYN | TcpFlags::ACK);
    assert_eq!(f.tcp.ack, SeqNum(0x3a5b_1c0e));
    assert_eq!((f.ip.src, f.ip.dst), (v6(1), v6(0x107)));
    // The cookie's MSS comes from the IPv6 table (1440 of 1460); we
    // announce the IPv4 MSS less the 20 bytes IPv6's header adds.
    assert_eq!(f.tcp.options.mss, Some(1440));
}

/// SYNs and segments after the SYN, near misses mixed in, then up to two
/// byte flips anywhere and maybe a cut.
fn arb_frame() -> impl Strategy<Value = Vec<u8>> {
    let flags = prop_oneof![
        3 => Just(TcpFlags::SYN.0),
        3 => Just(TcpFlags::ACK.0),
        1 => Just(TcpFlags::ACK.0 | TcpFlags::FIN.0),
        1 => Just(TcpFlags::SYN.0 | TcpFlags::ACK.0),
        1 => any::<u8>(),
    ];
    (
        (any::<u16>(), prop_oneof![Just(80u16), any::<u16>()]),
        (any::<u32>(), any::<u32>(), flags, any::<u16>()),
        options::arb_options(16),
        (prop::bool::weighted(0.1), 0usize..3, 1u16..4),
        vec((any::<usize>(), any::<u8>()), 0..3),
        option::of(0usize..120),
    )
        .prop_map(
            |((sp, dp), (seq, ack, fl, win), options, (vlan, data, last), flips, cut)| {
                let seg = TcpRepr {
                    src_port: sp,
                    dst_port: dp,
                    seq: SeqNum(seq),
                    ack: SeqNum(ack),
                    flags: TcpFlags(fl),
                    window: win,
                    options,
                };
                let mut b = frame(vlan.then_some(5), v6(last), &seg, &vec![b'x'; data]);
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prediction_never_changes_an_ipv6_answer(
        policy in prop_oneof![Just(CookiePolicy::Always), Just(CookiePolicy::Never)],
        verify in prop::bool::weighted(0.8),
        frames in vec(arb_frame(), 1..6),
    ) {
        let mut fast = server(policy, verify, true);
        let mut general = server(policy, verify, false);
        for (i, f) in frames.iter().enumerate() {
            agrees_with_the_general_parse(f, verify);
            feed_both(&mut fast, &mut general, f, 1_000 + i as u64 * 1_000);
        }
    }
}

//! The endpoint's table decisions, with a real client endpoint and server
//! endpoint exchanging frames directly: TIME-WAIT kept when nobody listens
//! for a reopening SYN, a full TIME-WAIT table, a full connection table
//! after a valid cookie, a restarted retransmission timer, TIME-WAIT
//! expiries (restarted, and left behind by an RST), a state prefetch hint
//! that changes nothing.

use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, NextHop, Opened};
use synwave::flow::FourTuple;
use synwave::tcp::{CookiePolicy, Secrets, TcpConfig, TcpContext};
use synwave::wire::{
    Frame, MacAddr, SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpRepr, Timestamps,
    build_tcp_frame, parse_frame,
};

/// Opens a connection on `tuple` (template 0): its SYN, or `None` when
/// the endpoint refused it.
fn open(ep: &mut Endpoint, tuple: &FourTuple, now: u64) -> Option<Vec<u8>> {
    let mut frame = [0u8; FRAME_CAPACITY];
    let p = ep.prepare(*tuple, 0);
    match ep.connect(&p, now, &mut frame) {
        Opened::Sent(n) => Some(frame[..n].to_vec()),
        _ => None,
    }
}

const CLIENT_MAC: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const SERVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
const CLIENT_IP: [u8; 4] = [10, 1, 0, 1];
const SERVER_IP: [u8; 4] = [10, 0, 0, 1];

fn tuple() -> FourTuple {
    FourTuple {
        local_ip: CLIENT_IP,
        remote_ip: SERVER_IP,
        local_port: 40000,
        remote_port: 80,
    }
}

/// TCP settings with the cookie policy `cookies`.
fn tcp(cookies: CookiePolicy) -> TcpConfig {
    TcpConfig {
        cookies,
        ..TcpConfig::default()
    }
}

/// A canned application that closes with `close`.
fn app(close: CloseMode) -> Canned {
    Canned::new(AppConfig {
        close,
        close_on_peer_fin: true,
        ..AppConfig::default()
    })
}

/// The client: closes with FIN once connected; `max_time_wait` records.
fn client(max_time_wait: usize) -> Endpoint {
    let ep = EndpointConfig {
        mac: CLIENT_MAC,
        next_hop: NextHop::Fixed(SERVER_MAC),
        ip_first: CLIENT_IP,
        max_time_wait,
        ..EndpointConfig::default()
    };
    let tcp = tcp(CookiePolicy::default());
    Endpoint::new(
        ep,
        TcpContext::new(tcp, Secrets::from_seed(1)),
        app(CloseMode::Fin),
    )
}

/// The server on port 80: cookies always, waits for the client's FIN.
fn server(max_connections: usize) -> Endpoint {
    let ep = EndpointConfig {
        mac: SERVER_MAC,
        next_hop: NextHop::Fixed(CLIENT_MAC),
        ip_first: SERVER_IP,
        listen_ports: vec![80],
        max_connections,
        ..EndpointConfig::default()
    };
    let tcp = tcp(CookiePolicy::Always);
    Endpoint::new(
        ep,
        TcpContext::new(tcp, Secrets::from_seed(2)),
        app(CloseMode::Wait),
    )
}

/// Delivers `first` (a client frame) and every answer back and forth until
/// nobody answers; returns the frames each side sent, in order.
fn pump(c: &mut Endpoint, s: &mut Endpoint, first: Vec<u8>, now: u64) -> Vec<Vec<u8>> {
    let mut sent = vec![first];
    let mut to_server = true;
    for _ in 0..20 {
        let frame = sent.last().expect("a frame").clone();
        let mut buf = vec![0u8; FRAME_CAPACITY];
        buf[..frame.len()].copy_from_slice(&frame);
        let ep = if to_server { &mut *s } else { &mut *c };
        match ep.on_frame(&mut buf, frame.len(), now) {
            Some(n) => sent.push(buf[..n].to_vec()),
            None => return sent,
        }
        to_server = !to_server;
    }
    panic!("endless exchange");
}

/// Builds `seg` as a frame from the server's address to the client's in
/// `buf`; returns its length.
fn from_server(buf: &mut [u8], seg: &TcpRepr) -> usize {
    let addr = TcpFrameAddr {
        src_mac: SERVER_MAC,
        dst_mac: CLIENT_MAC,
        vlan: None,
        src_ip: SERVER_IP,
        dst_ip: CLIENT_IP,
    };
    build_tcp_frame(buf, &addr, seg, &[]).expect("fits")
}

fn flags(frame: &[u8]) -> TcpFlags {
    match parse_frame(frame, true) {
        Ok(Frame::Tcp(f)) => f.tcp.flags,
        other => panic!("not a TCP frame: {other:?}"),
    }
}

/// The client connects, the exchange runs to the end: the client ends in
/// TIME-WAIT (or skips it when its table is full).
fn closed_connection(max_time_wait: usize) -> (Endpoint, Endpoint) {
    let (mut c, mut s) = (client(max_time_wait), server(1 << 10));
    let syn = open(&mut c, &tuple(), 1_000).expect("opened");
    let frames = pump(&mut c, &mut s, syn, 2_000);
    let seen: Vec<TcpFlags> = frames.iter().map(|f| flags(f)).collect();
    // SYN, SYN-ACK, ACK (client done: FIN rides on it), FIN+ACK, ACK.
    assert_eq!(
        seen,
        [
            TcpFlags::SYN,
            TcpFlags::SYN | TcpFlags::ACK,
            TcpFlags::ACK | TcpFlags::FIN,
            TcpFlags::ACK | TcpFlags::FIN,
            TcpFlags::ACK,
        ]
    );
    assert_eq!(c.connections() + s.connections(), 0);
    (c, s)
}

#[test]
fn reopening_syn_without_listener_keeps_time_wait() {
    let (mut c, _) = closed_connection(1 << 10);
    assert_eq!(c.time_wait_records(), 1);
    // A SYN from the server's address and port to the client's, newer by
    // timestamp: it would reopen, but the client listens on nothing.
    let syn = TcpRepr {
        src_port: 80,
        dst_port: 40000,
        seq: SeqNum(12345),
        ack: SeqNum(0),
        flags: TcpFlags::SYN,
        window: 65535,
        options: TcpOptions {
            mss: Some(1460),
            timestamps: Some(Timestamps {
                tsval: u32::MAX / 4,
                tsecr: 0,
            }),
            ..TcpOptions::default()
        },
    };
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let n = from_server(&mut buf, &syn);
    let m = c.on_frame(&mut buf, n, 3_000).expect("answered");
    assert_eq!(flags(&buf[..m]), TcpFlags::ACK);
    assert_eq!(c.time_wait_records(), 1, "TIME-WAIT kept");
    assert_eq!(c.counters().time_wait_reopened, 0);
}

#[test]
fn full_time_wait_table_skips_time_wait() {
    let (c, _) = closed_connection(0);
    assert_eq!(c.time_wait_records(), 0);
    assert_eq!(c.counters().drop_time_wait_full, 1);
    assert_eq!(c.armed_timers(), 0);
}

#[test]
fn full_table_after_valid_cookie_resets() {
    let (mut c, mut s) = (client(1 << 10), server(0));
    let syn = open(&mut c, &tuple(), 1_000).expect("opened");
    let frames = pump(&mut c, &mut s, syn, 2_000);
    let seen: Vec<TcpFlags> = frames.iter().map(|f| flags(f)).collect();
    // The cookie SYN-ACK needs no record; the ACK that completes it finds
    // the table full, and the client is told with <SEQ=SEG.ACK><CTL=RST>.
    assert_eq!(
        seen,
        [
            TcpFlags::SYN,
            TcpFlags::SYN | TcpFlags::ACK,
            TcpFlags::ACK | TcpFlags::FIN,
            TcpFlags::RST,
        ]
    );
    assert_eq!(s.counters().drop_table_full, 1);
    assert_eq!(s.connections(), 0);
    assert_eq!(c.connections(), 0, "the client took the RST");
}

/// A retransmission timer restarted to a later deadline (RFC 6298 §5.3)
/// stays at its earlier place in the wheel (a lazy restart): when it fires
/// there, nothing is sent and it is armed again; the retransmission goes
/// out at the record's exact deadline.
#[test]
fn restarted_retransmission_timer_fires_at_the_later_deadline() {
    use synwave::scenario::{CLIENT_NET, SERVER_IP as SCENARIO_SERVER, SERVER_PORT, Scenario};
    use synwave::tcp::Events;
    let scenario = Scenario::default();
    let rto = TcpConfig::default().rto_us;
    let (mut c, mut s) = (scenario.client(CLIENT_NET, 1, 3, false), scenario.server(4));
    let t = FourTuple {
        local_ip: CLIENT_NET,
        remote_ip: SCENARIO_SERVER,
        local_port: 40000,
        remote_port: SERVER_PORT,
    };
    let deliver = |ep: &mut Endpoint, frame: &[u8], now: u64| -> Vec<u8> {
        let mut buf = vec![0u8; FRAME_CAPACITY];
        buf[..frame.len()].copy_from_slice(frame);
        let n = ep.on_frame(&mut buf, frame.len(), now).expect("an answer");
        buf[..n].to_vec()
    };
    let syn = open(&mut c, &t, 1_000).expect("opened");
    let syn_ack = deliver(&mut s, &syn, 2_000);
    // The request goes out at 3 ms: retransmission due at 3 ms + RTO.
    let request = deliver(&mut c, &syn_ack, 3_000);
    let response = deliver(&mut s, &request, 50_000);
    // The response acknowledges the request; the FIN goes out at 100 ms and
    // the deadline moves to 100 ms + RTO. The FIN is lost.
    let fin = deliver(&mut c, &response, 100_000);
    assert!(flags(&fin).fin());
    let mut sent = Vec::new();
    c.expire(3_000 + rto + 2_000, &mut |f| sent.push(f.to_vec()));
    assert!(sent.is_empty(), "nothing is due at the first deadline");
    assert_eq!(c.armed_timers(), 1, "the timer is armed again");
    c.expire(100_000 + rto - 1_000, &mut |f| sent.push(f.to_vec()));
    assert!(sent.is_empty());
    c.expire(100_000 + rto + 1_000, &mut |f| sent.push(f.to_vec()));
    assert_eq!(sent.len(), 1, "the FIN is retransmitted at its deadline");
    let seq = |f: &[u8]| match parse_frame(f, true) {
        Ok(Frame::Tcp(f)) => (f.tcp.seq, f.tcp.flags),
        other => panic!("not a TCP frame: {other:?}"),
    };
    assert_eq!(seq(&sent[0]), seq(&fin), "the same FIN again");
    assert_eq!(c.counters().event(Events::RETRANSMIT), 1);
}

/// The client's closing exchange at 2 ms (as `closed_connection`), keeping
/// the frames: the server's FIN is `frames[3]`.
fn closed_connection_frames() -> (Endpoint, Endpoint, Vec<Vec<u8>>) {
    let (mut c, mut s) = (client(1 << 10), server(1 << 10));
    let syn = open(&mut c, &tuple(), 1_000).expect("opened");
    let frames = pump(&mut c, &mut s, syn, 2_000);
    assert_eq!(frames.len(), 5);
    assert_eq!(c.time_wait_records(), 1);
    (c, s, frames)
}

/// Expires `ep` at `now`; nothing may be sent.
fn expire_silently(ep: &mut Endpoint, now: u64) {
    ep.expire(now, &mut |f| panic!("sent {f:?}"));
}

/// TIME-WAIT expiries are queued in deadline order; a retransmitted FIN
/// restarts the 2·MSL timer (RFC 9293 §3.10.7.4), so the queued expiry,
/// now early, passes, and the record goes at its restarted deadline.
#[test]
fn restarted_time_wait_expires_at_the_restarted_deadline() {
    let two_msl = 2 * TcpConfig::default().msl_us;
    let (mut c, _, frames) = closed_connection_frames();
    assert_eq!(c.armed_timers(), 1, "the queued expiry");
    assert_eq!(c.next_deadline(), Some(2_000 + two_msl));
    // The server's FIN again, 1 s later: re-acknowledged, timer restarted.
    let fin = &frames[3];
    let mut buf = vec![0u8; FRAME_CAPACITY];
    buf[..fin.len()].copy_from_slice(fin);
    let n = c
        .on_frame(&mut buf, fin.len(), 1_002_000)
        .expect("re-ACKed");
    assert_eq!(flags(&buf[..n]), TcpFlags::ACK);
    expire_silently(&mut c, 2_000 + two_msl);
    assert_eq!(c.time_wait_records(), 1, "kept past its first deadline");
    assert_eq!(c.counters().time_wait_expired, 0);
    assert_eq!(c.armed_timers(), 1, "the wheel timer of the restart");
    expire_silently(&mut c, 1_002_000 + two_msl - 1_000);
    assert_eq!(c.time_wait_records(), 1);
    expire_silently(&mut c, 1_002_000 + two_msl + 1_000);
    assert_eq!(c.time_wait_records(), 0, "gone at the restarted deadline");
    assert_eq!(c.counters().time_wait_expired, 1);
    assert_eq!((c.armed_timers(), c.next_deadline()), (0, None));
}

/// A record ended early by a valid RST leaves its queued expiry behind:
/// when it comes due it must not end the next incarnation's record.
#[test]
fn stale_time_wait_expiry_spares_the_next_incarnation() {
    let two_msl = 2 * TcpConfig::default().msl_us;
    let (mut c, mut s, frames) = closed_connection_frames();
    let Ok(Frame::Tcp(fin)) = parse_frame(&frames[3], true) else {
        panic!("not a TCP frame")
    };
    // <SEQ=RCV.NXT><CTL=RST> from the server ends TIME-WAIT (RFC 9293
    // §3.10.7.4; RFC 1337 protection is off by default).
    let rst = TcpRepr {
        src_port: 80,
        dst_port: 40000,
        seq: fin.tcp.seq + 1,
        ack: SeqNum(0),
        flags: TcpFlags::RST,
        window: 0,
        options: TcpOptions::default(),
    };
    let mut buf = vec![0u8; FRAME_CAPACITY];
    let n = from_server(&mut buf, &rst);
    assert_eq!(c.on_frame(&mut buf, n, 3_000), None);
    assert_eq!(c.time_wait_records(), 0);
    assert_eq!(c.counters().time_wait_reset, 1);
    // The same tuple again, 1 s later: a second TIME-WAIT record.
    let syn = open(&mut c, &tuple(), 1_000_000).expect("opened");
    pump(&mut c, &mut s, syn, 1_001_000);
    assert_eq!(c.time_wait_records(), 1);
    assert_eq!(c.armed_timers(), 2, "the stale expiry and the new one");
    expire_silently(&mut c, 2_000 + two_msl);
    assert_eq!(c.time_wait_records(), 1, "the new record stays");
    assert_eq!(c.counters().time_wait_expired, 0);
    expire_silently(&mut c, 1_001_000 + two_msl);
    assert_eq!(c.time_wait_records(), 0);
    assert_eq!(c.counters().time_wait_expired, 1);
    assert_eq!((c.armed_timers(), c.next_deadline()), (0, None));
}

#[test]
fn a_state_prefetch_hint_changes_nothing_whatever_the_frame() {
    // A client holding a TIME-WAIT record (so the hint hashes and asks for
    // slots), given every frame of the exchange, truncated at every
    // length, and bytes flipped: no panic, no counter, no record moved.
    let (mut c, mut s) = (client(1 << 10), server(1 << 10));
    let syn = open(&mut c, &tuple(), 1_000).expect("opened");
    let frames = pump(&mut c, &mut s, syn, 2_000);
    assert_eq!(c.time_wait_records(), 1);
    let before = format!("{:?}", c.counters());
    for f in &frames {
        for n in 0..=f.len() {
            c.prefetch_state(&f[..n]);
        }
        for at in 0..f.len() {
            let mut g = f.clone();
            g[at] ^= 0xff;
            c.prefetch_state(&g);
        }
    }
    assert_eq!(format!("{:?}", c.counters()), before);
    assert_eq!((c.connections(), c.time_wait_records()), (0, 1));
}

//! Header prediction for the segments after a SYN (`wire::segment_prediction`
//! and the endpoint's use of it) against the general parse: two worlds,
//! each a client and a server endpoint, identical but for header
//! prediction, run whole connections in lockstep over a lossy link that
//! also flips bytes. Every frame either world sends must be byte-equal to
//! the other's, and at the end every counter but the prediction counters
//! must agree, for every close pattern, cookie policy and data size.

use std::collections::VecDeque;
use synwave::app::CloseKind;
use synwave::endpoint::{Endpoint, EndpointConfig, FRAME_CAPACITY, Opened};
use synwave::flow::FourTuple;
use synwave::scenario::{CLIENT_NET, SERVER_IP, SERVER_PORT, Scenario};
use synwave::tcp::{CookiePolicy, Secrets};

/// A client, a server and the frames on the wire between them.
struct World {
    client: Endpoint,
    server: Endpoint,
    to_server: VecDeque<Vec<u8>>,
    to_client: VecDeque<Vec<u8>>,
}

impl World {
    fn new(scenario: &Scenario, predict: bool) -> World {
        let base = EndpointConfig {
            predict_headers: predict,
            ..EndpointConfig::default()
        };
        let client = scenario
            .client_side(EndpointConfig {
                ip_first: CLIENT_NET,
                ..base.clone()
            })
            .build(Secrets::from_seed(5));
        let server = scenario.server_side(base).build(Secrets::from_seed(6));
        World {
            client,
            server,
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
        }
    }

    fn connect(&mut self, port: u16, now: u64) {
        let tuple = FourTuple {
            local_ip: CLIENT_NET,
            remote_ip: SERVER_IP,
            local_port: port,
            remote_port: SERVER_PORT,
        };
        let mut frame = [0u8; FRAME_CAPACITY];
        let p = self.client.prepare(tuple, 0);
        if let Opened::Sent(n) = self.client.connect(&p, now, &mut frame) {
            self.to_server.push_back(frame[..n].to_vec());
        }
    }

    /// Delivers the frame at the head of one direction (after `mutate`);
    /// an answer goes back the other way.
    fn deliver(
        &mut self,
        to_server: bool,
        now: u64,
        mutate: &mut impl FnMut(&mut Vec<u8>) -> bool,
    ) {
        let (from, back, ep) = if to_server {
            (&mut self.to_server, &mut self.to_client, &mut self.server)
        } else {
            (&mut self.to_client, &mut self.to_server, &mut self.client)
        };
        let Some(mut frame) = from.pop_front() else {
            return;
        };
        if !mutate(&mut frame) {
            return;
        }
        let mut buf = vec![0u8; FRAME_CAPACITY];
        let n = frame.len().min(FRAME_CAPACITY);
        buf[..n].copy_from_slice(&frame[..n]);
        if let Some(m) = ep.on_frame(&mut buf, n, now) {
            back.push_back(buf[..m].to_vec());
        }
    }

    fn expire(&mut self, now: u64) {
        let q = &mut self.to_server;
        self.client.expire(now, &mut |b| q.push_back(b.to_vec()));
        let q = &mut self.to_client;
        self.server.expire(now, &mut |b| q.push_back(b.to_vec()));
    }
}

/// A small xorshift generator: the link's decisions, drawn once per frame
/// and applied to both worlds alike.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn assert_same(fast: &World, general: &World, what: &str) {
    assert_eq!(
        fast.to_server, general.to_server,
        "{what}: frames to the server"
    );
    assert_eq!(
        fast.to_client, general.to_client,
        "{what}: frames to the client"
    );
    for (a, b) in [
        (&fast.client, &general.client),
        (&fast.server, &general.server),
    ] {
        let mut ca = a.counters().clone();
        ca.syn_predicted = b.counters().syn_predicted;
        ca.segments_predicted = b.counters().segments_predicted;
        assert_eq!(&ca, b.counters(), "{what}: counters");
        assert_eq!(a.connections(), b.connections(), "{what}: records");
        assert_eq!(a.time_wait_records(), b.time_wait_records(), "{what}");
        assert_eq!(a.armed_timers(), b.armed_timers(), "{what}: timers");
    }
}

/// Runs `connections` connections of `scenario` in both worlds over a
/// link that drops `drop_pct` % of frames and flips a byte in `flip_pct`
/// %; returns the predicted world's prediction counts.
fn lockstep(scenario: &Scenario, connections: u16, drop_pct: u64, flip_pct: u64, seed: u64) -> u64 {
    let mut fast = World::new(scenario, true);
    let mut general = World::new(scenario, false);
    let mut rng = Rng(seed | 1);
    let mut now = 1_000u64;
    let mut opened = 0u16;
    for step in 0..200_000u32 {
        if opened < connections && step % 3 == 0 {
            fast.connect(20_000 + opened, now);
            general.connect(20_000 + opened, now);
            opened += 1;
        }
        for to_server in [true, false] {
            let r = rng.next();
            let (drop, flip, at, byte) = (
                r % 100 < drop_pct,
                (r >> 8) % 100 < flip_pct,
                (r >> 16) as usize,
                (r >> 48) as u8,
            );
            let mut mutate = |f: &mut Vec<u8>| {
                if flip && !f.is_empty() {
                    let i = at % f.len();
                    f[i] ^= byte | 1;
                }
                !drop
            };
            fast.deliver(to_server, now, &mut mutate);
            general.deliver(to_server, now, &mut mutate);
        }
        now += 50;
        if step % 20 == 0 {
            fast.expire(now);
            general.expire(now);
        }
        assert_same(&fast, &general, &format!("step {step}"));
        let idle = fast.to_server.is_empty() && fast.to_client.is_empty();
        if opened == connections && idle && fast.client.connections() == 0 {
            break;
        }
    }
    // Let every timer run out (retransmissions, TIME-WAIT).
    for _ in 0..2_000 {
        now += 100_000;
        fast.expire(now);
        general.expire(now);
        for to_server in [true, false] {
            fast.deliver(to_server, now, &mut |_| true);
            general.deliver(to_server, now, &mut |_| true);
        }
        assert_same(&fast, &general, "draining");
    }
    assert_eq!(general.client.counters().segments_predicted, 0);
    assert_eq!(general.server.counters().segments_predicted, 0);
    // Every connection the client opened has ended, one way or another.
    assert_eq!(fast.client.counters().ended(), u64::from(connections));
    assert_eq!(fast.client.connections() + fast.server.connections(), 0);
    let c = fast.client.counters();
    eprintln!(
        "{scenario:?} loss {drop_pct} % flips {flip_pct} %: ends {:?}, predicted {} + {}",
        c.ends,
        c.segments_predicted,
        fast.server.counters().segments_predicted
    );
    c.segments_predicted + fast.server.counters().segments_predicted
}

fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for close in [
        CloseKind::ClientFin,
        CloseKind::ServerFin,
        CloseKind::ClientRst,
    ] {
        for cookies in [CookiePolicy::Always, CookiePolicy::OnOverload] {
            for (request_bytes, response_bytes) in [(0, 0), (64, 256), (1, 1400)] {
                out.push(Scenario {
                    close,
                    cookies,
                    request_bytes,
                    response_bytes,
                    msl_us: 2_000_000,
                    ..Scenario::default()
                });
            }
        }
    }
    out
}

#[test]
fn clean_link_connections_take_the_predicted_path_with_identical_frames() {
    for (i, s) in scenarios().iter().enumerate() {
        let predicted = lockstep(s, 40, 0, 0, 7 + i as u64);
        // SYN-ACK on the client, then at least the handshake's ACK on the
        // server, for every connection.
        assert!(
            predicted >= 80,
            "{s:?}: only {predicted} segments predicted"
        );
    }
}

#[test]
fn lossy_corrupting_link_gives_identical_frames_and_counters() {
    for (i, s) in scenarios().iter().enumerate() {
        lockstep(s, 60, 5, 5, 1_000 + i as u64);
    }
}

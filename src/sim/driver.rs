//! The virtual-time pair driver: a client endpoint and a server endpoint
//! joined by an impaired in-memory link. Time jumps from event to event
//! (next frame arrival or next timer), so minutes of protocol time (SYN
//! backoff, TIME-WAIT) pass in milliseconds and every run is reproducible
//! from its seed.

use super::link::{Impairment, Link, Side};
pub use crate::app::CloseKind;
use crate::endpoint::{Counters, FRAME_CAPACITY, Opened};
use crate::flow::FourTuple;
use crate::scenario::{CLIENT_NET, SERVER_IP, SERVER_PORT, Scenario, ScenarioAddrs};
use crate::tcp::CookiePolicy;
use crate::wire::{V4, V6};
use std::time::{Duration, Instant};

/// A pair-driver run.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Connections to open in total.
    pub connections: u64,
    /// Connections open at once (closed loop).
    pub concurrency: u64,
    /// Link impairment (both directions).
    pub impairment: Impairment,
    /// Seed of the impairment and of the secrets.
    pub seed: u64,
    /// Close pattern.
    pub close: CloseKind,
    /// The server's SYN cookie policy.
    pub cookies: CookiePolicy,
    /// Bytes of the client's request (0: none).
    pub request_bytes: u32,
    /// Bytes of the server's response (0: none).
    pub response_bytes: u32,
    /// One-way link delay (µs, at least 1).
    pub delay_us: u64,
    /// Both sides speak IPv6 (the scenario's `SERVER_IP6`, `CLIENT_NET6`)
    /// instead of IPv4.
    pub ipv6: bool,
    /// Request/response transactions per connection.
    pub requests: u32,
    /// The client's pause between a response and its next request (µs).
    pub think_us: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            connections: 100_000,
            concurrency: 1000,
            impairment: Impairment::NONE,
            seed: 1,
            close: CloseKind::ClientFin,
            cookies: CookiePolicy::Always,
            request_bytes: 64,
            response_bytes: 256,
            delay_us: 50,
            ipv6: false,
            requests: 1,
            think_us: 0,
        }
    }
}

/// Result of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimReport {
    /// Connections the client opened.
    pub opened: u64,
    /// Client connections that ended the specified way.
    pub completed: u64,
    /// Client connections that ended any other way (retries exhausted,
    /// reset, timeouts).
    pub aborted: u64,
    /// Client counters.
    pub client: Counters,
    /// Server counters.
    pub server: Counters,
    /// Records left at the end (client + server; must be 0).
    pub records_left: usize,
    /// TIME-WAIT records left at the end (must be 0).
    pub time_wait_left: usize,
    /// Timers left armed at the end (must be 0).
    pub timers_left: usize,
    /// Frames still in flight at the end (must be 0).
    pub in_flight: usize,
    /// Frames lost, duplicated and reordered by the link.
    pub lost: u64,
    /// Duplicated frames.
    pub duplicated: u64,
    /// Reordered frames.
    pub reordered: u64,
    /// Virtual time the run took (µs).
    pub virtual_us: u64,
    /// Wall-clock time the run took.
    pub wall: Duration,
}

const PORTS_PER_IP: u64 = 65535 - 1024;

/// The four-tuple of the client's `i`-th connection (client view): each
/// tuple is used once per run, so no TIME-WAIT collides with a new SYN.
pub fn client_tuple(i: u64) -> FourTuple {
    let ip = u32::from_be_bytes(CLIENT_NET) + (i / PORTS_PER_IP) as u32;
    FourTuple {
        local_ip: ip.to_be_bytes(),
        remote_ip: SERVER_IP,
        local_port: 1024 + (i % PORTS_PER_IP) as u16,
        remote_port: SERVER_PORT,
    }
}

/// `client_tuple` in family `A` (from its `ScenarioAddrs::CLIENT_NET`).
pub fn client_tuple_in<A: ScenarioAddrs>(i: u64) -> FourTuple<A> {
    FourTuple {
        local_ip: A::CLIENT_NET.add(i / PORTS_PER_IP),
        remote_ip: A::SERVER,
        local_port: 1024 + (i % PORTS_PER_IP) as u16,
        remote_port: SERVER_PORT,
    }
}

/// Runs the client and the server of `cfg` to completion: until every
/// connection is opened and ended, every timer (TIME-WAIT included) has
/// expired and the link is empty.
pub fn run(cfg: &SimConfig) -> SimReport {
    if cfg.ipv6 {
        run_in::<V6>(cfg)
    } else {
        run_in::<V4>(cfg)
    }
}

fn run_in<A: ScenarioAddrs>(cfg: &SimConfig) -> SimReport {
    let started = Instant::now();
    let scenario = Scenario {
        close: cfg.close,
        cookies: cfg.cookies,
        request_bytes: cfg.request_bytes,
        response_bytes: cfg.response_bytes,
        requests: cfg.requests,
        think_us: cfg.think_us,
        ..Scenario::default()
    };
    let client_ips = cfg.connections.div_ceil(PORTS_PER_IP).max(1) as u32;
    let mut client = scenario.client_in(A::CLIENT_NET, client_ips, cfg.seed, false);
    let mut server = scenario.server_in::<A>(cfg.seed.wrapping_add(1));
    // A zero delay would deliver replies within the same instant forever.
    let delay = cfg.delay_us.max(1);
    let mut link = Link::new(cfg.seed, cfg.impairment, delay, delay * 4);
    let mut now = 0u64;
    let mut opened = 0u64;
    let mut buf = vec![0u8; FRAME_CAPACITY];
    loop {
        while opened < cfg.connections && opened - client.counters().ended() < cfg.concurrency {
            let p = client.prepare(client_tuple_in::<A>(opened), 0);
            match client.connect(&p, now, &mut buf) {
                // Refused (table full): stop opening until connections end.
                Opened::Refused => break,
                Opened::Sent(n) => link.send(now, Side::Server, &buf[..n]),
                Opened::Unsent => {}
            }
            opened += 1;
        }
        let next = [
            link.next_arrival(),
            client.next_deadline(),
            server.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(t) = next else { break };
        now = now.max(t);
        while let Some((to, frame)) = link.receive(now) {
            let (ep, back) = match to {
                Side::Server => (&mut server, Side::Client),
                Side::Client => (&mut client, Side::Server),
            };
            let len = frame.len().min(FRAME_CAPACITY);
            buf[..len].copy_from_slice(&frame[..len]);
            if let Some(n) = ep.on_frame(&mut buf, len, now) {
                link.send(now, back, &buf[..n]);
            }
        }
        client.flush(now, &mut |f| {
            link.send(now, Side::Server, f);
            true
        });
        server.flush(now, &mut |f| {
            link.send(now, Side::Client, f);
            true
        });
        client.expire(now, &mut |f| link.send(now, Side::Server, f));
        server.expire(now, &mut |f| link.send(now, Side::Client, f));
    }
    let c = client.counters().clone();
    let completed = c.completed();
    SimReport {
        opened,
        completed,
        aborted: c.ended() - completed,
        server: server.counters().clone(),
        client: c,
        records_left: client.connections() + server.connections(),
        time_wait_left: client.time_wait_records() + server.time_wait_records(),
        timers_left: client.armed_timers() + server.armed_timers(),
        in_flight: link.in_flight(),
        lost: link.lost,
        duplicated: link.duplicated,
        reordered: link.reordered,
        virtual_us: now,
        wall: started.elapsed(),
    }
}

//! One worker's poll loop: receive a burst → `Endpoint::on_frame` (the
//! reply is written in place) → transmit the burst → open connections (a
//! generator) → expire timers → publish counters.
//!
//! Rules: one worker owns its port queue and its endpoint; nothing is
//! shared on the per-frame path. The only shared state is a few relaxed
//! atomics: the run phase (read once per loop) and the live counters
//! (written every `PUBLISH_EVERY` loops).

use crate::endpoint::{Counters, Endpoint, Latency};
use crate::flow::{FourTuple, SourcePair, SourcePortAllocator};
use crate::io::{FrameBuf, Port, PortStats};
use crate::tcp::Events;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use super::clock::Clock;

/// Frames per receive burst.
pub const BURST: usize = 64;
/// Loops between two publications of the live counters.
const PUBLISH_EVERY: u32 = 256;

/// Phase of a run, shared by all workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Generators open connections.
    Run = 0,
    /// No new connections; live ones finish.
    Drain = 1,
    /// Workers return.
    Stop = 2,
}

/// The run phase, shared.
#[derive(Debug, Default)]
pub struct SharedPhase(AtomicU8);

impl SharedPhase {
    /// The current phase.
    #[inline]
    pub fn get(&self) -> Phase {
        match self.0.load(Ordering::Relaxed) {
            0 => Phase::Run,
            1 => Phase::Drain,
            _ => Phase::Stop,
        }
    }

    /// Moves to `p`.
    pub fn set(&self, p: Phase) {
        self.0.store(p as u8, Ordering::Relaxed);
    }
}

/// Counters a worker publishes for the live line, on their own cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct LiveCounters {
    /// Connections opened (generator) or accepted (responder).
    pub opened: AtomicU64,
    /// Connections that reached ESTABLISHED.
    pub established: AtomicU64,
    /// Connection records ended.
    pub ended: AtomicU64,
    /// Frames received.
    pub rx_frames: AtomicU64,
    /// Frames sent.
    pub tx_frames: AtomicU64,
    /// Live connection records.
    pub live: AtomicU64,
    /// TIME-WAIT records.
    pub time_wait: AtomicU64,
}

impl LiveCounters {
    fn publish(&self, ep: &Endpoint, opened: u64) {
        let c = ep.counters();
        let r = Ordering::Relaxed;
        self.opened.store(opened, r);
        self.established.store(c.event(Events::ESTABLISHED), r);
        self.ended.store(c.ended(), r);
        self.rx_frames.store(c.rx_frames, r);
        self.tx_frames.store(c.tx_frames, r);
        self.live.store(ep.connections() as u64, r);
        self.time_wait.store(ep.time_wait_records() as u64, r);
    }
}

/// What a worker does besides answering.
pub enum Role {
    /// Keeps up to `concurrency` connections open, opening them at `rate`
    /// per second when set, taking source pairs from its RSS-aware
    /// allocator.
    Generator {
        /// Connections open at once, at most.
        concurrency: u64,
        /// Connections opened per second (`None`: as fast as `concurrency`
        /// allows, a closed loop).
        rate: Option<f64>,
        /// Source (IP, port) pairs whose replies come back to this worker.
        ports: SourcePortAllocator,
    },
    /// Answers only.
    Responder,
}

/// What a worker hands back when it returns.
#[derive(Debug)]
pub struct WorkerReport {
    /// Connections opened (generator).
    pub opened: u64,
    /// Connection attempts refused for lack of a source pair or a frame.
    pub open_failed: u64,
    /// The endpoint's counters.
    pub counters: Counters,
    /// Records, TIME-WAIT records and timers left at the end.
    pub left: (usize, usize, usize),
    /// The port's counters.
    pub port: PortStats,
    /// Handshake and lifetime histograms.
    pub latency: Latency,
}

/// A frame from `port` holding `bytes` (a frame the endpoint originated).
#[inline]
fn filled<P: Port>(port: &mut P, bytes: &[u8]) -> Option<P::Frame> {
    let mut f = port.alloc()?;
    let n = bytes.len().min(f.buf_mut().len());
    f.buf_mut()[..n].copy_from_slice(&bytes[..n]);
    f.set_len(n);
    Some(f)
}

/// One worker: its port queue, endpoint, role and batch buffers.
pub struct Worker<P: Port> {
    port: P,
    ep: Endpoint,
    role: Role,
    rx: Vec<P::Frame>,
    tx: Vec<P::Frame>,
    released: Vec<FourTuple>,
    opened: u64,
    open_failed: u64,
    /// Time of the first poll (the origin of `rate`).
    started: Option<u64>,
}

impl<P: Port> Worker<P> {
    /// A worker; every buffer it needs per loop is reserved here.
    pub fn new(port: P, ep: Endpoint, role: Role) -> Worker<P> {
        Worker {
            port,
            ep,
            role,
            rx: Vec::with_capacity(BURST),
            tx: Vec::with_capacity(4 * BURST),
            released: Vec::with_capacity(4 * BURST),
            opened: 0,
            open_failed: 0,
            started: None,
        }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.ep
    }

    /// The port queue.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// One turn of the poll loop at time `now`: receive and answer a
    /// burst, open connections (a generator in `Phase::Run`), expire
    /// timers, transmit. Returns the frames received.
    pub fn poll(&mut self, now: u64, phase: Phase) -> usize {
        let Worker {
            port, ep, rx, tx, ..
        } = self;
        // Receive and answer in place.
        let received = port.rx_burst(rx, BURST);
        for mut f in rx.drain(..) {
            let len = f.len();
            match ep.on_frame(f.buf_mut(), len, now) {
                Some(n) => {
                    f.set_len(n);
                    tx.push(f);
                }
                None => port.recycle(f),
            }
        }
        let started = *self.started.get_or_insert(now);
        if let Role::Generator {
            concurrency,
            rate,
            ports,
        } = &mut self.role
        {
            // Source pairs whose last record is gone can be used again.
            ep.take_released(&mut self.released);
            for t in self.released.drain(..) {
                let _ = ports.free(SourcePair {
                    ip: t.local_ip,
                    port: t.local_port,
                });
            }
            let ended = ep.counters().ended();
            // Open loop at `rate`: the connections due by now, in total.
            let due = rate.map_or(u64::MAX, |r| ((now - started) as f64 * r / 1e6) as u64);
            let mut budget = BURST;
            while phase == Phase::Run
                && self.opened - ended < *concurrency
                && self.opened < due
                && budget > 0
            {
                budget -= 1;
                let Some(pair) = ports.alloc() else {
                    self.open_failed += 1;
                    break;
                };
                let tuple = ports.tuple(pair);
                // A SYN that finds no free buffer is sent by its
                // retransmission timer.
                let ok = ep.connect(&tuple, now, &mut |bytes| {
                    if let Some(f) = filled(port, bytes) {
                        tx.push(f);
                    }
                });
                if !ok {
                    let _ = ports.free(pair);
                    self.open_failed += 1;
                    break;
                }
                self.opened += 1;
            }
        }
        // Timers: retransmissions and expiries.
        ep.expire(now, &mut |bytes| {
            if let Some(f) = filled(port, bytes) {
                tx.push(f);
            }
        });
        if !tx.is_empty() {
            port.tx_burst(tx);
        }
        received
    }

    /// What the worker did, so far.
    pub fn report(&self) -> WorkerReport {
        let ep = &self.ep;
        WorkerReport {
            opened: self.opened,
            open_failed: self.open_failed,
            counters: ep.counters().clone(),
            left: (ep.connections(), ep.time_wait_records(), ep.armed_timers()),
            port: self.port.stats(),
            latency: ep.latency().clone(),
        }
    }
}

/// Runs `worker` until the phase is `Stop`, publishing its live counters.
pub fn run<P: Port>(
    worker: &mut Worker<P>,
    clock: Clock,
    phase: &SharedPhase,
    live: &LiveCounters,
) -> WorkerReport {
    let mut loops = 0u32;
    loop {
        let current = phase.get();
        if current == Phase::Stop {
            break;
        }
        worker.poll(clock.now_us(), current);
        loops = loops.wrapping_add(1);
        if loops % PUBLISH_EVERY == 0 {
            live.publish(&worker.ep, worker.opened);
        }
    }
    live.publish(&worker.ep, worker.opened);
    worker.report()
}

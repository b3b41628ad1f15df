//! One worker's poll loop: receive a burst (and the frames other workers
//! handed over) → hand frames owned by another worker to it →
//! `Endpoint::on_frame` of the frame's family (`Stack`; the reply is
//! written in place; a frame a few
//! places ahead is prefetched meanwhile) → open connections (a generator,
//! each SYN written straight into a transmit buffer) → expire timers →
//! transmit the burst → publish metrics. `run` counts the gaps between
//! turns (`PollGaps`).
//!
//! Rules: one worker owns its port queue and its endpoint; nothing is
//! shared on the per-frame path but the handoff inboxes, used only by
//! frames that landed on the wrong worker. The other shared state is
//! relaxed atomics: the run phase (read once per loop) and the metrics
//! board (written every `PUBLISH_EVERY` loops and at once in a new
//! phase).

use crate::endpoint::{Counters, Endpoint, Latency};
use crate::io::pcap::{PcapCapture, PcapReport};
use crate::io::{FrameBuf, Port, PortStats};
use crate::metrics::{Board, Sample, WorkerTally};
use crate::wire::Family;

use super::clock::Clock;
use super::handoff::Handoff;
use super::opener::Openers;
use super::poll::{BURST, Phase, SharedPhase};
use super::poll_gaps::PollGaps;
use super::stack::Stack;
use crate::prefetch;

/// Loops between two publications of the live counters.
const PUBLISH_EVERY: u32 = 256;

/// What a worker does besides answering.
#[derive(Debug)]
pub enum Role {
    /// Opens connections (an `Opener` per family) and answers.
    Generator(Openers),
    /// Answers only.
    Responder,
}

impl WorkerReport {
    /// The report as a metrics sample.
    pub fn sample(&self) -> Sample<'_> {
        Sample {
            counters: &self.counters,
            tally: self.tally,
            port: self.port,
            gauges: (self.left.0 as u64, self.left.1 as u64, self.left.2 as u64),
            latency: None,
        }
    }
}

/// What a worker hands back when it returns.
#[derive(Debug)]
pub struct WorkerReport {
    /// Connections opened (generator), handoffs and the like.
    pub tally: WorkerTally,
    /// The endpoints' counters (both families summed).
    pub counters: Counters,
    /// Each family's counters ("ipv4", and "ipv6" where it ran).
    pub families: Vec<(&'static str, Counters)>,
    /// Records, TIME-WAIT records and timers left at the end.
    pub left: (usize, usize, usize),
    /// The port's counters.
    pub port: PortStats,
    /// Handshake and lifetime histograms.
    pub latency: Latency,
    /// What `--pcap` wrote, for the worker that captured.
    pub pcap: Option<PcapReport>,
    /// The gaps between the turns of its poll loop (none outside `run`).
    pub gaps: PollGaps,
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

/// Aborts every live connection of `ep` at `now`, the RSTs sent a burst
/// at a time; how many.
fn abort_family<P: Port, A: Family>(
    ep: &mut Endpoint<A>,
    port: &mut P,
    tx: &mut Vec<P::Frame>,
    now: u64,
) -> usize {
    let tuples = ep.live_tuples();
    for chunk in tuples.chunks(BURST) {
        for t in chunk {
            ep.abort(t, now, &mut |bytes| {
                if let Some(f) = filled(port, bytes) {
                    tx.push(f);
                }
            });
        }
        if !tx.is_empty() {
            port.tx_burst(tx);
        }
    }
    tuples.len()
}

/// One worker: its port queue, endpoint, role and batch buffers.
pub struct Worker<P: Port> {
    port: P,
    ep: Stack,
    role: Role,
    handoff: Option<Handoff<P::Frame>>,
    rx: Vec<P::Frame>,
    tx: Vec<P::Frame>,
    tally: WorkerTally,
    /// `--pcap`: what this worker receives and sends.
    capture: Option<PcapCapture>,
}

impl<P: Port> Worker<P> {
    /// A worker; every buffer it needs per loop is reserved here.
    pub fn new(port: P, ep: Stack, role: Role) -> Worker<P> {
        Worker {
            port,
            ep,
            role,
            handoff: None,
            rx: Vec::with_capacity(2 * BURST),
            tx: Vec::with_capacity(4 * BURST),
            tally: WorkerTally::default(),
            capture: None,
        }
    }

    /// The worker writes the frames it receives and sends to `capture`.
    pub fn with_capture(mut self, capture: PcapCapture) -> Worker<P> {
        self.capture = Some(capture);
        self
    }

    /// Ends the capture, if any: what it wrote.
    pub fn finish_capture(&mut self) -> Option<PcapReport> {
        self.capture.take().map(PcapCapture::finish)
    }

    /// The worker hands frames owned by other workers of its side to
    /// them, and takes theirs, through `handoff`.
    pub fn with_handoff(mut self, handoff: Handoff<P::Frame>) -> Worker<P> {
        self.handoff = Some(handoff);
        self
    }

    /// The endpoints.
    pub fn endpoint(&self) -> &Stack {
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
            port,
            ep,
            rx,
            tx,
            tally,
            handoff,
            capture,
            ..
        } = self;
        // Frames handed over by other workers first (already known to be
        // ours), then the port's.
        let handed = handoff.as_ref().map_or(0, |h| h.receive(rx, BURST));
        tally.handoff_in += handed as u64;
        let received = port.rx_burst(rx, BURST);
        if let Some(c) = capture.as_mut().filter(|c| c.active()) {
            for f in rx.iter() {
                c.record(now, f.data());
            }
        }
        for f in rx.iter().take(prefetch::AHEAD) {
            prefetch::frame(f.data());
        }
        // Receive and answer in place, frame i + AHEAD on its way into the
        // cache meanwhile.
        let mut frames = rx.drain(..);
        let mut i = 0;
        while let Some(mut f) = frames.next() {
            let ahead = frames.as_slice();
            if let Some(next) = ahead.get(prefetch::AHEAD - 1) {
                prefetch::frame(next.data());
            }
            if let Some(soon) = ahead.get(prefetch::STATE_AHEAD - 1) {
                ep.prefetch_state(soon.data());
            }
            let handed_over = i < handed;
            i += 1;
            if !handed_over
                && let Some(h) = handoff
                && let Some(owner) = h.other_owner(f.data())
            {
                match h.send(owner, f) {
                    Ok(()) => tally.handoff_out += 1,
                    Err(f) => {
                        tally.handoff_dropped += 1;
                        port.recycle(f);
                    }
                }
                continue;
            }
            let len = f.len();
            match ep.on_frame(f.buf_mut(), len, now) {
                Some(n) => {
                    f.set_len(n);
                    tx.push(f);
                }
                None => port.recycle(f),
            }
        }
        if let Role::Generator(openers) = &mut self.role {
            if let Some(o) = &mut openers.v4 {
                o.open(&mut ep.v4, port, tx, tally, now, phase);
            }
            if let Some((o, ep6)) = openers.v6.as_mut().zip(ep.v6.as_mut()) {
                o.open(ep6, port, tx, tally, now, phase);
            }
        }
        // The further segments the send windows allow.
        ep.flush(now, &mut |bytes| match filled(port, bytes) {
            Some(f) => {
                tx.push(f);
                true
            }
            None => false,
        });
        // Timers: retransmissions and expiries.
        ep.expire(now, &mut |bytes| {
            if let Some(f) = filled(port, bytes) {
                tx.push(f);
            }
        });
        if !tx.is_empty() {
            if let Some(c) = self.capture.as_mut().filter(|c| c.active()) {
                for f in tx.iter() {
                    c.record(now, f.data());
                }
            }
            port.tx_burst(tx);
        }
        received + handed
    }

    /// A generator follows `load` from its next poll on, counted from
    /// now (a search's next step); a responder has no load.
    pub fn restart(&mut self, load: super::opener::Load) {
        if let Role::Generator(openers) = &mut self.role {
            openers.restart(load);
        }
    }

    /// Aborts every live connection at `now` (`Endpoint::abort`), the
    /// RSTs sent a burst at a time, as transmit buffers allow; the source
    /// pairs go back at the next poll. Returns how many were aborted.
    pub fn abort_all(&mut self, now: u64) -> usize {
        let Worker { port, ep, tx, .. } = self;
        let v6 = ep
            .v6
            .as_mut()
            .map_or(0, |v6| abort_family(v6, port, tx, now));
        abort_family(&mut ep.v4, port, tx, now) + v6
    }

    /// Everything the worker counts, now (both families summed).
    pub fn sample(&mut self) -> Sample<'_> {
        let gauges = (
            self.ep.connections() as u64,
            self.ep.time_wait_records() as u64,
            self.ep.armed_timers() as u64,
        );
        let (counters, latency) = self.ep.summary();
        Sample {
            counters,
            tally: self.tally,
            port: self.port.stats(),
            gauges,
            latency: Some(latency),
        }
    }

    /// What the worker did, so far.
    pub fn report(&self) -> WorkerReport {
        let ep = &self.ep;
        WorkerReport {
            tally: self.tally,
            counters: ep.counters(),
            families: ep.family_counters(),
            left: (ep.connections(), ep.time_wait_records(), ep.armed_timers()),
            port: self.port.stats(),
            latency: ep.latency(),
            pcap: None,
            gaps: PollGaps::default(),
        }
    }
}

/// Runs `worker` until the phase is `Stop`, publishing its metrics on
/// `board`.
pub fn run<P: Port>(
    worker: &mut Worker<P>,
    clock: Clock,
    phase: &SharedPhase,
    board: &Board,
) -> WorkerReport {
    let mut loops = 0u32;
    let mut published = None;
    let mut gaps = PollGaps::default();
    loop {
        let current = phase.get();
        if current == Phase::Stop {
            break;
        }
        let now = clock.now_us();
        gaps.turn(now);
        let received = worker.poll(now, current);
        gaps.worked(received == 0);
        loops = loops.wrapping_add(1);
        // Every `PUBLISH_EVERY` loops, and at once in a new phase (the
        // drain's end is judged on boards published in the drain).
        if loops % PUBLISH_EVERY == 0 || published != Some(current) {
            if let Some(f) = worker.ep.family_results() {
                board.publish_families(&f);
            }
            board.publish(&worker.sample(), current.tag());
            published = Some(current);
        }
    }
    if let Some(f) = worker.ep.family_results() {
        board.publish_families(&f);
    }
    board.publish(&worker.sample(), Phase::Stop.tag());
    let pcap = worker.finish_capture();
    WorkerReport {
        pcap,
        gaps,
        ..worker.report()
    }
}

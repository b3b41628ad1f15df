//! A generator worker's opening of connections, once per poll: the source
//! pairs whose last record ended go back to the allocator; then as many
//! connections as are due (the concurrency's room, the rate's schedule,
//! the limit, one burst at most) are opened, each following its template,
//! its SYN written straight into a transmit buffer.
//!
//! Rules: no allocation per poll (the lists keep their capacity); two
//! passes over a batch, so the TIME-WAIT lookups of the connects find
//! their slots on the way into the cache (`Endpoint::prepare`); after a
//! refusal (table full, tuple in use) the rest of the batch goes back
//! unopened, counted as one failure; without a free transmit buffer the
//! rest waits for the next poll.

use super::load;
use super::poll::{BURST, Phase};
use super::template_mix::{Next, TemplateMix};
use crate::endpoint::{Endpoint, Opened, Prepared};
use crate::flow::{FourTuple, SourcePair, SourcePortAllocator};
use crate::io::{FrameBuf, Port};
use crate::metrics::WorkerTally;

/// Gives `t`'s source pair back to `ports`.
#[inline]
fn free(ports: &mut SourcePortAllocator, t: &FourTuple) {
    let _ = ports.free(SourcePair {
        ip: t.local_ip,
        port: t.local_port,
    });
}

/// How many connections a generator worker keeps open and opens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    /// Connections open at once, at most.
    pub concurrency: u64,
    /// Connections opened per second (`None`: as fast as `concurrency`
    /// allows, a closed loop).
    pub rate: Option<f64>,
    /// Microseconds over which `rate` rises from 0 (0: none).
    pub ramp_us: u64,
    /// Connections to open in all, at most (`None`: no limit).
    pub limit: Option<u64>,
}

/// A generator worker's opener: its load, its source pairs (whose replies
/// come back to this worker) and its templates.
#[derive(Debug)]
pub struct Opener {
    load: Load,
    ports: SourcePortAllocator,
    /// A profile's templates (`None`: every connection follows the
    /// endpoint's application, template 0).
    mix: Option<TemplateMix>,
    /// Tuples whose last record ended, taken from the endpoint.
    released: Vec<FourTuple>,
    /// The connections opened this poll, prepared.
    opening: Vec<Prepared>,
    /// Time of the first poll (the origin of `rate`).
    started: Option<u64>,
    /// Connections opened before this load began (`restart`): the rate
    /// and the limit count from here.
    base: u64,
}

impl Opener {
    /// An opener of `load` from `ports`, following `mix` when given (boxed:
    /// a worker's `Role` holds it).
    pub fn new(load: Load, ports: SourcePortAllocator, mix: Option<TemplateMix>) -> Box<Opener> {
        Box::new(Opener {
            load,
            ports,
            mix,
            released: Vec::with_capacity(4 * BURST),
            opening: Vec::with_capacity(BURST),
            started: None,
            base: 0,
        })
    }

    /// Follows `load` from the next poll on, as if it had just started,
    /// `opened` connections having been opened before (a search's next
    /// step).
    pub fn restart(&mut self, load: Load, opened: u64) {
        self.load = load;
        self.started = None;
        self.base = opened;
    }

    /// Connections to open now: what the concurrency, the rate's schedule
    /// and the limit leave, at most a burst (none outside `Phase::Run`).
    #[inline]
    fn wanted(&mut self, ep: &Endpoint, tally: &WorkerTally, now: u64, phase: Phase) -> u64 {
        let started = *self.started.get_or_insert(now);
        if phase != Phase::Run {
            return 0;
        }
        let l = &self.load;
        // Open loop at `rate`: the connections due by now, in total.
        let due = l
            .rate
            .map_or(u64::MAX, |r| load::due(now - started, r, l.ramp_us));
        let open = tally.opened - ep.counters().ended() - tally.syn_only;
        let opened = tally.opened - self.base;
        (BURST as u64)
            .min(l.concurrency.saturating_sub(open))
            .min(due.saturating_sub(opened))
            .min(l.limit.map_or(u64::MAX, |n| n.saturating_sub(opened)))
    }

    /// Frees the source pairs of the tuples the endpoint released, then
    /// opens the connections due at `now`, their SYNs pushed to `tx`.
    #[inline]
    pub fn open<P: Port>(
        &mut self,
        ep: &mut Endpoint,
        port: &mut P,
        tx: &mut Vec<P::Frame>,
        tally: &mut WorkerTally,
        now: u64,
        phase: Phase,
    ) {
        ep.take_released(&mut self.released);
        for t in self.released.drain(..) {
            free(&mut self.ports, &t);
        }
        let wanted = self.wanted(ep, tally, now, phase);
        for _ in 0..wanted {
            let template = match self.mix.as_mut().map(|m| m.pick()) {
                None => 0,
                Some(Next::Connect(t)) => t,
                Some(Next::SynOnly(t, ip, source_port)) => {
                    // A SYN and nothing else, from a spoofed source.
                    let Some(mut f) = port.alloc() else { break };
                    let tuple = self.ports.tuple(SourcePair {
                        ip,
                        port: source_port,
                    });
                    match ep.syn_only(&tuple, t, now, f.buf_mut()) {
                        Some(n) => {
                            f.set_len(n);
                            tx.push(f);
                        }
                        None => port.recycle(f),
                    }
                    tally.opened += 1;
                    tally.syn_only += 1;
                    continue;
                }
            };
            let Some(pair) = self.ports.alloc() else {
                tally.open_failed += 1;
                tally.ports_exhausted += 1;
                break;
            };
            self.opening
                .push(ep.prepare(self.ports.tuple(pair), template));
        }
        self.connect_prepared(ep, port, tx, tally, now);
    }

    /// The second pass: connects the prepared tuples.
    #[inline]
    fn connect_prepared<P: Port>(
        &mut self,
        ep: &mut Endpoint,
        port: &mut P,
        tx: &mut Vec<P::Frame>,
        tally: &mut WorkerTally,
        now: u64,
    ) {
        let mut refused = false;
        for p in self.opening.drain(..) {
            let frame = if refused { None } else { port.alloc() };
            let opened = match frame {
                Some(mut f) => match ep.connect(&p, now, f.buf_mut()) {
                    Opened::Sent(n) => {
                        f.set_len(n);
                        tx.push(f);
                        true
                    }
                    // Sent by its retransmission timer.
                    Opened::Unsent => {
                        port.recycle(f);
                        true
                    }
                    Opened::Refused => {
                        port.recycle(f);
                        if !refused {
                            tally.open_failed += 1;
                            refused = true;
                        }
                        false
                    }
                },
                None => {
                    refused = true;
                    false
                }
            };
            if opened {
                tally.opened += 1;
            } else {
                free(&mut self.ports, p.tuple());
            }
        }
    }
}

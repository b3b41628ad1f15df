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
use crate::flow::{FourTuple, ServerSet, SourcePair};
use crate::io::{FrameBuf, Port};
use crate::metrics::WorkerTally;
use crate::wire::{Family, V4, V6};

/// Gives `t`'s source pair back to `ports`.
#[inline]
fn free<A: Family>(ports: &mut ServerSet<A>, t: &FourTuple<A>) {
    let _ = ports.free(t);
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

/// A generator worker's opener of one address family (IPv4 by default):
/// its load, its source pairs (whose replies come back to this worker)
/// and its templates.
#[derive(Debug)]
pub struct Opener<A = V4> {
    load: Load,
    ports: ServerSet<A>,
    /// A profile's templates (`None`: every connection follows the
    /// endpoint's application, template 0).
    mix: Option<TemplateMix>,
    /// Tuples whose last record ended, taken from the endpoint.
    released: Vec<FourTuple<A>>,
    /// The connections opened this poll, prepared.
    opening: Vec<Prepared<A>>,
    /// Time of the first poll (the origin of `rate`).
    started: Option<u64>,
    /// Connections opened before this load began (`restart`): the rate
    /// and the limit count from here.
    base: u64,
    /// Connections this opener opened (SYN-only SYNs included).
    opened: u64,
    /// Of those, SYN-only SYNs.
    syn_only: u64,
}

impl<A: Family> Opener<A> {
    /// An opener of `load` from `ports`, following `mix` when given (boxed:
    /// a worker's `Role` holds it).
    pub fn new(load: Load, ports: ServerSet<A>, mix: Option<TemplateMix>) -> Box<Opener<A>> {
        Box::new(Opener {
            load,
            ports,
            mix,
            released: Vec::with_capacity(4 * BURST),
            opening: Vec::with_capacity(BURST),
            started: None,
            base: 0,
            opened: 0,
            syn_only: 0,
        })
    }

    /// Follows `load` from the next poll on, as if it had just started
    /// (a search's next step).
    pub fn restart(&mut self, load: Load) {
        self.load = load;
        self.started = None;
        self.base = self.opened;
    }

    /// Counts one connection opened (`syn_only`: a lone SYN).
    #[inline]
    fn count_opened(&mut self, tally: &mut WorkerTally, syn_only: bool) {
        self.opened += 1;
        tally.opened += 1;
        if syn_only {
            self.syn_only += 1;
            tally.syn_only += 1;
        }
    }

    /// Connections to open now: what the concurrency, the rate's schedule
    /// and the limit leave, at most a burst (none outside `Phase::Run`).
    #[inline]
    fn wanted(&mut self, ep: &Endpoint<A>, now: u64, phase: Phase) -> u64 {
        let started = *self.started.get_or_insert(now);
        if phase != Phase::Run {
            return 0;
        }
        let l = &self.load;
        // Open loop at `rate`: the connections due by now, in total.
        let due = l
            .rate
            .map_or(u64::MAX, |r| load::due(now - started, r, l.ramp_us));
        let open = self.opened - ep.counters().ended() - self.syn_only;
        let opened = self.opened - self.base;
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
        ep: &mut Endpoint<A>,
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
        let wanted = self.wanted(ep, now, phase);
        for _ in 0..wanted {
            let template = match self.mix.as_mut().map(|m| m.pick()) {
                None => 0,
                Some(Next::Connect(t)) => t,
                Some(Next::SynOnly(t, ip, source_port)) => {
                    // A SYN and nothing else, from a spoofed source (an
                    // IPv4 one: an IPv6 opener cannot send it).
                    let Some(ip) = A::from_slice(&ip) else {
                        tally.open_failed += 1;
                        continue;
                    };
                    let Some(mut f) = port.alloc() else { break };
                    let tuple = self.ports.spoofed(SourcePair {
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
                    self.count_opened(tally, true);
                    continue;
                }
            };
            let Some(tuple) = self.ports.alloc() else {
                tally.open_failed += 1;
                tally.ports_exhausted += 1;
                break;
            };
            self.opening.push(ep.prepare(tuple, template));
        }
        self.connect_prepared(ep, port, tx, tally, now);
    }

    /// The second pass: connects the prepared tuples.
    #[inline]
    fn connect_prepared<P: Port>(
        &mut self,
        ep: &mut Endpoint<A>,
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
                self.opened += 1;
                tally.opened += 1;
            } else {
                free(&mut self.ports, p.tuple());
            }
        }
    }
}

/// A generator worker's openers, one per family it opens connections in
/// (at least one).
#[derive(Debug)]
pub struct Openers {
    /// IPv4 connections.
    pub v4: Option<Box<Opener<V4>>>,
    /// IPv6 connections.
    pub v6: Option<Box<Opener<V6>>>,
}

impl From<Box<Opener<V4>>> for Openers {
    fn from(o: Box<Opener<V4>>) -> Openers {
        Openers {
            v4: Some(o),
            v6: None,
        }
    }
}

impl Openers {
    /// Each opener follows its family's share of `load` from the next
    /// poll on, as if it had just started.
    pub fn restart(&mut self, load: Load) {
        let ways = u32::from(self.v4.is_some()) + u32::from(self.v6.is_some());
        if let Some(o) = &mut self.v4 {
            o.restart(load.share(ways, 0));
        }
        if let Some(o) = &mut self.v6 {
            o.restart(load.share(ways, ways - 1));
        }
    }
}

impl Load {
    /// Share `index` of `ways` of this load: the concurrency and the limit
    /// divided exactly (the first shares take the remainder), the rate
    /// evenly.
    pub fn share(self, ways: u32, index: u32) -> Load {
        let n = u64::from(ways.max(1));
        let part = |total: u64| total / n + u64::from(u64::from(index) < total % n);
        Load {
            concurrency: part(self.concurrency),
            rate: self.rate.map(|r| r / n as f64),
            ramp_us: self.ramp_us,
            limit: self.limit.map(part),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_load() {
        let load = Load {
            concurrency: 7,
            rate: Some(1000.0),
            ramp_us: 5,
            limit: Some(5001),
        };
        let (a, b) = (load.share(2, 0), load.share(2, 1));
        assert_eq!((a.concurrency, b.concurrency), (4, 3));
        assert_eq!((a.limit, b.limit), (Some(2501), Some(2500)));
        assert_eq!((a.rate, b.rate), (Some(500.0), Some(500.0)));
        assert_eq!(load.share(1, 0), load);
    }
}

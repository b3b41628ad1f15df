//! An in-memory link in virtual time that drops, duplicates and reorders
//! frames deterministically from a seed (the kernel here has no netem).

pub use crate::io::Impairment;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Which endpoint a frame is travelling to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// Toward the client.
    Client,
    /// Toward the server.
    Server,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: u64,
    order: u64,
    to: Side,
    frame: Vec<u8>,
}

/// Both directions of a link: frames in flight, ordered by arrival time.
#[derive(Debug)]
pub struct Link {
    rng: Xoshiro256PlusPlus,
    imp: Impairment,
    delay_us: u64,
    reorder_us: u64,
    queue: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    /// Frames dropped by the impairment.
    pub lost: u64,
    /// Extra copies delivered.
    pub duplicated: u64,
    /// Frames held back.
    pub reordered: u64,
}

impl Link {
    /// A link with one-way `delay_us`; reordered frames wait up to
    /// `reorder_us` more.
    pub fn new(seed: u64, imp: Impairment, delay_us: u64, reorder_us: u64) -> Link {
        Link {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            imp,
            delay_us,
            reorder_us,
            queue: BinaryHeap::new(),
            order: 0,
            lost: 0,
            duplicated: 0,
            reordered: 0,
        }
    }

    fn push(&mut self, at: u64, to: Side, frame: Vec<u8>) {
        self.order += 1;
        self.queue.push(Reverse(InFlight {
            at,
            order: self.order,
            to,
            frame,
        }));
    }

    /// Sends `frame` toward `to` at time `now`.
    pub fn send(&mut self, now: u64, to: Side, frame: &[u8]) {
        if self.imp.loss > 0.0 && self.rng.random_bool(self.imp.loss) {
            self.lost += 1;
            return;
        }
        let mut at = now + self.delay_us;
        if self.imp.reorder > 0.0 && self.rng.random_bool(self.imp.reorder) {
            self.reordered += 1;
            at += self.rng.random_range(1..=self.reorder_us.max(1));
        }
        if self.imp.duplicate > 0.0 && self.rng.random_bool(self.imp.duplicate) {
            self.duplicated += 1;
            let extra = self.rng.random_range(0..=self.reorder_us);
            self.push(at + extra, to, frame.to_vec());
        }
        self.push(at, to, frame.to_vec());
    }

    /// Arrival time of the next frame.
    pub fn next_arrival(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse(f)| f.at)
    }

    /// Takes the next frame if it has arrived by `now`.
    pub fn receive(&mut self, now: u64) -> Option<(Side, Vec<u8>)> {
        if self.next_arrival()? > now {
            return None;
        }
        self.queue.pop().map(|Reverse(f)| (f.to, f.frame))
    }

    /// Frames in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_counted() {
        let run = |seed| {
            let mut l = Link::new(seed, Impairment::lossy(0.2), 10, 50);
            for i in 0..1000u64 {
                l.send(i, Side::Server, &[i as u8]);
            }
            let mut got = Vec::new();
            while let Some((_, f)) = l.receive(u64::MAX) {
                got.push(f[0]);
            }
            (got, l.lost, l.duplicated, l.reordered)
        };
        let a = run(1);
        assert_eq!(a, run(1));
        assert_ne!(a.0, run(2).0);
        assert_eq!(a.0.len() as u64, 1000 - a.1 + a.2);
        assert!(a.1 > 150 && a.1 < 250, "lost {}", a.1);
    }

    #[test]
    fn no_impairment_is_fifo() {
        let mut l = Link::new(1, Impairment::NONE, 5, 0);
        for i in 0..10u8 {
            l.send(u64::from(i), Side::Client, &[i]);
        }
        assert_eq!(l.receive(4), None);
        let got: Vec<u8> = std::iter::from_fn(|| l.receive(100))
            .map(|(_, f)| f[0])
            .collect();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }
}

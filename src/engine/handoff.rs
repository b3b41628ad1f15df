//! Frames that land on the wrong worker. A NIC steers by its own RSS
//! configuration; when it disagrees with the engine's (another key, a
//! RETA rewritten by someone else, a hash type that skips the ports), a
//! frame arrives at a worker that does not own its connection. That
//! worker hands the frame, unparsed, to the owner through the owner's
//! lock-free inbox (`crossbeam::queue::ArrayQueue`); the owner handles it
//! in its next poll like a received frame.
//!
//! Rules: the owner of a frame is the worker the engine's RSS (Toeplitz
//! hash → RETA) names for it; a full inbox drops the frame (counted, the
//! peer retransmits), never blocks. Only used with more than one worker
//! per side; a frame moves between workers without a copy, so the port's
//! frames must be movable between its queues (true of `loopback`, and of
//! AF_XDP, whose queues share one UMEM: `io::afxdp::umem_share`).

use crate::flow::{Reta, RssHasher};
use crossbeam::queue::ArrayQueue;
use std::sync::Arc;

use super::steer::queue_of;

/// Frames an inbox holds at most.
pub const INBOX: usize = 4096;

/// One worker's end of the handoff: its inbox and the inboxes of the
/// others.
pub struct Handoff<F> {
    me: usize,
    hasher: RssHasher,
    reta: Reta,
    inboxes: Arc<[ArrayQueue<F>]>,
}

impl<F> std::fmt::Debug for Handoff<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handoff")
            .field("me", &self.me)
            .field("workers", &self.inboxes.len())
            .finish_non_exhaustive()
    }
}

/// The handoffs of `workers` workers of one side, in worker order; the
/// owner of a frame is `reta.worker_of(hasher(frame))`.
pub fn handoffs<F>(workers: usize, hasher: &RssHasher, reta: &Reta) -> Vec<Handoff<F>> {
    let inboxes: Arc<[ArrayQueue<F>]> = (0..workers).map(|_| ArrayQueue::new(INBOX)).collect();
    (0..workers)
        .map(|me| Handoff {
            me,
            hasher: hasher.clone(),
            reta: *reta,
            inboxes: inboxes.clone(),
        })
        .collect()
}

impl<F> Handoff<F> {
    /// The worker that owns `frame`, when it is not this one.
    #[inline]
    pub fn other_owner(&self, frame: &[u8]) -> Option<usize> {
        let owner = queue_of(&self.hasher, &self.reta, frame) % self.inboxes.len();
        (owner != self.me).then_some(owner)
    }

    /// Hands `frame` to worker `to`; gives it back when that inbox is
    /// full.
    #[inline]
    pub fn send(&self, to: usize, frame: F) -> Result<(), F> {
        self.inboxes[to].push(frame)
    }

    /// Moves up to `max` frames handed to this worker to the end of `out`;
    /// returns how many.
    #[inline]
    pub fn receive(&self, out: &mut Vec<F>, max: usize) -> usize {
        let inbox = &self.inboxes[self.me];
        let mut n = 0;
        while n < max {
            let Some(f) = inbox.pop() else { break };
            out.push(f);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::RssKey;

    #[test]
    fn a_frame_goes_to_the_owner_inbox_only() {
        let hasher = RssHasher::new(&RssKey::MICROSOFT);
        let reta = Reta::round_robin(3).unwrap();
        let hs: Vec<Handoff<u32>> = handoffs(3, &hasher, &reta);
        // Not IPv4/TCP: queue 0 owns it.
        let arp = [0u8; 60];
        assert_eq!(hs[0].other_owner(&arp), None);
        assert_eq!(hs[1].other_owner(&arp), Some(0));
        hs[1].send(0, 7).unwrap();
        let mut out = Vec::new();
        assert_eq!(hs[2].receive(&mut out, 8), 0);
        assert_eq!(hs[0].receive(&mut out, 8), 1);
        assert_eq!(out, [7]);
    }

    #[test]
    fn a_full_inbox_gives_the_frame_back() {
        let hasher = RssHasher::new(&RssKey::MICROSOFT);
        let reta = Reta::round_robin(2).unwrap();
        let hs: Vec<Handoff<usize>> = handoffs(2, &hasher, &reta);
        for i in 0..INBOX {
            hs[0].send(1, i).unwrap();
        }
        assert_eq!(hs[0].send(1, 99), Err(99));
    }
}

//! The UMEM that the sockets of one interface share (`XDP_SHARED_UMEM`):
//! one mapping and one registration, split into a partition of chunks per
//! queue, and per queue an inbox of its chunks that other queues' ports
//! give back. A frame one worker hands to another (its connection is the
//! other's) is answered there in place and sent from the other's transmit
//! ring, or recycled there; either way its chunk returns to the port whose
//! partition holds it, so no queue's fill ring runs dry while another's
//! pool grows.
//!
//! Rules: a chunk belongs to the port of its partition (`owner`); a port
//! keeps only its own chunks and gives the others to their owner's inbox
//! (sized for the whole partition, so it never fills); frames handed out
//! and not taken back are summed over the ports as they close, and while
//! any is held the mapping is left mapped, never unmapped.

use super::frame::PortId;
use super::umem_area::UmemArea;
use crossbeam::queue::ArrayQueue;
use std::sync::atomic::{AtomicI64, Ordering};
use xdpilone::Umem;

/// What the ports of one interface share.
pub(super) struct UmemShare {
    // Drop order: the registration before the memory it names.
    pub(super) umem: Umem,
    pub(super) area: UmemArea,
    /// Stamped in every frame of this UMEM, whichever port hands it out.
    pub(super) id: PortId,
    /// Bytes of one port's partition, as a power of two: a chunk's owner
    /// is its offset shifted right by this (no division per frame).
    partition_shift: u32,
    /// Per port: its chunks that other ports give back.
    inboxes: Box<[ArrayQueue<u64>]>,
    /// Frames handed out less frames taken back, over every port, added
    /// by each as it closes.
    outstanding: AtomicI64,
}

// Safety: after set-up the mapping is only read (the base address) or
// dropped; the registration's shared set of device queues, which a port
// leaves when it drops, sits behind xdpilone's own lock; what ports
// change concurrently otherwise is atomic (the inboxes, `outstanding`).
unsafe impl Send for UmemShare {}
// Safety: as above.
unsafe impl Sync for UmemShare {}

impl UmemShare {
    /// `ports` partitions of `partition` bytes each (a power of two:
    /// chunks per queue and chunk size are) over `umem` and
    /// `area`, each with room in its inbox for all of its `chunks`.
    pub(super) fn new(
        umem: Umem,
        area: UmemArea,
        id: PortId,
        ports: usize,
        partition: u64,
        chunks: usize,
    ) -> UmemShare {
        UmemShare {
            umem,
            area,
            id,
            partition_shift: {
                debug_assert!(partition.is_power_of_two());
                partition.trailing_zeros()
            },
            inboxes: (0..ports).map(|_| ArrayQueue::new(chunks.max(1))).collect(),
            outstanding: AtomicI64::new(0),
        }
    }

    /// The port whose partition holds the chunk at `chunk`.
    #[inline]
    pub(super) fn owner(&self, chunk: u64) -> usize {
        (chunk >> self.partition_shift) as usize
    }

    /// Whether more than one port shares the UMEM.
    #[inline]
    pub(super) fn shared(&self) -> bool {
        self.inboxes.len() > 1
    }

    /// Gives `chunk` to its owner's inbox; gives it back when the inbox
    /// is full (it cannot be: it holds the whole partition).
    #[inline]
    pub(super) fn give_back(&self, chunk: u64) -> Result<(), u64> {
        match self.inboxes.get(self.owner(chunk)) {
            Some(inbox) => inbox.push(chunk),
            None => Err(chunk),
        }
    }

    /// Moves the chunks given back to port `port` into `free`.
    #[inline]
    pub(super) fn take_returned(&self, port: usize, free: &mut Vec<u64>) {
        if let Some(inbox) = self.inboxes.get(port) {
            while let Some(chunk) = inbox.pop() {
                free.push(chunk);
            }
        }
    }

    /// Adds a closing port's frames still out (negative: frames of other
    /// ports it took back).
    pub(super) fn add_outstanding(&self, n: i64) {
        self.outstanding.fetch_add(n, Ordering::Relaxed);
    }
}

impl Drop for UmemShare {
    fn drop(&mut self) {
        // A frame still held points into the mapping: keep it mapped.
        if *self.outstanding.get_mut() != 0 {
            self.area.leak();
        }
    }
}

//! The `loopback` backend: two sides (say generator and responder), each
//! with one or more queues, joined in memory the way two NICs are joined by
//! a cable. A frame sent by a queue of one side is steered to a queue of
//! the other side by a steering function (the receiving NIC's RSS) and
//! lands in a lock-free single-producer single-consumer ring (`rtrb`) of
//! that receiving queue: one ring per (sending queue, receiving queue)
//! pair, so sending is a plain store, never a compare-and-swap, and a
//! receiver drains whole runs of its rings at once.
//!
//! Frames are 2 KiB boxed buffers allocated once, when the loopback is
//! built. Sending moves the buffer, not the bytes: the receiver answers in
//! the same buffer and sends it back. Each queue keeps a local free list;
//! surplus buffers go to a shared spare pool in batches and come back from
//! it in batches, so buffers drift freely between sides without a lock.
//!
//! Impairments (loss, duplication, reordering) are decided per frame by a
//! seeded [`Impairer`] per sending queue: a lost frame's buffer returns to
//! the sender's free list, a duplicate is copied into a second buffer, a
//! held frame is sent after the next burst.
//!
//! A frame owns its buffer (a `Box`), so it stays valid after its port is
//! dropped, and a port takes any loopback's frame back as a buffer of its
//! own: nothing a worker does with a frame can alias or free a buffer
//! another frame uses.
//!
//! Rules: no allocation, lock or syscall per frame after construction;
//! never panic on full rings or an empty pool (counted instead).

use super::impairment::ImpairmentError;
use super::{Fate, FrameBuf, Impairer, Impairment, Port, PortStats, SynPolicer};
use crossbeam::queue::ArrayQueue;
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::Arc;

/// Size of every frame buffer.
pub const FRAME_SIZE: usize = 2048;
/// Buffers moved between a local free list and the spare pool at once.
const SPARE_BATCH: usize = 64;
/// Frames held back by reordering at most (then the oldest is sent).
const MAX_HELD: usize = 32;
/// Allocations between a buffer's prefetch and its use.
const ALLOC_AHEAD: usize = 4;
/// Room per receiving queue for the frames of one burst, sorted by queue
/// (kept between bursts; grows once if a burst needs more).
const STAGED: usize = 256;

type Buffer = Box<[u8; FRAME_SIZE]>;

/// A frame buffer of the loopback backend.
#[derive(Debug)]
pub struct LoopFrame {
    buf: Buffer,
    len: u16,
}

impl FrameBuf for LoopFrame {
    #[inline]
    fn buf_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..]
    }
    #[inline]
    fn data(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
    #[inline]
    fn len(&self) -> usize {
        usize::from(self.len)
    }
    #[inline]
    fn set_len(&mut self, len: usize) {
        self.len = len.min(FRAME_SIZE) as u16;
    }
}

/// Maps a frame to a receiving queue index (taken modulo the number of
/// queues of the receiving side).
pub type Steer = Arc<dyn Fn(&[u8]) -> usize + Send + Sync>;

/// Settings of a loopback.
#[derive(Clone)]
pub struct LoopbackConfig {
    /// Queues of side A.
    pub queues_a: usize,
    /// Queues of side B.
    pub queues_b: usize,
    /// Buffers per queue at the start (the local free list).
    pub frames_per_queue: usize,
    /// Slots of each receiving queue's rings together (each of its
    /// `n` senders gets `ring_size / n`, at least `min(ring_size, 1024)`).
    pub ring_size: usize,
    /// Impairment of every sending queue.
    pub impairment: Impairment,
    /// Seed of the impairments (each sending queue derives its own).
    pub seed: u64,
    /// Each queue of side A sends at most this many SYNs a second (a
    /// device's new-connection limit: `io::SynPolicer`, 10 ms of burst);
    /// those above are lost.
    pub syn_rate_a: Option<f64>,
    /// Steering of frames arriving at side A.
    pub steer_a: Steer,
    /// Steering of frames arriving at side B.
    pub steer_b: Steer,
}

impl Default for LoopbackConfig {
    fn default() -> Self {
        let first: Steer = Arc::new(|_: &[u8]| 0);
        LoopbackConfig {
            queues_a: 1,
            queues_b: 1,
            frames_per_queue: 4096,
            ring_size: 4096,
            impairment: Impairment::NONE,
            seed: 1,
            syn_rate_a: None,
            steer_a: first.clone(),
            steer_b: first,
        }
    }
}

impl std::fmt::Debug for LoopbackConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackConfig")
            .field("queues_a", &self.queues_a)
            .field("queues_b", &self.queues_b)
            .field("frames_per_queue", &self.frames_per_queue)
            .field("ring_size", &self.ring_size)
            .field("impairment", &self.impairment)
            .field("seed", &self.seed)
            .field("syn_rate_a", &self.syn_rate_a)
            .finish_non_exhaustive()
    }
}

/// One queue of a loopback side.
pub struct LoopPort {
    /// One ring from each queue of the other side.
    rx: Vec<Consumer<LoopFrame>>,
    /// Where the next `rx_burst` starts (fairness between rings).
    rx_next: usize,
    /// One ring to each queue of the other side.
    peers: Vec<Producer<LoopFrame>>,
    steer: Steer,
    free: Vec<Buffer>,
    spare: Arc<ArrayQueue<Buffer>>,
    share: usize,
    high_water: usize,
    impairer: Impairer,
    /// Drops SYNs above a rate (side A, when configured).
    policer: Option<SynPolicer>,
    impaired: bool,
    held: Vec<LoopFrame>,
    releasing: Vec<LoopFrame>,
    /// Frames of a burst sorted by receiving queue (several queues only).
    staged: Vec<Vec<LoopFrame>>,
    stats: PortStats,
}

impl std::fmt::Debug for LoopPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopPort")
            .field("free", &self.free.len())
            .field("held", &self.held.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// A loopback that cannot be built: the setting at fault.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoopbackError {
    /// A side has no queue.
    NoQueue,
    /// The ring size or the frames per queue is 0.
    NoRoom,
    /// A probability of the impairment is outside [0, 1].
    Impairment(ImpairmentError),
}

impl std::fmt::Display for LoopbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoopbackError::NoQueue => {
                f.write_str("a loopback needs at least one queue on each side")
            }
            LoopbackError::NoRoom => {
                f.write_str("ring size and frames per queue must be at least 1")
            }
            LoopbackError::Impairment(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LoopbackError {}

/// Builds a loopback: the queues of side A and of side B, in order.
pub fn loopback(cfg: &LoopbackConfig) -> Result<(Vec<LoopPort>, Vec<LoopPort>), LoopbackError> {
    if cfg.queues_a == 0 || cfg.queues_b == 0 {
        return Err(LoopbackError::NoQueue);
    }
    if cfg.ring_size == 0 || cfg.frames_per_queue == 0 {
        return Err(LoopbackError::NoRoom);
    }
    cfg.impairment
        .validate()
        .map_err(LoopbackError::Impairment)?;
    // rings[s][r]: from queue s of one side to queue r of the other.
    let rings = |senders: usize, receivers: usize| {
        let per_pair = (cfg.ring_size / senders).max(cfg.ring_size.min(1024));
        let mut producers: Vec<Vec<Producer<LoopFrame>>> =
            (0..senders).map(|_| Vec::new()).collect();
        let mut consumers: Vec<Vec<Consumer<LoopFrame>>> =
            (0..receivers).map(|_| Vec::new()).collect();
        for p in producers.iter_mut() {
            for c in consumers.iter_mut() {
                let (tx, rx) = RingBuffer::new(per_pair);
                p.push(tx);
                c.push(rx);
            }
        }
        (producers, consumers)
    };
    let (a_to_b, b_from_a) = rings(cfg.queues_a, cfg.queues_b);
    let (b_to_a, a_from_b) = rings(cfg.queues_b, cfg.queues_a);
    let total = (cfg.queues_a + cfg.queues_b) * cfg.frames_per_queue;
    // Every buffer fits in the spare pool, so returning surplus never fails.
    let spare = Arc::new(ArrayQueue::new(total));
    let side = |own: Vec<Vec<Consumer<LoopFrame>>>,
                peers: Vec<Vec<Producer<LoopFrame>>>,
                steer: &Steer,
                salt: u64,
                syn_rate: Option<f64>| {
        own.into_iter()
            .zip(peers)
            .enumerate()
            .map(|(i, (rx, peers))| {
                // Room for the high-water mark plus one spare batch.
                let mut free = Vec::with_capacity(cfg.frames_per_queue + 2 * SPARE_BATCH);
                free.extend((0..cfg.frames_per_queue).map(|_| Box::new([0u8; FRAME_SIZE])));
                let seed = cfg.seed ^ salt ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let peers_len = peers.len();
                LoopPort {
                    rx,
                    rx_next: 0,
                    peers,
                    steer: steer.clone(),
                    free,
                    spare: spare.clone(),
                    share: cfg.frames_per_queue,
                    high_water: cfg.frames_per_queue + SPARE_BATCH / 2,
                    impairer: Impairer::new(cfg.impairment, seed),
                    policer: syn_rate.map(|r| SynPolicer::new(r, r / 100.0)),
                    impaired: !cfg.impairment.is_none() || syn_rate.is_some(),
                    held: Vec::with_capacity(MAX_HELD),
                    releasing: Vec::with_capacity(MAX_HELD),
                    staged: match peers_len {
                        1 => Vec::new(),
                        n => (0..n).map(|_| Vec::with_capacity(STAGED)).collect(),
                    },
                    stats: PortStats::default(),
                }
            })
            .collect::<Vec<_>>()
    };
    // Side A sends to B's queues, steered by B's steering, and vice versa.
    let a = side(a_from_b, a_to_b, &cfg.steer_b, 0xa, cfg.syn_rate_a);
    let b = side(b_from_a, b_to_a, &cfg.steer_a, 0xb, None);
    Ok((a, b))
}

impl LoopPort {
    /// Buffers on this queue's free list.
    pub fn free_buffers(&self) -> usize {
        self.free.len()
    }

    /// Buffers in the spare pool shared by every queue of the loopback.
    pub fn spare_buffers(&self) -> usize {
        self.spare.len()
    }

    /// Returns a buffer to the free list; above the high-water mark the
    /// list is trimmed back to its initial share, the surplus going to the
    /// spare pool (as a DPDK mempool cache flushes).
    #[inline]
    fn give_back(&mut self, buf: Buffer) {
        self.free.push(buf);
        if self.free.len() > self.high_water {
            while self.free.len() > self.share {
                let Some(b) = self.free.pop() else { break };
                // The pool can hold every buffer there is: never full.
                if let Err(b) = self.spare.push(b) {
                    self.free.push(b);
                    break;
                }
            }
        }
    }

    #[inline]
    fn take_buffer(&mut self) -> Option<Buffer> {
        if self.free.is_empty() {
            for _ in 0..SPARE_BATCH {
                match self.spare.pop() {
                    Some(b) => self.free.push(b),
                    None => break,
                }
            }
        }
        self.free.pop()
    }

    /// Puts `frame` on the ring its steering picks; a full ring drops it.
    #[inline]
    fn deliver(&mut self, frame: LoopFrame) -> bool {
        // One receiving queue: nothing to steer.
        let q = match self.peers.len() {
            1 => 0,
            n => (self.steer)(frame.data()) % n,
        };
        match self.peers[q].push(frame) {
            Ok(()) => true,
            Err(rtrb::PushError::Full(frame)) => {
                self.stats.tx_ring_full += 1;
                self.give_back(frame.buf);
                false
            }
        }
    }

    /// Puts a whole burst on the rings, each ring's share with one store
    /// of its write index: a store per frame would pull the index's cache
    /// line back from the receiving core, which polls it, once per frame.
    /// Frames beyond a full ring are dropped and counted.
    fn deliver_burst(&mut self, frames: &mut Vec<LoopFrame>) -> usize {
        if self.peers.len() == 1 {
            return self.push_run(0, frames);
        }
        for f in frames.drain(..) {
            let q = (self.steer)(f.data()) % self.peers.len();
            self.staged[q].push(f);
        }
        let mut taken = 0;
        for q in 0..self.peers.len() {
            let mut run = std::mem::take(&mut self.staged[q]);
            taken += self.push_run(q, &mut run);
            self.staged[q] = run;
        }
        taken
    }

    /// Pushes `run` onto the ring to queue `q` as one chunk; what does not
    /// fit is dropped (`tx_ring_full`). `run` is left empty.
    fn push_run(&mut self, q: usize, run: &mut Vec<LoopFrame>) -> usize {
        let ring = &mut self.peers[q];
        let n = run.len().min(ring.slots());
        let mut pushed = 0;
        if n > 0
            && let Ok(chunk) = ring.write_chunk_uninit(n)
        {
            pushed = chunk.fill_from_iter(run.drain(..n));
        }
        for f in run.drain(..) {
            self.stats.tx_ring_full += 1;
            self.give_back(f.buf);
        }
        pushed
    }

    /// Sends the frames held back by reordering.
    pub fn flush_held(&mut self) {
        while let Some(f) = self.held.pop() {
            self.deliver(f);
        }
    }

    fn send_impaired(&mut self, frame: LoopFrame) -> bool {
        if let Some(p) = self.policer.as_mut()
            && p.drops(frame.data())
        {
            self.stats.lost += 1;
            self.give_back(frame.buf);
            return true;
        }
        match self.impairer.fate() {
            Fate::Deliver => self.deliver(frame),
            Fate::Drop => {
                self.stats.lost += 1;
                self.give_back(frame.buf);
                true
            }
            Fate::Duplicate => {
                if let Some(mut buf) = self.take_buffer() {
                    let n = frame.len();
                    buf[..n].copy_from_slice(frame.data());
                    self.stats.duplicated += 1;
                    self.deliver(LoopFrame {
                        buf,
                        len: frame.len,
                    });
                }
                self.deliver(frame)
            }
            Fate::Hold => {
                self.stats.reordered += 1;
                if self.held.len() == MAX_HELD {
                    let oldest = self.held.remove(0);
                    self.deliver(oldest);
                }
                self.held.push(frame);
                true
            }
        }
    }
}

impl Port for LoopPort {
    type Frame = LoopFrame;

    #[inline]
    fn rx_burst(&mut self, out: &mut Vec<LoopFrame>, max: usize) -> usize {
        let mut n = 0;
        let rings = self.rx.len();
        // Each ring in turn, from where the last burst stopped: a run of
        // frames per ring, published back to its sender with one store.
        for k in 0..rings {
            let ring = &mut self.rx[(self.rx_next + k) % rings];
            let take = ring.slots().min(max - n);
            if take > 0
                && let Ok(chunk) = ring.read_chunk(take)
            {
                out.extend(chunk);
                n += take;
            }
            if n == max {
                break;
            }
        }
        self.rx_next = (self.rx_next + 1) % rings;
        self.stats.rx_frames += n as u64;
        n
    }

    fn tx_burst(&mut self, frames: &mut Vec<LoopFrame>) -> usize {
        // Frames held back by the previous burst go after this one; both
        // lists keep their capacity (no allocation).
        std::mem::swap(&mut self.held, &mut self.releasing);
        let mut taken = 0;
        self.stats.tx_frames += frames.len() as u64;
        if self.impaired {
            for f in frames.drain(..) {
                taken += usize::from(self.send_impaired(f));
            }
        } else {
            taken = self.deliver_burst(frames);
        }
        while let Some(f) = self.releasing.pop() {
            self.deliver(f);
        }
        taken
    }

    #[inline]
    fn alloc(&mut self) -> Option<LoopFrame> {
        // The buffer handed out a few allocations from now, owned by the
        // time its headers are written (it was last read by the other
        // side's core).
        if let Some(b) = self
            .free
            .len()
            .checked_sub(ALLOC_AHEAD + 1)
            .map(|i| &self.free[i])
        {
            crate::prefetch::line_for_write(b.as_ptr());
            crate::prefetch::line_for_write(b[64..].as_ptr());
        }
        match self.take_buffer() {
            Some(buf) => Some(LoopFrame { buf, len: 0 }),
            None => {
                self.stats.alloc_failed += 1;
                None
            }
        }
    }

    #[inline]
    fn recycle(&mut self, frame: LoopFrame) {
        self.give_back(frame.buf);
    }

    fn stats(&self) -> PortStats {
        self.stats
    }
}

#[cfg(test)]
mod tests;

//! One AF_XDP socket on one (interface, queue) as a [`Port`]: its fill
//! and completion rings, its receive and transmit rings, bound in copy or
//! zero-copy mode with `need_wakeup`, over a partition of a UMEM that the
//! sockets of one interface share (`umem_share`; frame size, count per
//! queue and headroom configurable).
//!
//! Rules: frames never move: a received frame is answered in place and
//! transmitted from the same UMEM chunk, by this port or by another of
//! the same UMEM it was handed to; chunks circulate between a free list,
//! the fill ring, the receive ring, the worker and the transmit and
//! completion rings, and a chunk of another port's partition goes back to
//! that port. Syscalls only when a ring asks for a wakeup
//! (`need_wakeup`). No allocation after `open`: the free list holds every
//! chunk of the partition from the start. Every frame handed out is
//! stamped with its UMEM's id ([`XskFrame`]): a frame of another UMEM is
//! refused (counted, never put on a ring or the free list), and the UMEM
//! stays mapped while any of its frames is held, even after the ports are
//! dropped.

use super::frame::{PortId, XskFrame};
use super::umem_share::UmemShare;

mod open;
use crate::io::{Port, PortStats};
use std::sync::Arc;
use xdpilone::xdp::XdpDesc;
use xdpilone::{DeviceQueue, RingRx, RingTx, User};

/// Most `sendto` wakeups of the transmit ring per poll (each sends up to
/// 32 frames in copy mode): a full burst of 64 replies and the frames a
/// worker originated in the same loop.
const TX_WAKEUPS_PER_CALL: usize = 8;

/// Sizes of one socket's UMEM and rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XskConfig {
    /// Bytes per UMEM chunk: 2048 or 4096.
    pub frame_size: u32,
    /// Chunks in the UMEM (a power of two; the fill and receive rings
    /// have a quarter as many slots each, the transmit and completion
    /// rings an eighth).
    pub frames: u32,
    /// Bytes the kernel leaves free before each received frame.
    pub headroom: u32,
}

impl XskConfig {
    /// Chunks a socket's partition gets: `frames` rounded up to a power
    /// of two, at least 64.
    pub fn chunks(&self) -> u32 {
        self.frames.next_power_of_two().max(64)
    }

    /// MiB of UMEM per queue.
    pub fn mib(&self) -> u64 {
        (u64::from(self.chunks()) * u64::from(self.frame_size)) >> 20
    }

    /// Slots of the (fill and receive, transmit and completion) rings for
    /// these sizes.
    pub fn ring_slots(&self) -> (u32, u32) {
        Self::slots_for(self.chunks())
    }

    /// The rings in words, for start notes and `probe`.
    pub fn rings_text(&self) -> String {
        let (rx, tx) = self.ring_slots();
        format!("fill and receive rings of {rx} slots, transmit and completion of {tx}")
    }

    /// Slots of the rings for a UMEM of `frames` chunks: (fill and
    /// receive, transmit and completion). The receive side gets a quarter
    /// each: what the receive ring holds is how long the worker may leave
    /// it alone (a turn through a long burst, the host taking the core
    /// away) before frames are dropped: 8,192 slots by default, 33 ms at
    /// 250,000 frames/s. The transmit side gets an eighth each. However
    /// full the kernel keeps them, a quarter of the UMEM is left for the
    /// frames the worker holds and the frames it originates: a burst after
    /// a stall cannot take every frame and leave a connection's segment
    /// unsent until its retransmission timer.
    fn slots_for(frames: u32) -> (u32, u32) {
        (frames / 4, frames / 8)
    }

    /// UMEM frames per queue when none are asked for, with `queues`
    /// queues: 32,768 (64 MiB of 2 KiB frames, receive rings of 8,192
    /// slots: 33 ms at 250,000 frames/s) for one or two queues, then
    /// 65,536 shared out over the queues, at least 4,096 a queue. The
    /// kernel keeps an entry per chunk of the whole UMEM for each sharing
    /// socket, queues² × frames in all, so the share shrinks as queues
    /// grow.
    pub fn auto_frames(queues: u32) -> u32 {
        let share = 65_536 / queues.max(1).next_power_of_two();
        share.clamp(4_096, 32_768)
    }
}

impl Default for XskConfig {
    fn default() -> Self {
        XskConfig {
            frame_size: 2048,
            frames: XskConfig::auto_frames(1),
            headroom: 0,
        }
    }
}

/// How the socket was bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindMode {
    /// The kernel copies frames into and out of the UMEM.
    Copy,
    /// The driver writes into and reads from the UMEM directly.
    ZeroCopy,
}

/// Counts of the socket beyond `PortStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XskStats {
    /// `sendto` calls to wake the transmit ring.
    pub tx_wakeups: u64,
    /// `poll` calls to wake the fill ring.
    pub fill_wakeups: u64,
    /// Frames of another UMEM handed to this port (`recycle`,
    /// `tx_burst`): refused, neither sent nor reused.
    pub foreign_frames: u64,
    /// Chunks of other queues' partitions this port gave back to them
    /// (frames handed over by their workers, sent or recycled here).
    pub returned: u64,
}

/// The kernel's drop counts of one socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelDrops {
    /// Frames dropped (no room, bad descriptor).
    pub rx_dropped: u64,
    /// Frames dropped because the receive ring was full.
    pub rx_ring_full: u64,
    /// Times the fill ring was empty when a frame arrived.
    pub fill_ring_empty: u64,
}

/// One AF_XDP socket, as a port of one worker.
pub struct XskPort {
    // Drop order: rings and sockets first, the memory they point into
    // last.
    rx: RingRx,
    tx: RingTx,
    device: DeviceQueue,
    user: User,
    /// Chunk addresses (UMEM offsets) of this port's partition free for
    /// the fill ring or `alloc`.
    free: Vec<u64>,
    /// Frames on the transmit ring not yet completed.
    in_flight: u32,
    /// Frames handed to the worker (`rx_burst`, `alloc`) less frames
    /// taken back (`tx_burst`, `recycle`), another port's included (so it
    /// may go below zero): summed over the ports as they close, a total
    /// other than zero leaves the UMEM mapped.
    out: i64,
    /// The UMEM's id, stamped in every frame of it.
    id: PortId,
    /// This port's partition of the shared UMEM.
    index: usize,
    /// Slots of the completion ring (the most completions reaped at once).
    ring: u32,
    chunk_mask: u64,
    frame_size: u32,
    headroom: u32,
    /// Bound in copy mode: a `sendto` sends synchronously (see `kick_tx`).
    copy: bool,
    /// Wake the transmit ring whenever frames wait, whatever its flag
    /// says (a sharing socket on a kernel that does not give it the flag).
    always_wake: bool,
    stats: PortStats,
    xsk: XskStats,
    /// The UMEM, shared with the interface's other ports (dropped last).
    share: Arc<UmemShare>,
}

// Safety: the port owns its rings and socket over the shared UMEM, whose
// shared parts are atomic (`UmemShare`); moved to the worker thread
// whole, it is then used by that thread only (the rings are
// single-producer single-consumer with the kernel).
unsafe impl Send for XskPort {}

impl Drop for XskPort {
    fn drop(&mut self) {
        // Frames still held point into the mapping: the UMEM stays mapped
        // while the ports' total is not zero (this port's rings and socket
        // close after this; queue 0's socket is the UMEM's own and closes
        // with the share, before the mapping).
        self.share.add_outstanding(self.out);
    }
}

impl XskPort {
    /// The socket's file descriptor, for the XSKMAP.
    pub fn fd(&self) -> i32 {
        self.user.as_raw_fd()
    }

    /// Frames handed out less frames taken back (another port's taken
    /// back count too).
    pub fn frames_out(&self) -> i64 {
        self.out
    }

    /// Wakeup and refusal counts.
    pub fn xsk_stats(&self) -> XskStats {
        self.xsk
    }

    /// The kernel's counts for this socket (`XDP_STATISTICS`): frames it
    /// dropped, found the receive ring full for, and found the fill ring
    /// empty for.
    pub fn kernel_drops(&self) -> Option<KernelDrops> {
        let s = self.device.statistics_v2().ok()?;
        Some(KernelDrops {
            rx_dropped: s.rx_dropped,
            rx_ring_full: s.rx_ring_full,
            fill_ring_empty: s.rx_fill_ring_empty_descs,
        })
    }

    /// Completed transmissions back to the free list.
    #[inline]
    fn reap(&mut self) {
        if self.in_flight == 0 {
            return;
        }
        let mask = self.chunk_mask;
        let mut c = self.device.complete(self.ring);
        let mut n = 0;
        while let Some(addr) = c.read() {
            let chunk = addr & mask;
            // Another partition's chunk (a frame handed over and sent
            // here) goes to its owner; kept in the impossible case of a
            // full inbox (valid in the shared UMEM either way).
            if self.share.owner(chunk) == self.index || self.share.give_back(chunk).is_err() {
                self.free.push(chunk);
            } else {
                self.xsk.returned += 1;
            }
            n += 1;
        }
        c.release();
        self.in_flight -= n.min(self.in_flight);
    }

    /// Puts a chunk back: on the free list when it is of this port's
    /// partition, else in its owner's inbox.
    #[inline]
    fn put_back(&mut self, chunk: u64) {
        if self.share.owner(chunk) == self.index {
            self.free.push(chunk);
        } else {
            self.give_back(chunk);
        }
    }

    /// Gives another partition's chunk to its owner (kept here in the
    /// impossible case of a full inbox: the chunk is valid in the shared
    /// UMEM either way).
    #[cold]
    fn give_back(&mut self, chunk: u64) {
        match self.share.give_back(chunk) {
            Ok(()) => self.xsk.returned += 1,
            Err(chunk) => self.free.push(chunk),
        }
    }

    /// Chunks of this port's partition that other ports gave back.
    #[inline]
    fn take_returned(&mut self) {
        if self.share.shared() {
            self.share.take_returned(self.index, &mut self.free);
        }
    }

    /// Free chunks onto the fill ring, as many as it takes.
    #[inline]
    fn refill(&mut self) {
        // Keep a few chunks for frames we originate.
        let spare = self.free.len().saturating_sub(64) as u32;
        if spare == 0 {
            return;
        }
        // The ring reserves at most `spare` slots, so `from` ≥ 64.
        let mut w = self.device.fill(spare);
        let from = self.free.len() - w.capacity() as usize;
        let n = w.insert(self.free[from..].iter().copied());
        w.commit();
        drop(w);
        self.free.truncate(self.free.len() - n as usize);
        if self.device.needs_wakeup() {
            self.device.wake();
            self.xsk.fill_wakeups += 1;
        }
    }

    /// Wakes the kernel to send what the transmit ring holds. In copy mode
    /// one `sendto` sends at most 32 frames (the kernel's TX_BATCH_SIZE)
    /// before it returns, so it is repeated while frames wait, a bounded
    /// number of times; in zero-copy mode the driver sends after one
    /// wakeup, asynchronously, so one is enough. A socket sharing another's
    /// UMEM on a kernel before 6.0 never gets the ring's wakeup flag (the
    /// kernel copies it to sharing sockets since "xsk: Inherit need_wakeup
    /// flag for shared sockets"), so it is woken whenever frames wait.
    #[inline]
    fn kick_tx(&mut self) {
        let wakeups = if self.copy { TX_WAKEUPS_PER_CALL } else { 1 };
        for _ in 0..wakeups {
            if self.tx.pending() == 0 || !(self.always_wake || self.tx.needs_wakeup()) {
                break;
            }
            self.tx.wake();
            self.xsk.tx_wakeups += 1;
        }
    }
}

impl XskPort {
    /// The frame at UMEM offset `addr`, `len` bytes long, handed out.
    #[inline]
    fn frame(&mut self, addr: u64, len: u32) -> XskFrame {
        self.out += 1;
        // Safety: `addr` lies inside the UMEM (the kernel returns only
        // offsets we gave it, and `alloc` computes them from chunk bases);
        // the chunk has just left the rings or the free list, so no other
        // handle to it exists; the mapping stays while the frame is out
        // (`out` counts it; see `Drop`); frame sizes are 2048 or 4096.
        unsafe {
            XskFrame::at(
                self.share.area.as_non_null_ptr(),
                self.chunk_mask,
                self.frame_size,
                addr,
                len,
                self.id,
            )
        }
    }

    /// Takes `frame` back, or refuses (counts and forgets) one of another
    /// UMEM. Returns whether it was of this UMEM.
    #[inline]
    fn take_back(&mut self, frame: &XskFrame) -> bool {
        if !frame.is_of(self.id) {
            self.xsk.foreign_frames += 1;
            return false;
        }
        self.out -= 1;
        true
    }
}

impl Port for XskPort {
    type Frame = XskFrame;

    fn rx_burst(&mut self, out: &mut Vec<XskFrame>, max: usize) -> usize {
        self.reap();
        self.take_returned();
        self.refill();
        self.kick_tx();
        let (base, mask, size, id) = (
            self.share.area.as_non_null_ptr(),
            self.chunk_mask,
            self.frame_size,
            self.id,
        );
        let mut r = self.rx.receive(max as u32);
        let mut n = 0u32;
        while let Some(XdpDesc { addr, len, .. }) = r.read() {
            // Safety: as in `frame`: a descriptor the kernel has just
            // returned names a chunk of this UMEM behind no other handle;
            // `out` counts the frame below, keeping the mapping.
            out.push(unsafe { XskFrame::at(base, mask, size, addr, len, id) });
            n += 1;
        }
        r.release();
        drop(r);
        self.out += i64::from(n);
        self.stats.rx_frames += u64::from(n);
        n as usize
    }

    fn tx_burst(&mut self, frames: &mut Vec<XskFrame>) -> usize {
        // A frame of another UMEM never reaches this port's ring or free
        // list: its offset would name a chunk of ours that someone else
        // may hold.
        let id = self.id;
        if frames.iter().any(|f| !f.is_of(id)) {
            let before = frames.len();
            frames.retain(|f| f.is_of(id));
            self.xsk.foreign_frames += (before - frames.len()) as u64;
        }
        self.out -= frames.len() as i64;
        // The ring's free count is cached and refreshed only once it reads
        // zero (xdpilone's `count_free`): a second pass takes what the
        // first left because the cache was stale.
        let mut n = 0;
        for _ in 0..2 {
            if n == frames.len() {
                break;
            }
            let mut w = self.tx.transmit((frames.len() - n) as u32);
            n += w.insert(frames[n..].iter().map(|f| XdpDesc {
                addr: f.addr(),
                len: f.desc_len(),
                options: 0,
            })) as usize;
            w.commit();
        }
        self.in_flight += n as u32;
        self.stats.tx_frames += n as u64;
        let mask = self.chunk_mask;
        for f in frames.drain(n..) {
            self.stats.tx_ring_full += 1;
            self.put_back(f.addr() & mask);
        }
        frames.clear();
        self.kick_tx();
        n
    }

    fn alloc(&mut self) -> Option<XskFrame> {
        if self.free.is_empty() {
            self.reap();
            self.take_returned();
        }
        match self.free.pop() {
            Some(chunk) => Some(self.frame(chunk + u64::from(self.headroom), 0)),
            None => {
                self.stats.alloc_failed += 1;
                None
            }
        }
    }

    fn recycle(&mut self, frame: XskFrame) {
        if self.take_back(&frame) {
            self.put_back(frame.addr() & self.chunk_mask);
        }
    }

    fn stats(&self) -> PortStats {
        self.stats
    }
}

//! One AF_XDP socket on one (interface, queue) as a [`Port`]: a UMEM of
//! its own (frame size, count and headroom configurable), its fill and
//! completion rings, its receive and transmit rings, bound in copy or
//! zero-copy mode with `need_wakeup`.
//!
//! Rules: frames never move: a received frame is answered in place and
//! transmitted from the same UMEM chunk; chunks circulate between a free
//! list, the fill ring, the receive ring, the worker and the transmit and
//! completion rings. Syscalls only when a ring asks for a wakeup
//! (`need_wakeup`). No allocation after `open`: the free list holds every
//! chunk from the start. Every frame handed out is stamped with the
//! port's id ([`XskFrame`]): another port's frame is refused (counted,
//! never put on a ring or the free list), and the UMEM stays mapped while
//! any frame of this port is held, even after the port is dropped.

use super::error::{XskError, XskStep};
use super::frame::{PortId, XskFrame};
use super::umem_area::UmemArea;
use crate::io::{Port, PortStats};
use xdpilone::xdp::XdpDesc;
use xdpilone::{DeviceQueue, IfInfo, RingRx, RingTx, Socket, SocketConfig, Umem, UmemConfig, User};

/// Most `sendto` wakeups of the transmit ring per poll (each sends up to
/// 32 frames in copy mode): a full burst of 64 replies and the frames a
/// worker originated in the same loop.
const TX_WAKEUPS_PER_CALL: usize = 8;

/// Sizes of one socket's UMEM and rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XskConfig {
    /// Bytes per UMEM chunk: 2048 or 4096.
    pub frame_size: u32,
    /// Chunks in the UMEM (a power of two; the four rings have an eighth
    /// as many slots each).
    pub frames: u32,
    /// Bytes the kernel leaves free before each received frame.
    pub headroom: u32,
}

impl Default for XskConfig {
    fn default() -> Self {
        XskConfig {
            frame_size: 2048,
            frames: 16384,
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
    /// Frames of another port handed to this one (`recycle`,
    /// `tx_burst`): refused, neither sent nor reused.
    pub foreign_frames: u64,
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
    _umem: Umem,
    /// Chunk addresses (UMEM offsets) free for the fill ring or `alloc`.
    free: Vec<u64>,
    /// Frames on the transmit ring not yet completed.
    in_flight: u32,
    /// Frames handed to the worker (`rx_burst`, `alloc`) and not yet
    /// returned (`tx_burst`, `recycle`): while any is out, dropping the
    /// port leaks the UMEM mapping instead of unmapping it.
    out: u32,
    /// Stamped in every frame this port hands out.
    id: PortId,
    ring: u32,
    chunk_mask: u64,
    frame_size: u32,
    headroom: u32,
    /// Bound in copy mode: a `sendto` sends synchronously (see `kick_tx`).
    copy: bool,
    stats: PortStats,
    xsk: XskStats,
    area: UmemArea,
}

// Safety: the port owns its UMEM mapping and every ring and socket over
// it; moved to the worker thread whole, it is then used by that thread
// only (the rings are single-producer single-consumer with the kernel).
unsafe impl Send for XskPort {}

impl Drop for XskPort {
    fn drop(&mut self) {
        // A frame still held points into the mapping: keep it mapped (the
        // rings and sockets close after this, so the kernel stops using
        // it; only the held chunks are still read or written).
        if self.out > 0 {
            self.area.leak();
        }
    }
}

fn step(step: XskStep) -> impl FnOnce(xdpilone::Errno) -> XskError {
    move |e| XskError {
        step,
        errno: e.get_raw(),
    }
}

/// Slots of each of the four rings for a UMEM of `frames` chunks: an
/// eighth, so that together they hold at most half the UMEM. However full
/// the kernel keeps them, the other half is left for the frames the worker
/// holds and the frames it originates: a burst after a stall cannot take
/// every frame and leave a connection's segment unsent until its
/// retransmission timer.
fn ring_slots(frames: u32) -> u32 {
    frames / 8
}

/// How often a bind refused with EBUSY is tried again, and the wait
/// between two tries: a second in all.
const BIND_BUSY_RETRIES: u32 = 20;
const BIND_BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

impl XskPort {
    /// Opens a socket on queue `queue` of interface `ifindex`, bound
    /// zero-copy when `zero_copy` (the driver refuses with EOPNOTSUPP where
    /// it cannot), copy mode otherwise.
    pub fn open(
        ifindex: u32,
        queue: u32,
        cfg: &XskConfig,
        zero_copy: bool,
    ) -> Result<XskPort, XskError> {
        let frames = cfg.frames.next_power_of_two().max(64);
        let frame_size = cfg.frame_size;
        if !(frame_size == 2048 || frame_size == 4096) || cfg.headroom + 256 > frame_size {
            return Err(XskError {
                step: XskStep::FrameSize,
                errno: libc::EINVAL,
            });
        }
        let id = PortId::next().ok_or(XskError {
            step: XskStep::PortId,
            errno: libc::EMFILE,
        })?;
        let area = UmemArea::new(frames as usize * frame_size as usize).map_err(|e| XskError {
            step: XskStep::UmemMapping,
            errno: e.raw_os_error().unwrap_or(libc::ENOMEM),
        })?;
        let ring = ring_slots(frames);
        let ucfg = UmemConfig {
            fill_size: ring,
            complete_size: ring,
            frame_size,
            headroom: cfg.headroom,
            flags: 0,
        };
        // Safety: the area is page-aligned, `frames * frame_size` bytes,
        // and lives in the port beside the `Umem` (dropped after it).
        let umem = unsafe { Umem::new(ucfg, area.as_non_null()) }
            .map_err(step(XskStep::UmemRegistration))?;
        let mut info = IfInfo::invalid();
        info.from_ifindex(ifindex)
            .map_err(step(XskStep::InterfaceLookup))?;
        info.set_queue(queue);
        let sock = Socket::with_shared(&info, &umem).map_err(step(XskStep::Socket))?;
        let device = umem
            .fq_cq(&sock)
            .map_err(step(XskStep::FillCompletionRings))?;
        let bind_flags = SocketConfig::XDP_BIND_NEED_WAKEUP
            | if zero_copy {
                SocketConfig::XDP_BIND_ZEROCOPY
            } else {
                SocketConfig::XDP_BIND_COPY
            };
        let user = umem
            .rx_tx(
                &sock,
                &SocketConfig {
                    rx_size: std::num::NonZeroU32::new(ring),
                    tx_size: std::num::NonZeroU32::new(ring),
                    bind_flags,
                },
            )
            .map_err(step(XskStep::RxTxRings))?;
        let rx = user.map_rx().map_err(step(XskStep::RxRingMapping))?;
        let tx = user.map_tx().map_err(step(XskStep::TxRingMapping))?;
        // The socket of a process that has just ended leaves its queue a
        // moment later (the kernel frees its UMEM in deferred work), so a
        // busy queue is asked again for a while before it is reported.
        let mut tries = 0;
        while let Err(e) = umem.bind(&user) {
            if e.get_raw() != libc::EBUSY || tries == BIND_BUSY_RETRIES {
                return Err(step(XskStep::Bind)(e));
            }
            tries += 1;
            std::thread::sleep(BIND_BUSY_WAIT);
        }
        let free = (0..frames as u64)
            .rev()
            .map(|i| i * frame_size as u64)
            .collect();
        let mut port = XskPort {
            rx,
            tx,
            device,
            user,
            _umem: umem,
            free,
            in_flight: 0,
            out: 0,
            id,
            ring,
            chunk_mask: !(frame_size as u64 - 1),
            frame_size,
            headroom: cfg.headroom,
            copy: !zero_copy,
            stats: PortStats::default(),
            xsk: XskStats::default(),
            area,
        };
        port.refill();
        Ok(port)
    }

    /// The socket's file descriptor, for the XSKMAP.
    pub fn fd(&self) -> i32 {
        self.user.as_raw_fd()
    }

    /// Frames handed out and not yet given back.
    pub fn frames_out(&self) -> u32 {
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
            self.free.push(addr & mask);
            n += 1;
        }
        c.release();
        self.in_flight -= n.min(self.in_flight);
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
    /// wakeup, asynchronously, so one is enough.
    #[inline]
    fn kick_tx(&mut self) {
        let wakeups = if self.copy { TX_WAKEUPS_PER_CALL } else { 1 };
        for _ in 0..wakeups {
            if self.tx.pending() == 0 || !self.tx.needs_wakeup() {
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
                self.area.as_non_null_ptr(),
                self.chunk_mask,
                self.frame_size,
                addr,
                len,
                self.id,
            )
        }
    }

    /// Takes `frame` back, or refuses (counts and forgets) another port's.
    /// Returns whether it was this port's.
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
        self.refill();
        self.kick_tx();
        let (base, mask, size, id) = (
            self.area.as_non_null_ptr(),
            self.chunk_mask,
            self.frame_size,
            self.id,
        );
        let mut r = self.rx.receive(max as u32);
        let mut n = 0;
        while let Some(XdpDesc { addr, len, .. }) = r.read() {
            // Safety: as in `frame`: a descriptor the kernel has just
            // returned names a chunk of this UMEM behind no other handle;
            // `out` counts the frame below, keeping the mapping.
            out.push(unsafe { XskFrame::at(base, mask, size, addr, len, id) });
            n += 1;
        }
        r.release();
        drop(r);
        self.out += n;
        self.stats.rx_frames += u64::from(n);
        n as usize
    }

    fn tx_burst(&mut self, frames: &mut Vec<XskFrame>) -> usize {
        // Another port's frame never reaches this port's ring or free
        // list: its offset would name a chunk of ours that someone else
        // may hold.
        let id = self.id;
        if frames.iter().any(|f| !f.is_of(id)) {
            let before = frames.len();
            frames.retain(|f| f.is_of(id));
            self.xsk.foreign_frames += (before - frames.len()) as u64;
        }
        self.out -= frames.len() as u32;
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
        for f in frames.drain(n..) {
            self.stats.tx_ring_full += 1;
            self.free.push(f.addr() & self.chunk_mask);
        }
        frames.clear();
        self.kick_tx();
        n
    }

    fn alloc(&mut self) -> Option<XskFrame> {
        if self.free.is_empty() {
            self.reap();
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
            self.free.push(frame.addr() & self.chunk_mask);
        }
    }

    fn stats(&self) -> PortStats {
        self.stats
    }
}

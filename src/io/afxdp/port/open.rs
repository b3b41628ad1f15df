//! Opening the sockets of one interface over one UMEM: the mapping and
//! its registration, then per queue a socket, its fill and completion
//! rings, its receive and transmit rings and its bind (the first socket
//! registers the UMEM and picks the mode; the others share it with no mode
//! flags, as the kernel requires), and the free list of its partition.
//!
//! Rules: everything is sized and mapped here, once; a failure names the
//! step and the queue.

use super::XskPort;
use crate::io::PortStats;
use crate::io::afxdp::error::{XskError, XskStep};
use crate::io::afxdp::frame::PortId;
use crate::io::afxdp::port::{XskConfig, XskStats};
use crate::io::afxdp::umem_area::UmemArea;
use crate::io::afxdp::umem_share::UmemShare;
use std::sync::Arc;
use xdpilone::{IfInfo, Socket, SocketConfig, Umem, UmemConfig};

fn step(step: XskStep) -> impl FnOnce(xdpilone::Errno) -> XskError {
    move |e| XskError {
        step,
        errno: e.get_raw(),
    }
}

/// Whether the running kernel is at least `major.minor` (`uname`; false
/// when it cannot be read).
fn kernel_at_least(major: u32, minor: u32) -> bool {
    // Safety: `utsname` is plain data; all-zero is a valid value, and
    // uname writes NUL-terminated strings into it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // Safety: `u` is a valid utsname for the call to fill.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    let release: String = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8 as char)
        .collect();
    let mut parts = release
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (have_major, have_minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (have_major, have_minor) >= (major, minor)
}

/// How often a bind refused with EBUSY is tried again, and the wait
/// between two tries: a second in all.
const BIND_BUSY_RETRIES: u32 = 20;
const BIND_BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

impl XskPort {
    /// Opens a socket on queue `queue` of interface `ifindex` over a UMEM
    /// of its own, bound zero-copy when `zero_copy` (the driver refuses
    /// with EOPNOTSUPP where it cannot), copy mode otherwise.
    pub fn open(
        ifindex: u32,
        queue: u32,
        cfg: &XskConfig,
        zero_copy: bool,
    ) -> Result<XskPort, XskError> {
        let mut one =
            XskPort::open_shared(ifindex, &[queue], cfg, zero_copy).map_err(|(_, e)| e)?;
        one.pop().ok_or(XskError {
            step: XskStep::Socket,
            errno: libc::EINVAL,
        })
    }

    /// Opens one socket per queue of `queues` on interface `ifindex`, all
    /// over one UMEM of `cfg.frames` chunks per queue (the first socket
    /// registers it, the others share it: `XDP_SHARED_UMEM`, bound in the
    /// first one's mode), bound zero-copy when `zero_copy`. On failure,
    /// the queue whose socket failed and why.
    pub fn open_shared(
        ifindex: u32,
        queues: &[u32],
        cfg: &XskConfig,
        zero_copy: bool,
    ) -> Result<Vec<XskPort>, (u32, XskError)> {
        let first = queues.first().copied().unwrap_or(0);
        let frames = cfg.chunks();
        let frame_size = cfg.frame_size;
        if !(frame_size == 2048 || frame_size == 4096) || cfg.headroom + 256 > frame_size {
            let e = XskError {
                step: XskStep::FrameSize,
                errno: libc::EINVAL,
            };
            return Err((first, e));
        }
        let id = PortId::next().ok_or((
            first,
            XskError {
                step: XskStep::PortId,
                errno: libc::EMFILE,
            },
        ))?;
        let partition = u64::from(frames) * u64::from(frame_size);
        let bytes = partition as usize * queues.len().max(1);
        let area = UmemArea::new(bytes).map_err(|e| {
            let errno = e.raw_os_error().unwrap_or(libc::ENOMEM);
            (
                first,
                XskError {
                    step: XskStep::UmemMapping,
                    errno,
                },
            )
        })?;
        let (rx_ring, tx_ring) = cfg.ring_slots();
        let ucfg = UmemConfig {
            fill_size: rx_ring,
            complete_size: tx_ring,
            frame_size,
            headroom: cfg.headroom,
            flags: 0,
        };
        // Safety: the area is page-aligned, `bytes` long, and lives in the
        // share beside the `Umem` (dropped after it).
        let umem = unsafe { Umem::new(ucfg, area.as_non_null()) }
            .map_err(|e| (first, step(XskStep::UmemRegistration)(e)))?;
        let share = Arc::new(UmemShare::new(
            umem,
            area,
            id,
            queues.len(),
            partition,
            frames as usize,
        ));
        let mut ports = Vec::with_capacity(queues.len());
        for (index, &queue) in queues.iter().enumerate() {
            let port = XskPort::bind_one(&share, ifindex, queue, index, cfg, zero_copy)
                .map_err(|e| (queue, e))?;
            ports.push(port);
        }
        Ok(ports)
    }

    /// The socket of `queue`, partition `index` of `share`: the first
    /// registers the UMEM's fill and completion rings on the UMEM's own
    /// socket and picks the mode; the others share it.
    fn bind_one(
        share: &Arc<UmemShare>,
        ifindex: u32,
        queue: u32,
        index: usize,
        cfg: &XskConfig,
        zero_copy: bool,
    ) -> Result<XskPort, XskError> {
        let umem = &share.umem;
        let frames = cfg.chunks();
        let (frame_size, (rx_ring, tx_ring)) = (cfg.frame_size, cfg.ring_slots());
        let mut info = IfInfo::invalid();
        info.from_ifindex(ifindex)
            .map_err(step(XskStep::InterfaceLookup))?;
        info.set_queue(queue);
        let sock = if index == 0 {
            Socket::with_shared(&info, umem)
        } else {
            Socket::new(&info)
        }
        .map_err(step(XskStep::Socket))?;
        let device = umem
            .fq_cq(&sock)
            .map_err(step(XskStep::FillCompletionRings))?;
        // A socket sharing another's UMEM takes that one's mode: the
        // kernel refuses mode flags on it.
        let bind_flags = match (index, zero_copy) {
            (0, true) => SocketConfig::XDP_BIND_NEED_WAKEUP | SocketConfig::XDP_BIND_ZEROCOPY,
            (0, false) => SocketConfig::XDP_BIND_NEED_WAKEUP | SocketConfig::XDP_BIND_COPY,
            _ => 0,
        };
        let user = umem
            .rx_tx(
                &sock,
                &SocketConfig {
                    rx_size: std::num::NonZeroU32::new(rx_ring),
                    tx_size: std::num::NonZeroU32::new(tx_ring),
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
        let base = index as u64 * u64::from(frames) * u64::from(frame_size);
        let free = (0..u64::from(frames))
            .rev()
            .map(|i| base + i * u64::from(frame_size))
            .collect();
        let mut port = XskPort {
            rx,
            tx,
            device,
            user,
            free,
            in_flight: 0,
            out: 0,
            id: share.id,
            index,
            ring: tx_ring,
            chunk_mask: !(u64::from(frame_size) - 1),
            frame_size,
            headroom: cfg.headroom,
            copy: !zero_copy,
            always_wake: index > 0 && !kernel_at_least(6, 0),
            stats: PortStats::default(),
            xsk: XskStats::default(),
            share: share.clone(),
        };
        port.refill();
        Ok(port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_kernel_is_read_from_uname() {
        // AF_XDP needs 4.18; no kernel is 999.
        assert!(kernel_at_least(4, 18));
        assert!(!kernel_at_least(999, 0));
    }

    #[test]
    fn the_receive_side_gets_a_quarter_and_the_default_shrinks_with_queues() {
        assert_eq!(XskConfig::slots_for(32_768), (8_192, 4_096));
        assert_eq!(XskConfig::slots_for(64), (16, 8));
        let frames: Vec<u32> = [1, 2, 3, 4, 8, 16, 256]
            .into_iter()
            .map(XskConfig::auto_frames)
            .collect();
        assert_eq!(
            frames,
            [32_768, 32_768, 16_384, 16_384, 8_192, 4_096, 4_096]
        );
        let x = XskConfig {
            frames: 1000,
            ..XskConfig::default()
        };
        // Sizes are rounded up to a power of two as the UMEM is.
        assert_eq!(x.ring_slots(), (256, 128));
    }
}

//! `io::afxdp`: the AF_XDP backend. One socket per (interface, queue),
//! each with its own rings over a partition of one UMEM that the
//! interface's sockets share ([`XskPort`], a [`Port`]); the XDP
//! program that redirects synwave's frames into them, loaded by synwave
//! itself from raw instructions ([`program`]) into an XSKMAP keyed by rx
//! queue, and attached through a bpf_link ([`bpf`]), so the kernel
//! detaches it when the process exits or dies.
//!
//! Rules: knows no TCP — which frames are ours is an address range given
//! by the caller, and none of it may be an address the kernel has on the
//! interface (the program would take the host's own connections); set-up
//! errors are data ([`OpenError`]) that the command line words with the
//! fix; nothing here runs per frame but `XskPort`'s ring work.
//!
//! [`Port`]: crate::io::Port

mod addresses;
pub mod bpf;
mod error;
mod frame;
mod iface;
pub mod nic_rss;
pub mod port;
pub mod privileges;
pub mod probe;
pub mod program;
mod umem_area;
mod umem_share;

pub use addresses::{AddressRange, Ours};
pub use error::{OpenError, XskError, XskStep};
pub use frame::XskFrame;
pub use iface::{Interface, InterfaceError, kernel_addresses};
pub use port::{BindMode, KernelDrops, XskConfig, XskPort, XskStats};

use std::os::fd::{AsRawFd, OwnedFd};

/// Where the XDP program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum XdpMode {
    /// Native, falling back to generic where the driver lacks it.
    #[default]
    Auto,
    /// In the driver (fastest; needs driver support).
    Native,
    /// On the skb after the driver (works everywhere, slower).
    Generic,
}

/// Whether sockets are bound zero-copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ZeroCopy {
    /// Zero-copy where the driver offers it, copy mode otherwise (said).
    #[default]
    Auto,
    /// Zero-copy or fail.
    On,
    /// Copy mode.
    Off,
}

/// What to open.
#[derive(Clone, Debug)]
pub struct AfXdpConfig {
    /// Interface name.
    pub iface: String,
    /// Queues to open, one socket (and worker) each.
    pub queues: Vec<u32>,
    /// UMEM and ring sizes per socket.
    pub xsk: XskConfig,
    /// Where the XDP program runs.
    pub xdp_mode: XdpMode,
    /// Zero-copy choice.
    pub zero_copy: ZeroCopy,
    /// Our addresses (IPv4, IPv6 or both): frames for them come to user
    /// space.
    pub ours: Ours,
    /// Only frames tagged with this 802.1Q VLAN id are ours (`None`:
    /// untagged frames).
    pub vlan: Option<u16>,
}

/// The attached XDP program: detached when dropped (or when the process
/// dies), as the bpf_link's last descriptor closes.
#[derive(Debug)]
pub struct Attachment {
    _link: OwnedFd,
    _prog: OwnedFd,
    _map: OwnedFd,
    /// "native" or "generic".
    pub mode: &'static str,
}

/// The opened interface: one port per queue, the attachment, and what was
/// chosen.
pub struct AfXdp {
    /// The interface.
    pub iface: Interface,
    /// The queues opened (`AfXdpConfig::queues`).
    pub queues: Vec<u32>,
    /// One port per queue, in that order.
    pub ports: Vec<XskPort>,
    /// The attached program.
    pub attachment: Attachment,
    /// How the sockets are bound.
    pub bind: BindMode,
    /// What auto modes fell back to, for the user.
    pub notes: Vec<String>,
}

/// Opens every queue of `cfg` and attaches the redirect program.
pub fn open(cfg: &AfXdpConfig) -> Result<AfXdp, OpenError> {
    let iface = checked_interface(cfg)?;
    let mut notes = Vec::new();
    let map_entries = iface
        .rx_queues
        .max(cfg.queues.iter().max().map_or(1, |q| q + 1));
    let map = bpf::create_xskmap(map_entries).map_err(|e| OpenError::bpf(&iface.name, e))?;
    let insns = program::redirect_program(&cfg.ours, cfg.vlan, map.as_raw_fd());
    let prog = bpf::load_xdp(&insns).map_err(|e| OpenError::bpf(&iface.name, e))?;
    let (ports, bind) = open_sockets(cfg, &iface, &map, &mut notes)?;
    let (link, mode) = attach(cfg.xdp_mode, &prog, &iface, &mut notes)?;
    Ok(AfXdp {
        iface,
        queues: cfg.queues.clone(),
        ports,
        attachment: Attachment {
            _link: link,
            _prog: prog,
            _map: map,
            mode,
        },
        bind,
        notes,
    })
}

/// The interface of `cfg`, once every check that needs no socket has
/// passed: privileges, the queues, the MTU, and that none of our
/// addresses is the kernel's own there.
fn checked_interface(cfg: &AfXdpConfig) -> Result<Interface, OpenError> {
    if let Some(caps) = privileges::effective_capabilities() {
        let missing = privileges::missing_capabilities(caps);
        if !missing.is_empty() {
            return Err(OpenError::Privileges(missing));
        }
    }
    let iface = Interface::by_name(&cfg.iface).map_err(OpenError::Interface)?;
    if cfg.queues.is_empty() {
        return Err(OpenError::NoQueue);
    }
    if let Some(&queue) = cfg.queues.iter().find(|&&q| q >= iface.rx_queues) {
        return Err(OpenError::QueueOutOfRange {
            iface: iface.name,
            queue,
            rx_queues: iface.rx_queues,
        });
    }
    if iface.mtu + 14 + 4 + cfg.xsk.headroom + 256 > cfg.xsk.frame_size {
        return Err(OpenError::MtuTooLarge {
            iface: iface.name,
            mtu: iface.mtu,
            frame_size: cfg.xsk.frame_size,
        });
    }
    // The program takes every TCP port of our addresses: one the kernel
    // has would lose the host's own connections to it (SSH included).
    let kernel = iface::kernel_addresses(&iface.name).map_err(|error| OpenError::Addresses {
        iface: iface.name.clone(),
        error,
    })?;
    if let Some(&(addr, prefix_len)) = kernel.iter().find(|(a, _)| cfg.ours.contains(*a)) {
        return Err(OpenError::KernelAddress {
            iface: iface.name,
            addr,
            prefix_len,
        });
    }
    Ok(iface)
}

/// One socket per queue of `cfg` over one UMEM they share (a partition
/// each), each put in the XSKMAP; zero-copy as `cfg.zero_copy` asks,
/// falling back to copy mode (noted) under `Auto`.
fn open_sockets(
    cfg: &AfXdpConfig,
    iface: &Interface,
    map: &OwnedFd,
    notes: &mut Vec<String>,
) -> Result<(Vec<XskPort>, BindMode), OpenError> {
    let per_queue = u64::from(cfg.xsk.frames.next_power_of_two()) * u64::from(cfg.xsk.frame_size);
    let umem_bytes = per_queue * cfg.queues.len().max(1) as u64;
    let failed = |(queue, error): (u32, XskError)| OpenError::Socket {
        iface: iface.name.clone(),
        queue,
        umem_bytes,
        memlock: privileges::memlock_limit().0,
        error,
    };
    let zero_copy = cfg.zero_copy != ZeroCopy::Off;
    let (ports, bind) = match XskPort::open_shared(iface.index, &cfg.queues, &cfg.xsk, zero_copy) {
        Ok(p) if zero_copy => (p, BindMode::ZeroCopy),
        Ok(p) => (p, BindMode::Copy),
        Err((_, e)) if cfg.zero_copy == ZeroCopy::Auto && e.is_no_zero_copy() => {
            notes.push(format!(
                "{}: no zero-copy AF_XDP in this driver ({}); using copy mode",
                iface.name,
                std::io::Error::from_raw_os_error(e.errno)
            ));
            let p =
                XskPort::open_shared(iface.index, &cfg.queues, &cfg.xsk, false).map_err(failed)?;
            (p, BindMode::Copy)
        }
        Err(e) => return Err(failed(e)),
    };
    for (port, &q) in ports.iter().zip(&cfg.queues) {
        bpf::xskmap_set(map, q, port.fd()).map_err(|e| OpenError::bpf(&iface.name, e))?;
    }
    Ok((ports, bind))
}

/// Attaches `prog` to `iface` in `mode` (native first under `Auto`, then
/// generic, noted); returns the link and the mode it runs in.
fn attach(
    mode: XdpMode,
    prog: &OwnedFd,
    iface: &Interface,
    notes: &mut Vec<String>,
) -> Result<(OwnedFd, &'static str), OpenError> {
    let attach = |flags: u32, mode: &'static str| {
        bpf::attach_xdp(prog, iface.index, flags)
            .map(|link| (link, mode))
            .map_err(|e| OpenError::Attach {
                iface: iface.name.clone(),
                mode,
                errno: e.error.raw_os_error().unwrap_or(0),
            })
    };
    match mode {
        XdpMode::Native => attach(bpf::XDP_FLAGS_DRV_MODE, "native"),
        XdpMode::Generic => attach(bpf::XDP_FLAGS_SKB_MODE, "generic"),
        XdpMode::Auto => match attach(bpf::XDP_FLAGS_DRV_MODE, "native") {
            Err(OpenError::Attach {
                errno: libc::EOPNOTSUPP | libc::EINVAL,
                ..
            }) => {
                notes.push(format!(
                    "{}: no native XDP in this driver; using generic XDP",
                    iface.name
                ));
                attach(bpf::XDP_FLAGS_SKB_MODE, "generic")
            }
            other => other,
        },
    }
}

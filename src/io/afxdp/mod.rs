//! `io::afxdp`: the AF_XDP backend. One socket per (interface, queue),
//! each with its own UMEM and rings ([`XskPort`], a [`Port`]); the XDP
//! program that redirects synwave's frames into them, loaded by synwave
//! itself from raw instructions ([`program`]) into an XSKMAP keyed by rx
//! queue, and attached through a bpf_link ([`bpf`]), so the kernel
//! detaches it when the process exits or dies.
//!
//! Rules: knows no TCP — which frames are ours is an address range given
//! by the caller; set-up errors are sentences that name the fix
//! ([`errors`]); nothing here runs per frame but `XskPort`'s ring work.
//!
//! [`Port`]: crate::io::Port

pub mod bpf;
pub mod errors;
mod frame;
mod iface;
pub mod port;
pub mod probe;
pub mod program;
mod umem_area;

pub use frame::XskFrame;
pub use iface::{Interface, InterfaceError};
pub use port::{BindMode, KernelDrops, XskConfig, XskError, XskPort, XskStats};
pub use program::AddressRange;

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
    /// Our addresses: frames for them come to user space.
    pub ours: AddressRange,
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

/// Opens every queue of `cfg` and attaches the redirect program. Errors
/// name the fix.
pub fn open(cfg: &AfXdpConfig) -> Result<AfXdp, String> {
    if let Some(caps) = errors::effective_capabilities() {
        let missing = errors::missing_capabilities(caps);
        if !missing.is_empty() {
            return Err(errors::privileges_message(&missing));
        }
    }
    let iface = Interface::by_name(&cfg.iface).map_err(|e| e.to_string())?;
    if cfg.queues.is_empty() {
        return Err("no queue to open: give --queues 1 or more".into());
    }
    if let Some(&q) = cfg.queues.iter().find(|&&q| q >= iface.rx_queues) {
        return Err(format!(
            "queue {q} is out of range: {} has {} receive queue(s) (0 to {}); give --queues at most {} (more with `ethtool -L {} combined N`, or a veth created with numrxqueues N)",
            iface.name,
            iface.rx_queues,
            iface.rx_queues - 1,
            iface.rx_queues,
            iface.name
        ));
    }
    if iface.mtu + 14 + 4 + cfg.xsk.headroom + 256 > cfg.xsk.frame_size {
        return Err(format!(
            "the MTU of {} ({}) does not fit a {}-byte UMEM frame: lower it (`ip link set dev {} mtu 1500`) or give --frame-size 4096",
            iface.name, iface.mtu, cfg.xsk.frame_size, iface.name
        ));
    }
    let mut notes = Vec::new();
    let umem_bytes = u64::from(cfg.xsk.frames.next_power_of_two()) * u64::from(cfg.xsk.frame_size);
    let map_entries = iface
        .rx_queues
        .max(cfg.queues.iter().max().map_or(1, |q| q + 1));
    let map = bpf::create_xskmap(map_entries).map_err(|e| bpf_message(&e, &iface.name))?;
    let insns = program::redirect_program(cfg.ours, map.as_raw_fd());
    let prog = bpf::load_xdp(&insns).map_err(|e| bpf_message(&e, &iface.name))?;
    let mut ports = Vec::with_capacity(cfg.queues.len());
    let mut bind = match cfg.zero_copy {
        ZeroCopy::Off => BindMode::Copy,
        ZeroCopy::On | ZeroCopy::Auto => BindMode::ZeroCopy,
    };
    for &q in &cfg.queues {
        let opened = XskPort::open(iface.index, q, &cfg.xsk, bind == BindMode::ZeroCopy);
        let port = match opened {
            Ok(p) => p,
            Err(e)
                if cfg.zero_copy == ZeroCopy::Auto
                    && bind == BindMode::ZeroCopy
                    && e.step == "bind"
                    && matches!(
                        e.errno,
                        libc::EOPNOTSUPP | libc::EINVAL | libc::EPROTONOSUPPORT
                    ) =>
            {
                notes.push(format!(
                    "{}: no zero-copy AF_XDP in this driver ({}); using copy mode",
                    iface.name,
                    std::io::Error::from_raw_os_error(e.errno)
                ));
                bind = BindMode::Copy;
                XskPort::open(iface.index, q, &cfg.xsk, false).map_err(|e| {
                    errors::socket_message(e.step, e.errno, &iface.name, q, umem_bytes)
                })?
            }
            Err(e) => {
                return Err(errors::socket_message(
                    e.step,
                    e.errno,
                    &iface.name,
                    q,
                    umem_bytes,
                ));
            }
        };
        bpf::xskmap_set(&map, q, port.fd()).map_err(|e| bpf_message(&e, &iface.name))?;
        ports.push(port);
    }
    let attach = |flags: u32, mode: &'static str| {
        bpf::attach_xdp(&prog, iface.index, flags)
            .map(|link| (link, mode))
            .map_err(|e| (e.error.raw_os_error().unwrap_or(0), mode))
    };
    let attached = match cfg.xdp_mode {
        XdpMode::Native => attach(bpf::XDP_FLAGS_DRV_MODE, "native"),
        XdpMode::Generic => attach(bpf::XDP_FLAGS_SKB_MODE, "generic"),
        XdpMode::Auto => match attach(bpf::XDP_FLAGS_DRV_MODE, "native") {
            Err((libc::EOPNOTSUPP | libc::EINVAL, _)) => {
                notes.push(format!(
                    "{}: no native XDP in this driver; using generic XDP",
                    iface.name
                ));
                attach(bpf::XDP_FLAGS_SKB_MODE, "generic")
            }
            other => other,
        },
    };
    let (link, mode) =
        attached.map_err(|(errno, mode)| errors::attach_message(errno, &iface.name, mode))?;
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

fn bpf_message(e: &bpf::BpfError, iface: &str) -> String {
    match e.error.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) if e.log.is_empty() => {
            errors::privileges_message(&["CAP_BPF", "CAP_NET_ADMIN"])
        }
        _ => format!("setting up XDP on {iface}: {e}"),
    }
}

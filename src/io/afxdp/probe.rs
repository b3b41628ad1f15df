//! What an interface and this host support for AF_XDP, each as a
//! [`Finding`] the command line words with its fix: privileges, AF_XDP
//! sockets, the locked-memory limit, native and generic XDP (a
//! pass-everything program attached for a moment through a bpf_link,
//! then detached), zero-copy (a small socket bound zero-copy on queue 0),
//! the queue count, and the NIC's RSS as its driver reports it.
//!
//! Rules: leaves nothing behind: every program and socket it makes is
//! closed before it returns.

use super::bpf::{self, BpfError};
use super::error::XskError;
use super::iface::{Interface, InterfaceError};
use super::nic_rss::{self, NicRss, RssQueryError};
use super::port::{XskConfig, XskPort};
use super::{privileges, program};

/// What one check found.
#[derive(Debug)]
pub enum Finding {
    /// The capabilities AF_XDP needs that the process lacks (none: ok).
    Privileges(Vec<&'static str>),
    /// `/proc/self/status` could not be read.
    PrivilegesUnknown,
    /// Whether a default UMEM locks: CAP_IPC_LOCK, the soft limit
    /// (`None`: unlimited), and the size of a default UMEM.
    LockedMemory {
        /// The process holds CAP_IPC_LOCK.
        ipc_lock: bool,
        /// The soft RLIMIT_MEMLOCK.
        soft: Option<u64>,
        /// Bytes of one default UMEM.
        umem: u64,
    },
    /// AF_XDP sockets: made, or the OS error number of socket(2).
    Sockets(Result<(), i32>),
    /// The interface.
    Interface(Result<Interface, InterfaceError>),
    /// Its receive queues.
    Queues(u32),
    /// Its RSS: hash function, key, table and hashed fields, or why they
    /// could not be read.
    Rss(Result<NicRss, RssQueryError>),
    /// An XDP mode ("native" or "generic"): a program attached (and was
    /// detached), or the OS error number.
    Xdp {
        /// "native" or "generic".
        mode: &'static str,
        /// The attach's outcome.
        result: Result<(), i32>,
    },
    /// No XDP program loads at all.
    ProgramLoad(BpfError),
    /// Queue 0 binds zero-copy, or the socket error.
    ZeroCopy(Result<(), XskError>),
}

impl Finding {
    /// What was checked, as the report's first column.
    pub fn what(&self) -> &'static str {
        match self {
            Finding::Privileges(_) | Finding::PrivilegesUnknown => "privileges",
            Finding::LockedMemory { .. } => "locked memory",
            Finding::Sockets(_) => "AF_XDP sockets",
            Finding::Interface(_) => "interface",
            Finding::Queues(_) => "queues",
            Finding::Rss(_) => "RSS",
            Finding::Xdp { mode: "native", .. } => "native XDP",
            Finding::Xdp { .. } => "generic XDP",
            Finding::ProgramLoad(_) => "XDP programs",
            Finding::ZeroCopy(_) => "zero-copy",
        }
    }

    /// Whether it is usable.
    pub fn ok(&self) -> bool {
        match self {
            Finding::Privileges(missing) => missing.is_empty(),
            Finding::PrivilegesUnknown | Finding::ProgramLoad(_) => false,
            Finding::LockedMemory {
                ipc_lock,
                soft,
                umem,
            } => *ipc_lock || soft.is_none_or(|s| s >= umem * 2),
            Finding::Sockets(r) | Finding::Xdp { result: r, .. } => r.is_ok(),
            Finding::Interface(r) => r.is_ok(),
            Finding::Queues(_) => true,
            Finding::Rss(r) => r.is_ok(),
            Finding::ZeroCopy(r) => r.is_ok(),
        }
    }

    /// Whether synwave runs without it (zero-copy, either XDP mode
    /// alone, and the RSS report: one queue needs none).
    pub fn optional(&self) -> bool {
        matches!(
            self,
            Finding::ZeroCopy(_) | Finding::Xdp { .. } | Finding::Rss(_)
        )
    }
}

/// Probes `iface` (with `attach`: also tries to attach XDP programs,
/// which on some NICs briefly resets the link).
pub fn probe(iface: &str, attach: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    match privileges::effective_capabilities() {
        Some(caps) => {
            out.push(Finding::Privileges(privileges::missing_capabilities(caps)));
            let d = XskConfig::default();
            out.push(Finding::LockedMemory {
                ipc_lock: privileges::has_ipc_lock(caps),
                soft: privileges::memlock_limit().0,
                umem: u64::from(d.frames) * u64::from(d.frame_size),
            });
        }
        None => out.push(Finding::PrivilegesUnknown),
    }
    // Safety: a plain socket call; closed at once.
    let fd = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW, 0) };
    out.push(Finding::Sockets(if fd >= 0 {
        // Safety: `fd` is ours.
        unsafe { libc::close(fd) };
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }));
    let info = match Interface::by_name(iface) {
        Ok(i) => i,
        Err(e) => {
            out.push(Finding::Interface(Err(e)));
            return out;
        }
    };
    let (index, rx_queues) = (info.index, info.rx_queues);
    out.push(Finding::Interface(Ok(info)));
    out.push(Finding::Queues(rx_queues));
    out.push(Finding::Rss(nic_rss::read(iface)));
    if !attach {
        return out;
    }
    match bpf::load_xdp(&program::pass_program()) {
        Ok(prog) => {
            for (flags, mode) in [
                (bpf::XDP_FLAGS_DRV_MODE, "native"),
                (bpf::XDP_FLAGS_SKB_MODE, "generic"),
            ] {
                let result = bpf::attach_xdp(&prog, index, flags)
                    .map(drop)
                    .map_err(|e| e.error.raw_os_error().unwrap_or(0));
                out.push(Finding::Xdp { mode, result });
            }
        }
        Err(e) => out.push(Finding::ProgramLoad(e)),
    }
    let small = XskConfig {
        frames: 64,
        ..XskConfig::default()
    };
    out.push(Finding::ZeroCopy(
        XskPort::open(index, 0, &small, true).map(drop),
    ));
    out
}

//! Why opening AF_XDP on an interface failed, as data: the step, the
//! values involved and the OS's answer ([`OpenError`], [`XskError`]). The
//! command line turns them into sentences that name the flag to change;
//! `Display` here states only what happened.
//!
//! Rules: a variant carries every value its fix needs (the interface,
//! the queue, the sizes, the limit in force when it failed), so wording it
//! needs no further look at the system.

use super::bpf::BpfError;
use super::iface::InterfaceError;
use std::fmt;
use std::net::IpAddr;

/// A step of opening one AF_XDP socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XskStep {
    /// The frame size and headroom asked for.
    FrameSize,
    /// A port id: the process has opened 2³² − 1 ports.
    PortId,
    /// Mapping the UMEM's memory.
    UmemMapping,
    /// Registering (and locking) the UMEM with the kernel.
    UmemRegistration,
    /// Looking the interface up by index.
    InterfaceLookup,
    /// Creating the socket.
    Socket,
    /// Creating the fill and completion rings.
    FillCompletionRings,
    /// Creating the receive and transmit rings.
    RxTxRings,
    /// Mapping the receive ring.
    RxRingMapping,
    /// Mapping the transmit ring.
    TxRingMapping,
    /// Binding the socket to its queue.
    Bind,
}

impl fmt::Display for XskStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            XskStep::FrameSize => "frame size",
            XskStep::PortId => "port id",
            XskStep::UmemMapping => "UMEM mapping",
            XskStep::UmemRegistration => "UMEM registration",
            XskStep::InterfaceLookup => "interface lookup",
            XskStep::Socket => "socket",
            XskStep::FillCompletionRings => "fill and completion rings",
            XskStep::RxTxRings => "receive and transmit rings",
            XskStep::RxRingMapping => "receive ring mapping",
            XskStep::TxRingMapping => "transmit ring mapping",
            XskStep::Bind => "bind",
        })
    }
}

/// Why a socket could not be opened: the step and the OS error number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XskError {
    /// The step that failed.
    pub step: XskStep,
    /// The OS error number.
    pub errno: i32,
}

impl XskError {
    /// The bind failed because the driver has no zero-copy mode.
    pub fn is_no_zero_copy(&self) -> bool {
        self.step == XskStep::Bind
            && matches!(
                self.errno,
                libc::EOPNOTSUPP | libc::EINVAL | libc::EPROTONOSUPPORT
            )
    }
}

impl fmt::Display for XskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AF_XDP {}: {}",
            self.step,
            std::io::Error::from_raw_os_error(self.errno)
        )
    }
}

impl std::error::Error for XskError {}

/// Why `afxdp::open` failed.
#[derive(Debug)]
pub enum OpenError {
    /// The process lacks capabilities AF_XDP needs (by name).
    Privileges(Vec<&'static str>),
    /// The interface could not be looked up.
    Interface(InterfaceError),
    /// Its addresses could not be read.
    Addresses {
        /// The interface.
        iface: String,
        /// The OS's answer.
        error: std::io::Error,
    },
    /// No queue was asked for.
    NoQueue,
    /// A queue the interface does not have.
    QueueOutOfRange {
        /// The interface.
        iface: String,
        /// The queue asked for.
        queue: u32,
        /// Its receive queues.
        rx_queues: u32,
    },
    /// The interface's MTU does not fit a UMEM frame.
    MtuTooLarge {
        /// The interface.
        iface: String,
        /// Its MTU.
        mtu: u32,
        /// The UMEM frame size.
        frame_size: u32,
    },
    /// One of our addresses is the kernel's own on the interface: the
    /// program would take every TCP port of it from the host (its SSH
    /// included).
    KernelAddress {
        /// The interface.
        iface: String,
        /// The address.
        addr: IpAddr,
        /// Its prefix length on the interface.
        prefix_len: u8,
    },
    /// A bpf(2) command failed (the XSKMAP, the program, a map entry).
    Bpf {
        /// The interface.
        iface: String,
        /// The command and the OS's answer.
        error: BpfError,
    },
    /// A step of opening one queue's socket failed.
    Socket {
        /// The interface.
        iface: String,
        /// The queue.
        queue: u32,
        /// The UMEM's size.
        umem_bytes: u64,
        /// The soft RLIMIT_MEMLOCK when it failed (`None`: unlimited).
        memlock: Option<u64>,
        /// The step and the OS's answer.
        error: XskError,
    },
    /// Attaching the program failed.
    Attach {
        /// The interface.
        iface: String,
        /// "native" or "generic".
        mode: &'static str,
        /// The OS error number.
        errno: i32,
    },
}

impl OpenError {
    /// A bpf(2) command on `iface` failed with `error`: a refusal for
    /// want of privileges (no verifier log) is said as such.
    pub(super) fn bpf(iface: &str, error: BpfError) -> OpenError {
        match error.error.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) if error.log.is_empty() => {
                OpenError::Privileges(vec!["CAP_BPF", "CAP_NET_ADMIN"])
            }
            _ => OpenError::Bpf {
                iface: iface.to_string(),
                error,
            },
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Privileges(missing) => {
                write!(f, "AF_XDP needs the capabilities {}", missing.join(", "))
            }
            OpenError::Interface(e) => e.fmt(f),
            OpenError::Addresses { iface, error } => {
                write!(f, "reading the addresses of {iface}: {error}")
            }
            OpenError::NoQueue => f.write_str("no queue to open"),
            OpenError::QueueOutOfRange {
                iface,
                queue,
                rx_queues,
            } => write!(
                f,
                "queue {queue} is out of range: {iface} has {rx_queues} receive queue(s)"
            ),
            OpenError::MtuTooLarge {
                iface,
                mtu,
                frame_size,
            } => write!(
                f,
                "the MTU of {iface} ({mtu}) does not fit a {frame_size}-byte UMEM frame"
            ),
            OpenError::KernelAddress {
                iface,
                addr,
                prefix_len,
            } => write!(
                f,
                "{addr} is the kernel's own address on {iface} ({addr}/{prefix_len})"
            ),
            OpenError::Bpf { iface, error } => write!(f, "setting up XDP on {iface}: {error}"),
            OpenError::Socket {
                iface,
                queue,
                error,
                ..
            } => write!(f, "{error} ({iface} queue {queue})"),
            OpenError::Attach { iface, mode, errno } => write!(
                f,
                "attaching the XDP program to {iface} in {mode} mode: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

impl std::error::Error for OpenError {}

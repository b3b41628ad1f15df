//! Why a run (`bench`, `serve`, `gen`) stopped before it ran, or failed
//! while it ran: each cause as data, the I/O layer's and the
//! configuration's errors passed through unchanged, so that the command
//! line words them with the flag that fixes them.
//!
//! Rules: no sentence names a command-line flag; `Display` reads well for
//! a library user, the CLI (`cli/run_errors.rs`) says which flag to change.

use super::arp_resolve::ArpError;
use super::pin::CoreError;
use crate::app::CloseKind;
use crate::flow::PortAllocError;
use crate::io::afxdp::OpenError;
use crate::io::loopback::LoopbackError;
use crate::io::pcap::PcapError;
use crate::metrics::prometheus::MetricsError;
use crate::scenario::SideError;
use std::fmt;

/// Why a run did not run, or stopped.
#[derive(Debug)]
pub enum RunError {
    /// The interface could not be opened for AF_XDP.
    Open(OpenError),
    /// The capture file could not be written.
    Pcap(PcapError),
    /// The in-memory link could not be built.
    Loopback(LoopbackError),
    /// A side's TCP or application configuration is out of its bounds.
    Side(SideError),
    /// The cores asked for cannot be used (too few, or missing).
    Core(CoreError),
    /// Fewer connections than generator workers.
    ConcurrencyBelowWorkers {
        /// Connections open at once, over all workers.
        concurrency: u64,
        /// Generator workers.
        workers: usize,
    },
    /// A generator's source addresses and destinations do not pair up:
    /// one family has `has` ("source" or "destination") but not the other.
    FamilyWithoutPeer {
        /// "IPv4" or "IPv6".
        family: &'static str,
        /// What that family has: "source" or "destination".
        has: &'static str,
    },
    /// `--rss nic` on an interface whose RSS would not steer replies to
    /// their queue.
    RssNotSteered {
        /// The interface.
        iface: String,
        /// Why not.
        why: super::nic_steering::NotSteered,
    },
    /// No worker to run.
    NoWorkers,
    /// An HTTP client waits for the server's close, so it cannot close
    /// this way.
    HttpNeedsServerFin(CloseKind),
    /// The source (address, port) pairs could not be shared out.
    SourcePorts(PortAllocError),
    /// The Prometheus endpoint could not listen.
    Metrics(MetricsError),
    /// The server's MAC could not be resolved.
    Arp(ArpError),
    /// The gateway (`--gateway`) did not answer ARP on the interface.
    GatewayArp {
        /// The interface asked on.
        iface: String,
        /// What did not answer.
        error: ArpError,
    },
    /// The secrets could not be drawn from the system's random source.
    Secrets(getrandom::Error),
    /// A thread could not be started.
    Thread {
        /// Which: "worker" or "stats".
        what: &'static str,
        /// Why.
        error: std::io::Error,
    },
    /// A worker thread panicked.
    WorkerPanicked,
}

macro_rules! from {
    ($t:ty, $v:ident) => {
        impl From<$t> for RunError {
            fn from(e: $t) -> RunError {
                RunError::$v(e)
            }
        }
    };
}

from!(OpenError, Open);
from!(PcapError, Pcap);
from!(LoopbackError, Loopback);
from!(SideError, Side);
from!(CoreError, Core);
from!(PortAllocError, SourcePorts);
from!(MetricsError, Metrics);
from!(ArpError, Arp);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Open(e) => e.fmt(f),
            RunError::Pcap(e) => e.fmt(f),
            RunError::Loopback(e) => e.fmt(f),
            RunError::Side(e) => e.fmt(f),
            RunError::Core(e) => e.fmt(f),
            RunError::ConcurrencyBelowWorkers {
                concurrency,
                workers,
            } => write!(
                f,
                "{concurrency} connection(s) at once for {workers} generator worker(s): each needs at least one"
            ),
            RunError::NoWorkers => f.write_str("no worker to run"),
            RunError::HttpNeedsServerFin(close) => write!(
                f,
                "an HTTP client waits for the server's close (Connection: close), so it cannot close with {close:?}"
            ),
            RunError::SourcePorts(e) => write!(f, "source ports: {e}"),
            RunError::Metrics(e) => e.fmt(f),
            RunError::FamilyWithoutPeer { family, has } => {
                write!(f, "an {family} {has} without an {family} peer")
            }
            RunError::RssNotSteered { iface, why } => {
                write!(
                    f,
                    "the RSS of {iface} does not steer replies to their queue: {why}"
                )
            }
            RunError::Arp(e) => e.fmt(f),
            RunError::GatewayArp { iface, error } => write!(f, "gateway on {iface}: {error}"),
            RunError::Secrets(e) => write!(f, "cannot read random secrets: {e}"),
            RunError::Thread { what, error } => write!(f, "cannot start a {what} thread: {error}"),
            RunError::WorkerPanicked => f.write_str("a worker thread panicked"),
        }
    }
}

impl std::error::Error for RunError {}

//! `io`: batched packet I/O behind one small trait, [`Port`]: receive a
//! burst, transmit a burst, allocate and recycle frame buffers. The
//! backend owns the buffers; a worker holds a frame between `rx_burst` and
//! `tx_burst`/`recycle`, and writes its reply into the same buffer (the
//! design's "reply in place").
//!
//! Backends: [`loopback`] (in-memory lock-free rings between workers,
//! seeded loss/duplication/reordering — the test and benchmark backend)
//! and [`afxdp`]; [`impaired`] adds the same impairments to any port.
//!
//! Rules: knows no TCP (a backend that must steer frames, as a NIC's RSS
//! does, is handed a steering function); no allocation, lock or syscall
//! per frame — buffers are allocated once and circulate, batches go into
//! caller-owned `Vec`s whose capacity is reserved up front.

pub mod afxdp;
pub mod impaired;
pub mod impairment;
pub mod loopback;
pub mod pcap;
mod port;
pub mod syn_policer;

pub use impaired::Impaired;
pub use impairment::{Fate, Impairer, Impairment, ImpairmentError};
pub use port::{FrameBuf, Port, PortStats};
pub use syn_policer::SynPolicer;

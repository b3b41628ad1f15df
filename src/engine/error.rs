//! Why an interface run (`serve`, `gen`) stopped before it ran: an error
//! of the I/O layer, kept as data so that the command line words it with
//! the flag that fixes it, or any other, already in words.
//!
//! Rules: the I/O layer's errors pass through unchanged; nothing here
//! words them.

use crate::io::afxdp::OpenError;
use crate::io::pcap::PcapError;
use std::fmt;

/// Why an interface run did not run.
#[derive(Debug)]
pub enum RunError {
    /// The interface could not be opened for AF_XDP.
    Open(OpenError),
    /// The capture file could not be written.
    Pcap(PcapError),
    /// Anything else, in words.
    Other(String),
}

impl From<OpenError> for RunError {
    fn from(e: OpenError) -> RunError {
        RunError::Open(e)
    }
}

impl From<PcapError> for RunError {
    fn from(e: PcapError) -> RunError {
        RunError::Pcap(e)
    }
}

impl From<String> for RunError {
    fn from(e: String) -> RunError {
        RunError::Other(e)
    }
}

impl From<&str> for RunError {
    fn from(e: &str) -> RunError {
        RunError::Other(e.to_string())
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Open(e) => e.fmt(f),
            RunError::Pcap(e) => e.fmt(f),
            RunError::Other(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for RunError {}

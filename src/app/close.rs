//! Who closes a connection, and how: the close pattern of a pair of
//! sides, each side's close mode under it, and how each side's record
//! ends when nothing goes wrong.
//!
//! Rules: one mapping from the pattern to each side's `CloseMode`.

use super::config::CloseMode;
use crate::tcp::End;

/// Who closes, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CloseKind {
    /// The client sends FIN first (it ends in TIME-WAIT).
    #[default]
    ClientFin,
    /// The server sends FIN first, after its response.
    ServerFin,
    /// The client aborts with RST once the exchange is done.
    Rst,
}

impl CloseKind {
    /// The client's close mode under this pattern.
    pub fn client_mode(self) -> CloseMode {
        match self {
            CloseKind::ClientFin => CloseMode::Fin,
            CloseKind::ServerFin => CloseMode::Wait,
            CloseKind::Rst => CloseMode::Rst,
        }
    }

    /// The server's close mode under this pattern.
    pub fn server_mode(self) -> CloseMode {
        match self {
            CloseKind::ClientFin | CloseKind::Rst => CloseMode::Wait,
            CloseKind::ServerFin => CloseMode::Fin,
        }
    }

    /// How a client connection ends when nothing goes wrong.
    pub fn client_end(self) -> End {
        match self {
            CloseKind::ClientFin => End::TimeWait,
            CloseKind::ServerFin => End::Closed,
            CloseKind::Rst => End::ResetSent,
        }
    }

    /// How a server connection ends when nothing goes wrong.
    pub fn server_end(self) -> End {
        match self {
            CloseKind::ClientFin => End::Closed,
            CloseKind::ServerFin => End::TimeWait,
            CloseKind::Rst => End::ResetByPeer,
        }
    }
}

//! Who closes a connection, and how: the close pattern of a pair of
//! sides, each side's close mode under it, and how each side's record
//! ends when nothing goes wrong.
//!
//! Rules: one mapping from the pattern to each side's `CloseMode`.

use super::config::CloseMode;
use crate::tcp::End;

/// Who closes, and how: the one close enum of the library (the command
/// line's `--close` maps to it, and it maps to each side's `CloseMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CloseKind {
    /// The client sends FIN first (it ends in TIME-WAIT).
    #[default]
    ClientFin,
    /// The server sends FIN first, after its response (it ends in
    /// TIME-WAIT).
    ServerFin,
    /// The client aborts with RST once the exchange is done.
    ClientRst,
    /// The server aborts with RST once its response is sent.
    ServerRst,
}

impl CloseKind {
    /// The client's close mode under this pattern.
    pub fn client_mode(self) -> CloseMode {
        match self {
            CloseKind::ClientFin => CloseMode::Fin,
            CloseKind::ClientRst => CloseMode::Rst,
            CloseKind::ServerFin | CloseKind::ServerRst => CloseMode::Wait,
        }
    }

    /// The server's close mode under this pattern.
    pub fn server_mode(self) -> CloseMode {
        match self {
            CloseKind::ServerFin => CloseMode::Fin,
            CloseKind::ServerRst => CloseMode::Rst,
            CloseKind::ClientFin | CloseKind::ClientRst => CloseMode::Wait,
        }
    }

    /// How a client connection ends when nothing goes wrong.
    pub fn client_end(self) -> End {
        match self {
            CloseKind::ClientFin => End::TimeWait,
            CloseKind::ServerFin => End::Closed,
            CloseKind::ClientRst => End::ResetSent,
            CloseKind::ServerRst => End::ResetByPeer,
        }
    }

    /// How a server connection ends when nothing goes wrong.
    pub fn server_end(self) -> End {
        match self {
            CloseKind::ClientFin => End::Closed,
            CloseKind::ServerFin => End::TimeWait,
            CloseKind::ClientRst => End::ResetByPeer,
            CloseKind::ServerRst => End::ResetSent,
        }
    }
}

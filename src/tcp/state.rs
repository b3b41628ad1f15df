//! Connection states, named as in RFC 9293 §3.3.2.

/// A TCP connection state. LISTEN is the listener itself; CLOSED is the
/// absence of a record; both appear here for completeness of reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a SYN (the listener).
    Listen,
    /// SYN sent, waiting for SYN-ACK.
    SynSent,
    /// SYN received and SYN-ACK sent, waiting for ACK.
    SynReceived,
    /// Open.
    Established,
    /// We sent FIN, waiting for its ACK or the peer's FIN.
    FinWait1,
    /// Our FIN is acknowledged, waiting for the peer's FIN.
    FinWait2,
    /// The peer sent FIN; waiting for our application to close.
    CloseWait,
    /// Both sent FIN, ours not yet acknowledged (simultaneous close).
    Closing,
    /// The peer closed first; our FIN sent, waiting for its ACK.
    LastAck,
    /// Active close done; waiting 2·MSL.
    TimeWait,
}

impl State {
    /// Synchronized states (RFC 9293 §3.5.2): after the handshake.
    #[inline]
    pub fn is_synchronized(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Listen | State::SynSent | State::SynReceived
        )
    }

    /// RFC name, e.g. `SYN-RECEIVED`.
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }
}

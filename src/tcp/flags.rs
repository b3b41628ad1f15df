//! The per-connection flags of a record: what the handshake negotiated,
//! how the record was opened, what is queued to send, and what the one
//! timer of the record currently means.
//!
//! Rules: a small copyable bit set with named constants, read and written
//! through methods; no logic beyond set operations.

/// A set of connection flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ConnFlags(u16);

impl ConnFlags {
    /// No flag.
    pub const NONE: ConnFlags = ConnFlags(0);
    /// Timestamps are in use (RFC 7323 §3).
    pub const TS_OK: ConnFlags = ConnFlags(1);
    /// SACK was negotiated (RFC 2018 §2).
    pub const SACK_OK: ConnFlags = ConnFlags(1 << 1);
    /// An ACK is owed and delayed (RFC 9293 §3.8.6.3, RFC 1122
    /// §4.2.3.2): the deadline is the delayed-ACK timer.
    pub const ACK_PENDING: ConnFlags = ConnFlags(1 << 2);
    /// Created by a passive open (a listener).
    pub const PASSIVE: ConnFlags = ConnFlags(1 << 3);
    /// The application queued our FIN.
    pub const FIN_QUEUED: ConnFlags = ConnFlags(1 << 4);
    /// The peer's FIN has been received.
    pub const FIN_RCVD: ConnFlags = ConnFlags(1 << 5);
    /// The deadline is the idle timeout.
    pub const IDLE_TIMER: ConnFlags = ConnFlags(1 << 6);
    /// The deadline is the application's timer.
    pub const APP_TIMER: ConnFlags = ConnFlags(1 << 7);
    /// The application's timer has fired (it fires once).
    pub const APP_TIMER_FIRED: ConnFlags = ConnFlags(1 << 8);
    /// The deadline is the persist timer (RFC 9293 §3.8.6.1): nothing in
    /// flight, something to send, and the peer's window closed.
    pub const PERSIST: ConnFlags = ConnFlags(1 << 9);
    /// An ACK arrived since the last window probe.
    pub const PROBE_ANSWERED: ConnFlags = ConnFlags(1 << 10);
    /// Duplicate ACKs in a row since the last new ACK, as two bits
    /// (`DUP_ACK_ONE` counts 1, `DUP_ACK_TWO` 2: the third starts fast
    /// retransmit, RFC 5681 §3.2).
    pub const DUP_ACK_ONE: ConnFlags = ConnFlags(1 << 11);
    /// See `DUP_ACK_ONE`.
    pub const DUP_ACK_TWO: ConnFlags = ConnFlags(1 << 12);
    /// In fast recovery (RFC 6582): no new data goes out until an ACK
    /// covers SND.NXT, each partial ACK retransmits the next segment.
    pub const RECOVERY: ConnFlags = ConnFlags(1 << 13);
    /// The segment at SND.UNA is to be retransmitted by the next output
    /// (fast retransmit or a partial ACK).
    pub const RETRANSMIT_DUE: ConnFlags = ConnFlags(1 << 14);
    /// SND.NXT went back to SND.UNA at a retransmission timeout (go-back-N,
    /// as BSD): ACKs up to the end of the queued stream stay acceptable
    /// until everything queued is acknowledged.
    pub const REWOUND: ConnFlags = ConnFlags(1 << 15);

    /// Every flag of `f` is set.
    #[inline]
    pub fn has(self, f: ConnFlags) -> bool {
        self.0 & f.0 == f.0
    }

    /// Sets the flags of `f`.
    #[inline]
    pub fn set(&mut self, f: ConnFlags) {
        self.0 |= f.0;
    }

    /// Clears the flags of `f`.
    #[inline]
    pub fn clear(&mut self, f: ConnFlags) {
        self.0 &= !f.0;
    }

    /// The flags of both sets.
    #[inline]
    pub fn and(self, f: ConnFlags) -> ConnFlags {
        ConnFlags(self.0 & f.0)
    }
}

impl core::ops::BitOr for ConnFlags {
    type Output = ConnFlags;
    #[inline]
    fn bitor(self, rhs: ConnFlags) -> ConnFlags {
        ConnFlags(self.0 | rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_clear_and_test() {
        let mut f = ConnFlags::NONE;
        f.set(ConnFlags::TS_OK | ConnFlags::PASSIVE);
        assert!(f.has(ConnFlags::TS_OK));
        assert!(f.has(ConnFlags::TS_OK | ConnFlags::PASSIVE));
        assert!(!f.has(ConnFlags::TS_OK | ConnFlags::ACK_PENDING));
        f.clear(ConnFlags::TS_OK);
        assert!(!f.has(ConnFlags::TS_OK));
        f.set(ConnFlags::IDLE_TIMER);
        assert_eq!(
            f.and(ConnFlags::IDLE_TIMER | ConnFlags::ACK_PENDING),
            ConnFlags::IDLE_TIMER
        );
        f.clear(ConnFlags::IDLE_TIMER);
        assert_eq!(f, ConnFlags::PASSIVE);
    }
}

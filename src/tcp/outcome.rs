//! What the state machine asks of its caller: at most one segment to send,
//! the events that happened (for counters), and whether the record ended.

use super::app_state::AppState;
use crate::wire::TcpRepr;

/// A segment to send. `repr` carries ports, numbers, flags and options; the
/// data is `data_len` bytes of the connection's stream starting at offset
/// `data_offset` (0: the first byte after the SYN), which the application
/// whose state is `app` resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    /// Header and options.
    pub repr: TcpRepr,
    /// Offset of the data in the connection's stream.
    pub data_offset: u32,
    /// Data length (0 for control segments).
    pub data_len: u16,
    /// The application's state of the connection that sent it.
    pub app: AppState,
}

impl Reply {
    /// A control segment without data.
    #[inline]
    pub fn control(repr: TcpRepr) -> Reply {
        Reply {
            repr,
            data_offset: 0,
            data_len: 0,
            app: AppState(0),
        }
    }
}

/// Events of one call, as bits, named like the engine's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Events(pub u32);

macro_rules! events {
    ($($(#[$m:meta])* $name:ident = $bit:expr;)*) => {
        impl Events {
            $($(#[$m])* pub const $name: Events = Events(1 << $bit);)*
            /// Every event with its counter name.
            pub const ALL: &'static [(Events, &'static str)] = &[
                $((Events::$name, stringify!($name)),)*
            ];
        }
    };
}

events! {
    /// A SYN was sent (active open).
    SYN_TX = 0;
    /// A SYN-ACK was sent from state (SYN queue or simultaneous open).
    SYNACK_TX = 1;
    /// A SYN-ACK carrying a cookie was sent (no state kept).
    COOKIE_SENT = 2;
    /// An ACK carried a valid cookie; a connection was created from it.
    COOKIE_OK = 3;
    /// An ACK to a listener carried an invalid cookie.
    COOKIE_BAD = 4;
    /// The connection reached ESTABLISHED.
    ESTABLISHED = 5;
    /// A FIN from the peer was accepted.
    FIN_RX = 6;
    /// A FIN was sent (first transmission).
    FIN_TX = 7;
    /// A valid RST was received.
    RST_RX = 8;
    /// A RST was sent.
    RST_TX = 9;
    /// A challenge ACK was sent (RFC 5961).
    CHALLENGE_ACK = 10;
    /// A challenge ACK was suppressed by the rate limit.
    CHALLENGE_ACK_LIMITED = 11;
    /// A segment was retransmitted.
    RETRANSMIT = 12;
    /// New in-order data was received.
    DATA_RX = 13;
    /// Data was sent (first transmission).
    DATA_TX = 14;
    /// A segment failed the acceptability test and was answered by an ACK.
    OUT_OF_WINDOW = 15;
    /// A segment failed PAWS (RFC 7323 §5).
    PAWS_REJECT = 16;
    /// The connection entered TIME-WAIT.
    TIME_WAIT = 17;
    /// A SYN was dropped because the SYN queue was full (cookies off).
    SYN_QUEUE_FULL = 18;
    /// A RST to an unknown connection was suppressed by the rate limit.
    RST_LIMITED = 19;
    /// A segment was dropped without an answer.
    DROPPED = 20;
    /// TIME-WAIT was ended early by a new SYN (RFC 6191).
    TIME_WAIT_REUSED = 21;
    /// A SYN was received by a listener.
    SYN_RX = 22;
    /// The application read a response of success (an HTTP 2xx status).
    HTTP_2XX = 23;
    /// The application read a response of another kind (an HTTP status
    /// other than 2xx, or not HTTP).
    HTTP_OTHER = 24;
    /// A zero-window probe was sent (RFC 9293 §3.8.6.1; not a
    /// retransmission).
    WINDOW_PROBE = 25;
    /// A duplicate ACK (for an out-of-window, PAWS-failing or unsent-data
    /// segment) was suppressed by the per-connection rate limit.
    DUP_ACK_LIMITED = 26;
    /// A SYN was retransmitted (SYN-SENT's timer; also counted in
    /// `RETRANSMIT`).
    SYN_RETRANSMIT = 27;
    /// A segment was resent by fast retransmit or a partial ACK in fast
    /// recovery (RFC 5681 §3.2, RFC 6582; also counted in `RETRANSMIT`).
    FAST_RETRANSMIT = 28;
    /// An ACK went out when the delayed-ACK timer fired (`--delayed-ack`;
    /// ACKs that ride on data or follow a second segment are not counted).
    DELAYED_ACK = 29;
}

impl Events {
    /// No event.
    pub const NONE: Events = Events(0);

    /// All bits of `e` are set.
    #[inline]
    pub fn contains(self, e: Events) -> bool {
        self.0 & e.0 == e.0
    }

    /// Some bit of `e` is set.
    #[inline]
    pub fn intersects(self, e: Events) -> bool {
        self.0 & e.0 != 0
    }
}

impl core::ops::BitOr for Events {
    type Output = Events;
    #[inline]
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Events {
    #[inline]
    fn bitor_assign(&mut self, rhs: Events) {
        self.0 |= rhs.0;
    }
}

/// How a connection record ended. After any `End` the caller deletes the
/// record; after `TimeWait` it keeps a `TimeWait` record instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// Closed normally (our FIN acknowledged in LAST-ACK).
    Closed,
    /// Entered TIME-WAIT (active close completed).
    TimeWait,
    /// The peer reset the connection.
    ResetByPeer,
    /// We reset the connection (close mode `Rst`, or `abort`).
    ResetSent,
    /// Retransmissions exhausted.
    RetriesExceeded,
    /// FIN-WAIT-2 timed out.
    FinWait2Timeout,
    /// No segment for `idle_timeout_us`; we reset the connection.
    IdleTimeout,
    /// A new SYN hit a passive SYN-RECEIVED record, which returned to
    /// LISTEN (RFC 9293 §3.10.7.4, fourth step).
    ReturnedToListen,
}

impl End {
    /// The name of the counter of records that ended this way.
    pub fn counter_name(self) -> &'static str {
        match self {
            End::Closed => "end_closed",
            End::TimeWait => "end_time_wait",
            End::ResetByPeer => "end_reset_by_peer",
            End::ResetSent => "end_reset_sent",
            End::RetriesExceeded => "end_retries_exceeded",
            End::FinWait2Timeout => "end_fin_wait2_timeout",
            End::IdleTimeout => "end_idle_timeout",
            End::ReturnedToListen => "end_returned_to_listen",
        }
    }
}

/// The result of one state-machine call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// A segment to send.
    pub reply: Option<Reply>,
    /// What happened.
    pub events: Events,
    /// Set when the record ended.
    pub end: Option<End>,
}

impl Outcome {
    /// Nothing to send, only events.
    #[inline]
    pub fn events(events: Events) -> Outcome {
        Outcome {
            reply: None,
            events,
            end: None,
        }
    }
}

//! `tcp`: the connection state machine, sans-IO.
//!
//! Segments in, verdicts and reply segments out; `now` (µs) is passed in;
//! no syscalls, no clock, no allocation. States are named as in RFC 9293.
//! `tcp` knows no application: the one above a connection implements
//! [`Application`] and is passed to the entry points as a type parameter.
//!
//! - [`Tcb`]: a connection record: active open ([`Tcb::connect`]), segment
//!   arrival ([`Tcb::on_segment`]), timers ([`Tcb::on_timer`]), close and
//!   abort. Every call returns an [`Outcome`]: at most one segment to send,
//!   the events that happened, and whether the record ended. When the
//!   send window takes more ([`Tcb::wants_to_send`]), the caller pulls
//!   the further segments with [`Tcb::send_more`].
//! - [`Application`], [`Conn`], [`AppState`]: what TCP asks of the
//!   application, the handle it gets on its turn, and its opaque
//!   per-connection state.
//! - [`on_listen`] / [`on_closed`]: segments with no record: passive open
//!   (SYN queue or SYN cookies) and resets.
//! - [`TimeWait`]: the reduced record kept for 2·MSL after an active close.
//! - [`SynCookies`], [`IsnGenerator`]: RFC 4987 cookies in Linux's layout,
//!   RFC 6528 ISNs.
//!
//! One state machine for both address families: the entry points take
//! the four-tuple of either (`FourTuple<A>`); what differs is the MSS
//! (the IPv6 header is 20 bytes longer, and cookies carry Linux's IPv6
//! MSS table) and the keyed input of a tuple (`tuple_keys`).

mod app_state;
mod application;
mod close;
mod config;
mod congestion;
mod context;
pub mod cookie;
mod delayed_ack;
mod flags;
mod input;
mod isn;
mod listener;
mod oow;
mod outcome;
mod output;
mod paws;
mod prf;
mod ratelimit;
mod rtt;
mod secrets;
mod state;
mod tcb;
mod time_wait;
mod timers;
mod tuple_keys;

pub use app_state::AppState;
pub use application::{Application, Conn};
pub use config::{CookiePolicy, Defences, TcpConfig, TcpConfigError, Tunables};
pub use context::{RealClock, TcpContext};
pub use cookie::{Cookie, SynCookies};
pub use isn::IsnGenerator;
pub use listener::{STATELESS_SYN_EVENTS, on_closed, on_listen, on_listen_as, stateless_syn_ack};
pub use oow::INVALID_ACK_GAP_MS;
pub use outcome::{End, Events, Outcome, Reply};
pub use ratelimit::{ChallengeBudget, RateLimiter};
pub use secrets::Secrets;
pub use state::State;
pub use tcb::{DEFAULT_MSS, Tcb};
pub use time_wait::{TimeWait, TwVerdict};

#[cfg(test)]
mod tests {
    use super::*;

    /// Records stay small so tens of millions fit in memory: a record in
    /// at most 64 bytes, a TIME-WAIT record in at most 32.
    #[test]
    fn record_sizes() {
        assert!(
            core::mem::size_of::<Tcb>() <= 64,
            "{}",
            core::mem::size_of::<Tcb>()
        );
        assert!(
            core::mem::size_of::<TimeWait>() <= 32,
            "{}",
            core::mem::size_of::<TimeWait>()
        );
        assert_eq!(core::mem::size_of::<Tcb>(), 64);
        assert_eq!(core::mem::size_of::<TimeWait>(), 28);
        assert_eq!(core::mem::align_of::<TimeWait>(), 4);
    }
}

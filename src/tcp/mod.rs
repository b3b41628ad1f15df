//! `tcp`: the connection state machine, sans-IO.
//!
//! Segments in, verdicts and reply segments out; `now` (µs) is passed in;
//! no syscalls, no clock, no allocation. States are named as in RFC 9293.
//!
//! - [`Tcb`]: a connection record: active open ([`Tcb::connect`]), segment
//!   arrival ([`Tcb::on_segment`]), timers ([`Tcb::on_timer`]), close and
//!   abort. Every call returns an [`Outcome`]: at most one segment to send,
//!   the events that happened, and whether the record ended.
//! - [`on_listen`] / [`on_closed`]: segments with no record: passive open
//!   (SYN queue or SYN cookies) and resets.
//! - [`TimeWait`]: the reduced record kept for 2·MSL after an active close.
//! - [`SynCookies`], [`IsnGenerator`]: RFC 4987 cookies in Linux's layout,
//!   RFC 6528 ISNs.

mod config;
mod context;
pub mod cookie;
mod input;
mod isn;
mod listener;
mod outcome;
mod prf;
mod ratelimit;
mod state;
mod tcb;
mod time_wait;

pub use config::{AppConfig, AppProtocol, CloseMode, CookiePolicy, Defences, TcpConfig};
pub use context::{Secrets, TcpContext};
pub use cookie::SynCookies;
pub use isn::IsnGenerator;
pub use listener::{STATELESS_SYN_EVENTS, on_closed, on_listen, stateless_syn_ack};
pub use outcome::{End, Events, Outcome, Reply};
pub use ratelimit::RateLimiter;
pub use state::State;
pub use tcb::{DEFAULT_MSS, Tcb};
pub use time_wait::{TimeWait, TwVerdict};

//! The canned application's configuration: what one side sends, after how
//! many received bytes, how it reads the peer's message, how it closes,
//! and how long it holds the connection first; with its validation.
//!
//! Rules: data only; validation returns an `AppConfigError` naming the
//! value and its bound, never a command-line flag.

use std::sync::Arc;

/// How a side ends its connection once its exchange is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CloseMode {
    /// Send FIN (active close: FIN-WAIT-1 … TIME-WAIT on this side).
    Fin,
    /// Wait for the peer's FIN, then close at once (passive close).
    #[default]
    Wait,
    /// Abort with RST (SO_LINGER 0 style).
    Rst,
}

/// How a side tells that the peer's message is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AppProtocol {
    /// By counting bytes (`send_after`, `expect`).
    #[default]
    Bytes,
    /// HTTP/1.1 (see `app::http`). A server takes a request as complete
    /// at the empty line ending its header block, in place of
    /// `send_after` and `expect`. A client counts the class of each
    /// response's status code (`HTTP_2XX`, `HTTP_OTHER`) and keeps
    /// `send_after` and `expect` (the response's end is the server's FIN).
    Http,
}

/// The canned application on one side of a connection.
///
/// Both sides follow the same rule: send `payload` once `send_after` bytes
/// have been received, and consider the exchange done once `expect` bytes
/// have been received and the payload is sent. A client has
/// `send_after = 0` (request right after the handshake) and
/// `expect = response length`; a server has `send_after = expect = request
/// length`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Bytes this side sends (request or response).
    pub payload: Arc<[u8]>,
    /// Bytes to receive before sending `payload`.
    pub send_after: u32,
    /// Bytes to receive before the exchange is done.
    pub expect: u32,
    /// What to do once the exchange is done.
    pub close: CloseMode,
    /// In CLOSE-WAIT, close at once (true) or wait for `Tcb::close` (false).
    pub close_on_peer_fin: bool,
    /// How the peer's message is read.
    pub protocol: AppProtocol,
    /// Once the exchange is done, wait this long (µs) before closing
    /// (0: close at once). The peer's FIN still closes at once.
    pub hold_us: u64,
    /// Transactions per connection (at least 1): `payload` holds this
    /// many messages of equal length back to back, one sent per
    /// transaction; `send_after` and `expect` count per transaction.
    pub requests: u32,
    /// A client's pause between a response and its next request (µs).
    pub think_us: u64,
}

impl Default for AppConfig {
    /// Sends nothing, one transaction, waits for the peer's FIN.
    fn default() -> AppConfig {
        AppConfig {
            payload: Arc::from(Vec::new()),
            send_after: 0,
            expect: 0,
            close: CloseMode::default(),
            close_on_peer_fin: false,
            protocol: AppProtocol::default(),
            hold_us: 0,
            requests: 1,
            think_us: 0,
        }
    }
}

impl AppConfig {
    /// The length of one transaction's message (`payload` holds
    /// `requests` of them).
    #[inline]
    pub fn message_len(&self) -> u32 {
        (self.payload.len() / self.requests.max(1) as usize) as u32
    }

    /// Sends nothing and closes as soon as the peer does.
    pub fn passive_close() -> AppConfig {
        AppConfig {
            close_on_peer_fin: true,
            ..AppConfig::default()
        }
    }
}

/// The longest message one side sends (request or response; with several
/// transactions per connection, all of them together): 16 MiB.
/// A segment names its bytes by a 32-bit stream offset; the bound keeps
/// each side's memory for its messages small.
pub const MAX_MESSAGE: usize = 1 << 24;

/// The most applications (templates) one side follows.
pub const MAX_TEMPLATES: usize = 255;

/// An application configuration out of its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppConfigError {
    /// A message longer than `MAX_MESSAGE` bytes.
    MessageTooLong {
        /// Its length.
        len: usize,
    },
    /// No transaction, or messages that do not split into `requests`
    /// equal parts.
    Requests {
        /// Transactions asked for.
        requests: u32,
    },
    /// More than `MAX_TEMPLATES` applications.
    TooManyTemplates {
        /// How many were given.
        count: usize,
    },
}

impl core::fmt::Display for AppConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AppConfigError::MessageTooLong { len } => write!(
                f,
                "a {len}-byte message is too long: at most {MAX_MESSAGE} bytes (request or response, HTTP header included)"
            ),
            AppConfigError::Requests { requests } => write!(
                f,
                "{requests} transactions per connection: give 1 or more, with messages that fit {MAX_MESSAGE} bytes all together"
            ),
            AppConfigError::TooManyTemplates { count } => {
                write!(f, "{count} templates: at most {MAX_TEMPLATES}")
            }
        }
    }
}

impl std::error::Error for AppConfigError {}

impl AppConfig {
    /// Checks the bounds of one application.
    pub fn validate(&self) -> Result<(), AppConfigError> {
        if self.payload.len() > MAX_MESSAGE {
            return Err(AppConfigError::MessageTooLong {
                len: self.payload.len(),
            });
        }
        if self.requests == 0 || self.payload.len() % self.requests as usize != 0 {
            return Err(AppConfigError::Requests {
                requests: self.requests,
            });
        }
        Ok(())
    }
}

//! `app`: the application above TCP: the canned request/response exchange
//! that turns a connection into a client or a server without a socket API
//! (what to send after how many bytes, what to expect, how to close, how
//! long to hold), per template, and the minimal HTTP/1.1 it speaks.
//!
//! Rules: above `tcp`, below `endpoint`. [`Canned`] implements
//! `tcp::Application`; TCP keeps the mechanics (send queue, FIN, timer),
//! this layer decides. No I/O, no clock, no allocation per segment.

mod canned;
mod close;
mod config;
pub mod http;
mod program;
mod template;

pub use canned::Canned;
pub use close::CloseKind;
pub use config::{AppConfig, AppConfigError, AppProtocol, CloseMode, MAX_MESSAGE, MAX_TEMPLATES};
pub use program::ServerProgram;
pub use template::{Template, TemplateKind, client_apps};

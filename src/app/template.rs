//! A profile's connection template (TRex ASTF's notion): its share of the
//! connections and its kind, which the generator mixes, and its client
//! application (request, awaited response, close, hold), which becomes
//! the client's `AppConfig` for that template: bytes counted, or HTTP
//! (a GET, or a POST with a body, for the template's path, its
//! responses read for their status class until the server's close).
//!
//! Rules: data and the one mapping to the client's applications; parsing
//! is the profile's (`crate::profile`), mixing the engine's.

use super::canned::Canned;
use super::close::CloseKind;
use super::config::{AppConfig, AppProtocol};
use super::http;

/// What a template's connections do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    /// A full connection: handshake, the optional request and response,
    /// then the close.
    Connect,
    /// A SYN and nothing else: no record, no port taken (a SYN flood).
    SynOnly,
}

/// One connection lifecycle of a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Its name in the summary and the JSON.
    pub name: String,
    /// Its share of the connections, relative to the other weights.
    pub weight: u32,
    /// Full connection or SYN only.
    pub kind: TemplateKind,
    /// How the client ends it (client-fin or rst; the server's close is
    /// the run's).
    pub close: CloseKind,
    /// Bytes the client sends after the handshake (0: none).
    pub request_bytes: u32,
    /// Bytes of response the client waits for before closing (0: none;
    /// the server sends what it is configured to send).
    pub response_bytes: u32,
    /// SYN-only source addresses: (first, count).
    pub spoof: Option<([u8; 4], u32)>,
    /// Time the client holds the connection open after its exchange,
    /// before its close (µs).
    pub hold_us: u64,
    /// Request/response transactions per connection (at least 1).
    pub requests: u32,
    /// The client's pause between a response and its next request (µs).
    pub think_us: u64,
    /// Speaks HTTP with requests for this path (`None`: bytes counted).
    pub http_path: Option<String>,
}

impl Template {
    /// The client application of this template: its request at once, its
    /// response awaited, then its close; an HTTP template's requests for
    /// `host` (pipelined when several), the responses ending at the
    /// server's close.
    pub fn client_app(&self, host: &str) -> AppConfig {
        if let Some(path) = &self.http_path {
            let n = self.requests.max(1);
            return AppConfig {
                payload: http::requests_with_body(path, host, n, self.request_bytes).into(),
                send_after: 0,
                expect: u32::MAX,
                close: self.close.client_mode(),
                close_on_peer_fin: true,
                protocol: AppProtocol::Http,
                hold_us: self.hold_us,
                requests: 1,
                think_us: 0,
            };
        }
        AppConfig {
            payload: vec![b'q'; self.request_bytes as usize * self.requests.max(1) as usize].into(),
            send_after: 0,
            expect: self.response_bytes,
            close: self.close.client_mode(),
            close_on_peer_fin: true,
            protocol: AppProtocol::Bytes,
            hold_us: self.hold_us,
            requests: self.requests.max(1),
            think_us: self.think_us,
        }
    }
}

/// A client's applications: one per template of `templates` (HTTP ones
/// asking `host`), or `app` alone without templates.
pub fn client_apps(app: AppConfig, templates: &[Template], host: &str) -> Canned {
    match templates.split_first() {
        Some((first, rest)) => Canned::with_templates(
            first.client_app(host),
            rest.iter().map(|t| t.client_app(host)).collect(),
        ),
        None => Canned::new(app),
    }
}

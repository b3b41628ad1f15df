//! The traffic both drivers (the virtual-time `sim` and the real-time
//! `engine`) generate: who closes and how, the cookie policy, the request
//! and response sizes, a profile's connection templates, and the client
//! and server endpoints built from them.
//!
//! Rules: no I/O, no clock; it builds endpoints and never runs them.

use crate::endpoint::{ENDS, Endpoint, EndpointConfig};
use crate::tcp::{
    AppConfig, AppProtocol, CloseMode, CookiePolicy, Defences, End, Secrets, TcpConfig, TcpContext,
};
use crate::wire::MacAddr;
use std::sync::Arc;

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
}

/// One kind of connection, repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Close pattern.
    pub close: CloseKind,
    /// The server's SYN cookie policy.
    pub cookies: CookiePolicy,
    /// Bytes of the client's request (0: none).
    pub request_bytes: u32,
    /// Bytes of the server's response (0: none).
    pub response_bytes: u32,
    /// Maximum segment lifetime (µs); TIME-WAIT lasts twice as long.
    pub msl_us: u64,
    /// A profile's templates (empty: every connection is `close` with
    /// `request_bytes` and `response_bytes`). With templates the server
    /// answers any request after its first byte with `response_bytes`.
    pub templates: Vec<Template>,
    /// The client waits this long (µs) after its exchange before it
    /// closes (0: at once).
    pub hold_us: u64,
    /// SYN queue, rate limits and cookie key rotation (both sides).
    pub defences: Defences,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            close: CloseKind::ClientFin,
            cookies: CookiePolicy::Always,
            request_bytes: 64,
            response_bytes: 256,
            msl_us: TcpConfig::default().msl_us,
            templates: Vec::new(),
            hold_us: 0,
            defences: Defences::default(),
        }
    }
}

/// The client's MAC address.
pub const CLIENT_MAC: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
/// The server's MAC address.
pub const SERVER_MAC: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
/// The server's address.
pub const SERVER_IP: [u8; 4] = [10, 0, 0, 1];
/// The server's port.
pub const SERVER_PORT: u16 = 80;
/// The first client address.
pub const CLIENT_NET: [u8; 4] = [10, 1, 0, 0];

fn payload(n: u32, fill: u8) -> Arc<[u8]> {
    vec![fill; n as usize].into()
}

/// (client, server) close modes of `close`.
fn modes(close: CloseKind) -> (CloseMode, CloseMode) {
    match close {
        CloseKind::ClientFin => (CloseMode::Fin, CloseMode::Wait),
        CloseKind::ServerFin => (CloseMode::Wait, CloseMode::Fin),
        CloseKind::Rst => (CloseMode::Rst, CloseMode::Wait),
    }
}

/// The client application of `t`: its request at once, its response
/// awaited, then its close.
pub fn template_app(t: &Template) -> AppConfig {
    AppConfig {
        payload: payload(t.request_bytes, b'q'),
        send_after: 0,
        expect: t.response_bytes,
        close: modes(t.close).0,
        close_on_peer_fin: true,
        protocol: AppProtocol::Bytes,
        hold_us: t.hold_us,
    }
}

/// Puts `templates` into a client's configuration: template 0's
/// application as `app`, the others' as `templates` (nothing without
/// templates).
pub fn apply_templates(tcp: &mut TcpConfig, templates: &[Template]) {
    if let Some((first, rest)) = templates.split_first() {
        tcp.app = template_app(first);
        tcp.templates = rest.iter().map(template_app).collect();
    }
}

impl CloseKind {
    /// Whether a client connection closed this way and ending as `end`
    /// ended normally (a FIN close ends in TIME-WAIT or CLOSED depending
    /// on who closed first, which against a server that closes at once is
    /// a race).
    pub fn is_clean_client_end(self, end: End) -> bool {
        match self {
            CloseKind::ClientFin | CloseKind::ServerFin => {
                matches!(end, End::TimeWait | End::Closed)
            }
            // A server that closes at once may close first.
            CloseKind::Rst => matches!(end, End::ResetSent | End::Closed | End::TimeWait),
        }
    }

    /// Of the per-`ENDS` counts `ends` (`endpoint::Counters::ends`), the
    /// client records that ended normally (`is_clean_client_end`).
    pub fn completed(self, ends: &[u64; ENDS.len()]) -> u64 {
        ENDS.iter()
            .zip(ends)
            .filter(|(e, _)| self.is_clean_client_end(**e))
            .map(|(_, n)| n)
            .sum()
    }
}

impl Scenario {
    fn modes(&self) -> (CloseMode, CloseMode) {
        modes(self.close)
    }

    /// A client endpoint owning `ip_count` addresses from `ip_first`;
    /// `report_released` keeps ended four-tuples for reuse
    /// (`Endpoint::take_released`).
    pub fn client(
        &self,
        ip_first: [u8; 4],
        ip_count: u32,
        seed: u64,
        report_released: bool,
    ) -> Endpoint {
        let mut tcp = TcpConfig {
            msl_us: self.msl_us,
            app: AppConfig {
                payload: payload(self.request_bytes, b'q'),
                send_after: 0,
                expect: self.response_bytes,
                close: self.modes().0,
                close_on_peer_fin: true,
                protocol: AppProtocol::Bytes,
                hold_us: self.hold_us,
            },
            ..TcpConfig::default()
        };
        self.defences.apply(&mut tcp);
        apply_templates(&mut tcp, &self.templates);
        Endpoint::new(
            EndpointConfig {
                mac: CLIENT_MAC,
                peer_mac: SERVER_MAC,
                ip_first,
                ip_count,
                listen_ports: Vec::new(),
                report_released,
                ..EndpointConfig::default()
            },
            TcpContext::new(tcp, Secrets::from_seed(seed)),
        )
    }

    /// The server endpoint on `SERVER_IP`:`SERVER_PORT`.
    pub fn server(&self, seed: u64) -> Endpoint {
        let mut tcp = TcpConfig {
            msl_us: self.msl_us,
            cookies: self.cookies,
            app: AppConfig {
                payload: payload(self.response_bytes, b'r'),
                // With templates, requests differ: any is answered after
                // its first byte.
                send_after: if self.templates.is_empty() {
                    self.request_bytes
                } else {
                    1
                },
                expect: if self.templates.is_empty() {
                    self.request_bytes
                } else {
                    1
                },
                close: self.modes().1,
                close_on_peer_fin: true,
                protocol: AppProtocol::Bytes,
                hold_us: 0,
            },
            ..TcpConfig::default()
        };
        self.defences.apply(&mut tcp);
        Endpoint::new(
            EndpointConfig {
                mac: SERVER_MAC,
                peer_mac: CLIENT_MAC,
                ip_first: SERVER_IP,
                ip_count: 1,
                listen_ports: vec![SERVER_PORT],
                ..EndpointConfig::default()
            },
            TcpContext::new(tcp, Secrets::from_seed(seed)),
        )
    }
}

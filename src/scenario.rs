//! The traffic both drivers (the virtual-time `sim` and the real-time
//! `engine`) generate: who closes and how (`app::CloseKind`), the cookie
//! policy, the request and response sizes, a profile's connection
//! templates (`app::Template`), and the client and server endpoints built
//! from them.
//!
//! Rules: no I/O, no clock; it builds endpoints and never runs them.

use crate::app::{AppConfig, AppProtocol, Canned, CloseKind, Template, client_apps};
use crate::endpoint::{Endpoint, EndpointConfig, NextHop};
use crate::tcp::{CookiePolicy, Defences, Secrets, TcpConfig, TcpContext};
use crate::wire::MacAddr;
use std::sync::Arc;

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

impl Scenario {
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
            ..TcpConfig::default()
        };
        self.defences.apply(&mut tcp);
        let app = AppConfig {
            payload: payload(self.request_bytes, b'q'),
            send_after: 0,
            expect: self.response_bytes,
            close: self.close.client_mode(),
            close_on_peer_fin: true,
            protocol: AppProtocol::Bytes,
            hold_us: self.hold_us,
        };
        Endpoint::new(
            EndpointConfig {
                mac: CLIENT_MAC,
                next_hop: NextHop::Fixed(SERVER_MAC),
                ip_first,
                ip_count,
                listen_ports: Vec::new(),
                report_released,
                ..EndpointConfig::default()
            },
            TcpContext::new(tcp, Secrets::from_seed(seed)),
            client_apps(app, &self.templates),
        )
    }

    /// The server endpoint on `SERVER_IP`:`SERVER_PORT`.
    pub fn server(&self, seed: u64) -> Endpoint {
        let mut tcp = TcpConfig {
            msl_us: self.msl_us,
            cookies: self.cookies,
            ..TcpConfig::default()
        };
        self.defences.apply(&mut tcp);
        // With templates, requests differ: any is answered after its
        // first byte.
        let request = if self.templates.is_empty() {
            self.request_bytes
        } else {
            1
        };
        let app = AppConfig {
            payload: payload(self.response_bytes, b'r'),
            send_after: request,
            expect: request,
            close: self.close.server_mode(),
            close_on_peer_fin: true,
            protocol: AppProtocol::Bytes,
            hold_us: 0,
        };
        Endpoint::new(
            EndpointConfig {
                mac: SERVER_MAC,
                next_hop: NextHop::Fixed(CLIENT_MAC),
                ip_first: SERVER_IP,
                ip_count: 1,
                listen_ports: vec![SERVER_PORT],
                ..EndpointConfig::default()
            },
            TcpContext::new(tcp, Secrets::from_seed(seed)),
            Canned::new(app),
        )
    }
}

//! The traffic both drivers (the virtual-time `sim` and the real-time
//! `engine`) generate: who closes and how (`app::CloseKind`), the cookie
//! policy, the request and response sizes, a profile's connection
//! templates (`app::Template`), and the client and server endpoints built
//! from them.
//!
//! Rules: no I/O, no clock; it builds endpoints and never runs them.

use crate::app::{
    AppConfig, AppConfigError, AppProtocol, Canned, CloseKind, Template, client_apps,
};
use crate::endpoint::{Endpoint, EndpointConfig, NextHop};
use crate::tcp::{
    CookiePolicy, Defences, RealClock, Secrets, TcpConfig, TcpConfigError, TcpContext,
};
use crate::wire::{Family, MacAddr, V4, V6};
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
    /// Request/response transactions per connection (without templates).
    pub requests: u32,
    /// The client's pause between a response and its next request (µs).
    pub think_us: u64,
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
            requests: 1,
            think_us: 0,
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
/// The server's IPv6 address (fd00::1, a unique local address).
pub const SERVER_IP6: V6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
/// The first IPv6 client address (fd00::1:0).
pub const CLIENT_NET6: V6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0];

/// The scenario's addresses in family `A`: the server's and the first
/// client's.
pub trait ScenarioAddrs: Family {
    /// The server's address.
    const SERVER: Self;
    /// The first client address.
    const CLIENT_NET: Self;
}

impl ScenarioAddrs for V4 {
    const SERVER: V4 = SERVER_IP;
    const CLIENT_NET: V4 = CLIENT_NET;
}

impl ScenarioAddrs for V6 {
    const SERVER: V6 = SERVER_IP6;
    const CLIENT_NET: V6 = CLIENT_NET6;
}

fn payload(n: u32, fill: u8) -> Arc<[u8]> {
    vec![fill; n as usize].into()
}

impl Scenario {
    /// The client's TCP configuration.
    pub fn client_tcp(&self) -> TcpConfig {
        let mut tcp = TcpConfig {
            msl_us: self.msl_us,
            ..TcpConfig::default()
        };
        self.defences.apply(&mut tcp);
        tcp
    }

    /// The server's TCP configuration.
    pub fn server_tcp(&self) -> TcpConfig {
        TcpConfig {
            cookies: self.cookies,
            ..self.client_tcp()
        }
    }

    /// The client's applications: its request at once, its response
    /// awaited, then its close (with templates, one per template).
    pub fn client_app(&self) -> Canned {
        let n = self.requests.max(1);
        let app = AppConfig {
            payload: payload(self.request_bytes * n, b'q'),
            send_after: 0,
            expect: self.response_bytes,
            close: self.close.client_mode(),
            close_on_peer_fin: true,
            protocol: AppProtocol::Bytes,
            hold_us: self.hold_us,
            requests: n,
            think_us: self.think_us,
        };
        client_apps(app, &self.templates, "synwave.bench")
    }

    /// The server's application: its response once the request is in,
    /// then its close.
    pub fn server_app(&self) -> Canned {
        // With templates, requests differ: any is answered after its
        // first byte.
        let request = if self.templates.is_empty() {
            self.request_bytes
        } else {
            1
        };
        let n = if self.templates.is_empty() {
            self.requests.max(1)
        } else {
            1
        };
        Canned::new(AppConfig {
            payload: payload(self.response_bytes * n, b'r'),
            send_after: request,
            expect: request,
            close: self.close.server_mode(),
            close_on_peer_fin: true,
            protocol: AppProtocol::Bytes,
            hold_us: 0,
            requests: n,
            think_us: 0,
        })
    }

    /// The client side: `base`'s addresses, limits and sizes, at
    /// `CLIENT_MAC`, sending to `SERVER_MAC`.
    pub fn client_side<A>(&self, base: EndpointConfig<A>) -> Side<A> {
        Side {
            endpoint: EndpointConfig {
                mac: CLIENT_MAC,
                next_hop: NextHop::Fixed(SERVER_MAC),
                listen_ports: Vec::new(),
                ..base
            },
            tcp: self.client_tcp(),
            app: self.client_app(),
        }
    }

    /// The server side on `SERVER_IP`:`SERVER_PORT`, with `base`'s limits
    /// and sizes, at `SERVER_MAC`, sending to `CLIENT_MAC`.
    pub fn server_side(&self, base: EndpointConfig) -> Side {
        self.server_side_at(base.with_addresses(SERVER_IP, 1))
    }

    /// The server side on `base`'s address (either family) and
    /// `SERVER_PORT`, at `SERVER_MAC`, sending to `CLIENT_MAC`.
    pub fn server_side_at<A>(&self, base: EndpointConfig<A>) -> Side<A> {
        Side {
            endpoint: EndpointConfig {
                mac: SERVER_MAC,
                next_hop: NextHop::Fixed(CLIENT_MAC),
                listen_ports: vec![SERVER_PORT],
                ..base
            },
            tcp: self.server_tcp(),
            app: self.server_app(),
        }
    }

    /// A client endpoint owning `ip_count` addresses from `ip_first`, the
    /// default limits and no room made; `report_released` keeps ended
    /// four-tuples for reuse (`Endpoint::take_released`).
    pub fn client(
        &self,
        ip_first: [u8; 4],
        ip_count: u32,
        seed: u64,
        report_released: bool,
    ) -> Endpoint {
        self.client_side(EndpointConfig {
            ip_first,
            ip_count,
            report_released,
            ..EndpointConfig::default()
        })
        .build(Secrets::from_seed(seed))
    }

    /// The server endpoint on `SERVER_IP`:`SERVER_PORT`, the default
    /// limits and no room made.
    pub fn server(&self, seed: u64) -> Endpoint {
        self.server_side(EndpointConfig::default())
            .build(Secrets::from_seed(seed))
    }

    /// `client` in family `A`.
    pub fn client_in<A: Family>(
        &self,
        ip_first: A,
        ip_count: u32,
        seed: u64,
        report_released: bool,
    ) -> Endpoint<A> {
        let base = EndpointConfig {
            report_released,
            ..EndpointConfig::default()
        };
        self.client_side(base.with_addresses(ip_first, ip_count))
            .build(Secrets::from_seed(seed))
    }

    /// `server` in family `A`, on its `ScenarioAddrs::SERVER`.
    pub fn server_in<A: ScenarioAddrs>(&self, seed: u64) -> Endpoint<A> {
        let base = EndpointConfig::default().with_addresses(A::SERVER, 1);
        self.server_side_at(base).build(Secrets::from_seed(seed))
    }
}

/// One side's complete configuration: its endpoint, its TCP and its
/// application. Built once; each worker's endpoint is built from it.
#[derive(Clone, Debug)]
pub struct Side<A = V4> {
    /// Addresses, next hop, limits, sizes.
    pub endpoint: EndpointConfig<A>,
    /// TCP tunables.
    pub tcp: TcpConfig,
    /// The application.
    pub app: Canned,
}

impl<A: Family> Side<A> {
    /// Checks the TCP configuration and the application against their
    /// bounds (once, before any worker is built).
    pub fn validate(&self) -> Result<(), SideError> {
        self.tcp.validate().map_err(SideError::Tcp)?;
        self.app.validate().map_err(SideError::App)
    }

    /// The endpoint of this side, keyed by `secrets`, its TCP clocks at 0
    /// (virtual time; a configuration `validate` accepts).
    pub fn build(&self, secrets: Secrets) -> Endpoint<A> {
        self.build_at(secrets, RealClock::default())
    }

    /// The endpoint of this side, keyed by `secrets`, its TCP clocks
    /// (timestamps, ISNs) reading `real` at the run's time 0.
    pub fn build_at(&self, secrets: Secrets, real: RealClock) -> Endpoint<A> {
        Endpoint::new(
            self.endpoint.clone(),
            TcpContext::new(self.tcp.clone(), secrets).with_real_clock(real),
            self.app.clone(),
        )
    }
}

/// A side's configuration out of its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideError {
    /// A TCP tunable.
    Tcp(TcpConfigError),
    /// The application.
    App(AppConfigError),
}

impl std::fmt::Display for SideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SideError::Tcp(e) => e.fmt(f),
            SideError::App(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SideError {}

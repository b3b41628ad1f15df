//! `synwave serve`: the responder on a real interface over AF_XDP. It
//! answers ARP for its addresses, listens on its ports, answers SYNs (with
//! SYN cookies by policy), optionally answers each request with a canned
//! response, and closes by the chosen pattern; one pinned worker per
//! interface queue, until the duration ends or it is interrupted.
//!
//! Rules: every worker shares the same secrets (a cookie is checked by
//! whichever worker the ACK reaches); frames the server originates
//! (retransmissions, its FIN after a timer) go to the MAC of the host
//! that resolved our addresses by ARP (never one taken from a TCP frame),
//! unless `--peer-mac` fixes it.

use super::error::RunError;
use super::interface::{InterfaceReport, InterfaceSetup, run_interface};
use super::worker::Role;
use crate::app::{AppConfig, AppProtocol, Canned, CloseMode, http};
use crate::endpoint::{ArpSource, Endpoint, EndpointConfig, NextHop};
use crate::io::afxdp::{self, BindMode};
use crate::tcp::{CookiePolicy, TcpConfig, TcpContext};
use crate::wire::MacAddr;
use std::sync::atomic::AtomicBool;

/// How the server ends a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ServeClose {
    /// The client closes first; the server answers its FIN with its own.
    #[default]
    ClientFin,
    /// The server sends FIN once its response is sent (server TIME-WAIT).
    ServerFin,
    /// The server resets the connection once its response is sent.
    Rst,
}

/// A serve run.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Interface, next hop, secrets, limits and run.
    pub setup: InterfaceSetup,
    /// Ports to listen on.
    pub ports: Vec<u16>,
    /// SYN cookie policy.
    pub cookies: CookiePolicy,
    /// Bytes answered to each request (0: no response); with `http`, the
    /// body's length.
    pub response_bytes: u32,
    /// Answer each HTTP request (read up to its header block's end) with
    /// a 200 response (`app::http::response`).
    pub http: bool,
    /// Who closes, and how.
    pub close: ServeClose,
}

/// The outcome of a serve run, with what was set up.
#[derive(Debug)]
pub struct ServeReport {
    /// The workers' reports.
    pub run: InterfaceReport,
    /// "native" or "generic".
    pub xdp_mode: &'static str,
    /// Copy or zero-copy.
    pub bind: BindMode,
}

impl ServeConfig {
    /// The TCP configuration of every worker.
    pub fn tcp(&self) -> TcpConfig {
        let mut tcp = TcpConfig {
            cookies: self.cookies,
            msl_us: self.setup.msl_us,
            ..TcpConfig::default()
        };
        self.setup.defences.apply(&mut tcp);
        tcp
    }

    /// The application of every worker.
    pub fn app(&self) -> Canned {
        let respond = self.http || self.response_bytes > 0;
        let payload = if self.http {
            http::response(self.response_bytes)
        } else {
            vec![b'r'; self.response_bytes as usize]
        };
        Canned::new(AppConfig {
            payload: payload.into(),
            // A response after the first byte of a request (HTTP: at the
            // request's end).
            send_after: u32::from(respond),
            expect: u32::from(respond),
            close: match self.close {
                ServeClose::ClientFin => CloseMode::Wait,
                ServeClose::ServerFin => CloseMode::Fin,
                ServeClose::Rst => CloseMode::Rst,
            },
            close_on_peer_fin: true,
            protocol: if self.http {
                AppProtocol::Http
            } else {
                AppProtocol::Bytes
            },
            hold_us: 0,
        })
    }
}

/// Opens the interface, runs the server, detaches. `on_ready` is called
/// with the set-up notes once the program is attached (before the run).
pub fn run_serve(
    cfg: &ServeConfig,
    interrupt: &AtomicBool,
    on_ready: impl FnOnce(&str, BindMode, &[String]),
) -> Result<ServeReport, RunError> {
    if cfg.ports.is_empty() {
        return Err("no port to listen on: give --port P[,P…]".into());
    }
    let tcp = cfg.tcp();
    tcp.validate().map_err(|e| e.to_string())?;
    let app = cfg.app();
    app.validate().map_err(|e| e.to_string())?;
    let setup = &cfg.setup;
    let secrets = setup.secrets()?;
    let opened = afxdp::open(&setup.afxdp)?;
    let (mode, bind) = (opened.attachment.mode, opened.bind);
    on_ready(mode, bind, &opened.notes);
    // Without --peer-mac, frames the server originates go to the host
    // that resolves our addresses by ARP (one next hop for every worker).
    let next_hop = match setup.peer_mac {
        Some(m) => NextHop::Fixed(m),
        None => NextHop::learned(MacAddr::BROADCAST, ArpSource::Resolvers),
    };
    let ep_cfg = EndpointConfig {
        listen_ports: cfg.ports.clone(),
        ..setup.endpoint_config(opened.iface.mac, next_hop)
    };
    let (max_c, max_tw) = (setup.max_connections, setup.max_time_wait);
    let builders: Vec<_> = (0..opened.ports.len())
        .map(|_| {
            let (ep_cfg, tcp, app) = (ep_cfg.clone(), tcp.clone(), app.clone());
            move || {
                let mut ep = Endpoint::new(ep_cfg, TcpContext::new(tcp, secrets), app);
                ep.reserve(max_c.min(1 << 16), max_tw.min(1 << 16));
                (ep, Role::Responder)
            }
        })
        .collect();
    Ok(ServeReport {
        run: run_interface(opened, builders, &setup.run, interrupt)?,
        xdp_mode: mode,
        bind,
    })
}

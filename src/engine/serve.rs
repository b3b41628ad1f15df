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
use super::nic_steering::choose;
use super::stack::Stack;
use super::worker::Role;
use crate::app::{AppConfig, Canned, CloseKind, ServerProgram};
use crate::endpoint::{EndpointConfig, Reserve};
use crate::io::afxdp::{self, BindMode};
use crate::scenario::Side;
use crate::tcp::{CookiePolicy, TcpConfig};
use std::sync::atomic::AtomicBool;

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
    /// Who closes, and how (the server's side of it: `ClientFin`, it
    /// answers the client's FIN; `ServerFin`, it sends FIN after its
    /// last response; `ServerRst`, it resets after its last response).
    pub close: CloseKind,
    /// Requests answered per connection (at least 1); the last response
    /// is followed by the server's close when it closes first.
    pub requests: u32,
    /// Bytes of each request when `requests` > 1 without `http` (0: a
    /// response after the first byte of a request, one per connection).
    pub request_bytes: u32,
    /// A profile's server programs, each on its ports (template 1, 2, …);
    /// the other ports run the program the flags above describe
    /// (template 0).
    pub programs: Vec<ServerProgram>,
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
        self.setup.tunables.apply(&mut tcp);
        self.setup.defences.apply(&mut tcp);
        tcp
    }

    /// Every port listened on: the flags' and the programs'.
    pub fn listen_ports(&self) -> Vec<u16> {
        let mut ports = self.ports.clone();
        for p in self.programs.iter().flat_map(|p| &p.ports) {
            if !ports.contains(p) {
                ports.push(*p);
            }
        }
        ports
    }

    /// The program (application template) of each program's ports.
    pub fn port_templates(&self) -> Vec<(u16, u8)> {
        self.programs
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.ports.iter().map(move |&port| (port, i as u8 + 1)))
            .collect()
    }

    /// The application of every worker: the flags' program, then the
    /// profile's.
    pub fn app(&self) -> Canned {
        let base = self.flags_app();
        if self.programs.is_empty() {
            return Canned::new(base);
        }
        Canned::with_templates(base, self.programs.iter().map(ServerProgram::app).collect())
    }

    /// The program the flags describe.
    fn flags_app(&self) -> AppConfig {
        ServerProgram {
            name: String::new(),
            ports: self.ports.clone(),
            response_bytes: self.response_bytes,
            request_bytes: self.request_bytes,
            requests: self.requests,
            http: self.http,
            status: 200,
            close: self.close.server_mode(),
            hold_us: 0,
        }
        .app()
    }
}

/// Opens the interface, runs the server, detaches. `on_ready` is called
/// with the set-up notes once the program is attached (before the run).
pub fn run_serve(
    cfg: &ServeConfig,
    interrupt: &AtomicBool,
    on_ready: impl FnOnce(&str, BindMode, &[String]),
) -> Result<ServeReport, RunError> {
    let setup = &cfg.setup;
    // Checked once, before the interface is opened; its endpoint follows.
    let side = Side {
        endpoint: EndpointConfig::default(),
        tcp: cfg.tcp(),
        app: cfg.app(),
    };
    side.validate()?;
    let secrets = setup.secrets()?;
    let real = super::clock::real_clock();
    let (ours, iface) = (setup.afxdp.ours, &setup.afxdp.iface);
    let steering = choose(
        setup.rss,
        iface,
        &setup.afxdp.queues,
        ours.v4.is_some(),
        ours.v6.is_some(),
    )
    .map_err(|why| RunError::RssNotSteered {
        iface: iface.clone(),
        why,
    })?;
    let mut opened = afxdp::open(&setup.afxdp)?;
    opened.notes.extend(steering.note.clone());
    let mac = opened.iface.mac;
    let (next_hop, _) = setup.next_hop(&mut opened.ports, mac, false, None)?;
    let (next_hop6, _) = setup.next_hop(&mut opened.ports, mac, true, None)?;
    let (mode, bind) = (opened.attachment.mode, opened.bind);
    on_ready(mode, bind, &opened.notes);
    let side = Side {
        endpoint: EndpointConfig {
            listen_ports: cfg.listen_ports(),
            port_templates: cfg.port_templates(),
            reserve: Reserve {
                connections: setup.max_connections.min(1 << 16),
                time_wait: setup.max_time_wait.min(1 << 16),
                prefault_time_wait: false,
            },
            ..setup.endpoint_config(mac, next_hop)
        },
        ..side
    };
    // The IPv6 side: the same but for its addresses and next hop.
    let side6 = setup
        .endpoint_config6(&side.endpoint, next_hop6)
        .map(|endpoint| Side {
            endpoint,
            tcp: side.tcp.clone(),
            app: side.app.clone(),
        });
    let builders: Vec<_> = (0..opened.ports.len())
        .map(|_| {
            let (side, side6) = (side.clone(), side6.clone());
            move || {
                let v6 = side6.map(|s| s.build_at(secrets, real));
                (
                    Stack::new(side.build_at(secrets, real), v6),
                    Role::Responder,
                )
            }
        })
        .collect();
    Ok(ServeReport {
        run: run_interface(opened, builders, &steering, &setup.run, interrupt)?,
        xdp_mode: mode,
        bind,
    })
}

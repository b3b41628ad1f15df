//! `synwave gen`: the generator on a real interface over AF_XDP. It
//! resolves the server's MAC by ARP or neighbor discovery (unless given),
//! then opens connections toward one server `ip:port` per address family
//! (IPv4, IPv6 or both: each source address with the destination of its
//! family, the load shared evenly) from a range of source addresses — at
//! a rate, or keeping a number open — each sending a
//! request, awaiting a response and closing by the chosen pattern; one
//! pinned worker per interface queue; it answers ARP for its own
//! addresses meanwhile.
//!
//! Rules: a worker uses only source (address, port) pairs whose reply the
//! NIC's RSS sends to its own queue: by the key and table the NIC reports
//! where they steer (`nic_steering`), else by the Microsoft key and an
//! even 128-entry table (said, with several queues); with one queue that
//! is every pair. The run ends at the duration, at the interrupt, or once
//! `run.total` connections have been opened and have ended.

use super::error::RunError;
use super::interface::{InterfaceReport, InterfaceSetup, run_interface};
use super::nic_steering::{Steering, choose};
use super::opener::{Load, Opener, Openers};
use super::stack::Stack;
use super::template_mix::TemplateMix;
use super::worker::Role;
use crate::app::{AppConfig, AppProtocol, Canned, http};
use crate::app::{CloseKind, Template, client_apps};
use crate::endpoint::{EndpointConfig, NextHop, Reserve};
use crate::flow::{Reta, RssHasher, ServerSet};
use crate::io::afxdp::{self, AddressRange, BindMode};
use crate::scenario::Side;
use crate::tcp::TcpConfig;
use crate::wire::{Family, MacAddr, V4, V6};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// A gen run.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Interface (our source addresses), next hop, secrets, limits and
    /// run (`run.total`: connections to open in all, `None` until the
    /// duration ends).
    pub setup: InterfaceSetup,
    /// The IPv4 servers' addresses and ports (with IPv4 sources; empty:
    /// none), taken in turn; all reached through one next hop.
    pub dst: Vec<(V4, u16)>,
    /// The IPv6 servers' addresses and ports (with IPv6 sources).
    pub dst6: Vec<(V6, u16)>,
    /// The weight of each server of `dst` (empty: equal): connections
    /// go to them in proportion.
    pub dst_weights: Vec<u32>,
    /// The weight of each server of `dst6` (empty: equal).
    pub dst6_weights: Vec<u32>,
    /// Connections open at once, over all workers.
    pub concurrency: u64,
    /// Connections opened per second, over all workers (`None`: a closed
    /// loop at `concurrency`).
    pub rate: Option<f64>,
    /// The rate rises from 0 over this long (`engine::load::due`).
    pub ramp: Duration,
    /// Bytes of each request (0: none).
    pub request_bytes: u32,
    /// Bytes of response awaited before closing (0: none).
    pub response_bytes: u32,
    /// Send an HTTP GET (`app::http::request`; a POST with a
    /// `request_bytes` body when that is above 0), count each response's
    /// status class, and take the server's FIN as its end (`close` must
    /// be `ServerFin`; `response_bytes` does not apply).
    pub http: bool,
    /// The request's target (`http`: "/" by default).
    pub http_path: String,
    /// The request's Host (`None`: the server's address).
    pub http_host: Option<String>,
    /// Who closes, and how.
    pub close: CloseKind,
    /// A profile's templates (empty: every connection as above).
    pub templates: Vec<Template>,
    /// Time each connection is held open after its exchange, before the
    /// close.
    pub hold: Duration,
    /// Request/response transactions per connection (at least 1); with
    /// `http` the requests are pipelined, the last asking to close.
    pub requests: u32,
    /// Pause between a response and the next request (not with `http`).
    pub think: Duration,
    /// Our TIME-WAIT records on a tuple this old are replaced by a new
    /// connection (`Endpoint::set_time_wait_reuse`; zero: never).
    pub time_wait_reuse: Duration,
}

/// The outcome of a gen run.
#[derive(Debug)]
pub struct GenReport {
    /// The workers' reports.
    pub run: InterfaceReport,
    /// "native" or "generic".
    pub xdp_mode: &'static str,
    /// Copy or zero-copy.
    pub bind: BindMode,
    /// The server's MAC used (the IPv4 one's where both families run).
    pub peer_mac: MacAddr,
}

impl GenConfig {
    /// The TCP configuration of every worker.
    pub fn tcp(&self) -> TcpConfig {
        let mut tcp = TcpConfig {
            msl_us: self.setup.msl_us,
            ..TcpConfig::default()
        };
        self.setup.tunables.apply(&mut tcp);
        self.setup.defences.apply(&mut tcp);
        tcp
    }

    /// The applications of every worker (one per template), the HTTP
    /// request's Host the server of the family (`v6`) it goes to.
    pub fn app(&self, v6: bool) -> Canned {
        let host = match (&self.http_host, v6, self.dst.first(), self.dst6.first()) {
            (Some(h), ..) => h.clone(),
            (None, false, Some((ip, _)), _) => std::net::Ipv4Addr::from(*ip).to_string(),
            (None, true, _, Some((ip, _))) => format!("[{}]", std::net::Ipv6Addr::from(*ip)),
            _ => String::new(),
        };
        let n = self.requests.max(1);
        let app = AppConfig {
            payload: if self.http {
                http::requests_with_body(&self.http_path, &host, n, self.request_bytes).into()
            } else {
                vec![b'q'; self.request_bytes as usize * n as usize].into()
            },
            send_after: 0,
            expect: if self.http {
                u32::MAX
            } else {
                self.response_bytes
            },
            close: self.close.client_mode(),
            close_on_peer_fin: true,
            protocol: if self.http {
                AppProtocol::Http
            } else {
                AppProtocol::Bytes
            },
            hold_us: self.hold.as_micros() as u64,
            // HTTP: the pipelined requests are one message, the responses
            // end at the server's close.
            requests: if self.http { 1 } else { n },
            think_us: self.think.as_micros() as u64,
        };
        client_apps(app, &self.templates, &host)
    }
}

/// An interface opened for the generator: the sockets and the program,
/// the builder of each worker's endpoint and opener, and what was chosen.
pub(crate) struct GenPrepared<B> {
    /// The sockets and the attached program.
    pub opened: afxdp::AfXdp,
    /// Worker i's builder (run in its own thread).
    pub builders: Vec<B>,
    /// The server's (or the gateway's) MAC, the IPv4 one's where both
    /// families run.
    pub peer_mac: MacAddr,
    /// "native" or "generic".
    pub mode: &'static str,
    /// Copy or zero-copy.
    pub bind: BindMode,
    /// What the workers steer by, and whether they hand frames over.
    pub steering: Steering,
}

/// The source pairs of each of `workers` for connections from `ours` to
/// `dst`, when the family has both (`None` when it has neither; an error
/// when it has one only), for replies steered by `steering`.
fn family_allocators<A: Family>(
    ours: Option<AddressRange<A>>,
    (dst, weights): (&[(A, u16)], &[u32]),
    workers: usize,
    (hasher, reta): (&RssHasher, &Reta),
) -> Result<Option<Vec<ServerSet<A>>>, RunError> {
    let ours = match (ours, dst.is_empty()) {
        (None, true) => return Ok(None),
        (Some(o), false) => o,
        (Some(_), true) | (None, false) => {
            return Err(RunError::FamilyWithoutPeer {
                family: A::NAME,
                has: if dst.is_empty() {
                    "source"
                } else {
                    "destination"
                },
            });
        }
    };
    Ok(Some(ServerSet::for_workers(
        hasher,
        reta,
        workers as u16,
        (ours.first, ours.count),
        dst,
        weights,
    )?))
}

/// The next hop of each family (`families`: which have sources) and the
/// MAC of the one resolved first. Every server of a family is reached
/// through one next hop: the first server's (all on one host) or the
/// gateway's.
fn next_hops<P: crate::io::Port>(
    cfg: &GenConfig,
    ports: &mut [P],
    mac: MacAddr,
    (has4, has6): (bool, bool),
) -> Result<(NextHop, NextHop, MacAddr), RunError> {
    let setup = &cfg.setup;
    let dst4 = cfg.dst.first().copied().filter(|_| has4);
    let (next_hop, peer4) = setup.next_hop(ports, mac, false, dst4.map(|d| IpAddr::from(d.0)))?;
    let (next_hop6, peer6) = match cfg.dst6.first().copied().filter(|_| has6) {
        Some(d) => setup.next_hop(ports, mac, true, Some(IpAddr::from(d.0)))?,
        None => (next_hop.clone(), peer4),
    };
    let peer_mac = if dst4.is_some() { peer4 } else { peer6 };
    Ok((next_hop, next_hop6, peer_mac))
}

/// A side of `cfg` for endpoint configuration `endpoint`, its application
/// the one of its family.
fn side_of<A: Family>(cfg: &GenConfig, endpoint: EndpointConfig<A>) -> Side<A> {
    Side {
        endpoint,
        tcp: cfg.tcp(),
        app: cfg.app(A::IS_V6),
    }
}

/// Checks `cfg`, opens the interface, resolves the next hop and makes
/// each worker's builder; `on_ready` is called once the program is
/// attached and the next hop's MAC is known.
pub(crate) fn prepare(
    cfg: &GenConfig,
    on_ready: impl FnOnce(&str, BindMode, MacAddr, &[String]),
) -> Result<GenPrepared<impl FnOnce() -> (Stack, Role) + Send + 'static>, RunError> {
    if cfg.http && cfg.close != CloseKind::ServerFin {
        return Err(RunError::HttpNeedsServerFin(cfg.close));
    }
    let setup = &cfg.setup;
    // Checked once, before the interface is opened; its endpoint follows.
    side_of(cfg, EndpointConfig::default()).validate()?;
    let workers = setup.afxdp.queues.len();
    if cfg.concurrency < workers as u64 {
        return Err(RunError::ConcurrencyBelowWorkers {
            concurrency: cfg.concurrency,
            workers,
        });
    }
    let secrets = setup.secrets()?;
    let real = super::clock::real_clock();
    let ours = setup.afxdp.ours;
    let (queues, iface) = (&setup.afxdp.queues, &setup.afxdp.iface);
    let (v4, v6) = (!cfg.dst.is_empty(), !cfg.dst6.is_empty());
    let steering =
        choose(setup.rss, iface, queues, v4, v6).map_err(|why| RunError::RssNotSteered {
            iface: iface.clone(),
            why,
        })?;
    let model = (&steering.hasher, &steering.reta);
    let ports4 = family_allocators(ours.v4, (&cfg.dst, &cfg.dst_weights), workers, model)?;
    let ports6 = family_allocators(ours.v6, (&cfg.dst6, &cfg.dst6_weights), workers, model)?;
    let mut opened = afxdp::open(&setup.afxdp)?;
    opened.notes.extend(steering.note.clone());
    let mac = opened.iface.mac;
    let families = (ports4.is_some(), ports6.is_some());
    let (next_hop, next_hop6, peer_mac) = next_hops(cfg, &mut opened.ports, mac, families)?;
    let (mode, bind) = (opened.attachment.mode, opened.bind);
    on_ready(mode, bind, peer_mac, &opened.notes);
    let per_worker = cfg.concurrency / workers as u64;
    let base = EndpointConfig {
        report_released: true,
        reserve: Reserve {
            connections: 2 * per_worker as usize + 4096,
            time_wait: setup.max_time_wait.min(1 << 20),
            prefault_time_wait: false,
        },
        time_wait_reuse_us: cfg.time_wait_reuse.as_micros() as u64,
        ..setup.endpoint_config(mac, next_hop)
    };
    let side6 = setup
        .endpoint_config6(&base, next_hop6)
        .map(|e| side_of(cfg, e));
    let side = side_of(cfg, base);
    let families = u32::from(ports4.is_some()) + u32::from(ports6.is_some());
    let mut ports4 = ports4.map(Vec::into_iter);
    let mut ports6 = ports6.map(Vec::into_iter);
    let builders = (0..workers)
        .map(|w| {
            let load = Load {
                concurrency: per_worker,
                rate: cfg.rate.map(|r| r / workers as f64),
                ramp_us: cfg.ramp.as_micros() as u64,
                // Worker w's share of the connection count.
                limit: setup
                    .run
                    .total
                    .map(|n| n / workers as u64 + u64::from((w as u64) < n % workers as u64)),
            };
            let (side, side6) = (side.clone(), side6.clone());
            let mix = || {
                (!cfg.templates.is_empty())
                    .then(|| TemplateMix::new(&cfg.templates, w as u32, workers as u32))
            };
            let p4 = ports4.as_mut().and_then(Iterator::next);
            let p6 = ports6.as_mut().and_then(Iterator::next);
            let openers = Openers {
                v4: p4.map(|p| Opener::new(load.share(families, 0), p, mix())),
                v6: p6.map(|p| Opener::new(load.share(families, families - 1), p, mix())),
            };
            move || {
                let v6 = side6.map(|s| s.build_at(secrets, real));
                let stack = Stack::new(side.build_at(secrets, real), v6);
                (stack, Role::Generator(openers))
            }
        })
        .collect();
    Ok(GenPrepared {
        opened,
        builders,
        peer_mac,
        mode,
        bind,
        steering,
    })
}

/// Opens the interface, resolves the server, runs the generator,
/// detaches. `on_ready` is called once the program is attached and the
/// server's MAC is known.
pub fn run_gen(
    cfg: &GenConfig,
    interrupt: &AtomicBool,
    on_ready: impl FnOnce(&str, BindMode, MacAddr, &[String]),
) -> Result<GenReport, RunError> {
    let p = prepare(cfg, on_ready)?;
    Ok(GenReport {
        run: run_interface(p.opened, p.builders, &p.steering, &cfg.setup.run, interrupt)?,
        xdp_mode: p.mode,
        bind: p.bind,
        peer_mac: p.peer_mac,
    })
}

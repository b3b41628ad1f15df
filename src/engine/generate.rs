//! `synwave gen`: the generator on a real interface over AF_XDP. It
//! resolves the server's MAC by ARP (unless given), then opens
//! connections toward one server `ip:port` from a range of source
//! addresses — at a rate, or keeping a number open — each sending a
//! request, awaiting a response and closing by the chosen pattern; one
//! pinned worker per interface queue; it answers ARP for its own
//! addresses meanwhile.
//!
//! Rules: a worker uses only source (address, port) pairs whose reply the
//! NIC's RSS (Toeplitz with the Microsoft key, an even 128-entry
//! indirection table) sends to its own queue; with one queue that is every
//! pair. The run ends at the duration, at the interrupt, or once
//! `connections` have been opened and have ended.

use super::arp_resolve;
use super::interface::{InterfaceReport, InterfaceRun, run_interface};
use super::worker::Role;
use crate::endpoint::{Endpoint, EndpointConfig};
use crate::flow::{PortAllocConfig, Reta, RssHasher, RssKey, SourcePortAllocator};
use crate::io::afxdp::{self, AfXdpConfig, BindMode};
use crate::scenario::CloseKind;
use crate::tcp::{AppConfig, CloseMode, Secrets, TcpConfig, TcpContext};
use crate::wire::MacAddr;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// A gen run.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Interface, queues, UMEM, XDP and zero-copy choices, and our source
    /// addresses.
    pub afxdp: AfXdpConfig,
    /// The server's address.
    pub dst_ip: [u8; 4],
    /// The server's port.
    pub dst_port: u16,
    /// Connections open at once, over all workers.
    pub concurrency: u64,
    /// Connections opened per second, over all workers (`None`: a closed
    /// loop at `concurrency`).
    pub rate: Option<f64>,
    /// Connections to open in all (`None`: until the duration ends).
    pub connections: Option<u64>,
    /// Bytes of each request (0: none).
    pub request_bytes: u32,
    /// Bytes of response awaited before closing (0: none).
    pub response_bytes: u32,
    /// Who closes, and how.
    pub close: CloseKind,
    /// The next hop's MAC (`None`: resolved by ARP).
    pub peer_mac: Option<MacAddr>,
    /// Secrets of ISNs (`None`: random).
    pub seed: Option<u64>,
    /// Most live records per worker.
    pub max_connections: usize,
    /// Most TIME-WAIT records per worker.
    pub max_time_wait: usize,
    /// Duration, cores and live lines.
    pub run: InterfaceRun,
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
    /// The server's MAC used.
    pub peer_mac: MacAddr,
    /// What auto modes fell back to.
    pub notes: Vec<String>,
}

impl GenConfig {
    /// The TCP configuration of every worker.
    pub fn tcp(&self) -> TcpConfig {
        TcpConfig {
            app: AppConfig {
                payload: vec![b'q'; self.request_bytes as usize].into(),
                send_after: 0,
                expect: self.response_bytes,
                close: match self.close {
                    CloseKind::ClientFin => CloseMode::Fin,
                    CloseKind::ServerFin => CloseMode::Wait,
                    CloseKind::Rst => CloseMode::Rst,
                },
                close_on_peer_fin: true,
            },
            ..TcpConfig::default()
        }
    }
}

/// Opens the interface, resolves the server, runs the generator,
/// detaches. `on_ready` is called once the program is attached and the
/// server's MAC is known.
pub fn run_gen(
    cfg: &GenConfig,
    interrupt: &AtomicBool,
    on_ready: impl FnOnce(&str, BindMode, MacAddr, &[String]),
) -> Result<GenReport, String> {
    let tcp = cfg.tcp();
    tcp.validate()?;
    let workers = cfg.afxdp.queues.len();
    if cfg.concurrency < workers as u64 {
        return Err(format!(
            "--concurrency {} is below the {workers} queue(s): each worker needs at least one connection",
            cfg.concurrency
        ));
    }
    if let Some(r) = cfg.rate
        && !(r > 0.0 && r.is_finite())
    {
        return Err(format!(
            "--rate {r} must be a positive number of connections per second"
        ));
    }
    let secrets = match cfg.seed {
        Some(s) => Secrets::from_seed(s),
        None => Secrets::random().map_err(|e| format!("cannot read random secrets: {e}"))?,
    };
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(workers as u16).ok_or("no queue")?;
    let ours = cfg.afxdp.ours;
    let allocators = SourcePortAllocator::for_workers(
        &hasher,
        &reta,
        workers as u16,
        &PortAllocConfig::new(ours.first, ours.count, cfg.dst_ip, cfg.dst_port),
    )
    .map_err(|e| format!("source ports: {e}"))?;
    let mut opened = afxdp::open(&cfg.afxdp)?;
    let peer_mac = match cfg.peer_mac {
        Some(m) => m,
        None => arp_resolve::resolve(
            &mut opened.ports[0],
            opened.iface.mac,
            ours.first,
            cfg.dst_ip,
            Duration::from_secs(3),
        )?,
    };
    let (mode, bind) = (opened.attachment.mode, opened.bind);
    on_ready(mode, bind, peer_mac, &opened.notes);
    let ep_cfg = EndpointConfig {
        mac: opened.iface.mac,
        peer_mac,
        ip_first: ours.first,
        ip_count: ours.count,
        listen_ports: Vec::new(),
        max_connections: cfg.max_connections,
        max_time_wait: cfg.max_time_wait,
        report_released: true,
        ..EndpointConfig::default()
    };
    let per_worker = cfg.concurrency / workers as u64;
    let rate = cfg.rate.map(|r| r / workers as f64);
    let limits: Vec<Option<u64>> = (0..workers as u64)
        .map(|w| {
            cfg.connections
                .map(|n| n / workers as u64 + u64::from(w < n % workers as u64))
        })
        .collect();
    let allocators = Mutex::new(allocators.into_iter().map(Some).collect::<Vec<_>>());
    let (max_c, max_tw) = (cfg.max_connections, cfg.max_time_wait);
    let build = move |i: usize| {
        let mut ep = Endpoint::new(ep_cfg.clone(), TcpContext::new(tcp.clone(), secrets));
        ep.reserve(
            (2 * per_worker as usize + 4096).min(max_c),
            max_tw.min(1 << 20),
        );
        let ports = allocators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(i)
            .and_then(Option::take)
            .expect("one allocator per worker");
        (
            ep,
            Role::Generator {
                concurrency: per_worker,
                rate,
                ports,
                limit: limits[i],
            },
        )
    };
    let notes = opened.notes.clone();
    let mut run = cfg.run.clone();
    run.total = cfg.connections;
    let report = run_interface(opened.ports, &cfg.afxdp.queues, build, &run, interrupt);
    drop(opened.attachment);
    Ok(GenReport {
        run: report?,
        xdp_mode: mode,
        bind,
        peer_mac,
        notes,
    })
}

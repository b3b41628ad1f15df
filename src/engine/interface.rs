//! Workers on a real interface: one pinned worker per AF_XDP socket (one
//! per interface queue), each running an endpoint built for it, until the
//! duration ends or the caller's interrupt flag is set (Ctrl-C, SIGTERM);
//! then a drain (live connections finish, no new ones are opened); then
//! the reports. The XDP program stays attached for the whole run and is
//! detached when the run returns (or the process dies: it is held by a
//! bpf_link).
//!
//! Rules: ownership follows the queue a frame arrives on where the NIC's
//! RSS steers (`--rss nic`); otherwise (`--rss software`) a frame whose
//! connection is another worker's, by the run's RSS model, is handed to
//! it through its inbox, over the UMEM the queues share (no copy);
//! everything per worker is built in its own thread, before the start
//! gate of the run driver (`engine::run`) that all pass before the clock
//! starts.

use super::arp_resolve;
use super::clock::Clock;
use super::error::RunError;
use super::handoff::handoffs;
use super::nic_steering::{RssMode, Steering};
use super::pin;
use super::run::{Job, Plan, Start, drive};
use super::stack::Stack;
use super::worker::{Role, Worker, WorkerReport};
use crate::endpoint::{ArpSource, EndpointConfig, NextHop};
use crate::io::afxdp::{AfXdp, AfXdpConfig, KernelDrops, XskStats};
use crate::io::pcap::{PcapCapture, PcapConfig};
use crate::io::{Impaired, Impairment};
use crate::metrics::LiveLine;
use crate::tcp::{Defences, Secrets, Tunables};
use crate::wire::{MacAddr, V6};
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How long a run lasts and where its workers run.
#[derive(Clone, Debug)]
pub struct InterfaceRun {
    /// A core per worker (empty: the available cores in turn).
    pub cores: Vec<usize>,
    /// Length of the run phase (`None`: until interrupted).
    pub duration: Option<Duration>,
    /// Longest drain; it ends early once no worker holds a live record.
    pub drain: Duration,
    /// Print a live line every second (its setups/s and open count are the
    /// workers' own, whichever role they have).
    pub live: bool,
    /// The run phase also ends once the workers have opened this many
    /// connections in all (a generator with a connection count).
    pub total: Option<u64>,
    /// `--pcap`: the first worker's frames, written to a file.
    pub pcap: Option<PcapConfig>,
    /// `--loss`: what each worker's transmit side loses, duplicates and
    /// reorders (`io::Impaired`), and the seed of those decisions.
    pub impairment: Impairment,
    /// Seed of the impairment (each queue derives its own).
    pub impairment_seed: u64,
    /// `--metrics-addr`: serve the boards to Prometheus on this address.
    pub metrics_addr: Option<String>,
    /// The workers' role, as the metrics label it ("generator" or
    /// "responder").
    pub role: &'static str,
}

/// What `serve` and `gen` share: the interface, the next hop, the
/// secrets, the table limits and the run.
#[derive(Clone, Debug)]
pub struct InterfaceSetup {
    /// Interface, queues, UMEM, XDP and zero-copy choices, and our
    /// addresses.
    pub afxdp: AfXdpConfig,
    /// The next hop's MAC, fixed (`None`: learned from ARP: `serve` from
    /// the host that resolves its addresses, `gen` from the server, which
    /// it resolves first).
    pub peer_mac: Option<MacAddr>,
    /// The router IPv4 frames we originate go through (`None`: the peer
    /// is on the link); its MAC is resolved by ARP unless `peer_mac` is
    /// given.
    pub gateway: Option<[u8; 4]>,
    /// The router IPv6 frames we originate go through, resolved by
    /// neighbor discovery unless `peer_mac` is given.
    pub gateway6: Option<[u8; 16]>,
    /// Seed of the cookie and ISN secrets (`None`: random).
    pub seed: Option<u64>,
    /// Most live records per worker.
    pub max_connections: usize,
    /// Most TIME-WAIT records per worker.
    pub max_time_wait: usize,
    /// Maximum segment lifetime (µs); TIME-WAIT lasts twice as long.
    pub msl_us: u64,
    /// SYN queue, rate limits and cookie key rotation.
    pub defences: Defences,
    /// MSS, window, options and timers of the connections.
    pub tunables: Tunables,
    /// How frames reach the worker of their connection (`--rss`).
    pub rss: RssMode,
    /// Duration, cores and live lines.
    pub run: InterfaceRun,
}

impl InterfaceSetup {
    /// The secrets every worker shares (a cookie is checked by whichever
    /// worker the ACK reaches): without a seed, a random cookie key and
    /// the boot's ISN key (`Secrets::for_boot`), or a random one where the
    /// boot has no identity.
    pub fn secrets(&self) -> Result<Secrets, RunError> {
        let drawn = match (self.seed, super::clock::boot_id()) {
            (Some(s), _) => return Ok(Secrets::from_seed(s)),
            (None, Some(id)) => Secrets::for_boot(id),
            (None, None) => Secrets::random(),
        };
        drawn.map_err(RunError::Secrets)
    }

    /// Where the frames of one family (`v6`) we originate go, and its MAC
    /// now: `--peer-mac` fixed; else the family's gateway, or without one
    /// `peer` (gen's server), resolved on `ports` (ARP, or neighbor
    /// discovery: asked on the first, answered on any) and followed by
    /// its later messages; else (serve without
    /// a gateway) the host that resolves our addresses, learned from its
    /// ARP or solicitations (broadcast until then).
    pub fn next_hop<P: crate::io::Port>(
        &self,
        ports: &mut [P],
        our_mac: MacAddr,
        v6: bool,
        peer: Option<IpAddr>,
    ) -> Result<(NextHop, MacAddr), RunError> {
        if let Some(m) = self.peer_mac {
            return Ok((NextHop::Fixed(m), m));
        }
        let gateway = match v6 {
            false => self.gateway.map(IpAddr::from),
            true => self.gateway6.map(IpAddr::from),
        };
        let Some(hop) = gateway.or(peer) else {
            let learned = NextHop::learned(MacAddr::BROADCAST, ArpSource::Resolvers);
            return Ok((learned, MacAddr::BROADCAST));
        };
        let limit = Duration::from_secs(3);
        let (ours, vlan) = (self.afxdp.ours, self.afxdp.vlan);
        let (resolved, source) = match hop {
            IpAddr::V4(h) => {
                let first = ours.v4.map_or([0; 4], |r| r.first);
                let mac = arp_resolve::resolve(ports, our_mac, first, h.octets(), vlan, limit);
                (mac, ArpSource::Peer(h.octets()))
            }
            IpAddr::V6(h) => {
                let first = ours.v6.map_or([0; 16], |r| r.first);
                let mac = arp_resolve::resolve_ndp(ports, our_mac, first, h.octets(), vlan, limit);
                (mac, ArpSource::Peer6(h.octets()))
            }
        };
        let mac = resolved.map_err(|error| match gateway {
            Some(_) => RunError::GatewayArp {
                iface: self.afxdp.iface.clone(),
                error,
            },
            None => RunError::Arp(error),
        })?;
        Ok((NextHop::learned(mac, source), mac))
    }

    /// The IPv4 endpoint on our IPv4 addresses at `mac` (none, in an
    /// IPv6-only run), originating frames to `next_hop`, with the table
    /// limits.
    pub fn endpoint_config(&self, mac: MacAddr, next_hop: NextHop) -> EndpointConfig {
        let (ip_first, ip_count) = self
            .afxdp
            .ours
            .v4
            .map_or(([0; 4], 0), |r| (r.first, r.count));
        EndpointConfig {
            mac,
            next_hop,
            ip_first,
            ip_count,
            max_connections: self.max_connections,
            max_time_wait: self.max_time_wait,
            vlan: self.afxdp.vlan,
            ..EndpointConfig::default()
        }
    }

    /// The IPv6 endpoint on our IPv6 addresses, where the run has them:
    /// `base` (the IPv4 endpoint's configuration, ports and room
    /// included) with those addresses and `next_hop`.
    pub fn endpoint_config6(
        &self,
        base: &EndpointConfig,
        next_hop: NextHop,
    ) -> Option<EndpointConfig<V6>> {
        let r = self.afxdp.ours.v6?;
        let cfg = EndpointConfig {
            next_hop,
            ..base.clone()
        };
        Some(cfg.with_addresses(r.first, r.count))
    }
}

/// What one worker of an interface run hands back.
#[derive(Debug)]
pub struct QueueReport {
    /// The queue.
    pub queue: u32,
    /// The worker's report.
    pub worker: WorkerReport,
    /// The socket's wakeup counts.
    pub xsk: XskStats,
    /// The kernel's drop counts for the socket.
    pub kernel: Option<KernelDrops>,
}

/// The outcome of an interface run.
#[derive(Debug)]
pub struct InterfaceReport {
    /// One report per queue.
    pub queues: Vec<QueueReport>,
    /// Wall time from start to stop.
    pub duration: Duration,
    /// Length of the run phase.
    pub run_phase: Duration,
    /// The live lines.
    pub live_lines: Vec<LiveLine>,
}

/// Runs one worker per port of `opened`, worker i built (in its own
/// thread) by `builders[i]`, handing frames between the workers where
/// `steering` says so; detaches the program when it returns.
pub fn run_interface<B>(
    opened: AfXdp,
    builders: Vec<B>,
    steering: &Steering,
    cfg: &InterfaceRun,
    interrupt: &AtomicBool,
) -> Result<InterfaceReport, RunError>
where
    B: FnOnce() -> (Stack, Role) + Send + 'static,
{
    let AfXdp {
        queues,
        ports,
        attachment,
        ..
    } = opened;
    let n = ports.len();
    let cores = pin::cores_for(n, &cfg.cores)?;
    let clock = Clock::new();
    // The first worker captures; an unwritable file stops the run before
    // it starts.
    let mut capture = match &cfg.pcap {
        Some(p) => Some(PcapCapture::create(p, clock.now_us())?),
        None => None,
    };
    let mut jobs = Vec::with_capacity(n);
    let mut inboxes = match steering.handoff && n > 1 {
        true => handoffs(n, &steering.hasher, &steering.reta),
        false => Vec::new(),
    }
    .into_iter();
    for (i, (port, build)) in ports.into_iter().zip(builders).enumerate() {
        let handoff = inboxes.next();
        let queue = queues.get(i).copied().unwrap_or(i as u32);
        let capture = capture.take();
        let impairment = (cfg.impairment, cfg.impairment_seed);
        let run = move |start: Start| {
            let (ep, role) = build();
            let seed = impairment.1 ^ u64::from(queue).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let port = Impaired::new(port, impairment.0, seed);
            let mut w = Worker::new(port, ep, role);
            if let Some(c) = capture {
                w = w.with_capture(c);
            }
            if let Some(h) = handoff {
                w = w.with_handoff(h);
            }
            let report = start.run(&mut w);
            QueueReport {
                queue,
                worker: report,
                xsk: w.port().inner().xsk_stats(),
                kernel: w.port().inner().kernel_drops(),
            }
        };
        jobs.push(Job {
            name: format!("synwave-q{queue}"),
            core: cores[i],
            run,
        });
    }
    let label = |i: usize| (cfg.role, i);
    let plan = Plan {
        duration: cfg.duration,
        total: cfg.total,
        drain: cfg.drain,
        first_side: n,
        drain_time_wait: false,
        live: cfg.live,
        metrics_addr: cfg.metrics_addr.as_deref(),
        label: &label,
    };
    let ran = drive(jobs, clock, &plan, interrupt);
    // The XDP program is detached here, as the bpf_link closes.
    drop(attachment);
    let ran = ran?;
    Ok(InterfaceReport {
        queues: ran.reports,
        duration: ran.duration,
        run_phase: ran.run_phase,
        live_lines: ran.live_lines,
    })
}

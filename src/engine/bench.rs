//! `synwave bench`: generator workers and responder workers back to back
//! over the `loopback` backend, each pinned to a core, for a duration;
//! then a drain (no new connections, live ones finish); then the summary.
//! The phases are the run driver's (`engine::run`).
//!
//! Rules: the library never installs signal handlers; the caller passes an
//! interrupt flag (the CLI sets it on Ctrl-C or SIGTERM), which ends the
//! run phase early and then the drain.

use super::clock::Clock;
use super::error::RunError;
use super::handoff::handoffs;
use super::opener::{Load, Opener};
use super::pin;
use super::run::{Job, Plan, Start, drive};
use super::stack::Stacked;
use super::steer::queue_of;
use super::steer::rss_steer;
use super::template_mix::TemplateMix;
use super::worker::{Role, Worker, WorkerReport};
use crate::endpoint::{EndpointConfig, Latency, Reserve};
use crate::flow::{PortAllocConfig, Reta, RssHasher, RssKey, SourcePortAllocator};
use crate::io::Impairment;
use crate::io::loopback::{LoopPort, LoopbackConfig, Steer, loopback};
use crate::metrics::{self, LiveLine};
use crate::scenario::{SERVER_PORT, Scenario, ScenarioAddrs, Side};
use crate::tcp::{End, Events, Secrets};
use crate::wire::{V4, V6};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// How the loopback steers received frames to the workers of a side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Steering {
    /// By RSS, as the engine expects (every frame lands on its owner).
    #[default]
    Rss,
    /// Every frame to the queue after the one RSS names: each lands on
    /// the wrong worker and is handed to its owner (with more than one
    /// worker per side). Tests the handoff; costs throughput.
    Skewed,
}

/// A bench run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Workers per side.
    pub workers: usize,
    /// Connections open at once, at most, over all generator workers.
    pub concurrency: u64,
    /// Connections opened per second over all generator workers (`None`:
    /// a closed loop at `concurrency`).
    pub rate: Option<f64>,
    /// The rate rises from 0 over this long (`engine::load::due`).
    pub ramp: Duration,
    /// Length of the run phase.
    pub duration: Duration,
    /// Longest drain after the run phase. The drain ends when the
    /// generators hold no connection.
    pub drain: Duration,
    /// Wait instead, in the drain, for every record and every TIME-WAIT
    /// record of both sides to go.
    pub drain_time_wait: bool,
    /// What each connection does.
    pub scenario: Scenario,
    /// Link impairment, both directions.
    pub impairment: Impairment,
    /// Seed of the impairment and the secrets.
    pub seed: u64,
    /// Client addresses (each gives 64,512 source ports).
    pub client_ips: u32,
    /// The generators replace their own TIME-WAIT records on a tuple this
    /// old (`Endpoint::set_time_wait_reuse`; zero: never).
    pub time_wait_reuse: Duration,
    /// Cores to pin to: generator workers first, then responders. Empty:
    /// the available cores in turn.
    pub cores: Vec<usize>,
    /// Print a live line every second.
    pub live: bool,
    /// How received frames reach workers.
    pub steering: Steering,
    /// Most live connection records per worker (beyond: refused and
    /// counted as `drop_table_full`).
    pub max_connections: usize,
    /// Most TIME-WAIT records per worker (beyond: a closing connection
    /// skips TIME-WAIT, counted as `drop_time_wait_full`).
    pub max_time_wait: usize,
    /// `--metrics-addr`: serve the boards to Prometheus on this address.
    pub metrics_addr: Option<String>,
    /// A device between the sides that admits at most this many new
    /// connections (SYNs) a second, the rest dropped (`io::SynPolicer`;
    /// `None`: none).
    pub syn_rate_limit: Option<f64>,
    /// Most live records per responder worker, when lower than
    /// `max_connections` (a device or server whose connection table is
    /// limited).
    pub responder_max_connections: Option<usize>,
    /// Both sides on this 802.1Q VLAN: every frame tagged (`None`:
    /// untagged).
    pub vlan: Option<u16>,
    /// Both sides over IPv6 (`scenario::SERVER_IP6`, clients from
    /// `CLIENT_NET6`) instead of IPv4.
    pub ipv6: bool,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            workers: 1,
            concurrency: 1000,
            rate: None,
            ramp: Duration::ZERO,
            duration: Duration::from_secs(10),
            drain: Duration::from_secs(5),
            drain_time_wait: false,
            scenario: Scenario::default(),
            impairment: Impairment::NONE,
            seed: 1,
            client_ips: 256,
            time_wait_reuse: Duration::ZERO,
            cores: Vec::new(),
            live: true,
            steering: Steering::Rss,
            max_connections: 1 << 22,
            max_time_wait: 1 << 22,
            metrics_addr: None,
            syn_rate_limit: None,
            responder_max_connections: None,
            vlan: None,
            ipv6: false,
        }
    }
}

/// The outcome of a bench run.
#[derive(Debug)]
pub struct BenchReport {
    /// Workers per side.
    pub workers: usize,
    /// Wall time from start to stop (run phase and drain).
    pub duration: Duration,
    /// Length of the run phase.
    pub run_phase: Duration,
    /// Generator workers' reports.
    pub generators: Vec<WorkerReport>,
    /// Responder workers' reports.
    pub responders: Vec<WorkerReport>,
    /// The live lines of the run.
    pub live_lines: Vec<LiveLine>,
}

impl BenchReport {
    /// The highest setups per second of any one-second live line (0 for a
    /// run shorter than a second): on a machine shared with noisy
    /// neighbours, the engine's speed when it had its cores to itself.
    pub fn best_second_setups(&self) -> f64 {
        self.live_lines
            .iter()
            .map(|l| l.setups_per_sec)
            .fold(0.0, f64::max)
    }

    fn sum(&self, f: impl Fn(&WorkerReport) -> u64) -> u64 {
        self.generators.iter().chain(&self.responders).map(f).sum()
    }
    fn gen_sum(&self, f: impl Fn(&WorkerReport) -> u64) -> u64 {
        self.generators.iter().map(f).sum()
    }
    /// Connections the generators opened.
    pub fn opened(&self) -> u64 {
        self.gen_sum(|w| w.tally.opened)
    }
    /// Generator connections that reached ESTABLISHED.
    pub fn established(&self) -> u64 {
        self.gen_sum(|w| w.counters.event(Events::ESTABLISHED))
    }
    /// Generator connections that ended by a clean close
    /// (`endpoint::is_clean`).
    pub fn completed(&self) -> u64 {
        self.gen_sum(|w| w.counters.completed())
    }
    /// Generator connections that ended any other way.
    pub fn failed(&self) -> u64 {
        self.gen_sum(|w| w.counters.ended()) - self.completed()
    }
    /// Generator connections still open at the stop (SYN-only SYNs are
    /// not connections).
    pub fn unfinished(&self) -> u64 {
        self.gen_sum(|w| w.tally.opened - w.tally.syn_only - w.counters.ended())
    }
    /// Segments retransmitted, both sides.
    pub fn retransmits(&self) -> u64 {
        self.sum(|w| w.counters.event(Events::RETRANSMIT))
    }
    /// Frames received, both sides.
    pub fn rx_frames(&self) -> u64 {
        self.sum(|w| w.counters.rx_frames)
    }
    /// Frames sent, both sides.
    pub fn tx_frames(&self) -> u64 {
        self.sum(|w| w.counters.tx_frames)
    }
    /// The generators' histograms, merged: handshake round-trip and
    /// connection lifetime (µs).
    pub fn client_latency(&self) -> Latency {
        let mut all = Latency::new();
        for w in &self.generators {
            all.merge(&w.latency);
        }
        all
    }

    /// Every metric (`metrics::names` order) summed over the generator
    /// workers, and over the responder workers.
    pub fn metrics(&self) -> (Vec<u64>, Vec<u64>) {
        let side = |ws: &[WorkerReport]| {
            let lists: Vec<Vec<u64>> = ws.iter().map(|w| metrics::values(&w.sample())).collect();
            metrics::sum(lists.iter().map(|l| &l[..]))
        };
        (side(&self.generators), side(&self.responders))
    }

    /// Records, TIME-WAIT records and timers left, both sides.
    pub fn left(&self) -> (usize, usize, usize) {
        self.generators
            .iter()
            .chain(&self.responders)
            .fold((0, 0, 0), |a, w| {
                (a.0 + w.left.0, a.1 + w.left.1, a.2 + w.left.2)
            })
    }
}

/// The generator side and the responder side of `cfg`, each complete:
/// addresses, limits, the room made up front, TIME-WAIT reuse, TCP and
/// application.
fn sides<A: ScenarioAddrs>(cfg: &BenchConfig) -> (Side<A>, Side<A>) {
    let s = &cfg.scenario;
    let workers = cfg.workers.max(1) as u64;
    let per_worker = cfg.concurrency / workers;
    // Live records per worker to make room for: the concurrency, or at a
    // rate (whose concurrency bound is only a cap) a second's worth of
    // connections, far more than live at once unless they stall.
    let live = cfg.rate.map_or(per_worker, |r| {
        per_worker.min((r / workers as f64).ceil() as u64)
    });
    // Room for every record the run can hold: no table growth (allocation,
    // rehash pause) while it runs. The side that closes first holds a
    // TIME-WAIT record per connection: its table's pages are mapped
    // before the start, not in the run's first second.
    let base = |prefault_time_wait| EndpointConfig {
        max_connections: cfg.max_connections,
        max_time_wait: cfg.max_time_wait,
        reserve: Reserve {
            connections: 2 * live as usize + 4096,
            time_wait: cfg.max_time_wait,
            prefault_time_wait,
        },
        vlan: cfg.vlan,
        ..EndpointConfig::default()
    };
    let generator = s.client_side(
        EndpointConfig {
            report_released: true,
            time_wait_reuse_us: cfg.time_wait_reuse.as_micros() as u64,
            ..base(s.close.client_end() == End::TimeWait)
        }
        .with_addresses(A::CLIENT_NET, cfg.client_ips),
    );
    let responder = s.server_side_at(
        EndpointConfig {
            max_connections: cfg.responder_max_connections.unwrap_or(cfg.max_connections),
            ..base(s.close.server_end() == End::TimeWait)
        }
        .with_addresses(A::SERVER, 1),
    );
    (generator, responder)
}

/// The in-memory link between the generator workers' queues and the
/// responder workers', each side steering what it receives as
/// `cfg.steering` says.
fn link(
    cfg: &BenchConfig,
    hasher: &RssHasher,
    reta: Reta,
) -> Result<(Vec<LoopPort>, Vec<LoopPort>), RunError> {
    let steer = match cfg.steering {
        Steering::Rss => rss_steer(hasher.clone(), reta),
        Steering::Skewed => {
            let h = hasher.clone();
            let skewed: Steer = Arc::new(move |f: &[u8]| queue_of(&h, &reta, f) + 1);
            skewed
        }
    };
    Ok(loopback(&LoopbackConfig {
        queues_a: cfg.workers,
        queues_b: cfg.workers,
        frames_per_queue: 8192,
        ring_size: 16384,
        impairment: cfg.impairment,
        seed: cfg.seed,
        syn_rate_a: cfg.syn_rate_limit.map(|r| r / cfg.workers as f64),
        steer_a: steer.clone(),
        steer_b: steer,
    })?)
}

/// Runs a bench. `interrupt` ends the run phase (first time) and the
/// drain (when set again after the drain began, or at once if the drain
/// has begun).
pub fn run_bench(cfg: &BenchConfig, interrupt: &AtomicBool) -> Result<BenchReport, RunError> {
    if cfg.ipv6 {
        run_in::<V6>(cfg, interrupt)
    } else {
        run_in::<V4>(cfg, interrupt)
    }
}

/// `run_bench` in family `A`.
fn run_in<A: ScenarioAddrs + Stacked>(
    cfg: &BenchConfig,
    interrupt: &AtomicBool,
) -> Result<BenchReport, RunError> {
    if cfg.concurrency < cfg.workers as u64 {
        return Err(RunError::ConcurrencyBelowWorkers {
            concurrency: cfg.concurrency,
            workers: cfg.workers,
        });
    }
    let (generator, responder) = sides::<A>(cfg);
    generator.validate()?;
    responder.validate()?;
    let cores = pin::cores_for(2 * cfg.workers, &cfg.cores)?;
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(cfg.workers as u16).ok_or(RunError::NoWorkers)?;
    let (gen_ports, resp_ports) = link(cfg, &hasher, reta)?;
    let allocators = SourcePortAllocator::for_workers(
        &hasher,
        &reta,
        cfg.workers as u16,
        &PortAllocConfig::new(A::CLIENT_NET, cfg.client_ips, A::SERVER, SERVER_PORT),
    )?;
    // With several workers per side, frames that land on the wrong one are
    // handed to their owner.
    let several = cfg.workers > 1;
    let mut gen_handoffs =
        handoffs(if several { cfg.workers } else { 0 }, &hasher, &reta).into_iter();
    let mut resp_handoffs =
        handoffs(if several { cfg.workers } else { 0 }, &hasher, &reta).into_iter();
    let load = Load {
        limit: None,
        concurrency: cfg.concurrency / cfg.workers as u64,
        rate: cfg.rate.map(|r| r / cfg.workers as f64),
        ramp_us: cfg.ramp.as_micros() as u64,
    };
    let gen_count = cfg.workers as u32;
    let workers = gen_ports
        .into_iter()
        .zip(allocators)
        .map(|(p, a)| (p, Some(a)));
    let workers = workers.chain(resp_ports.into_iter().map(|p| (p, None)));
    let mut jobs = Vec::with_capacity(2 * cfg.workers);
    for (i, (port, alloc)) in workers.enumerate() {
        let handoff = if alloc.is_some() {
            gen_handoffs.next()
        } else {
            resp_handoffs.next()
        };
        let seed = cfg.seed.wrapping_add(i as u64);
        let side = if alloc.is_some() {
            generator.clone()
        } else {
            responder.clone()
        };
        let templates = cfg.scenario.templates.clone();
        let name = format!(
            "synwave-{}{}",
            if alloc.is_some() { "gen" } else { "resp" },
            i % cfg.workers
        );
        let run = move |start: Start| {
            let stack = A::stack(&side, Secrets::from_seed(seed));
            let role = match alloc {
                Some(ports) => Role::Generator(A::openers(Opener::new(
                    load,
                    crate::flow::ServerSet::single(ports),
                    (!templates.is_empty())
                        .then(|| TemplateMix::new(&templates, i as u32, gen_count)),
                ))),
                None => Role::Responder,
            };
            let mut w = Worker::new(port, stack, role);
            if let Some(h) = handoff {
                w = w.with_handoff(h);
            }
            start.run(&mut w)
        };
        jobs.push(Job {
            name,
            core: cores[i],
            run,
        });
    }
    run_jobs(cfg, jobs, interrupt)
}

/// Runs the bench's `jobs` (generators first) through the run driver's
/// phases and sorts the reports by side.
fn run_jobs<J>(
    cfg: &BenchConfig,
    jobs: Vec<Job<J>>,
    interrupt: &AtomicBool,
) -> Result<BenchReport, RunError>
where
    J: FnOnce(Start) -> WorkerReport + Send + 'static,
{
    let label = |i: usize| {
        if i < cfg.workers {
            ("generator", i)
        } else {
            ("responder", i - cfg.workers)
        }
    };
    let plan = Plan {
        duration: Some(cfg.duration),
        total: None,
        drain: cfg.drain,
        first_side: cfg.workers,
        drain_time_wait: cfg.drain_time_wait,
        live: cfg.live,
        metrics_addr: cfg.metrics_addr.as_deref(),
        label: &label,
    };
    // The drain ends when the generators hold no connection: the work the
    // bench measures is done. Records a responder may still hold then (a
    // last FIN awaiting its ACK; after a stall, a connection rebuilt from
    // the cookie by the client's duplicate ACK of a retransmitted FIN that
    // arrives after the close, as Linux would rebuild it, and which waits
    // for a client that has gone) are reported as left, not waited for.
    // With `drain_time_wait`, it waits for every record and every
    // TIME-WAIT record on both sides.
    let mut ran = drive(jobs, Clock::new(), &plan, interrupt)?;
    let responders = ran.reports.split_off(cfg.workers);
    Ok(BenchReport {
        workers: cfg.workers,
        duration: ran.duration,
        run_phase: ran.run_phase,
        generators: ran.reports,
        responders,
        live_lines: ran.live_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::PREFAULT_MAX_BYTES;

    #[test]
    fn the_default_time_wait_table_is_under_the_prefault_cap() {
        let cfg = BenchConfig {
            concurrency: 1,
            ..BenchConfig::default()
        };
        let (generator, _) = sides::<V4>(&cfg);
        let ep = generator.build(Secrets::from_seed(1));
        let bytes = ep.time_wait_table_bytes();
        // 4 Mi records need more than 4 Mi slots (at most 7/8 full), so 8
        // Mi (a power of two), each a 4-byte tag and a 48-byte record.
        assert_eq!(bytes, (8 << 20) * 52);
        assert!(bytes <= PREFAULT_MAX_BYTES);
    }
}

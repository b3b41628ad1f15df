//! `synwave search`: the highest clean connection rate (or connection
//! count) of a device under test, found by binary search (RFC 9411 §7,
//! RFC 3511 §5.2): every `gen` flag aims the generator (through
//! `--gateway` at a server behind the device), the search flags set the
//! bounds, the steps and the pass criteria; `--in-memory` searches a
//! device with known limits between `bench`'s two sides instead.

use super::gen_args::{Ends, Exchange, Offered, Target, gen_config};
use super::net_args::{AfXdpArgs, RunArgs};
use super::output::{refuse, write_summary};
use super::run_errors::{Command, run_error};
use super::search_output::{
    Intro, print_answer, print_step, print_table, print_warm_up, summary_json,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use synwave::app::Template;
use synwave::engine::bench::BenchConfig;
use synwave::engine::search::{Criteria, Metric, SearchPlan};
use synwave::engine::search_bench::run_search_bench;
use synwave::engine::search_gen::run_search_gen;
use synwave::scenario::Scenario;

/// What the search varies.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricArg {
    /// Connections opened per second.
    Cps,
    /// Connections held open at once (each held --hold ms).
    Concurrency,
}

/// `synwave search` flags.
#[derive(clap::Args)]
pub struct Args {
    /// The interface, its queues and the AF_XDP set-up (not with
    /// --in-memory).
    #[command(flatten)]
    pub afxdp: Option<AfXdpArgs>,
    /// Our addresses and the server (not with --in-memory).
    #[command(flatten)]
    pub ends: Option<Ends>,
    /// Search a device in memory between bench's generator and responder
    /// (limits from --limit-syn-rate and --limit-connections) instead of
    /// a server on an interface.
    #[arg(long, conflicts_with_all = ["iface", "src_ip", "dst"])]
    pub in_memory: bool,
    /// What is searched.
    #[arg(long, value_enum, default_value_t = MetricArg::Cps)]
    pub metric: MetricArg,
    /// Lowest value offered (connections/s, or connections open at once);
    /// it must pass.
    #[arg(long, value_parser = super::bench::parse_rate)]
    pub min: f64,
    /// Highest value offered.
    #[arg(long, value_parser = super::bench::parse_rate)]
    pub max: f64,
    /// Seconds each step offers its value, after its ramp.
    #[arg(long, default_value_t = 5.0, value_parser = super::serve::parse_duration)]
    pub step_duration: f64,
    /// Seconds over which a step's rate rises from 0 first [default: a
    /// fifth of --step-duration; none for --metric concurrency].
    #[arg(long, value_parser = super::bench::parse_ramp)]
    pub ramp: Option<f64>,
    /// Longest wait, seconds, after a step for its connections to end
    /// (those still open then count as failed) [default: 2 s, plus --hold].
    #[arg(long, value_parser = super::bench::parse_ramp)]
    pub drain: Option<f64>,
    /// Seconds at --min before the first step, not judged (RFC 9411 §7's
    /// initialization: the device and the server learn our addresses);
    /// 0: none. Each in-memory step is fresh and needs none.
    #[arg(long, default_value_t = 1.0, value_parser = super::bench::parse_ramp)]
    pub warm_up: f64,
    /// The search ends once the bracket between the highest value that
    /// passed and the lowest that failed is within this percentage.
    #[arg(long, default_value_t = 2.0, value_parser = parse_resolution)]
    pub resolution: f64,
    /// Most failed connections, percent of those opened (RFC 9411 §7).
    #[arg(long, default_value_t = 0.001, value_parser = parse_criterion)]
    pub max_failed: f64,
    /// Most connections ended by an unexpected RST, percent.
    #[arg(long, default_value_t = 0.001, value_parser = parse_criterion)]
    pub max_resets: f64,
    /// Most retransmitted SYNs, percent of the connections opened.
    #[arg(long, default_value_t = 0.1, value_parser = parse_criterion)]
    pub max_syn_retransmits: f64,
    /// Highest handshake (SYN → ESTABLISHED) p99 of a step, milliseconds.
    #[arg(long, value_parser = parse_ms)]
    pub max_handshake_p99: Option<f64>,
    /// Highest SYN → first response byte p99 of a step, milliseconds.
    #[arg(long, value_parser = parse_ms)]
    pub max_first_byte_p99: Option<f64>,
    /// Connections open at once, at most, while a rate is offered (cps);
    /// a step that reaches it fails as a generator limit.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub concurrency: u64,
    /// Connections opened per second while a concurrency is offered
    /// (default: as fast as the device answers).
    #[arg(long, value_parser = super::bench::parse_rate)]
    pub rate: Option<f64>,
    /// What each connection does, and how it ends.
    #[command(flatten)]
    pub exchange: Exchange,
    /// The in-memory device admits at most this many new connections a
    /// second (SYNs above it are dropped).
    #[arg(long, requires = "in_memory", value_parser = super::bench::parse_rate)]
    pub limit_syn_rate: Option<f64>,
    /// The in-memory server holds at most this many connections per
    /// worker (beyond: refused).
    #[arg(long, requires = "in_memory", value_parser = clap::value_parser!(u64).range(1..=1 << 28))]
    pub limit_connections: Option<u64>,
    /// Workers per side, in memory.
    #[arg(long, default_value_t = 1, requires = "in_memory", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Secrets, table limits, output.
    #[command(flatten)]
    pub common: RunArgs,
    /// A TOML profile: any of these flags as keys (typed flags win), and
    /// [[template]] entries mixed by weight. See docs/workloads.md.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

fn parse_resolution(s: &str) -> Result<f64, String> {
    let v = super::parse_within(
        s,
        0.0..=99.0,
        "a percentage; give e.g. 2",
        "give a resolution above 0 and below 100 percent",
    )?;
    if v <= 0.0 {
        return Err(
            "a resolution of 0 never ends the search; give a percentage above 0, e.g. 2".into(),
        );
    }
    Ok(v)
}

fn parse_criterion(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        0.0..=100.0,
        "a percentage; give e.g. 0.001",
        "a criterion is a percentage from 0 to 100",
    )
}

fn parse_ms(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        0.001..=3_600_000.0,
        "a number of milliseconds; give e.g. 5",
        "give 0.001 to 3600000 milliseconds",
    )
}

/// The search `a` asks for, or what is wrong with it.
fn plan(a: &Args) -> Result<SearchPlan, String> {
    if a.min > a.max {
        return Err(format!(
            "--min {} is above --max {}: give the lower bound as --min",
            a.min, a.max
        ));
    }
    let metric = match a.metric {
        MetricArg::Cps => Metric::Cps,
        MetricArg::Concurrency => Metric::Concurrency,
    };
    let ramp = match (metric, a.ramp) {
        (Metric::Concurrency, Some(_)) => {
            return Err("--ramp is for --metric cps; a concurrency step opens at --rate".into());
        }
        (Metric::Concurrency, None) => 0.0,
        (Metric::Cps, r) => r.unwrap_or(a.step_duration / 5.0),
    };
    let hold = a.exchange.hold as f64 / 1e3;
    let p = SearchPlan {
        metric,
        min: a.min,
        max: a.max,
        resolution_pct: a.resolution,
        step: Duration::from_secs_f64(a.step_duration),
        ramp: Duration::from_secs_f64(ramp),
        drain: Duration::from_secs_f64(a.drain.unwrap_or(2.0 + hold)),
        warm_up: Duration::from_secs_f64(if a.in_memory { 0.0 } else { a.warm_up }),
        criteria: Criteria {
            failed_pct: a.max_failed,
            resets_pct: a.max_resets,
            syn_retransmits_pct: a.max_syn_retransmits,
            handshake_p99_us: a.max_handshake_p99.map(|ms| (ms * 1e3) as u64),
            first_byte_p99_us: a.max_first_byte_p99.map(|ms| (ms * 1e3) as u64),
        },
    };
    p.validate().map_err(|e| format!("{e}"))?;
    Ok(p)
}

/// What `a` asks for that a search does not do, if anything.
fn unsupported(a: &Args) -> Option<String> {
    if a.common.pcap.is_some() {
        return Some("--pcap is for gen and serve: a search runs many steps; capture one rate with gen --rate".into());
    }
    if a.common.metrics_addr.is_some() {
        return Some(
            "--metrics-addr is for gen and serve: a search reports per step (--json)".into(),
        );
    }
    if a.in_memory && a.exchange.request.is_some() {
        return Some("--request http is for a server on an interface; in memory give --request-bytes and --response-bytes".into());
    }
    None
}

/// Runs the search with a profile's `templates` (none without one).
pub fn run(a: Args, templates: Vec<Template>) -> ExitCode {
    let interrupt = super::interrupt::on_ctrl_c();
    if let Some(e) = unsupported(&a) {
        return refuse(e);
    }
    let plan = match plan(&a) {
        Ok(p) => p,
        Err(e) => return refuse(e),
    };
    let steps = plan.max_steps();
    let quiet = a.common.quiet;
    let mut on_step = |i: usize, s: &_| {
        if !quiet {
            print_step(i, steps, plan.metric, s);
        }
    };
    let target = match (&a.afxdp, &a.ends) {
        (Some(afxdp), Some(ends)) => Some(Target { afxdp, ends }),
        _ => None,
    };
    // clap asks for the interface, our addresses and the server unless
    // --in-memory is given.
    let report = match target {
        Some(t) => {
            let offered = Offered {
                concurrency: a.concurrency,
                rate: a.rate,
                ramp: 0.0,
                duration: a.step_duration,
                connections: None,
            };
            let cfg = match gen_config(&t, &a.exchange, &a.common, offered, templates) {
                Ok(c) => c,
                Err(e) => return refuse(e),
            };
            let intro = Intro::interface(&t, a.common.msl, a.exchange.tw_reuse, &plan);
            run_search_gen(
                &cfg,
                &plan,
                &interrupt,
                |mode, _, mac, notes| {
                    intro.print(Some((mode, mac, notes)));
                    eprintln!("note: {}", t.afxdp.umem_note());
                },
                |s| print_warm_up(plan.warm_up, s),
                &mut on_step,
            )
            .map_err(|e| run_error(&e, Command::Gen))
        }
        None => {
            let cfg = bench_config(&a, templates);
            Intro::in_memory(a.limit_syn_rate, a.limit_connections, &cfg, &plan).print(None);
            run_search_bench(&cfg, &plan, &interrupt, &mut on_step)
                .map_err(|e| run_error(&e, Command::Bench))
        }
    };
    let r = match report {
        Ok(r) => r,
        Err(e) => return refuse(e),
    };
    print_table(&r);
    print_answer(&r, &plan);
    if let Some(path) = &a.common.json
        && let Err(code) = write_summary(path, &summary_json(&r, &plan))
    {
        return code;
    }
    if r.answer.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The in-memory bench every step of `--in-memory` runs.
fn bench_config(a: &Args, templates: Vec<Template>) -> BenchConfig {
    let x = &a.exchange;
    let d = Scenario::default();
    BenchConfig {
        workers: usize::from(a.workers),
        concurrency: a.concurrency,
        scenario: Scenario {
            close: x.close.map_or(d.close, Into::into),
            request_bytes: x.request_bytes,
            response_bytes: x.response_bytes,
            hold_us: x.hold * 1000,
            templates,
            msl_us: (a.common.msl * 1e6) as u64,
            defences: a.common.defences.defences(),
            ..d
        },
        seed: a.common.seed.unwrap_or(1),
        time_wait_reuse: if x.tw_reuse {
            Duration::from_secs(1)
        } else {
            Duration::ZERO
        },
        max_connections: a.common.max_connections as usize,
        max_time_wait: a.common.max_time_wait as usize,
        syn_rate_limit: a.limit_syn_rate,
        responder_max_connections: a.limit_connections.map(|n| n as usize),
        ..BenchConfig::default()
    }
}

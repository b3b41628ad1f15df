//! `synwave bench`: generator and responder workers back to back over the
//! in-memory loopback backend, pinned to cores; one live line a second
//! (from the stats thread), a summary table with every counter that
//! moved, and `--json FILE`.

use super::TrafficArgs;
use super::host_steal::HostSteal;
use super::output::{refuse, write_file, write_summary};
use super::profile_args;
use super::run_errors::{Command, run_error};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use synwave::app::Template;
use synwave::engine::{BenchConfig, BenchReport, PollGaps, WorkerReport, run_bench};
use synwave::io::Impairment;
use synwave::metrics::{self, LiveLine};
use synwave::scenario::Scenario;
use synwave::tcp::{End, Events};

/// `synwave bench` flags.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds of the run phase (a drain follows: no new connections,
    /// open ones finish).
    #[arg(long, default_value_t = 10.0, value_parser = parse_seconds)]
    pub duration: f64,
    /// Workers per side (generator and responder), one core each.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=128))]
    pub workers: u16,
    /// Connections open at once, over all generator workers (a closed
    /// loop: a new connection as soon as one ends) [default: 1,024 per
    /// generator worker].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub concurrency: Option<u64>,
    /// Connections opened per second over all generator workers (an open
    /// loop, instead of --concurrency; at most 4,194,304 open at once).
    #[arg(long, conflicts_with = "concurrency", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Seconds over which --rate rises linearly from 0 (then it holds).
    #[arg(long, default_value_t = 0.0, requires = "rate", value_parser = parse_ramp)]
    pub ramp: f64,
    /// What each connection does, and the link.
    #[command(flatten)]
    pub traffic: TrafficArgs,
    /// Both sides on this 802.1Q VLAN: every frame carries the tag, as on
    /// a tagged port (the cost of the tag, without a NIC).
    #[arg(long, value_parser = super::net_args::parse_vlan)]
    pub vlan: Option<u16>,
    /// Both sides over IPv6 (server fd00::1, clients from fd00::1:0): the
    /// cost of IPv6, without a NIC.
    #[arg(long)]
    pub ipv6: bool,
    /// A TOML profile: any of these flags as keys (typed flags win), and [[template]] entries mixed by weight.
    /// See docs/workloads.md.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Milliseconds each connection stays open once its exchange is done,
    /// before the client closes (the server's FIN still closes at once).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub hold: u64,
    /// Open a connection on a tuple still in our TIME-WAIT once that
    /// record is a second old, when the old connection used timestamps
    /// (Linux's tcp_tw_reuse; RFC 6191's conditions): source pairs come
    /// back after 1 s instead of 2·MSL.
    #[arg(long)]
    pub tw_reuse: bool,
    /// Maximum segment lifetime, seconds: TIME-WAIT lasts 2·MSL, and a
    /// source pair is used again only after it (RFC 9293 §3.4.2).
    #[arg(long, default_value_t = 30.0, value_parser = super::parse_msl)]
    pub msl: f64,
    /// Client addresses from 10.1.0.0 (64,512 source ports each; client
    /// TIME-WAIT holds a port for 2·MSL).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub client_ips: u32,
    /// Cores to pin to, comma-separated: generator workers first, then
    /// responders (default: the available cores in turn).
    #[arg(long, value_delimiter = ',')]
    pub cores: Vec<usize>,
    /// Most live connection records per worker; beyond it new connections
    /// are refused and counted (drop_table_full).
    #[arg(long, default_value_t = 1 << 22, value_parser = clap::value_parser!(u64).range(1..=1 << 28))]
    pub max_connections: u64,
    /// Most TIME-WAIT records per worker; beyond it a closing connection
    /// skips TIME-WAIT and is counted (drop_time_wait_full), like Linux's
    /// tcp_max_tw_buckets. The tables are sized for both up front.
    #[arg(long, default_value_t = 1 << 22, value_parser = clap::value_parser!(u64).range(0..=1 << 28))]
    pub max_time_wait: u64,
    /// Write the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the live lines (interval figures, one row a second) as CSV to
    /// this file.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Serve the counters to Prometheus at http://HOST:PORT/metrics
    /// (docs/scale-out.md).
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
    /// SYN queue, rate limits, cookie key rotation.
    #[command(flatten)]
    pub defences: super::defence_args::DefenceArgs,
}

/// Connections open at once per generator worker when `--concurrency` is
/// not given: enough to keep every burst full, few enough that the
/// connections in flight and their frames stay in the cores' caches; more
/// gain nothing and cost cache misses (docs/benchmarks.md, "Why 1,024 per
/// worker").
pub const CONCURRENCY_PER_WORKER: u64 = 1024;

impl Args {
    /// `--concurrency`, or its default for `--workers`; `None` with
    /// `--rate` (an open loop).
    pub fn concurrency(&self) -> Option<u64> {
        if self.rate.is_some() {
            return None;
        }
        Some(
            self.concurrency
                .unwrap_or(CONCURRENCY_PER_WORKER * u64::from(self.workers)),
        )
    }
}

/// A ramp: 0 to a day, in seconds.
pub(super) fn parse_ramp(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        0.0..=86_400.0,
        "a number of seconds; give e.g. 5",
        "give 0 to 86400 seconds",
    )
}

/// A connection rate: 1 to 1e9 per second.
pub(super) fn parse_rate(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        1.0..=1e9,
        "a rate; give connections per second, e.g. 100000",
        "give 1 to 1,000,000,000 connections per second",
    )
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        0.01..=86_400.0,
        "a number of seconds; give e.g. 10 or 0.5",
        "give 0.01 to 86400 seconds",
    )
}

/// The bench `a` and the profile's `templates` ask for, or what is wrong
/// with them together.
fn config(a: &Args, templates: Vec<Template>) -> Result<BenchConfig, String> {
    profile_args::check_templates(
        &templates,
        a.hold,
        synwave::scenario::CLIENT_NET,
        a.client_ips,
        "--client-ips",
    )?;
    // The responder answers every request with --response-bytes: a
    // template can await that much or nothing.
    if let Some(t) = templates
        .iter()
        .find(|t| t.response_bytes > 0 && t.response_bytes != a.traffic.response_bytes)
    {
        return Err(format!(
            "template '{}' awaits {} response bytes, but the responder sends --response-bytes {}: give the same number (or 0)",
            t.name, t.response_bytes, a.traffic.response_bytes
        ));
    }
    if let Some(t) = templates.iter().find(|t| t.http_path.is_some()) {
        return Err(format!(
            "template '{}' has request = \"http\": the in-memory responder answers bytes; run HTTP templates with gen against serve --response http or a web server",
            t.name
        ));
    }
    if let Some(t) = templates.iter().find(|t| t.requests > 1) {
        return Err(format!(
            "template '{}' has requests = {}: the in-memory responder answers one request per connection; run several transactions with gen and serve (--requests)",
            t.name, t.requests
        ));
    }
    let scenario = Scenario {
        close: a.traffic.close.into(),
        cookies: a.traffic.cookies.into(),
        request_bytes: a.traffic.request_bytes,
        response_bytes: a.traffic.response_bytes,
        msl_us: (a.msl * 1e6) as u64,
        templates,
        hold_us: a.hold * 1000,
        defences: a.defences.defences(),
        // In memory, one transaction per connection.
        requests: 1,
        think_us: 0,
    };
    Ok(BenchConfig {
        workers: usize::from(a.workers),
        concurrency: a.concurrency().unwrap_or(1 << 22),
        rate: a.rate,
        ramp: Duration::from_secs_f64(a.ramp),
        duration: Duration::from_secs_f64(a.duration),
        scenario,
        impairment: Impairment::lossy(a.traffic.loss / 100.0),
        seed: a.traffic.seed,
        client_ips: a.client_ips,
        time_wait_reuse: if a.tw_reuse {
            Duration::from_secs(1)
        } else {
            Duration::ZERO
        },
        cores: a.cores.clone(),
        max_connections: a.max_connections as usize,
        max_time_wait: a.max_time_wait as usize,
        metrics_addr: a.metrics_addr.clone(),
        vlan: a.vlan,
        ipv6: a.ipv6,
        ..BenchConfig::default()
    })
}

/// Runs the bench with a profile's `templates` (none without one).
pub fn run(a: Args, templates: Vec<Template>) -> ExitCode {
    let interrupt = super::interrupt::on_ctrl_c();
    let cfg = match config(&a, templates) {
        Ok(c) => c,
        Err(e) => return refuse(e),
    };
    let scenario = &cfg.scenario;
    let load = match a.rate {
        Some(r) if a.ramp > 0.0 => format!("rate {r} conn/s after a {} s ramp", a.ramp),
        Some(r) => format!("rate {r} conn/s"),
        None => format!("concurrency {}", a.concurrency().unwrap_or(0)),
    };
    eprintln!(
        "synwave bench: {} s, {} worker(s) per side, {load}, close {:?}, cookies {:?}, loss {}% (in-memory loopback)",
        a.duration, cfg.workers, scenario.close, scenario.cookies, a.traffic.loss
    );
    let steal = HostSteal::start();
    let r = match run_bench(&cfg, &interrupt) {
        Ok(r) => r,
        Err(e) => return refuse(run_error(&e, Command::Bench)),
    };
    let steal = steal.percent();
    print_summary(&r, scenario, steal);
    if let Some(path) = &a.json {
        if let Err(code) = write_summary(path, &summary_json(&a, &r, scenario, steal)) {
            return code;
        }
    }
    if let Some(path) = &a.csv {
        let mut text = String::from(LiveLine::CSV_HEADER);
        text.push('\n');
        for l in &r.live_lines {
            text.push_str(&l.csv_row());
            text.push('\n');
        }
        if let Err(code) = write_file(path, text, "live lines") {
            return code;
        }
    }
    if r.failed() > 0 || r.unfinished() > 0 {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn per_sec(n: u64, r: &BenchReport) -> f64 {
    n as f64 / r.duration.as_secs_f64().max(1e-9)
}

fn print_summary(r: &BenchReport, s: &Scenario, steal: Option<f64>) {
    let ev = |e: Events| -> u64 { r.responders.iter().map(|w| w.counters.event(e)).sum() };
    let (records, tw, timers) = r.left();
    let row = |k: &str, v: String| println!("{k:<36}{v:>16}");
    row("workers per side", r.workers.to_string());
    row("connections opened", r.opened().to_string());
    row("established", r.established().to_string());
    row("completed", r.completed().to_string());
    row("failed", r.failed().to_string());
    row("unfinished at stop", r.unfinished().to_string());
    row("retransmits", r.retransmits().to_string());
    row(
        "cookies sent / ok",
        format!("{} / {}", ev(Events::COOKIE_SENT), ev(Events::COOKIE_OK)),
    );
    let client_tw: u64 = r
        .generators
        .iter()
        .map(|w| w.counters.end(End::TimeWait))
        .sum();
    row("client TIME-WAIT entered", client_tw.to_string());
    row(
        "records / TIME-WAIT / timers left",
        format!("{records} / {tw} / {timers}"),
    );
    row("run phase (s)", format!("{:.2}", r.run_phase.as_secs_f64()));
    row("wall time (s)", format!("{:.2}", r.duration.as_secs_f64()));
    row("setups/s", format!("{:.0}", per_sec(r.established(), r)));
    row(
        "setups/s, best second",
        format!("{:.0}", r.best_second_setups()),
    );
    row("teardowns/s", format!("{:.0}", per_sec(r.completed(), r)));
    // On a shared VM: how much of the machine's CPU time the host gave to
    // other tenants during the run (the figures above are slowed by it).
    row(
        "host steal (% of CPU time)",
        steal.map_or("n/a".into(), |p| format!("{p:.1}")),
    );
    let (g_gaps, r_gaps) = side_gaps(r);
    row(
        "poll gap p99.99 / max (µs), gen",
        super::interface_report::poll_gap_cell(&g_gaps),
    );
    row(
        "poll gap p99.99 / max (µs), resp",
        super::interface_report::poll_gap_cell(&r_gaps),
    );
    row(
        "frames rx/s (both sides)",
        format!("{:.0}", per_sec(r.rx_frames(), r)),
    );
    row(
        "frames tx/s (both sides)",
        format!("{:.0}", per_sec(r.tx_frames(), r)),
    );
    super::interface_report::print_latency(&r.client_latency());
    profile_args::print_templates(
        &s.templates,
        &profile_args::sum(r.generators.iter().map(|w| &w.counters.templates[..])),
    );
    // Every counter that moved, per side.
    let (g, resp) = r.metrics();
    println!();
    println!("{:<36}{:>16}{:>16}", "counter", "generator", "responder");
    for (i, name) in metrics::names().iter().enumerate() {
        let (a, b) = (
            g.get(i).copied().unwrap_or(0),
            resp.get(i).copied().unwrap_or(0),
        );
        if a != 0 || b != 0 {
            println!("{name:<36}{a:>16}{b:>16}");
        }
    }
    let exhausted = r.generators.iter().map(|w| w.tally.ports_exhausted).sum();
    let msl_s = s.msl_us as f64 / 1e6;
    if let Some(n) =
        super::interface_report::ports_exhausted_note(exhausted, msl_s, "--client-ips N")
    {
        eprintln!("{n}");
    }
}

/// The poll gaps of each side's workers together: (generators,
/// responders).
fn side_gaps(r: &BenchReport) -> (PollGaps, PollGaps) {
    let sum = |ws: &[WorkerReport]| {
        ws.iter().fold(PollGaps::default(), |mut g, w| {
            g.add(&w.gaps);
            g
        })
    };
    (sum(&r.generators), sum(&r.responders))
}

/// Every metric of one side by name.
fn side_json(values: &[u64]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = metrics::names()
        .into_iter()
        .zip(values.iter().copied().chain(std::iter::repeat(0)))
        .map(|(n, v)| (n, v.into()))
        .collect();
    serde_json::Value::Object(map)
}

fn summary_json(a: &Args, r: &BenchReport, s: &Scenario, steal: Option<f64>) -> serde_json::Value {
    let (records, tw, timers) = r.left();
    let (gen_metrics, resp_metrics) = r.metrics();
    let lat = r.client_latency();
    let (gen_gaps, resp_gaps) = side_gaps(r);
    serde_json::json!({
        "mode": "loopback",
        "workers": r.workers,
        "vlan": a.vlan,
        "family": if a.ipv6 { "IPv6" } else { "IPv4" },
        "concurrency": a.concurrency(),
        "rate": a.rate,
        "ramp_s": a.ramp,
        "loss": a.traffic.loss / 100.0,
        "seed": a.traffic.seed,
        "opened": r.opened(),
        "established": r.established(),
        "completed": r.completed(),
        "failed": r.failed(),
        "unfinished": r.unfinished(),
        "retransmits": r.retransmits(),
        "setups_per_sec": per_sec(r.established(), r),
        "setups_per_sec_best_second": r.best_second_setups(),
        "teardowns_per_sec": per_sec(r.completed(), r),
        "pps_rx": per_sec(r.rx_frames(), r),
        "pps_tx": per_sec(r.tx_frames(), r),
        "rtt_us": super::interface_report::percentiles_json(&lat.handshake_us),
        "first_byte_us": super::interface_report::percentiles_json(&lat.first_byte_us),
        "last_byte_us": super::interface_report::percentiles_json(&lat.last_byte_us),
        "lifetime_us": super::interface_report::percentiles_json(&lat.lifetime_us),
        "duration_s": r.duration.as_secs_f64(),
        "run_phase_s": r.run_phase.as_secs_f64(),
        "series": super::interface_report::series_json(&r.live_lines),
        "host_steal_pct": steal,
        "poll_gaps": {
            "generator": super::interface_report::poll_gaps_json(&gen_gaps),
            "responder": super::interface_report::poll_gaps_json(&resp_gaps),
        },
        "records_left": records,
        "time_wait_left": tw,
        "timers_left": timers,
        "templates": profile_args::templates_json(
            &s.templates,
            &profile_args::sum(r.generators.iter().map(|w| &w.counters.templates[..])),
        ),
        "counters": {
            "generator": side_json(&gen_metrics),
            "responder": side_json(&resp_metrics),
        },
    })
}

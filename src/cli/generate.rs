//! `synwave gen`: the generator on a real interface over AF_XDP, toward
//! one server `ip:port`, for `--duration` or `--connections`; one live
//! line a second, a summary, and `--json FILE`.

use super::gen_args::{Ends, Exchange, Offered, Target, gen_config};
use super::interface_report::{
    bind_name, counters_json, established, failed_by_cause, metric, pcap_json, per_sec,
    percentiles_json, ports_exhausted_note, print_latency, print_tail, queues_json, totals,
};
use super::net_args::{AfXdpArgs, RunArgs};
use super::output::{refuse, write_summary};
use super::run_errors::{Command, run_error};
use std::path::PathBuf;
use std::process::ExitCode;
use synwave::app::Template;
use synwave::endpoint::Latency;
use synwave::engine::generate::{GenConfig, GenReport, run_gen};
use synwave::engine::interface::InterfaceReport;
use synwave::io::afxdp::BindMode;

/// `synwave gen` flags.
#[derive(clap::Args)]
pub struct Args {
    /// The interface, its queues and the AF_XDP set-up.
    #[command(flatten)]
    pub afxdp: AfXdpArgs,
    /// Our addresses and the server.
    #[command(flatten)]
    pub ends: Ends,
    /// Connections open at once, over all workers (a closed loop).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub concurrency: u64,
    /// Connections opened per second over all workers (an open loop; at
    /// most --concurrency open at once).
    #[arg(long, value_parser = super::bench::parse_rate)]
    pub rate: Option<f64>,
    /// Seconds over which --rate rises linearly from 0 (then it holds).
    #[arg(long, default_value_t = 0.0, requires = "rate", value_parser = super::bench::parse_ramp)]
    pub ramp: f64,
    /// Connections to open in all; the run ends once they have ended (or
    /// at --duration).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub connections: Option<u64>,
    /// Seconds of the run phase (a drain of up to 5 s follows).
    #[arg(long, default_value_t = 10.0, value_parser = super::serve::parse_duration)]
    pub duration: f64,
    /// What each connection does, and how it ends.
    #[command(flatten)]
    pub exchange: Exchange,
    /// Secrets, table limits, output.
    #[command(flatten)]
    pub common: RunArgs,
    /// A TOML profile: any of these flags as keys (typed flags win), and [[template]] entries mixed by weight.
    /// See docs/workloads.md.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

struct Outcome {
    opened: u64,
    completed: u64,
    failed: u64,
    unfinished: u64,
}

fn outcome(r: &InterfaceReport) -> Outcome {
    let mut o = Outcome {
        opened: 0,
        completed: 0,
        failed: 0,
        unfinished: 0,
    };
    for q in &r.queues {
        let w = &q.worker;
        o.opened += w.tally.opened;
        let completed = w.counters.completed();
        o.completed += completed;
        o.failed += w.counters.ended() - completed;
        o.unfinished += (w.tally.opened - w.tally.syn_only).saturating_sub(w.counters.ended());
    }
    o
}

fn latency(r: &InterfaceReport) -> Latency {
    let mut all = Latency::new();
    for q in &r.queues {
        all.merge(&q.worker.latency);
    }
    all
}

/// The gen run `a` and the profile's `templates` ask for, or what is
/// wrong with them together.
fn config(a: &Args, templates: Vec<Template>) -> Result<GenConfig, String> {
    let offered = Offered {
        concurrency: a.concurrency,
        rate: a.rate,
        ramp: a.ramp,
        duration: a.duration,
        connections: a.connections,
    };
    gen_config(
        &Target {
            afxdp: &a.afxdp,
            ends: &a.ends,
        },
        &a.exchange,
        &a.common,
        offered,
        templates,
    )
}

/// Runs the generator with a profile's `templates` (none without one).
pub fn run(a: Args, templates: Vec<Template>) -> ExitCode {
    let interrupt = super::interrupt::on_ctrl_c();
    let cfg = match config(&a, templates) {
        Ok(c) => c,
        Err(e) => return refuse(e),
    };
    let (close, templates) = (cfg.close, &cfg.templates);
    let report = run_gen(&cfg, &interrupt, |mode, bind, mac, notes| {
        for n in notes {
            eprintln!("note: {n}");
        }
        eprintln!("note: {}", a.afxdp.umem_note());
        let load = match a.rate {
            Some(r) if a.ramp > 0.0 => format!(
                "rate {r} conn/s after a {} s ramp (at most {} open)",
                a.ramp, a.concurrency
            ),
            Some(r) => format!("rate {r} conn/s (at most {} open)", a.concurrency),
            None => format!("concurrency {}", a.concurrency),
        };
        eprintln!(
            "synwave gen: {} ({} queue(s)) → {} (MAC {mac}), {load}{}, close {close:?}, XDP {mode}, {}",
            a.afxdp.iface,
            a.afxdp.queues,
            a.ends.dst,
            a.connections
                .map_or(String::new(), |n| format!(", {n} connections")),
            bind_name(bind),
        );
    });
    let r = match report {
        Ok(r) => r,
        Err(e) => return refuse(run_error(&e, Command::Gen)),
    };
    let o = outcome(&r.run);
    print_summary(&r, &o, templates, a.common.msl);
    if let Some(path) = &a.common.json {
        if let Err(code) = write_summary(path, &summary_json(&a, &r, &o, templates)) {
            return code;
        }
    }
    if o.failed > 0 || o.unfinished > 0 {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn template_counts(r: &InterfaceReport) -> Vec<synwave::endpoint::TemplateCounts> {
    super::profile_args::sum(r.queues.iter().map(|q| &q.worker.counters.templates[..]))
}

fn print_summary(r: &GenReport, o: &Outcome, templates: &[Template], msl_s: f64) {
    let run = &r.run;
    let v = totals(run);
    let row = |k: &str, v: String| println!("{k:<36}{v:>16}");
    row("queues", run.queues.len().to_string());
    row(
        "XDP mode / socket mode",
        format!("{} / {}", r.xdp_mode, bind_name(r.bind)),
    );
    row("connections opened", o.opened.to_string());
    row("established", established(run).to_string());
    row("completed", o.completed.to_string());
    row("failed", o.failed.to_string());
    for (cause, n) in failed_by_cause(run).iter().filter(|(_, n)| *n > 0) {
        row(&format!("  {}", cause.replace('_', " ")), n.to_string());
    }
    row("unfinished at stop", o.unfinished.to_string());
    row("retransmits", metric(&v, "retransmit").to_string());
    row(
        "run phase (s)",
        format!("{:.2}", run.run_phase.as_secs_f64()),
    );
    row(
        "wall time (s)",
        format!("{:.2}", run.duration.as_secs_f64()),
    );
    row("setups/s", format!("{:.0}", per_sec(established(run), run)));
    row("teardowns/s", format!("{:.0}", per_sec(o.completed, run)));
    print_latency(&latency(run));
    super::profile_args::print_templates(templates, &template_counts(run));
    print_tail(run, &v, &row);
    if let Some(n) = ports_exhausted_note(metric(&v, "ports_exhausted"), msl_s, "--src-ip A-B") {
        eprintln!("{n}");
    }
}

fn summary_json(a: &Args, r: &GenReport, o: &Outcome, templates: &[Template]) -> serde_json::Value {
    let run = &r.run;
    let v = totals(run);
    let lat = latency(run);
    serde_json::json!({
        "mode": "afxdp",
        "umem": a.afxdp.umem_json(),
        "role": "gen",
        "iface": a.afxdp.iface,
        "dst": a.ends.dst.to_string(),
        "peer_mac": r.peer_mac.to_string(),
        "workers": run.queues.len(),
        "xdp_mode": r.xdp_mode,
        "zero_copy": r.bind == BindMode::ZeroCopy,
        "concurrency": a.concurrency,
        "rate": a.rate,
        "ramp_s": a.ramp,
        "opened": o.opened,
        "established": established(run),
        "completed": o.completed,
        "failed": o.failed,
        "failed_by": failed_by_cause(run)
            .into_iter()
            .map(|(cause, n)| (cause.to_string(), serde_json::Value::from(n)))
            .collect::<serde_json::Map<_, _>>(),
        "unfinished": o.unfinished,
        "retransmits": metric(&v, "retransmit"),
        "setups_per_sec": per_sec(established(run), run),
        "teardowns_per_sec": per_sec(o.completed, run),
        "pps_rx": per_sec(metric(&v, "rx_frames"), run),
        "pps_tx": per_sec(metric(&v, "tx_frames"), run),
        "rtt_us": percentiles_json(&lat.handshake_us),
        "first_byte_us": percentiles_json(&lat.first_byte_us),
        "last_byte_us": percentiles_json(&lat.last_byte_us),
        "lifetime_us": percentiles_json(&lat.lifetime_us),
        "duration_s": run.duration.as_secs_f64(),
        "run_phase_s": run.run_phase.as_secs_f64(),
        "records_left": metric(&v, "records"),
        "time_wait_left": metric(&v, "time_wait_records"),
        "series": super::interface_report::series_json(&run.live_lines),
        "queues": queues_json(run),
        "families": super::interface_report::families_json(run),
        "pcap": pcap_json(run),
        "templates": super::profile_args::templates_json(templates, &template_counts(run)),
        "counters": counters_json(&v),
    })
}

//! `synwave serve`: the responder on a real interface over AF_XDP, until
//! Ctrl-C, SIGTERM or `--duration`; one live line a second, a summary,
//! and `--json FILE`.

use super::interface_report::{
    bind_name, completed, counters_json, ended, established, failed_by_cause, metric, pcap_json,
    per_sec, print_tail, queues_json, totals,
};
use super::net_args::{AfXdpArgs, RunArgs, parse_addresses, parse_port};
use super::output::{refuse, write_summary};
use super::run_errors::{Command, run_error};
use super::{CookiesArg, ProtocolArg, ServeCloseArg};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use synwave::app::ServerProgram;
use synwave::engine::serve::{ServeConfig, ServeReport, run_serve};
use synwave::io::afxdp::{BindMode, Ours};

/// `synwave serve` flags.
#[derive(clap::Args)]
pub struct Args {
    /// The interface, its queues and the AF_XDP set-up.
    #[command(flatten)]
    pub afxdp: AfXdpArgs,
    /// Our address, or a range A-B: synwave answers ARP (IPv4), neighbor
    /// solicitations (IPv6) and TCP for them (the kernel should not own
    /// them too); IPv4, IPv6 (fd00::1-fd00::ff), or one range of each,
    /// comma-separated (10.0.0.1,fd00::1: one serve, both families).
    #[arg(long, value_parser = parse_addresses)]
    pub ip: Ours,
    /// Ports to listen on, comma-separated (a profile's [[server]]
    /// programs add theirs).
    #[arg(long, value_delimiter = ',', value_parser = parse_port)]
    pub port: Vec<u16>,
    /// SYN cookie policy.
    #[arg(long, value_enum, default_value_t = CookiesArg::Always)]
    pub cookies: CookiesArg,
    /// Bytes answered to each request (0: no response); with --response
    /// http, the body's length.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=16_777_216))]
    pub response_bytes: u32,
    /// Answer each HTTP request (read up to the empty line ending its
    /// header) with an HTTP/1.1 200 response: Content-Length
    /// (--response-bytes of body) and `Connection: close`.
    #[arg(long, value_enum)]
    pub response: Option<ProtocolArg>,
    /// Requests answered per connection; when synwave closes first
    /// (server-fin, rst) it does so after the last. With --response http
    /// every response but the last says `Connection: keep-alive`.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub requests: u32,
    /// Bytes of each request, to tell requests apart with --requests
    /// above 1 (without --response http).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=65535))]
    pub request_bytes: u32,
    /// Who closes, and how [default: client-fin; server-fin with
    /// --response http].
    #[arg(long, value_enum)]
    pub close: Option<ServeCloseArg>,
    /// Seconds to run (default: until Ctrl-C or SIGTERM).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<f64>,
    /// Secrets, table limits, output.
    #[command(flatten)]
    pub common: RunArgs,
    /// A TOML profile: any of these flags as keys (typed flags win).
    /// See docs/workloads.md.
    #[arg(long)]
    pub profile: Option<PathBuf>,
}

/// Seconds of a run on an interface: 0.01 s to a year.
pub(super) fn parse_duration(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        0.01..=31_536_000.0,
        "a number of seconds; give e.g. 10",
        "give 0.01 to 31536000 seconds",
    )
}

/// Our addresses for the banner: each family's first, and how many more.
pub(super) fn addresses_text(ours: &Ours) -> String {
    let more = |count: u32| match count {
        0 | 1 => String::new(),
        n => format!(" +{} more", n - 1),
    };
    let v4 = ours
        .v4
        .map(|r| format!("{}{}", std::net::Ipv4Addr::from(r.first), more(r.count)));
    let v6 = ours
        .v6
        .map(|r| format!("{}{}", std::net::Ipv6Addr::from(r.first), more(r.count)));
    v4.into_iter().chain(v6).collect::<Vec<_>>().join(", ")
}

/// Runs the server, with a profile's server `programs` on their ports.
pub fn run(a: Args, programs: Vec<ServerProgram>) -> ExitCode {
    let interrupt = super::interrupt::on_ctrl_c();
    let http = a.response == Some(ProtocolArg::Http);
    if a.port.is_empty() && programs.is_empty() {
        return refuse(
            "no port to listen on: give --port 80 (comma-separated for more), or [[server]] entries in a --profile",
        );
    }
    if !http && a.requests > 1 && a.request_bytes == 0 {
        return refuse(format!(
            "--requests {}: give --request-bytes (the size of each request, to tell them apart) or --response http",
            a.requests
        ));
    }
    let cfg = ServeConfig {
        setup: a.afxdp.setup(
            &a.common,
            a.ip,
            "responder",
            a.duration.map(Duration::from_secs_f64),
            Duration::from_secs(2),
            None,
        ),
        ports: a.port.clone(),
        cookies: a.cookies.into(),
        response_bytes: a.response_bytes,
        http,
        requests: a.requests,
        request_bytes: a.request_bytes,
        programs: programs.clone(),
        close: a
            .close
            .unwrap_or(if http {
                ServeCloseArg::ServerFin
            } else {
                ServeCloseArg::ClientFin
            })
            .into(),
    };
    let ip = addresses_text(&a.ip);
    let report = run_serve(&cfg, &interrupt, |mode, bind, notes| {
        for n in notes {
            eprintln!("note: {n}");
        }
        eprintln!("note: {}", a.afxdp.umem_note());
        eprintln!(
            "synwave serve: {} ({} queue(s)), {ip} port(s) {:?}, XDP {mode}, {}, cookies {:?}; Ctrl-C to stop",
            a.afxdp.iface,
            a.afxdp.queues,
            cfg.listen_ports(),
            bind_name(bind),
            cfg.cookies,
        );
    });
    let r = match report {
        Ok(r) => r,
        Err(e) => return refuse(run_error(&e, Command::Serve)),
    };
    print_summary(&r);
    print_programs(&programs, &r);
    if let Some(path) = &a.common.json {
        let mut j = summary_json(&a, &r);
        j["umem"] = a.afxdp.umem_json();
        j["programs"] = programs_json(&programs, &r);
        if let Err(code) = write_summary(path, &j) {
            return code;
        }
    }
    ExitCode::SUCCESS
}

/// Per program (template 1, 2, … of the server): connections accepted
/// on its ports that ended, completed (a clean close) and failed.
fn program_counts(programs: &[ServerProgram], r: &ServeReport) -> Vec<(u64, u64)> {
    let counts = super::profile_args::sum(
        r.run
            .queues
            .iter()
            .map(|q| &q.worker.counters.templates[..]),
    );
    (0..programs.len())
        .map(|i| {
            counts.get(i + 1).map_or((0, 0), |c| {
                let completed = c.completed();
                (completed, c.ended() - completed)
            })
        })
        .collect()
}

fn print_programs(programs: &[ServerProgram], r: &ServeReport) {
    if programs.is_empty() {
        return;
    }
    println!();
    println!(
        "{:<20}{:>16}{:>12}{:>10}",
        "server program", "ports", "completed", "failed"
    );
    for (p, (completed, failed)) in programs.iter().zip(program_counts(programs, r)) {
        let ports: Vec<String> = p.ports.iter().map(u16::to_string).collect();
        println!(
            "{:<20}{:>16}{:>12}{:>10}",
            p.name,
            ports.join(","),
            completed,
            failed
        );
    }
}

fn programs_json(programs: &[ServerProgram], r: &ServeReport) -> serde_json::Value {
    programs
        .iter()
        .zip(program_counts(programs, r))
        .map(|(p, (completed, failed))| {
            serde_json::json!({
                "name": p.name,
                "ports": p.ports,
                "completed": completed,
                "failed": failed,
            })
        })
        .collect()
}

fn print_summary(r: &ServeReport) {
    let run = &r.run;
    let v = totals(run);
    let established = established(run);
    let completed = completed(run);
    let row = |k: &str, v: String| println!("{k:<36}{v:>16}");
    row("queues", run.queues.len().to_string());
    row(
        "XDP mode / socket mode",
        format!("{} / {}", r.xdp_mode, bind_name(r.bind)),
    );
    row("established", established.to_string());
    row("completed (clean close)", completed.to_string());
    let failed = failed_by_cause(run);
    row(
        "failed",
        failed.iter().map(|(_, n)| n).sum::<u64>().to_string(),
    );
    for (cause, n) in failed.iter().filter(|(_, n)| *n > 0) {
        row(&format!("  {}", cause.replace('_', " ")), n.to_string());
    }
    row(
        "run phase (s)",
        format!("{:.2}", run.run_phase.as_secs_f64()),
    );
    row(
        "wall time (s)",
        format!("{:.2}", run.duration.as_secs_f64()),
    );
    row("setups/s", format!("{:.0}", per_sec(established, run)));
    row("teardowns/s", format!("{:.0}", per_sec(completed, run)));
    print_tail(run, &v, &row);
}

fn summary_json(a: &Args, r: &ServeReport) -> serde_json::Value {
    let run = &r.run;
    let v = totals(run);
    let established = established(run);
    let completed = completed(run);
    let failed = failed_by_cause(run);
    let failed_by: serde_json::Map<String, serde_json::Value> = failed
        .iter()
        .map(|(cause, n)| ((*cause).to_string(), (*n).into()))
        .collect();
    serde_json::json!({
        "mode": "afxdp",
        "role": "serve",
        "iface": a.afxdp.iface,
        "workers": run.queues.len(),
        "xdp_mode": r.xdp_mode,
        "zero_copy": r.bind == BindMode::ZeroCopy,
        "established": established,
        "ended": ended(run),
        "completed": completed,
        "failed": failed.iter().map(|(_, n)| n).sum::<u64>(),
        "failed_by": failed_by,
        "retransmits": metric(&v, "retransmit"),
        "setups_per_sec": per_sec(established, run),
        "teardowns_per_sec": per_sec(completed, run),
        "pps_rx": per_sec(metric(&v, "rx_frames"), run),
        "pps_tx": per_sec(metric(&v, "tx_frames"), run),
        "duration_s": run.duration.as_secs_f64(),
        "run_phase_s": run.run_phase.as_secs_f64(),
        "records_left": metric(&v, "records"),
        "series": super::interface_report::series_json(&run.live_lines),
        "queues": queues_json(run),
        "families": super::interface_report::families_json(run),
        "pcap": pcap_json(run),
        "counters": counters_json(&v),
    })
}

//! `synwave sim`: the virtual-time pair driver on one core (client and
//! server endpoints over an impaired in-memory link, time jumping from
//! event to event). Figures are for the TCP core itself.

use super::TrafficArgs;
use super::output::write_summary;
use std::path::PathBuf;
use std::process::ExitCode;
use synwave::sim::{self, Impairment, SimConfig, SimReport};
use synwave::tcp::{End, Events};

#[derive(clap::Args)]
pub struct Args {
    /// Connections to open and close.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub connections: u64,
    /// Connections open at once.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub concurrency: u64,
    /// What each connection does, and the link.
    #[command(flatten)]
    pub traffic: TrafficArgs,
    /// Write the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Runs the pair driver.
pub fn run(a: Args) -> ExitCode {
    let cfg = SimConfig {
        connections: a.connections,
        concurrency: a.concurrency,
        impairment: Impairment::lossy(a.traffic.loss / 100.0),
        seed: a.traffic.seed,
        close: a.traffic.close.into(),
        cookies: a.traffic.cookies.into(),
        request_bytes: a.traffic.request_bytes,
        response_bytes: a.traffic.response_bytes,
        ..SimConfig::default()
    };
    eprintln!(
        "synwave sim: {} connections, concurrency {}, loss {}%, close {:?}, cookies {:?} (virtual-time pair driver, 1 core)",
        cfg.connections, cfg.concurrency, a.traffic.loss, cfg.close, cfg.cookies
    );
    let r = sim::run(&cfg);
    print_summary(&r);
    if let Some(path) = a.json {
        if let Err(code) = write_summary(&path, &summary_json(&cfg, &r)) {
            return code;
        }
    }
    if r.records_left + r.time_wait_left + r.timers_left != 0 {
        eprintln!("error: records or timers left after the run (a bug): {r:?}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn rate(n: u64, r: &SimReport) -> f64 {
    n as f64 / r.wall.as_secs_f64().max(1e-9)
}

fn print_summary(r: &SimReport) {
    let frames = r.client.tx_frames + r.server.tx_frames;
    println!("{:<28}{:>14}", "connections opened", r.opened);
    println!("{:<28}{:>14}", "completed", r.completed);
    println!("{:<28}{:>14}", "failed (aborted)", r.aborted);
    println!(
        "{:<28}{:>14}",
        "retransmits",
        r.client.event(Events::RETRANSMIT) + r.server.event(Events::RETRANSMIT)
    );
    println!(
        "{:<28}{:>14}",
        "cookies sent / ok",
        format!(
            "{} / {}",
            r.server.event(Events::COOKIE_SENT),
            r.server.event(Events::COOKIE_OK)
        )
    );
    println!(
        "{:<28}{:>14}",
        "client TIME-WAIT",
        r.client.end(End::TimeWait)
    );
    println!("{:<28}{:>14}", "frames", frames);
    println!("{:<28}{:>14.3}", "wall time (s)", r.wall.as_secs_f64());
    println!(
        "{:<28}{:>14.1}",
        "virtual time (s)",
        r.virtual_us as f64 / 1e6
    );
    println!(
        "{:<28}{:>14.0}",
        "setups+teardowns/s (wall)",
        rate(r.completed, r)
    );
    println!("{:<28}{:>14.0}", "frames/s (wall)", rate(frames, r));
}

fn summary_json(cfg: &SimConfig, r: &SimReport) -> serde_json::Value {
    let frames = r.client.tx_frames + r.server.tx_frames;
    serde_json::json!({
        "mode": "sim",
        "connections": cfg.connections,
        "concurrency": cfg.concurrency,
        "loss": cfg.impairment.loss,
        "seed": cfg.seed,
        "opened": r.opened,
        "established": r.client.event(Events::ESTABLISHED),
        "completed": r.completed,
        "failed": r.aborted,
        "retransmits": r.client.event(Events::RETRANSMIT) + r.server.event(Events::RETRANSMIT),
        "setups_per_sec": rate(r.completed, r),
        "teardowns_per_sec": rate(r.completed, r),
        "pps": rate(frames, r),
        "frames": frames,
        "duration_s": r.wall.as_secs_f64(),
        "virtual_s": r.virtual_us as f64 / 1e6,
    })
}

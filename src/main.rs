//! The `synwave` command line.

mod cli;
mod huge_pages;

/// Big tables on transparent huge pages (see `huge_pages`).
#[global_allocator]
static ALLOCATOR: huge_pages::HugePageAlloc = huge_pages::HugePageAlloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "synwave",
    version,
    about = "Measure TCP connection setups and teardowns per second"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generator and responder back to back over in-memory rings, on
    /// pinned poll-mode workers (no root, no NIC).
    #[command(args_override_self = true)]
    Bench(cli::bench::Args),
    /// The virtual-time pair driver on one core: minutes of protocol time
    /// (retransmission backoff, TIME-WAIT) in seconds, reproducible from
    /// the seed.
    Sim(cli::sim::Args),
    /// The responder on a real interface over AF_XDP: answers ARP, listens
    /// on ports, SYN cookies, optional canned response (root).
    #[command(args_override_self = true)]
    Serve(cli::serve::Args),
    /// The generator on a real interface over AF_XDP: opens and closes
    /// connections toward a server at a rate or a concurrency (root).
    #[command(args_override_self = true)]
    Gen(cli::generate::Args),
    /// The highest clean connection rate, or connection count, of a
    /// device under test, by binary search (RFC 9411 §7; root, or
    /// --in-memory).
    #[command(args_override_self = true)]
    Search(cli::search::Args),
    /// What this host and an interface support for AF_XDP (native and
    /// generic XDP, zero-copy, queues, privileges, locked memory), each
    /// with the fix.
    Probe(cli::probe::Args),
    /// Plots from a run's JSON summary (`--json`): connections per second
    /// over the run and the latency CDFs, as SVG.
    Report(cli::report::Args),
}

fn main() -> ExitCode {
    // A profile is read once: its flag keys join the command line, its
    // templates (and server programs) go to the command.
    let (args, templates, servers) = match cli::profile_args::expand(std::env::args_os().collect())
    {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Bench(args) => cli::bench::run(args, templates),
        Command::Sim(args) => cli::sim::run(args),
        Command::Serve(args) => cli::serve::run(args, servers),
        Command::Gen(args) => cli::generate::run(args, templates),
        Command::Search(args) => cli::search::run(args, templates),
        Command::Probe(args) => cli::probe::run(args),
        Command::Report(args) => cli::report::run(args),
    }
}

//! The library's run and configuration errors in words: each sentence
//! names the value at fault and the fix, with the flag to change (which
//! depends on the command: `--workers` for bench, `--queues` for serve and
//! gen).
//!
//! Rules: the library hands its errors over as data (`RunError`,
//! `ProfileError`, …); only the command line (this file and `io_errors`)
//! turns them into sentences and flag names.

use super::io_errors;
use synwave::app::{AppConfigError, CloseKind, MAX_MESSAGE};
use synwave::engine::RunError;
use synwave::engine::nic_steering::NotSteered;
use synwave::engine::pin::CoreError;
use synwave::profile::ProfileError;
use synwave::scenario::SideError;

/// Which command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `synwave bench`.
    Bench,
    /// `synwave serve`.
    Serve,
    /// `synwave gen`.
    Gen,
}

impl Command {
    /// The flag that sets the number of workers.
    fn workers_flag(self) -> &'static str {
        match self {
            Command::Bench => "--workers",
            Command::Serve | Command::Gen => "--queues",
        }
    }

    /// The flag that gives the run its own addresses.
    fn address_flag(self) -> &'static str {
        match self {
            Command::Serve => "--ip",
            Command::Bench | Command::Gen => "--src-ip",
        }
    }
}

/// `--close`'s spelling of `close`.
fn close_name(close: CloseKind) -> &'static str {
    match close {
        CloseKind::ClientFin => "client-fin",
        CloseKind::ServerFin => "server-fin",
        CloseKind::ClientRst | CloseKind::ServerRst => "rst",
    }
}

/// A run of `cmd` that did not run, or stopped.
pub fn run_error(e: &RunError, cmd: Command) -> String {
    match e {
        RunError::Open(e) => io_errors::open_error(e, cmd.address_flag()),
        RunError::Pcap(e) => io_errors::pcap_error(e),
        RunError::Core(CoreError::Missing { .. }) => format!(
            "{e} (pick from them with --cores, or lower {})",
            cmd.workers_flag()
        ),
        RunError::Core(CoreError::TooFew { given, needed }) => match cmd {
            Command::Bench => format!(
                "--cores names {given} cores but {} workers per side need {needed} (generators first, then responders)",
                needed / 2
            ),
            Command::Serve | Command::Gen => {
                format!("--cores names {given} core(s) but {needed} queue(s) need one each")
            }
        },
        RunError::ConcurrencyBelowWorkers {
            concurrency,
            workers,
        } => match cmd {
            Command::Bench => format!(
                "--concurrency {concurrency} is below --workers {workers}: each generator worker needs at least one connection"
            ),
            Command::Serve | Command::Gen => format!(
                "--concurrency {concurrency} is below the {workers} queue(s): each worker needs at least one connection"
            ),
        },
        RunError::NoWorkers => format!("no worker to run: give {} 1 or more", cmd.workers_flag()),
        RunError::HttpNeedsServerFin(close) => format!(
            "--request http waits for the server to close (Connection: close), so --close {} does not apply: use --close server-fin (the default with --request http)",
            close_name(*close)
        ),
        RunError::Metrics(e) => format!("--metrics-addr {e}"),
        RunError::Arp(e) => format!("{e} Give its MAC (or the gateway's) with --peer-mac"),
        RunError::GatewayArp { iface, error } => format!(
            "--gateway {} does not answer {} on {iface}: is it up and on that link (its address in the subnet of {iface})? Check --gateway, or give its MAC with --peer-mac",
            error.target,
            if error.target.is_ipv6() {
                "neighbor discovery"
            } else {
                "ARP"
            }
        ),
        RunError::RssNotSteered {
            iface,
            why: why @ NotSteered::Unset(_),
        } => format!(
            "--rss set: {why} on {iface}: give --rss auto or software (frames handed between workers)"
        ),
        RunError::RssNotSteered { iface, why } => format!(
            "--rss nic: the RSS of {iface} does not steer each reply to its queue ({why}): give --rss auto or software (frames handed between workers), or set it with ethtool (docs/nic-tuning.md)"
        ),
        RunError::FamilyWithoutPeer { family, has } => format!(
            "the {family} {has} has no {family} {}: give {} an {family} address too, or leave the {family} one out",
            if *has == "source" {
                "destination"
            } else {
                "source"
            },
            if *has == "source" {
                "--dst"
            } else {
                "--src-ip"
            }
        ),
        RunError::Side(SideError::App(AppConfigError::MessageTooLong { len })) => format!(
            "a {len}-byte message is too long: at most {MAX_MESSAGE} bytes, HTTP header included: lower {}",
            match cmd {
                Command::Serve => "--response-bytes",
                Command::Gen | Command::Bench => "--request-bytes or --response-bytes",
            }
        ),
        RunError::Loopback(_)
        | RunError::Side(_)
        | RunError::Core(CoreError::Unreadable)
        | RunError::SourcePorts(_)
        | RunError::Secrets(_)
        | RunError::Thread { .. }
        | RunError::WorkerPanicked => e.to_string(),
    }
}

/// A profile that cannot be used.
pub fn profile_error(e: &ProfileError) -> String {
    match e {
        ProfileError::Read { path, error } => {
            format!("cannot read --profile {}: {error}", path.display())
        }
        ProfileError::In { path, error } => format!("--profile {}: {error}", path.display()),
        other => format!("--profile: {other}"),
    }
}

//! Command-line pieces shared by the subcommands: close and cookie
//! choices and percentage parsing, with errors that name the fix.

pub mod bench;
pub mod defence_args;
pub mod gen_args;
pub mod generate;
mod host_steal;
mod interface_report;
mod interrupt;
mod io_errors;
pub mod net_args;
mod output;
pub mod probe;
pub mod profile_args;
pub mod report;
mod report_search;
mod run_errors;
pub mod search;
mod search_output;
pub mod serve;
pub mod server_args;
pub mod sim;
pub mod tcp_args;

use clap::ValueEnum;
use synwave::app::CloseKind;
use synwave::tcp::CookiePolicy;

/// Who closes and how (`bench`, `sim`, `gen`: the client resets with
/// `rst`).
#[derive(Clone, Copy, ValueEnum)]
pub enum CloseArg {
    /// The client sends FIN first (client TIME-WAIT).
    ClientFin,
    /// The server sends FIN first, after its response (server TIME-WAIT).
    ServerFin,
    /// The client aborts with RST once the exchange is done.
    Rst,
}

impl From<CloseArg> for CloseKind {
    fn from(c: CloseArg) -> CloseKind {
        match c {
            CloseArg::ClientFin => CloseKind::ClientFin,
            CloseArg::ServerFin => CloseKind::ServerFin,
            CloseArg::Rst => CloseKind::ClientRst,
        }
    }
}

/// How `serve` ends a connection (its side of the close pattern).
#[derive(Clone, Copy, ValueEnum)]
pub enum ServeCloseArg {
    /// The client closes first; synwave answers its FIN with its own.
    ClientFin,
    /// synwave sends FIN once its response is sent (server TIME-WAIT).
    ServerFin,
    /// synwave resets the connection once its response is sent.
    Rst,
}

impl From<ServeCloseArg> for CloseKind {
    fn from(c: ServeCloseArg) -> CloseKind {
        match c {
            ServeCloseArg::ClientFin => CloseKind::ClientFin,
            ServeCloseArg::ServerFin => CloseKind::ServerFin,
            ServeCloseArg::Rst => CloseKind::ServerRst,
        }
    }
}

/// An application protocol for `--request` / `--response`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    /// HTTP/1.1 with `Connection: close` (a GET for `/`; a 200 response).
    Http,
}

/// The server's SYN cookie policy.
#[derive(Clone, Copy, ValueEnum)]
pub enum CookiesArg {
    /// Every SYN gets a cookie; no state before the ACK.
    Always,
    /// A SYN queue, cookies once it is full (Linux's default).
    OnOverload,
    /// A SYN queue only; SYNs beyond it are dropped.
    Never,
}

impl From<CookiesArg> for CookiePolicy {
    fn from(c: CookiesArg) -> CookiePolicy {
        match c {
            CookiesArg::Always => CookiePolicy::Always,
            CookiesArg::OnOverload => CookiePolicy::OnOverload,
            CookiesArg::Never => CookiePolicy::Never,
        }
    }
}

/// Flags both drivers share: what each connection does, and the link.
#[derive(clap::Args)]
pub struct TrafficArgs {
    /// Frame loss on the link, in percent (duplication and reordering are
    /// each half of it).
    #[arg(long, default_value_t = 0.0, value_parser = parse_percent)]
    pub loss: f64,
    /// Seed of the impairment and the secrets.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Who closes and how.
    #[arg(long, value_enum, default_value_t = CloseArg::ClientFin)]
    pub close: CloseArg,
    /// The server's SYN cookie policy.
    #[arg(long, value_enum, default_value_t = CookiesArg::Always)]
    pub cookies: CookiesArg,
    /// Request size in bytes (0: none).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=1460))]
    pub request_bytes: u32,
    /// Response size in bytes (0: none).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(0..=1460))]
    pub response_bytes: u32,
}

/// A number within `range`: otherwise an error that says what was
/// expected (`expected`, after "is not") or the valid range (`valid`).
pub fn parse_within(
    s: &str,
    range: std::ops::RangeInclusive<f64>,
    expected: &str,
    valid: &str,
) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not {expected}"))?;
    if !range.contains(&v) {
        return Err(format!("{v} is out of range; {valid}"));
    }
    Ok(v)
}

/// A maximum segment lifetime: 1 ms to an hour, in seconds (TIME-WAIT
/// lasts twice as long).
pub fn parse_msl(s: &str) -> Result<f64, String> {
    parse_within(
        s,
        0.001..=3600.0,
        "a number of seconds; give e.g. 30 (Linux's TIME-WAIT of 60 s is 2 × 30)",
        "give 0.001 to 3600 seconds",
    )
}

/// A loss percentage from 0 to 50.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    parse_within(
        s,
        0.0..=50.0,
        "a number; give a percentage such as 1 or 0.5",
        "loss must be between 0 and 50 percent",
    )
}

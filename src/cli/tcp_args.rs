//! The flags that set the connection's TCP options and timers (`serve`,
//! `gen` and `search` share them, and profiles take them as keys): the
//! MSS and window we announce, the window scale, timestamps and
//! SACK-permitted we offer, the idle timeout, the retransmission
//! timeout, the initial congestion window and the ACK delay. Out-of-range values are refused by clap or by
//! `TcpConfig::validate` with the flag and the range.

use clap::ValueEnum;
use synwave::tcp::Tunables;

/// On or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// Offered.
    On,
    /// Not offered.
    Off,
}

/// A window scale shift, or none offered (`off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wscale(pub Option<u8>);

/// `--mss`, `--window`, `--wscale`, `--timestamps`, `--sack-permitted`,
/// `--idle-timeout`, `--rto-min`, `--init-cwnd`, `--delayed-ack`.
#[derive(clap::Args, Clone, Debug)]
pub struct TcpArgs {
    /// The MSS synwave announces in its SYN and SYN-ACK (88 to 9000; over
    /// IPv6 20 bytes less, for the longer header).
    #[arg(long, default_value_t = 1460, value_parser = clap::value_parser!(u16).range(88..=9000))]
    pub mss: u16,
    /// The receive window synwave advertises, in bytes (up to 65535 ×
    /// 2^wscale).
    #[arg(long, default_value_t = 65_535, value_parser = clap::value_parser!(u32).range(1..=1 << 30))]
    pub window: u32,
    /// The window scale shift synwave offers (0 to 14), or "off" to offer
    /// none (RFC 7323 §2).
    #[arg(long, default_value = "7", value_parser = parse_wscale)]
    pub wscale: Wscale,
    /// Use TCP timestamps when the peer does (RFC 7323 §3). Off, a SYN
    /// cookie can carry no window scale or SACK-permitted, so a cookie
    /// SYN-ACK then offers the MSS only.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub timestamps: OnOff,
    /// Offer SACK-permitted (RFC 2018; synwave sends no SACK blocks).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub sack_permitted: OnOff,
    /// Reset a connection that has nothing in flight for this many seconds
    /// (0: never; default 60): long holds against outside peers need more.
    #[arg(long, default_value_t = 60.0, value_parser = parse_idle)]
    pub idle_timeout: f64,
    /// The least retransmission timeout of data and FIN, milliseconds
    /// (Linux's is 200): the timeout until the first round-trip sample,
    /// and the floor of the one computed from samples (RFC 6298).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub rto_min: u64,
    /// The initial congestion window, in segments (RFC 6928: 10): how
    /// much of a response goes out before the first ACK returns.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub init_cwnd: u16,
    /// Delay the ACK of in-order data by up to this many milliseconds
    /// (RFC 9293 §3.8.6.3; every second segment is acknowledged at once;
    /// 0: acknowledge at once; Linux delays 40 ms or more).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=500))]
    pub delayed_ack: u64,
    /// Compute the retransmission timeout of data from round-trip samples
    /// (RFC 6298, with timestamps; never below --rto-min): for paths
    /// whose round trip nears --rto-min. Off, the timeout is --rto-min.
    #[arg(long)]
    pub rto_from_rtt: bool,
}

fn parse_wscale(s: &str) -> Result<Wscale, String> {
    if s == "off" {
        return Ok(Wscale(None));
    }
    match s.parse::<u8>() {
        Ok(v) if v <= synwave::wire::MAX_WSCALE => Ok(Wscale(Some(v))),
        _ => Err(format!(
            "'{s}' is not a window scale; give 0 to 14, or off to offer none"
        )),
    }
}

fn parse_idle(s: &str) -> Result<f64, String> {
    super::parse_within(
        s,
        0.0..=86_400.0,
        "a number of seconds; give e.g. 60, or 0 for never",
        "give 0 to 86400 seconds",
    )
}

impl TcpArgs {
    /// What these flags set.
    pub fn tunables(&self) -> Tunables {
        Tunables {
            mss: self.mss,
            rcv_wnd: self.window,
            wscale: self.wscale.0,
            timestamps: self.timestamps == OnOff::On,
            sack: self.sack_permitted == OnOff::On,
            idle_timeout_us: (self.idle_timeout * 1e6) as u64,
            rto_us: self.rto_min * 1_000,
            init_cwnd: self.init_cwnd,
            delayed_ack_us: self.delayed_ack * 1_000,
            rtt_samples: self.rto_from_rtt,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_tcp_defaults() {
        let a = TcpArgs {
            mss: 1460,
            window: 65_535,
            wscale: Wscale(Some(7)),
            timestamps: OnOff::On,
            sack_permitted: OnOff::On,
            idle_timeout: 60.0,
            rto_min: 200,
            init_cwnd: 10,
            delayed_ack: 0,
            rto_from_rtt: false,
        };
        assert_eq!(a.tunables(), Tunables::default());
    }

    #[test]
    fn window_scales_parse_or_name_the_range() {
        assert_eq!(parse_wscale("off"), Ok(Wscale(None)));
        assert_eq!(parse_wscale("14"), Ok(Wscale(Some(14))));
        assert!(parse_wscale("15").unwrap_err().contains("0 to 14"));
        assert!(parse_idle("-1").is_err());
    }
}

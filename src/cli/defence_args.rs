//! The flags that bound what hostile traffic can cost (`bench`, `serve`
//! and `gen` share them): the SYN queue, the challenge-ACK and RST rate
//! limits, and the SYN cookie key rotation. Out-of-range values are
//! refused by clap with the flag, the value and the range.

use synwave::tcp::Defences;

/// `--syn-queue`, `--challenge-ack-limit`, `--rst-limit`,
/// `--cookie-rotate`.
#[derive(clap::Args, Clone, Debug)]
pub struct DefenceArgs {
    /// Most connections in SYN-RECEIVED per worker. Beyond it, with
    /// --cookies on-overload, SYNs get cookies; with never, they are
    /// dropped (syn_queue_full).
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(1..=1 << 24))]
    pub syn_queue: u32,
    /// Challenge ACKs per second per worker (RFC 5961 §7; Linux's
    /// historical tcp_challenge_ack_limit); beyond it counted as
    /// challenge_ack_limited. 0: none.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub challenge_ack_limit: u32,
    /// RSTs per second per worker to segments of unknown connections
    /// (RFC 9293 §3.10.7.1); beyond it counted as rst_limited. 0: none.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub rst_limit: u32,
    /// Change the SYN cookie key every SECS seconds (1 to 86400; 0: never,
    /// as Linux). Every worker derives the same key for the same moment
    /// from the secret (--seed), so cookies stay valid across workers;
    /// one made just before a change is still accepted after it.
    #[arg(long, default_value_t = 0, value_parser = parse_rotate)]
    pub cookie_rotate: u32,
}

fn parse_rotate(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(v) if v <= 86_400 => Ok(v),
        Ok(v) => Err(format!(
            "{v} is out of range; give 1 to 86400 seconds, or 0 for never"
        )),
        Err(_) => Err(format!(
            "'{s}' is not a whole number of seconds; give e.g. 60, or 0 for never"
        )),
    }
}

impl DefenceArgs {
    /// The bounds these flags set.
    pub fn defences(&self) -> Defences {
        Defences {
            syn_queue_limit: self.syn_queue,
            challenge_ack_per_sec: self.challenge_ack_limit,
            rst_per_sec: self.rst_limit,
            cookie_rotate_us: u64::from(self.cookie_rotate) * 1_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_seconds_parse_or_name_the_range() {
        assert_eq!(parse_rotate("0"), Ok(0));
        assert_eq!(parse_rotate("86400"), Ok(86_400));
        assert!(parse_rotate("86401").unwrap_err().contains("1 to 86400"));
        assert!(parse_rotate("1.5").unwrap_err().contains("whole number"));
    }

    #[test]
    fn the_defaults_are_the_tcp_defaults() {
        let a = DefenceArgs {
            syn_queue: 65_536,
            challenge_ack_limit: 1_000,
            rst_limit: 100_000,
            cookie_rotate: 0,
        };
        assert_eq!(a.defences(), Defences::default());
    }
}

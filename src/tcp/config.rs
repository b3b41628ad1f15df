//! Tunables of the TCP core, with Linux-like defaults, the bounds on what
//! hostile traffic may cost (`Defences`), and their validation.
//!
//! Rules: TCP tunables only (the application above is configured in
//! `crate::app`); validation returns a `TcpConfigError` naming the field
//! and its valid range, never a command-line flag.

/// When the listener answers a SYN with a SYN cookie (RFC 4987 §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CookiePolicy {
    /// Every SYN gets a cookie; no state until a valid ACK arrives.
    Always,
    /// A bounded SYN queue; cookies once it is full (Linux `tcp_syncookies=1`).
    #[default]
    OnOverload,
    /// Never; SYNs beyond the queue bound are dropped.
    Never,
}

/// Tunables of the TCP core. Times are in microseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConfig {
    /// MSS we announce.
    pub mss: u16,
    /// Window scale shift we offer (RFC 7323 §2), `None` to not offer it.
    pub wscale: Option<u8>,
    /// Offer SACK-permitted (RFC 2018); we never send SACK blocks.
    pub sack: bool,
    /// Use timestamps (RFC 7323 §3) when the peer does.
    pub timestamps: bool,
    /// Receive window we advertise, in bytes.
    pub rcv_wnd: u32,
    /// Initial retransmission timeout for SYN and SYN-ACK (RFC 6298 §2.1: 1 s).
    pub rto_syn_us: u64,
    /// Retransmission timeout for data and FIN until a round-trip sample,
    /// and the floor of the one computed from samples (`rtt.rs`; Linux's
    /// minimum RTO, 200 ms).
    pub rto_us: u64,
    /// Upper bound of the backed-off timeout.
    pub rto_max_us: u64,
    /// SYN retransmissions before giving up (Linux `tcp_syn_retries` = 6).
    pub syn_retries: u8,
    /// SYN-ACK retransmissions (Linux `tcp_synack_retries` = 5).
    pub synack_retries: u8,
    /// Data/FIN retransmissions (Linux `tcp_orphan_retries` → 8).
    pub retries: u8,
    /// FIN-WAIT-2 timeout (Linux `tcp_fin_timeout` = 60 s).
    pub fin_wait2_us: u64,
    /// Reset a connection that sits in ESTABLISHED or CLOSE-WAIT with
    /// nothing in flight for this long (default 60 s); 0 disables (like a
    /// socket nobody closes). Keeps tables bounded when a peer vanishes or
    /// goes silent after its handshake.
    pub idle_timeout_us: u64,
    /// Maximum segment lifetime; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2).
    pub msl_us: u64,
    /// SYN cookie policy.
    pub cookies: CookiePolicy,
    /// Bound of the SYN queue (connections in SYN-RECEIVED).
    pub syn_queue_limit: u32,
    /// Challenge ACKs per second (RFC 5961 §7; Linux's historical 1000).
    pub challenge_ack_per_sec: u32,
    /// RSTs per second sent to segments of unknown connections.
    pub rst_per_sec: u32,
    /// Change the SYN cookie key this often (µs; 0: never, as Linux,
    /// whose key is drawn once at boot). See `cookie::SynCookies::rotating`.
    pub cookie_rotate_us: u64,
    /// Ignore RST in TIME-WAIT (RFC 1337); Linux's default is off.
    pub rfc1337: bool,
    /// Initial congestion window, in segments (RFC 6928: 10).
    pub init_cwnd: u16,
    /// Delay of an ACK for in-order data (RFC 9293 §3.8.6.3; 0: ACK at
    /// once, the default; at most `MAX_DELAYED_ACK_US`).
    pub delayed_ack_us: u64,
    /// Compute the retransmission timeout of data from round-trip samples
    /// (RFC 6298 §2, `rtt.rs`); off, it is `rto_us` (the default).
    pub rtt_samples: bool,
}

/// The bounds on what hostile traffic can cost a worker, as the user
/// sets them (`--syn-queue`, `--challenge-ack-limit`, `--rst-limit`,
/// `--cookie-rotate`); `apply` writes them into a `TcpConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Defences {
    /// Most connections in SYN-RECEIVED (`TcpConfig::syn_queue_limit`).
    pub syn_queue_limit: u32,
    /// Challenge ACKs per second (RFC 5961 §7).
    pub challenge_ack_per_sec: u32,
    /// RSTs per second to segments of unknown connections.
    pub rst_per_sec: u32,
    /// SYN cookie key rotation interval (µs; 0: never).
    pub cookie_rotate_us: u64,
}

impl Default for Defences {
    fn default() -> Self {
        let t = TcpConfig::default();
        Defences {
            syn_queue_limit: t.syn_queue_limit,
            challenge_ack_per_sec: t.challenge_ack_per_sec,
            rst_per_sec: t.rst_per_sec,
            cookie_rotate_us: t.cookie_rotate_us,
        }
    }
}

impl Defences {
    /// Writes these bounds into `cfg`.
    pub fn apply(&self, cfg: &mut TcpConfig) {
        cfg.syn_queue_limit = self.syn_queue_limit;
        cfg.challenge_ack_per_sec = self.challenge_ack_per_sec;
        cfg.rst_per_sec = self.rst_per_sec;
        cfg.cookie_rotate_us = self.cookie_rotate_us;
    }
}

/// What a user sets of the connection's options and timers (`--mss`,
/// `--window`, `--wscale`, `--timestamps`, `--sack-permitted`,
/// `--idle-timeout`, `--rto-min`), written over a `TcpConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunables {
    /// MSS we announce.
    pub mss: u16,
    /// Receive window we advertise, in bytes.
    pub rcv_wnd: u32,
    /// Window scale we offer (`None`: not offered).
    pub wscale: Option<u8>,
    /// Use timestamps when the peer does.
    pub timestamps: bool,
    /// Offer SACK-permitted.
    pub sack: bool,
    /// Reset after this long with nothing in flight (0: never).
    pub idle_timeout_us: u64,
    /// Retransmission timeout of data and FIN.
    pub rto_us: u64,
    /// Initial congestion window, in segments.
    pub init_cwnd: u16,
    /// Delay of an ACK for in-order data (0: at once).
    pub delayed_ack_us: u64,
    /// The retransmission timeout from round-trip samples.
    pub rtt_samples: bool,
}

impl Default for Tunables {
    /// `TcpConfig::default`'s.
    fn default() -> Tunables {
        let d = TcpConfig::default();
        Tunables {
            mss: d.mss,
            rcv_wnd: d.rcv_wnd,
            wscale: d.wscale,
            timestamps: d.timestamps,
            sack: d.sack,
            idle_timeout_us: d.idle_timeout_us,
            rto_us: d.rto_us,
            init_cwnd: d.init_cwnd,
            delayed_ack_us: d.delayed_ack_us,
            rtt_samples: d.rtt_samples,
        }
    }
}

impl Tunables {
    /// Writes these into `cfg` (`TcpConfig::validate` then checks them:
    /// the window against the scale, the MSS against its range).
    pub fn apply(&self, cfg: &mut TcpConfig) {
        cfg.mss = self.mss;
        cfg.rcv_wnd = self.rcv_wnd;
        cfg.wscale = self.wscale;
        cfg.timestamps = self.timestamps;
        cfg.sack = self.sack;
        cfg.idle_timeout_us = self.idle_timeout_us;
        cfg.rto_us = self.rto_us;
        cfg.rto_max_us = cfg.rto_max_us.max(self.rto_us);
        cfg.init_cwnd = self.init_cwnd;
        cfg.delayed_ack_us = self.delayed_ack_us;
        cfg.rtt_samples = self.rtt_samples;
    }
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            wscale: Some(7),
            sack: true,
            timestamps: true,
            rcv_wnd: 65535,
            rto_syn_us: 1_000_000,
            rto_us: 200_000,
            rto_max_us: 120_000_000,
            syn_retries: 6,
            synack_retries: 5,
            retries: 8,
            fin_wait2_us: 60_000_000,
            idle_timeout_us: 60_000_000,
            msl_us: 30_000_000,
            cookies: CookiePolicy::OnOverload,
            syn_queue_limit: 65536,
            challenge_ack_per_sec: 1000,
            rst_per_sec: 100_000,
            cookie_rotate_us: 0,
            rfc1337: false,
            init_cwnd: 10,
            delayed_ack_us: 0,
            rtt_samples: false,
        }
    }
}

/// The largest initial congestion window accepted, in segments.
pub const MAX_INIT_CWND: u16 = 1000;

/// The longest ACK delay accepted (µs): RFC 9293 §3.8.6.3 bounds it at
/// 0.5 s (Linux's `TCP_DELACK_MAX` is 200 ms).
pub const MAX_DELAYED_ACK_US: u64 = 500_000;

/// A `TcpConfig` value out of its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpConfigError {
    /// `mss` outside 88..=9000.
    Mss(u16),
    /// `wscale` above 14 (RFC 7323 §2.3).
    Wscale(u8),
    /// `rcv_wnd` is 0 or more than the window field can carry with
    /// `wscale` (`max`).
    RcvWnd {
        /// The value given.
        rcv_wnd: u32,
        /// The largest window for the window scale given.
        max: u32,
    },
    /// A retransmission timeout is 0, or `rto_max_us` is below `rto_us`.
    Timeouts,
    /// A retry limit above 32.
    Retries {
        /// Which limit (`syn_retries`, `synack_retries` or `retries`).
        which: &'static str,
        /// The value given.
        value: u8,
    },
    /// `fin_wait2_us` is 0.
    FinWait2,
    /// `msl_us` is 0.
    Msl,
    /// `init_cwnd` is 0 or above 1000 segments.
    InitCwnd(u16),
    /// `delayed_ack_us` above `MAX_DELAYED_ACK_US`.
    DelayedAck(u64),
}

impl core::fmt::Display for TcpConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TcpConfigError::Mss(v) => write!(f, "an MSS of {v} is out of range: give 88 to 9000"),
            TcpConfigError::Wscale(v) => {
                write!(f, "a window scale of {v} is out of range: give 0 to 14")
            }
            TcpConfigError::RcvWnd { rcv_wnd, max } => write!(
                f,
                "a receive window of {rcv_wnd} bytes is out of range: give 1 to {max} for this window scale"
            ),
            TcpConfigError::Timeouts => f.write_str(
                "retransmission timeouts must be above 0, and the largest at least the initial one",
            ),
            TcpConfigError::Retries { which, value } => {
                write!(f, "{which} {value} is out of range: give 0 to 32")
            }
            TcpConfigError::FinWait2 => f.write_str("the FIN-WAIT-2 timeout must be above 0"),
            TcpConfigError::Msl => f.write_str("the maximum segment lifetime must be above 0"),
            TcpConfigError::InitCwnd(v) => write!(
                f,
                "an initial congestion window of {v} segments is out of range: give 1 to {MAX_INIT_CWND}"
            ),
            TcpConfigError::DelayedAck(v) => write!(
                f,
                "an ACK delay of {} ms is out of range: give 0 (ACK at once) to {} ms",
                v / 1000,
                MAX_DELAYED_ACK_US / 1000
            ),
        }
    }
}

impl std::error::Error for TcpConfigError {}

impl TcpConfig {
    /// Checks the values; the error names the field and its valid range.
    pub fn validate(&self) -> Result<(), TcpConfigError> {
        if !(88..=9000).contains(&self.mss) {
            return Err(TcpConfigError::Mss(self.mss));
        }
        if let Some(ws) = self.wscale
            && ws > crate::wire::MAX_WSCALE
        {
            return Err(TcpConfigError::Wscale(ws));
        }
        let max = 65535u32 << self.wscale.unwrap_or(0);
        if self.rcv_wnd == 0 || self.rcv_wnd > max {
            return Err(TcpConfigError::RcvWnd {
                rcv_wnd: self.rcv_wnd,
                max,
            });
        }
        if self.rto_syn_us == 0 || self.rto_us == 0 || self.rto_max_us < self.rto_us {
            return Err(TcpConfigError::Timeouts);
        }
        for (which, value) in [
            ("syn_retries", self.syn_retries),
            ("synack_retries", self.synack_retries),
            ("retries", self.retries),
        ] {
            if value > 32 {
                return Err(TcpConfigError::Retries { which, value });
            }
        }
        if self.fin_wait2_us == 0 {
            return Err(TcpConfigError::FinWait2);
        }
        if self.msl_us == 0 {
            return Err(TcpConfigError::Msl);
        }
        if self.init_cwnd == 0 || self.init_cwnd > MAX_INIT_CWND {
            return Err(TcpConfigError::InitCwnd(self.init_cwnd));
        }
        if self.delayed_ack_us > MAX_DELAYED_ACK_US {
            return Err(TcpConfigError::DelayedAck(self.delayed_ack_us));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(TcpConfig::default().validate(), Ok(()));
    }

    #[test]
    fn each_bound_is_named() {
        let bad = |f: fn(&mut TcpConfig)| {
            let mut c = TcpConfig::default();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(bad(|c| c.mss = 87), TcpConfigError::Mss(87));
        assert_eq!(bad(|c| c.wscale = Some(15)), TcpConfigError::Wscale(15));
        assert_eq!(
            bad(|c| c.rcv_wnd = 65536 << 7),
            TcpConfigError::RcvWnd {
                rcv_wnd: 65536 << 7,
                max: 65535 << 7
            }
        );
        assert!(bad(|c| c.rcv_wnd = 0).to_string().contains("1 to"));
        assert_eq!(bad(|c| c.rto_max_us = 1), TcpConfigError::Timeouts);
        assert_eq!(
            bad(|c| c.retries = 33),
            TcpConfigError::Retries {
                which: "retries",
                value: 33
            }
        );
        assert_eq!(bad(|c| c.fin_wait2_us = 0), TcpConfigError::FinWait2);
        assert_eq!(bad(|c| c.msl_us = 0), TcpConfigError::Msl);
        assert_eq!(bad(|c| c.init_cwnd = 0), TcpConfigError::InitCwnd(0));
        assert_eq!(bad(|c| c.init_cwnd = 1001), TcpConfigError::InitCwnd(1001));
        let e = bad(|c| c.delayed_ack_us = 600_000);
        assert_eq!(e, TcpConfigError::DelayedAck(600_000));
        assert!(e.to_string().contains("give 0 (ACK at once) to 500 ms"));
        assert_eq!(
            bad(|c| c.mss = 9001).to_string(),
            "an MSS of 9001 is out of range: give 88 to 9000"
        );
    }
}

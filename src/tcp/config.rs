//! Tunables of the TCP core, with Linux-like defaults, and the canned
//! application behaviour (what to send, when to close) that turns the state
//! machine into a client or a server without a socket API.

use std::sync::Arc;

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

/// How a side ends its connection once its exchange is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CloseMode {
    /// Send FIN (active close: FIN-WAIT-1 … TIME-WAIT on this side).
    Fin,
    /// Wait for the peer's FIN, then close at once (passive close).
    #[default]
    Wait,
    /// Abort with RST (SO_LINGER 0 style).
    Rst,
}

/// How a side tells that the peer's message is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AppProtocol {
    /// By counting bytes (`send_after`, `expect`).
    #[default]
    Bytes,
    /// HTTP/1.1 (see `crate::http`). A server takes a request as complete
    /// at the empty line ending its header block, in place of
    /// `send_after` and `expect`. A client counts the class of each
    /// response's status code (`HTTP_2XX`, `HTTP_OTHER`) and keeps
    /// `send_after` and `expect` (the response's end is the server's FIN).
    Http,
}

/// The canned application on one side of a connection.
///
/// Both sides follow the same rule: send `payload` once `send_after` bytes
/// have been received, and consider the exchange done once `expect` bytes
/// have been received and the payload is sent. A client has
/// `send_after = 0` (request right after the handshake) and
/// `expect = response length`; a server has `send_after = expect = request
/// length`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AppConfig {
    /// Bytes this side sends (request or response).
    pub payload: Arc<[u8]>,
    /// Bytes to receive before sending `payload`.
    pub send_after: u32,
    /// Bytes to receive before the exchange is done.
    pub expect: u32,
    /// What to do once the exchange is done.
    pub close: CloseMode,
    /// In CLOSE-WAIT, close at once (true) or wait for `Tcb::close` (false).
    pub close_on_peer_fin: bool,
    /// How the peer's message is read.
    pub protocol: AppProtocol,
    /// Once the exchange is done, wait this long (µs) before closing
    /// (0: close at once). The peer's FIN still closes at once.
    pub hold_us: u64,
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
    /// Retransmission timeout for data and FIN (no RTT sampling: Linux's
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
    /// The canned application (template 0).
    pub app: AppConfig,
    /// The applications of templates 1, 2, … (a profile's templates on a
    /// client: each connection follows the one it was opened with).
    pub templates: Arc<[AppConfig]>,
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

impl TcpConfig {
    /// The application of template `t` (0: `app`; beyond the templates:
    /// `app`).
    #[inline]
    pub fn app_of(&self, t: u8) -> &AppConfig {
        match t {
            0 => &self.app,
            _ => self.templates.get(usize::from(t) - 1).unwrap_or(&self.app),
        }
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
            app: AppConfig {
                close_on_peer_fin: true,
                ..AppConfig::default()
            },
            templates: Arc::from(Vec::new()),
        }
    }
}

impl TcpConfig {
    /// Checks the values; the error names the field and the valid range.
    pub fn validate(&self) -> Result<(), String> {
        if self.templates.len() >= usize::from(u8::MAX) {
            return Err(format!(
                "{} templates: at most 254",
                self.templates.len() + 1
            ));
        }
        for app in std::iter::once(&self.app).chain(self.templates.iter()) {
            if app.payload.len() > usize::from(u16::MAX) {
                return Err(format!(
                    "a {}-byte message is too long: at most 65535 bytes (request or response, HTTP header included)",
                    app.payload.len()
                ));
            }
        }
        if !(88..=9000).contains(&self.mss) {
            return Err(format!("mss {} out of range 88..=9000", self.mss));
        }
        if let Some(ws) = self.wscale
            && ws > crate::wire::MAX_WSCALE
        {
            return Err(format!("wscale {ws} out of range 0..=14"));
        }
        if self.rcv_wnd == 0 || self.rcv_wnd > (65535 << self.wscale.unwrap_or(0)) {
            return Err(format!(
                "rcv_wnd {} out of range 1..={} for wscale {:?}",
                self.rcv_wnd,
                65535u32 << self.wscale.unwrap_or(0),
                self.wscale
            ));
        }
        if self.rto_syn_us == 0 || self.rto_us == 0 || self.rto_max_us < self.rto_us {
            return Err("retransmission timeouts must be > 0 and rto_max >= rto".into());
        }
        for (name, v) in [
            ("syn_retries", self.syn_retries),
            ("synack_retries", self.synack_retries),
            ("retries", self.retries),
        ] {
            if v > 32 {
                return Err(format!("{name} {v} out of range 0..=32"));
            }
        }
        if self.fin_wait2_us == 0 {
            return Err("fin_wait2 must be > 0".into());
        }
        if self.msl_us == 0 {
            return Err("msl must be > 0".into());
        }
        if self.app.payload.len() > 65535 {
            return Err(format!(
                "payload of {} bytes exceeds 65535",
                self.app.payload.len()
            ));
        }
        Ok(())
    }
}

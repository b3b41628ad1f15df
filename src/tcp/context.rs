//! Per-worker TCP context: configuration, secrets (cookies and ISNs), rate
//! limiters and the SYN-queue count. One per worker, never shared, so the
//! hot path takes no lock.

use super::config::{TcpConfig, TcpConfigError};
use super::cookie::SynCookies;
use super::isn::IsnGenerator;
use super::ratelimit::RateLimiter;

/// Secret keys for cookies and ISNs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secrets {
    /// SYN cookie key (AES-128).
    pub cookie: [u8; 16],
    /// ISN key.
    pub isn: [u8; 16],
}

impl Secrets {
    /// Fresh random secrets from the operating system.
    pub fn random() -> Result<Secrets, getrandom::Error> {
        let mut cookie = [0u8; 16];
        let mut isn = [0u8; 16];
        getrandom::fill(&mut cookie)?;
        getrandom::fill(&mut isn)?;
        Ok(Secrets { cookie, isn })
    }

    /// Deterministic secrets for tests and reproducible simulations.
    pub fn from_seed(seed: u64) -> Secrets {
        let mut cookie = [0u8; 16];
        let mut isn = [0u8; 16];
        let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in cookie.iter_mut().chain(isn.iter_mut()) {
            // splitmix64 step
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *b = (z ^ (z >> 31)) as u8;
        }
        Secrets { cookie, isn }
    }
}

/// Everything the state machine needs besides the connection record.
#[derive(Debug)]
pub struct TcpContext {
    /// Configuration.
    pub cfg: TcpConfig,
    /// SYN cookie secrets.
    pub cookies: SynCookies,
    /// ISN generator.
    pub isn: IsnGenerator,
    pub(crate) challenge: RateLimiter,
    pub(crate) rst: RateLimiter,
    pub(crate) syn_queue: u32,
}

impl TcpContext {
    /// A context for `cfg` keyed by `secrets`, or the validation error
    /// naming the bad field and its range.
    pub fn try_new(cfg: TcpConfig, secrets: Secrets) -> Result<TcpContext, TcpConfigError> {
        cfg.validate()?;
        Ok(TcpContext::new(cfg, secrets))
    }

    /// A context for `cfg` keyed by `secrets`. Panics on a configuration
    /// that `TcpConfig::validate` refuses (a programming error: user input
    /// goes through `try_new`).
    pub fn new(cfg: TcpConfig, secrets: Secrets) -> TcpContext {
        if let Err(e) = cfg.validate() {
            panic!("invalid TcpConfig: {e}");
        }
        TcpContext {
            challenge: RateLimiter::new(cfg.challenge_ack_per_sec),
            rst: RateLimiter::new(cfg.rst_per_sec),
            cookies: match cfg.cookie_rotate_us {
                0 => SynCookies::new(secrets.cookie),
                every => SynCookies::rotating(secrets.cookie, every),
            },
            isn: IsnGenerator::new(secrets.isn),
            cfg,
            syn_queue: 0,
        }
    }

    /// Connections currently in SYN-RECEIVED from a passive open.
    pub fn syn_queue_len(&self) -> u32 {
        self.syn_queue
    }

    /// Our timestamp clock (1 ms ticks, RFC 7323 §5.4) at `now_us`.
    #[inline]
    pub fn ts_now(now_us: u64) -> u32 {
        (now_us / 1000) as u32
    }
}

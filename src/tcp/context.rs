//! Per-worker TCP context: configuration, secrets (cookies and ISNs), rate
//! limiters, the SYN-queue count, and the real clocks at the engine's time
//! 0. One per worker, never shared, so the hot path takes no lock.
//!
//! Rules: time is passed in as `now`, µs since the engine's start; the
//! clocks that must not restart with the process (timestamps, ISNs,
//! cookie periods) add the real clock's value at that start, which the
//! engine reads once (`RealClock`; virtual-time drivers leave it at 0).

use super::config::{TcpConfig, TcpConfigError};
use super::cookie::SynCookies;
use super::isn::IsnGenerator;
use super::ratelimit::{ChallengeBudget, RateLimiter};
use super::secrets::Secrets;

/// The real clocks at the engine's time 0, in µs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RealClock {
    /// Since boot (Linux `CLOCK_BOOTTIME`): timestamps and ISNs, which must
    /// grow across runs on one boot.
    pub boot_us: u64,
    /// Since the Unix epoch (`CLOCK_REALTIME`): SYN cookie periods and key
    /// epochs, which instances on other hosts share.
    pub wall_us: u64,
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
    pub(crate) challenge: ChallengeBudget,
    pub(crate) rst: RateLimiter,
    pub(crate) syn_queue: u32,
    clock: RealClock,
}

impl TcpContext {
    /// A context for `cfg` keyed by `secrets`, or the validation error
    /// naming the bad field and its range.
    pub fn try_new(cfg: TcpConfig, secrets: Secrets) -> Result<TcpContext, TcpConfigError> {
        cfg.validate()?;
        Ok(TcpContext::new(cfg, secrets))
    }

    /// A context for `cfg` keyed by `secrets`. The configuration is taken
    /// as valid: it is checked once, where it is built (`try_new`, or
    /// `TcpConfig::validate` before the workers' contexts are made), not
    /// again per worker.
    pub fn new(cfg: TcpConfig, secrets: Secrets) -> TcpContext {
        TcpContext {
            challenge: ChallengeBudget::new(cfg.challenge_ack_per_sec, secrets.cookie),
            rst: RateLimiter::new(cfg.rst_per_sec),
            cookies: match cfg.cookie_rotate_us {
                0 => SynCookies::new(secrets.cookie),
                every => SynCookies::rotating(secrets.cookie, every),
            },
            isn: IsnGenerator::new(secrets.isn),
            cfg,
            syn_queue: 0,
            clock: RealClock::default(),
        }
    }

    /// This context with the real clocks at the engine's time 0 (read
    /// once by the engine; at or before its time 0, never after, so that
    /// the clocks built on it never run ahead of the real ones).
    pub fn with_real_clock(mut self, clock: RealClock) -> TcpContext {
        self.clock = clock;
        self
    }

    /// Our timestamp clock (1 ms ticks, RFC 7323 §5.4) at `now_us`: the
    /// time since boot; a connection adds its own offset.
    #[inline]
    pub fn ts_clock(&self, now_us: u64) -> u32 {
        (self.clock.boot_us.wrapping_add(now_us) / 1000) as u32
    }

    /// The ISN clock's time (µs since boot) at `now_us`.
    #[inline]
    pub(crate) fn isn_clock(&self, now_us: u64) -> u64 {
        self.clock.boot_us.wrapping_add(now_us)
    }

    /// The SYN cookie clock's time (µs since the Unix epoch) at `now_us`.
    #[inline]
    pub fn cookie_clock(&self, now_us: u64) -> u64 {
        self.clock.wall_us.wrapping_add(now_us)
    }

    /// Moves the SYN cookie keys to `now_us` (`SynCookies::refresh`): true
    /// when the keys changed.
    #[inline]
    pub fn refresh_cookies(&mut self, now_us: u64) -> bool {
        let t = self.cookie_clock(now_us);
        self.cookies.refresh(t)
    }

    /// Connections currently in SYN-RECEIVED from a passive open.
    pub fn syn_queue_len(&self) -> u32 {
        self.syn_queue
    }
}

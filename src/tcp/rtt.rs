//! The round-trip time estimator and the retransmission timeout computed
//! from it (RFC 6298 §2), with samples taken from the timestamp echo
//! (RFC 7323 §4: RTTM).
//!
//! Rules:
//! - Only with `TcpConfig::rtt_samples` (`--rto-from-rtt`); otherwise the
//!   timeout of data is `rto_us` and nothing here runs.
//! - A sample is taken from each ACK that acknowledges new data (or our
//!   SYN) and echoes a TSval of ours: now − TSecr on our timestamp clock
//!   (1 ms ticks), so a retransmitted segment's ACK measures the
//!   retransmission and Karn's ambiguity does not arise (RFC 7323 §4.1).
//!   An ACK that covers a single sequence number after our SYN (our FIN
//!   alone, or a one-byte segment) gives none (`worth_timing`): after
//!   our FIN nothing is left to time, and the teardown of every short
//!   connection stays free of the estimator's cost.
//!   Without timestamps no sample is taken (the record has no room for a
//!   timed segment) and the timeout stays `TcpConfig::rto_us`.
//! - SRTT and RTTVAR follow RFC 6298 §2.2/§2.3 (α = 1/8, β = 1/4, one
//!   update per ACK, as Linux; RFC 7323 Appendix G's per-window scaling
//!   is not applied). The record keeps SRTT in 1/8 ms up to 8.19 s and
//!   RTTVAR in 1/4 ms up to 16.4 s; samples beyond 8 s count as 8 s.
//! - RTO = SRTT + max(G, 4·RTTVAR) (G = 1 ms, the clock's tick), never
//!   below `rto_us` (`--rto-min`, Linux's 200 ms floor; RFC 6298 §2.4's
//!   1 s floor is what Linux and this tool lower) and never above
//!   `rto_max_us`; backed off by doubling per retry (`timers.rs`).

use super::config::TcpConfig;
use super::context::TcpContext;
use super::tcb::Tcb;
use crate::wire::{SeqNum, Timestamps};

/// The longest sample kept (ms): SRTT's 16 bits of 1/8 ms.
const MAX_SAMPLE_MS: u32 = (u16::MAX / 8) as u32;

/// The clock granularity G (µs): the timestamp clock's 1 ms tick.
const CLOCK_G_US: u64 = 1_000;

impl Tcb {
    /// Takes a round-trip sample of `ms` milliseconds (RFC 6298 §2.2,
    /// §2.3).
    #[inline(always)]
    pub(crate) fn rtt_sample(&mut self, ms: u32) {
        let r8 = ms.min(MAX_SAMPLE_MS) * 8;
        if self.srtt8 == 0 {
            // First sample: SRTT = R, RTTVAR = R/2 (kept at least 1/8 ms,
            // so that 0 still means "no sample").
            self.srtt8 = r8.max(1) as u16;
            self.rttvar4 = (r8 / 4) as u16;
            return;
        }
        let srtt8 = u32::from(self.srtt8);
        let rttvar4 = u32::from(self.rttvar4);
        // |SRTT − R| in 1/4 ms.
        let err4 = srtt8.abs_diff(r8) / 2;
        let rttvar4 = rttvar4 - rttvar4 / 4 + err4 / 4;
        let srtt8 = srtt8 - srtt8 / 8 + r8 / 8;
        self.rttvar4 = rttvar4.min(u32::from(u16::MAX)) as u16;
        self.srtt8 = srtt8.clamp(1, u32::from(u16::MAX)) as u16;
    }

    /// The sample of an ACK of new data (the SYN-ACK's too) up to `ack` (beyond SND.UNA) with
    /// timestamps `ts`, when samples are on (`TcpConfig::rtt_samples`)
    /// and `worth_timing` says so.
    #[inline(always)]
    pub(crate) fn sample_ack(
        &mut self,
        ctx: &TcpContext,
        ts: Option<Timestamps>,
        ack: SeqNum,
        now: u64,
    ) {
        if ctx.cfg.rtt_samples
            && let Some(t) = ts
            && t.tsecr != 0
            && self.worth_timing(ack)
        {
            self.rtt_from_echo(ctx.ts_clock(now), t.tsecr);
        }
    }

    /// Whether an ACK of `ack` (beyond SND.UNA) is to give a sample: not
    /// when it covers one sequence number after our SYN (our FIN alone).
    #[inline(always)]
    pub(crate) fn worth_timing(&self, ack: SeqNum) -> bool {
        ack - self.snd_una != 1 || self.snd_una == self.iss
    }

    /// A sample from the TSecr of an ACK (RFC 7323 §4.1), taken at our
    /// timestamp clock's `ts_now` (without the connection's offset).
    #[inline(always)]
    pub(crate) fn rtt_from_echo(&mut self, ts_now: u32, tsecr: u32) {
        let ms = ts_now.wrapping_add(self.ts_offset()).wrapping_sub(tsecr);
        // An echo from the future, or from before the connection, is no
        // sample (a peer that echoes garbage must not inflate the timer).
        if ms <= MAX_SAMPLE_MS * 4 {
            self.rtt_sample(ms);
        }
    }

    /// The smoothed round-trip time (µs), once a sample was taken.
    #[inline]
    pub fn srtt_us(&self) -> Option<u64> {
        (self.srtt8 != 0).then(|| u64::from(self.srtt8) * 125)
    }

    /// The round-trip time variation (µs).
    #[inline]
    pub fn rttvar_us(&self) -> u64 {
        u64::from(self.rttvar4) * 250
    }

    /// The retransmission timeout of data and FIN before backoff (RFC
    /// 6298 §2): `rto_us` until a sample, then SRTT + max(G, 4·RTTVAR)
    /// within `rto_us`..=`rto_max_us`.
    #[inline]
    pub(crate) fn data_rto(&self, cfg: &TcpConfig) -> u64 {
        match self.srtt_us() {
            None => cfg.rto_us,
            Some(srtt) => (srtt + CLOCK_G_US.max(4 * self.rttvar_us()))
                .clamp(cfg.rto_us, cfg.rto_max_us.max(cfg.rto_us)),
        }
    }
}

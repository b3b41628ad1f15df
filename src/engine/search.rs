//! The search of `synwave search`: which value to offer next (a binary
//! search between `--min` and `--max` until the bracket is within the
//! resolution, as TRex's NDR search), what one step measured (the
//! generators' counts over the step, and its latency histograms), and
//! whether the step passed the criteria of RFC 9411 §7 (failed
//! connections, unexpected resets, retransmitted SYNs, and optional
//! handshake and first-byte p99 bounds).
//!
//! Rules: pure arithmetic on the figures it is given; no I/O, no clock.
//! A step is judged on every connection it opened, the ramp included;
//! connections still open when the step's drain ends count as failed. A
//! step whose generator could not offer what was asked (source pairs
//! exhausted, the concurrency cap reached) fails on that, named, so a
//! generator limit is never reported as the device's.

use super::worker::WorkerReport;
use crate::endpoint::Latency;
use crate::tcp::{End, Events};
use std::time::Duration;

/// What a search varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Connections opened per second (RFC 9411 §7.2, §7.4).
    Cps,
    /// Connections held open at once (RFC 3511 §5.2).
    Concurrency,
}

impl Metric {
    /// The name in the JSON and the output.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cps => "cps",
            Metric::Concurrency => "concurrency",
        }
    }

    /// The unit of an offered value.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Cps => "connections/s",
            Metric::Concurrency => "connections open",
        }
    }
}

/// The pass criteria of a step (RFC 9411 §7: failed transactions and
/// unexpected resets at most 0.001 %, retransmitted SYNs at most 0.1 %).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Criteria {
    /// Most failed connections, percent of those opened.
    pub failed_pct: f64,
    /// Most connections ended by an unexpected RST, percent of those
    /// opened.
    pub resets_pct: f64,
    /// Most retransmitted SYNs, percent of the connections opened.
    pub syn_retransmits_pct: f64,
    /// Highest handshake p99 (µs), if bounded.
    pub handshake_p99_us: Option<u64>,
    /// Highest time-to-first-byte p99 (µs), if bounded.
    pub first_byte_p99_us: Option<u64>,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            failed_pct: 0.001,
            resets_pct: 0.001,
            syn_retransmits_pct: 0.1,
            handshake_p99_us: None,
            first_byte_p99_us: None,
        }
    }
}

/// A search's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchPlan {
    /// What is varied.
    pub metric: Metric,
    /// Lowest value offered.
    pub min: f64,
    /// Highest value offered.
    pub max: f64,
    /// The search ends once the bracket between the highest value that
    /// passed and the lowest that failed is within this percentage of the
    /// latter.
    pub resolution_pct: f64,
    /// Length of each step at its full value (after the ramp).
    pub step: Duration,
    /// A step's rate rises from 0 over this long first (cps).
    pub ramp: Duration,
    /// Longest wait, after a step, for its connections to end.
    pub drain: Duration,
    /// Before the first step, this long at the lowest value, not judged:
    /// RFC 9411 §7's initialization, in which the device and the server
    /// learn our addresses (ARP) and fill their caches (zero: none).
    pub warm_up: Duration,
    /// The pass criteria.
    pub criteria: Criteria,
}

/// What is wrong with a [`SearchPlan`].
#[derive(Clone, Debug, PartialEq)]
pub enum SearchError {
    /// `min` is above `max`.
    MinAboveMax {
        /// The lowest value.
        min: f64,
        /// The highest value.
        max: f64,
    },
    /// `min` is not positive.
    MinNotPositive(f64),
    /// The resolution is not in (0, 100).
    Resolution(f64),
    /// A percentage criterion is not in [0, 100].
    Criterion {
        /// Which criterion.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The step lasts no time.
    NoStep,
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::MinAboveMax { min, max } => {
                write!(f, "the lowest value {min} is above the highest {max}")
            }
            SearchError::MinNotPositive(v) => write!(f, "the lowest value {v} is not above 0"),
            SearchError::Resolution(v) => write!(f, "resolution {v} % is not in (0, 100)"),
            SearchError::Criterion { name, value } => {
                write!(f, "criterion {name} {value} % is not in [0, 100]")
            }
            SearchError::NoStep => write!(f, "a step of no time measures nothing"),
        }
    }
}

impl std::error::Error for SearchError {}

impl SearchPlan {
    /// Checks the bounds, the resolution and the criteria.
    pub fn validate(&self) -> Result<(), SearchError> {
        if self.min <= 0.0 || self.min.is_nan() {
            return Err(SearchError::MinNotPositive(self.min));
        }
        if self.min > self.max {
            return Err(SearchError::MinAboveMax {
                min: self.min,
                max: self.max,
            });
        }
        if !(self.resolution_pct > 0.0 && self.resolution_pct < 100.0) {
            return Err(SearchError::Resolution(self.resolution_pct));
        }
        let c = &self.criteria;
        for (name, value) in [
            ("failed", c.failed_pct),
            ("resets", c.resets_pct),
            ("syn-retransmits", c.syn_retransmits_pct),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(SearchError::Criterion { name, value });
            }
        }
        if self.step.is_zero() {
            return Err(SearchError::NoStep);
        }
        Ok(())
    }

    /// Steps the search takes at most: the two bounds, then halvings
    /// until the bracket is within the resolution (of the lowest value,
    /// where the bracket is narrowest).
    pub fn max_steps(&self) -> u32 {
        let span = (self.max - self.min).max(0.0);
        let width = (self.resolution_pct / 100.0 * self.min).max(self.granule());
        let mut halvings = 0;
        let mut w = span;
        while w > width && halvings < 64 {
            w /= 2.0;
            halvings += 1;
        }
        if span <= 0.0 { 1 } else { 2 + halvings }
    }

    /// The smallest step between two values (one connection for
    /// concurrency).
    fn granule(&self) -> f64 {
        match self.metric {
            Metric::Cps => 0.0,
            Metric::Concurrency => 1.0,
        }
    }
}

/// The binary search: the highest value that passed, the lowest that
/// failed, and the next to offer.
#[derive(Clone, Debug)]
pub struct Bisection {
    plan: SearchPlan,
    passed: Option<f64>,
    failed: Option<f64>,
    tried: u32,
}

impl Bisection {
    /// A search over `plan` (validated).
    pub fn new(plan: SearchPlan) -> Bisection {
        Bisection {
            plan,
            passed: None,
            failed: None,
            tried: 0,
        }
    }

    /// The value to offer next, or `None` once the search is done: the
    /// lowest bound first (it must pass), then the highest, then the
    /// middle of the bracket.
    pub fn next(&self) -> Option<f64> {
        let p = &self.plan;
        let round = |v: f64| match p.metric {
            Metric::Cps => v,
            Metric::Concurrency => v.round(),
        };
        match (self.passed, self.failed) {
            (None, None) => Some(round(p.min)),
            // The lowest value failed: nothing below it is tried.
            (None, Some(_)) => None,
            (Some(lo), None) if lo < p.max => Some(round(p.max)),
            (Some(_), None) => None,
            (Some(lo), Some(hi)) => {
                let width = (p.resolution_pct / 100.0 * hi).max(p.granule());
                let mid = round((lo + hi) / 2.0);
                (hi - lo > width && mid > lo && mid < hi).then_some(mid)
            }
        }
    }

    /// Records that `value` passed or failed.
    pub fn record(&mut self, value: f64, passed: bool) {
        self.tried += 1;
        if passed {
            self.passed = Some(self.passed.map_or(value, |v| v.max(value)));
        } else {
            self.failed = Some(self.failed.map_or(value, |v| v.min(value)));
        }
    }

    /// The highest value that passed (`None`: not even the lowest).
    pub fn answer(&self) -> Option<f64> {
        self.passed
    }

    /// The lowest value that failed (`None`: even the highest passed).
    pub fn lowest_failed(&self) -> Option<f64> {
        self.failed
    }
}

/// The generators' counts at one moment, summed over the workers: what a
/// step is measured by, as the difference of two of these.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Connections opened.
    pub opened: u64,
    /// Of them, lone SYNs (no connection).
    pub syn_only: u64,
    /// Connections that reached ESTABLISHED.
    pub established: u64,
    /// Connections ended, any way.
    pub ended: u64,
    /// Connections ended cleanly.
    pub completed: u64,
    /// Connections ended by a RST from the peer.
    pub reset_by_peer: u64,
    /// SYNs retransmitted.
    pub syn_retransmits: u64,
    /// Segments retransmitted.
    pub retransmits: u64,
    /// Opens refused for want of a source pair.
    pub ports_exhausted: u64,
    /// The latency histograms.
    pub latency: Latency,
}

impl Tally {
    /// The sum of the generator workers' `reports`.
    pub fn of<'a>(reports: impl IntoIterator<Item = &'a WorkerReport>) -> Tally {
        let mut t = Tally::default();
        for r in reports {
            let c = &r.counters;
            t.opened += r.tally.opened;
            t.syn_only += r.tally.syn_only;
            t.ports_exhausted += r.tally.ports_exhausted;
            t.established += c.event(Events::ESTABLISHED);
            t.ended += c.ended();
            t.completed += c.completed();
            t.reset_by_peer += c.end(End::ResetByPeer);
            t.syn_retransmits += c.event(Events::SYN_RETRANSMIT);
            t.retransmits += c.event(Events::RETRANSMIT);
            t.latency.merge(&r.latency);
        }
        t
    }

    /// What happened between `base` and `self`.
    pub fn since(&self, base: &Tally) -> Tally {
        let mut latency = self.latency.clone();
        let _ = latency.handshake_us.subtract(&base.latency.handshake_us);
        let _ = latency.first_byte_us.subtract(&base.latency.first_byte_us);
        let _ = latency.last_byte_us.subtract(&base.latency.last_byte_us);
        let _ = latency.lifetime_us.subtract(&base.latency.lifetime_us);
        Tally {
            opened: self.opened - base.opened,
            syn_only: self.syn_only - base.syn_only,
            established: self.established - base.established,
            ended: self.ended - base.ended,
            completed: self.completed - base.completed,
            reset_by_peer: self.reset_by_peer - base.reset_by_peer,
            syn_retransmits: self.syn_retransmits - base.syn_retransmits,
            retransmits: self.retransmits - base.retransmits,
            ports_exhausted: self.ports_exhausted - base.ports_exhausted,
            latency,
        }
    }
}

/// A latency's p50 and p99 over a step (µs; `None`: nothing recorded).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct P50P99 {
    /// Median.
    pub p50_us: Option<u64>,
    /// 99th percentile.
    pub p99_us: Option<u64>,
}

impl P50P99 {
    fn of(h: &hdrhistogram::Histogram<u64>) -> P50P99 {
        if h.is_empty() {
            return P50P99::default();
        }
        P50P99 {
            p50_us: Some(h.value_at_quantile(0.5)),
            p99_us: Some(h.value_at_quantile(0.99)),
        }
    }
}

/// One step, measured and judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The value offered (connections/s, or connections open at once).
    pub offered: f64,
    /// What the generator achieved of it: established per second over
    /// the step at its full rate (cps), or the most connections open at
    /// once (concurrency).
    pub achieved: f64,
    /// Connections opened.
    pub opened: u64,
    /// Connections the step's schedule asked for (cps; the concurrency
    /// for a concurrency step).
    pub due: u64,
    /// Connections established per second over the step.
    pub setups_per_sec: f64,
    /// Connections closed cleanly per second over the step.
    pub teardowns_per_sec: f64,
    /// Connections that did not end cleanly, those still open at the
    /// drain's end included.
    pub failed: u64,
    /// Of them, those still open at the drain's end (then aborted).
    pub unfinished: u64,
    /// Connections ended by an RST the close mode did not ask for.
    pub unexpected_resets: u64,
    /// SYNs retransmitted.
    pub syn_retransmits: u64,
    /// Segments retransmitted.
    pub retransmits: u64,
    /// Opens refused for want of a source pair.
    pub ports_exhausted: u64,
    /// SYN sent → ESTABLISHED.
    pub handshake: P50P99,
    /// SYN sent → first response byte.
    pub first_byte: P50P99,
    /// SYN sent → last response byte.
    pub last_byte: P50P99,
    /// Passed every criterion.
    pub passed: bool,
    /// The first criterion that failed, and the figure.
    pub failed_criterion: Option<String>,
}

/// How a step ran, besides its counts.
#[derive(Clone, Copy, Debug)]
pub struct StepRun {
    /// The value offered.
    pub offered: f64,
    /// Seconds the step offered its full value (the run phase less half
    /// the ramp: what the schedule's count is worth at the full rate).
    pub seconds: f64,
    /// Connections the schedule asked for.
    pub due: u64,
    /// Most connections open at once (from the live lines).
    pub peak_open: u64,
    /// Connections still open when the drain ended.
    pub unfinished: u64,
    /// Resets are how the connections end (`--close rst` on the server).
    pub resets_expected: bool,
}

impl StepRun {
    /// The run of a step of `plan` that offered `value`: its run phase
    /// lasted `run_phase`, its live lines' highest open count was
    /// `peak_open`, `unfinished` connections were still open after its
    /// drain.
    pub fn new(
        plan: &SearchPlan,
        value: f64,
        run_phase: Duration,
        peak_open: u64,
        unfinished: u64,
    ) -> StepRun {
        let ramp = match plan.metric {
            Metric::Cps => plan.ramp,
            Metric::Concurrency => Duration::ZERO,
        };
        let t = run_phase.as_micros() as u64;
        StepRun {
            offered: value,
            seconds: (run_phase.as_secs_f64() - ramp.as_secs_f64() / 2.0).max(1e-3),
            due: match plan.metric {
                Metric::Cps => super::load::due(t, value, ramp.as_micros() as u64),
                Metric::Concurrency => value as u64,
            },
            peak_open,
            unfinished,
            resets_expected: false,
        }
    }
}

/// Measures and judges a step from its counts `t`.
pub fn judge(metric: Metric, c: &Criteria, run: StepRun, t: &Tally) -> Step {
    let connections = t.opened - t.syn_only;
    // A reset the close mode asks for is how a connection completes.
    let (resets, expected) = if run.resets_expected {
        (0, t.reset_by_peer)
    } else {
        (t.reset_by_peer, 0)
    };
    let failed = t.ended - t.completed - expected + run.unfinished;
    let per_sec = |n: u64| n as f64 / run.seconds.max(1e-9);
    let mut step = Step {
        offered: run.offered,
        achieved: match metric {
            Metric::Cps => per_sec(t.established),
            Metric::Concurrency => run.peak_open as f64,
        },
        opened: connections,
        due: run.due,
        setups_per_sec: per_sec(t.established),
        teardowns_per_sec: per_sec(t.completed),
        failed,
        unfinished: run.unfinished,
        unexpected_resets: resets,
        syn_retransmits: t.syn_retransmits,
        retransmits: t.retransmits,
        ports_exhausted: t.ports_exhausted,
        handshake: P50P99::of(&t.latency.handshake_us),
        first_byte: P50P99::of(&t.latency.first_byte_us),
        last_byte: P50P99::of(&t.latency.last_byte_us),
        passed: false,
        failed_criterion: None,
    };
    step.failed_criterion = first_failure(c, &step);
    step.passed = step.failed_criterion.is_none();
    step
}

/// The first criterion `s` fails, named with its figure and bound.
fn first_failure(c: &Criteria, s: &Step) -> Option<String> {
    let n = s.opened.max(1) as f64;
    let pct = |k: u64| 100.0 * k as f64 / n;
    if s.ports_exhausted > 0 {
        return Some(format!(
            "generator: source pairs exhausted {} times (give more --src-ip addresses, or --tw-reuse)",
            s.ports_exhausted
        ));
    }
    // The schedule is met within one percent and a burst.
    if s.opened + s.due / 100 + 64 < s.due {
        return Some(format!(
            "generator: opened {} of the {} due (raise --concurrency)",
            s.opened, s.due
        ));
    }
    if s.opened == 0 {
        return Some("generator: no connection opened".into());
    }
    let ratios = [
        ("failed", s.failed, c.failed_pct),
        ("unexpected resets", s.unexpected_resets, c.resets_pct),
        (
            "retransmitted SYNs",
            s.syn_retransmits,
            c.syn_retransmits_pct,
        ),
    ];
    for (name, k, bound) in ratios {
        if pct(k) > bound {
            return Some(format!("{name} {k} = {:.4} % > {bound} %", pct(k)));
        }
    }
    let bounds = [
        ("handshake p99", s.handshake.p99_us, c.handshake_p99_us),
        ("first byte p99", s.first_byte.p99_us, c.first_byte_p99_us),
    ];
    for (name, v, bound) in bounds {
        if let (Some(v), Some(b)) = (v, bound)
            && v > b
        {
            return Some(format!(
                "{name} {:.3} ms > {:.3} ms",
                v as f64 / 1e3,
                b as f64 / 1e3
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests;

//! Per-endpoint latency histograms (the `hdrhistogram` crate): handshake
//! round-trip of connections we opened (SYN sent → ESTABLISHED, SYN
//! retransmissions included, as a client application sees `connect()`),
//! and connection lifetime (record created → record ended, TIME-WAIT not
//! included). Values in microseconds.
//!
//! Rules: the buckets are allocated when the endpoint is built; recording
//! never allocates (values beyond the range saturate at its top).

use hdrhistogram::Histogram;

/// Highest value tracked: one hour in microseconds.
const MAX_US: u64 = 3_600_000_000;

/// The two histograms of one endpoint.
#[derive(Clone, Debug)]
pub struct Latency {
    /// SYN sent → ESTABLISHED, for connections this endpoint opened (µs).
    pub handshake_us: Histogram<u64>,
    /// Record created → record ended (µs).
    pub lifetime_us: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency::new()
    }
}

impl Latency {
    /// Empty histograms: 1 µs to one hour, 3 significant digits.
    pub fn new() -> Latency {
        // Constant, valid bounds (1 ≤ low, 2·low ≤ high, 3 digits ≤ 5):
        // construction cannot fail.
        let h = || Histogram::new_with_bounds(1, MAX_US, 3).expect("valid constant bounds");
        Latency {
            handshake_us: h(),
            lifetime_us: h(),
        }
    }

    /// Adds another endpoint's histograms.
    pub fn merge(&mut self, other: &Latency) {
        let _ = self.handshake_us.add(&other.handshake_us);
        let _ = self.lifetime_us.add(&other.lifetime_us);
    }
}

//! Per-endpoint latency histograms (the `hdrhistogram` crate): handshake
//! round-trip of connections we opened (SYN sent → ESTABLISHED, SYN
//! retransmissions included, as a client application sees `connect()`),
//! connect → first response byte (SYN sent → the first in-order data
//! from the server, for connections we opened), connect → last response
//! byte (SYN sent → the byte that completes the response the application
//! awaits: its byte count, or the server's FIN where the response ends at
//! the close, as RFC 9411 §7.4's time to last byte), and connection
//! lifetime (record created → record ended, TIME-WAIT not included).
//! Values in microseconds.
//!
//! The hot path records into a [`Recorder`]: values below 2,048 µs are
//! counted in a plain array, which is exactly the first bucket of the HDR
//! histogram at 3 significant digits (unit resolution from 0 to 2,047), so
//! nothing is lost; they are folded into the HDR histogram when it is
//! read. An HDR `record` costs about 100 instructions, an array increment
//! a handful.
//!
//! Alongside, each value is counted in one of [`BUCKETS`] fixed
//! power-of-two buckets ([`Buckets`]: 1 µs, 2 µs, 4 µs … 2²² µs ≈ 4.2 s,
//! then everything above), with a running sum: the workers publish these
//! on their boards during the run, for the Prometheus histograms of
//! `--metrics-addr`. The bucket is one `leading_zeros` away.
//!
//! Rules: the buckets are allocated when the endpoint is built; recording
//! never allocates (values beyond the range saturate at its top).

use hdrhistogram::Histogram;

/// Highest value tracked: one hour in microseconds.
const MAX_US: u64 = 3_600_000_000;
/// Values counted in the front array: the HDR histogram's first bucket
/// (sub-bucket count at 3 significant digits, lowest value 1).
const FRONT: usize = 2048;

fn empty() -> Histogram<u64> {
    // Constant, valid bounds (1 ≤ low, 2·low ≤ high, 3 digits ≤ 5):
    // construction cannot fail.
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid constant bounds")
}

/// Buckets in a [`Buckets`]: upper bounds 2⁰ … 2²² µs, then one for all
/// larger values.
pub const BUCKETS: usize = 24;

/// A value's count in fixed power-of-two buckets, and their sum: what the
/// Prometheus histograms are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buckets {
    /// Values in each bucket (not cumulative): bucket `i < BUCKETS - 1`
    /// holds the values in (2^(i-1), 2^i] µs (bucket 0: up to 1 µs), the
    /// last one everything above 2^(BUCKETS-2) µs.
    pub counts: [u64; BUCKETS],
    /// The sum of the values counted (µs).
    pub sum_us: u64,
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets {
            counts: [0; BUCKETS],
            sum_us: 0,
        }
    }
}

impl Buckets {
    /// Bucket `i`'s upper bound in µs; `None` for the last, unbounded one.
    pub fn upper_us(i: usize) -> Option<u64> {
        (i + 1 < BUCKETS).then(|| 1u64 << i)
    }

    /// The bucket of `us`: the smallest `i` with `us ≤ 2^i`.
    #[inline]
    pub fn index(us: u64) -> usize {
        let i = if us <= 1 {
            0
        } else {
            (u64::BITS - (us - 1).leading_zeros()) as usize
        };
        i.min(BUCKETS - 1)
    }

    /// Counts `us`.
    #[inline]
    pub fn record(&mut self, us: u64) {
        self.counts[Self::index(us)] += 1;
        self.sum_us = self.sum_us.saturating_add(us);
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The three latencies of an endpoint in [`Buckets`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencyBuckets {
    /// SYN sent → ESTABLISHED (connections opened here).
    pub handshake: Buckets,
    /// SYN sent → first response byte.
    pub first_byte: Buckets,
    /// Record created → record ended.
    pub lifetime: Buckets,
}

impl Buckets {
    /// Adds `o`'s counts and sum.
    pub fn add(&mut self, o: &Buckets) {
        for (a, b) in self.counts.iter_mut().zip(o.counts) {
            *a += b;
        }
        self.sum_us = self.sum_us.saturating_add(o.sum_us);
    }
}

impl LatencyBuckets {
    /// Adds another endpoint's buckets.
    pub fn add(&mut self, o: &LatencyBuckets) {
        self.handshake.add(&o.handshake);
        self.first_byte.add(&o.first_byte);
        self.lifetime.add(&o.lifetime);
    }

    /// The three, with their metric names (`handshake`, `first_byte`,
    /// `lifetime`), in a fixed order.
    pub fn named(&self) -> [(&'static str, &Buckets); 3] {
        [
            ("handshake", &self.handshake),
            ("first_byte", &self.first_byte),
            ("lifetime", &self.lifetime),
        ]
    }
}

/// The histograms of one endpoint.
#[derive(Clone, Debug)]
pub struct Latency {
    /// SYN sent → ESTABLISHED, for connections this endpoint opened (µs).
    pub handshake_us: Histogram<u64>,
    /// SYN sent → first response byte, for connections this endpoint
    /// opened that received data (µs).
    pub first_byte_us: Histogram<u64>,
    /// SYN sent → the response's last byte, for connections this endpoint
    /// opened whose response completed (µs).
    pub last_byte_us: Histogram<u64>,
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
        Latency {
            handshake_us: empty(),
            first_byte_us: empty(),
            last_byte_us: empty(),
            lifetime_us: empty(),
        }
    }

    /// Adds another endpoint's histograms.
    pub fn merge(&mut self, other: &Latency) {
        let _ = self.handshake_us.add(&other.handshake_us);
        let _ = self.first_byte_us.add(&other.first_byte_us);
        let _ = self.last_byte_us.add(&other.last_byte_us);
        let _ = self.lifetime_us.add(&other.lifetime_us);
    }
}

/// One histogram as the hot path records it: small values in a front
/// array, the rest in the HDR histogram.
#[derive(Clone, Debug)]
struct Fronted {
    front: Box<[u64; FRONT]>,
    hdr: Histogram<u64>,
}

impl Fronted {
    fn new() -> Fronted {
        Fronted {
            front: Box::new([0; FRONT]),
            hdr: empty(),
        }
    }

    /// Counts `v` (0 is counted as 1, the histogram's lowest value).
    /// Inlined: a handful of instructions per connection, called from the
    /// receive path.
    #[inline(always)]
    fn record(&mut self, v: u64) {
        let v = v.max(1);
        match self.front.get_mut(v as usize) {
            Some(c) => *c += 1,
            None => self.hdr.saturating_record(v),
        }
    }

    /// The HDR histogram with the front folded in.
    fn folded(&self) -> Histogram<u64> {
        let mut h = self.hdr.clone();
        for (v, &n) in self.front.iter().enumerate() {
            if n > 0 {
                // Within the bounds (1 ≤ v < 2,048 ≤ MAX_US): cannot fail.
                let _ = h.record_n(v as u64, n);
            }
        }
        h
    }
}

/// What an endpoint records into: cheap to record, folded into a
/// [`Latency`] when read.
#[derive(Clone, Debug)]
pub struct Recorder {
    handshake: Fronted,
    first_byte: Fronted,
    last_byte: Fronted,
    lifetime: Fronted,
    buckets: LatencyBuckets,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// Nothing recorded.
    pub fn new() -> Recorder {
        Recorder {
            handshake: Fronted::new(),
            first_byte: Fronted::new(),
            last_byte: Fronted::new(),
            lifetime: Fronted::new(),
            buckets: LatencyBuckets::default(),
        }
    }

    /// A handshake round-trip of `us` µs.
    #[inline]
    pub fn handshake(&mut self, us: u64) {
        self.handshake.record(us);
        self.buckets.handshake.record(us);
    }

    /// A first response byte `us` µs after the SYN.
    #[inline]
    pub fn first_byte(&mut self, us: u64) {
        self.first_byte.record(us);
        self.buckets.first_byte.record(us);
    }

    /// A response's last byte `us` µs after the SYN (HDR only: the
    /// boards carry the other three).
    #[inline]
    pub fn last_byte(&mut self, us: u64) {
        self.last_byte.record(us);
    }

    /// A connection lifetime of `us` µs.
    #[inline]
    pub fn lifetime(&mut self, us: u64) {
        self.lifetime.record(us);
        self.buckets.lifetime.record(us);
    }

    /// Everything recorded so far in the fixed buckets (no copy, no
    /// allocation: for the worker's board).
    pub fn buckets(&self) -> &LatencyBuckets {
        &self.buckets
    }

    /// Everything recorded so far, as HDR histograms.
    pub fn latency(&self) -> Latency {
        Latency {
            handshake_us: self.handshake.folded(),
            first_byte_us: self.first_byte.folded(),
            last_byte_us: self.last_byte.folded(),
            lifetime_us: self.lifetime.folded(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The front array and the HDR histogram agree value for value: every
    /// statistic of the folded histogram equals that of one fed directly.
    #[test]
    fn folded_equals_direct() {
        let mut r = Recorder::new();
        let mut direct = empty();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly below the front's end, some far above, some zero.
            let v = match i % 10 {
                0 => x % 10_000_000,
                1 => 0,
                2 => 2047 + x % 3,
                _ => x % 3000,
            };
            r.lifetime(v);
            direct.saturating_record(v.max(1));
        }
        let got = r.latency().lifetime_us;
        assert_eq!(got.len(), direct.len());
        assert_eq!(got.min(), direct.min());
        assert_eq!(got.max(), direct.max());
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                got.value_at_quantile(q),
                direct.value_at_quantile(q),
                "q {q}"
            );
        }
        assert!(got.iter_recorded().eq(direct.iter_recorded()));
        assert_eq!(r.latency().handshake_us.len(), 0);
    }

    /// Each value lands in the bucket whose bound is the first at or above
    /// it; the buckets count what the HDR histogram counts.
    #[test]
    fn buckets_bound_their_values() {
        for (v, i) in [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (1024, 10),
            (1025, 11),
        ] {
            assert_eq!(Buckets::index(v), i, "{v}");
        }
        assert_eq!(Buckets::index(1 << 22), 22);
        assert_eq!(Buckets::index((1 << 22) + 1), BUCKETS - 1);
        assert_eq!(Buckets::index(u64::MAX), BUCKETS - 1);
        assert_eq!(Buckets::upper_us(0), Some(1));
        assert_eq!(Buckets::upper_us(22), Some(1 << 22));
        assert_eq!(Buckets::upper_us(BUCKETS - 1), None);
        let mut r = Recorder::new();
        let mut x = 7u64;
        for _ in 0..10_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let v = (x >> 40) % 10_000_000;
            r.lifetime(v);
            let i = Buckets::index(v);
            assert!(Buckets::upper_us(i).is_none_or(|u| v <= u), "{v}");
            assert!(i == 0 || v > Buckets::upper_us(i - 1).unwrap(), "{v}");
        }
        let b = r.buckets().lifetime;
        assert_eq!(b.count(), r.latency().lifetime_us.len());
        assert_eq!(r.buckets().handshake.count(), 0);
        r.handshake(30);
        r.handshake(40);
        assert_eq!(r.buckets().handshake.sum_us, 70);
        assert_eq!(r.buckets().handshake.counts[5], 1, "30 µs: up to 32");
        assert_eq!(r.buckets().handshake.counts[6], 1, "40 µs: up to 64");
    }

    /// Recorded values never fall out: values above the range saturate.
    #[test]
    fn extremes_are_kept() {
        let mut r = Recorder::new();
        r.handshake(u64::MAX);
        r.handshake(1);
        r.handshake(2047);
        r.handshake(2048);
        let h = r.latency().handshake_us;
        assert_eq!(h.len(), 4);
        assert_eq!(h.min(), 1);
        assert!(h.max() >= MAX_US);
    }
}

//! A worker's board: its metrics as relaxed atomics on cache lines of
//! their own, written by the worker every few hundred polls and read by
//! the stats thread and the metrics endpoint, with its latency buckets
//! (three histograms of `BUCKETS` counts and a sum). One writer per
//! board; readers never write.

use super::sample::{SLOTS, Sample, visit};
use crate::endpoint::{BUCKETS, Buckets, LatencyBuckets};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

/// The families a board splits its results by, in slot order.
pub const FAMILIES: [&str; 2] = ["ipv4", "ipv6"];

/// Each family's results: established, completed, failed.
pub type FamilyResults = [[u64; 3]; FAMILIES.len()];

/// Slots per latency histogram: its bucket counts, then its sum.
const HIST: usize = BUCKETS + 1;

/// One worker's published metrics, aligned so that no two boards share a
/// cache line.
#[derive(Debug)]
#[repr(align(64))]
pub struct Board {
    values: [AtomicU64; SLOTS],
    /// Handshake, first byte and lifetime: bucket counts and sum each.
    latency: [AtomicU64; 3 * HIST],
    /// The tag of the latest publication (0: none yet).
    tag: AtomicU8,
    /// Per family (`FAMILIES`): established, completed, failed.
    families: [[AtomicU64; 3]; FAMILIES.len()],
    /// Whether the worker runs both families (it publishes `families`).
    dual: AtomicBool,
}

impl Default for Board {
    fn default() -> Self {
        Board {
            values: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
            tag: AtomicU8::new(0),
            families: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            dual: AtomicBool::new(false),
        }
    }
}

impl Board {
    /// Publishes `s` (relaxed stores, no allocation), tagged `tag` (the
    /// writer's phase, say: a reader that sees the tag also sees the
    /// values published with it).
    pub fn publish(&self, s: &Sample<'_>, tag: u8) {
        let mut i = 0;
        visit(s, |_, v| {
            if let Some(slot) = self.values.get(i) {
                slot.store(v, Ordering::Relaxed);
            }
            i += 1;
        });
        if let Some(lat) = s.latency {
            let slots = self.latency.chunks_exact(HIST);
            for ((_, b), slots) in lat.named().into_iter().zip(slots) {
                for (slot, &n) in slots.iter().zip(b.counts.iter().chain([&b.sum_us])) {
                    slot.store(n, Ordering::Relaxed);
                }
            }
        }
        self.tag.store(tag, Ordering::Release);
    }

    /// Publishes each family's results (a worker that runs IPv6 beside
    /// IPv4), before `publish`, whose tag covers them.
    pub fn publish_families(&self, f: &FamilyResults) {
        for (slots, values) in self.families.iter().zip(f) {
            for (slot, &v) in slots.iter().zip(values) {
                slot.store(v, Ordering::Relaxed);
            }
        }
        self.dual.store(true, Ordering::Relaxed);
    }

    /// Each family's results, where the worker publishes them.
    pub fn families(&self) -> Option<FamilyResults> {
        self.dual.load(Ordering::Relaxed).then(|| {
            std::array::from_fn(|f| {
                std::array::from_fn(|k| self.families[f][k].load(Ordering::Relaxed))
            })
        })
    }

    /// The latency buckets published last (all zero before the first, or
    /// where the worker published none).
    pub fn latency(&self) -> LatencyBuckets {
        let read = |k: usize| {
            let slots = &self.latency[k * HIST..(k + 1) * HIST];
            let mut b = Buckets::default();
            for (c, slot) in b.counts.iter_mut().zip(slots) {
                *c = slot.load(Ordering::Relaxed);
            }
            b.sum_us = slots[BUCKETS].load(Ordering::Relaxed);
            b
        };
        LatencyBuckets {
            handshake: read(0),
            first_byte: read(1),
            lifetime: read(2),
        }
    }

    /// The tag of the latest publication (0 before the first).
    pub fn tag(&self) -> u8 {
        self.tag.load(Ordering::Acquire)
    }

    /// The published values, in `visit` order, added to `out` (resized
    /// to `len` first when shorter).
    pub fn add_to(&self, out: &mut Vec<u64>, len: usize) {
        if out.len() < len {
            out.resize(len, 0);
        }
        for (o, v) in out.iter_mut().zip(&self.values) {
            *o += v.load(Ordering::Relaxed);
        }
    }
}

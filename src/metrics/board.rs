//! A worker's board: its metrics as relaxed atomics on cache lines of
//! their own, written by the worker every few hundred polls and read by
//! the stats thread. One writer per board; readers never write.

use super::{Sample, visit};
use std::sync::atomic::{AtomicU64, Ordering};

/// Metric slots per board (more than `metrics::names().len()`).
pub const SLOTS: usize = 96;

/// One worker's published metrics, aligned so that no two boards share a
/// cache line.
#[derive(Debug)]
#[repr(align(64))]
pub struct Board {
    values: [AtomicU64; SLOTS],
}

impl Default for Board {
    fn default() -> Self {
        Board {
            values: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Board {
    /// Publishes `s` (relaxed stores, no allocation).
    pub fn publish(&self, s: &Sample<'_>) {
        let mut i = 0;
        visit(s, |_, v| {
            if let Some(slot) = self.values.get(i) {
                slot.store(v, Ordering::Relaxed);
            }
            i += 1;
        });
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

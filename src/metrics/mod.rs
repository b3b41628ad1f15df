//! `metrics`: every counter a worker keeps, under its event name
//! (`syn_rx`, `synack_tx`, `cookie_sent`, `cookie_ok`, `established`,
//! `fin_rx`, `time_wait`, `retransmit`, `drop_malformed`,
//! `drop_table_full`, …), in one fixed order; the cache-line-aligned
//! board each worker publishes them on (with its latency buckets); the
//! stats thread that sums the
//! boards once a second for the live line; and the Prometheus endpoint
//! (`--metrics-addr`) that serves them to scrapers.
//!
//! Rules: workers count in plain integers they own (`endpoint::Counters`,
//! `WorkerTally`) and copy them to their board every few hundred polls
//! with relaxed stores; the stats thread only reads boards. Nothing here
//! runs per frame.

mod board;
pub mod prometheus;
mod sample;
mod stats;

pub use board::{Board, FAMILIES, FamilyResults};
pub use sample::{GAUGES, SLOTS, Sample, WorkerTally, index_of, names, sum, values, visit};
pub use stats::{LiveLine, StatsThread};

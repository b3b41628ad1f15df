//! synwave: a poll-mode engine that terminates and generates TCP
//! connections to measure connection setups and teardowns per second.
//!
//! Layers, bottom up, one direction only (see `docs/architecture.md`;
//! `tests/layering.rs` checks it): `wire`, `timer` → `flow`, `io` → `tcp`
//! → `app` → `endpoint` → `metrics` and the configuration (`scenario`,
//! `profile`) → `engine`, `sim` → the binary's `cli`. A module never
//! imports one of its own layer or above, and no two files import each
//! other, directly or through others. `wire` knows no state; `tcp` knows
//! no application, no I/O and no clock (time is passed in).

#![warn(missing_docs)]

pub mod app;
pub mod endpoint;
pub mod engine;
pub mod flow;
pub mod io;
pub mod metrics;
mod prefetch;
pub mod profile;
pub mod scenario;
pub mod sim;
pub mod tcp;
pub mod timer;
pub mod wire;

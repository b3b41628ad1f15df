//! synwave: a poll-mode engine that terminates and generates TCP
//! connections to measure connection setups and teardowns per second.
//!
//! Layers, one direction only (see `docs/architecture.md`):
//! `sim`/engine → `tcp` → `wire`, with `flow` and `http` beside them. `wire` knows no
//! state, `tcp` knows no I/O and no clock (time is passed in).

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

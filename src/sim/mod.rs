//! `sim`: the virtual-time pair driver. A client and a server endpoint over
//! an in-memory link that drops, duplicates and reorders deterministically
//! from a seed. Used by the tests (exact bookkeeping under loss) and by
//! `synwave bench` until the poll-mode engine lands.
//!
//! Rules: single-threaded and deterministic for a given configuration; time
//! is virtual (µs) and advances only to the next event.

mod driver;
mod link;

pub use driver::{CloseKind, SimConfig, SimReport, client_tuple, client_tuple_in, run};
pub use link::{Impairment, Link, Side};

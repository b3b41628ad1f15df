//! Flows: the four-tuple that names a connection. (RSS hashing, worker
//! selection and per-worker tables join this module with the engine.)
//!
//! Rules: plain data and pure functions; knows nothing of TCP state.

mod tuple;

pub use tuple::FourTuple;

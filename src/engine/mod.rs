//! `engine`: pinned poll-mode workers running endpoints over an `io`
//! port, and the runs built from them (`synwave bench`: generator and
//! responder back to back over the `loopback` backend).
//!
//! Rules: one worker per queue, pinned; workers share nothing on the
//! per-frame path (each owns its port queue, endpoint and tables); frames
//! reach the right worker because the receiving side steers them with the
//! NIC's RSS (Toeplitz hash → RETA) and the generator only uses source
//! ports whose replies hash back to it; a frame that lands on the wrong
//! worker anyway is handed to its owner through a lock-free queue
//! (`handoff`). Control (the run phase) and metrics travel through
//! relaxed atomics, never locks.

pub mod arp_resolve;
pub mod bench;
mod clock;
pub mod error;
pub mod generate;
pub mod handoff;
pub mod interface;
pub mod load;
pub mod nic_steering;
pub mod opener;
pub mod pin;
pub mod poll;
pub mod poll_gaps;
mod run;
pub mod search;
pub mod search_bench;
pub mod search_gen;
pub mod search_steps;
pub mod serve;
pub mod stack;
pub mod steer;
pub mod template_mix;
pub mod worker;

pub use bench::{BenchConfig, BenchReport, Steering, run_bench};
pub use clock::Clock;
pub use error::RunError;
pub use opener::{Load, Opener, Openers};
pub use poll::{Phase, SharedPhase};
pub use poll_gaps::PollGaps;
pub use stack::Stack;
pub use worker::{Role, Worker, WorkerReport};

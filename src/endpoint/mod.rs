//! `endpoint`: one side of the TCP traffic at frame level. Frames in,
//! replies written in place into the same buffer, timers expired on
//! request. It owns the connection table, the TIME-WAIT table and the
//! timers of one worker, the `TcpContext` and the application above
//! (`app::Canned`); time is passed in. An endpoint speaks one address
//! family, named by its address type (`Endpoint<[u8; 4]>`, the default,
//! or `Endpoint<[u8; 16]>` for IPv6; `wire::family`).
//!
//! One file per job: `receive` (header prediction, parsing, the reply in
//! place), `arp` and `ndp` (and the `next_hop` they teach), `dispatch` (live record, TIME-WAIT, listener),
//! `open` (connections and lone SYNs), `expire` (timers), `flush` (the
//! segments the send window allows beyond each answer), `abort` (every
//! live connection ended at once), `records` (how a record ends), `output` (frames we originate); `state` holds what they
//! share.
//!
//! Rules: a received frame is answered by rewriting its own buffer
//! (addresses and ports swapped, headers and checksums rewritten, no copy);
//! malformed frames are counted by cause and dropped; no lock; frames that
//! are not for our addresses are counted and ignored.

mod abort;
mod arp;
mod config;
mod counters;
mod dispatch;
mod expire;
mod expiry_queue;
mod flush;
mod latency;
mod ndp;
mod next_hop;
mod open;
mod output;
mod ports;
mod probe_slots;
mod probe_table;
mod receive;
mod records;
mod slot;
mod state;
mod tables;

pub use config::{EndpointConfig, Reserve};
pub use counters::{Counters, ENDS, MAX_TEMPLATES, TemplateCounts, WIRE_ERRORS, is_clean};
pub use latency::{BUCKETS, Buckets, Latency, LatencyBuckets};
pub use next_hop::{ArpSource, LearnedMac, NextHop};
pub use open::{Opened, Prepared};
pub use state::{Endpoint, FRAME_CAPACITY, PREFAULT_MAX_BYTES};

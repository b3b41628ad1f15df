//! Flows: the four-tuple that names a connection, the NIC's RSS Toeplitz
//! hash and indirection table that pick the worker a received packet
//! reaches, and the generator's RSS-aware source (IP, port) allocation, so
//! each worker only opens connections whose replies come back to it.
//! (Per-worker connection tables join this module with the engine.)
//!
//! Rules: plain data and pure functions; knows nothing of TCP state; no
//! allocation on the per-packet or per-connection path.

mod nic_table;
pub mod port_alloc;
pub mod rss;
mod server_set;
mod tuple;

pub use nic_table::NicTableError;
pub use port_alloc::{
    DEFAULT_LOCAL_PORTS, FreeError, PortAllocConfig, PortAllocError, SourcePair,
    SourcePortAllocator,
};
pub use rss::{RETA_SIZE, RSS_KEY_LEN, Reta, RssHasher, RssKey, toeplitz, worker_of_received};
pub use server_set::{MOST_PAIRS, ServerSet};
pub use tuple::FourTuple;

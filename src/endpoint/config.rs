//! What an endpoint is: its addresses, the next hop, the ports it listens
//! on, its table limits and how it reads frames.
//!
//! Rules: plain data, complete before the endpoint is built.

use super::next_hop::NextHop;
use crate::wire::{MacAddr, V4};

/// Room made up front, so that the tables neither allocate nor rehash
/// while a run holds fewer records (each capped by its maximum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reserve {
    /// Live records.
    pub connections: usize,
    /// TIME-WAIT records.
    pub time_wait: usize,
    /// Map the TIME-WAIT table's pages when the endpoint is built (within
    /// `PREFAULT_MAX_BYTES`): for the side that closes first, which holds
    /// a TIME-WAIT record per connection.
    pub prefault_time_wait: bool,
}

/// Addressing and limits of an endpoint.
#[derive(Clone, Debug)]
pub struct EndpointConfig<A = V4> {
    /// Our MAC address.
    pub mac: MacAddr,
    /// Where the frames we originate go (`NextHop`: fixed, or learned
    /// from ARP).
    pub next_hop: NextHop,
    /// First of our addresses (IPv4 by default, IPv6 for an IPv6
    /// endpoint).
    pub ip_first: A,
    /// Number of consecutive addresses we own (≥ 1).
    pub ip_count: u32,
    /// Ports we listen on (a server); empty for a pure client.
    pub listen_ports: Vec<u16>,
    /// The application template (server program) of the connections
    /// accepted on a port; a port not named follows template 0.
    pub port_templates: Vec<(u16, u8)>,
    /// Most live connection records (TIME-WAIT records not counted).
    pub max_connections: usize,
    /// Most TIME-WAIT records; beyond it a closing connection skips
    /// TIME-WAIT and is counted (Linux's `tcp_max_tw_buckets`).
    pub max_time_wait: usize,
    /// The room made when the endpoint is built.
    pub reserve: Reserve,
    /// TIME-WAIT reuse (a generator, with `report_released`): a connection
    /// we open may replace our own TIME-WAIT record on its tuple once the
    /// record is this old (µs) and the old connection used timestamps, as
    /// Linux's `tcp_tw_reuse` (0: never). Safe for the reasons of RFC 6191
    /// §2: the new connection's ISN (RFC 6528, time based) is beyond the
    /// old one's sequence space, and its timestamps are later than any of
    /// the old connection's, so the peer's PAWS (RFC 7323 §5) rejects an
    /// old duplicate. The tuple goes back to the generator
    /// (`take_released`) at that age instead of at the end of 2·MSL.
    pub time_wait_reuse_us: u64,
    /// Verify IPv4 header and TCP checksums of received frames.
    pub verify_checksums: bool,
    /// Keep the four-tuples whose records ended for `take_released` (a
    /// generator reuses them).
    pub report_released: bool,
    /// Header prediction: answer plain SYNs that get a cookie at once
    /// (`wire::syn_prediction`), and read the common segments after a SYN
    /// at fixed offsets (`wire::segment_prediction`), instead of the
    /// general parse. The answers are the same; off only to measure or
    /// test the general path.
    pub predict_headers: bool,
    /// Our 802.1Q VLAN id: only frames tagged with it are ours (others,
    /// untagged ones included, are counted as `drop_vlan`), and every
    /// frame we originate carries it. `None`: untagged frames only.
    pub vlan: Option<u16>,
}

impl<A> EndpointConfig<A> {
    /// The same configuration for `count` addresses from `first` (of
    /// either family).
    pub fn with_addresses<B>(self, first: B, count: u32) -> EndpointConfig<B> {
        EndpointConfig {
            mac: self.mac,
            next_hop: self.next_hop,
            ip_first: first,
            ip_count: count,
            listen_ports: self.listen_ports,
            port_templates: self.port_templates,
            max_connections: self.max_connections,
            max_time_wait: self.max_time_wait,
            reserve: self.reserve,
            time_wait_reuse_us: self.time_wait_reuse_us,
            verify_checksums: self.verify_checksums,
            report_released: self.report_released,
            predict_headers: self.predict_headers,
            vlan: self.vlan,
        }
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            mac: MacAddr([2, 0, 0, 0, 0, 1]),
            next_hop: NextHop::Fixed(MacAddr([2, 0, 0, 0, 0, 2])),
            ip_first: [10, 0, 0, 1],
            ip_count: 1,
            listen_ports: Vec::new(),
            port_templates: Vec::new(),
            max_connections: 1 << 22,
            max_time_wait: 1 << 22,
            reserve: Reserve::default(),
            time_wait_reuse_us: 0,
            verify_checksums: true,
            predict_headers: true,
            report_released: false,
            vlan: None,
        }
    }
}

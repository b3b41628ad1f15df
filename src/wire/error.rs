//! Why a frame was refused by a parser. Each variant maps to its own drop
//! counter in the engine, so hostile or broken input is visible by cause.

use core::fmt;

/// A parse failure. Parsers never panic; they return one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireError {
    /// The buffer ends before the header (or the length it declares) does.
    Truncated,
    /// EtherType is neither IPv4 nor ARP (after an optional 802.1Q tag).
    UnsupportedEtherType,
    /// An ARP packet for a hardware/protocol pair other than Ethernet/IPv4.
    UnsupportedArp,
    /// IP version field is not the one the header's EtherType names.
    BadIpVersion,
    /// IPv4 IHL below 5 or beyond the packet.
    BadIpHeaderLen,
    /// IPv4 total length below the header length or beyond the buffer.
    BadIpTotalLen,
    /// IPv4 fragment (MF set or non-zero offset), or an IPv6 fragment
    /// header: not reassembled, refused.
    Fragment,
    /// IPv4 payload is not TCP.
    NotTcp,
    /// Header checksum (IPv4) or segment checksum (TCP) does not verify.
    BadChecksum,
    /// TCP data offset below 5 or beyond the segment.
    BadDataOffset,
    /// A TCP option whose length byte is zero, one, runs past the header, or
    /// does not match its kind's fixed size.
    BadOption,
    /// IPv6 payload length zero (a jumbogram) or beyond the buffer.
    BadIpv6PayloadLen,
    /// An IPv6 extension-header chain that runs past the payload, is
    /// longer than `ipv6::MAX_EXTENSION_HEADERS`, or has hop-by-hop
    /// options other than first (RFC 8200 §4.1).
    Ipv6Extension,
    /// An ICMPv6 Neighbor Discovery message that fails RFC 4861's
    /// validity checks (§7.1: hop limit 255, code 0, length, options,
    /// checksum, target).
    BadNeighborDiscovery,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            WireError::Truncated => "truncated",
            WireError::UnsupportedEtherType => "unsupported ethertype",
            WireError::UnsupportedArp => "unsupported ARP hardware/protocol",
            WireError::BadIpVersion => "IP version does not match the EtherType",
            WireError::BadIpHeaderLen => "bad IPv4 header length",
            WireError::BadIpTotalLen => "bad IPv4 total length",
            WireError::Fragment => "IP fragment",
            WireError::NotTcp => "not TCP",
            WireError::BadChecksum => "bad checksum",
            WireError::BadDataOffset => "bad TCP data offset",
            WireError::BadOption => "bad TCP option",
            WireError::BadIpv6PayloadLen => "bad IPv6 payload length",
            WireError::Ipv6Extension => "bad IPv6 extension-header chain",
            WireError::BadNeighborDiscovery => "invalid neighbor discovery message",
        };
        f.write_str(s)
    }
}

impl std::error::Error for WireError {}

impl WireError {
    /// The name of the drop counter of this cause.
    pub fn counter_name(self) -> &'static str {
        match self {
            WireError::Truncated => "drop_truncated",
            WireError::UnsupportedEtherType => "drop_ethertype",
            WireError::UnsupportedArp => "drop_arp_type",
            WireError::BadIpVersion => "drop_ip_version",
            WireError::BadIpHeaderLen => "drop_ip_header_len",
            WireError::BadIpTotalLen => "drop_ip_total_len",
            WireError::Fragment => "drop_fragment",
            WireError::NotTcp => "drop_not_tcp",
            WireError::BadChecksum => "drop_checksum",
            WireError::BadDataOffset => "drop_data_offset",
            WireError::BadOption => "drop_option",
            WireError::BadIpv6PayloadLen => "drop_ipv6_payload_len",
            WireError::Ipv6Extension => "drop_ipv6_ext",
            WireError::BadNeighborDiscovery => "drop_ndp",
        }
    }
}

/// Result of a parser.
pub type Result<T> = core::result::Result<T, WireError>;

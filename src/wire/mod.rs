//! `wire`: bytes ↔ parsed form, with no state.
//!
//! Checked views over byte slices (`*::new_checked` validates lengths once,
//! after which no accessor can panic, whatever the bytes) and plain `Repr`
//! structs with `parse`/`emit`, for Ethernet II (+802.1Q), ARP, IPv4, IPv6
//! (extension headers walked), ICMPv6 neighbor discovery and TCP with its
//! options; the Internet checksum (full and RFC 1624 incremental);
//! wrap-safe sequence numbers; whole-frame parse, build and reply-in-place;
//! header prediction for plain SYNs and for the segments that follow them.
//!
//! Rules: no allocation, no I/O, no connection state; every failure is a
//! `WireError` naming its cause, never a panic.

pub mod arp;
pub mod checksum;
mod error;
pub mod ethernet;
pub mod family;
pub mod frame;
pub mod ipv4;
pub mod ipv6;
pub mod ndp;
pub mod segment_prediction;
mod seq;
pub mod syn_prediction;
pub mod tcp;
mod tcp_options;

pub use arp::{ArpOp, ArpRepr};
pub use error::{Result, WireError};
pub use ethernet::{EthernetFrame, EthernetRepr, MacAddr};
pub use family::{Family, V4, V6};
pub use frame::{
    Frame, Tcp6Frame, TcpFrame, TcpFrameAddr, build_tcp_frame, parse_frame, parse_frame_v6,
    reply_in_place,
};
pub use ipv4::{Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use ndp::{NdpHeader, NdpRepr};
pub use segment_prediction::{
    PredictedSegment, SegmentPeek, peek_segment, peek_segment_v6, predict_segment,
    predict_segment_v6,
};
pub use seq::SeqNum;
pub use syn_prediction::{PlainSyn, predict_syn, predict_syn_v6};
pub use tcp::{TcpFlags, TcpPacket, TcpRepr};
pub use tcp_options::{MAX_WSCALE, TcpOptions, Timestamps};

//! IPv6 headers (RFC 8200) and the extension headers before the upper
//! layer: hop-by-hop options (only first, §4.1), routing, destination
//! options, and fragment (recognised and refused, as IPv4 fragments are:
//! connection-setup traffic never needs reassembly, and fragments are a
//! classic evasion vector).
//!
//! Rules: `Ipv6Packet::new_checked` validates the version, the payload
//! length against the buffer (a jumbogram's zero length is refused) and
//! walks the extension-header chain once, each header's length inside
//! the payload and at most `MAX_EXTENSION_HEADERS` of them; afterwards
//! every accessor is in bounds. Nothing in an extension header is acted
//! on: it is skipped or the packet is refused.

use super::error::{Result, WireError};

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = 40;
/// Next header: hop-by-hop options.
pub const NEXT_HOP_BY_HOP: u8 = 0;
/// Next header: TCP.
pub const NEXT_TCP: u8 = 6;
/// Next header: routing header.
pub const NEXT_ROUTING: u8 = 43;
/// Next header: fragment header.
pub const NEXT_FRAGMENT: u8 = 44;
/// Next header: ICMPv6.
pub const NEXT_ICMPV6: u8 = 58;
/// Next header: none.
pub const NEXT_NONE: u8 = 59;
/// Next header: destination options.
pub const NEXT_DEST_OPTIONS: u8 = 60;
/// Hop limit of packets we originate (Linux's default).
pub const DEFAULT_HOP_LIMIT: u8 = 64;
/// Extension headers walked at most before the upper layer; a longer
/// chain is refused (Linux walks no deeper in practice, and a chain is a
/// cost an attacker chooses).
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// A checked view of an IPv6 packet. The view's length is the fixed
/// header and the payload length, so Ethernet padding after it is
/// ignored.
#[derive(Debug)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buf: T,
    /// Where the upper layer starts (after every extension header).
    upper: usize,
    /// The upper layer's protocol.
    protocol: u8,
    /// Fixed header and payload.
    total_len: usize,
}

/// Walks the extension headers of `payload` (after the fixed header)
/// from `next`: the upper layer's protocol and its offset in `payload`.
fn walk(payload: &[u8], mut next: u8) -> Result<(u8, usize)> {
    let mut at = 0;
    for i in 0..=MAX_EXTENSION_HEADERS {
        let len = match next {
            NEXT_HOP_BY_HOP if i > 0 => return Err(WireError::Ipv6Extension),
            NEXT_HOP_BY_HOP | NEXT_ROUTING | NEXT_DEST_OPTIONS => {
                let ext_len = *payload.get(at + 1).ok_or(WireError::Ipv6Extension)?;
                (usize::from(ext_len) + 1) * 8
            }
            NEXT_FRAGMENT => return Err(WireError::Fragment),
            _ => return Ok((next, at)),
        };
        if i == MAX_EXTENSION_HEADERS || at + len > payload.len() {
            return Err(WireError::Ipv6Extension);
        }
        next = payload[at];
        at += len;
    }
    Err(WireError::Ipv6Extension)
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Validates version 6, a payload length within the buffer (and not
    /// zero), and the extension-header chain.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if b[0] >> 4 != 6 {
            return Err(WireError::BadIpVersion);
        }
        let payload_len = usize::from(u16::from_be_bytes([b[4], b[5]]));
        if payload_len == 0 || HEADER_LEN + payload_len > b.len() {
            return Err(WireError::BadIpv6PayloadLen);
        }
        let total_len = HEADER_LEN + payload_len;
        let (protocol, at) = walk(&b[HEADER_LEN..total_len], b[6])?;
        Ok(Ipv6Packet {
            buf,
            upper: HEADER_LEN + at,
            protocol,
            total_len,
        })
    }

    #[inline]
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }

    /// Traffic class (DSCP and ECN).
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        let b = self.b();
        (b[0] << 4) | (b[1] >> 4)
    }

    /// Flow label (20 bits).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        let b = self.b();
        u32::from_be_bytes([0, b[1] & 0x0f, b[2], b[3]])
    }

    /// Payload length (extension headers and upper layer).
    #[inline]
    pub fn payload_len(&self) -> usize {
        self.total_len - HEADER_LEN
    }

    /// The fixed header's next header.
    #[inline]
    pub fn next_header(&self) -> u8 {
        self.b()[6]
    }

    /// Hop limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.b()[7]
    }

    /// Source address.
    #[inline]
    pub fn src(&self) -> [u8; 16] {
        let mut a = [0; 16];
        a.copy_from_slice(&self.b()[8..24]);
        a
    }

    /// Destination address.
    #[inline]
    pub fn dst(&self) -> [u8; 16] {
        let mut a = [0; 16];
        a.copy_from_slice(&self.b()[24..40]);
        a
    }

    /// The upper layer's protocol (after the extension headers).
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// Fixed header and extension headers, in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.upper
    }

    /// The upper layer (extension headers skipped, padding cut).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.upper..self.total_len]
    }
}

/// Parsed IPv6 header, as far as synwave uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Repr {
    /// Source address.
    pub src: [u8; 16],
    /// Destination address.
    pub dst: [u8; 16],
    /// Protocol of the upper layer (the extension headers skipped).
    pub next_header: u8,
    /// Length of the upper layer in bytes.
    pub payload_len: u16,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// Parses a checked packet: the upper layer's protocol and length.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Ipv6Repr {
        Ipv6Repr {
            src: p.src(),
            dst: p.dst(),
            next_header: p.protocol(),
            payload_len: p.payload().len() as u16,
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
        }
    }

    /// Writes a 40-byte header (no extension headers); returns
    /// `HEADER_LEN`.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let w0 =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0xf_ffff);
        buf[0..4].copy_from_slice(&w0.to_be_bytes());
        buf[4..6].copy_from_slice(&self.payload_len.to_be_bytes());
        buf[6] = self.next_header;
        buf[7] = self.hop_limit;
        buf[8..24].copy_from_slice(&self.src);
        buf[24..40].copy_from_slice(&self.dst);
        Ok(HEADER_LEN)
    }
}

/// The solicited-node multicast address of `addr` (RFC 4291 §2.7.1):
/// ff02::1:ffXX:XXXX with its low 24 bits.
pub fn solicited_node(addr: [u8; 16]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0xff;
    a[1] = 0x02;
    a[11] = 0x01;
    a[12] = 0xff;
    a[13..16].copy_from_slice(&addr[13..16]);
    a
}

/// The Ethernet multicast MAC of IPv6 multicast `addr` (RFC 2464 §7):
/// 33:33 and its low 32 bits.
pub fn multicast_mac(addr: [u8; 16]) -> super::MacAddr {
    super::MacAddr([0x33, 0x33, addr[12], addr[13], addr[14], addr[15]])
}

#[cfg(test)]
mod tests;

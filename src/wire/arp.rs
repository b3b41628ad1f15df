//! ARP over Ethernet for IPv4 (RFC 826): request and reply.
//!
//! Only hardware type 1 (Ethernet, 6-byte addresses) with protocol type
//! 0x0800 (IPv4, 4-byte addresses) is accepted; anything else is
//! `UnsupportedArp`.

use super::error::{Result, WireError};
use super::ethernet::MacAddr;

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;

/// ARP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpOp {
    /// Who has `target_ip`?
    Request,
    /// `sender_ip` is at `sender_mac`.
    Reply,
    /// Any other opcode.
    Other(u16),
}

impl ArpOp {
    fn code(self) -> u16 {
        match self {
            ArpOp::Request => 1,
            ArpOp::Reply => 2,
            ArpOp::Other(c) => c,
        }
    }
    fn from_code(c: u16) -> ArpOp {
        match c {
            1 => ArpOp::Request,
            2 => ArpOp::Reply,
            c => ArpOp::Other(c),
        }
    }
}

/// Parsed Ethernet/IPv4 ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpRepr {
    /// Operation.
    pub op: ArpOp,
    /// Sender hardware address.
    pub sender_mac: MacAddr,
    /// Sender protocol address.
    pub sender_ip: [u8; 4],
    /// Target hardware address.
    pub target_mac: MacAddr,
    /// Target protocol address.
    pub target_ip: [u8; 4],
}

impl ArpRepr {
    /// Parses the ARP payload of an Ethernet frame.
    pub fn parse(b: &[u8]) -> Result<ArpRepr> {
        if b.len() < PACKET_LEN {
            return Err(WireError::Truncated);
        }
        let htype = u16::from_be_bytes([b[0], b[1]]);
        let ptype = u16::from_be_bytes([b[2], b[3]]);
        if htype != 1 || ptype != 0x0800 || b[4] != 6 || b[5] != 4 {
            return Err(WireError::UnsupportedArp);
        }
        let mac = |o: usize| MacAddr([b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]]);
        let ip = |o: usize| [b[o], b[o + 1], b[o + 2], b[o + 3]];
        Ok(ArpRepr {
            op: ArpOp::from_code(u16::from_be_bytes([b[6], b[7]])),
            sender_mac: mac(8),
            sender_ip: ip(14),
            target_mac: mac(18),
            target_ip: ip(24),
        })
    }

    /// Writes the packet into `buf`; returns `PACKET_LEN`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < PACKET_LEN {
            return Err(WireError::Truncated);
        }
        buf[0..2].copy_from_slice(&1u16.to_be_bytes());
        buf[2..4].copy_from_slice(&0x0800u16.to_be_bytes());
        buf[4] = 6;
        buf[5] = 4;
        buf[6..8].copy_from_slice(&self.op.code().to_be_bytes());
        buf[8..14].copy_from_slice(&self.sender_mac.0);
        buf[14..18].copy_from_slice(&self.sender_ip);
        buf[18..24].copy_from_slice(&self.target_mac.0);
        buf[24..28].copy_from_slice(&self.target_ip);
        Ok(PACKET_LEN)
    }

    /// The reply to this request from the owner of `target_ip` at `our_mac`.
    pub fn reply_from(&self, our_mac: MacAddr) -> ArpRepr {
        ArpRepr {
            op: ArpOp::Reply,
            sender_mac: our_mac,
            sender_ip: self.target_ip,
            target_mac: self.sender_mac,
            target_ip: self.sender_ip,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A request captured on a LAN: who has 192.168.1.1? tell 192.168.1.10.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 192,
        168, 1, 10, 0, 0, 0, 0, 0, 0, 192, 168, 1, 1,
    ];

    #[test]
    fn parse_request_and_build_reply() {
        let r = ArpRepr::parse(&REQUEST).unwrap();
        assert_eq!(r.op, ArpOp::Request);
        assert_eq!(r.sender_ip, [192, 168, 1, 10]);
        assert_eq!(r.target_ip, [192, 168, 1, 1]);
        let mine = MacAddr([2, 0, 0, 0, 0, 1]);
        let reply = r.reply_from(mine);
        let mut out = [0u8; 28];
        reply.emit(&mut out).unwrap();
        let back = ArpRepr::parse(&out).unwrap();
        assert_eq!(back.op, ArpOp::Reply);
        assert_eq!(back.sender_mac, mine);
        assert_eq!(back.sender_ip, [192, 168, 1, 1]);
        assert_eq!(back.target_mac, r.sender_mac);
        assert_eq!(back.target_ip, [192, 168, 1, 10]);
    }

    #[test]
    fn emit_roundtrip_is_exact() {
        let r = ArpRepr::parse(&REQUEST).unwrap();
        let mut out = [0u8; 28];
        r.emit(&mut out).unwrap();
        assert_eq!(out, REQUEST);
    }

    #[test]
    fn rejects_short_and_foreign() {
        assert_eq!(ArpRepr::parse(&REQUEST[..27]), Err(WireError::Truncated));
        let mut v = REQUEST;
        v[1] = 6; // IEEE 802 hardware type
        assert_eq!(ArpRepr::parse(&v), Err(WireError::UnsupportedArp));
    }
}

//! IPv4 headers (RFC 791). Options are skipped (their length is honoured),
//! fragments are recognised and refused: connection-setup traffic never
//! needs reassembly, and fragments are a classic evasion vector.
//!
//! `Ipv4Packet::new_checked` validates version, IHL, total length and the
//! fragment fields; afterwards every accessor is in bounds.

use super::checksum;
use super::error::{Result, WireError};

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = 20;
/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// Default TTL of packets we originate (Linux's default).
pub const DEFAULT_TTL: u8 = 64;

/// A checked view of an IPv4 packet. The view's length is the packet's total
/// length, so Ethernet padding after it is ignored.
#[derive(Debug)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buf: T,
    header_len: usize,
    total_len: usize,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Validates version 4, IHL ≥ 5 within the buffer, total length between
    /// the header length and the buffer length, and no fragmentation.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if b[0] >> 4 != 4 {
            return Err(WireError::BadIpVersion);
        }
        let header_len = usize::from(b[0] & 0x0f) * 4;
        if header_len < HEADER_LEN || header_len > b.len() {
            return Err(WireError::BadIpHeaderLen);
        }
        let total_len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        if total_len < header_len || total_len > b.len() {
            return Err(WireError::BadIpTotalLen);
        }
        // Flags: bit 0x2000 is MF; the low 13 bits are the fragment offset.
        let frag = u16::from_be_bytes([b[6], b[7]]);
        if frag & 0x3fff != 0 {
            return Err(WireError::Fragment);
        }
        Ok(Ipv4Packet {
            buf,
            header_len,
            total_len,
        })
    }

    #[inline]
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }

    /// Header length in bytes (20–60).
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Total length in bytes.
    #[inline]
    pub fn total_len(&self) -> usize {
        self.total_len
    }

    /// Type of service byte (DSCP and ECN).
    #[inline]
    pub fn tos(&self) -> u8 {
        self.b()[1]
    }

    /// Identification.
    #[inline]
    pub fn ident(&self) -> u16 {
        u16::from_be_bytes([self.b()[4], self.b()[5]])
    }

    /// Don't-fragment flag.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.b()[6] & 0x40 != 0
    }

    /// Time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.b()[8]
    }

    /// Protocol number.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.b()[9]
    }

    /// Header checksum field.
    #[inline]
    pub fn checksum_field(&self) -> u16 {
        u16::from_be_bytes([self.b()[10], self.b()[11]])
    }

    /// Source address.
    #[inline]
    pub fn src(&self) -> [u8; 4] {
        let b = self.b();
        [b[12], b[13], b[14], b[15]]
    }

    /// Destination address.
    #[inline]
    pub fn dst(&self) -> [u8; 4] {
        let b = self.b();
        [b[16], b[17], b[18], b[19]]
    }

    /// The header checksum verifies.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        checksum::checksum(&self.b()[..self.header_len]) == 0
    }

    /// The payload (up to the total length; options skipped).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len..self.total_len]
    }
}

/// Parsed IPv4 header, as far as synwave uses it. `repr(C)` keeps the two
/// addresses adjacent and first, as in the header, so they are copied as
/// one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct Ipv4Repr {
    /// Source address.
    pub src: [u8; 4],
    /// Destination address.
    pub dst: [u8; 4],
    /// Protocol of the payload.
    pub protocol: u8,
    /// Payload length in bytes.
    pub payload_len: u16,
    /// Time to live.
    pub ttl: u8,
    /// Type of service (DSCP/ECN) byte.
    pub tos: u8,
}

impl Ipv4Repr {
    /// Parses a checked packet.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Ipv4Repr {
        Ipv4Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            payload_len: (p.total_len() - p.header_len()) as u16,
            ttl: p.ttl(),
            tos: p.tos(),
        }
    }

    /// Writes a 20-byte header (no options, DF set, id 0 as Linux does for
    /// DF packets) with its checksum, summed from the values (not read
    /// back); returns `HEADER_LEN`.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < HEADER_LEN || usize::from(self.payload_len) > 0xffff - HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let total = u32::from(self.payload_len) + HEADER_LEN as u32;
        let w0 = 0x4500_0000 | (u32::from(self.tos) << 16) | total;
        let w1 = 0x0000_4000; // id 0, DF
        let w2 = (u32::from(self.ttl) << 24) | (u32::from(self.protocol) << 16);
        let (s, d) = (u32::from_be_bytes(self.src), u32::from_be_bytes(self.dst));
        // 32-bit words add as their 16-bit halves once folded.
        let acc = u64::from(w0) + u64::from(w1) + u64::from(w2) + u64::from(s) + u64::from(d);
        let w2 = w2 | u32::from(checksum::finish(acc));
        for (chunk, w) in buf[..HEADER_LEN]
            .chunks_exact_mut(4)
            .zip([w0, w1, w2, s, d])
        {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        Ok(HEADER_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20-byte header + 4 bytes payload, checksum valid, then 2 padding bytes.
    fn sample() -> Vec<u8> {
        let mut v = vec![
            0x45, 0x00, 0x00, 0x18, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 10, 0, 0, 1,
            10, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0xaa, 0xbb,
        ];
        let c = checksum::checksum(&v[..20]);
        v[10..12].copy_from_slice(&c.to_be_bytes());
        v
    }

    #[test]
    fn parse_fields_and_padding() {
        let v = sample();
        let p = Ipv4Packet::new_checked(&v[..]).unwrap();
        assert!(p.verify_checksum());
        assert!(p.dont_frag());
        assert_eq!(p.ident(), 0x1234);
        let r = Ipv4Repr::parse(&p);
        assert_eq!(r.src, [10, 0, 0, 1]);
        assert_eq!(r.dst, [10, 0, 0, 2]);
        assert_eq!(r.protocol, PROTO_TCP);
        assert_eq!(r.payload_len, 4);
        assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn emit_then_parse() {
        let r = Ipv4Repr {
            src: [1, 2, 3, 4],
            dst: [5, 6, 7, 8],
            protocol: PROTO_TCP,
            payload_len: 40,
            ttl: 64,
            tos: 0,
        };
        let mut buf = [0u8; 60];
        r.emit(&mut buf).unwrap();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(Ipv4Repr::parse(&p), r);
    }

    #[test]
    fn options_are_skipped() {
        let mut v = sample();
        // Insert a 4-byte option (NOP NOP NOP EOL) and grow IHL/total.
        v.splice(20..20, [1, 1, 1, 0]);
        v[0] = 0x46;
        v[3] = 0x1c;
        let p = Ipv4Packet::new_checked(&v[..]).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn bad_headers_rejected() {
        let v = sample();
        let mut b = v.clone();
        b[0] = 0x65;
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).unwrap_err(),
            WireError::BadIpVersion
        );
        let mut b = v.clone();
        b[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).unwrap_err(),
            WireError::BadIpHeaderLen
        );
        let mut b = v.clone();
        b[0] = 0x4f; // 60 bytes > buffer
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).unwrap_err(),
            WireError::BadIpHeaderLen
        );
        let mut b = v.clone();
        b[3] = 19;
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).unwrap_err(),
            WireError::BadIpTotalLen
        );
        let mut b = v.clone();
        b[3] = 200;
        assert_eq!(
            Ipv4Packet::new_checked(&b[..]).unwrap_err(),
            WireError::BadIpTotalLen
        );
        assert_eq!(
            Ipv4Packet::new_checked(&v[..19]).unwrap_err(),
            WireError::Truncated
        );
    }

    #[test]
    fn fragments_rejected() {
        let v = sample();
        let mut mf = v.clone();
        mf[6] = 0x20; // MF
        assert_eq!(
            Ipv4Packet::new_checked(&mf[..]).unwrap_err(),
            WireError::Fragment
        );
        let mut off = v.clone();
        off[6] = 0x00;
        off[7] = 0x10; // offset 16*8
        assert_eq!(
            Ipv4Packet::new_checked(&off[..]).unwrap_err(),
            WireError::Fragment
        );
    }

    #[test]
    fn bad_checksum_detected() {
        let mut v = sample();
        v[8] = 0x3f;
        assert!(!Ipv4Packet::new_checked(&v[..]).unwrap().verify_checksum());
    }
}

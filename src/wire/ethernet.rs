//! Ethernet II frames with an optional single 802.1Q VLAN tag.
//!
//! `EthernetFrame::new_checked` validates the length once; afterwards every
//! accessor is in bounds. `EthernetRepr` is the plain parsed form.

use super::error::{Result, WireError};

/// EtherType of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// EtherType (TPID) of an 802.1Q VLAN tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;
/// Length of an untagged Ethernet header.
pub const HEADER_LEN: usize = 14;
/// Length of an 802.1Q tag.
pub const VLAN_TAG_LEN: usize = 4;

/// Whether `frame` carries IPv6: its EtherType, after at most one 802.1Q
/// tag, is `ETHERTYPE_IPV6` (a frame too short to say does not).
#[inline(always)]
pub fn carries_ipv6(frame: &[u8]) -> bool {
    const IPV6: [u8; 2] = ETHERTYPE_IPV6.to_be_bytes();
    const VLAN: [u8; 2] = ETHERTYPE_VLAN.to_be_bytes();
    match frame.get(12..14) {
        Some(t) if t == IPV6 => true,
        Some(t) if t == VLAN => frame.get(16..18) == Some(&IPV6[..]),
        _ => false,
    }
}

/// A 48-bit MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
}

impl core::fmt::Display for MacAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// A checked view of an Ethernet II frame.
#[derive(Debug)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buf: T,
    header_len: usize,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Validates that the header (and the VLAN tag, if any) fits.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let mut header_len = HEADER_LEN;
        if u16::from_be_bytes([b[12], b[13]]) == ETHERTYPE_VLAN {
            header_len += VLAN_TAG_LEN;
            if b.len() < header_len {
                return Err(WireError::Truncated);
            }
        }
        Ok(EthernetFrame { buf, header_len })
    }

    /// Destination MAC.
    #[inline]
    pub fn dst(&self) -> MacAddr {
        let b = self.buf.as_ref();
        MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// Source MAC.
    #[inline]
    pub fn src(&self) -> MacAddr {
        let b = self.buf.as_ref();
        MacAddr([b[6], b[7], b[8], b[9], b[10], b[11]])
    }

    /// The VLAN id (12 bits) when tagged.
    #[inline]
    pub fn vlan(&self) -> Option<u16> {
        let b = self.buf.as_ref();
        (self.header_len > HEADER_LEN).then(|| u16::from_be_bytes([b[14], b[15]]) & 0x0fff)
    }

    /// EtherType of the payload (after the tag, if any).
    #[inline]
    pub fn ethertype(&self) -> u16 {
        let b = self.buf.as_ref();
        let o = self.header_len - 2;
        u16::from_be_bytes([b[o], b[o + 1]])
    }

    /// Header length: 14, or 18 with a VLAN tag.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The bytes after the header.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buf.as_ref()[self.header_len..]
    }
}

/// Parsed Ethernet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthernetRepr {
    /// Source MAC.
    pub src: MacAddr,
    /// Destination MAC.
    pub dst: MacAddr,
    /// 802.1Q VLAN id, if tagged.
    pub vlan: Option<u16>,
    /// EtherType of the payload.
    pub ethertype: u16,
}

impl EthernetRepr {
    /// Parses a checked frame.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(frame: &EthernetFrame<T>) -> EthernetRepr {
        EthernetRepr {
            src: frame.src(),
            dst: frame.dst(),
            vlan: frame.vlan(),
            ethertype: frame.ethertype(),
        }
    }

    /// Bytes `emit` writes.
    #[inline]
    pub fn header_len(&self) -> usize {
        HEADER_LEN + if self.vlan.is_some() { VLAN_TAG_LEN } else { 0 }
    }

    /// Writes the header to the start of `buf`; returns its length, or
    /// `Truncated` when `buf` is too short.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.header_len();
        if buf.len() < len {
            return Err(WireError::Truncated);
        }
        buf[0..6].copy_from_slice(&self.dst.0);
        buf[6..12].copy_from_slice(&self.src.0);
        let mut o = 12;
        if let Some(vid) = self.vlan {
            buf[12..14].copy_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
            buf[14..16].copy_from_slice(&(vid & 0x0fff).to_be_bytes());
            o = 16;
        }
        buf[o..o + 2].copy_from_slice(&self.ethertype.to_be_bytes());
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_roundtrip() {
        let bytes = [
            1, 2, 3, 4, 5, 6, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x08, 0x00, 0x45,
        ];
        let f = EthernetFrame::new_checked(&bytes[..]).unwrap();
        let r = EthernetRepr::parse(&f);
        assert_eq!(r.dst, MacAddr([1, 2, 3, 4, 5, 6]));
        assert_eq!(r.src, MacAddr([0xa, 0xb, 0xc, 0xd, 0xe, 0xf]));
        assert_eq!(r.ethertype, ETHERTYPE_IPV4);
        assert_eq!(r.vlan, None);
        assert_eq!(f.payload(), &[0x45]);
        let mut out = [0u8; 14];
        assert_eq!(r.emit(&mut out).unwrap(), 14);
        assert_eq!(&out[..], &bytes[..14]);
    }

    #[test]
    fn vlan_tagged_roundtrip() {
        let bytes = [
            1, 2, 3, 4, 5, 6, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x81, 0x00, 0x20, 0x64, 0x08, 0x06,
        ];
        let f = EthernetFrame::new_checked(&bytes[..]).unwrap();
        let r = EthernetRepr::parse(&f);
        assert_eq!(r.vlan, Some(100));
        assert_eq!(r.ethertype, ETHERTYPE_ARP);
        assert_eq!(f.header_len(), 18);
        let mut out = [0u8; 18];
        r.emit(&mut out).unwrap();
        // The PCP bits (0x2000) are not kept: emit writes priority 0.
        assert_eq!(u16::from_be_bytes([out[14], out[15]]), 100);
    }

    #[test]
    fn short_frames_rejected() {
        assert_eq!(
            EthernetFrame::new_checked(&[0u8; 13][..]).unwrap_err(),
            WireError::Truncated
        );
        let mut tagged = [0u8; 17];
        tagged[12] = 0x81;
        assert_eq!(
            EthernetFrame::new_checked(&tagged[..]).unwrap_err(),
            WireError::Truncated
        );
    }
}

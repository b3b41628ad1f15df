//! The four-tuple that names a TCP connection, seen from this endpoint.

use crate::wire::TcpRepr;

/// A connection's addresses and ports, from the local endpoint's point of
/// view (`local` is us, `remote` the peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct FourTuple {
    /// Our IPv4 address.
    pub local_ip: [u8; 4],
    /// The peer's IPv4 address.
    pub remote_ip: [u8; 4],
    /// Our port.
    pub local_port: u16,
    /// The peer's port.
    pub remote_port: u16,
}

impl FourTuple {
    /// The tuple of a segment received from IPv4 address `src` at `dst`:
    /// its destination is local.
    #[inline]
    pub fn of_received(src: [u8; 4], dst: [u8; 4], tcp: &TcpRepr) -> FourTuple {
        FourTuple::received(src, dst, tcp.src_port, tcp.dst_port)
    }

    /// The tuple of a segment received from `src`:`src_port` at
    /// `dst`:`dst_port`.
    #[inline]
    pub fn received(src: [u8; 4], dst: [u8; 4], src_port: u16, dst_port: u16) -> FourTuple {
        FourTuple {
            local_ip: dst,
            remote_ip: src,
            local_port: dst_port,
            remote_port: src_port,
        }
    }

    /// The same connection seen from the peer.
    #[inline]
    pub fn reversed(&self) -> FourTuple {
        FourTuple {
            local_ip: self.remote_ip,
            remote_ip: self.local_ip,
            local_port: self.remote_port,
            remote_port: self.local_port,
        }
    }

    /// The 12 bytes hashed for cookies and ISNs: the peer's address and port
    /// first, as Linux orders the SYN's source before its destination.
    #[inline]
    pub fn hash_input(&self) -> [u8; 12] {
        let (a, b) = self.hash_words();
        let mut out = [0u8; 12];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        out
    }

    /// `hash_input` as a little-endian `u64` and `u32`, built in registers
    /// (hashing words avoids re-reading freshly written bytes).
    #[inline]
    pub fn hash_words(&self) -> (u64, u32) {
        let addrs = u64::from(u32::from_le_bytes(self.remote_ip))
            | (u64::from(u32::from_le_bytes(self.local_ip)) << 32);
        let rp = self.remote_port.to_be_bytes();
        let lp = self.local_port.to_be_bytes();
        (addrs, u32::from_le_bytes([rp[0], rp[1], lp[0], lp[1]]))
    }
}

impl core::hash::Hash for FourTuple {
    /// Two word writes instead of four field writes.
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        let (a, b) = self.hash_words();
        state.write_u64(a);
        state.write_u32(b);
    }
}

impl core::fmt::Display for FourTuple {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let l = self.local_ip;
        let r = self.remote_ip;
        write!(
            f,
            "{}.{}.{}.{}:{} <-> {}.{}.{}.{}:{}",
            l[0], l[1], l[2], l[3], self.local_port, r[0], r[1], r[2], r[3], self.remote_port
        )
    }
}

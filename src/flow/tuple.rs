//! The four-tuple that names a TCP connection, seen from this endpoint,
//! in either address family (`A`: `[u8; 4]` for IPv4, the default, or
//! `[u8; 16]` for IPv6; see `wire::family`).
//!
//! Rules: an IPv4 tuple is 12 bytes and hashes as two words; an IPv6
//! tuple is 36 bytes and hashes as its five words.

use crate::wire::{Family, TcpRepr};

/// A connection's addresses and ports, from the local endpoint's point of
/// view (`local` is us, `remote` the peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct FourTuple<A = [u8; 4]> {
    /// Our address.
    pub local_ip: A,
    /// The peer's address.
    pub remote_ip: A,
    /// Our port.
    pub local_port: u16,
    /// The peer's port.
    pub remote_port: u16,
}

impl<A: Family> FourTuple<A> {
    /// The tuple of a segment received from `src` at `dst`: its
    /// destination is local.
    #[inline]
    pub fn of_received(src: A, dst: A, tcp: &TcpRepr) -> FourTuple<A> {
        FourTuple::received(src, dst, tcp.src_port, tcp.dst_port)
    }

    /// The tuple of a segment received from `src`:`src_port` at
    /// `dst`:`dst_port`.
    #[inline]
    pub fn received(src: A, dst: A, src_port: u16, dst_port: u16) -> FourTuple<A> {
        FourTuple {
            local_ip: dst,
            remote_ip: src,
            local_port: dst_port,
            remote_port: src_port,
        }
    }

    /// The same connection seen from the peer.
    #[inline]
    pub fn reversed(&self) -> FourTuple<A> {
        FourTuple {
            local_ip: self.remote_ip,
            remote_ip: self.local_ip,
            local_port: self.remote_port,
            remote_port: self.local_port,
        }
    }

    /// The MSS a header of this family leaves where an IPv4 header leaves
    /// `mss_v4` (`TcpConfig::mss` is stated for IPv4).
    #[inline(always)]
    pub fn family_mss(&self, mss_v4: u16) -> u16 {
        A::mss_from_v4(mss_v4)
    }

    /// The ports as one little-endian word: the peer's port, then ours,
    /// each in network byte order.
    #[inline(always)]
    pub fn ports_word(&self) -> u32 {
        let rp = self.remote_port.to_be_bytes();
        let lp = self.local_port.to_be_bytes();
        u32::from_le_bytes([rp[0], rp[1], lp[0], lp[1]])
    }

    /// For IPv4, the 12 bytes hashed for cookies and ISNs as a
    /// little-endian `u64` and `u32`, built in registers (hashing words
    /// avoids re-reading freshly written bytes): the peer's address and
    /// port first, as Linux orders the SYN's source before its
    /// destination. For IPv6 the addresses' words are folded in the same
    /// places (not collision-resistant: the keyed hashes of `tcp` compress
    /// an IPv6 tuple under their key instead).
    #[inline(always)]
    pub fn hash_words(&self) -> (u64, u32) {
        let [r0, r1] = self.remote_ip.words();
        let [l0, l1] = self.local_ip.words();
        if A::IS_V6 {
            return (
                r0 ^ r1.rotate_left(32) ^ l0.rotate_left(16) ^ l1,
                self.ports_word(),
            );
        }
        (r0 | (l0 << 32), self.ports_word())
    }
}

impl FourTuple<[u8; 4]> {
    /// The 12 bytes hashed for cookies and ISNs (`hash_words`).
    #[inline]
    pub fn hash_input(&self) -> [u8; 12] {
        let (a, b) = self.hash_words();
        let mut out = [0u8; 12];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        out
    }
}

impl<A: Family> core::hash::Hash for FourTuple<A> {
    /// Two word writes for IPv4 (instead of four field writes), five for
    /// IPv6.
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        if A::IS_V6 {
            let [r0, r1] = self.remote_ip.words();
            let [l0, l1] = self.local_ip.words();
            state.write_u64(r0);
            state.write_u64(r1);
            state.write_u64(l0);
            state.write_u64(l1);
            state.write_u32(self.ports_word());
            return;
        }
        let (a, b) = self.hash_words();
        state.write_u64(a);
        state.write_u32(b);
    }
}

/// An address and port: `10.0.0.1:80` or `[fd00::1]:80`.
struct Endpoint<A>(A, u16);

impl<A: Family> core::fmt::Display for Endpoint<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if A::IS_V6 {
            f.write_str("[")?;
            self.0.write_text(f)?;
            write!(f, "]:{}", self.1)
        } else {
            self.0.write_text(f)?;
            write!(f, ":{}", self.1)
        }
    }
}

impl<A: Family> core::fmt::Display for FourTuple<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} <-> {}",
            Endpoint(self.local_ip, self.local_port),
            Endpoint(self.remote_ip, self.remote_port)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_both_families() {
        let t = FourTuple {
            local_ip: [10, 0, 0, 1],
            remote_ip: [10, 0, 0, 2],
            local_port: 80,
            remote_port: 40000,
        };
        assert_eq!(t.to_string(), "10.0.0.1:80 <-> 10.0.0.2:40000");
        let v6 = FourTuple {
            local_ip: std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).octets(),
            remote_ip: std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2).octets(),
            local_port: 80,
            remote_port: 40000,
        };
        assert_eq!(v6.to_string(), "[fd00::1]:80 <-> [fd00::2]:40000");
        assert_eq!(v6.reversed().reversed(), v6);
    }

    #[test]
    fn ipv4_hash_words_are_the_twelve_bytes() {
        let t = FourTuple {
            local_ip: [10, 0, 0, 1],
            remote_ip: [10, 0, 0, 2],
            local_port: 80,
            remote_port: 0x1234,
        };
        assert_eq!(
            t.hash_input(),
            [10, 0, 0, 2, 10, 0, 0, 1, 0x12, 0x34, 0, 80]
        );
    }
}

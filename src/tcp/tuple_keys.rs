//! The keyed input of a four-tuple to the cookie and ISN hashes. An IPv4
//! tuple is its 12 bytes (`FourTuple::hash_words`), hashed with the
//! client's ISN in one AES block. An IPv6 tuple (36 bytes) does not fit
//! one block: each address is encrypted under a key of its own, derived
//! from the hash's key, and the two results XORed, with the ports in the
//! last 32 bits (a PMAC-style sum of block-cipher outputs, RFC 6528 §3's
//! keyed function of the whole tuple). The two encryptions are
//! independent, so they run side by side: one block's latency more than
//! IPv4.
//!
//! Rules: the derived keys never leave the struct; an IPv4 tuple never
//! touches them.

use super::prf::Prf;
use crate::flow::FourTuple;
use crate::wire::Family;

/// Domain separation of the remote address's key ("tuple-r6").
const REMOTE_TAG: u64 = u64::from_le_bytes(*b"tuple-r6");
/// Domain separation of the local address's key ("tuple-l6").
const LOCAL_TAG: u64 = u64::from_le_bytes(*b"tuple-l6");

/// The keys that compress an IPv6 tuple.
#[derive(Clone, Debug)]
pub(crate) struct TupleKeys {
    remote: Prf,
    local: Prf,
}

fn derive(prf: &Prf, tag: u64) -> Prf {
    // The derivation block: both IPv4 addresses 255.255.255.255, never a
    // connection's, and the tag where the ports and ISN would be.
    let (lo, hi) = prf.eval(u64::MAX, tag);
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&lo.to_le_bytes());
    key[8..].copy_from_slice(&hi.to_le_bytes());
    Prf::new(key)
}

impl TupleKeys {
    /// The keys derived from the hash's own key.
    pub(crate) fn derive(prf: &Prf) -> TupleKeys {
        TupleKeys {
            remote: derive(prf, REMOTE_TAG),
            local: derive(prf, LOCAL_TAG),
        }
    }

    /// The tuple as the 96 bits (a `u64` and a `u32`) the hash takes.
    #[inline(always)]
    pub(crate) fn input<A: Family>(&self, t: &FourTuple<A>) -> (u64, u32) {
        if !A::IS_V6 {
            return t.hash_words();
        }
        let [r0, r1] = t.remote_ip.words();
        let [l0, l1] = t.local_ip.words();
        let (a0, a1) = self.remote.eval(r0, r1);
        let (b0, b1) = self.local.eval(l0, l1);
        (a0 ^ b0, ((a1 ^ b1) as u32) ^ t.ports_word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(last: u16, port: u16) -> FourTuple<[u8; 16]> {
        FourTuple {
            local_ip: std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).octets(),
            remote_ip: std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, last).octets(),
            local_port: 80,
            remote_port: port,
        }
    }

    #[test]
    fn every_part_of_an_ipv6_tuple_changes_the_input() {
        let k = TupleKeys::derive(&Prf::new([7; 16]));
        let base = k.input(&v6(2, 40000));
        assert_ne!(base, k.input(&v6(3, 40000)));
        assert_ne!(base, k.input(&v6(2, 40001)));
        let mut swapped = v6(2, 40000);
        swapped.local_ip = v6(2, 40000).remote_ip;
        swapped.remote_ip = v6(2, 40000).local_ip;
        assert_ne!(base, k.input(&swapped));
        // Keyed: another key, another input.
        let other = TupleKeys::derive(&Prf::new([8; 16]));
        assert_ne!(base, other.input(&v6(2, 40000)));
        assert_eq!(base, k.clone().input(&v6(2, 40000)));
    }

    #[test]
    fn an_ipv4_tuple_is_its_twelve_bytes() {
        let k = TupleKeys::derive(&Prf::new([7; 16]));
        let t = FourTuple {
            local_ip: [10, 0, 0, 1],
            remote_ip: [10, 0, 0, 2],
            local_port: 80,
            remote_port: 40000,
        };
        assert_eq!(k.input(&t), t.hash_words());
    }
}

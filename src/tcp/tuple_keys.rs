//! The keyed input of a four-tuple to the cookie and ISN hashes. An IPv4
//! tuple is its 12 bytes (`FourTuple::hash_words`), hashed with the
//! client's ISN in one AES block. An IPv6 tuple (36 bytes) does not fit
//! one block: each address is encrypted under a key of its own, derived
//! from the hash's key, and the two results XORed, with the ports in the
//! last 32 bits (a PMAC-style sum of block-cipher outputs, RFC 6528 §3's
//! keyed function of the whole tuple). The two encryptions are
//! independent, so they run side by side. Each half keeps its last
//! address and result: a server's local address, and a generator's
//! remote one (its server), are nearly always the last one, so the common
//! case costs one encryption more than IPv4, not two.
//!
//! Rules: the derived keys never leave the struct; an IPv4 tuple never
//! touches them; a remembered result is the encryption of the remembered
//! address under the same key, so remembering changes no output.

use super::prf::Prf;
use crate::flow::FourTuple;
use crate::wire::Family;
use core::cell::Cell;

/// Domain separation of the remote address's key ("tuple-r6").
const REMOTE_TAG: u64 = u64::from_le_bytes(*b"tuple-r6");
/// Domain separation of the local address's key ("tuple-l6").
const LOCAL_TAG: u64 = u64::from_le_bytes(*b"tuple-l6");

/// One half's key and its last address (as words) and result.
#[derive(Clone, Debug)]
struct Half {
    prf: Prf,
    last: Cell<([u64; 2], (u64, u64))>,
}

impl Half {
    fn new(prf: Prf) -> Half {
        let first = prf.eval(0, 0);
        Half {
            prf,
            last: Cell::new(([0, 0], first)),
        }
    }

    /// The encryption of the address `w`, remembered.
    #[inline(always)]
    fn eval(&self, w: [u64; 2]) -> (u64, u64) {
        let (addr, out) = self.last.get();
        if addr == w {
            return out;
        }
        let out = self.prf.eval(w[0], w[1]);
        self.last.set((w, out));
        out
    }
}

/// The keys that compress an IPv6 tuple.
#[derive(Clone, Debug)]
pub(crate) struct TupleKeys {
    remote: Half,
    local: Half,
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
            remote: Half::new(derive(prf, REMOTE_TAG)),
            local: Half::new(derive(prf, LOCAL_TAG)),
        }
    }

    /// The tuple as the 96 bits (a `u64` and a `u32`) the hash takes.
    #[inline(always)]
    pub(crate) fn input<A: Family>(&self, t: &FourTuple<A>) -> (u64, u32) {
        if !A::IS_V6 {
            return t.hash_words();
        }
        let (a0, a1) = self.remote.eval(t.remote_ip.words());
        let (b0, b1) = self.local.eval(t.local_ip.words());
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
    fn remembering_the_last_address_changes_no_input() {
        let k = TupleKeys::derive(&Prf::new([7; 16]));
        let fresh = |t: &FourTuple<[u8; 16]>| TupleKeys::derive(&Prf::new([7; 16])).input(t);
        // Alternating and repeated addresses, each input as a fresh key's.
        for t in [v6(2, 1), v6(2, 2), v6(3, 1), v6(2, 1), v6(0, 0), v6(3, 3)] {
            assert_eq!(k.input(&t), fresh(&t), "{t:?}");
        }
        // The all-zero address, the memo's starting point, too.
        let mut zero = v6(0, 0);
        zero.local_ip = [0; 16];
        zero.remote_ip = [0; 16];
        assert_eq!(k.input(&zero), fresh(&zero));
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

//! Initial sequence numbers per RFC 6528 §3:
//! `ISN = M + F(localip, localport, remoteip, remoteport, secretkey)`, with
//! `M` a timer ticking every 4 µs and `F` keyed AES-128 of the four-tuple
//! (`tcp::prf`; Linux uses SipHash-2-4, RFC 6528 asks for a keyed PRF);
//! and the timestamp offset of the same four-tuple (RFC 7323 §5.4), from
//! the same evaluation's next 32 bits.
//!
//! Rules: `M` is the clock the caller passes (µs since boot: it does not
//! restart with the process, so a later run's ISNs for a tuple lie beyond
//! an earlier run's, as a peer's TIME-WAIT expects).

use super::prf::Prf;
use super::tuple_keys::TupleKeys;
use crate::flow::FourTuple;
use crate::wire::{Family, SeqNum};

/// Generates RFC 6528 ISNs from a secret key.
#[derive(Clone, Debug)]
pub struct IsnGenerator {
    key: Prf,
    /// The keys that compress an IPv6 tuple, derived from `key`.
    tuples: TupleKeys,
}

impl IsnGenerator {
    /// A generator keyed with `key` (keep it secret; draw it at random).
    pub fn new(key: [u8; 16]) -> IsnGenerator {
        let key = Prf::new(key);
        IsnGenerator {
            tuples: TupleKeys::derive(&key),
            key,
        }
    }

    /// The ISN for `tuple` at clock time `clock_us`.
    #[inline]
    pub fn isn<A: Family>(&self, tuple: &FourTuple<A>, clock_us: u64) -> SeqNum {
        self.isn_and_ts_offset(tuple, clock_us).0
    }

    /// The ISN for `tuple` at clock time `clock_us`, and the tuple's
    /// timestamp offset, from one evaluation.
    #[inline]
    pub fn isn_and_ts_offset<A: Family>(
        &self,
        tuple: &FourTuple<A>,
        clock_us: u64,
    ) -> (SeqNum, u32) {
        let (a, b) = self.tuples.input(tuple);
        let (f, _) = self.key.eval(a, u64::from(b));
        let isn = SeqNum((f as u32).wrapping_add((clock_us / 4) as u32));
        (isn, fold_ts_offset((f >> 32) as u32))
    }

    /// The timestamp offset of `tuple`: the same for every connection on
    /// it, so a later connection's TSvals lie beyond an earlier one's.
    #[inline]
    pub fn ts_offset<A: Family>(&self, tuple: &FourTuple<A>) -> u32 {
        self.isn_and_ts_offset(tuple, 0).1
    }
}

/// A timestamp offset from a hash word: its high half repeated in both
/// halves, so that a record keeps 16 bits of it (`Tcb::ts_offset`) and
/// every connection's TSvals still differ in all 32 bits (RFC 7323 §5.4).
#[inline(always)]
pub(crate) fn fold_ts_offset(word: u32) -> u32 {
    (word >> 16) * 0x1_0001
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(port: u16) -> FourTuple {
        FourTuple {
            local_ip: [10, 0, 0, 2],
            remote_ip: [10, 0, 0, 1],
            local_port: 80,
            remote_port: port,
        }
    }

    #[test]
    fn clock_advances_every_4us() {
        let g = IsnGenerator::new([7; 16]);
        let t = tuple(1234);
        assert_eq!(g.isn(&t, 4_000) - g.isn(&t, 0), 1000);
        assert_eq!(g.isn(&t, 3), g.isn(&t, 0));
    }

    /// F is AES-128 of the tuple's 12 bytes and 4 zero bytes, its first 4
    /// output bytes read little-endian.
    #[test]
    fn words_encrypt_like_bytes() {
        use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
        let g = IsnGenerator::new([7; 16]);
        let t = tuple(1234);
        let mut input = [0u8; 16];
        input[..12].copy_from_slice(&t.hash_input());
        let mut block = GenericArray::from(input);
        aes::Aes128::new(&GenericArray::from([7u8; 16])).encrypt_block(&mut block);
        let f = u32::from_le_bytes(block[..4].try_into().expect("4 bytes"));
        assert_eq!(g.isn(&t, 0).0, f);
    }

    #[test]
    fn ts_offsets_are_per_tuple_and_keyed() {
        let g = IsnGenerator::new([7; 16]);
        let h = IsnGenerator::new([8; 16]);
        let t = tuple(1234);
        assert_eq!(g.ts_offset(&t), g.isn_and_ts_offset(&t, 99_999).1);
        assert_ne!(g.ts_offset(&t), g.ts_offset(&tuple(1235)));
        assert_ne!(g.ts_offset(&t), h.ts_offset(&t));
    }

    #[test]
    fn depends_on_tuple_and_key() {
        let g = IsnGenerator::new([7; 16]);
        let h = IsnGenerator::new([8; 16]);
        assert_ne!(g.isn(&tuple(1), 0), g.isn(&tuple(2), 0));
        assert_ne!(g.isn(&tuple(1), 0), h.isn(&tuple(1), 0));
    }
}

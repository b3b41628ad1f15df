//! Initial sequence numbers per RFC 6528 §3:
//! `ISN = M + F(localip, localport, remoteip, remoteport, secretkey)`, with
//! `M` a timer ticking every 4 µs and `F` keyed AES-128 of the four-tuple
//! (`tcp::prf`; Linux uses SipHash-2-4, RFC 6528 asks for a keyed PRF).

use super::prf::Prf;
use crate::flow::FourTuple;
use crate::wire::SeqNum;

/// Generates RFC 6528 ISNs from a secret key.
#[derive(Clone, Debug)]
pub struct IsnGenerator {
    key: Prf,
}

impl IsnGenerator {
    /// A generator keyed with `key` (keep it secret; draw it at random).
    pub fn new(key: [u8; 16]) -> IsnGenerator {
        IsnGenerator { key: Prf::new(key) }
    }

    /// The ISN for `tuple` at time `now_us`.
    #[inline]
    pub fn isn(&self, tuple: &FourTuple, now_us: u64) -> SeqNum {
        let (a, b) = tuple.hash_words();
        let (f, _) = self.key.eval(a, u64::from(b));
        SeqNum((f as u32).wrapping_add((now_us / 4) as u32))
    }
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
    fn depends_on_tuple_and_key() {
        let g = IsnGenerator::new([7; 16]);
        let h = IsnGenerator::new([8; 16]);
        assert_ne!(g.isn(&tuple(1), 0), g.isn(&tuple(2), 0));
        assert_ne!(g.isn(&tuple(1), 0), h.isn(&tuple(1), 0));
    }
}

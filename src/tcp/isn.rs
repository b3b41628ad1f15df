//! Initial sequence numbers per RFC 6528 §3:
//! `ISN = M + F(localip, localport, remoteip, remoteport, secretkey)`, with
//! `M` a timer ticking every 4 µs and `F` keyed SipHash-2-4.

use crate::flow::FourTuple;
use crate::wire::SeqNum;
use core::hash::Hasher;
use siphasher::sip::SipHasher24;

/// Generates RFC 6528 ISNs from a secret key.
#[derive(Clone, Debug)]
pub struct IsnGenerator {
    key: SipHasher24,
}

impl IsnGenerator {
    /// A generator keyed with `key` (keep it secret; draw it at random).
    pub fn new(key: [u8; 16]) -> IsnGenerator {
        IsnGenerator {
            key: SipHasher24::new_with_key(&key),
        }
    }

    /// The ISN for `tuple` at time `now_us`.
    #[inline]
    pub fn isn(&self, tuple: &FourTuple, now_us: u64) -> SeqNum {
        let (a, b) = tuple.hash_words();
        let mut h = self.key;
        h.write_u64(a);
        h.write_u32(b);
        let f = h.finish() as u32;
        SeqNum(f.wrapping_add((now_us / 4) as u32))
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

    #[test]
    fn words_hash_like_bytes() {
        let g = IsnGenerator::new([7; 16]);
        let t = tuple(1234);
        let bytes = SipHasher24::new_with_key(&[7; 16]).hash(&t.hash_input()) as u32;
        assert_eq!(g.isn(&t, 0).0, bytes);
    }

    #[test]
    fn depends_on_tuple_and_key() {
        let g = IsnGenerator::new([7; 16]);
        let h = IsnGenerator::new([8; 16]);
        assert_ne!(g.isn(&tuple(1), 0), g.isn(&tuple(2), 0));
        assert_ne!(g.isn(&tuple(1), 0), h.isn(&tuple(1), 0));
    }
}

//! The keyed pseudo-random function behind initial sequence numbers
//! (RFC 6528 §3, `F()`) and SYN cookies (RFC 4987 §3.6): AES-128 of one
//! 16-byte block, through the `aes` crate, which uses the CPU's AES
//! instructions (AES-NI, ARMv8 AES) where it has them and a constant-time
//! software implementation elsewhere.
//!
//! Why AES and not SipHash (Linux's choice): a block cipher with a secret
//! key is a pseudo-random permutation, and so, on 128-bit blocks of which
//! we keep at most 64 bits, a pseudo-random function as good as the keyed
//! hash both RFCs ask for; with AES instructions one block costs about 20
//! instructions, against about 140 for SipHash-1-3 and 200 for SipHash-2-4
//! of the same 16 bytes. Every connection takes one (generator ISN) or two
//! (server cookie made, cookie checked) of them.
//!
//! Rules: the input block is the four-tuple's 12 bytes and 4 bytes of
//! context (zero for an ISN, the client's ISN for a cookie), or a 64-bit
//! number (a period, an epoch, a second) and a 64-bit tag, little-endian;
//! the key never leaves the struct (its `Debug` does not print it).

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};

/// AES-128 under a secret key, as a pseudo-random function of 128 bits.
#[derive(Clone)]
pub(crate) struct Prf(Aes128);

impl core::fmt::Debug for Prf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Prf(AES-128, key hidden)")
    }
}

impl Prf {
    /// The function keyed with `key` (keep it secret; draw it at random).
    pub(crate) fn new(key: [u8; 16]) -> Prf {
        Prf(Aes128::new(&GenericArray::from(key)))
    }

    /// The low and high 64 bits of AES_key(`lo` ‖ `hi`), each half
    /// little-endian.
    #[inline]
    pub(crate) fn eval(&self, lo: u64, hi: u64) -> (u64, u64) {
        let mut block = GenericArray::default();
        write_block(&mut block, lo, hi);
        self.0.encrypt_block(&mut block);
        let out: [u8; 16] = block.into();
        let (a, b) = out.split_at(8);
        (
            u64::from_le_bytes(a.try_into().unwrap_or_default()),
            u64::from_le_bytes(b.try_into().unwrap_or_default()),
        )
    }
}

/// Writes `lo` ‖ `hi` (each little-endian) into `block` with one 16-byte
/// store. The cipher reads the block with one 16-byte load: written as
/// two 8-byte halves, that load cannot be forwarded from the store buffer
/// and waits until every older store (the connection's writes to tables
/// and frames, some of them cache misses) has reached the cache, which the
/// poll loop measured as a quarter of a microsecond per connection.
#[inline(always)]
fn write_block(block: &mut GenericArray<u8, aes::cipher::consts::U16>, lo: u64, hi: u64) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{__m128i, _mm_set_epi64x, _mm_storeu_si128};
        // Safety: SSE2 is part of the x86_64 baseline; the store writes
        // exactly the block's 16 bytes (unaligned store, no alignment
        // requirement).
        unsafe {
            _mm_storeu_si128(
                block.as_mut_ptr().cast::<__m128i>(),
                _mm_set_epi64x(hi as i64, lo as i64),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        block[..8].copy_from_slice(&lo.to_le_bytes());
        block[8..].copy_from_slice(&hi.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS-197 Appendix C.1: AES-128 of 00112233…ff under 00010203…0f is
    /// 69c4e0d86a7b0430d8cdb78070b4c55a.
    #[test]
    fn is_aes_128() {
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let plain: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        let lo = u64::from_le_bytes(plain[..8].try_into().unwrap());
        let hi = u64::from_le_bytes(plain[8..].try_into().unwrap());
        let (a, b) = Prf::new(key).eval(lo, hi);
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        let want = [
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn keys_and_inputs_change_the_output() {
        let p = Prf::new([1; 16]);
        let q = Prf::new([2; 16]);
        assert_ne!(p.eval(1, 2), q.eval(1, 2));
        assert_ne!(p.eval(1, 2), p.eval(1, 3));
        assert_ne!(p.eval(1, 2), p.eval(2, 2));
        assert_eq!(p.eval(1, 2), p.clone().eval(1, 2));
    }

    #[test]
    fn debug_hides_the_key() {
        let p = Prf::new([0xab; 16]);
        assert!(!format!("{p:?}").contains("171"));
    }
}

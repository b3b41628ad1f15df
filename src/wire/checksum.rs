//! The Internet checksum (RFC 1071): full computation over byte slices, the
//! IPv4 pseudo-header used by TCP, and incremental update (RFC 1624).
//!
//! Rules: pure functions, no allocation, never panic on any input length.
//! Sums are accumulated in a `u64` and folded once at the end, so callers can
//! chain partial sums (`sum` → `add` → `finish`) over scattered pieces.

/// Adds the 16-bit big-endian words of `data` to `acc` (ones' complement sum,
/// not yet folded). An odd trailing byte is padded with a zero byte
/// (RFC 1071 §4.1); chain calls only at even offsets.
///
/// The words are summed in the machine's byte order (`sum_native`) and
/// the folded result is byte-swapped once (RFC 1071 §2(B): the sum is
/// byte-order independent).
#[inline(always)]
pub fn sum(acc: u64, data: &[u8]) -> u64 {
    // `fold` is byte-order agnostic; the folded native word is swapped once.
    acc + u64::from(u16::from_be(fold(sum_native(data))))
}

/// The wide sum of the 16-bit words of `data` read in the machine's byte
/// order (an odd trailing byte padded with a zero byte). By RFC 1071 §2(B)
/// it folds to the byte-swapped big-endian sum; in particular data whose
/// checksum verifies folds to 0xffff in either order. The result is below
/// 2^34 for any slice shorter than 2^32 bytes, so callers may add to it.
///
/// Eight bytes are added per step with an end-around carry kept aside
/// (RFC 1071 §4.1's 64-bit variant: 2^64 ≡ 1 mod 2^16 − 1), which compiles
/// to an add and an add-with-carry per word; the 64-bit sum is then folded
/// to 33 bits (2^32 ≡ 1 as well).
#[inline(always)]
pub fn sum_native(data: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut carries = 0u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_ne_bytes(w.try_into().unwrap_or([0; 8]));
        let (s, c) = acc.overflowing_add(v);
        acc = s;
        carries += u64::from(c);
    }
    // A wrapped sum that ended exactly at 0 kept its carries: a non-zero
    // sum stays non-zero.
    let mut s = (acc & 0xffff_ffff) + (acc >> 32) + carries;
    let r = words.remainder();
    let mut quads = r.chunks_exact(4);
    for q in &mut quads {
        s += u64::from(u32::from_ne_bytes([q[0], q[1], q[2], q[3]]));
    }
    let r = quads.remainder();
    let pair = |x: u8, y: u8| u64::from(u16::from_ne_bytes([x, y]));
    s + match *r {
        [x] => pair(x, 0),
        [x, y] => pair(x, y),
        [x, y, z] => pair(x, y) + pair(z, 0),
        _ => 0,
    }
}

/// The IPv4 pseudo-header's wide sum in the machine's byte order, to add to
/// [`sum_native`] of the segment.
#[inline]
pub fn pseudo_header_v4_native(src: [u8; 4], dst: [u8; 4], protocol: u8, length: u16) -> u64 {
    let be = length.to_be_bytes();
    u64::from(u32::from_ne_bytes(src))
        + u64::from(u32::from_ne_bytes(dst))
        + u64::from(u16::from_ne_bytes([0, protocol]))
        + u64::from(u16::from_ne_bytes(be))
}

/// Folds a wide sum to 16 bits (end-around carry).
#[inline(always)]
pub fn fold(acc: u64) -> u16 {
    // Two end-around-carry additions, each an add and an add-with-carry:
    // adding the carry back never carries again (a sum that carried is at
    // most 2·(2^k − 1) − 2^k = 2^k − 2), and a non-zero sum stays non-zero.
    let (s, c) = (acc as u32).overflowing_add((acc >> 32) as u32);
    let s = s + u32::from(c);
    let (t, c) = (s as u16).overflowing_add((s >> 16) as u16);
    t + u16::from(c)
}

/// The checksum field value for data whose wide sum is `acc`.
#[inline(always)]
pub fn finish(acc: u64) -> u16 {
    !fold(acc)
}

/// Full checksum of `data` (the value to store in a checksum field that was
/// zero while summing).
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum(0, data))
}

/// Wide sum of the IPv4 pseudo-header (RFC 9293 §3.1): source, destination,
/// zero, protocol, and the length of the transport segment.
#[inline]
pub fn pseudo_header_v4(src: [u8; 4], dst: [u8; 4], protocol: u8, length: u16) -> u64 {
    // 32-bit words add as their 16-bit halves once folded.
    u64::from(u32::from_be_bytes(src))
        + u64::from(u32::from_be_bytes(dst))
        + u64::from(protocol)
        + u64::from(length)
}

/// Wide sum of the IPv6 pseudo-header (RFC 8200 §8.1): source,
/// destination, the upper-layer packet length (32 bits), three zero bytes
/// and the next header.
#[inline]
pub fn pseudo_header_v6(src: [u8; 16], dst: [u8; 16], next_header: u8, length: u32) -> u64 {
    let words = |a: [u8; 16]| -> u64 {
        a.chunks_exact(4)
            .map(|w| u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]])))
            .sum()
    };
    words(src) + words(dst) + u64::from(length) + u64::from(next_header)
}

/// An address family's TCP pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1),
/// implemented by its address type.
pub trait PseudoHeader: Copy {
    /// The wide sum of the pseudo-header of a TCP segment of `len` bytes.
    fn pseudo_header(src: Self, dst: Self, len: usize) -> u64;
}

impl PseudoHeader for [u8; 4] {
    #[inline(always)]
    fn pseudo_header(src: Self, dst: Self, len: usize) -> u64 {
        pseudo_header_v4(src, dst, 6, len as u16)
    }
}

impl PseudoHeader for [u8; 16] {
    #[inline(always)]
    fn pseudo_header(src: Self, dst: Self, len: usize) -> u64 {
        pseudo_header_v6(src, dst, 6, len as u32)
    }
}

/// RFC 1624 eqn. 3: the new checksum when one 16-bit word of the covered
/// data changes from `old` to `new`: `HC' = ~(~HC + ~m + m')`.
#[inline]
pub fn update16(check: u16, old: u16, new: u16) -> u16 {
    let acc = u64::from(!check) + u64::from(!old) + u64::from(new);
    !fold(acc)
}

/// RFC 1624 update for a 32-bit field (two 16-bit words), e.g. an IPv4
/// address or a sequence number.
#[inline]
pub fn update32(check: u16, old: u32, new: u32) -> u16 {
    let acc = u64::from(!check)
        + u64::from(!(old >> 16) as u16)
        + u64::from(!(old as u16))
        + (u64::from(new >> 16))
        + u64::from(new & 0xffff);
    !fold(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The folded sum of the big-endian 16-bit words, one at a time.
    fn reference(data: &[u8]) -> u16 {
        let mut acc = 0u64;
        for c in data.chunks(2) {
            acc += u64::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
        fold(acc)
    }

    /// The IPv6 pseudo-header's sum is the sum of its 40 bytes as RFC
    /// 8200 §8.1 lays them out.
    #[test]
    fn ipv6_pseudo_header_matches_its_layout() {
        let src = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let dst = [
            0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
        ];
        let mut layout = Vec::new();
        layout.extend_from_slice(&src);
        layout.extend_from_slice(&dst);
        layout.extend_from_slice(&70_000u32.to_be_bytes());
        layout.extend_from_slice(&[0, 0, 0, 6]);
        assert_eq!(
            fold(pseudo_header_v6(src, dst, 6, 70_000)),
            reference(&layout)
        );
    }

    /// RFC 1071 §3 worked example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    #[test]
    fn rfc1071_example_sum() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(0, &data)), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    /// A real IPv4 header (from Wikipedia's IPv4 header checksum example):
    /// checksum b861.
    #[test]
    fn ipv4_header_known_answer() {
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&h), 0xb861);
        h[10] = 0xb8;
        h[11] = 0x61;
        // A header with a correct checksum sums to all ones.
        assert_eq!(checksum(&h), 0);
    }

    /// The fast sum equals a plain big-endian word-by-word sum for every
    /// length and alignment of the tail.
    #[test]
    fn matches_reference_sum() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 151 + 7) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                fold(sum(0, &data[..len])),
                reference(&data[..len]),
                "len {len}"
            );
        }
        let ones = vec![0xffu8; 4099];
        assert_eq!(fold(sum(0, &ones)), reference(&ones));
    }

    /// Words near 2^64 carry out of the 64-bit adds at every step: the
    /// end-around carries kept aside give the reference sum, and a sum of
    /// all-ones words never folds to 0.
    #[test]
    fn carries_out_of_wide_words() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let data: Vec<u8> = (0..2048)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                0xf0 | (x as u8 & 0x0f)
            })
            .collect();
        for len in (0..data.len()).step_by(7) {
            assert_eq!(
                fold(sum(0, &data[..len])),
                reference(&data[..len]),
                "len {len}"
            );
        }
        for len in [8, 16, 64, 1024] {
            assert_eq!(fold(sum_native(&vec![0xff; len])), 0xffff);
        }
    }

    #[test]
    fn fold_extremes() {
        assert_eq!(fold(u64::MAX), 0xffff);
        assert_eq!(fold(0x1_0000), 1);
        assert_eq!(fold(0xffff_ffff_0000), 0xffff);
        assert_eq!(fold(0), 0);
    }

    /// The carry-add fold equals folding by shifts and masks until 16 bits
    /// remain, for sums spread over the whole `u64` range.
    #[test]
    fn fold_matches_repeated_shift_folding() {
        fn slow(mut acc: u64) -> u16 {
            while acc > 0xffff {
                acc = (acc & 0xffff) + (acc >> 16);
            }
            acc as u16
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut probes = vec![0, 1, 0xffff, 0x1_0000, 0xffff_ffff, 0x1_0000_0000, u64::MAX];
        for _ in 0..100_000 {
            // xorshift64: a spread of values, bit widths and carries.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            probes.push(x >> (x % 64));
        }
        for v in probes {
            assert_eq!(fold(v), slow(v), "{v:#x}");
        }
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(fold(sum(0, &[0x12])), 0x1200);
        assert_eq!(fold(sum(0, &[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn chained_sums_equal_one_sum() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1001).collect();
        let whole = checksum(&data);
        let parts = finish(sum(sum(0, &data[..400]), &data[400..]));
        assert_eq!(whole, parts);
    }

    /// RFC 1624 §4 example: HC = 0xdd2f, m = 0x5555 changed to m' = 0x3285
    /// gives HC' = 0x0000 (eqn. 3; eqn. 2 would wrongly give 0xffff).
    #[test]
    fn rfc1624_example() {
        assert_eq!(update16(0xdd2f, 0x5555, 0x3285), 0x0000);
    }

    #[test]
    fn incremental_matches_full_recompute() {
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let c0 = checksum(&h);
        // Change the TTL/protocol word.
        let old = u16::from_be_bytes([h[8], h[9]]);
        h[8] = 0x3f;
        let new = u16::from_be_bytes([h[8], h[9]]);
        let c1 = update16(c0, old, new);
        assert_eq!(c1, checksum(&h));
        // Change the destination address.
        let old = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
        h[16..20].copy_from_slice(&[10, 1, 2, 3]);
        let c2 = update32(c1, old, u32::from_be_bytes([10, 1, 2, 3]));
        assert_eq!(c2, checksum(&h));
    }

    #[test]
    fn pseudo_header_matches_bytes() {
        let src = [10, 0, 0, 1];
        let dst = [192, 168, 1, 200];
        let bytes = [10, 0, 0, 1, 192, 168, 1, 200, 0, 6, 0x01, 0x02];
        assert_eq!(
            fold(pseudo_header_v4(src, dst, 6, 0x0102)),
            fold(sum(0, &bytes))
        );
    }
}

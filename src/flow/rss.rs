//! Receive-side scaling: the Toeplitz hash a NIC computes over a received
//! IPv4/TCP or IPv6/TCP packet, and the indirection table (RETA) that turns the hash into
//! a worker (receive queue) index.
//!
//! The hash is bit-exact with the hardware: Microsoft, "RSS Hashing
//! Functions" and "Verifying the RSS Hash Calculation" (Windows driver
//! docs), and the Intel 82599 10 GbE Controller datasheet §7.1.2.8 (RSS
//! hash function, §7.1.2.8.3 verification suite). The NIC hashes the
//! *received* packet's bytes in wire order: source IPv4, destination IPv4,
//! source port, destination port, all big-endian. For a [`FourTuple`], which
//! is seen from our side, a received packet's source is the remote end and
//! its destination is the local end.
//!
//! Rules: pure functions and plain data; no allocation; no panics on any
//! input. [`toeplitz`] is the bit-by-bit reference; [`RssHasher`] is the
//! table-driven hot path (12 lookups per IPv4/TCP hash) built once per key.

use super::FourTuple;
use crate::wire::Family;

/// Length of an RSS key in bytes (320 bits), as in the 82599 RSSRK registers.
pub const RSS_KEY_LEN: usize = 40;

/// Number of entries in the RSS indirection table (82599 datasheet §7.1.2.8:
/// 128 entries indexed by the hash's seven least significant bits).
pub const RETA_SIZE: usize = 128;

/// Bytes of a hashed IPv4/TCP four-tuple: two addresses and two ports.
const TUPLE_LEN: usize = 12;
/// Bytes of a hashed IPv6/TCP four-tuple (RFC 8200 addresses): the whole
/// 320-bit key is used.
const TUPLE_LEN_V6: usize = 36;

/// A 40-byte Toeplitz secret key, most significant bit of byte 0 first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RssKey(pub [u8; RSS_KEY_LEN]);

impl RssKey {
    /// The key of Microsoft's "Verifying the RSS Hash Calculation" and the
    /// 82599 datasheet's verification suite (also the default key of many
    /// drivers): `6d5a56da255b0ec24167253d43a38fb0d0ca2bcb
    /// ae7b30b477cb2da38030f20c6a42b73bbeac01fa`.
    pub const MICROSOFT: RssKey = RssKey([
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f,
        0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
        0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ]);

    /// `0x6d5a` repeated 20 times (Woo and Park, "Scalable TCP Session
    /// Monitoring with Symmetric Receive-side Scaling"). The key repeats
    /// every 16 bits, so swapping the two addresses (32 bits apart) and the
    /// two ports (16 bits apart) leaves an IPv4/TCP hash unchanged: both
    /// directions of a connection land on the same queue.
    pub const SYMMETRIC: RssKey = RssKey([
        0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
        0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
        0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    ]);

    /// The 32 key bits starting at bit `offset` (bit 0 = most significant bit
    /// of byte 0). Bits past the end of the key read as zero, as the
    /// datasheet's "shift K left" brings in zeros.
    fn window(&self, offset: usize) -> u32 {
        let byte = offset / 8;
        let shift = offset % 8;
        let mut wide = 0u64;
        for i in 0..5 {
            let b = self.0.get(byte + i).copied().unwrap_or(0);
            wide = (wide << 8) | u64::from(b);
        }
        // 40 bits loaded; drop the `shift` leading bits, keep the next 32.
        ((wide << shift) >> 8) as u32
    }
}

impl Default for RssKey {
    /// The Microsoft verification key ([`RssKey::MICROSOFT`]).
    fn default() -> RssKey {
        RssKey::MICROSOFT
    }
}

/// The Toeplitz hash of `input` under `key`, bit by bit, exactly as the
/// pseudocode of Microsoft's "RSS Hashing Functions" and the 82599 datasheet
/// §7.1.2.8.1: for each input bit from the left, if it is set, XOR the
/// left-most 32 bits of the key into the result, then shift the key left by
/// one bit.
///
/// This is the reference (slow, any length); the hot path is [`RssHasher`].
/// Inputs longer than 36 bytes run past the 320-bit key; those key bits read
/// as zero, so no input can make this panic.
pub fn toeplitz(key: &RssKey, input: &[u8]) -> u32 {
    let mut result = 0u32;
    let mut offset = 0usize;
    for &byte in input {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                result ^= key.window(offset);
            }
            offset += 1;
        }
    }
    result
}

/// The 12 bytes the NIC hashes for an IPv4/TCP packet, in wire order:
/// source address, destination address, source port, destination port
/// (82599 datasheet §7.1.2.8.1: `Input[12] = @12-15, @16-19, @20-21, @22-23`).
pub fn ipv4_tcp_input(
    src_ip: [u8; 4],
    dst_ip: [u8; 4],
    src_port: u16,
    dst_port: u16,
) -> [u8; TUPLE_LEN] {
    let s = src_port.to_be_bytes();
    let d = dst_port.to_be_bytes();
    [
        src_ip[0], src_ip[1], src_ip[2], src_ip[3], dst_ip[0], dst_ip[1], dst_ip[2], dst_ip[3],
        s[0], s[1], d[0], d[1],
    ]
}

/// The 36 bytes the NIC hashes for an IPv6/TCP packet, in wire order:
/// source address, destination address, source port, destination port
/// (Microsoft's "IPv6 with TCP"; extension headers are not hashed).
pub fn ipv6_tcp_input(
    src_ip: [u8; 16],
    dst_ip: [u8; 16],
    src_port: u16,
    dst_port: u16,
) -> [u8; TUPLE_LEN_V6] {
    let mut out = [0u8; TUPLE_LEN_V6];
    out[..16].copy_from_slice(&src_ip);
    out[16..32].copy_from_slice(&dst_ip);
    out[32..34].copy_from_slice(&src_port.to_be_bytes());
    out[34..].copy_from_slice(&dst_port.to_be_bytes());
    out
}

/// A table-driven Toeplitz hasher for one key: for each of the 36 byte
/// positions of an IPv6/TCP four-tuple (the first 12 are an IPv4/TCP
/// one's), a 256-entry table of the XOR of the key windows selected by
/// that byte's bits. One hash is 12 (IPv4) or 36 (IPv6) lookups XORed.
///
/// About 36 KiB, of which an IPv4 hash touches the first 12; build it
/// once per key (per worker, or shared read-only) and keep it, never per
/// packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RssHasher {
    key: RssKey,
    tables: [[u32; 256]; TUPLE_LEN_V6],
}

impl RssHasher {
    /// Precompute the lookup tables of `key`.
    pub fn new(key: &RssKey) -> RssHasher {
        let mut tables = [[0u32; 256]; TUPLE_LEN_V6];
        for (pos, table) in tables.iter_mut().enumerate() {
            // windows[bit]: key window selected by bit `bit` (MSB first).
            let mut windows = [0u32; 8];
            for (bit, w) in windows.iter_mut().enumerate() {
                *w = key.window(pos * 8 + bit);
            }
            for (value, slot) in table.iter_mut().enumerate() {
                let mut h = 0u32;
                for (bit, w) in windows.iter().enumerate() {
                    if value & (0x80 >> bit) != 0 {
                        h ^= w;
                    }
                }
                *slot = h;
            }
        }
        RssHasher { key: *key, tables }
    }

    /// The key these tables were built from.
    pub fn key(&self) -> &RssKey {
        &self.key
    }

    /// Hash of bytes at positions `first..` of the tuple input.
    #[inline]
    fn hash_at(&self, first: usize, bytes: &[u8]) -> u32 {
        let mut h = 0u32;
        for (table, &b) in self.tables.iter().skip(first).zip(bytes) {
            h ^= table[usize::from(b)];
        }
        h
    }

    /// The IPv4/TCP hash ("IPv4 with TCP" in the Microsoft and 82599
    /// documents) of a packet with these source and destination fields,
    /// equal to [`toeplitz`] over [`ipv4_tcp_input`].
    #[inline]
    pub fn hash_ipv4_tcp(
        &self,
        src_ip: [u8; 4],
        dst_ip: [u8; 4],
        src_port: u16,
        dst_port: u16,
    ) -> u32 {
        self.hash_at(0, &ipv4_tcp_input(src_ip, dst_ip, src_port, dst_port))
    }

    /// The IPv4-only hash ("IPv4 without TCP": source then destination
    /// address, 8 bytes), equal to [`toeplitz`] over those 8 bytes.
    #[inline]
    pub fn hash_ipv4(&self, src_ip: [u8; 4], dst_ip: [u8; 4]) -> u32 {
        self.hash_at(0, &src_ip) ^ self.hash_at(4, &dst_ip)
    }

    /// The IPv6/TCP hash ("IPv6 with TCP") of a packet with these source
    /// and destination fields, equal to [`toeplitz`] over
    /// [`ipv6_tcp_input`].
    #[inline]
    pub fn hash_ipv6_tcp(
        &self,
        src_ip: [u8; 16],
        dst_ip: [u8; 16],
        src_port: u16,
        dst_port: u16,
    ) -> u32 {
        self.hash_at(0, &ipv6_tcp_input(src_ip, dst_ip, src_port, dst_port))
    }

    /// The IPv6-only hash (source then destination address, 32 bytes).
    #[inline]
    pub fn hash_ipv6(&self, src_ip: [u8; 16], dst_ip: [u8; 16]) -> u32 {
        self.hash_at(0, &src_ip) ^ self.hash_at(16, &dst_ip)
    }

    /// The hash the NIC computes for a packet *received* on connection
    /// `tuple` (seen from our side): source = `remote_ip:remote_port`,
    /// destination = `local_ip:local_port`; IPv4/TCP or IPv6/TCP by the
    /// address family (the hash is linear: the input's parts hashed at
    /// their positions and XORed).
    #[inline]
    pub fn hash_received<A: Family>(&self, tuple: &FourTuple<A>) -> u32 {
        let n = tuple.remote_ip.as_ref().len();
        self.hash_at(0, tuple.remote_ip.as_ref())
            ^ self.hash_at(n, tuple.local_ip.as_ref())
            ^ self.hash_at(2 * n, &tuple.remote_port.to_be_bytes())
            ^ self.hash_at(2 * n + 2, &tuple.local_port.to_be_bytes())
    }
}

impl Default for RssHasher {
    /// The hasher of [`RssKey::MICROSOFT`].
    fn default() -> RssHasher {
        RssHasher::new(&RssKey::MICROSOFT)
    }
}

/// The RSS indirection table: entry `hash & 127` (the seven least
/// significant hash bits, 82599 datasheet §7.1.2.8.2) names the worker
/// (receive queue) that gets the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reta {
    entries: [u16; RETA_SIZE],
}

impl Reta {
    /// The default table of Linux drivers (`ethtool -X ... equal N`): entry
    /// `i` is worker `i % workers`. `None` when `workers` is zero. With more
    /// than 128 workers, workers 128 and up get no entry (no traffic).
    pub fn round_robin(workers: u16) -> Option<Reta> {
        if workers == 0 {
            return None;
        }
        let mut entries = [0u16; RETA_SIZE];
        for (i, e) in entries.iter_mut().enumerate() {
            // i < 128 fits u16; the remainder is below `workers`.
            *e = (i as u16) % workers;
        }
        Some(Reta { entries })
    }

    /// A table with these entries (as programmed with `ethtool -X ...
    /// weight` or `rte_eth_dev_rss_reta_update`).
    pub fn from_entries(entries: [u16; RETA_SIZE]) -> Reta {
        Reta { entries }
    }

    /// The table's entries, index = low seven bits of the hash.
    pub fn entries(&self) -> &[u16; RETA_SIZE] {
        &self.entries
    }

    /// One more than the largest worker index in the table: the number of
    /// workers it spreads packets over (some may get no entry).
    pub fn workers(&self) -> usize {
        self.entries
            .iter()
            .map(|&e| usize::from(e) + 1)
            .max()
            .unwrap_or(0)
    }

    /// The worker that receives a packet with RSS hash `hash`.
    #[inline]
    pub fn worker_of(&self, hash: u32) -> u16 {
        // `hash & 127` is always below RETA_SIZE.
        self.entries[(hash as usize) & (RETA_SIZE - 1)]
    }
}

/// The worker that receives packets of connection `tuple` (seen from our
/// side: a received packet's source is `remote`, its destination `local`),
/// as the NIC decides with `hasher`'s key and `reta`.
#[inline]
pub fn worker_of_received<A: Family>(hasher: &RssHasher, reta: &Reta, tuple: &FourTuple<A>) -> u16 {
    reta.worker_of(hasher.hash_received(tuple))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One row of the verification table: source, destination, then the
    /// expected IPv4-only and IPv4-with-TCP hashes under the Microsoft key.
    struct Vector {
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        ipv4: u32,
        ipv4_tcp: u32,
    }

    /// Microsoft "Verifying the RSS Hash Calculation" / Intel 82599
    /// datasheet §7.1.2.8.3 (the datasheet's table lists destination
    /// before source; the hash input is source first).
    const VECTORS: [Vector; 5] = [
        Vector {
            src: ([66, 9, 149, 187], 2794),
            dst: ([161, 142, 100, 80], 1766),
            ipv4: 0x323e_8fc2,
            ipv4_tcp: 0x51cc_c178,
        },
        Vector {
            src: ([199, 92, 111, 2], 14230),
            dst: ([65, 69, 140, 83], 4739),
            ipv4: 0xd718_262a,
            ipv4_tcp: 0xc626_b0ea,
        },
        Vector {
            src: ([24, 19, 198, 95], 12898),
            dst: ([12, 22, 207, 184], 38024),
            ipv4: 0xd2d0_a5de,
            ipv4_tcp: 0x5c2b_394a,
        },
        Vector {
            src: ([38, 27, 205, 30], 48228),
            dst: ([209, 142, 163, 6], 2217),
            ipv4: 0x8298_9176,
            ipv4_tcp: 0xafc7_327f,
        },
        Vector {
            src: ([153, 39, 163, 191], 44251),
            dst: ([202, 188, 127, 2], 1303),
            ipv4: 0x5d18_09c5,
            ipv4_tcp: 0x10e8_28a2,
        },
    ];

    #[test]
    fn microsoft_vectors_reference() {
        let key = RssKey::MICROSOFT;
        for v in &VECTORS {
            let mut ips = [0u8; 8];
            ips[..4].copy_from_slice(&v.src.0);
            ips[4..].copy_from_slice(&v.dst.0);
            assert_eq!(toeplitz(&key, &ips), v.ipv4, "IPv4 {:?}", v.src);
            let input = ipv4_tcp_input(v.src.0, v.dst.0, v.src.1, v.dst.1);
            assert_eq!(toeplitz(&key, &input), v.ipv4_tcp, "TCP {:?}", v.src);
        }
    }

    /// An IPv6 address from its eight groups.
    fn v6(g: [u16; 8]) -> [u8; 16] {
        let mut a = [0u8; 16];
        for (i, w) in g.iter().enumerate() {
            a[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
        }
        a
    }

    /// Microsoft "Verifying the RSS Hash Calculation", IPv6 table:
    /// (source, port), (destination, port), IPv6 only, IPv6 with TCP.
    #[allow(clippy::type_complexity)]
    fn ipv6_vectors() -> [(([u8; 16], u16), ([u8; 16], u16), u32, u32); 3] {
        [
            (
                (v6([0x3ffe, 0x2501, 0x200, 0x1fff, 0, 0, 0, 7]), 2794),
                (v6([0x3ffe, 0x2501, 0x200, 3, 0, 0, 0, 1]), 1766),
                0x2cc1_8cd5,
                0x4020_7d3d,
            ),
            (
                (
                    v6([0x3ffe, 0x501, 8, 0, 0x260, 0x97ff, 0xfe40, 0xefab]),
                    14230,
                ),
                (v6([0xff02, 0, 0, 0, 0, 0, 0, 1]), 4739),
                0x0f0c_461c,
                0xdde5_1bbf,
            ),
            (
                (
                    v6([0x3ffe, 0x1900, 0x4545, 3, 0x200, 0xf8ff, 0xfe21, 0x67cf]),
                    44251,
                ),
                (v6([0xfe80, 0, 0, 0, 0x200, 0xf8ff, 0xfe21, 0x67cf]), 38024),
                0x4b61_e985,
                0x02d1_feef,
            ),
        ]
    }

    #[test]
    fn microsoft_ipv6_vectors() {
        let h = RssHasher::default();
        for (src, dst, ip, tcp) in ipv6_vectors() {
            let input = ipv6_tcp_input(src.0, dst.0, src.1, dst.1);
            assert_eq!(toeplitz(&RssKey::MICROSOFT, &input[..32]), ip, "{src:?}");
            assert_eq!(toeplitz(&RssKey::MICROSOFT, &input), tcp, "{src:?}");
            assert_eq!(h.hash_ipv6(src.0, dst.0), ip, "{src:?}");
            assert_eq!(h.hash_ipv6_tcp(src.0, dst.0, src.1, dst.1), tcp, "{src:?}");
            // The received packet of our connection (dst, src).
            let ours = FourTuple {
                local_ip: dst.0,
                remote_ip: src.0,
                local_port: dst.1,
                remote_port: src.1,
            };
            assert_eq!(h.hash_received(&ours), tcp, "{src:?}");
        }
    }

    #[test]
    fn microsoft_vectors_fast() {
        let h = RssHasher::default();
        for v in &VECTORS {
            assert_eq!(h.hash_ipv4(v.src.0, v.dst.0), v.ipv4);
            assert_eq!(
                h.hash_ipv4_tcp(v.src.0, v.dst.0, v.src.1, v.dst.1),
                v.ipv4_tcp
            );
        }
    }

    #[test]
    fn received_tuple_hashes_remote_as_source() {
        let h = RssHasher::default();
        for v in &VECTORS {
            // We are the destination of the vector's packet.
            let t = FourTuple {
                local_ip: v.dst.0,
                remote_ip: v.src.0,
                local_port: v.dst.1,
                remote_port: v.src.1,
            };
            assert_eq!(h.hash_received(&t), v.ipv4_tcp);
        }
    }

    #[test]
    fn default_key_is_microsoft() {
        assert_eq!(RssKey::default(), RssKey::MICROSOFT);
        assert_eq!(RssHasher::default().key(), &RssKey::MICROSOFT);
    }

    #[test]
    fn reference_never_panics_on_long_input() {
        // 64 bytes: the last bits use key windows running past the key.
        let input = [0xffu8; 64];
        let _ = toeplitz(&RssKey::MICROSOFT, &input);
        assert_eq!(toeplitz(&RssKey::MICROSOFT, &[]), 0);
    }

    #[test]
    fn reta_round_robin() {
        assert_eq!(Reta::round_robin(0), None);
        for workers in 1..=8u16 {
            let reta = Reta::round_robin(workers).unwrap();
            assert_eq!(reta.workers(), usize::from(workers));
            for (i, &e) in reta.entries().iter().enumerate() {
                assert_eq!(usize::from(e), i % usize::from(workers));
            }
            for hash in [0u32, 1, 127, 128, 129, 0xdead_beef, u32::MAX] {
                assert_eq!(
                    usize::from(reta.worker_of(hash)),
                    (hash as usize & 127) % usize::from(workers)
                );
            }
        }
    }

    #[test]
    fn worker_of_received_uses_reta_low_bits() {
        let h = RssHasher::default();
        let reta = Reta::round_robin(4).unwrap();
        let v = &VECTORS[0];
        let t = FourTuple {
            local_ip: v.dst.0,
            remote_ip: v.src.0,
            local_port: v.dst.1,
            remote_port: v.src.1,
        };
        // 0x51ccc178 & 127 = 0x78 = 120; 120 % 4 = 0.
        assert_eq!(worker_of_received(&h, &reta, &t), 0);
    }

    fn keys() -> impl Strategy<Value = RssKey> {
        prop_oneof![
            Just(RssKey::MICROSOFT),
            Just(RssKey::SYMMETRIC),
            any::<[u8; RSS_KEY_LEN]>().prop_map(RssKey),
        ]
    }

    proptest! {
        #[test]
        fn fast_hash_equals_reference(
            key in keys(),
            src in any::<[u8; 4]>(),
            dst in any::<[u8; 4]>(),
            sp in any::<u16>(),
            dp in any::<u16>(),
        ) {
            let h = RssHasher::new(&key);
            let input = ipv4_tcp_input(src, dst, sp, dp);
            prop_assert_eq!(h.hash_ipv4_tcp(src, dst, sp, dp), toeplitz(&key, &input));
            prop_assert_eq!(h.hash_ipv4(src, dst), toeplitz(&key, &input[..8]));
        }

        #[test]
        fn fast_ipv6_hash_equals_reference(
            key in keys(),
            src in any::<[u8; 16]>(),
            dst in any::<[u8; 16]>(),
            sp in any::<u16>(),
            dp in any::<u16>(),
        ) {
            let h = RssHasher::new(&key);
            let input = ipv6_tcp_input(src, dst, sp, dp);
            prop_assert_eq!(h.hash_ipv6_tcp(src, dst, sp, dp), toeplitz(&key, &input));
            prop_assert_eq!(h.hash_ipv6(src, dst), toeplitz(&key, &input[..32]));
        }

        #[test]
        fn symmetric_key_is_direction_blind(
            a in any::<[u8; 4]>(),
            b in any::<[u8; 4]>(),
            pa in any::<u16>(),
            pb in any::<u16>(),
        ) {
            let h = RssHasher::new(&RssKey::SYMMETRIC);
            let t = FourTuple { local_ip: a, remote_ip: b, local_port: pa, remote_port: pb };
            prop_assert_eq!(h.hash_received(&t), h.hash_received(&t.reversed()));
            prop_assert_eq!(h.hash_ipv4(a, b), h.hash_ipv4(b, a));
            let fwd = ipv4_tcp_input(a, b, pa, pb);
            let rev = ipv4_tcp_input(b, a, pb, pa);
            prop_assert_eq!(toeplitz(&RssKey::SYMMETRIC, &fwd), toeplitz(&RssKey::SYMMETRIC, &rev));
        }
    }
}

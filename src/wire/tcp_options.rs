//! TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018): MSS, window scale,
//! SACK-permitted, timestamps, NOP and EOL. SACK blocks and unknown options
//! are skipped by their length; malformed lengths are refused.

use super::error::{Result, WireError};

/// The big-endian word at `i` of a fixed-size option block.
#[inline(always)]
fn be32<const N: usize>(b: &[u8; N], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

const KIND_EOL: u8 = 0;
const KIND_NOP: u8 = 1;
const KIND_MSS: u8 = 2;
const KIND_WSCALE: u8 = 3;
const KIND_SACK_PERMITTED: u8 = 4;
const KIND_TIMESTAMPS: u8 = 8;

/// Largest window shift allowed (RFC 7323 §2.3).
pub const MAX_WSCALE: u8 = 14;

/// A TCP timestamps option (RFC 7323 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Timestamps {
    /// TSval: the sender's clock.
    pub tsval: u32,
    /// TSecr: the echoed peer TSval.
    pub tsecr: u32,
}

/// The options synwave understands. Anything else is skipped on parse and
/// never emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpOptions {
    /// Maximum segment size (only meaningful on SYN).
    pub mss: Option<u16>,
    /// Window scale shift (only meaningful on SYN), as received (may exceed
    /// 14; RFC 7323 §2.3 says to use 14 then).
    pub wscale: Option<u8>,
    /// SACK permitted (only meaningful on SYN).
    pub sack_permitted: bool,
    /// Timestamps.
    pub timestamps: Option<Timestamps>,
}

impl TcpOptions {
    /// The first word of the aligned timestamps layout (RFC 7323
    /// Appendix A): NOP, NOP, kind 8, length 10.
    pub const NOP_NOP_TS: u32 = 0x0101_080a;

    /// Parses the option bytes between the fixed header and the data.
    #[inline(always)]
    pub fn parse(b: &[u8]) -> Result<TcpOptions> {
        // Fast paths for the two layouts that dominate (as Linux's
        // `tcp_parse_aligned_timestamp`): NOP NOP TS on every segment of a
        // timestamped connection, and Linux's SYN (MSS, SACK-permitted+TS,
        // NOP WS).
        if let Ok(b) = <&[u8; 12]>::try_from(b)
            && be32(b, 0) == 0x0101_080a
        {
            let be = |i| be32(b, i);
            return Ok(TcpOptions {
                timestamps: Some(Timestamps {
                    tsval: be(4),
                    tsecr: be(8),
                }),
                ..TcpOptions::default()
            });
        }
        if let Ok(b) = <&[u8; 20]>::try_from(b)
            && be32(b, 0) >> 16 == 0x0204
            && be32(b, 4) == 0x0402_080a
            && be32(b, 16) >> 8 == 0x01_0303
        {
            let be = |i| be32(b, i);
            return Ok(TcpOptions {
                mss: Some(be(0) as u16),
                wscale: Some(b[19]),
                sack_permitted: true,
                timestamps: Some(Timestamps {
                    tsval: be(8),
                    tsecr: be(12),
                }),
            });
        }
        Self::parse_general(b)
    }

    #[inline(never)]
    fn parse_general(mut b: &[u8]) -> Result<TcpOptions> {
        let mut o = TcpOptions::default();
        while let Some(&kind) = b.first() {
            match kind {
                KIND_EOL => break,
                KIND_NOP => {
                    b = &b[1..];
                    continue;
                }
                _ => {}
            }
            let len = match b.get(1) {
                Some(&l) => usize::from(l),
                None => return Err(WireError::BadOption),
            };
            if len < 2 || len > b.len() {
                return Err(WireError::BadOption);
            }
            let body = &b[2..len];
            match kind {
                KIND_MSS => {
                    let [a, c] = *body else {
                        return Err(WireError::BadOption);
                    };
                    o.mss = Some(u16::from_be_bytes([a, c]));
                }
                KIND_WSCALE => {
                    let [s] = *body else {
                        return Err(WireError::BadOption);
                    };
                    o.wscale = Some(s);
                }
                KIND_SACK_PERMITTED => {
                    if !body.is_empty() {
                        return Err(WireError::BadOption);
                    }
                    o.sack_permitted = true;
                }
                KIND_TIMESTAMPS => {
                    let [a0, a1, a2, a3, e0, e1, e2, e3] = *body else {
                        return Err(WireError::BadOption);
                    };
                    o.timestamps = Some(Timestamps {
                        tsval: u32::from_be_bytes([a0, a1, a2, a3]),
                        tsecr: u32::from_be_bytes([e0, e1, e2, e3]),
                    });
                }
                _ => {} // SACK blocks, MD5, TFO, unknown: skipped.
            }
            b = &b[len..];
        }
        Ok(o)
    }

    /// Bytes `emit` writes (a multiple of 4).
    #[inline]
    pub fn len(&self) -> usize {
        let ts_or_sack = match (self.timestamps.is_some(), self.sack_permitted) {
            (true, _) => 12,
            (false, true) => 4,
            (false, false) => 0,
        };
        4 * usize::from(self.mss.is_some()) + ts_or_sack + 4 * usize::from(self.wscale.is_some())
    }

    /// No option is set.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The options as big-endian 32-bit words in Linux's order and padding
    /// (MSS; SACK-permitted packed with timestamps, or NOP NOP before
    /// either; NOP before window scale), how many words are used, and their
    /// sum for the checksum (accumulated from the values, so the caller
    /// never re-reads the freshly written array with wide loads).
    #[inline]
    pub fn words(&self) -> ([u32; 10], usize, u64) {
        let mut w = [0u32; 10];
        let mut n = 0;
        let mut sum = 0u64;
        let mut push = |word: u32| {
            w[n] = word;
            n += 1;
            sum += u64::from(word);
        };
        if let Some(mss) = self.mss {
            push(0x0204_0000 | u32::from(mss));
        }
        match (self.timestamps, self.sack_permitted) {
            (Some(ts), sack) => {
                push(if sack { 0x0402_080a } else { 0x0101_080a });
                push(ts.tsval);
                push(ts.tsecr);
            }
            (None, true) => push(0x0101_0402),
            (None, false) => {}
        }
        if let Some(ws) = self.wscale {
            push(0x0103_0300 | u32::from(ws));
        }
        (w, n, sum)
    }

    /// Writes the options (see `words`). Returns the length, or `Truncated`
    /// if `buf` is short.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let (w, n, _) = self.words();
        if buf.len() < n * 4 {
            return Err(WireError::Truncated);
        }
        for (chunk, word) in buf.chunks_exact_mut(4).zip(&w[..n]) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        Ok(n * 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options of a Linux 6.x SYN: mss 1460, sackOK, TS val 1 ecr 0, nop,
    /// wscale 7.
    const LINUX_SYN: [u8; 20] = [
        2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];

    #[test]
    fn parse_linux_syn() {
        let o = TcpOptions::parse(&LINUX_SYN).unwrap();
        assert_eq!(o.mss, Some(1460));
        assert!(o.sack_permitted);
        assert_eq!(o.timestamps, Some(Timestamps { tsval: 1, tsecr: 0 }));
        assert_eq!(o.wscale, Some(7));
    }

    #[test]
    fn emit_is_linux_layout() {
        let o = TcpOptions::parse(&LINUX_SYN).unwrap();
        let mut out = [0u8; 40];
        let n = o.emit(&mut out).unwrap();
        assert_eq!(n, 20);
        assert_eq!(&out[..n], &LINUX_SYN[..]);
        assert_eq!(TcpOptions::parse(&out[..n]).unwrap(), o);
    }

    #[test]
    fn emit_variants_roundtrip() {
        for mss in [None, Some(536)] {
            for ws in [None, Some(0), Some(14)] {
                for sack in [false, true] {
                    for ts in [None, Some(Timestamps { tsval: 7, tsecr: 9 })] {
                        let o = TcpOptions {
                            mss,
                            wscale: ws,
                            sack_permitted: sack,
                            timestamps: ts,
                        };
                        let mut out = [0u8; 40];
                        let n = o.emit(&mut out).unwrap();
                        assert_eq!(n % 4, 0);
                        assert_eq!(n, o.len());
                        assert_eq!(TcpOptions::parse(&out[..n]).unwrap(), o);
                    }
                }
            }
        }
    }

    #[test]
    fn nop_eol_unknown_and_sack_blocks_skipped() {
        // NOP, unknown kind 30 len 4, SACK block (kind 5 len 10), MSS, EOL, junk.
        let b = [
            1, 30, 4, 0xaa, 0xbb, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 2, 4, 0x02, 0x18, 0, 0xff, 0xff,
        ];
        let o = TcpOptions::parse(&b).unwrap();
        assert_eq!(o.mss, Some(536));
        assert!(o.timestamps.is_none());
    }

    #[test]
    fn fast_paths_agree_with_general_parser() {
        let ts_only = [1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 9];
        for b in [&LINUX_SYN[..], &ts_only[..]] {
            assert_eq!(TcpOptions::parse(b), TcpOptions::parse_general(b));
        }
        // Near misses of the fast layouts fall back to the general parser.
        let mut bad = LINUX_SYN;
        bad[17] = 3;
        bad[18] = 2; // window scale with length 2
        assert_eq!(TcpOptions::parse(&bad), Err(WireError::BadOption));
    }

    #[test]
    fn bad_lengths_rejected() {
        // Zero length, length one, past the end, wrong fixed sizes, lone kind.
        for b in [
            &[30u8, 0][..],
            &[30, 1],
            &[30, 5, 0],
            &[2, 3, 0],
            &[2, 5, 0, 0, 0],
            &[3, 4, 0, 0],
            &[4, 3, 0],
            &[8, 9, 0, 0, 0, 0, 0, 0, 0],
            &[2],
        ] {
            assert_eq!(TcpOptions::parse(b), Err(WireError::BadOption), "{b:?}");
        }
    }
}

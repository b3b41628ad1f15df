//! TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018): MSS, window scale,
//! SACK-permitted, timestamps, NOP and EOL. SACK blocks and unknown options
//! are skipped by their length; malformed lengths are refused.

use super::error::{Result, WireError};

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
    /// Parses the option bytes between the fixed header and the data.
    pub fn parse(mut b: &[u8]) -> Result<TcpOptions> {
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
        let mut n = 0;
        if self.mss.is_some() {
            n += 4;
        }
        if self.timestamps.is_some() || self.sack_permitted {
            n += if self.timestamps.is_some() { 12 } else { 4 };
        }
        if self.wscale.is_some() {
            n += 4;
        }
        n
    }

    /// No option is set.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the options in Linux's order and padding (MSS; SACK-permitted
    /// packed with timestamps, or NOP NOP before either; NOP before window
    /// scale). Returns the length, or `Truncated` if `buf` is short.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.len();
        if buf.len() < len {
            return Err(WireError::Truncated);
        }
        let mut i = 0;
        if let Some(mss) = self.mss {
            let m = mss.to_be_bytes();
            buf[..4].copy_from_slice(&[KIND_MSS, 4, m[0], m[1]]);
            i = 4;
        }
        match (self.timestamps, self.sack_permitted) {
            (Some(ts), sack) => {
                let head = if sack {
                    [KIND_SACK_PERMITTED, 2]
                } else {
                    [KIND_NOP, KIND_NOP]
                };
                buf[i..i + 2].copy_from_slice(&head);
                buf[i + 2] = KIND_TIMESTAMPS;
                buf[i + 3] = 10;
                buf[i + 4..i + 8].copy_from_slice(&ts.tsval.to_be_bytes());
                buf[i + 8..i + 12].copy_from_slice(&ts.tsecr.to_be_bytes());
                i += 12;
            }
            (None, true) => {
                buf[i..i + 4].copy_from_slice(&[KIND_NOP, KIND_NOP, KIND_SACK_PERMITTED, 2]);
                i += 4;
            }
            (None, false) => {}
        }
        if let Some(ws) = self.wscale {
            buf[i..i + 4].copy_from_slice(&[KIND_NOP, KIND_WSCALE, 3, ws]);
            i += 4;
        }
        Ok(i)
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

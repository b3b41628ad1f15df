//! The options a SYN cookie keeps through our TSval (Linux's
//! `cookie_init_timestamp`): window scale, SACK-permitted and ECN in the
//! low 6 bits of the TSval of the cookie SYN-ACK, read back from the ACK's
//! TSecr.
//!
//! Rules: the TSval is rounded down, never ahead of the clock.

use crate::wire::MAX_WSCALE;

/// Bits of TSval that carry options.
const TS_BITS: u32 = 6;
const TS_WSCALE_MASK: u32 = 0x0f;
const TS_SACK: u32 = 1 << 4;
const TS_ECN: u32 = 1 << 5;

/// The options a cookie keeps through the TSval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CookieOptions {
    /// The peer's window scale shift, if it offered one.
    pub wscale: Option<u8>,
    /// SACK permitted.
    pub sack: bool,
    /// ECN negotiated.
    pub ecn: bool,
}

/// Our TSval for a cookie SYN-ACK: the clock `ts_now` rounded down so that
/// its low 6 bits carry `opts`, never ahead of the clock (Linux
/// `cookie_init_timestamp`).
#[inline]
pub fn encode_ts_options(ts_now: u32, opts: CookieOptions) -> u32 {
    let mut bits = match opts.wscale {
        Some(ws) => u32::from(ws.min(MAX_WSCALE)),
        None => TS_WSCALE_MASK,
    };
    if opts.sack {
        bits |= TS_SACK;
    }
    if opts.ecn {
        bits |= TS_ECN;
    }
    let mut ts = ((ts_now >> TS_BITS) << TS_BITS) | bits;
    if ts > ts_now {
        ts = ts.wrapping_sub(1 << TS_BITS);
    }
    ts
}

/// The options stored by `encode_ts_options`, read from an ACK's TSecr.
#[inline]
pub fn decode_ts_options(tsecr: u32) -> CookieOptions {
    let ws = tsecr & TS_WSCALE_MASK;
    CookieOptions {
        wscale: (ws != TS_WSCALE_MASK).then(|| (ws as u8).min(MAX_WSCALE)),
        sack: tsecr & TS_SACK != 0,
        ecn: tsecr & TS_ECN != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_options_roundtrip() {
        for ws in [None, Some(0), Some(7), Some(14)] {
            for sack in [false, true] {
                for ecn in [false, true] {
                    let o = CookieOptions {
                        wscale: ws,
                        sack,
                        ecn,
                    };
                    for now in [0u32, 63, 64, 1_000_003, u32::MAX] {
                        let ts = encode_ts_options(now, o);
                        assert!(ts <= now || now < 64, "ts {ts} ahead of {now}");
                        assert!(now.wrapping_sub(ts) < 128);
                        assert_eq!(decode_ts_options(ts), o);
                    }
                }
            }
        }
    }

    #[test]
    fn linux_ts_layout() {
        // wscale 7, SACK, no ECN → low bits 0b01_0111 = 0x17.
        let ts = encode_ts_options(
            0x1000_0040,
            CookieOptions {
                wscale: Some(7),
                sack: true,
                ecn: false,
            },
        );
        assert_eq!(ts, 0x1000_0017);
        // No window scale → 0xf.
        let ts = encode_ts_options(0x1000_0040, CookieOptions::default());
        assert_eq!(ts, 0x1000_000f);
    }
}

//! TCP segments (RFC 9293 §3.1): a checked view, flags, and the plain
//! `TcpRepr` with `parse` and `emit` (header, options, payload, checksum).

use super::checksum;
use super::checksum::PseudoHeader;
use super::error::{Result, WireError};
use super::seq::SeqNum;
use super::tcp_options::TcpOptions;

/// Length of a TCP header without options.
pub const HEADER_LEN: usize = 20;
/// Longest TCP header (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;

/// The control bits of a TCP header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: TcpFlags = TcpFlags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x02);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x04);
    /// Push function.
    pub const PSH: TcpFlags = TcpFlags(0x08);
    /// Acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x10);
    /// Urgent pointer field is significant.
    pub const URG: TcpFlags = TcpFlags(0x20);
    /// ECN-Echo (RFC 3168).
    pub const ECE: TcpFlags = TcpFlags(0x40);
    /// Congestion window reduced (RFC 3168).
    pub const CWR: TcpFlags = TcpFlags(0x80);

    /// All bits of `other` are set.
    #[inline]
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Any bit of `other` is set.
    #[inline]
    pub fn intersects(self, other: TcpFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// SYN set.
    #[inline]
    pub fn syn(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// ACK set.
    #[inline]
    pub fn ack(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// FIN set.
    #[inline]
    pub fn fin(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// RST set.
    #[inline]
    pub fn rst(self) -> bool {
        self.0 & 0x04 != 0
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    #[inline]
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for TcpFlags {
    #[inline]
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        self.0 |= rhs.0;
    }
}

impl core::fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        const NAMES: [&str; 8] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
        let mut first = true;
        for (i, n) in NAMES.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(n)?;
                first = false;
            }
        }
        if first {
            f.write_str("-")?;
        }
        Ok(())
    }
}

/// A checked view of a TCP segment (header, options and data).
#[derive(Debug)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buf: T,
    header_len: usize,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Validates the fixed header and the data offset.
    #[inline]
    pub fn new_checked(buf: T) -> Result<Self> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let header_len = usize::from(b[12] >> 4) * 4;
        if header_len < HEADER_LEN || header_len > b.len() {
            return Err(WireError::BadDataOffset);
        }
        Ok(TcpPacket { buf, header_len })
    }

    #[inline(always)]
    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }

    /// Source port.
    #[inline(always)]
    pub fn src_port(&self) -> u16 {
        u16::from_be_bytes([self.b()[0], self.b()[1]])
    }
    /// Destination port.
    #[inline(always)]
    pub fn dst_port(&self) -> u16 {
        u16::from_be_bytes([self.b()[2], self.b()[3]])
    }
    /// Sequence number.
    #[inline(always)]
    pub fn seq(&self) -> SeqNum {
        let b = self.b();
        SeqNum(u32::from_be_bytes([b[4], b[5], b[6], b[7]]))
    }
    /// Acknowledgment number.
    #[inline(always)]
    pub fn ack(&self) -> SeqNum {
        let b = self.b();
        SeqNum(u32::from_be_bytes([b[8], b[9], b[10], b[11]]))
    }
    /// Header length including options.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// Control bits.
    #[inline(always)]
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.b()[13])
    }
    /// Window field (unscaled).
    #[inline(always)]
    pub fn window(&self) -> u16 {
        u16::from_be_bytes([self.b()[14], self.b()[15]])
    }
    /// Checksum field.
    #[inline(always)]
    pub fn checksum_field(&self) -> u16 {
        u16::from_be_bytes([self.b()[16], self.b()[17]])
    }
    /// Option bytes.
    #[inline(always)]
    pub fn options(&self) -> &[u8] {
        &self.b()[HEADER_LEN..self.header_len]
    }
    /// Data bytes.
    #[inline(always)]
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len..]
    }
    /// The checksum verifies over the pseudo-header and the whole segment.
    #[inline(always)]
    pub fn verify_checksum<A: PseudoHeader>(&self, src: A, dst: A) -> bool {
        let b = self.b();
        if b.len() > 0xffff {
            return false;
        }
        let acc = A::pseudo_header(src, dst, b.len());
        checksum::finish(checksum::sum(acc, b)) == 0
    }
}

/// Parsed TCP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: SeqNum,
    /// Acknowledgment number (meaningful when ACK is set).
    pub ack: SeqNum,
    /// Control bits.
    pub flags: TcpFlags,
    /// Window field (unscaled).
    pub window: u16,
    /// Options.
    pub options: TcpOptions,
}

impl TcpRepr {
    /// Parses a checked segment, including its options.
    #[inline(always)]
    pub fn parse<T: AsRef<[u8]>>(p: &TcpPacket<T>) -> Result<TcpRepr> {
        Ok(TcpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq: p.seq(),
            ack: p.ack(),
            flags: p.flags(),
            window: p.window(),
            options: TcpOptions::parse(p.options())?,
        })
    }

    /// Header length `emit` writes (20 + options).
    #[inline]
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes header, options and `payload` into `buf` and fills in the
    /// checksum for the given addresses. Returns the segment length.
    ///
    /// The checksum is summed from the values being written and from
    /// `payload` itself, never read back from `buf`: reading freshly
    /// written bytes with wider loads stalls store forwarding.
    #[inline]
    pub fn emit<A: PseudoHeader>(
        &self,
        buf: &mut [u8],
        src: A,
        dst: A,
        payload: &[u8],
    ) -> Result<usize> {
        // Every segment of a timestamped connection after the handshake
        // carries NOP NOP TS alone, and a connection without timestamps no
        // options: those two layouts are written with their length known
        // at compile time; the rest through the general word list.
        let o = &self.options;
        if o.mss.is_none() && o.wscale.is_none() && !o.sack_permitted {
            return match o.timestamps {
                Some(ts) => {
                    let words = [TcpOptions::NOP_NOP_TS, ts.tsval, ts.tsecr];
                    let sum = words.iter().map(|&w| u64::from(w)).sum();
                    self.emit_with(buf, src, dst, payload, &words, sum)
                }
                None => self.emit_with(buf, src, dst, payload, &[], 0),
            };
        }
        let (opt, n_opt, opt_sum) = self.options.words();
        self.emit_with(buf, src, dst, payload, &opt[..n_opt], opt_sum)
    }

    /// `emit` with the option words (and their sum) given.
    #[inline(always)]
    fn emit_with<A: PseudoHeader>(
        &self,
        buf: &mut [u8],
        src: A,
        dst: A,
        payload: &[u8],
        opt: &[u32],
        opt_sum: u64,
    ) -> Result<usize> {
        let n_opt = opt.len();
        let hl = HEADER_LEN + 4 * n_opt;
        let total = hl + payload.len();
        if buf.len() < total || total > 0xffff {
            return Err(WireError::Truncated);
        }
        // The ports are used as two 16-bit values, never combined into one
        // word: the compiler would load that word with one 32-bit load over
        // two 16-bit stores (a store-forwarding stall when `self` was just
        // built).
        let words = [
            self.seq.0,
            self.ack.0,
            (((hl as u32 / 4) << 28) | (u32::from(self.flags.0) << 16)) | u32::from(self.window),
        ];
        let mut acc = A::pseudo_header(src, dst, total);
        // A 32-bit word adds as its two 16-bit halves once folded
        // (2^16 ≡ 1 mod 2^16 − 1).
        // Scalar adds of the values: summing the array would let the compiler
        // load it back with one wide load (a store-forwarding stall).
        let [w1, w2, w3] = words;
        acc += u64::from(self.src_port) + u64::from(self.dst_port);
        acc += u64::from(w1) + u64::from(w2) + u64::from(w3);
        acc += opt_sum;
        if !payload.is_empty() {
            acc = checksum::sum(acc, payload);
        }
        let c = checksum::finish(acc);
        let (head, rest) = buf[..total].split_at_mut(HEADER_LEN);
        let head: &mut [u8; HEADER_LEN] = head.try_into().map_err(|_| WireError::Truncated)?;
        head[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        head[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        head[4..8].copy_from_slice(&w1.to_be_bytes());
        head[8..12].copy_from_slice(&w2.to_be_bytes());
        head[12..16].copy_from_slice(&w3.to_be_bytes());
        head[16..20].copy_from_slice(&(u32::from(c) << 16).to_be_bytes());
        let (opts, data) = rest.split_at_mut(4 * n_opt);
        for (chunk, w) in opts.chunks_exact_mut(4).zip(opt) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        if !payload.is_empty() {
            data.copy_from_slice(payload);
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ipv4::PROTO_TCP;
    use super::super::tcp_options::Timestamps;
    use super::*;

    /// A SYN laid out as a Linux 6.x client sends it, 10.0.0.1:40000 →
    /// 10.0.0.2:80 (the checksum is filled in by `with_checksum`).
    pub(crate) const LINUX_SYN: [u8; 40] = [
        0x9c, 0x40, 0x00, 0x50, 0x3a, 0x5b, 0x1c, 0x0d, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
        0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    ];
    const SRC: [u8; 4] = [10, 0, 0, 1];
    const DST: [u8; 4] = [10, 0, 0, 2];

    fn with_checksum(mut seg: [u8; 40]) -> [u8; 40] {
        let acc = checksum::pseudo_header_v4(SRC, DST, PROTO_TCP, 40);
        let c = checksum::finish(checksum::sum(acc, &seg));
        seg[16..18].copy_from_slice(&c.to_be_bytes());
        seg
    }

    #[test]
    fn parse_syn() {
        let seg = with_checksum(LINUX_SYN);
        let p = TcpPacket::new_checked(&seg[..]).unwrap();
        assert!(p.verify_checksum(SRC, DST));
        assert!(!p.verify_checksum(DST, [10, 0, 0, 3]));
        let r = TcpRepr::parse(&p).unwrap();
        assert_eq!(r.src_port, 40000);
        assert_eq!(r.dst_port, 80);
        assert_eq!(r.seq, SeqNum(0x3a5b1c0d));
        assert_eq!(r.flags, TcpFlags::SYN);
        assert_eq!(r.window, 64240);
        assert_eq!(r.options.mss, Some(1460));
        assert_eq!(r.options.wscale, Some(7));
        assert!(r.options.sack_permitted);
        assert_eq!(
            r.options.timestamps,
            Some(Timestamps {
                tsval: 0x00010203,
                tsecr: 0
            })
        );
        assert!(p.payload().is_empty());
    }

    #[test]
    fn emit_reproduces_capture() {
        let seg = with_checksum(LINUX_SYN);
        let r = TcpRepr::parse(&TcpPacket::new_checked(&seg[..]).unwrap()).unwrap();
        let mut out = [0u8; 60];
        let n = r.emit(&mut out, SRC, DST, &[]).unwrap();
        assert_eq!(&out[..n], &seg[..]);
    }

    /// The two layouts written with a fixed length (no options; NOP NOP
    /// TS alone) give the bytes of the general option writer, and verify.
    #[test]
    fn fixed_layouts_match_the_general_option_writer() {
        for timestamps in [
            None,
            Some(Timestamps {
                tsval: 7,
                tsecr: 0xfeed_beef,
            }),
        ] {
            let r = TcpRepr {
                src_port: 80,
                dst_port: 40000,
                seq: SeqNum(1),
                ack: SeqNum(2),
                flags: TcpFlags::ACK | TcpFlags::FIN,
                window: 502,
                options: TcpOptions {
                    timestamps,
                    ..TcpOptions::default()
                },
            };
            let mut out = [0u8; 64];
            let n = r.emit(&mut out, DST, SRC, b"abc").unwrap();
            let mut opts = [0u8; 40];
            let k = r.options.emit(&mut opts).unwrap();
            assert_eq!(n, HEADER_LEN + k + 3);
            assert_eq!(&out[HEADER_LEN..HEADER_LEN + k], &opts[..k]);
            let p = TcpPacket::new_checked(&out[..n]).unwrap();
            assert!(p.verify_checksum(DST, SRC));
            assert_eq!(TcpRepr::parse(&p).unwrap(), r);
        }
    }

    #[test]
    fn emit_with_payload_verifies() {
        let r = TcpRepr {
            src_port: 80,
            dst_port: 40000,
            seq: SeqNum(1),
            ack: SeqNum(2),
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 502,
            options: Default::default(),
        };
        let mut out = [0u8; 64];
        let n = r.emit(&mut out, DST, SRC, b"hello").unwrap();
        assert_eq!(n, 25);
        let p = TcpPacket::new_checked(&out[..n]).unwrap();
        assert!(p.verify_checksum(DST, SRC));
        assert_eq!(p.payload(), b"hello");
        assert_eq!(TcpRepr::parse(&p).unwrap(), r);
    }

    #[test]
    fn bad_data_offset_rejected() {
        let mut seg = LINUX_SYN;
        seg[12] = 0x40;
        assert_eq!(
            TcpPacket::new_checked(&seg[..]).unwrap_err(),
            WireError::BadDataOffset
        );
        seg[12] = 0xf0;
        assert_eq!(
            TcpPacket::new_checked(&seg[..]).unwrap_err(),
            WireError::BadDataOffset
        );
        assert_eq!(
            TcpPacket::new_checked(&seg[..19]).unwrap_err(),
            WireError::Truncated
        );
    }

    #[test]
    fn flags_debug() {
        assert_eq!(format!("{:?}", TcpFlags::SYN | TcpFlags::ACK), "SYN|ACK");
        assert_eq!(format!("{:?}", TcpFlags(0)), "-");
    }
}

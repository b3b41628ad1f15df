//! The XDP program synwave attaches, as raw eBPF instructions (no clang):
//! frames for synwave — ARP whose target address is one of ours, IPv4 TCP
//! to one of our addresses, IPv6 TCP to one of our IPv6 addresses (no
//! extension header), ICMPv6 Neighbor Solicitations whose target is ours
//! and Neighbor Advertisements sent to us (RFC 4861 §4.3, §4.4) — are
//! redirected into the AF_XDP socket of
//! the queue they arrived on (an XSKMAP keyed by rx queue index); every
//! other frame is passed to the kernel, so the host keeps working on the
//! interface. Without a VLAN, frames with a VLAN tag are passed too; with
//! one (`--vlan ID`), only frames tagged with that VLAN id (one 802.1Q
//! tag) are ours, and untagged frames or other tags go to the kernel.
//!
//! Rules: every packet read is preceded by a bounds check against
//! `data_end` (the verifier refuses the program otherwise); an IPv4
//! address, and the last 32 bits of an IPv6 one, are compared in host
//! order after a byte swap, as one range `[first, first + count)`; the
//! first 96 bits of an IPv6 address are compared word by word (32-bit
//! compares: JMP32, Linux 5.1).

/// `XDP_PASS`.
const XDP_PASS: i32 = 2;
/// `bpf_redirect_map`.
const HELPER_REDIRECT_MAP: i32 = 51;

use super::addresses::{AddressRange, Ours};
use crate::wire::V6;

// Registers.
const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R4: u8 = 4;
const R5: u8 = 5;
const R6: u8 = 6;

/// A jump target, resolved when the program is finished.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Label {
    Pass,
    Arp,
    V4,
    V6,
    NsTarget,
    V6Dst,
    Redirect,
}

/// A tiny assembler: instructions with symbolic jump targets.
struct Asm {
    insns: Vec<(u8, u8, u8, i16, i32, Option<Label>)>,
    labels: Vec<(Label, usize)>,
}

impl Asm {
    fn new() -> Asm {
        Asm {
            insns: Vec::new(),
            labels: Vec::new(),
        }
    }
    fn raw(&mut self, code: u8, dst: u8, src: u8, off: i16, imm: i32) {
        self.insns.push((code, dst, src, off, imm, None));
    }
    fn jump(&mut self, code: u8, dst: u8, src: u8, imm: i32, to: Label) {
        self.insns.push((code, dst, src, 0, imm, Some(to)));
    }
    fn label(&mut self, l: Label) {
        self.labels.push((l, self.insns.len()));
    }
    /// `dst = *(u32 *)(src + off)` and the like (`size`: 0x00 W, 0x08 H,
    /// 0x10 B).
    fn load(&mut self, size: u8, dst: u8, src: u8, off: i16) {
        self.raw(0x61 | size, dst, src, off, 0);
    }
    fn finish(self) -> Vec<u64> {
        let at = |l: Label| {
            self.labels
                .iter()
                .find(|(x, _)| *x == l)
                .map(|(_, i)| *i)
                .expect("every jump target is placed")
        };
        self.insns
            .iter()
            .enumerate()
            .map(|(i, &(code, dst, src, off, imm, to))| {
                let off = match to {
                    Some(l) => (at(l) as i64 - i as i64 - 1) as i16,
                    None => off,
                };
                encode(code, dst, src, off, imm)
            })
            .collect()
    }
}

/// One instruction as the kernel reads it: opcode, registers (src in the
/// high nibble), offset, immediate, little-endian on x86_64 and arm64.
fn encode(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    let mut b = [0u8; 8];
    b[0] = code;
    b[1] = (src << 4) | (dst & 0x0f);
    b[2..4].copy_from_slice(&off.to_ne_bytes());
    b[4..8].copy_from_slice(&imm.to_ne_bytes());
    u64::from_ne_bytes(b)
}

// Opcodes (include/uapi/linux/bpf.h, bpf_common.h).
const LDX_W: u8 = 0x00;
const LDX_H: u8 = 0x08;
const LDX_B: u8 = 0x10;
const MOV64_X: u8 = 0xbf;
const MOV64_K: u8 = 0xb7;
const ADD64_K: u8 = 0x07;
const SUB32_K: u8 = 0x14;
const END_TO_BE: u8 = 0xdc;
const JGT_X: u8 = 0x2d;
const JGT_K: u8 = 0x25;
const JEQ_K: u8 = 0x15;
const JNE_K: u8 = 0x55;
/// `BPF_JMP32 | BPF_JNE | BPF_K`: compares the low 32 bits.
const JNE32_K: u8 = 0x56;
const JA: u8 = 0x05;
const CALL: u8 = 0x85;
const EXIT: u8 = 0x95;
const LD_IMM64: u8 = 0x18;
/// `BPF_PSEUDO_MAP_FD`: the 64-bit immediate is a map file descriptor.
const PSEUDO_MAP_FD: u8 = 1;

const AND64_K: u8 = 0x57;

/// Frame offsets (after an Ethernet header of `l2` bytes).
const ETHERTYPE: i16 = 12;
const VLAN_TCI: i16 = 14;
const IP_PROTO: i16 = 9;
const IP_DST: i16 = 16;
const ARP_TARGET_IP: i16 = 24;
const IP6_NEXT_HEADER: i16 = 6;
const IP6_DST: i16 = 24;
const ICMP6_TYPE: i16 = 40;
const ND_TARGET: i16 = 48;
/// ICMPv6 Neighbor Solicitation and Advertisement (RFC 4861 §4.3, §4.4).
const ICMP6_NS: i32 = 135;
const ICMP6_NA: i32 = 136;
/// IPv6 header, ICMPv6 header and the target address.
const ND_LEN: i16 = 40 + 24;
/// Ethertypes as a little-endian 16-bit load of their big-endian bytes.
const ETH_IPV4_LE: i32 = 0x0008;
const ETH_ARP_LE: i32 = 0x0608;
const ETH_VLAN_LE: i32 = 0x0081;
const ETH_IPV6_LE: i32 = 0xdd86;

/// The filter-and-redirect program for `ours` (on VLAN `vlan`, or
/// untagged), redirecting into the XSKMAP whose file descriptor is
/// `xskmap_fd`.
pub fn redirect_program(ours: &Ours, vlan: Option<u16>, xskmap_fd: i32) -> Vec<u64> {
    // The Ethernet header: 14 bytes, 18 with the tag.
    let l2: i16 = if vlan.is_some() { 18 } else { 14 };
    let mut a = Asm::new();
    a.raw(MOV64_X, R6, R1, 0, 0); // r6 = ctx
    a.load(LDX_W, R2, R1, 0); // r2 = ctx->data
    a.load(LDX_W, R3, R1, 4); // r3 = ctx->data_end
    bounds(&mut a, l2);
    if let Some(id) = vlan {
        // One 802.1Q tag whose VLAN id (the TCI's low 12 bits) is ours.
        a.load(LDX_H, R5, R2, ETHERTYPE);
        a.jump(JNE_K, R5, 0, ETH_VLAN_LE, Label::Pass);
        a.load(LDX_H, R5, R2, VLAN_TCI);
        a.raw(END_TO_BE, R5, 0, 0, 16);
        a.raw(AND64_K, R5, 0, 0, 0x0fff);
        a.jump(JNE_K, R5, 0, i32::from(id & 0x0fff), Label::Pass);
    }
    a.load(LDX_H, R5, R2, l2 - 2);
    if ours.v4.is_some() {
        a.jump(JEQ_K, R5, 0, ETH_ARP_LE, Label::Arp);
        a.jump(JEQ_K, R5, 0, ETH_IPV4_LE, Label::V4);
    }
    if ours.v6.is_some() {
        a.jump(JEQ_K, R5, 0, ETH_IPV6_LE, Label::V6);
    }
    a.jump(JA, 0, 0, 0, Label::Pass);
    if let Some(r) = ours.v4 {
        let (first, last_offset) = (u32::from_be_bytes(r.first) as i32, last_offset(r.count));
        a.label(Label::V4);
        bounds(&mut a, l2 + 20); // Ethernet + IPv4 header
        a.load(LDX_B, R5, R2, l2 + IP_PROTO);
        a.jump(JNE_K, R5, 0, 6, Label::Pass); // TCP
        a.load(LDX_W, R5, R2, l2 + IP_DST);
        in_range(&mut a, first, last_offset);
        a.jump(JA, 0, 0, 0, Label::Redirect);
        a.label(Label::Arp);
        bounds(&mut a, l2 + 28); // Ethernet + ARP for IPv4
        a.load(LDX_W, R5, R2, l2 + ARP_TARGET_IP);
        in_range(&mut a, first, last_offset);
        a.jump(JA, 0, 0, 0, Label::Redirect);
    }
    if let Some(r) = ours.v6 {
        a.label(Label::V6);
        bounds(&mut a, l2 + 40); // Ethernet + IPv6 header
        a.load(LDX_B, R5, R2, l2 + IP6_NEXT_HEADER);
        a.jump(JEQ_K, R5, 0, 6, Label::V6Dst); // TCP
        a.jump(JNE_K, R5, 0, 58, Label::Pass); // ICMPv6
        bounds(&mut a, l2 + ND_LEN);
        a.load(LDX_B, R5, R2, l2 + ICMP6_TYPE);
        a.jump(JEQ_K, R5, 0, ICMP6_NA, Label::V6Dst);
        a.jump(JNE_K, R5, 0, ICMP6_NS, Label::Pass);
        a.label(Label::NsTarget);
        v6_in_range(&mut a, l2 + ND_TARGET, &r);
        a.jump(JA, 0, 0, 0, Label::Redirect);
        a.label(Label::V6Dst);
        v6_in_range(&mut a, l2 + IP6_DST, &r);
    }
    a.label(Label::Redirect);
    a.load(LDX_W, R2, R6, 16); // r2 = ctx->rx_queue_index
    a.raw(LD_IMM64, R1, PSEUDO_MAP_FD, 0, xskmap_fd);
    a.raw(0, 0, 0, 0, 0);
    a.raw(MOV64_K, R3, 0, 0, XDP_PASS); // no socket at that slot: pass
    a.raw(CALL, 0, 0, 0, HELPER_REDIRECT_MAP);
    a.raw(EXIT, 0, 0, 0, 0);
    a.label(Label::Pass);
    a.raw(MOV64_K, R0, 0, 0, XDP_PASS);
    a.raw(EXIT, 0, 0, 0, 0);
    a.finish()
}

/// The largest offset from the first address of a range of `count`.
fn last_offset(count: u32) -> i64 {
    i64::from(count.clamp(1, 1 << 31)) - 1
}

/// Jumps to `Pass` unless the frame (r2) holds `len` bytes: r4 = r2 + len,
/// compared with `data_end` (r3).
fn bounds(a: &mut Asm, len: i16) {
    a.raw(MOV64_X, R4, R2, 0, 0);
    a.raw(ADD64_K, R4, 0, 0, i32::from(len));
    a.jump(JGT_X, R4, R3, 0, Label::Pass);
}

/// Jumps to `Pass` unless the IPv6 address at frame offset `off` lies in
/// `r`: its first three words equal `r.first`'s (as loaded, so compared
/// in the load's byte order), its last word in range.
fn v6_in_range(a: &mut Asm, off: i16, r: &AddressRange<V6>) {
    for k in 0..3 {
        let at = 4 * k;
        let word = &r.first[at..at + 4];
        let imm = i32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        a.load(LDX_W, R5, R2, off + at as i16);
        a.jump(JNE32_K, R5, 0, imm, Label::Pass);
    }
    a.load(LDX_W, R5, R2, off + 12);
    in_range(a, r.first_low() as i32, last_offset(r.count));
}

/// A program that passes every frame (for probing whether an interface
/// takes an XDP program in a mode).
pub fn pass_program() -> Vec<u64> {
    vec![
        encode(MOV64_K, R0, 0, 0, XDP_PASS),
        encode(EXIT, 0, 0, 0, 0),
    ]
}

/// Jumps to `Pass` unless r5 (an address as loaded, network order) lies
/// in `[first, first + last_offset]`: swapped to host order, `first`
/// subtracted in 32-bit arithmetic (wrapping; the upper half zeroed), then
/// one unsigned compare.
fn in_range(a: &mut Asm, first: i32, last_offset: i64) {
    a.raw(END_TO_BE, R5, 0, 0, 32);
    a.raw(SUB32_K, R5, 0, 0, first);
    a.jump(JGT_K, R5, 0, last_offset as i32, Label::Pass);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(insn: u64) -> (u8, u8, u8, i16, i32) {
        let b = insn.to_ne_bytes();
        (
            b[0],
            b[1] & 0x0f,
            b[1] >> 4,
            i16::from_ne_bytes([b[2], b[3]]),
            i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        )
    }

    /// IPv4 only, IPv6 only, both.
    fn each_ours() -> [Ours; 3] {
        let v4 = AddressRange {
            first: [10, 0, 0, 1],
            count: 1,
        };
        let v6 = AddressRange {
            first: "fd00::1".parse::<std::net::Ipv6Addr>().unwrap().octets(),
            count: 1,
        };
        [
            Ours::v4(v4),
            Ours::v6(v6),
            Ours {
                v4: Some(v4),
                v6: Some(v6),
            },
        ]
    }

    #[test]
    fn jumps_land_inside_the_program_and_it_ends_in_exit() {
        for ours in each_ours() {
            for vlan in [None, Some(100)] {
                jumps_are_forward_and_inside(&redirect_program(&ours, vlan, 7));
            }
        }
        // Its length (docs/afxdp.md): IPv4, IPv6, both, untagged.
        let lengths = each_ours().map(|o| redirect_program(&o, None, 7).len());
        assert_eq!(lengths, [36, 50, 70]);
    }

    fn jumps_are_forward_and_inside(p: &[u64]) {
        let n = p.len() as i64;
        for (i, &insn) in p.iter().enumerate() {
            let (code, ..) = fields(insn);
            if matches!(code & 0x07, 0x05 | 0x06) && code != CALL && code != EXIT {
                let (_, _, _, off, _) = fields(insn);
                let to = i as i64 + 1 + off as i64;
                assert!((0..n).contains(&to), "jump at {i} to {to}");
                assert!(off >= 0, "no backward jumps: the verifier wants a DAG");
            }
        }
        assert_eq!(fields(*p.last().unwrap()).0, EXIT);
    }

    #[test]
    fn the_map_fd_and_the_address_range_are_encoded() {
        let p = redirect_program(
            &Ours::v4(AddressRange {
                first: [192, 168, 1, 10],
                count: 4,
            }),
            None,
            42,
        );
        let ld = p
            .iter()
            .map(|&i| fields(i))
            .find(|f| f.0 == LD_IMM64)
            .unwrap();
        assert_eq!((ld.1, ld.2, ld.4), (R1, PSEUDO_MAP_FD, 42));
        let subs: Vec<i32> = p
            .iter()
            .map(|&i| fields(i))
            .filter(|f| f.0 == SUB32_K)
            .map(|f| f.4)
            .collect();
        assert_eq!(subs, vec![0xC0A8_010A_u32 as i32; 2]);
        let bounds: Vec<i32> = p
            .iter()
            .map(|&i| fields(i))
            .filter(|f| f.0 == JGT_K)
            .map(|f| f.4)
            .collect();
        assert_eq!(bounds, vec![3, 3]);
    }

    #[test]
    fn a_vlan_is_matched_on_its_tag_and_offsets_move_past_it() {
        let ours = Ours::v4(AddressRange {
            first: [10, 0, 0, 1],
            count: 1,
        });
        let plain: Vec<_> = redirect_program(&ours, None, 3)
            .into_iter()
            .map(fields)
            .collect();
        let tagged: Vec<_> = redirect_program(&ours, Some(100), 3)
            .into_iter()
            .map(fields)
            .collect();
        // The tag check: TPID 0x8100, then the VLAN id masked and compared.
        assert!(tagged.iter().any(|f| f.0 == JNE_K && f.4 == ETH_VLAN_LE));
        assert!(tagged.iter().any(|f| f.0 == AND64_K && f.4 == 0x0fff));
        assert!(tagged.iter().any(|f| f.0 == JNE_K && f.4 == 100));
        assert!(!plain.iter().any(|f| f.0 == AND64_K));
        // Every packet load is 4 bytes further in.
        let loads = |p: &[(u8, u8, u8, i16, i32)]| -> Vec<i16> {
            p.iter()
                .filter(|f| f.0 & 0x07 == 0x01 && f.2 == R2)
                .map(|f| f.3)
                .collect()
        };
        assert_eq!(loads(&plain), vec![12, 23, 30, 38]);
        assert_eq!(loads(&tagged), vec![12, 14, 16, 27, 34, 42]);
    }

    #[test]
    fn ipv6_tcp_and_neighbor_discovery_are_matched_on_the_whole_address() {
        let first = "fd00::1:fffe".parse::<std::net::Ipv6Addr>().unwrap();
        let ours = Ours::v6(AddressRange {
            first: first.octets(),
            count: 4,
        });
        let p: Vec<_> = redirect_program(&ours, None, 3)
            .into_iter()
            .map(fields)
            .collect();
        // No IPv4 or ARP branch; IPv6 TCP and ICMPv6 NS / NA.
        assert!(!p.iter().any(|f| f.4 == ETH_ARP_LE || f.4 == ETH_IPV4_LE));
        assert!(p.iter().any(|f| f.0 == JEQ_K && f.4 == ETH_IPV6_LE));
        assert!(p.iter().any(|f| f.0 == JEQ_K && f.4 == ICMP6_NA));
        assert!(p.iter().any(|f| f.0 == JNE_K && f.4 == ICMP6_NS));
        // The first 96 bits, word by word as loaded, at the target (NS)
        // and at the destination (TCP, NA); the last 32 as a range.
        let words: Vec<i32> = p.iter().filter(|f| f.0 == JNE32_K).map(|f| f.4).collect();
        let o = first.octets();
        let w = |k: usize| i32::from_le_bytes([o[k], o[k + 1], o[k + 2], o[k + 3]]);
        assert_eq!(words, [w(0), w(4), w(8), w(0), w(4), w(8)]);
        let subs: Vec<i32> = p.iter().filter(|f| f.0 == SUB32_K).map(|f| f.4).collect();
        assert_eq!(subs, [0x0001_fffe; 2]);
        let loads: Vec<i16> = p
            .iter()
            .filter(|f| f.0 & 0x07 == 0x01 && f.2 == R2)
            .map(|f| f.3)
            .collect();
        assert_eq!(loads, [12, 20, 54, 62, 66, 70, 74, 38, 42, 46, 50]);
    }

    #[test]
    fn instruction_encoding_matches_the_kernel_layout() {
        // r1 = *(u32 *)(r6 + 16): 0x61, dst 1, src 6, off 16.
        assert_eq!(
            encode(0x61, 1, 6, 16, 0).to_ne_bytes(),
            [0x61, 0x61, 16, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            encode(EXIT, 0, 0, 0, 0).to_ne_bytes(),
            [0x95, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}

//! The malformed frames of issue 6, shared by `tests/malformed_input.rs`
//! (in memory) and `tests/afxdp_malformed.rs` (over veth): each is a valid
//! SYN with one defect, its checksums made right again where the defect
//! allows, so that only that defect is wrong.

#![allow(dead_code)]

use synwave::wire::{WireError, checksum};

pub mod v6;

/// Ethernet header length.
pub const L2: usize = 14;
/// Offset of the TCP header (a 20-byte IPv4 header).
pub const L4: usize = L2 + 20;

/// One malformed frame and the drop counter it must land in.
pub struct Case {
    /// The defect, in words.
    pub what: String,
    /// The whole frame.
    pub frame: Vec<u8>,
    /// How the parser must refuse it.
    pub want: WireError,
}

/// The IPv4 header checksum (for a 20-byte header) and the TCP checksum
/// over the segment the total length declares, recomputed.
pub fn fix_checksums(f: &mut [u8]) {
    f[L2 + 10] = 0;
    f[L2 + 11] = 0;
    let ip = checksum::checksum(&f[L2..L4]).to_be_bytes();
    f[L2 + 10..L2 + 12].copy_from_slice(&ip);
    let total = usize::from(u16::from_be_bytes([f[L2 + 2], f[L2 + 3]]));
    let end = (L2 + total).min(f.len());
    if end <= L4 + 18 {
        return;
    }
    f[L4 + 16] = 0;
    f[L4 + 17] = 0;
    let src: [u8; 4] = f[L2 + 12..L2 + 16].try_into().unwrap();
    let dst: [u8; 4] = f[L2 + 16..L2 + 20].try_into().unwrap();
    let pseudo = checksum::pseudo_header_v4(src, dst, 6, (end - L4) as u16);
    let tcp = checksum::finish(checksum::sum(pseudo, &f[L4..end])).to_be_bytes();
    f[L4 + 16..L4 + 18].copy_from_slice(&tcp);
}

/// Every malformed variant of `syn` (a valid SYN with a 20-byte IPv4
/// header whose options start with MSS).
pub fn cases(syn: &[u8]) -> Vec<Case> {
    assert_eq!(syn[L4 + 20..L4 + 22], [2, 4], "the SYN starts with MSS");
    let mut out = Vec::new();
    let mut add = |what: String, want: WireError, edit: &dyn Fn(&mut Vec<u8>), fix: bool| {
        let mut f = syn.to_vec();
        edit(&mut f);
        if fix {
            fix_checksums(&mut f);
        }
        out.push(Case {
            what,
            frame: f,
            want,
        });
    };
    use WireError::*;
    for len in [0, 10, L2 + 10] {
        add(
            format!("cut to {len} bytes"),
            Truncated,
            &|f| f.truncate(len),
            false,
        );
    }
    // A whole IPv4 header whose total length covers only 10 bytes of TCP
    // header. (Cut short without fixing the total length, the frame is
    // `drop_ip_total_len` instead: the length points past the buffer.)
    add(
        "TCP header of 10 bytes".into(),
        Truncated,
        &|f| {
            f.truncate(L4 + 10);
            f[L2 + 2..L2 + 4].copy_from_slice(&30u16.to_be_bytes());
        },
        true,
    );
    add(
        "cut inside the TCP header, total length unchanged".into(),
        BadIpTotalLen,
        &|f| f.truncate(L4 + 10),
        false,
    );
    add("IHL 4".into(), BadIpHeaderLen, &|f| f[L2] = 0x44, true);
    add(
        "IHL 15 past the frame".into(),
        BadIpHeaderLen,
        &|f| {
            f[L2] = 0x4f;
            f.truncate(L2 + 40);
        },
        false,
    );
    for total in [0u16, 19, 0xffff] {
        add(
            format!("total length {total}"),
            BadIpTotalLen,
            &|f| f[L2 + 2..L2 + 4].copy_from_slice(&total.to_be_bytes()),
            true,
        );
    }
    for offset in [0u8, 4, 15] {
        add(
            format!("data offset {offset}"),
            BadDataOffset,
            &|f| f[L4 + 12] = offset << 4,
            true,
        );
    }
    add(
        "IPv4 header checksum".into(),
        BadChecksum,
        &|f| f[L2 + 10] ^= 0xff,
        false,
    );
    add(
        "TCP checksum".into(),
        BadChecksum,
        &|f| f[L4 + 16] ^= 0x01,
        false,
    );
    add(
        "more fragments".into(),
        Fragment,
        &|f| f[L2 + 6] |= 0x20,
        true,
    );
    add(
        "fragment offset 8".into(),
        Fragment,
        &|f| f[L2 + 7] = 1,
        true,
    );
    for len in [0u8, 1, 3, 40] {
        add(
            format!("MSS option length {len}"),
            BadOption,
            &|f| f[L4 + 21] = len,
            true,
        );
    }
    add("UDP".into(), NotTcp, &|f| f[L2 + 9] = 17, true);
    add(
        "IPv6 ethertype".into(),
        UnsupportedEtherType,
        &|f| f[12..14].copy_from_slice(&[0x86, 0xdd]),
        false,
    );
    add(
        "version 6 in an IPv4 header".into(),
        BadIpVersion,
        &|f| f[L2] = 0x65,
        true,
    );
    // An ARP request for the SYN's destination over hardware type 6
    // (IEEE 802) instead of Ethernet.
    let mut arp = Vec::with_capacity(42);
    arp.extend_from_slice(&[0xff; 6]);
    arp.extend_from_slice(&syn[6..12]);
    arp.extend_from_slice(&[0x08, 0x06, 0x00, 0x06, 0x08, 0x00, 6, 4, 0, 1]);
    arp.extend_from_slice(&syn[6..12]);
    arp.extend_from_slice(&syn[L2 + 12..L2 + 16]);
    arp.extend_from_slice(&[0; 6]);
    arp.extend_from_slice(&syn[L2 + 16..L2 + 20]);
    out.push(Case {
        what: "ARP over hardware type 6".into(),
        frame: arp,
        want: UnsupportedArp,
    });
    out
}

/// Whether synwave's XDP program hands `f` to synwave (room for an IPv4
/// header, and IPv4 TCP to `ours` or ARP whose target is `ours`); the
/// others go to the kernel (`src/io/afxdp/program.rs`).
pub fn reaches_synwave(f: &[u8], ours: [u8; 4]) -> bool {
    if f.len() < L4 {
        return false;
    }
    match f[12..14] {
        [0x08, 0x00] => f[L2 + 9] == 6 && f[L2 + 16..L2 + 20] == ours,
        [0x08, 0x06] => f.len() >= L2 + 28 && f[L2 + 24..L2 + 28] == ours,
        _ => false,
    }
}

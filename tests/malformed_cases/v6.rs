//! The malformed IPv6 frames: a valid IPv6 SYN with one defect in its
//! IPv6 header, its extension headers or its neighbor discovery, the TCP
//! checksum made right again where the defect allows.

use super::{Case, L2};
use synwave::wire::frame::build_ndp_frame;
use synwave::wire::{EthernetFrame, EthernetRepr, NdpHeader, NdpRepr, WireError, checksum};

/// Offset of the upper layer behind the fixed IPv6 header.
const L3_END: usize = L2 + 40;

/// The payload length set to what follows the fixed header, and the TCP
/// checksum (at `tcp`) recomputed over the upper layer from `tcp` on.
fn fix(f: &mut [u8], tcp: usize) {
    let payload = (f.len() - L3_END) as u16;
    f[L2 + 4..L2 + 6].copy_from_slice(&payload.to_be_bytes());
    f[tcp + 16] = 0;
    f[tcp + 17] = 0;
    let src: [u8; 16] = f[L2 + 8..L2 + 24].try_into().unwrap();
    let dst: [u8; 16] = f[L2 + 24..L3_END].try_into().unwrap();
    let pseudo = checksum::pseudo_header_v6(src, dst, 6, (f.len() - tcp) as u32);
    let c = checksum::finish(checksum::sum(pseudo, &f[tcp..])).to_be_bytes();
    f[tcp + 16..tcp + 18].copy_from_slice(&c);
}

/// `syn` with `ext` (extension headers, the first one's type in
/// `first`) between the fixed header and TCP.
fn with_extensions(syn: &[u8], first: u8, ext: &[u8]) -> Vec<u8> {
    let mut f = syn[..L3_END].to_vec();
    f[L2 + 6] = first;
    f.extend_from_slice(ext);
    f.extend_from_slice(&syn[L3_END..]);
    fix(&mut f, L3_END + ext.len());
    f
}

/// An 8-byte extension header whose next header is `next`.
fn ext8(next: u8) -> [u8; 8] {
    [next, 0, 1, 4, 0, 0, 0, 0]
}

/// Every malformed IPv6 variant of `syn` (a valid IPv6 SYN with no
/// extension header).
pub fn cases(syn: &[u8]) -> Vec<Case> {
    let case = |what: &str, want, frame| Case {
        what: what.to_string(),
        frame,
        want,
    };
    let mut out = Vec::new();
    // Extension headers the parser walks and refuses.
    let hbh_then_routing_then_hbh = [ext8(43), ext8(0), ext8(6)].concat();
    out.push(case(
        "a hop-by-hop header not first",
        WireError::Ipv6Extension,
        with_extensions(syn, 0, &hbh_then_routing_then_hbh),
    ));
    let mut past = with_extensions(syn, 60, &ext8(6));
    past[L3_END + 1] = 200; // 1,608 bytes of destination options
    out.push(case(
        "a destination-options header past the packet",
        WireError::Ipv6Extension,
        past,
    ));
    let chain: Vec<u8> = (0..9)
        .flat_map(|i| ext8(if i < 8 { 60 } else { 6 }))
        .collect();
    out.push(case(
        "nine extension headers",
        WireError::Ipv6Extension,
        with_extensions(syn, 60, &chain),
    ));
    out.push(case(
        "a fragment header",
        WireError::Fragment,
        with_extensions(syn, 44, &[6, 0, 0, 1, 0, 0, 0, 7]),
    ));
    // A payload length that disagrees with the frame.
    let mut long = syn.to_vec();
    let n = (syn.len() - L3_END + 1) as u16;
    long[L2 + 4..L2 + 6].copy_from_slice(&n.to_be_bytes());
    out.push(case(
        "a payload length past the frame",
        WireError::BadIpv6PayloadLen,
        long,
    ));
    let mut zero = syn.to_vec();
    zero[L2 + 4..L2 + 6].copy_from_slice(&[0, 0]);
    out.push(case(
        "a zero payload length (a jumbogram)",
        WireError::BadIpv6PayloadLen,
        zero,
    ));
    // A neighbor solicitation that fails RFC 4861's checks (hop limit).
    let addr = |at: usize| -> [u8; 16] { syn[at..at + 16].try_into().unwrap() };
    let eth = EthernetRepr::parse(&EthernetFrame::new_checked(syn).unwrap());
    let header = NdpHeader {
        src: addr(L2 + 8),
        dst: addr(L2 + 24),
        hop_limit: 64,
    };
    let solicit = NdpRepr::Solicit {
        target: header.dst,
        source_mac: None,
    };
    let mut ns = vec![0u8; 128];
    let n = build_ndp_frame(&mut ns, &eth, &header, &solicit).unwrap();
    ns.truncate(n);
    out.push(case(
        "a neighbor solicitation with hop limit 64",
        WireError::BadNeighborDiscovery,
        ns,
    ));
    // Defects shared with IPv4.
    let mut version = syn.to_vec();
    version[L2] = 0x46;
    out.push(case(
        "version 4 under the IPv6 EtherType",
        WireError::BadIpVersion,
        version,
    ));
    let mut udp = syn.to_vec();
    udp[L2 + 6] = 17;
    out.push(case("UDP", WireError::NotTcp, udp));
    let mut sum = syn.to_vec();
    let last = sum.len() - 1;
    sum[last] ^= 0x10;
    out.push(case("a bad TCP checksum", WireError::BadChecksum, sum));
    out.push(case(
        "cut in the IPv6 header",
        WireError::Truncated,
        syn[..L2 + 30].to_vec(),
    ));
    out
}

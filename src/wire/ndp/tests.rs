use super::*;

const OURS: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const PEER: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn header(src: [u8; 16], dst: [u8; 16]) -> NdpHeader {
    NdpHeader {
        src,
        dst,
        hop_limit: HOP_LIMIT,
    }
}

fn emitted(ip: &NdpHeader, r: &NdpRepr) -> Vec<u8> {
    let mut b = vec![0u8; r.len()];
    assert_eq!(r.emit(ip, &mut b).unwrap(), r.len());
    b
}

/// The checksum as RFC 8200 §8.1 lays the pseudo-header out, word by
/// word, independent of `checksum::pseudo_header_v6`.
fn reference_sum(ip: &NdpHeader, msg: &[u8]) -> u16 {
    let mut all = Vec::new();
    all.extend_from_slice(&ip.src);
    all.extend_from_slice(&ip.dst);
    all.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    all.extend_from_slice(&[0, 0, 0, NEXT_ICMPV6]);
    all.extend_from_slice(msg);
    let mut acc = 0u32;
    for c in all.chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

#[test]
fn solicitations_and_advertisements_round_trip() {
    let to_group = header(PEER, crate::wire::ipv6::solicited_node(OURS));
    let ns = NdpRepr::Solicit {
        target: OURS,
        source_mac: Some(MAC),
    };
    let b = emitted(&to_group, &ns);
    assert_eq!(b.len(), 32);
    assert_eq!(
        reference_sum(&to_group, &b),
        0xffff,
        "the checksum verifies"
    );
    assert_eq!(NdpRepr::parse(&to_group, &b).unwrap(), Some(ns));
    let answer = header(OURS, PEER);
    let na = NdpRepr::Advert {
        target: OURS,
        router: false,
        solicited: true,
        override_cache: true,
        target_mac: Some(MacAddr([2, 0, 0, 0, 0, 1])),
    };
    let b = emitted(&answer, &na);
    assert_eq!(b[4], 0x60);
    assert_eq!(NdpRepr::parse(&answer, &b).unwrap(), Some(na));
}

#[test]
fn invalid_messages_are_refused() {
    let ip = header(PEER, OURS);
    let ns = NdpRepr::Solicit {
        target: OURS,
        source_mac: Some(MAC),
    };
    let good = emitted(&ip, &ns);
    let bad = |ip: &NdpHeader, b: &[u8]| {
        assert_eq!(
            NdpRepr::parse(ip, b).unwrap_err(),
            WireError::BadNeighborDiscovery,
            "{b:?}"
        )
    };
    // A hop limit other than 255: from beyond the link.
    bad(
        &NdpHeader {
            hop_limit: 64,
            ..ip
        },
        &good,
    );
    // A flipped bit: the checksum fails.
    let mut b = good.clone();
    b[10] ^= 1;
    bad(&ip, &b);
    // Code not 0, short, an option of length 0 or past the end.
    let mut b = good.clone();
    b[1] = 1;
    bad(&ip, &b);
    let short = NdpRepr::parse(&ip, &good[..20]);
    assert!(short.is_err());
    for len in [0u8, 2] {
        let mut b = good.clone();
        b[25] = len;
        b[2..4].copy_from_slice(&[0, 0]);
        let c = !reference_sum(&ip, &b);
        b[2..4].copy_from_slice(&c.to_be_bytes());
        bad(&ip, &b);
    }
    // A multicast target.
    let m = NdpRepr::Solicit {
        target: crate::wire::ipv6::solicited_node(OURS),
        source_mac: None,
    };
    bad(&ip, &emitted(&ip, &m));
    // Duplicate address detection (unspecified source) with a source
    // link-layer option, or not to the solicited-node group.
    let dad = header([0; 16], crate::wire::ipv6::solicited_node(OURS));
    bad(&dad, &emitted(&dad, &ns));
    let plain = NdpRepr::Solicit {
        target: OURS,
        source_mac: None,
    };
    assert!(
        NdpRepr::parse(&dad, &emitted(&dad, &plain))
            .unwrap()
            .is_some()
    );
    let dad_unicast = header([0; 16], OURS);
    bad(&dad_unicast, &emitted(&dad_unicast, &plain));
    // A solicited advertisement to a multicast group.
    let all_nodes = header(PEER, [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    let na = NdpRepr::Advert {
        target: PEER,
        router: false,
        solicited: true,
        override_cache: false,
        target_mac: None,
    };
    bad(&all_nodes, &emitted(&all_nodes, &na));
}

#[test]
fn other_icmpv6_types_are_not_neighbor_discovery() {
    let ip = header(PEER, OURS);
    // An echo request.
    assert_eq!(
        NdpRepr::parse(&ip, &[128, 0, 0, 0, 0, 1, 0, 1]).unwrap(),
        None
    );
    assert_eq!(NdpRepr::parse(&ip, &[]).unwrap_err(), WireError::Truncated);
}

#[test]
fn unknown_options_are_skipped() {
    let ip = header(PEER, OURS);
    let ns = NdpRepr::Solicit {
        target: OURS,
        source_mac: Some(MAC),
    };
    let mut b = emitted(&ip, &ns);
    // A nonce option (type 14, 8 bytes) before the link-layer one.
    b.splice(24..24, [14, 1, 1, 2, 3, 4, 5, 6]);
    b[2..4].copy_from_slice(&[0, 0]);
    let c = !reference_sum(&ip, &b);
    b[2..4].copy_from_slice(&c.to_be_bytes());
    assert_eq!(NdpRepr::parse(&ip, &b).unwrap(), Some(ns));
}

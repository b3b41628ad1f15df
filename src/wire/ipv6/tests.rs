use super::*;

const SRC: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56];

/// A packet with `ext` (extension headers, the first's type `first`)
/// before 4 bytes of TCP, then 2 bytes of padding.
fn packet(first: u8, ext: &[u8]) -> Vec<u8> {
    let r = Ipv6Repr {
        src: SRC,
        dst: DST,
        next_header: first,
        payload_len: (ext.len() + 4) as u16,
        hop_limit: 64,
        traffic_class: 0xb8,
        flow_label: 0x12345,
    };
    let mut v = vec![0u8; HEADER_LEN];
    r.emit(&mut v).unwrap();
    v.extend_from_slice(ext);
    v.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0xaa, 0xbb]);
    v
}

/// An 8-byte extension header whose next header is `next`.
fn ext8(next: u8) -> [u8; 8] {
    [next, 0, 1, 4, 0, 0, 0, 0]
}

#[test]
fn fields_round_trip_and_padding_is_cut() {
    let v = packet(NEXT_TCP, &[]);
    let p = Ipv6Packet::new_checked(&v[..]).unwrap();
    assert_eq!((p.src(), p.dst()), (SRC, DST));
    assert_eq!(p.traffic_class(), 0xb8);
    assert_eq!(p.flow_label(), 0x12345);
    assert_eq!(
        (p.hop_limit(), p.protocol(), p.header_len()),
        (64, NEXT_TCP, 40)
    );
    assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    let r = Ipv6Repr::parse(&p);
    let mut out = [0u8; HEADER_LEN];
    r.emit(&mut out).unwrap();
    assert_eq!(&out[..], &v[..HEADER_LEN]);
}

#[test]
fn extension_headers_are_walked_to_the_upper_layer() {
    let mut ext = Vec::new();
    ext.extend_from_slice(&ext8(NEXT_ROUTING));
    // A routing header of 16 bytes (length field 1).
    ext.extend_from_slice(&[NEXT_DEST_OPTIONS, 1, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[0; 8]);
    ext.extend_from_slice(&ext8(NEXT_TCP));
    let v = packet(NEXT_HOP_BY_HOP, &ext);
    let p = Ipv6Packet::new_checked(&v[..]).unwrap();
    assert_eq!(p.protocol(), NEXT_TCP);
    assert_eq!(p.header_len(), 40 + 32);
    assert_eq!(p.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(Ipv6Repr::parse(&p).payload_len, 4);
}

#[test]
fn hostile_chains_are_refused_by_cause() {
    let err = |v: &[u8]| Ipv6Packet::new_checked(v).unwrap_err();
    // Hop-by-hop not first.
    let mut ext = ext8(NEXT_HOP_BY_HOP).to_vec();
    ext.extend_from_slice(&ext8(NEXT_TCP));
    assert_eq!(
        err(&packet(NEXT_DEST_OPTIONS, &ext)),
        WireError::Ipv6Extension
    );
    // A header running past the payload.
    let long = [NEXT_TCP, 3, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        err(&packet(NEXT_DEST_OPTIONS, &long)),
        WireError::Ipv6Extension
    );
    // A chain longer than the limit.
    let mut chain = Vec::new();
    for _ in 0..=MAX_EXTENSION_HEADERS {
        chain.extend_from_slice(&ext8(NEXT_DEST_OPTIONS));
    }
    assert_eq!(
        err(&packet(NEXT_DEST_OPTIONS, &chain)),
        WireError::Ipv6Extension
    );
    // A fragment header, first or after another.
    assert_eq!(
        err(&packet(NEXT_FRAGMENT, &ext8(NEXT_TCP))),
        WireError::Fragment
    );
    assert_eq!(
        err(&packet(NEXT_ROUTING, &ext8(NEXT_FRAGMENT))),
        WireError::Fragment
    );
}

#[test]
fn lengths_and_versions_are_checked() {
    let err = |v: &[u8]| Ipv6Packet::new_checked(v).unwrap_err();
    let v = packet(NEXT_TCP, &[]);
    assert_eq!(err(&v[..39]), WireError::Truncated);
    let mut b = v.clone();
    b[0] = 0x45;
    assert_eq!(err(&b), WireError::BadIpVersion);
    // A payload length beyond the frame, and a jumbogram's zero.
    let mut b = v.clone();
    b[5] = 200;
    assert_eq!(err(&b), WireError::BadIpv6PayloadLen);
    let mut b = v.clone();
    b[4..6].copy_from_slice(&[0, 0]);
    assert_eq!(err(&b), WireError::BadIpv6PayloadLen);
}

#[test]
fn any_bytes_parse_or_fail_without_panicking() {
    // Every short prefix and every byte flipped of a packet with a chain.
    let mut ext = ext8(NEXT_ROUTING).to_vec();
    ext.extend_from_slice(&ext8(NEXT_TCP));
    let v = packet(NEXT_HOP_BY_HOP, &ext);
    for n in 0..v.len() {
        let _ = Ipv6Packet::new_checked(&v[..n]);
    }
    for i in 0..v.len() {
        for x in [0u8, 1, 0x3f, 0x80, 0xff] {
            let mut b = v.clone();
            b[i] = x;
            if let Ok(p) = Ipv6Packet::new_checked(&b[..]) {
                assert!(p.header_len() + p.payload().len() <= b.len());
            }
        }
    }
}

#[test]
fn solicited_node_addresses_and_their_macs() {
    let s = solicited_node(DST);
    assert_eq!(
        s,
        [
            0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x12, 0x34, 0x56
        ]
    );
    assert_eq!(multicast_mac(s).0, [0x33, 0x33, 0xff, 0x12, 0x34, 0x56]);
}

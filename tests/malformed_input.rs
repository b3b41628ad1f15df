//! Malformed frames, each built from a valid SYN with one defect (and the
//! checksums made right again, so that only that defect is wrong): each
//! is dropped, counted under its own drop counter and nothing else,
//! answered by nothing, and leaves no state — on a server that would
//! otherwise keep a record for the SYN (cookies on overload).

use synwave::endpoint::{Endpoint, WIRE_ERRORS};
use synwave::scenario::Scenario;
use synwave::tcp::CookiePolicy;
use synwave::wire::{WireError, checksum};

#[path = "../bench/frames.rs"]
mod frames;

const L2: usize = 14;
const L4: usize = L2 + 20;

fn server() -> Endpoint {
    Scenario {
        cookies: CookiePolicy::OnOverload,
        ..Scenario::default()
    }
    .server(3)
}

/// The IPv4 header checksum (for a 20-byte header) and the TCP checksum
/// over the segment the total length declares, recomputed.
fn fix_checksums(f: &mut [u8]) {
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

/// Feeds `frame` to a fresh server and checks that it was dropped as
/// `want` and nothing else.
#[track_caller]
fn dropped_as(frame: &[u8], want: WireError) {
    let mut ep = server();
    let mut buf = vec![0u8; 2048];
    buf[..frame.len()].copy_from_slice(frame);
    let answer = ep.on_frame(&mut buf, frame.len(), 1_000_000);
    assert_eq!(answer, None, "{want:?}: answered");
    let c = ep.counters();
    for e in WIRE_ERRORS {
        let n = c.wire_error(e);
        assert_eq!(
            n,
            u64::from(e == want),
            "{want:?}: {} = {n}",
            e.counter_name()
        );
    }
    assert_eq!(c.malformed(), 1, "{want:?}");
    assert_eq!(ep.connections(), 0, "{want:?}: state created");
    assert_eq!(ep.counters().accepted, 0, "{want:?}: accepted");
}

fn syn() -> Vec<u8> {
    frames::syn_frame()
}

#[test]
fn the_valid_syn_itself_makes_a_record() {
    // The control: the frame the others are built from is accepted.
    let mut ep = server();
    let f = syn();
    let mut buf = vec![0u8; 2048];
    buf[..f.len()].copy_from_slice(&f);
    assert!(ep.on_frame(&mut buf, f.len(), 1_000_000).is_some());
    assert_eq!(ep.connections(), 1);
    assert_eq!(ep.counters().malformed(), 0);
}

#[test]
fn truncated_frames() {
    let f = syn();
    for len in [0, 10, L2 + 10] {
        dropped_as(&f[..len], WireError::Truncated);
    }
    // A whole IPv4 header whose total length covers only 10 bytes of TCP
    // header. (Cut short without fixing the total length, the frame is
    // `drop_ip_total_len` instead: the length points past the buffer.)
    let mut f = syn();
    f.truncate(L4 + 10);
    f[L2 + 2..L2 + 4].copy_from_slice(&30u16.to_be_bytes());
    fix_checksums(&mut f);
    dropped_as(&f, WireError::Truncated);
    let f = syn();
    dropped_as(&f[..L4 + 10], WireError::BadIpTotalLen);
}

#[test]
fn bad_ipv4_header_length_and_total_length() {
    let mut f = syn();
    f[L2] = 0x44; // IHL 4
    fix_checksums(&mut f);
    dropped_as(&f, WireError::BadIpHeaderLen);
    let mut f = syn();
    f[L2] = 0x4f; // IHL 15: 60 bytes, past the header's end
    dropped_as(&f[..L2 + 40], WireError::BadIpHeaderLen);
    for total in [0u16, 19, 0xffff] {
        let mut f = syn();
        f[L2 + 2..L2 + 4].copy_from_slice(&total.to_be_bytes());
        fix_checksums(&mut f);
        dropped_as(&f, WireError::BadIpTotalLen);
    }
}

#[test]
fn bad_tcp_data_offset() {
    for offset in [0u8, 4, 15] {
        let mut f = syn();
        f[L4 + 12] = offset << 4;
        fix_checksums(&mut f);
        dropped_as(&f, WireError::BadDataOffset);
    }
}

#[test]
fn bad_checksums() {
    let mut f = syn();
    f[L2 + 10] ^= 0xff; // IPv4 header checksum
    dropped_as(&f, WireError::BadChecksum);
    let mut f = syn();
    f[L4 + 16] ^= 0x01; // TCP checksum
    dropped_as(&f, WireError::BadChecksum);
}

#[test]
fn ip_fragments() {
    let mut f = syn();
    f[L2 + 6] |= 0x20; // more fragments
    fix_checksums(&mut f);
    dropped_as(&f, WireError::Fragment);
    let mut f = syn();
    f[L2 + 7] = 1; // fragment offset 8
    fix_checksums(&mut f);
    dropped_as(&f, WireError::Fragment);
}

#[test]
fn options_past_the_header_and_zero_length_options() {
    // The SYN's options start with MSS: kind 2, length 4.
    assert_eq!(syn()[L4 + 20..L4 + 22], [2, 4]);
    for len in [0u8, 1, 3, 40] {
        let mut f = syn();
        f[L4 + 21] = len;
        fix_checksums(&mut f);
        dropped_as(&f, WireError::BadOption);
    }
}

#[test]
fn not_ipv4_tcp() {
    let mut f = syn();
    f[L2 + 9] = 17; // UDP
    fix_checksums(&mut f);
    dropped_as(&f, WireError::NotTcp);
    let mut f = syn();
    f[12..14].copy_from_slice(&[0x86, 0xdd]); // IPv6
    dropped_as(&f, WireError::UnsupportedEtherType);
    let mut f = syn();
    f[L2] = 0x65; // version 6 in an IPv4 frame
    fix_checksums(&mut f);
    dropped_as(&f, WireError::BadIpVersion);
}

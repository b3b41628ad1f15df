//! Malformed frames, each built from a valid SYN with one defect (and the
//! checksums made right again, so that only that defect is wrong): each
//! is dropped, counted under its own drop counter and nothing else,
//! answered by nothing, and leaves no state — on a server that would
//! otherwise keep a record for the SYN (cookies on overload).

use synwave::endpoint::{Endpoint, WIRE_ERRORS};
use synwave::scenario::Scenario;
use synwave::tcp::CookiePolicy;
use synwave::wire::V6;
use synwave::wire::WireError;

#[path = "../bench/frames.rs"]
mod frames;
mod malformed_cases;

fn server() -> Endpoint {
    Scenario {
        cookies: CookiePolicy::OnOverload,
        ..Scenario::default()
    }
    .server(3)
}

fn server6() -> Endpoint<V6> {
    Scenario {
        cookies: CookiePolicy::OnOverload,
        ..Scenario::default()
    }
    .server_in(3)
}

/// Feeds `frame` to a fresh server and checks that it was dropped as
/// `want` and nothing else.
#[track_caller]
fn dropped_as(frame: &[u8], want: WireError) {
    dropped_by(server(), frame, want);
}

/// `dropped_as` at an IPv6 server.
#[track_caller]
fn dropped_as6(frame: &[u8], want: WireError) {
    dropped_by(server6(), frame, want);
}

#[track_caller]
fn dropped_by<A: synwave::wire::Family>(mut ep: Endpoint<A>, frame: &[u8], want: WireError) {
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

/// Each case refused as `want`, and at least one such case.
#[track_caller]
fn each_dropped_as(want: WireError) {
    let all = malformed_cases::cases(&syn());
    let of: Vec<_> = all.iter().filter(|c| c.want == want).collect();
    assert!(!of.is_empty(), "no case for {want:?}");
    for c in of {
        eprintln!("{}", c.what);
        dropped_as(&c.frame, want);
    }
}

#[test]
fn truncated_frames() {
    each_dropped_as(WireError::Truncated);
}

#[test]
fn bad_ipv4_header_length_and_total_length() {
    each_dropped_as(WireError::BadIpHeaderLen);
    each_dropped_as(WireError::BadIpTotalLen);
}

#[test]
fn bad_tcp_data_offset() {
    each_dropped_as(WireError::BadDataOffset);
}

#[test]
fn bad_checksums() {
    each_dropped_as(WireError::BadChecksum);
}

#[test]
fn ip_fragments() {
    each_dropped_as(WireError::Fragment);
}

#[test]
fn options_past_the_header_and_zero_length_options() {
    each_dropped_as(WireError::BadOption);
}

#[test]
fn not_ipv4_tcp() {
    each_dropped_as(WireError::NotTcp);
    each_dropped_as(WireError::UnsupportedEtherType);
    each_dropped_as(WireError::BadIpVersion);
    each_dropped_as(WireError::UnsupportedArp);
}

#[test]
fn the_valid_ipv6_syn_itself_makes_a_record() {
    let mut ep = server6();
    let f = frames::syn_frame6();
    let mut buf = vec![0u8; 2048];
    buf[..f.len()].copy_from_slice(&f);
    assert!(ep.on_frame(&mut buf, f.len(), 1_000_000).is_some());
    assert_eq!(ep.connections(), 1);
    assert_eq!(ep.counters().malformed(), 0);
}

#[test]
fn ipv6_defects_each_under_their_own_counter() {
    for c in malformed_cases::v6::cases(&frames::syn_frame6()) {
        eprintln!("{}", c.what);
        dropped_as6(&c.frame, c.want);
    }
}

#[test]
fn every_wire_error_has_a_case() {
    let mut all = malformed_cases::cases(&syn());
    all.extend(malformed_cases::v6::cases(&frames::syn_frame6()));
    for e in WIRE_ERRORS {
        assert!(
            all.iter().any(|c| c.want == e),
            "no malformed case for {e:?}"
        );
    }
}

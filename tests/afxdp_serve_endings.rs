//! `synwave serve`'s teardowns are clean closes only (issue 24 B6): kernel
//! clients over a veth pair, some closing with FIN, some resetting
//! (SO_LINGER 0); the summary counts the FIN closes as completed (the
//! teardowns per second are theirs) and lists the resets by cause, and
//! the counters say the same.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise).

mod netns;

use netns::{ClientClose, Pair, SYNWAVE_IP, Synwave, counter, kernel_clients, num, skip};
use std::net::SocketAddrV4;
use std::time::Duration;

const FIN_CLOSES: u64 = 300;
const RESETS: u64 = 200;

#[test]
fn serve_counts_clean_closes_as_teardowns_and_lists_resets_by_cause() {
    if skip("serve_counts_clean_closes_as_teardowns_and_lists_resets_by_cause") {
        return;
    }
    let pair = Pair::new(1);
    let s = Synwave::serve(&pair.a(), &pair.a(), "10.99.0.1", &[]);
    let to = SocketAddrV4::new(SYNWAVE_IP, 80);
    let limit = Duration::from_secs(60);
    let fin = kernel_clients(&pair, to, FIN_CLOSES, 2, ClientClose::Fin, limit);
    let rst = kernel_clients(&pair, to, RESETS, 2, ClientClose::Rst, limit);
    let j = s.stop();
    assert_eq!((fin.connected, rst.connected), (FIN_CLOSES, RESETS), "{j}");
    assert_eq!(num(&j, "established"), FIN_CLOSES + RESETS, "{j}");
    assert_eq!(num(&j, "ended"), FIN_CLOSES + RESETS, "{j}");
    // Completed: the clean closes only; the resets failed, by cause.
    assert_eq!(num(&j, "completed"), FIN_CLOSES, "{j}");
    assert_eq!(counter(&j, "completed"), FIN_CLOSES, "{j}");
    assert_eq!(num(&j, "failed"), RESETS, "{j}");
    assert_eq!(num(&j["failed_by"], "reset_by_peer"), RESETS, "{j}");
    assert_eq!(num(&j["failed_by"], "retries_exceeded"), 0, "{j}");
    assert_eq!(counter(&j, "end_closed"), FIN_CLOSES, "{j}");
    assert_eq!(counter(&j, "end_reset_by_peer"), RESETS, "{j}");
    // The teardowns per second are the completed ones over the run.
    let per_sec = j["teardowns_per_sec"].as_f64().expect("teardowns_per_sec");
    let secs = j["duration_s"].as_f64().expect("duration_s");
    let teardowns = per_sec * secs;
    assert!(
        (teardowns - FIN_CLOSES as f64).abs() < 1e-6 * FIN_CLOSES as f64,
        "{teardowns} teardowns: {j}"
    );
}

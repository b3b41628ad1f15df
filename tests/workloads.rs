//! The generator's load control, in memory (`synwave bench`, no root):
//! an open loop at `--rate` opens rate × duration connections within 1 %,
//! and `--ramp` takes half the ramp's worth off that (a linear rise); the
//! latency table's keys are all there.

use std::process::Command;
use std::sync::Mutex;

/// The runs time themselves: one at a time, so that they do not share
/// the cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

fn bench(args: &[&str]) -> serde_json::Value {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let json = std::env::temp_dir().join(format!(
        "synwave-workloads-{}-{}.json",
        std::process::id(),
        args.join("_").replace(['-', '.'], "")
    ));
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("synwave runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON")).expect("JSON");
    let _ = std::fs::remove_file(&json);
    j
}

fn within(got: u64, want: f64, share: f64) -> bool {
    (got as f64 - want).abs() <= want * share
}

#[test]
fn rate_50000_for_10_s_opens_500000_within_one_percent() {
    let j = bench(&["--rate", "50000", "--duration", "10"]);
    let opened = j["opened"].as_u64().unwrap();
    assert!(within(opened, 500_000.0, 0.01), "{opened} attempts: {j}");
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
}

#[test]
fn a_ramp_rises_linearly_to_the_rate() {
    // 2 s up to 20,000/s, then 2 s at it: 20,000 + 40,000.
    let j = bench(&["--rate", "20000", "--ramp", "2", "--duration", "4"]);
    let opened = j["opened"].as_u64().unwrap();
    assert!(within(opened, 60_000.0, 0.01), "{opened} attempts: {j}");
    assert_eq!(j["ramp_s"].as_f64(), Some(2.0), "{j}");
    for key in ["rtt_us", "first_byte_us", "lifetime_us"] {
        for q in ["p50", "p90", "p99", "p999", "max", "count"] {
            assert!(j[key][q].is_u64(), "{key}.{q} missing: {j}");
        }
    }
    // Every connection got its response (the default scenario has one).
    assert_eq!(j["first_byte_us"]["count"], j["completed"], "{j}");
}

#[test]
fn a_ramp_without_a_rate_is_refused() {
    let out = Command::new(BIN)
        .args(["bench", "--ramp", "2"])
        .output()
        .expect("synwave runs");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--rate"), "{e}");
}

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
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let json = std::env::temp_dir().join(format!(
        "synwave-workloads-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
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

fn write_profile(tag: &str, text: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("synwave-profile-{}-{tag}.toml", std::process::id()));
    std::fs::write(&p, text).expect("write profile");
    p
}

const THREE_TEMPLATES: &str = r#"
response_bytes = 128

[[template]]
name = "fin"
weight = 5

[[template]]
name = "req-resp"
weight = 3
request_bytes = 64
response_bytes = 128

[[template]]
name = "rst"
weight = 2
close = "rst"
request_bytes = 16
"#;

#[test]
fn three_weighted_templates_share_the_connections_by_weight() {
    let p = write_profile("three", THREE_TEMPLATES);
    let j = bench(&["--profile", p.to_str().unwrap(), "--duration", "1"]);
    let _ = std::fs::remove_file(&p);
    let t = j["templates"].as_array().expect("templates").clone();
    assert_eq!(t.len(), 3, "{j}");
    let total: u64 = t.iter().map(|x| x["opened"].as_u64().unwrap()).sum();
    assert!(total >= 100_000, "only {total} connections: {j}");
    for (x, w) in t.iter().zip([5.0, 3.0, 2.0]) {
        let share = x["opened"].as_u64().unwrap() as f64 / total as f64;
        let want = w / 10.0;
        assert!(
            (share - want).abs() <= 0.02 * want,
            "{}: share {share:.4}, weight share {want}: {j}",
            x["name"]
        );
        // Each template closes its own way, and every one of them cleanly.
        assert_eq!(x["failed"].as_u64(), Some(0), "{x}");
        assert!(
            x["completed"].as_u64().unwrap() + 64 >= x["opened"].as_u64().unwrap(),
            "{x}"
        );
    }
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
    // The RST template's connections end with a RST sent; the others in
    // TIME-WAIT (client FIN first).
    let g = &j["counters"]["generator"];
    assert!(
        g["end_reset_sent"].as_u64().unwrap() >= t[2]["completed"].as_u64().unwrap(),
        "{g}"
    );
}

#[test]
fn typed_flags_override_the_profile_and_bad_keys_are_named() {
    let p = write_profile("flags", "duration = 30\nrate = 1000\n");
    let j = bench(&["--profile", p.to_str().unwrap(), "--duration", "0.5"]);
    assert!(
        j["run_phase_s"].as_f64().unwrap() < 5.0,
        "typed --duration lost: {j}"
    );
    assert_eq!(j["rate"].as_f64(), Some(1000.0), "profile --rate lost: {j}");
    // A typed flag that excludes a profile key wins over it too.
    let j = bench(&[
        "--profile",
        p.to_str().unwrap(),
        "--duration",
        "0.5",
        "--concurrency",
        "8",
    ]);
    let _ = std::fs::remove_file(&p);
    assert!(
        j["rate"].is_null(),
        "the profile's --rate beat a typed --concurrency: {j}"
    );
    assert_eq!(j["concurrency"].as_u64(), Some(8), "{j}");
    let refused = |text: &str, tag: &str| {
        let p = write_profile(tag, text);
        let out = Command::new(BIN)
            .args(["bench", "--profile", p.to_str().unwrap()])
            .output()
            .expect("synwave runs");
        let _ = std::fs::remove_file(&p);
        assert_eq!(out.status.code(), Some(2), "{text:?} was not refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = refused("[[template]]\nname = \"a\"\nwieght = 3\n", "typo");
    assert!(e.contains("wieght") && e.contains("--profile"), "{e}");
    let e = refused("no_such_flag = 1\n", "unknown");
    assert!(e.contains("--no-such-flag"), "{e}");
    let e = refused("hold = 5\n[[template]]\nname = \"a\"\n", "hold");
    assert!(e.contains("hold_ms"), "{e}");
    let e = refused(
        "[[template]]\nname = \"a\"\n[[template]]\nname = \"f\"\nkind = \"syn-only\"\nspoof = \"10.1.0.5-10.1.0.9\"\n",
        "overlap",
    );
    assert!(e.contains("'f'") && e.contains("--client-ips"), "{e}");
    let e = refused(
        "[[template]]\nname = \"a\"\nrequest_bytes = 5\nresponse_bytes = 99\n",
        "mismatch",
    );
    assert!(e.contains("--response-bytes"), "{e}");
}

#[test]
fn serve_takes_a_profiles_flags_but_not_templates() {
    let p = write_profile("serve", "[[template]]\nname = \"a\"\n");
    let out = Command::new(BIN)
        .args([
            "serve",
            "--iface",
            "lo",
            "--ip",
            "10.99.0.1",
            "--port",
            "80",
        ])
        .args(["--profile", p.to_str().unwrap()])
        .output()
        .expect("synwave runs");
    let _ = std::fs::remove_file(&p);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("for bench and gen"), "{e}");
}

#[test]
fn the_shipped_profile_runs_clean() {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/mix.toml");
    let j = bench(&["--profile", p, "--duration", "0.5"]);
    let names: Vec<&str> = j["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fin", "req-resp", "rst", "flood"], "{j}");
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
    assert!(j["templates"][3]["opened"].as_u64().unwrap() > 0, "{j}");
}

/// One source address (64,512 ports) runs out within a second at full
/// speed: the summary says so and what to change, and the count is in
/// the JSON; with a 50 ms MSL the same ports come back every 100 ms.
#[test]
fn exhausted_source_ports_are_counted_and_named_and_a_short_msl_recycles_them() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let json = std::env::temp_dir().join(format!("synwave-ports-{}.json", std::process::id()));
    let run = |msl: &str| {
        let out = Command::new(BIN)
            .args([
                "bench",
                "--client-ips",
                "1",
                "--duration",
                "1",
                "--msl",
                msl,
                "--json",
            ])
            .arg(&json)
            .output()
            .expect("synwave runs");
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON")).expect("JSON");
        (String::from_utf8_lossy(&out.stderr).into_owned(), j)
    };
    let (err, j) = run("30");
    let g = &j["counters"]["generator"];
    assert!(g["ports_exhausted"].as_u64().unwrap() > 0, "{g}");
    assert!(j["opened"].as_u64().unwrap() <= 64_512, "{j}");
    assert!(
        err.contains("found no free source pair")
            && err.contains("--client-ips")
            && err.contains("--msl"),
        "{err}"
    );
    let (_, j) = run("0.05");
    let _ = std::fs::remove_file(&json);
    assert!(
        j["opened"].as_u64().unwrap() > 2 * 64_512,
        "ports not recycled: {j}"
    );
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
}

#[test]
fn a_hold_keeps_each_connection_open_that_long() {
    let j = bench(&["--hold", "100", "--rate", "2000", "--duration", "1"]);
    let l = &j["lifetime_us"];
    assert!(l["p50"].as_u64().unwrap() >= 100_000, "{l}");
    assert!(l["max"].as_u64().unwrap() < 1_000_000, "{l}");
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
    // A template's own hold.
    let p = write_profile(
        "hold",
        "rate = 2000\n[[template]]\nname = \"held\"\nhold_ms = 50\n",
    );
    let j = bench(&["--profile", p.to_str().unwrap(), "--duration", "1"]);
    let _ = std::fs::remove_file(&p);
    assert!(j["lifetime_us"]["p50"].as_u64().unwrap() >= 50_000, "{j}");
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
}

/// With `--tw-reuse`, one source address's 64,512 pairs come back after a
/// second instead of 2·MSL: three seconds open about three times as many
/// connections, each replacing our own TIME-WAIT record, none failing.
#[test]
fn time_wait_reuse_recycles_source_pairs_after_a_second() {
    let j = bench(&["--client-ips", "1", "--duration", "3", "--tw-reuse"]);
    let opened = j["opened"].as_u64().unwrap();
    let recycled = j["counters"]["generator"]["time_wait_recycled"]
        .as_u64()
        .unwrap();
    assert!(opened > 2 * 64_512, "{opened} opened: {j}");
    assert!(
        recycled >= opened - 64_512,
        "{recycled} recycled of {opened}: {j}"
    );
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
}

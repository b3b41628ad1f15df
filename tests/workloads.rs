//! The generator's load control, in memory (`synwave bench`, no root):
//! an open loop at `--rate` opens rate × duration connections within 1 %,
//! and `--ramp` takes half the ramp's worth off that (a linear rise); the
//! latency table's keys are all there; profiles' templates, holds, source
//! port exhaustion, the MSL and TIME-WAIT reuse. What depends on how fast
//! the host is (ports running out, coming back, lifetimes) is counted in
//! virtual time, with the engine's own workers; the `bench` runs check
//! that the flags reach them.

use std::process::Command;
use std::sync::Mutex;
use synwave::app::CloseKind;
use synwave::endpoint::{EndpointConfig, Reserve};
use synwave::engine::{Load, Opener, Phase, Role, Worker};
use synwave::flow::{PortAllocConfig, Reta, RssHasher, RssKey, SourcePortAllocator};
use synwave::io::loopback::{LoopPort, LoopbackConfig, loopback};
use synwave::scenario::{CLIENT_NET, SERVER_IP, SERVER_PORT, Scenario};
use synwave::tcp::Secrets;

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
    for key in ["rtt_us", "first_byte_us", "last_byte_us", "lifetime_us"] {
        for q in ["p50", "p90", "p99", "p999", "max", "count"] {
            assert!(j[key][q].is_u64(), "{key}.{q} missing: {j}");
        }
    }
    // Every connection got its response (the default scenario has one),
    // its first byte no later than its last.
    assert_eq!(j["first_byte_us"]["count"], j["completed"], "{j}");
    assert_eq!(j["last_byte_us"]["count"], j["completed"], "{j}");
    assert!(
        j["first_byte_us"]["p50"].as_u64() <= j["last_byte_us"]["p50"].as_u64(),
        "{j}"
    );
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
    // At least one round of the weights (5 + 3 + 2).
    assert!(total >= 10, "only {total} connections: {j}");
    // Smooth weighted round-robin: each worker's picks follow the weights
    // to within one per template, whatever the number of connections.
    let workers = j["workers"].as_u64().unwrap() as f64;
    for (x, w) in t.iter().zip([5.0, 3.0, 2.0]) {
        let opened = x["opened"].as_u64().unwrap() as f64;
        let want = total as f64 * w / 10.0;
        assert!(
            (opened - want).abs() <= workers,
            "{}: {opened} opened, {want} by weight, {workers} worker(s): {j}",
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
    // An open loop opens at most rate × run phase: 500 for the typed 0.5
    // s, 30,000 for the profile's 30 s.
    assert!(
        j["opened"].as_u64().unwrap() < 10_000,
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

/// One source address has 64,512 source pairs, each held for 2·MSL once
/// its connection closed. Over `bench`: the pairs never exceed that with
/// the default MSL, where they run out the summary says so and what to
/// change (and the JSON counts it), and with a 50 ms MSL TIME-WAIT
/// records expire within the second. How many connections that makes
/// depends on the host; `source_ports_in_virtual_time` counts them.
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
    assert!(j["opened"].as_u64().unwrap() <= 64_512, "{j}");
    assert_eq!(g["time_wait_expired"].as_u64(), Some(0), "{g}");
    let exhausted = g["ports_exhausted"].as_u64().unwrap() > 0;
    let named = err.contains("found no free source pair")
        && err.contains("--client-ips")
        && err.contains("--msl");
    assert_eq!(
        exhausted, named,
        "exhaustion counted ({exhausted}) and said ({named}): {err}"
    );
    let (_, j) = run("0.05");
    let _ = std::fs::remove_file(&json);
    let g = &j["counters"]["generator"];
    assert!(g["time_wait_expired"].as_u64().unwrap() > 0, "{g}");
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
}

/// `--hold` and a template's `hold_ms` keep each connection open at least
/// that long (how much longer is the host's: `a_hold_ends_on_time_in_virtual_time`
/// bounds it).
#[test]
fn a_hold_keeps_each_connection_open_that_long() {
    let j = bench(&["--hold", "100", "--rate", "2000", "--duration", "1"]);
    let l = &j["lifetime_us"];
    assert!(l["p50"].as_u64().unwrap() >= 100_000, "{l}");
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

/// With `--tw-reuse`, the generator replaces its own TIME-WAIT records
/// (none failing); every replacement is counted. How soon pairs come
/// back is counted in `time_wait_reuse_in_virtual_time`.
#[test]
fn time_wait_reuse_recycles_source_pairs() {
    let j = bench(&["--client-ips", "1", "--duration", "3", "--tw-reuse"]);
    let opened = j["opened"].as_u64().unwrap();
    let recycled = j["counters"]["generator"]["time_wait_recycled"]
        .as_u64()
        .unwrap();
    // Beyond one address's 64,512 pairs, every connection took a pair back
    // from our own TIME-WAIT (the default MSL expires none in 3 s).
    assert!(
        recycled >= opened.saturating_sub(64_512),
        "{recycled} recycled of {opened}: {j}"
    );
    assert_eq!(j["failed"].as_u64(), Some(0), "{j}");
}

/// A generator on one client address (64,512 source pairs) and a
/// responder over a one-queue loopback, closing client first (the
/// generator holds TIME-WAIT): `msl_us`, `hold_us`, TIME-WAIT reuse after
/// `tw_reuse_us` (0: never); a closed loop of `concurrency`, or an open
/// loop at `rate`.
fn virtual_pair(
    msl_us: u64,
    hold_us: u64,
    tw_reuse_us: u64,
    concurrency: u64,
    rate: Option<f64>,
) -> (Worker<LoopPort>, Worker<LoopPort>) {
    let scenario = Scenario {
        close: CloseKind::ClientFin,
        msl_us,
        hold_us,
        ..Scenario::default()
    };
    let (a, b) = loopback(&LoopbackConfig::default()).expect("loopback");
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(1).expect("one worker");
    let ports = SourcePortAllocator::new(
        &hasher,
        &reta,
        1,
        0,
        &PortAllocConfig::new(CLIENT_NET, 1, SERVER_IP, SERVER_PORT),
    )
    .expect("source ports");
    let client = scenario
        .client_side(EndpointConfig {
            ip_first: CLIENT_NET,
            report_released: true,
            reserve: Reserve {
                connections: 2 * concurrency as usize + 4096,
                time_wait: 1 << 17,
                prefault_time_wait: false,
            },
            time_wait_reuse_us: tw_reuse_us,
            ..EndpointConfig::default()
        })
        .build(Secrets::from_seed(1));
    let generator = Role::Generator(
        Opener::new(
            Load {
                concurrency,
                rate,
                ramp_us: 0,
                limit: None,
            },
            synwave::flow::ServerSet::single(ports),
            None,
        )
        .into(),
    );
    (
        Worker::new(
            a.into_iter().next().expect("queue"),
            client.into(),
            generator,
        ),
        Worker::new(
            b.into_iter().next().expect("queue"),
            scenario.server(2).into(),
            Role::Responder,
        ),
    )
}

/// Connections of a generator that ended other than cleanly.
fn failed(c: &synwave::endpoint::Counters) -> u64 {
    c.ended() - c.completed()
}

/// Polls both workers every `step_us` of virtual time for `seconds`.
fn run_virtual(pair: &mut (Worker<LoopPort>, Worker<LoopPort>), seconds: u64, step_us: u64) {
    let mut now = 1_000;
    for _ in 0..seconds * 1_000_000 / step_us {
        now += step_us;
        pair.0.poll(now, Phase::Run);
        pair.1.poll(now, Phase::Run);
    }
}

/// In one virtual second with one client address: at the default MSL
/// (30 s) the 64,512 pairs run out and stay out (each in TIME-WAIT);
/// at a 50 ms MSL they come back after 100 ms, so the same second opens
/// more than twice as many connections, none failing.
#[test]
fn source_ports_in_virtual_time() {
    let mut pair = virtual_pair(30_000_000, 0, 0, 1_000, None);
    run_virtual(&mut pair, 1, 100);
    let r = pair.0.report();
    assert_eq!(r.tally.opened, 64_512, "{:?}", r.tally);
    assert!(r.tally.ports_exhausted > 0, "{:?}", r.tally);
    assert_eq!(r.counters.time_wait_expired, 0);
    let mut pair = virtual_pair(50_000, 0, 0, 1_000, None);
    run_virtual(&mut pair, 1, 100);
    let r = pair.0.report();
    assert!(r.tally.opened > 2 * 64_512, "{:?}", r.tally);
    assert!(r.counters.time_wait_expired > 64_512, "{:?}", r.counters);
    assert_eq!(r.tally.open_failed, 0);
    assert_eq!(failed(&r.counters), 0, "{:?}", r.counters);
}

/// TIME-WAIT reuse after 1 s (MSL 30 s): in three virtual seconds the
/// pairs come back from our own TIME-WAIT records, every connection past
/// the first 64,512 on a recycled one.
#[test]
fn time_wait_reuse_in_virtual_time() {
    let mut pair = virtual_pair(30_000_000, 0, 1_000_000, 1_000, None);
    run_virtual(&mut pair, 3, 100);
    let r = pair.0.report();
    assert!(r.tally.opened > 2 * 64_512, "{:?}", r.tally);
    assert!(
        r.counters.time_wait_recycled >= r.tally.opened - 64_512,
        "{} recycled of {}",
        r.counters.time_wait_recycled,
        r.tally.opened
    );
    assert_eq!(r.counters.time_wait_expired, 0);
    assert_eq!(failed(&r.counters), 0, "{:?}", r.counters);
}

/// A 100 ms hold in virtual time: every connection lives at least the
/// hold and ends within a few polls (of 100 µs) of it.
#[test]
fn a_hold_ends_on_time_in_virtual_time() {
    let mut pair = virtual_pair(50_000, 100_000, 0, 1 << 16, Some(2_000.0));
    run_virtual(&mut pair, 1, 100);
    let r = pair.0.report();
    let l = &r.latency.lifetime_us;
    assert!(l.len() > 1_000, "{} lifetimes", l.len());
    assert!(l.min() >= 100_000, "shortest {} µs", l.min());
    // Within 20 polls (2 ms), the histogram's rounding included.
    assert!(l.max() <= 102_000, "longest {} µs", l.max());
}

//! The `synwave bench` command as a user runs it: SIGTERM (like Ctrl-C)
//! ends the run early and still prints the summary and writes the JSON;
//! bad flags are refused with a message naming the value and the fix; the
//! default concurrency follows the number of workers.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

fn json_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sw-cli-{}-{tag}.json", std::process::id()))
}

#[test]
fn sigterm_ends_the_run_with_a_summary_and_json() {
    let json = json_path("term");
    let csv = json_path("csv");
    let mut child = Command::new(BIN)
        .args([
            "bench",
            "--duration",
            "60",
            "--concurrency",
            "256",
            "--json",
        ])
        .arg(&json)
        .arg("--csv")
        .arg(&csv)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("synwave starts");
    let started = Instant::now();
    // Wait for the second live line (the process ends by itself at
    // --duration, which bounds the wait), keeping what was read.
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let (mut seen, mut live) = (String::new(), 0);
    let mut line = String::new();
    while live < 2 && err.read_line(&mut line).unwrap_or(0) > 0 {
        live += usize::from(line.starts_with('['));
        seen.push_str(&line);
        line.clear();
    }
    assert_eq!(live, 2, "no live lines:\n{seen}");
    let pid = child.id() as libc::pid_t;
    // Safety: `kill` with a valid signal number has no memory effects; the
    // pid is our own child, which has not been waited for, so it cannot
    // have been reused.
    let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(rc, 0, "kill failed");
    let mut rest = String::new();
    let _ = err.read_to_string(&mut rest);
    let out = child.wait_with_output().expect("synwave exits");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = seen + &rest;
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        elapsed < Duration::from_secs(40),
        "SIGTERM did not end the run"
    );
    assert!(stdout.contains("setups/s"), "no summary:\n{stdout}");
    assert!(stdout.contains("syn_rx"), "no counter table:\n{stdout}");
    let text = std::fs::read_to_string(&json).expect("JSON written");
    let _ = std::fs::remove_file(&json);
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(v["run_phase_s"].as_f64().unwrap() < 30.0);
    assert!(v["established"].as_u64().unwrap() > 0);
    assert_eq!(v["failed"].as_u64(), Some(0));
    assert_eq!(
        v["counters"]["responder"]["syn_rx"],
        v["counters"]["generator"]["syn_tx"]
    );
    for key in ["p50", "p99", "max"] {
        assert!(v["rtt_us"][key].as_u64().is_some(), "rtt_us.{key}");
    }
    // One CSV row a second: the header and at least one row.
    let rows = std::fs::read_to_string(&csv).expect("CSV written");
    let _ = std::fs::remove_file(&csv);
    let mut lines = rows.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("elapsed_s,setups_per_sec")
    );
    let first: Vec<&str> = lines.next().expect("a row").split(',').collect();
    assert_eq!(first.len(), 9);
    assert!(first[1].parse::<f64>().unwrap() > 0.0, "{first:?}");
    // The best second is the highest setups/s of those rows.
    let best = std::iter::once(first[1])
        .chain(lines.map(|l| l.split(',').nth(1).unwrap()))
        .map(|x| x.parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    // The CSV rounds each rate to a whole number; the JSON keeps it exact.
    let reported = v["setups_per_sec_best_second"].as_f64().unwrap();
    assert!((reported - best).abs() <= 0.5, "{reported} vs {best}");
}

fn refused(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("bench")
        .args(args)
        .output()
        .expect("synwave runs");
    assert_eq!(out.status.code(), Some(2), "{args:?} was not refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_flags_name_the_value_and_the_fix() {
    let e = refused(&["--workers", "0"]);
    assert!(e.contains("--workers") && e.contains("1..=128"), "{e}");
    let e = refused(&["--rate=-5"]);
    assert!(e.contains("--rate"), "{e}");
    let e = refused(&["--rate", "1000", "--concurrency", "10"]);
    assert!(e.contains("cannot be used with"), "{e}");
    let e = refused(&["--duration", "0.1", "--cores", "0,99999"]);
    assert!(
        e.contains("core 99999") && e.contains("available cores"),
        "{e}"
    );
    let e = refused(&["--loss", "150"]);
    assert!(e.contains("--loss"), "{e}");
}

/// Without `--concurrency`, a closed loop keeps 1,024 connections per
/// generator worker open; the JSON says how many.
#[test]
fn default_concurrency_is_per_generator_worker() {
    let json = json_path("default-concurrency");
    let out = Command::new(BIN)
        .args(["bench", "--duration", "0.3", "--workers", "2", "--json"])
        .arg(&json)
        .output()
        .expect("synwave runs");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("concurrency 2048"), "{stderr}");
    let text = std::fs::read_to_string(&json).expect("JSON written");
    let _ = std::fs::remove_file(&json);
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["concurrency"].as_u64(), Some(2048));
    assert_eq!(v["workers"].as_u64(), Some(2));
    assert_eq!(v["failed"].as_u64(), Some(0));
}

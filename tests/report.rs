//! `synwave report`: a `bench --json` summary becomes two SVG plots
//! (connections per second over the run, latency CDFs) with their lines
//! and labels; summaries without what a plot needs, and files that are
//! not summaries, are one-line errors.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("synwave-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn a_bench_summary_becomes_a_cps_plot_and_a_latency_cdf() {
    let d = dir("ok");
    let json = d.join("run.json");
    let out = Command::new(BIN)
        .args(["bench", "--duration", "3", "--json"])
        .arg(&json)
        .output()
        .expect("bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let series = j["series"].as_array().expect("series");
    assert!(series.len() >= 2, "{series:?}");
    assert!(
        series
            .iter()
            .any(|r| r["setups_per_sec"].as_f64() > Some(0.0))
    );
    let cdf = j["rtt_us"]["cdf"].as_array().expect("a CDF");
    assert_eq!(cdf.len(), 103);
    // Monotone in both value and fraction, ending at the maximum.
    for w in cdf.windows(2) {
        assert!(w[0][0].as_u64() <= w[1][0].as_u64() && w[0][1].as_f64() < w[1][1].as_f64());
    }
    assert_eq!(cdf.last().unwrap()[1].as_f64(), Some(1.0));

    let plots = d.join("plots");
    let out = Command::new(BIN)
        .arg("report")
        .arg(&json)
        .arg("--out")
        .arg(&plots)
        .output()
        .expect("report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (file, words) in [
        (
            "run-cps.svg",
            ["connections per second", "setups/s", "teardowns/s"],
        ),
        ("run-latency.svg", ["latency CDF", "handshake", "lifetime"]),
    ] {
        let svg = std::fs::read_to_string(plots.join(file)).expect(file);
        assert!(svg.starts_with("<svg"), "{file}");
        assert!(svg.contains("<polyline"), "{file}: no line drawn");
        for w in words {
            assert!(svg.contains(w), "{file}: no '{w}'");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn summaries_without_a_series_and_other_files_are_clear_errors() {
    let d = dir("bad");
    let old = d.join("old.json");
    std::fs::write(&old, r#"{"rtt_us": {"count": 0}}"#).unwrap();
    let not = d.join("not.json");
    std::fs::write(&not, "setups,42\n").unwrap();
    for (file, words) in [
        (&old, &["\"series\"", "--json"][..]),
        (&not, &["not a synwave JSON summary"][..]),
        (&d.join("missing.json"), &["cannot read"][..]),
    ] {
        let out = Command::new(BIN)
            .arg("report")
            .arg(file)
            .output()
            .expect("report");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        for w in words {
            assert!(err.contains(w), "{file:?}: {err}");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

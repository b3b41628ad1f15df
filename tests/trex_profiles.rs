//! The TRex ASTF profiles in `tools/trex/`, loaded by Python with a
//! minimal stand-in of the `trex.astf.api` names they use
//! (`tests/trex_standin`): each declares the port synwave serves, its
//! templates and their rates (from the tunables, as `t-rex-64 -t` passes
//! them), and programs that match what synwave sends: the HTTP profile
//! reads exactly `synwave serve --response http`'s response.
//!
//! The tunables reach `get_profile` as TRex hands them over (the
//! stand-in's loader does as TRex's `ASTFProfile.load_py`). TRex's own
//! compiler checks the same profiles in `tests/trex_astf_sim.rs`.
//!
//! Needs python3 (`tools/install-test-deps.sh` installs it).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(profile: &str, tunables: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg(repo().join("tests/trex_standin/load_profile.py"))
        .arg(repo().join("tools/trex").join(profile))
        .args(tunables)
        .output()
        .expect("python3 is missing: .ci/run installs it (tools/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "{profile}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the loader's JSON")
}

fn commands(t: &Value) -> Vec<String> {
    t["client_program"]
        .as_array()
        .expect("program")
        .iter()
        .map(|c| c[0].as_str().expect("command name").to_string())
        .collect()
}

#[test]
fn connect_close_opens_to_port_80_and_closes_at_once() {
    let p = load("synwave_connect_close.py", &["cps=250000", "clients=1000"]);
    let t = &p["templates"][0];
    assert_eq!(p["templates"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(t["name"], "connect_close");
    assert_eq!(
        (t["port"].as_u64(), t["server_port"].as_u64()),
        (Some(80), Some(80))
    );
    assert_eq!(t["cps"].as_f64(), Some(250_000.0));
    assert_eq!(t["servers"], serde_json::json!(["48.0.0.1", "48.0.0.1"]));
    assert_eq!(t["clients"], serde_json::json!(["16.0.0.1", "16.0.3.232"]));
    // connect(): wait for the handshake, then the client's FIN at the
    // program's end.
    assert_eq!(commands(t), ["connect"], "{t}");
    // One server template on port 80 alone: no address binding.
    assert_eq!(t["server_assoc_ips"], serde_json::json!([null, null]));
    // Defaults without tunables.
    let d = load("synwave_connect_close.py", &[]);
    assert_eq!(d["templates"][0]["cps"].as_f64(), Some(10_000.0));
}

#[test]
fn an_unknown_tunable_is_refused_naming_the_known_ones() {
    let out = Command::new("python3")
        .arg(repo().join("tests/trex_standin/load_profile.py"))
        .arg(repo().join("tools/trex/synwave_http.py"))
        .arg("bdy=100")
        .output()
        .expect("python3");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("unknown tunable 'bdy'") && err.contains("body, clients, cps, expect"),
        "{err}"
    );
}

#[test]
fn http_reads_exactly_what_synwave_serve_sends() {
    for body in [0u32, 100, 20_000] {
        // Newer TRex passes `-t --body N --cps N` as a list.
        let p = load(
            "synwave_http.py",
            &["--body", &body.to_string(), "--cps", "5000"],
        );
        let t = &p["templates"][0];
        assert_eq!(t["port"].as_u64(), Some(80));
        assert_eq!(t["cps"].as_f64(), Some(5_000.0));
        assert_eq!(commands(t), ["send", "recv"], "{t}");
        let recv = t["client_program"][1][1].as_u64().expect("recv bytes");
        assert_eq!(
            recv,
            synwave::app::http::response(body).len() as u64,
            "body {body}: the profile's response length is synwave's"
        );
        let sent = t["client_program"][0][1].as_u64().expect("send bytes");
        assert!(sent > 20, "a GET: {sent} bytes");
    }
}

#[test]
fn syn_flood_mixes_a_flood_template_with_real_clients() {
    let p = load(
        "synwave_syn_flood.py",
        &["--flood_cps", "2000000", "--legit_cps", "20000"],
    );
    let ts = p["templates"].as_array().expect("templates");
    assert_eq!(ts.len(), 2, "{p}");
    let by = |name: &str| {
        ts.iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no {name} template: {p}"))
    };
    let (flood, legit) = (by("flood"), by("legit"));
    assert_eq!(flood["cps"].as_f64(), Some(2_000_000.0));
    assert_eq!(legit["cps"].as_f64(), Some(20_000.0));
    // Two server templates on port 80: TRex (and the stand-in) refuse
    // that on the port alone, so each is bound to its own address of the
    // one `synwave serve --ip 48.0.0.1-48.0.0.2`.
    for (t, ip) in [(flood, "48.0.0.2"), (legit, "48.0.0.1")] {
        assert_eq!(t["port"].as_u64(), Some(80));
        assert_eq!(t["servers"], serde_json::json!([ip, ip]));
        assert_eq!(t["server_assoc_ips"], serde_json::json!([ip, ip]));
        assert_eq!(commands(t), ["connect"], "{t}");
    }
    // The flood comes from random addresses of a range apart from the
    // real clients', and gives up on its SYNs after keepinit seconds.
    assert_eq!(flood["client_distribution"], "rand");
    assert_ne!(flood["clients"], legit["clients"]);
    assert_eq!(p["c_glob_info"]["keepinit"].as_u64(), Some(2));
}

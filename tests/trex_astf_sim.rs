//! The TRex ASTF profiles in `tools/trex/`, compiled by TRex's own
//! profile compiler: `tools/trex/astf-sim.sh --json` runs
//! `trex.astf.sim` (what TRex's `astf-sim` runs) from TRex's Python client
//! (lbr-trex-client 3.4.0, TRex v3.04, fetched pinned by hash by
//! `tools/trex/fetch-client.sh`), and these tests read the JSON that TRex
//! would load: templates, ports, rates, address ranges, and the programs
//! down to the bytes each side sends.
//!
//! The client comes from PyPI (`tools/install-test-deps.sh` fetches it
//! before the tests). Where PyPI cannot be reached the tests say so and
//! skip, or fail under `CI=true` (`netns/skip.rs`); any other failure
//! (pip missing, a profile TRex refuses) fails.

#[path = "netns/skip.rs"]
mod skip;

use base64::Engine;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn astf_sim(profile: &str, tunables: &[&str]) -> Option<Output> {
    let mut cmd = Command::new(repo().join("tools/trex/astf-sim.sh"));
    cmd.arg("-f")
        .arg(repo().join("tools/trex").join(profile))
        .arg("--json");
    if !tunables.is_empty() {
        cmd.arg("-t").args(tunables);
    }
    let out = cmd.output().expect("bash runs tools/trex/astf-sim.sh");
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && err.contains("could not fetch lbr-trex-client") {
        let test = std::thread::current().name().unwrap_or(profile).to_string();
        let reason = format!("TRex's Python client could not be fetched from PyPI:\n{err}");
        skip::skip(&test, Some(&reason));
        return None;
    }
    Some(out)
}

/// The compiled profile, or None where TRex's client cannot be fetched.
fn compile(profile: &str, tunables: &[&str]) -> Option<Value> {
    let out = astf_sim(profile, tunables)?;
    assert!(
        out.status.success(),
        "TRex's compiler refused {profile}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("astf-sim's JSON"))
}

/// Program `index`'s commands, with each `tx` buffer decoded.
fn program(p: &Value, index: &Value) -> Vec<(String, Value)> {
    let idx = index.as_u64().expect("program index") as usize;
    p["program_list"][idx]["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .map(|c| {
            let name = c["name"].as_str().expect("command name").to_string();
            let arg = match name.as_str() {
                "tx" => {
                    let b = c["buf_index"].as_u64().expect("buf_index") as usize;
                    let text = p["buf_list"][b].as_str().expect("a base64 buffer");
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .expect("base64");
                    json!(bytes)
                }
                "rx" => c["min_bytes"].clone(),
                _ => Value::Null,
            };
            (name, arg)
        })
        .collect()
}

fn names(prog: &[(String, Value)]) -> Vec<&str> {
    prog.iter().map(|(n, _)| n.as_str()).collect()
}

/// An ip_gen of template `t`: the (first, last, distribution) of its
/// client or server distribution.
fn range(p: &Value, t: &Value, side: &str) -> (String, String, String) {
    let i = t["client_template"]["ip_gen"][side]["index"]
        .as_u64()
        .expect("ip_gen index") as usize;
    let d = &p["ip_gen_dist_list"][i];
    let s = |k: &str| d[k].as_str().expect("ip_gen field").to_string();
    (s("ip_start"), s("ip_end"), s("distribution"))
}

fn range_of(first: &str, last: &str, dist: &str) -> (String, String, String) {
    (first.into(), last.into(), dist.into())
}

#[test]
fn connect_close_compiles_to_a_connect_and_close_at_the_rate_given() {
    // The older tunables form: `-t cps=250000,clients=1000`.
    let Some(p) = compile("synwave_connect_close.py", &["cps=250000,clients=1000"]) else {
        return;
    };
    assert_eq!(p["tg_names"], json!(["connect_close"]), "{p}");
    let t = &p["templates"][0];
    let c = &t["client_template"];
    assert_eq!(
        (c["port"].as_u64(), c["cps"].as_f64()),
        (Some(80), Some(250_000.0))
    );
    assert_eq!(t["server_template"]["assoc"], json!([{"port": 80}]));
    assert_eq!(
        range(&p, t, "dist_client"),
        range_of("16.0.0.1", "16.0.3.232", "seq")
    );
    assert_eq!(
        range(&p, t, "dist_server"),
        range_of("48.0.0.1", "48.0.0.1", "seq")
    );
    // Client: connect, then the program's end (FIN). Server: wait for the
    // client's close ("nc", no close of its own).
    assert_eq!(names(&program(&p, &c["program_index"])), ["connect"]);
    let s = program(&p, &t["server_template"]["program_index"]);
    assert_eq!(names(&s), ["nc"]);
}

#[test]
fn http_expect_sets_the_bytes_the_client_reads() {
    // Against another server (nginx), whose response has its own length.
    let Some(p) = compile("synwave_http.py", &["body=0,expect=1234"]) else {
        return;
    };
    let c = &p["templates"][0]["client_template"];
    let client = program(&p, &c["program_index"]);
    assert_eq!(names(&client), ["tx", "rx"], "{p}");
    assert_eq!(client[1].1.as_u64(), Some(1234), "{p}");
}

#[test]
fn http_compiles_to_exactly_synwave_serves_response() {
    for body in [0u32, 100, 20_000] {
        // The newer tunables form: `-t --body N --cps N`.
        let b = body.to_string();
        let Some(p) = compile("synwave_http.py", &["--body", &b, "--cps", "5000"]) else {
            return;
        };
        let t = &p["templates"][0];
        let c = &t["client_template"];
        assert_eq!(
            (c["port"].as_u64(), c["cps"].as_f64()),
            (Some(80), Some(5_000.0))
        );
        let client = program(&p, &c["program_index"]);
        let server = program(&p, &t["server_template"]["program_index"]);
        assert_eq!(names(&client), ["tx", "rx"], "{p}");
        assert_eq!(names(&server), ["rx", "tx"], "{p}");
        let response = synwave::app::http::response(body);
        // The client waits for synwave's whole response, no byte more; the
        // server side (unused against synwave) sends the same bytes.
        assert_eq!(
            client[1].1.as_u64(),
            Some(response.len() as u64),
            "body {body}"
        );
        assert_eq!(server[1].1, json!(response), "body {body}");
        let request: Vec<u8> = serde_json::from_value(client[0].1.clone()).expect("bytes");
        assert!(request.starts_with(b"GET / HTTP/1.1\r\n") && request.ends_with(b"\r\n\r\n"));
        assert_eq!(server[0].1.as_u64(), Some(request.len() as u64));
    }
}

#[test]
fn syn_flood_compiles_with_each_server_side_on_its_own_address() {
    let Some(p) = compile(
        "synwave_syn_flood.py",
        &["--flood_cps", "2000000", "--legit_cps", "20000"],
    ) else {
        return;
    };
    assert_eq!(p["tg_names"], json!(["flood", "legit"]), "{p}");
    assert_eq!(p["c_glob_info"]["tcp"]["keepinit"].as_u64(), Some(2));
    let ts = p["templates"].as_array().expect("templates");
    for (t, cps, ip, clients) in [
        (
            &ts[0],
            2_000_000.0,
            "48.0.0.2",
            range_of("17.0.0.1", "17.0.255.254", "rand"),
        ),
        (
            &ts[1],
            20_000.0,
            "48.0.0.1",
            range_of("16.0.0.1", "16.0.0.255", "seq"),
        ),
    ] {
        let c = &t["client_template"];
        assert_eq!(
            (c["port"].as_u64(), c["cps"].as_f64()),
            (Some(80), Some(cps))
        );
        assert_eq!(
            t["server_template"]["assoc"],
            json!([{"port": 80, "ip_start": ip, "ip_end": ip}])
        );
        assert_eq!(range(&p, t, "dist_server"), range_of(ip, ip, "seq"));
        assert_eq!(range(&p, t, "dist_client"), clients);
        assert_eq!(names(&program(&p, &c["program_index"])), ["connect"]);
    }
}

#[test]
fn trex_reports_an_unknown_tunable_and_lists_the_known_ones() {
    let Some(out) = astf_sim("synwave_http.py", &["bdy=100"]) else {
        return;
    };
    // TRex prints the profile's traceback on stdout.
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("unknown tunable 'bdy'; known: body, clients, cps, expect"),
        "{err}"
    );
    // `-t --help` lists them, and TRex loads nothing.
    let Some(out) = astf_sim("synwave_http.py", &["--help"]) else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "--body (default 0)",
        "--clients (default 255)",
        "--cps (default 10000.0)",
        "--expect (default 0)",
    ] {
        assert!(text.contains(line), "{text}");
    }
}

//! A real Cisco TRex (v3.08, ASTF, software mode on one core) against
//! synwave over a veth pair: TRex reaches its end through DPDK's
//! `net_af_packet` driver (`tools/trex/live.py` writes its config, runs
//! it and reads its counters). TRex plays the clients of each profile in
//! `tools/trex/` against `synwave serve`, and the server side against
//! `synwave gen`; the two sides' counters must agree, with nothing lost,
//! retransmitted or failed on either side.
//!
//! TRex is found where `tools/install-test-deps.sh` unpacks it
//! (`target/trex/trex-v3.08`, from `../shared/trex`) or in `TREX_DIR`.
//! Needs root and AF_XDP. Without any of them the tests skip, saying why,
//! and fail under `CI=true` (`netns/skip.rs`).

mod netns;

use netns::{Pair, Synwave, counter, num};
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// TRex writes its compiled profile to a fixed path (/tmp/astf.json):
/// one TRex at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// synwave's address, where TRex's clients connect.
const SERVER: &str = "48.0.0.1";

/// Seconds of traffic in each TRex run.
const SECS: u32 = 10;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where TRex is, or why these tests cannot run.
fn trex_dir() -> Result<PathBuf, String> {
    match std::env::var_os("TREX_DIR") {
        Some(d) if PathBuf::from(&d).join("t-rex-64").is_file() => Ok(PathBuf::from(d)),
        Some(d) => Err(format!(
            "TREX_DIR={} holds no t-rex-64: point it at TRex's scripts folder",
            PathBuf::from(d).display()
        )),
        None => {
            let dir = repo().join("target/trex/trex-v3.08");
            if dir.join("t-rex-64").is_file() {
                Ok(dir)
            } else {
                Err(format!(
                    "no TRex at {}: tools/install-test-deps.sh unpacks ../shared/trex there, \
                     or set TREX_DIR to a TRex folder holding t-rex-64",
                    dir.display()
                ))
            }
        }
    }
}

/// True when this test cannot run here, after saying why.
fn skip(test: &str) -> bool {
    let reason = netns::skip_reason().or_else(|| trex_dir().err());
    netns::skip::skip(test, reason.as_deref())
}

/// The MAC address of `iface` in namespace `ns`.
fn mac_of(ns: &str, iface: &str) -> String {
    let out = Command::new("ip")
        .args(["-n", ns, "-br", "link", "show", "dev", iface])
        .output()
        .expect("ip link");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(2)
        .unwrap_or_else(|| panic!("no MAC in {text:?}"))
        .to_string()
}

/// A TRex run on side B's veth end, started.
struct Trex {
    child: Child,
    log: PathBuf,
}

impl Trex {
    /// TRex with `profile` (in tools/trex/) on `side` ("client": it
    /// connects to synwave at 48.0.0.1; "server": it accepts on
    /// 48.0.0.1), `tunables`, for `secs` seconds. `gw_mac` fixes the MAC
    /// every flow goes to (no ARP).
    fn start(
        pair: &Pair,
        side: &str,
        profile: &str,
        tunables: &str,
        secs: u32,
        gw_mac: Option<&str>,
    ) -> Trex {
        let log = std::env::temp_dir().join(format!("synwave-trex-{}.log", pair.name));
        let _ = std::fs::remove_file(&log);
        let (ip, gw) = if side == "client" {
            ("48.0.0.254", SERVER)
        } else {
            (SERVER, "16.0.0.1")
        };
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &pair.b(), "python3"])
            .arg(repo().join("tools/trex/live.py"))
            .args(["--iface", &pair.b(), "--side", side, "--ip", ip, "--gw", gw])
            .arg("--profile")
            .arg(repo().join("tools/trex").join(profile))
            .args(["--duration", &secs.to_string(), "--tunables", tunables])
            .arg("--trex")
            .arg(trex_dir().expect("checked by skip"))
            .arg("--log")
            .arg(&log);
        if let Some(mac) = gw_mac {
            cmd.args(["--gw-mac", mac]);
        }
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tools/trex/live.py");
        Trex { child, log }
    }

    /// Waits (at most 60 s) until TRex prints its first statistics: its
    /// ports are up and its flows start.
    fn wait_running(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if text.contains("-Per port stats table") {
                return;
            }
            if let Some(st) = self.child.try_wait().expect("wait") {
                panic!("TRex ended before it ran ({st}): {text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("TRex not running within 60 s: {}", self.tail());
    }

    /// The end of TRex's output, for messages.
    fn tail(&self) -> String {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        let start = bytes.len().saturating_sub(6000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    /// Waits for TRex's end (live.py stops it 60 s past its duration) and
    /// returns its counters.
    fn finish(mut self) -> Value {
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("live.py's output");
        let st = self.child.wait().expect("wait");
        assert!(
            st.success(),
            "TRex run failed ({st}): {out}\n{}",
            self.tail()
        );
        let j: Value = serde_json::from_str(&out).expect("live.py's JSON");
        let _ = std::fs::remove_file(&self.log);
        j
    }
}

/// A TRex counter (0 when TRex did not print it: it prints non-zero ones).
fn tc(side: &Value, name: &str) -> u64 {
    side[name].as_u64().unwrap_or(0)
}

/// What TRex counts when a flow loses a segment, retransmits or gives up.
const TREX_TROUBLE: [&str; 9] = [
    "tcps_drops",
    "tcps_conndrops",
    "tcps_timeoutdrop",
    "tcps_keepdrops",
    "tcps_persistdrop",
    "tcps_rexmttimeo",
    "tcps_rexmttimeo_syn",
    "tcps_sndrexmitpack",
    "tcps_rcvduppack",
];

/// Both sides clean: every flow TRex opened (at least 95 % of what the
/// rate asks for) was established and closed on both sides, with no
/// receive loss, retransmission or failure on either.
fn assert_clean(trex: &Value, side: &str, sw: &Value, rate: u64, secs: u32, what: &str) {
    let t = &trex[side];
    let flows = if side == "client" {
        tc(t, "tcps_connattempt")
    } else {
        tc(t, "tcps_accepts")
    };
    let ctx = format!("{what}: TRex {trex}\nsynwave {sw}");
    assert!(
        flows * 100 >= rate * u64::from(secs) * 95,
        "{flows} flows at {rate}/s: {ctx}"
    );
    assert_eq!(tc(t, "tcps_connects"), flows, "{ctx}");
    assert_eq!(tc(t, "tcps_closed"), flows, "{ctx}");
    for name in TREX_TROUBLE {
        assert_eq!(tc(t, name), 0, "TRex {name}: {ctx}");
    }
    assert_eq!(tc(&trex["port"], "ierrors"), 0, "TRex port ierrors: {ctx}");
    assert_eq!(tc(&trex["port"], "oerrors"), 0, "TRex port oerrors: {ctx}");
    assert_eq!(num(sw, "established"), flows, "{ctx}");
    assert_eq!(num(sw, "completed"), flows, "{ctx}");
    assert_eq!(num(sw, "failed"), 0, "{ctx}");
    assert_eq!(num(sw, "retransmits"), 0, "{ctx}");
    for q in sw["queues"].as_array().expect("queues") {
        for name in ["kernel_rx_dropped", "kernel_rx_ring_full"] {
            assert_eq!(num(q, name), 0, "synwave {name}: {ctx}");
        }
    }
    assert_eq!(counter(sw, "port_alloc_failed"), 0, "{ctx}");
}

/// One run of TRex's clients with `profile` and `tunables` at `rate` for
/// `secs` against `synwave serve` on `ip` (with `extra` flags), checked
/// clean; TRex's counters and synwave's summary.
fn serve_run(
    ip: &str,
    profile: &str,
    extra: &[&str],
    tunables: &str,
    rate: u64,
    secs: u32,
) -> (Value, Value) {
    let pair = Pair::new(1);
    let mut args = vec!["--cores", "0"];
    args.extend_from_slice(extra);
    let s = Synwave::serve(&pair.a(), &pair.a(), ip, &args);
    let mut t = Trex::start(&pair, "client", profile, tunables, secs, None);
    t.wait_running();
    let trex = t.finish();
    let sw = s.stop();
    let what = format!("{profile} with {tunables} for {secs} s");
    assert_clean(&trex, "client", &sw, rate, secs, &what);
    (trex, sw)
}

/// TRex's clients with `profile` against `synwave serve` (with `extra`
/// flags) at each rate; `tunables` makes TRex's -t for a rate.
fn against_serve(profile: &str, extra: &[&str], tunables: impl Fn(u64) -> String) -> Vec<Value> {
    [1_000, 20_000]
        .into_iter()
        .map(|rate| serve_run(SERVER, profile, extra, &tunables(rate), rate, SECS).0)
        .collect()
}

#[test]
fn trex_connects_and_closes_against_serve() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("trex_connects_and_closes_against_serve") {
        return;
    }
    against_serve("synwave_connect_close.py", &[], |r| format!("cps={r}"));
}

#[test]
fn trex_http_clients_get_every_response_from_serve_and_close_cleanly() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("trex_http_clients_get_every_response_from_serve_and_close_cleanly") {
        return;
    }
    const BODY: usize = 100;
    let runs = against_serve(
        "synwave_http.py",
        &["--response", "http", "--response-bytes", "100"],
        |r| format!("cps={r},body={BODY}"),
    );
    let response = synwave::app::http::response(BODY as u32).len() as u64;
    for trex in runs {
        let c = &trex["client"];
        // Every byte of every response reached TRex's client.
        assert_eq!(
            tc(c, "tcps_rcvbyte"),
            tc(c, "tcps_connects") * response,
            "{trex}"
        );
    }
}

#[test]
fn trex_syn_flood_profile_against_serve_on_two_addresses() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("trex_syn_flood_profile_against_serve_on_two_addresses") {
        return;
    }
    // Directly attached, synwave's SYN-ACKs reach TRex, so the flood
    // template's flows complete too: both templates, half the rate each,
    // are connect + close through one serve on two addresses.
    for rate in [1_000u64, 20_000] {
        let half = rate / 2;
        let (_, sw) = serve_run(
            "48.0.0.1-48.0.0.2",
            "synwave_syn_flood.py",
            &["--cookies", "always"],
            &format!("flood_cps={half},legit_cps={half}"),
            rate,
            SECS,
        );
        assert_eq!(counter(&sw, "cookie_ok"), num(&sw, "established"), "{sw}");
    }
}

#[test]
fn trex_accepts_every_connection_synwave_gen_opens() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("trex_accepts_every_connection_synwave_gen_opens") {
        return;
    }
    const RATE: u64 = 2_000;
    let pair = Pair::new(1);
    // Both MACs fixed: TRex's server port answers no ARP in this mode.
    let mac_a = mac_of(&pair.a(), &pair.a());
    let mac_b = mac_of(&pair.b(), &pair.b());
    // TRex serves for SECS + 15 s; gen runs SECS s inside that window.
    let mut t = Trex::start(
        &pair,
        "server",
        "synwave_connect_close.py",
        "cps=1",
        SECS + 15,
        Some(&mac_a),
    );
    t.wait_running();
    let json = std::env::temp_dir().join(format!("synwave-trex-gen-{}.json", pair.name));
    let rate = RATE.to_string();
    let secs = SECS.to_string();
    let out = Command::new("ip")
        .args(["netns", "exec", &pair.a(), env!("CARGO_BIN_EXE_synwave")])
        .args([
            "gen",
            "--iface",
            &pair.a(),
            "--src-ip",
            "16.0.0.1-16.0.0.250",
        ])
        .args(["--dst", "48.0.0.1:80", "--cores", "0", "--rate", &rate])
        .args([
            "--duration",
            &secs,
            "--peer-mac",
            &mac_b,
            "--quiet",
            "--json",
        ])
        .arg(&json)
        .stdin(Stdio::null())
        .output()
        .expect("run synwave gen");
    assert!(
        out.status.success(),
        "gen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("gen's JSON summary");
    let _ = std::fs::remove_file(&json);
    let sw: Value = serde_json::from_str(&text).expect("gen's JSON summary");
    let trex = t.finish();
    assert_clean(
        &trex,
        "server",
        &sw,
        RATE,
        SECS,
        "gen against TRex's server",
    );
    assert_eq!(
        num(&sw, "opened"),
        tc(&trex["server"], "tcps_accepts"),
        "{sw}"
    );
}

/// Under sustained open-loop load `serve` never stops: 32 KiB responses
/// at 10,000 flows/s (about 2.6 Gbit/s), and 20,000 HTTP flows/s for 30 s
/// (600,000 TIME-WAIT records: the table doubles three times in the run),
/// clean on both sides, no receive-ring drop, no growth that stopped the
/// worker (`growth_pauses`), and no second of the run without a setup.
#[test]
fn serve_under_sustained_trex_load_never_stalls() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("serve_under_sustained_trex_load_never_stalls") {
        return;
    }
    let runs = [(10_000, 32_768, SECS), (20_000, 0, 3 * SECS)];
    for (rate, body, secs) in runs {
        let bytes = body.to_string();
        let (trex, sw) = serve_run(
            SERVER,
            "synwave_http.py",
            &["--response", "http", "--response-bytes", &bytes],
            &format!("cps={rate},body={body}"),
            rate,
            secs,
        );
        eprintln!(
            "serve's poll gaps at {rate} flows/s, {body} B responses: {}",
            sw["queues"][0]["poll_gaps"]
        );
        let response = synwave::app::http::response(body).len() as u64;
        let c = &trex["client"];
        assert_eq!(
            tc(c, "tcps_rcvbyte"),
            tc(c, "tcps_connects") * response,
            "{trex}"
        );
        // The live seconds from the first setup to the last: none at 0.
        let per_sec: Vec<f64> = sw["series"]
            .as_array()
            .expect("series")
            .iter()
            .map(|p| p["setups_per_sec"].as_f64().expect("setups_per_sec"))
            .collect();
        let first = per_sec.iter().position(|&x| x > 0.0).expect("a setup");
        let last = per_sec.iter().rposition(|&x| x > 0.0).expect("a setup");
        assert!(
            per_sec[first..=last].iter().all(|&x| x > 0.0),
            "a second without setups at {rate}/s: {per_sec:?}"
        );
        // No table grew by stopping the worker; the long run's TIME-WAIT
        // records (600,000 against 65,536 reserved) made the table double.
        assert_eq!(counter(&sw, "growth_pauses"), 0, "{sw}");
        if secs > SECS {
            assert!(counter(&sw, "table_growths") >= 3, "{sw}");
        }
    }
}

//! `synwave search` against a real device with a known limit: a Linux
//! router (its own network namespace, forwarding between the client's
//! and the server's subnets) whose nftables forward chain admits at most
//! L new TCP connections a second; `serve --gateway` behind it, `search
//! --gateway` in front. The search's `max_cps` lies within [0.75, 1.1]·L,
//! and against the same router without the rule it is higher.
//!
//! Needs root, AF_XDP and nft (skips, saying why, otherwise; fails under
//! `CI=true`; tools/install-test-deps.sh installs nftables).

mod netns;

use netns::routed::Routed;
use netns::{Synwave, skip};

/// New connections a second the device admits.
const LIMIT: u32 = 2_000;

/// `synwave search` from the client namespace through the router to the
/// server, through `gateway`, with `extra` flags.
fn search_run(net: &Routed, gateway: &str, extra: &[&str]) -> std::process::Output {
    let c = net.ns("c");
    let mut args = vec![
        "search",
        "--iface",
        &c,
        "--src-ip",
        "10.97.1.10-10.97.1.60",
        "--dst",
        "10.97.2.1:80",
        "--gateway",
        gateway,
        "--min",
        "500",
        "--max",
        "8000",
    ];
    args.extend_from_slice(extra);
    net.run_client(&args)
}

/// Runs the search through `net`'s router; its JSON summary.
fn search(net: &Routed, tag: &str) -> serde_json::Value {
    let json = std::env::temp_dir().join(format!("synwave-search-{}-{tag}.json", net.ns("")));
    let path = json.to_str().expect("a UTF-8 path");
    let out = search_run(
        net,
        "10.97.1.254",
        &["--step-duration", "2", "--json", path],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{err}{text}");
    assert!(out.status.success(), "search failed: {err}{text}");
    // The table and the answer.
    assert!(text.contains("highest clean rate:"), "{text}");
    assert!(err.contains("warm-up: 1.00 s at 500 (not judged)"), "{err}");
    netns::take_json(&json)
}

#[test]
fn search_finds_the_new_connection_limit_of_a_linux_router() {
    let reason = netns::skip_reason().or_else(|| {
        (std::process::Command::new("nft")
            .arg("--version")
            .output()
            .is_err())
        .then(|| "no nft (tools/install-test-deps.sh installs nftables)".to_string())
    });
    if skip::skip(
        "search_finds_the_new_connection_limit_of_a_linux_router",
        reason.as_deref(),
    ) {
        return;
    }
    let net = Routed::new();
    // A gateway nobody holds is named, with the interface.
    let c = net.ns("c");
    let out = search_run(&net, "10.97.1.253", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("--gateway 10.97.1.253 does not answer ARP on {c}")),
        "{err}"
    );
    let s_ns = net.ns("s");
    let server = Synwave::serve(&s_ns, &s_ns, "10.97.2.1", &["--gateway", "10.97.2.254"]);
    net.nft("add table inet dut");
    net.nft("add chain inet dut forward { type filter hook forward priority 0 ; policy accept ; }");
    // A token bucket of LIMIT a second and 50 ms of burst.
    net.nft(&format!(
        "add rule inet dut forward ct state new tcp flags syn limit rate over {LIMIT}/second burst {} packets drop",
        LIMIT / 20
    ));
    let limited = search(&net, "limited");
    assert_eq!(limited["metric"], "cps", "{limited}");
    let max = limited["max_cps"].as_f64().expect("a clean rate was found");
    let l = f64::from(LIMIT);
    assert!(
        (0.75 * l..=1.1 * l).contains(&max),
        "max_cps {max} outside [0.75, 1.1] × {LIMIT}: {limited}"
    );
    let steps = limited["steps"].as_array().expect("steps");
    assert!(steps.len() >= 4, "{limited}");
    // Every step above the limit failed, and says why.
    for s in steps {
        let offered = s["offered"].as_f64().unwrap();
        if offered > 1.1 * l {
            assert_eq!(s["passed"], false, "{s}");
            assert!(s["failed_criterion"].is_string(), "{s}");
        }
        for key in [
            "setups_per_sec",
            "teardowns_per_sec",
            "failed",
            "unexpected_resets",
            "retransmits",
        ] {
            assert!(s[key].is_number(), "{key} in {s}");
        }
        if s["passed"] == true {
            assert!(s["handshake"]["p99_us"].is_number(), "{s}");
        }
    }
    // The same router without the rule: a higher figure.
    net.nft("delete table inet dut");
    let free = search(&net, "free");
    let max_free = free["max_cps"].as_f64().expect("a clean rate was found");
    assert!(max_free > 1.1 * l, "without the limit {max_free}: {free}");
    let s = server.stop();
    assert!(netns::num(&s, "established") > 0, "{s}");
}

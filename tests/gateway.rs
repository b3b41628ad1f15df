//! `--gateway` on `gen` and `serve`: synwave on both sides of a Linux
//! router, over AF_XDP. Three namespaces joined by two veth pairs: the
//! client (`gen`, owning 10.97.1.10–10.97.1.60), the router (the kernel,
//! forwarding between 10.97.1.254/24 and 10.97.2.254/24) and the server
//! (`serve`, owning 10.97.2.1). Each side resolves its gateway by ARP and
//! sends through it; without `--gateway` the client cannot reach a server
//! off its link, and a gateway that does not answer is named with the
//! interface.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::routed::Routed;
use netns::{Synwave, num, skip};

#[test]
fn gen_and_serve_reach_each_other_through_their_gateways() {
    if skip("gen_and_serve_reach_each_other_through_their_gateways") {
        return;
    }
    let net = Routed::new();
    let s_ns = net.ns("s");
    let server = Synwave::serve(&s_ns, &s_ns, "10.97.2.1", &["--gateway", "10.97.2.254"]);
    let json = std::env::temp_dir().join(format!("synwave-gateway-{}.json", net.ns("")));

    // Without a gateway the server is off the client's link: no ARP reply.
    let out = net.run_gen(&[], &json);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("no ARP reply from 10.97.2.1"), "{err}");

    // A gateway nobody holds is named, with the interface.
    let out = net.run_gen(&["--gateway", "10.97.1.253"], &json);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let c = net.ns("c");
    assert!(
        err.contains(&format!("--gateway 10.97.1.253 does not answer ARP on {c}")),
        "{err}"
    );

    // Through the router: every connection completes, and the frames gen
    // originates went to the router's MAC.
    let out = net.run_gen(&["--gateway", "10.97.1.254"], &json);
    assert!(
        out.status.success(),
        "gen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g = netns::take_json(&json);
    let opened = num(&g, "opened");
    assert!(opened >= 1_000, "{g}");
    assert_eq!(num(&g, "completed"), opened, "{g}");
    assert_eq!(num(&g, "failed"), 0, "{g}");
    assert_eq!(
        g["peer_mac"].as_str(),
        Some(net.router_client_mac().as_str()),
        "{g}"
    );
    let s = server.stop();
    assert_eq!(num(&s, "established"), opened, "{s}");
    assert_eq!(num(&s, "completed"), opened, "{s}");
}

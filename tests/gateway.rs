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

use netns::{Synwave, num, skip};
use std::process::{Command, Output};

/// The three namespaces and two veth pairs, removed on drop.
struct Routed {
    name: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Routed {
    fn new() -> Routed {
        let r = Routed {
            name: format!("swg{}", std::process::id() % 100_000),
        };
        let (c, rt, s) = (r.ns("c"), r.ns("r"), r.ns("s"));
        for ns in [&c, &rt, &s] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        // Client side: c <-> rc; server side: rs <-> s.
        ip(&[
            "link",
            "add",
            &c,
            "netns",
            &c,
            "type",
            "veth",
            "peer",
            "name",
            &r.ns("rc"),
            "netns",
            &rt,
        ]);
        ip(&[
            "link",
            "add",
            &s,
            "netns",
            &s,
            "type",
            "veth",
            "peer",
            "name",
            &r.ns("rs"),
            "netns",
            &rt,
        ]);
        for (ns, dev) in [
            (&c, c.clone()),
            (&s, s.clone()),
            (&rt, r.ns("rc")),
            (&rt, r.ns("rs")),
        ] {
            ip(&["-n", ns, "link", "set", &dev, "up"]);
        }
        ip(&[
            "-n",
            &rt,
            "addr",
            "add",
            "10.97.1.254/24",
            "dev",
            &r.ns("rc"),
        ]);
        ip(&[
            "-n",
            &rt,
            "addr",
            "add",
            "10.97.2.254/24",
            "dev",
            &r.ns("rs"),
        ]);
        let sysctl = Command::new("ip")
            .args(["netns", "exec", &rt, "sysctl", "-qw"])
            .args(["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0"])
            .status()
            .expect("sysctl");
        assert!(sysctl.success(), "sysctl in the router namespace");
        r
    }

    fn ns(&self, side: &str) -> String {
        format!("{}{side}", self.name)
    }

    /// The MAC of the router's end facing the client.
    fn router_client_mac(&self) -> String {
        let out = Command::new("ip")
            .args([
                "-n",
                &self.ns("r"),
                "-br",
                "link",
                "show",
                "dev",
                &self.ns("rc"),
            ])
            .output()
            .expect("ip link");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.split_whitespace().nth(2).expect("a MAC").to_string()
    }

    /// `synwave gen` in the client namespace, with `extra` flags.
    fn run_gen(&self, extra: &[&str], json: &std::path::Path) -> Output {
        let c = self.ns("c");
        Command::new("ip")
            .args(["netns", "exec", &c, env!("CARGO_BIN_EXE_synwave")])
            .args(["gen", "--iface", &c, "--src-ip", "10.97.1.10-10.97.1.60"])
            .args(["--dst", "10.97.2.1:80", "--rate", "500", "--duration", "3"])
            .args(["--quiet", "--json"])
            .arg(json)
            .args(extra)
            .output()
            .expect("run synwave gen")
    }
}

impl Drop for Routed {
    fn drop(&mut self) {
        for side in ["c", "r", "s"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(side)])
                .status();
        }
    }
}

#[test]
fn gen_and_serve_reach_each_other_through_their_gateways() {
    if skip("gen_and_serve_reach_each_other_through_their_gateways") {
        return;
    }
    let net = Routed::new();
    let s_ns = net.ns("s");
    let server = Synwave::serve(&s_ns, &s_ns, "10.97.2.1", &["--gateway", "10.97.2.254"]);
    let json = std::env::temp_dir().join(format!("synwave-gateway-{}.json", net.name));

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
    let text = std::fs::read_to_string(&json).expect("gen's JSON summary");
    let _ = std::fs::remove_file(&json);
    let g: serde_json::Value = serde_json::from_str(&text).expect("JSON");
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

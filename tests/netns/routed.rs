//! Three network namespaces for a device under test: the client
//! (`swg<pid>c`, owning 10.97.1.10–10.97.1.60 by convention), the router
//! (`swg<pid>r`: the kernel, forwarding between 10.97.1.254/24 facing
//! the client and 10.97.2.254/24 facing the server) and the server
//! (`swg<pid>s`, 10.97.2.1), joined by two veth pairs; all removed on
//! drop, even when the test fails. The router's forwarding path is the
//! device: `nft` adds rules to it.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The three namespaces and two veth pairs, removed on drop.
pub struct Routed {
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
    pub fn new() -> Routed {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let r = Routed {
            name: format!(
                "swg{}{}",
                std::process::id() % 100_000,
                NEXT.fetch_add(1, Ordering::Relaxed) % 10
            ),
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

    pub fn ns(&self, side: &str) -> String {
        format!("{}{side}", self.name)
    }

    /// The MAC of the router's end facing the client.
    pub fn router_client_mac(&self) -> String {
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

    /// Runs `nft` in the router namespace with `args` (one command).
    pub fn nft(&self, args: &str) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns("r"), "nft"])
            .args(args.split_whitespace())
            .output()
            .expect("run nft (tools/install-test-deps.sh installs nftables)");
        assert!(
            out.status.success(),
            "nft {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `synwave` in the client namespace with `args`.
    pub fn run_client(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns("c"),
                env!("CARGO_BIN_EXE_synwave"),
            ])
            .args(args)
            .output()
            .expect("run synwave in the client namespace")
    }

    /// `synwave gen` in the client namespace, with `extra` flags.
    pub fn run_gen(&self, extra: &[&str], json: &std::path::Path) -> Output {
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

//! `synwave probe`: what this host and an interface support for AF_XDP,
//! one verdict a line, each with the fix; exit status 1 when anything
//! synwave needs is missing.

use std::process::ExitCode;
use synwave::io::afxdp::probe::probe;

/// `synwave probe` flags.
#[derive(clap::Args)]
pub struct Args {
    /// The interface to probe.
    #[arg(long)]
    pub iface: String,
    /// Do not try to attach XDP programs or bind a zero-copy socket (on
    /// some NICs attaching XDP briefly resets the link).
    #[arg(long)]
    pub no_attach: bool,
}

/// Runs the probe.
pub fn run(a: Args) -> ExitCode {
    let checks = probe(&a.iface, !a.no_attach);
    let mut usable = true;
    for c in &checks {
        println!(
            "{:<16} {:<4} {}",
            c.what,
            if c.ok { "ok" } else { "NO" },
            c.detail
        );
        // Zero-copy and one of the two XDP modes are optional.
        if !c.ok && !matches!(c.what, "zero-copy" | "native XDP" | "generic XDP") {
            usable = false;
        }
    }
    let native = checks.iter().any(|c| c.what == "native XDP" && c.ok);
    let generic = checks.iter().any(|c| c.what == "generic XDP" && c.ok);
    if !a.no_attach && !native && !generic {
        usable = false;
    }
    println!(
        "verdict          {}",
        if usable {
            "synwave serve and gen can run on this interface"
        } else {
            "fix the lines marked NO first"
        }
    );
    if usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

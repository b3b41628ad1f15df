//! `synwave probe`: what this host and an interface support for AF_XDP,
//! one verdict a line, each with the fix; exit status 1 when anything
//! synwave needs is missing.

use super::io_errors;
use std::process::ExitCode;
use synwave::io::afxdp::probe::{Finding, probe};
use synwave::io::afxdp::{XskError, XskStep};

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
    let findings = probe(&a.iface, !a.no_attach);
    // The limit in force, for a zero-copy socket the kernel would not lock.
    let memlock = findings.iter().find_map(|f| match f {
        Finding::LockedMemory { soft, .. } => *soft,
        _ => None,
    });
    let mut usable = true;
    for f in &findings {
        println!(
            "{:<16} {:<4} {}",
            f.what(),
            if f.ok() { "ok" } else { "NO" },
            detail(f, &a.iface, memlock)
        );
        if !f.ok() && !f.optional() {
            usable = false;
        }
    }
    let attaches = |what: &str| findings.iter().any(|f| f.what() == what && f.ok());
    if !a.no_attach && !attaches("native XDP") && !attaches("generic XDP") {
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

/// What a finding found, and the fix when it is not ok.
fn detail(f: &Finding, iface: &str, memlock: Option<u64>) -> String {
    match f {
        Finding::Privileges(missing) if missing.is_empty() => {
            "root or CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF".to_string()
        }
        Finding::Privileges(missing) => io_errors::privileges(missing),
        Finding::PrivilegesUnknown => "cannot read /proc/self/status".to_string(),
        Finding::LockedMemory {
            ipc_lock: true, ..
        } => "CAP_IPC_LOCK: UMEMs of any size lock".to_string(),
        Finding::LockedMemory { soft: None, .. } => "RLIMIT_MEMLOCK unlimited".to_string(),
        Finding::LockedMemory { soft: Some(s), .. } if f.ok() => format!("RLIMIT_MEMLOCK {} KiB", s / 1024),
        Finding::LockedMemory {
            soft: Some(s),
            umem,
            ..
        } => format!(
            "RLIMIT_MEMLOCK {} KiB is below a default UMEM ({} KiB per queue): raise it (`ulimit -l unlimited`) or run as root",
            s / 1024,
            umem / 1024
        ),
        Finding::Sockets(Ok(())) => "supported by this kernel".to_string(),
        Finding::Sockets(Err(errno)) => io_errors::socket_error(
            &XskError {
                step: XskStep::Socket,
                errno: *errno,
            },
            iface,
            0,
            0,
            None,
        ),
        Finding::Interface(Ok(i)) => format!(
            "{} (index {}, MAC {}, MTU {})",
            i.name, i.index, i.mac, i.mtu
        ),
        Finding::Interface(Err(e)) => io_errors::interface_error(e),
        Finding::Queues(n) => format!("{n} receive queue(s): --queues up to {n}"),
        Finding::Xdp { result: Ok(()), .. } => "a program attaches (and was detached)".to_string(),
        Finding::Xdp {
            mode,
            result: Err(errno),
        } => io_errors::attach_error(*errno, iface, mode),
        Finding::ProgramLoad(e) => format!("cannot load one: {e}"),
        Finding::ZeroCopy(Ok(())) => "queue 0 binds zero-copy".to_string(),
        Finding::ZeroCopy(Err(e))
            if e.step == XskStep::Bind && matches!(e.errno, libc::EOPNOTSUPP | libc::EINVAL) =>
        {
            "the driver has no zero-copy AF_XDP: synwave runs in copy mode (--zero-copy auto does this by itself)".to_string()
        }
        Finding::ZeroCopy(Err(e)) => io_errors::socket_error(e, iface, 0, 64 * 2048, memlock),
    }
}

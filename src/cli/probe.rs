//! `synwave probe`: what this host and an interface support for AF_XDP,
//! one verdict a line, each with the fix; exit status 1 when anything
//! synwave needs is missing.

use super::io_errors;
use std::process::ExitCode;
use synwave::engine::nic_steering::nic_steering;
use synwave::io::afxdp::nic_rss::{NicRss, RXH_FOUR_TUPLE, RssQueryError};
use synwave::io::afxdp::probe::{Finding, probe};
use synwave::io::afxdp::{XskConfig, XskError, XskStep};

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
    let queues = findings.iter().find_map(|f| match f {
        Finding::Queues(n) => Some(*n),
        _ => None,
    });
    let mut usable = true;
    for f in &findings {
        let (mark, said) = match f {
            Finding::Rss(r) => rss_line(r, &a.iface, queues.unwrap_or(1)),
            _ => (
                if f.ok() { "ok" } else { "NO" },
                detail(f, &a.iface, memlock),
            ),
        };
        println!("{:<16} {mark:<4} {said}", f.what());
        if !f.ok() && !f.optional() {
            usable = false;
        }
    }
    println!("{:<16} --   {}", "UMEM", umem_line(queues.unwrap_or(1)));
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

/// The RSS line: "ok" when the NIC's RSS steers every reply of `gen`
/// on all `queues` to its worker, "--" otherwise (one queue needs none);
/// what the driver reports, and the verdict.
fn rss_line(r: &Result<NicRss, RssQueryError>, iface: &str, queues: u32) -> (&'static str, String) {
    let all: Vec<u32> = (0..queues.max(1)).collect();
    let fix = format!(
        "gen with one queue needs none; with more, its replies steer only where the NIC hashes with the key and table gen assumes: set them (`ethtool -X {iface} hkey 6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa equal N`) or run --queues 1"
    );
    let nic = match r {
        Err(RssQueryError::NotReported) => {
            return (
                "--",
                "the driver does not report its RSS (veth and many virtual NICs, which cannot be set either): gen with one queue needs none; with more, replies may reach another queue's worker: run --queues 1".to_string(),
            );
        }
        Err(e) => return ("--", format!("{e}: {fix}")),
        Ok(nic) => nic,
    };
    let fields = |x: Option<u64>| match x {
        Some(x) if x & RXH_FOUR_TUPLE == RXH_FOUR_TUPLE => "addresses and ports".to_string(),
        Some(x) => format!("fields {x:#x}"),
        None => "not reported".to_string(),
    };
    let key: String = nic.key.iter().map(|b| format!("{b:02x}")).collect();
    let mut distinct = nic.table.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let facts = format!(
        "{}, key {key} ({} bytes), {}-entry table over {} queue(s), TCP/IPv4 hashes {}, TCP/IPv6 {}",
        nic.function.name(),
        nic.key.len(),
        nic.table.len(),
        distinct.len(),
        fields(nic.tcp4_fields),
        fields(nic.tcp6_fields),
    );
    match nic_steering(Ok(nic.clone()), &all, true, true) {
        Ok(_) => (
            "ok",
            format!(
                "{facts}: replies steer to their queue (gen picks source ports with this key and table)"
            ),
        ),
        Err(why) => (
            "--",
            format!("{facts}: replies do not steer by it ({why}); {fix}"),
        ),
    }
}

/// The UMEM and rings serve and gen choose by default on all `queues`
/// of the interface, and why.
fn umem_line(queues: u32) -> String {
    let x = XskConfig {
        frames: XskConfig::auto_frames(queues),
        ..XskConfig::default()
    };
    format!(
        "by default {} frames × {} B per queue on {queues} queue(s) ({} MiB each; the share per queue shrinks as queues grow): {}; --umem-frames sets it",
        x.chunks(),
        x.frame_size,
        x.mib(),
        x.rings_text()
    )
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
        Finding::Rss(r) => rss_line(r, iface, 1).1,
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

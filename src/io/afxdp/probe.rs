//! What an interface and this host support for AF_XDP, each with a
//! verdict and the fix: privileges, AF_XDP sockets, the locked-memory
//! limit, native and generic XDP (a pass-everything program attached for
//! a moment through a bpf_link, then detached), zero-copy (a small socket
//! bound zero-copy on queue 0), and the queue count.
//!
//! Rules: leaves nothing behind: every program and socket it makes is
//! closed before it returns.

use super::errors;
use super::{Interface, XskConfig, XskPort, bpf, program};

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub what: &'static str,
    /// Whether it is usable.
    pub ok: bool,
    /// What was found, and the fix when not ok.
    pub detail: String,
}

fn check(what: &'static str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        what,
        ok,
        detail: detail.into(),
    }
}

/// Probes `iface` (with `attach`: also tries to attach XDP programs,
/// which on some NICs briefly resets the link).
pub fn probe(iface: &str, attach: bool) -> Vec<Check> {
    let mut out = Vec::new();
    match errors::effective_capabilities() {
        Some(caps) => {
            let missing = errors::missing_capabilities(caps);
            out.push(if missing.is_empty() {
                check(
                    "privileges",
                    true,
                    "root or CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF",
                )
            } else {
                check("privileges", false, errors::privileges_message(&missing))
            });
            let (soft, _) = errors::memlock_limit();
            let umem =
                u64::from(XskConfig::default().frames) * u64::from(XskConfig::default().frame_size);
            let ok = errors::has_ipc_lock(caps) || soft.is_none_or(|s| s >= umem * 2);
            out.push(check(
                "locked memory",
                ok,
                match (errors::has_ipc_lock(caps), soft) {
                    (true, _) => "CAP_IPC_LOCK: UMEMs of any size lock".to_string(),
                    (false, None) => "RLIMIT_MEMLOCK unlimited".to_string(),
                    (false, Some(s)) if ok => format!("RLIMIT_MEMLOCK {} KiB", s / 1024),
                    (false, Some(s)) => format!(
                        "RLIMIT_MEMLOCK {} KiB is below a default UMEM ({} KiB per queue): raise it (`ulimit -l unlimited`) or run as root",
                        s / 1024,
                        umem / 1024
                    ),
                },
            ));
        }
        None => out.push(check("privileges", false, "cannot read /proc/self/status")),
    }
    // Safety: a plain socket call; closed at once.
    let fd = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW, 0) };
    if fd >= 0 {
        // Safety: `fd` is ours.
        unsafe { libc::close(fd) };
        out.push(check("AF_XDP sockets", true, "supported by this kernel"));
    } else {
        let e = std::io::Error::last_os_error();
        out.push(check(
            "AF_XDP sockets",
            false,
            errors::socket_message("socket", e.raw_os_error().unwrap_or(0), iface, 0, 0),
        ));
    }
    let info = match Interface::by_name(iface) {
        Ok(i) => i,
        Err(e) => {
            out.push(check("interface", false, e.to_string()));
            return out;
        }
    };
    out.push(check(
        "interface",
        true,
        format!(
            "{} (index {}, MAC {}, MTU {})",
            info.name, info.index, info.mac, info.mtu
        ),
    ));
    out.push(check(
        "queues",
        true,
        format!(
            "{} receive queue(s): --queues up to {}",
            info.rx_queues, info.rx_queues
        ),
    ));
    if !attach {
        return out;
    }
    match bpf::load_xdp(&program::pass_program()) {
        Ok(prog) => {
            for (what, flags, mode) in [
                ("native XDP", bpf::XDP_FLAGS_DRV_MODE, "native"),
                ("generic XDP", bpf::XDP_FLAGS_SKB_MODE, "generic"),
            ] {
                out.push(match bpf::attach_xdp(&prog, info.index, flags) {
                    Ok(link) => {
                        drop(link);
                        check(what, true, "a program attaches (and was detached)")
                    }
                    Err(e) => check(
                        what,
                        false,
                        errors::attach_message(e.error.raw_os_error().unwrap_or(0), iface, mode),
                    ),
                });
            }
        }
        Err(e) => out.push(check(
            "XDP programs",
            false,
            format!("cannot load one: {e}"),
        )),
    }
    let small = XskConfig {
        frames: 64,
        ..XskConfig::default()
    };
    out.push(match XskPort::open(info.index, 0, &small, true) {
        Ok(_) => check("zero-copy", true, "queue 0 binds zero-copy"),
        Err(e) if e.step == "bind" && matches!(e.errno, libc::EOPNOTSUPP | libc::EINVAL) => check(
            "zero-copy",
            false,
            "the driver has no zero-copy AF_XDP: synwave runs in copy mode (--zero-copy auto does this by itself)",
        ),
        Err(e) => check(
            "zero-copy",
            false,
            errors::socket_message(e.step, e.errno, iface, 0, 64 * 2048),
        ),
    });
    out
}

//! What went wrong setting up AF_XDP, in words that name the fix:
//! missing privileges, a missing interface or queue, another XDP program
//! or socket in the way, locked-memory limits, missing driver features.
//!
//! Rules: every message names the value at fault and what to do about
//! it; nothing here touches the system except reading
//! `/proc/self/status`.

/// Capability numbers (include/uapi/linux/capability.h).
const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;
const CAP_IPC_LOCK: u32 = 14;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_BPF: u32 = 39;

/// The effective capability set of this process (`CapEff` of
/// `/proc/self/status`), if readable.
pub fn effective_capabilities() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).ok()
}

/// The capabilities AF_XDP needs that `caps` lacks, by name: NET_ADMIN
/// (attach XDP), NET_RAW (AF_XDP socket), BPF or SYS_ADMIN (load the
/// program), IPC_LOCK (lock the UMEM beyond RLIMIT_MEMLOCK; only
/// reported, the limit may suffice).
pub fn missing_capabilities(caps: u64) -> Vec<&'static str> {
    let has = |c: u32| caps & (1u64 << c) != 0;
    let mut missing = Vec::new();
    if !has(CAP_NET_ADMIN) {
        missing.push("CAP_NET_ADMIN");
    }
    if !has(CAP_NET_RAW) {
        missing.push("CAP_NET_RAW");
    }
    if !has(CAP_BPF) && !has(CAP_SYS_ADMIN) {
        missing.push("CAP_BPF");
    }
    missing
}

/// Whether `caps` holds CAP_IPC_LOCK.
pub fn has_ipc_lock(caps: u64) -> bool {
    caps & (1u64 << CAP_IPC_LOCK) != 0
}

/// The fix for missing capabilities.
pub fn privileges_message(missing: &[&str]) -> String {
    format!(
        "AF_XDP needs root or the capabilities {}: run as root (sudo), or grant them once with `sudo setcap cap_net_admin,cap_net_raw,cap_bpf,cap_ipc_lock+ep $(which synwave)`",
        missing.join(", ")
    )
}

/// The soft and hard RLIMIT_MEMLOCK in bytes (`None`: unlimited).
pub fn memlock_limit() -> (Option<u64>, Option<u64>) {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // Safety: `r` is a valid rlimit the kernel writes into.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut r) } != 0 {
        return (None, None);
    }
    let f = |v: libc::rlim_t| (v != libc::RLIM_INFINITY).then_some(v);
    (f(r.rlim_cur), f(r.rlim_max))
}

fn errno_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// The message for a socket set-up step of queue `queue` of `iface` that
/// failed with `errno`, given the UMEM size asked for.
pub fn socket_message(step: &str, errno: i32, iface: &str, queue: u32, umem_bytes: u64) -> String {
    let e = errno_text(errno);
    match (step, errno) {
        ("socket", libc::EAFNOSUPPORT) => {
            "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS is off): use a kernel built with it (any distribution kernel since 4.18)".to_string()
        }
        ("socket", libc::EPERM | libc::EACCES) => privileges_message(&["CAP_NET_RAW"]),
        ("UMEM registration", libc::ENOBUFS | libc::ENOMEM | libc::EPERM) => {
            let (soft, _) = memlock_limit();
            format!(
                "the kernel refused to lock the {} KiB UMEM of {iface} queue {queue} ({e}): the locked-memory limit (RLIMIT_MEMLOCK, now {}) is too low and the process lacks CAP_IPC_LOCK; run as root, raise it (`ulimit -l unlimited`, or memlock in /etc/security/limits.conf), or ask for less with --umem-frames",
                umem_bytes / 1024,
                soft.map_or("unlimited".to_string(), |b| format!("{} KiB", b / 1024))
            )
        }
        ("frame size", _) => "--frame-size must be 2048 or 4096 bytes, with at least 256 bytes left after --headroom".to_string(),
        ("bind", libc::EBUSY) => format!(
            "{iface} queue {queue} is already bound to another AF_XDP socket (another synwave or AF_XDP program running on it?): stop it, or use another --queues/--iface"
        ),
        ("bind", libc::EOPNOTSUPP) => format!(
            "the driver of {iface} has no zero-copy AF_XDP: use --zero-copy auto (falls back to copy mode) or --zero-copy off"
        ),
        ("bind", libc::EINVAL) => format!(
            "{iface} refused the AF_XDP bind of queue {queue} ({e}): the queue may not exist (see `ethtool -l {iface}`), or the MTU is too large for --frame-size"
        ),
        ("interface lookup", _) => format!("interface '{iface}' has gone ({e})"),
        _ => format!("AF_XDP {step} on {iface} queue {queue}: {e}"),
    }
}

/// The message for a failed XDP attach in `mode` ("native" or "generic").
pub fn attach_message(errno: i32, iface: &str, mode: &str) -> String {
    match errno {
        libc::EBUSY | libc::EEXIST => format!(
            "another XDP program is already attached to {iface}: see it with `ip link show dev {iface}`, remove it with `ip link set dev {iface} xdp off` (or `xdpgeneric off`), or stop the program that owns it"
        ),
        libc::EOPNOTSUPP | libc::EINVAL if mode == "native" => {
            format!("the driver of {iface} has no native XDP: use --xdp-mode generic (or auto)")
        }
        libc::EPERM | libc::EACCES => privileges_message(&["CAP_NET_ADMIN", "CAP_BPF"]),
        _ => format!(
            "attaching the XDP program to {iface} in {mode} mode failed: {}",
            errno_text(errno)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_named() {
        assert!(missing_capabilities(!0).is_empty());
        let none = missing_capabilities(0);
        assert_eq!(none, vec!["CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_BPF"]);
        // CAP_SYS_ADMIN stands in for CAP_BPF (kernels before 5.8).
        let sys_admin = (1 << CAP_NET_ADMIN) | (1 << CAP_NET_RAW) | (1 << CAP_SYS_ADMIN);
        assert!(missing_capabilities(sys_admin).is_empty());
        assert!(privileges_message(&none).contains("setcap"));
        assert!(effective_capabilities().is_some());
    }

    #[test]
    fn each_failure_names_its_fix() {
        let m = socket_message("UMEM registration", libc::ENOBUFS, "eth0", 0, 8 << 20);
        assert!(m.contains("8192 KiB") && m.contains("ulimit -l"), "{m}");
        let m = socket_message("bind", libc::EBUSY, "eth0", 3, 0);
        assert!(m.contains("queue 3") && m.contains("already bound"), "{m}");
        let m = socket_message("bind", libc::EOPNOTSUPP, "eth0", 0, 0);
        assert!(m.contains("--zero-copy"), "{m}");
        let m = socket_message("socket", libc::EAFNOSUPPORT, "eth0", 0, 0);
        assert!(m.contains("CONFIG_XDP_SOCKETS"), "{m}");
        let m = attach_message(libc::EBUSY, "eth0", "native");
        assert!(m.contains("xdp off"), "{m}");
        let m = attach_message(libc::EOPNOTSUPP, "eth0", "native");
        assert!(m.contains("--xdp-mode generic"), "{m}");
    }
}

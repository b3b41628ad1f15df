//! The privileges AF_XDP needs and this process has: its effective
//! capabilities, which of those AF_XDP needs are missing, and its
//! locked-memory limit.
//!
//! Rules: reads only (`/proc/self/status`, `getrlimit`); says what is
//! missing by name, and leaves the wording of the fix to the command line.

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
        assert!(effective_capabilities().is_some());
        assert!(has_ipc_lock(1 << CAP_IPC_LOCK) && !has_ipc_lock(0));
    }
}

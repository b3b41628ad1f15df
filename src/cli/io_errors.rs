//! The I/O layer's errors in words: each sentence names the value at
//! fault and the fix, with the flag to change.
//!
//! Rules: the library hands its errors over as data (`OpenError`,
//! `XskError`, `PcapError`, …); only this file turns them into sentences
//! and flag names.

use synwave::io::afxdp::{InterfaceError, OpenError, XskError, XskStep};
use synwave::io::pcap::PcapError;

/// The flag that gives a run its own addresses: `--ip` for `serve`,
/// `--src-ip` for `gen`.
pub type AddressFlag = &'static str;

fn errno_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// A capture file that cannot be written.
pub fn pcap_error(e: &PcapError) -> String {
    format!(
        "cannot write --pcap {}: {}: give a writable path",
        e.path.display(),
        e.error
    )
}

/// The fix for missing capabilities.
pub fn privileges(missing: &[&str]) -> String {
    format!(
        "AF_XDP needs root or the capabilities {}: run as root (sudo), or grant them once with `sudo setcap cap_net_admin,cap_net_raw,cap_bpf,cap_ipc_lock+ep $(which synwave)`",
        missing.join(", ")
    )
}

/// An interface that cannot be looked up.
pub fn interface_error(e: &InterfaceError) -> String {
    match e {
        InterfaceError::Missing(n) => format!(
            "interface '{n}' does not exist in this network namespace: list them with `ip link` (or `ip netns exec NS ip link`), then give --iface NAME"
        ),
        InterfaceError::Unreadable(..) => e.to_string(),
    }
}

/// AF_XDP could not be opened.
pub fn open_error(e: &OpenError, address_flag: AddressFlag) -> String {
    match e {
        OpenError::Privileges(missing) => privileges(missing),
        OpenError::Interface(e) => interface_error(e),
        OpenError::NoQueue => "no queue to open: give --queues 1 or more".to_string(),
        OpenError::QueueOutOfRange {
            iface,
            queue,
            rx_queues,
        } => format!(
            "queue {queue} is out of range: {iface} has {rx_queues} receive queue(s) (0 to {}); give --queues at most {rx_queues} (more with `ethtool -L {iface} combined N`, or a veth created with numrxqueues N)",
            rx_queues.saturating_sub(1)
        ),
        OpenError::MtuTooLarge {
            iface,
            mtu,
            frame_size,
        } => format!(
            "the MTU of {iface} ({mtu}) does not fit a {frame_size}-byte UMEM frame: lower it (`ip link set dev {iface} mtu 1500`) or give --frame-size 4096"
        ),
        OpenError::KernelAddress {
            iface,
            addr,
            prefix_len,
        } => format!(
            "{addr} is an address the kernel has on {iface}: synwave takes every TCP port of its own addresses, so the host's connections to it (SSH included) would stop; give {address_flag} an address the kernel does not use, or remove it from the kernel first (`ip addr del {addr}/{prefix_len} dev {iface}`)"
        ),
        OpenError::Socket {
            iface,
            queue,
            umem_bytes,
            memlock,
            error,
        } => socket_error(error, iface, *queue, *umem_bytes, *memlock),
        OpenError::Attach { iface, mode, errno } => attach_error(*errno, iface, mode),
        OpenError::Addresses { .. } | OpenError::Bpf { .. } => e.to_string(),
    }
}

/// A socket set-up step of queue `queue` of `iface` that failed, given
/// the UMEM size asked for and the locked-memory limit in force.
pub fn socket_error(
    e: &XskError,
    iface: &str,
    queue: u32,
    umem_bytes: u64,
    memlock: Option<u64>,
) -> String {
    let text = errno_text(e.errno);
    match (e.step, e.errno) {
        (XskStep::Socket, libc::EAFNOSUPPORT) => {
            "this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS is off): use a kernel built with it (any distribution kernel since 4.18)".to_string()
        }
        (XskStep::Socket, libc::EPERM | libc::EACCES) => privileges(&["CAP_NET_RAW"]),
        (XskStep::UmemRegistration, libc::ENOBUFS | libc::ENOMEM | libc::EPERM) => format!(
            "the kernel refused to lock the {} KiB UMEM of {iface} queue {queue} ({text}): the locked-memory limit (RLIMIT_MEMLOCK, now {}) is too low and the process lacks CAP_IPC_LOCK; run as root, raise it (`ulimit -l unlimited`, or memlock in /etc/security/limits.conf), or ask for less with --umem-frames",
            umem_bytes / 1024,
            memlock.map_or("unlimited".to_string(), |b| format!("{} KiB", b / 1024))
        ),
        (XskStep::FrameSize, _) => {
            "--frame-size must be 2048 or 4096 bytes, with at least 256 bytes left after --headroom"
                .to_string()
        }
        (XskStep::Bind, libc::EBUSY) => format!(
            "{iface} queue {queue} is already bound to another AF_XDP socket (another synwave or AF_XDP program running on it?): stop it, or use another --queues/--iface"
        ),
        (XskStep::Bind, libc::EOPNOTSUPP) => format!(
            "the driver of {iface} has no zero-copy AF_XDP: use --zero-copy auto (falls back to copy mode) or --zero-copy off"
        ),
        (XskStep::Bind, libc::EINVAL) => format!(
            "{iface} refused the AF_XDP bind of queue {queue} ({text}): the queue may not exist (see `ethtool -l {iface}`), or the MTU is too large for --frame-size"
        ),
        (XskStep::InterfaceLookup, _) => format!("interface '{iface}' has gone ({text})"),
        (step, _) => format!("AF_XDP {step} on {iface} queue {queue}: {text}"),
    }
}

/// A failed XDP attach in `mode` ("native" or "generic").
pub fn attach_error(errno: i32, iface: &str, mode: &str) -> String {
    match errno {
        libc::EBUSY | libc::EEXIST => format!(
            "another XDP program is already attached to {iface}: see it with `ip link show dev {iface}`, remove it with `ip link set dev {iface} xdp off` (or `xdpgeneric off`), or stop the program that owns it"
        ),
        libc::EOPNOTSUPP | libc::EINVAL if mode == "native" => {
            format!("the driver of {iface} has no native XDP: use --xdp-mode generic (or auto)")
        }
        libc::EPERM | libc::EACCES => privileges(&["CAP_NET_ADMIN", "CAP_BPF"]),
        _ => format!(
            "attaching the XDP program to {iface} in {mode} mode failed: {}",
            errno_text(errno)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(step: XskStep, errno: i32, queue: u32, umem_bytes: u64) -> String {
        socket_error(
            &XskError { step, errno },
            "eth0",
            queue,
            umem_bytes,
            Some(64 << 10),
        )
    }

    #[test]
    fn each_failure_names_its_fix() {
        let m = socket(XskStep::UmemRegistration, libc::ENOBUFS, 0, 8 << 20);
        assert!(
            m.contains("8192 KiB") && m.contains("now 64 KiB") && m.contains("ulimit -l"),
            "{m}"
        );
        let m = socket(XskStep::Bind, libc::EBUSY, 3, 0);
        assert!(m.contains("queue 3") && m.contains("already bound"), "{m}");
        let m = socket(XskStep::Bind, libc::EOPNOTSUPP, 0, 0);
        assert!(m.contains("--zero-copy"), "{m}");
        let m = socket(XskStep::Socket, libc::EAFNOSUPPORT, 0, 0);
        assert!(m.contains("CONFIG_XDP_SOCKETS"), "{m}");
        let m = attach_error(libc::EBUSY, "eth0", "native");
        assert!(m.contains("xdp off"), "{m}");
        let m = attach_error(libc::EOPNOTSUPP, "eth0", "native");
        assert!(m.contains("--xdp-mode generic"), "{m}");
        assert!(privileges(&["CAP_BPF"]).contains("setcap"));
        let m = interface_error(&InterfaceError::Missing("swx0".into()));
        assert!(m.contains("swx0") && m.contains("--iface"), "{m}");
    }

    #[test]
    fn a_kernel_address_names_the_address_flag_of_the_command() {
        let e = OpenError::KernelAddress {
            iface: "eth0".into(),
            addr: std::net::Ipv4Addr::new(192, 0, 2, 7).into(),
            prefix_len: 24,
        };
        for flag in ["--ip", "--src-ip"] {
            let m = open_error(&e, flag);
            assert!(
                m.contains("192.0.2.7 is an address the kernel has on eth0")
                    && m.contains(&format!("give {flag} an address"))
                    && m.contains("ip addr del 192.0.2.7/24 dev eth0"),
                "{m}"
            );
        }
        let m = open_error(
            &OpenError::QueueOutOfRange {
                iface: "eth0".into(),
                queue: 1,
                rx_queues: 1,
            },
            "--ip",
        );
        assert!(
            m.contains("queue 1 is out of range") && m.contains("--queues at most 1"),
            "{m}"
        );
    }
}

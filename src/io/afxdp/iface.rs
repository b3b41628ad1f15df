//! What the AF_XDP backend needs to know about an interface: its index,
//! MAC address, MTU and number of receive queues.
//!
//! Rules: read once at start-up (ioctl and sysfs), never per frame.

use crate::wire::MacAddr;
use std::ffi::CString;
use std::io;

/// An interface, as looked up by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its name.
    pub name: String,
    /// Its index.
    pub index: u32,
    /// Its MAC address.
    pub mac: MacAddr,
    /// Its MTU.
    pub mtu: u32,
    /// Receive queues (1 where the kernel does not say).
    pub rx_queues: u32,
}

/// Why an interface could not be looked up.
#[derive(Debug)]
pub enum InterfaceError {
    /// No interface has that name (in this network namespace).
    Missing(String),
    /// It exists but something about it could not be read.
    Unreadable(String, io::Error),
}

impl std::fmt::Display for InterfaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterfaceError::Missing(n) => write!(
                f,
                "interface '{n}' does not exist in this network namespace: list them with `ip link` (or `ip netns exec NS ip link`), then give --iface NAME"
            ),
            InterfaceError::Unreadable(n, e) => write!(f, "interface '{n}': {e}"),
        }
    }
}

impl Interface {
    /// Looks `name` up.
    pub fn by_name(name: &str) -> Result<Interface, InterfaceError> {
        let missing = || InterfaceError::Missing(name.to_string());
        if name.is_empty() || name.len() >= libc::IFNAMSIZ {
            return Err(missing());
        }
        let c = CString::new(name).map_err(|_| missing())?;
        // Safety: `c` is a NUL-terminated string that outlives the call.
        let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
        if index == 0 {
            return Err(missing());
        }
        let unreadable = |e| InterfaceError::Unreadable(name.to_string(), e);
        let (mac, mtu) = hw_and_mtu(name).map_err(unreadable)?;
        Ok(Interface {
            name: name.to_string(),
            index,
            mac,
            mtu,
            rx_queues: rx_queue_count(name).unwrap_or(1),
        })
    }
}

/// The MAC address and MTU through `SIOCGIFHWADDR` and `SIOCGIFMTU`.
fn hw_and_mtu(name: &str) -> io::Result<(MacAddr, u32)> {
    // Safety: a plain socket call; the descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let result = (|| {
        // Safety: `ifreq` is plain data; all-zero is a valid value.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in req.ifr_name.iter_mut().zip(name.bytes()) {
            *d = s as libc::c_char;
        }
        // Safety: `req` is a valid ifreq naming the interface; the kernel
        // writes the hardware address into its union.
        if unsafe { libc::ioctl(fd, libc::SIOCGIFHWADDR, &mut req) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // Safety: SIOCGIFHWADDR filled `ifru_hwaddr`.
        let sa = unsafe { req.ifr_ifru.ifru_hwaddr };
        let mut mac = [0u8; 6];
        for (d, s) in mac.iter_mut().zip(sa.sa_data.iter()) {
            *d = *s as u8;
        }
        // Safety: as above; SIOCGIFMTU writes `ifru_mtu`.
        if unsafe { libc::ioctl(fd, libc::SIOCGIFMTU, &mut req) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // Safety: SIOCGIFMTU filled `ifru_mtu`.
        let mtu = unsafe { req.ifr_ifru.ifru_mtu };
        Ok((MacAddr(mac), mtu.max(0) as u32))
    })();
    // Safety: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    result
}

/// Receive queues from `/sys/class/net/NAME/queues/rx-*`.
fn rx_queue_count(name: &str) -> Option<u32> {
    let dir = std::fs::read_dir(format!("/sys/class/net/{name}/queues")).ok()?;
    let n = dir
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("rx-"))
        .count() as u32;
    (n > 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_found_and_a_missing_name_names_the_fix() {
        let lo = Interface::by_name("lo").expect("every namespace has lo");
        assert!(lo.index > 0);
        assert!(lo.mtu > 0);
        assert!(lo.rx_queues >= 1);
        let e = Interface::by_name("sw-no-such-if").unwrap_err().to_string();
        assert!(e.contains("does not exist") && e.contains("--iface"), "{e}");
        assert!(Interface::by_name("").is_err());
        assert!(Interface::by_name(&"x".repeat(40)).is_err());
    }
}

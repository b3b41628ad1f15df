//! What the AF_XDP backend needs to know about an interface: its index,
//! MAC address, MTU, number of receive queues, and the IPv4 addresses
//! the kernel has on it.
//!
//! Rules: read once at start-up (ioctl, sysfs, getifaddrs), never per
//! frame.

use crate::wire::MacAddr;
use std::ffi::{CStr, CString};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
            InterfaceError::Missing(n) => {
                write!(
                    f,
                    "interface '{n}' does not exist in this network namespace"
                )
            }
            InterfaceError::Unreadable(n, e) => write!(f, "interface '{n}': {e}"),
        }
    }
}

impl std::error::Error for InterfaceError {}

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

/// The addresses (IPv4 and IPv6) the kernel has on interface `name`,
/// each with its prefix length (`getifaddrs`).
pub fn kernel_addresses(name: &str) -> io::Result<Vec<(IpAddr, u8)>> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // Safety: `list` is a valid place for the list's head; it is freed
    // below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut at = list;
    while !at.is_null() {
        // Safety: `at` is an entry of the list getifaddrs returned, alive
        // until freeifaddrs.
        let ifa = unsafe { &*at };
        at = ifa.ifa_next;
        if ifa.ifa_name.is_null() || ifa.ifa_addr.is_null() {
            continue;
        }
        // Safety: a non-null `ifa_name` is a NUL-terminated string of the
        // list.
        let ifa_name = unsafe { CStr::from_ptr(ifa.ifa_name) };
        if ifa_name.to_bytes() != name.as_bytes() {
            continue;
        }
        // Safety: a non-null `ifa_addr` points to a sockaddr of the list.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_INET {
            // Safety: an AF_INET address (and its netmask) is a
            // sockaddr_in.
            let addr = unsafe { *(ifa.ifa_addr as *const libc::sockaddr_in) };
            let prefix_len = if ifa.ifa_netmask.is_null() {
                32
            } else {
                // Safety: as above.
                let mask = unsafe { *(ifa.ifa_netmask as *const libc::sockaddr_in) };
                u32::from_be(mask.sin_addr.s_addr).count_ones() as u8
            };
            let ip = Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr));
            out.push((IpAddr::V4(ip), prefix_len));
        } else if family == libc::AF_INET6 {
            // Safety: an AF_INET6 address (and its netmask) is a
            // sockaddr_in6.
            let addr = unsafe { *(ifa.ifa_addr as *const libc::sockaddr_in6) };
            let prefix_len = if ifa.ifa_netmask.is_null() {
                128
            } else {
                // Safety: as above.
                let mask = unsafe { *(ifa.ifa_netmask as *const libc::sockaddr_in6) };
                u128::from_be_bytes(mask.sin6_addr.s6_addr).count_ones() as u8
            };
            let ip = Ipv6Addr::from(addr.sin6_addr.s6_addr);
            out.push((IpAddr::V6(ip), prefix_len));
        }
    }
    // Safety: the list getifaddrs returned, freed once; no entry is used
    // after this.
    unsafe { libc::freeifaddrs(list) };
    Ok(out)
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
        let e = Interface::by_name("sw-no-such-if").unwrap_err();
        assert!(matches!(&e, InterfaceError::Missing(n) if n == "sw-no-such-if"));
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(Interface::by_name("").is_err());
        assert!(Interface::by_name(&"x".repeat(40)).is_err());
    }

    #[test]
    fn the_loopback_interface_has_127_0_0_1() {
        let lo = kernel_addresses("lo").expect("getifaddrs");
        assert!(lo.contains(&(IpAddr::V4(Ipv4Addr::LOCALHOST), 8)), "{lo:?}");
        assert!(kernel_addresses("sw-no-such-if").unwrap().is_empty());
    }
}

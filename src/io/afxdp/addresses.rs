//! Our addresses as the XDP program and the open checks see them: a range
//! of consecutive IPv4 addresses, a range of consecutive IPv6 addresses
//! (the first 96 bits shared, the range in the last 32), or both.
//!
//! Rules: plain data; `contains` decides exactly as the program does.

use crate::wire::{V4, V6};
use std::net::IpAddr;

/// `count` consecutive addresses from `first` (IPv4 by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressRange<A = V4> {
    /// The first address.
    pub first: A,
    /// How many (1 to 2^31; for IPv6 within the last 32 bits of `first`).
    pub count: u32,
}

impl AddressRange<V4> {
    /// Whether `addr` is one of these addresses (as the program decides:
    /// `addr - first`, wrapping, below `count`).
    pub fn contains(&self, addr: std::net::Ipv4Addr) -> bool {
        let offset = u32::from(addr).wrapping_sub(u32::from_be_bytes(self.first));
        offset < self.count.clamp(1, 1 << 31)
    }
}

impl AddressRange<V6> {
    /// Whether `addr` is one of these addresses (as the program decides:
    /// the first 96 bits equal, the last 32 less `first`'s, wrapping,
    /// below `count`).
    pub fn contains(&self, addr: std::net::Ipv6Addr) -> bool {
        let a = addr.octets();
        let low = |x: &[u8; 16]| u32::from_be_bytes([x[12], x[13], x[14], x[15]]);
        a[..12] == self.first[..12]
            && low(&a).wrapping_sub(low(&self.first)) < self.count.clamp(1, 1 << 31)
    }

    /// The last 32 bits of the first address.
    pub fn first_low(&self) -> u32 {
        let f = &self.first;
        u32::from_be_bytes([f[12], f[13], f[14], f[15]])
    }
}

/// Every address synwave owns on the interface: IPv4, IPv6, or both (at
/// least one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ours {
    /// The IPv4 range.
    pub v4: Option<AddressRange<V4>>,
    /// The IPv6 range.
    pub v6: Option<AddressRange<V6>>,
}

impl Ours {
    /// IPv4 addresses only.
    pub fn v4(range: AddressRange<V4>) -> Ours {
        Ours {
            v4: Some(range),
            v6: None,
        }
    }

    /// IPv6 addresses only.
    pub fn v6(range: AddressRange<V6>) -> Ours {
        Ours {
            v4: None,
            v6: Some(range),
        }
    }

    /// Whether `addr` (of either family) is one of ours.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.v4.is_some_and(|r| r.contains(a)),
            IpAddr::V6(a) => self.v6.is_some_and(|r| r.contains(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn a_range_holds_its_addresses_and_no_other() {
        let r = AddressRange {
            first: [10, 99, 0, 250],
            count: 10,
        };
        let ip = Ipv4Addr::new;
        assert!(r.contains(ip(10, 99, 0, 250)) && r.contains(ip(10, 99, 1, 3)));
        assert!(!r.contains(ip(10, 99, 0, 249)) && !r.contains(ip(10, 99, 1, 4)));
    }

    #[test]
    fn an_ipv6_range_holds_its_last_32_bits_under_its_prefix() {
        let first: Ipv6Addr = "fd00::1:fffe".parse().unwrap();
        let r = AddressRange {
            first: first.octets(),
            count: 4,
        };
        let ip = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        assert!(r.contains(ip("fd00::1:fffe")) && r.contains(ip("fd00::2:1")));
        assert!(!r.contains(ip("fd00::2:2")) && !r.contains(ip("fd00::1:fffd")));
        assert!(!r.contains(ip("fd01::1:fffe")));
        let ours = Ours::v6(r);
        assert!(ours.contains(IpAddr::V6(ip("fd00::1:ffff"))));
        assert!(!ours.contains(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
    }
}

//! The set of listening ports as a 65,536-bit map: one load and one bit
//! test per frame, whatever the number of ports.

/// A set of TCP ports.
#[derive(Clone)]
pub(crate) struct PortSet(Box<[u64; 1024]>);

impl PortSet {
    /// The set holding `ports`.
    pub(crate) fn new(ports: &[u16]) -> PortSet {
        let mut bits = Box::new([0u64; 1024]);
        for &p in ports {
            bits[usize::from(p >> 6)] |= 1 << (p & 63);
        }
        PortSet(bits)
    }

    /// `port` is in the set.
    #[inline]
    pub(crate) fn contains(&self, port: u16) -> bool {
        self.0[usize::from(port >> 6)] >> (port & 63) & 1 != 0
    }
}

impl core::fmt::Debug for PortSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let ports = (0..=u16::MAX).filter(|&p| self.contains(p));
        f.debug_set().entries(ports).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_exactly_its_ports() {
        let s = PortSet::new(&[0, 80, 443, 65535]);
        for p in 0..=u16::MAX {
            assert_eq!(s.contains(p), [0, 80, 443, 65535].contains(&p), "{p}");
        }
        assert_eq!(format!("{s:?}"), "{0, 80, 443, 65535}");
    }
}

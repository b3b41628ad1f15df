//! Wrap-safe TCP sequence numbers (RFC 9293 §3.4): comparisons are done in
//! modulo-2^32 arithmetic, so `a < b` means "b is ahead of a by less than
//! 2^31".

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A 32-bit TCP sequence number with wrap-around arithmetic.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// `self` lies in `[lo, hi)` modulo 2^32.
    #[inline]
    pub fn in_range(self, lo: SeqNum, hi: SeqNum) -> bool {
        self.0.wrapping_sub(lo.0) < hi.0.wrapping_sub(lo.0)
    }

    /// `self` lies in `[lo, hi]` modulo 2^32.
    #[inline]
    pub fn in_range_inclusive(self, lo: SeqNum, hi: SeqNum) -> bool {
        self.0.wrapping_sub(lo.0) <= hi.0.wrapping_sub(lo.0)
    }

    /// Signed distance from `other` to `self`.
    #[inline]
    pub fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
}

impl PartialOrd for SeqNum {
    #[inline]
    fn partial_cmp(&self, other: &SeqNum) -> Option<Ordering> {
        Some(self.diff(*other).cmp(&0))
    }
}

impl Add<u32> for SeqNum {
    type Output = SeqNum;
    #[inline]
    fn add(self, rhs: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(rhs))
    }
}

impl AddAssign<u32> for SeqNum {
    #[inline]
    fn add_assign(&mut self, rhs: u32) {
        self.0 = self.0.wrapping_add(rhs);
    }
}

impl Sub<u32> for SeqNum {
    type Output = SeqNum;
    #[inline]
    fn sub(self, rhs: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(rhs))
    }
}

impl Sub<SeqNum> for SeqNum {
    type Output = u32;
    /// Forward distance from `rhs` to `self`, modulo 2^32.
    #[inline]
    fn sub(self, rhs: SeqNum) -> u32 {
        self.0.wrapping_sub(rhs.0)
    }
}

impl fmt::Debug for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeqNum({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_wraps() {
        let a = SeqNum(u32::MAX - 10);
        let b = a + 20;
        assert_eq!(b.0, 9);
        assert!(a < b);
        assert!(b > a);
        assert_eq!(b - a, 20);
        assert_eq!(a.diff(b), -20);
    }

    #[test]
    fn ranges_wrap() {
        let lo = SeqNum(u32::MAX - 1);
        let hi = lo + 4;
        assert!(SeqNum(u32::MAX).in_range(lo, hi));
        assert!(SeqNum(1).in_range(lo, hi));
        assert!(!SeqNum(2).in_range(lo, hi));
        assert!(SeqNum(2).in_range_inclusive(lo, hi));
        assert!(!SeqNum(3).in_range_inclusive(lo, hi));
        // Empty range contains nothing.
        assert!(!lo.in_range(lo, lo));
    }
}

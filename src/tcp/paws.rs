//! Timestamp comparison for PAWS and TIME-WAIT reopening (RFC 7323 §5.3):
//! TSvals are compared modulo 2^32, as sequence numbers are.

/// TSval `a` is older than `b` (RFC 7323 §5.3: modulo-2^32 comparison).
#[inline]
pub(crate) fn ts_older(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_modulo_2_32() {
        assert!(ts_older(1, 2));
        assert!(!ts_older(2, 1));
        assert!(!ts_older(5, 5));
        // Across the wrap: 0xffff_fff0 is older than 0x10.
        assert!(ts_older(0xffff_fff0, 0x10));
        assert!(!ts_older(0x10, 0xffff_fff0));
    }
}

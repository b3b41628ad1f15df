//! Prefetch hints. A frame in the loopback (or a UMEM frame written by
//! the NIC's DMA) was last written by another core: the first read of its
//! headers is a cache miss that stalls the worker. The poll loop asks for
//! the headers of the whole burst before handling the first frame, so the
//! misses overlap instead of queueing up, as DPDK applications do with
//! `rte_prefetch0`; the endpoint asks for a TIME-WAIT record's home slot
//! as soon as it has hashed a four-tuple.
//!
//! Rules: a hint only; never reads memory itself, never faults.

/// Bytes of a frame's headers worth fetching ahead: Ethernet, IPv4 and
/// TCP with options (two cache lines).
const HEADER_SPAN: usize = 128;

/// Asks the CPU to bring the cache line holding `p` into the cache.
#[inline(always)]
pub fn line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // Safety: `_mm_prefetch` is a hint: it never faults and never
        // changes memory, whatever the address; SSE, which it needs, is
        // part of the x86_64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Asks the CPU to bring the first `HEADER_SPAN` bytes of `frame` into
/// the cache.
#[inline(always)]
pub fn headers(frame: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = frame.as_ptr();
        let mut off = 0;
        while off < HEADER_SPAN.min(frame.len()) {
            // Safety: `_mm_prefetch` is a hint: it never faults and never
            // changes memory, whatever the address; SSE, which it needs,
            // is part of the x86_64 baseline. The address stays inside
            // `frame` (`off < frame.len()`).
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(off).cast::<i8>()) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = frame;
}

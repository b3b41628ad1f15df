//! Prefetch hints. A frame in the loopback (or a UMEM frame written by
//! the NIC's DMA) was last written by another core: the first read of its
//! headers, and the checksum's read of its payload, are cache misses that
//! stall the worker. The poll loop asks for frame i + `AHEAD` (headers and
//! payload, up to `FRAME_SPAN` bytes) while it handles frame i, so the
//! misses overlap with work instead of queueing up, as DPDK applications
//! do with `rte_prefetch0`. A window and not the whole burst at once: a
//! core has only 10 to 16 line-fill buffers, and a 64-frame burst asked
//! for in one go fills them, so that every later prefetch (the TIME-WAIT
//! slot's among them) stalls the core until one frees. The endpoint asks
//! for a TIME-WAIT record's home slot as soon as it has hashed a
//! four-tuple. A buffer about to be written whole (a generator's SYN) is
//! asked for with intent to write a few allocations ahead, so that it
//! arrives owned instead of shared with the core that last read it.
//!
//! Rules: a hint only; never reads memory itself, never faults.

/// Frames between the one being handled and the one asked for.
pub const AHEAD: usize = 4;

/// Frames between the one being handled and the one whose connection
/// state is asked for (`Endpoint::prefetch_state`): its headers, asked
/// for `AHEAD - STATE_AHEAD` frames earlier, have arrived by then.
pub const STATE_AHEAD: usize = 2;

/// Bytes of a frame worth fetching ahead: Ethernet, IPv4 and TCP with
/// options and a few hundred bytes of payload, all of which the checksum
/// reads (six cache lines).
const FRAME_SPAN: usize = 384;

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

/// Asks the CPU for the cache line holding `p` with intent to write
/// (PREFETCHW): the line arrives owned, so a store to it does not wait for
/// the other cores' copies to be invalidated.
#[inline(always)]
pub fn line_for_write(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        // Safety: PREFETCHW is a hint: it never faults and never changes
        // memory, whatever the address (CPUs without it, before Broadwell,
        // execute the opcode as a NOP); it touches no register but its
        // input and no flag. (Inline assembly: LLVM emits `prefetchw` for
        // `_MM_HINT_ET0` only when the build targets `prfchw`.)
        unsafe {
            core::arch::asm!(
                "prefetchw [{p}]",
                p = in(reg) p,
                options(nostack, preserves_flags, readonly)
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Asks the CPU to bring the first `FRAME_SPAN` bytes of `frame` into
/// the cache.
#[inline(always)]
pub fn frame(frame: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = frame.as_ptr();
        let mut off = 0;
        while off < FRAME_SPAN.min(frame.len()) {
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

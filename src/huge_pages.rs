//! The process's allocator: the system allocator, with big blocks (the
//! connection and TIME-WAIT tables, the timer slab: tens to hundreds of
//! MiB each) aligned to 2 MiB and marked for transparent huge pages
//! (`madvise(MADV_HUGEPAGE)`), so that lookups spread over millions of
//! records miss the TLB far less. Most kernels ship THP in `madvise` mode:
//! without the mark such blocks get 4 KiB pages.
//!
//! Rules: small blocks go to the system allocator unchanged; the huge-page
//! mark is advice (a kernel without THP ignores it, nothing fails); the
//! layout change is a pure function of the requested layout, so `alloc`
//! and `dealloc` always agree.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks from this size up are aligned and marked.
const THRESHOLD: usize = 16 << 20;
/// The huge page size on x86-64 and aarch64 (4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// The system allocator with transparent huge pages for big blocks.
pub struct HugePageAlloc;

/// The layout actually requested from the system: big blocks aligned to
/// a huge page.
#[inline]
fn actual(layout: Layout) -> Layout {
    if layout.size() < THRESHOLD || layout.align() >= HUGE_PAGE {
        return layout;
    }
    Layout::from_size_align(layout.size(), HUGE_PAGE).unwrap_or(layout)
}

/// Marks a fresh big block for huge pages.
#[inline]
fn advise(ptr: *mut u8, layout: Layout) {
    if ptr.is_null() || layout.size() < THRESHOLD {
        return;
    }
    // Whole huge pages only: the block is aligned to one; its tail is left
    // to 4 KiB pages.
    let len = layout.size() / HUGE_PAGE * HUGE_PAGE;
    // Safety: `ptr..ptr + len` lies inside the block the system allocator
    // just returned to us; MADV_HUGEPAGE only changes how the kernel backs
    // those pages, never their contents, and its failure is harmless.
    unsafe {
        libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE);
    }
}

// Safety: every call is forwarded to `System` with the layout `actual`
// derives, the same for a block's allocation and its release; `actual`
// only raises the alignment, which `System` honours, so the block is
// valid for the caller's layout too.
unsafe impl GlobalAlloc for HugePageAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let l = actual(layout);
        // Safety: forwarded with a non-zero-size layout (the caller's
        // contract, `actual` keeps the size).
        let p = unsafe { System.alloc(l) };
        advise(p, l);
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let l = actual(layout);
        // Safety: as in `alloc`; zeroed pages of a big block stay lazily
        // mapped (calloc over mmap).
        let p = unsafe { System.alloc_zeroed(l) };
        advise(p, l);
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: `ptr` came from `alloc`/`alloc_zeroed` with this same
        // caller layout, hence the same `actual` layout.
        unsafe { System.dealloc(ptr, actual(layout)) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align(new_size, layout.align()).unwrap_or(layout);
        if actual(layout) == layout && actual(new) == new {
            // Small before and after: the system's realloc, unchanged.
            // Safety: the caller's contract, forwarded as is.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // Crossing the threshold changes the alignment: allocate, copy,
        // free, through our own functions so that layouts stay paired.
        // Safety: `new` has a non-zero size (caller's contract); the copy
        // covers the smaller of two live blocks, which do not overlap.
        unsafe {
            let p = self.alloc(new);
            if !p.is_null() {
                std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            p
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_blocks_are_aligned_small_ones_untouched() {
        let small = Layout::from_size_align(4096, 8).unwrap();
        assert_eq!(actual(small), small);
        let big = Layout::from_size_align(64 << 20, 8).unwrap();
        assert_eq!(actual(big).align(), HUGE_PAGE);
        assert_eq!(actual(big).size(), big.size());
        let a = HugePageAlloc;
        // Safety: non-zero layouts; each block freed once with its layout.
        unsafe {
            let p = a.alloc_zeroed(big);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE_PAGE, 0);
            assert_eq!(*p.add((64 << 20) - 1), 0);
            let q = a.realloc(p, big, 8 << 20);
            assert!(!q.is_null());
            let r = a.realloc(q, Layout::from_size_align(8 << 20, 8).unwrap(), 32 << 20);
            assert!(!r.is_null());
            assert_eq!(r as usize % HUGE_PAGE, 0);
            a.dealloc(r, Layout::from_size_align(32 << 20, 8).unwrap());
        }
    }
}

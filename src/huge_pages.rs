//! The process's allocator: the system allocator for ordinary blocks; big
//! blocks (the connection and TIME-WAIT tables, the timer slab: tens to
//! hundreds of MiB each) mapped by us, aligned to 2 MiB and marked for
//! transparent huge pages (`madvise(MADV_HUGEPAGE)`), so that lookups
//! spread over millions of records miss the TLB far less. Most kernels
//! ship THP in `madvise` mode: without the mark such blocks get 4 KiB
//! pages.
//!
//! A big block is a fresh anonymous mapping, which the kernel hands out
//! zeroed and backs with memory only where it is first touched: a zeroed
//! allocation costs address space, not memory, until it is written (the
//! system allocator, asked for 2 MiB alignment, would allocate and memset
//! the whole block, faulting every page in up front). The mapping is made
//! larger than asked by one alignment, then its unaligned head and unused
//! tail are unmapped.
//!
//! Rules: small blocks go to the system allocator unchanged; whether a
//! block is big is a pure function of its layout's size, so `alloc`,
//! `dealloc` and `realloc` always agree on who owns it; the huge-page mark
//! is advice (a kernel without THP ignores it, nothing fails).

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks from this size up are mapped, aligned and marked.
const THRESHOLD: usize = 16 << 20;
/// The huge page size on x86-64 and aarch64 (4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// The system allocator, with big blocks mapped lazily on transparent huge
/// pages.
pub struct HugePageAlloc;

/// Whether a block of this layout is ours to map.
#[inline]
fn is_big(layout: Layout) -> bool {
    layout.size() >= THRESHOLD
}

/// The base page size.
fn page_size() -> usize {
    // Safety: sysconf has no preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => 4096,
    }
}

/// `n` rounded up to a multiple of `to` (a power of two), or `None` on
/// overflow.
fn round_up(n: usize, to: usize) -> Option<usize> {
    Some(n.checked_add(to - 1)? & !(to - 1))
}

/// The bytes a big block of `size` bytes maps: whole pages.
fn mapped_len(size: usize) -> Option<usize> {
    round_up(size, page_size())
}

/// Maps a big block for `layout`: zeroed, lazily backed, aligned to at
/// least a huge page and marked for huge pages. Null on failure.
fn map(layout: Layout) -> *mut u8 {
    let align = layout.align().max(HUGE_PAGE);
    let Some(len) = mapped_len(layout.size()) else {
        return std::ptr::null_mut();
    };
    // Room to slide the block up to an aligned address.
    let Some(span) = len.checked_add(align - page_size()) else {
        return std::ptr::null_mut();
    };
    // Safety: an anonymous private mapping at an address of the kernel's
    // choosing; no existing memory is affected.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            span,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    let start = p as usize;
    // `start` is page-aligned and `span` leaves `align - page` bytes of
    // slack, so the aligned block fits inside the mapping.
    let aligned = (start + align - 1) & !(align - 1);
    let head = aligned - start;
    let tail = span - head - len;
    // Safety: the head and the tail are whole pages of the mapping just
    // made, outside the block handed out; nothing refers to them.
    unsafe {
        if head > 0 {
            libc::munmap(p, head);
        }
        if tail > 0 {
            libc::munmap((aligned + len) as *mut libc::c_void, tail);
        }
    }
    let block = aligned as *mut u8;
    // Safety: whole huge pages at the start of the block just mapped;
    // MADV_HUGEPAGE only changes how the kernel backs them, never their
    // contents, and its failure is harmless.
    unsafe {
        libc::madvise(
            block.cast(),
            len / HUGE_PAGE * HUGE_PAGE,
            libc::MADV_HUGEPAGE,
        );
    }
    block
}

/// Unmaps the big block of `size` bytes at `ptr`.
///
/// # Safety
/// `ptr` was returned by `map` (or kept by `shrink`) for a block of
/// `size` bytes, and is not used after this.
unsafe fn unmap(ptr: *mut u8, size: usize) {
    if let Some(len) = mapped_len(size) {
        // Safety: the caller's contract: exactly the pages `map` left.
        unsafe { libc::munmap(ptr.cast(), len) };
    }
}

// Safety: small blocks are forwarded to `System` with the caller's
// layout; big blocks (a pure function of the size, the same for a block's
// allocation, reallocation and release) are fresh anonymous mappings
// aligned to at least the caller's alignment, exactly as long as `unmap`
// and `realloc` assume, each used by one block only.
unsafe impl GlobalAlloc for HugePageAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_big(layout) {
            return map(layout);
        }
        // Safety: forwarded with the caller's (non-zero-size) layout.
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_big(layout) {
            // A fresh anonymous mapping reads as zeroes.
            return map(layout);
        }
        // Safety: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_big(layout) {
            // Safety: a big layout's block came from `map` with this size.
            unsafe { unmap(ptr, layout.size()) };
            return;
        }
        // Safety: a small layout's block came from `System` with it.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        match (is_big(layout), is_big(new)) {
            // Small before and after: the system's realloc, unchanged.
            // Safety: the caller's contract, forwarded as is.
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            // A big block that shrinks and stays big keeps its place: the
            // pages past its new end are unmapped.
            (true, true) if new_size <= layout.size() => {
                if let (Some(old_len), Some(new_len)) =
                    (mapped_len(layout.size()), mapped_len(new_size))
                    && old_len > new_len
                {
                    // Safety: whole pages at the end of this block's
                    // mapping, past its new size; nothing refers to them.
                    unsafe { libc::munmap(ptr.add(new_len).cast(), old_len - new_len) };
                }
                ptr
            }
            // Crossing the threshold or growing a big block: a new block,
            // the contents copied, the old block released, each through
            // the function that owns its layout.
            _ => {
                // Safety: `new` has a non-zero size (the caller's
                // contract); the copy covers the smaller of two live
                // blocks, which do not overlap; the old block is released
                // once, with its own layout.
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of `len` bytes from `p` (page-aligned) backed by memory now.
    fn resident_pages(p: *mut u8, len: usize) -> usize {
        let pages = len.div_ceil(page_size());
        let mut v = vec![0u8; pages];
        // Safety: `p..p + len` is mapped (a live block of ours) and `v`
        // has one byte per page.
        let r = unsafe { libc::mincore(p.cast(), len, v.as_mut_ptr()) };
        assert_eq!(r, 0, "mincore: {}", std::io::Error::last_os_error());
        v.iter().filter(|&&b| b & 1 != 0).count()
    }

    /// The process's resident memory (`/proc/self/statm`), in bytes.
    fn resident_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
        let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * page_size()
    }

    #[test]
    fn a_big_zeroed_block_costs_no_memory_until_written() {
        let size = 256 << 20;
        let layout = Layout::from_size_align(size, 4).unwrap();
        let a = HugePageAlloc;
        let before = resident_bytes();
        // Safety: a non-zero layout; the block is freed once with it.
        unsafe {
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE_PAGE, 0);
            let grew = resident_bytes().saturating_sub(before);
            assert!(grew < size / 4, "resident memory grew by {grew} bytes");
            assert_eq!(resident_pages(p, size), 0, "pages faulted in up front");
            // Written: the pages touched, at most a huge page each, are
            // backed, and the block still reads as zeroes elsewhere.
            *p.add(12345) = 7;
            *p.add(size - 1) = 9;
            let backed = resident_pages(p, size);
            assert!(
                (2..=2 * HUGE_PAGE / page_size()).contains(&backed),
                "{backed} pages"
            );
            assert_eq!((*p.add(12345), *p.add(size - 1)), (7, 9));
            assert_eq!(*p.add(size / 2), 0);
            a.dealloc(p, layout);
        }
    }

    #[test]
    fn big_blocks_are_aligned_small_ones_untouched_and_realloc_keeps_contents() {
        let a = HugePageAlloc;
        let big = Layout::from_size_align(64 << 20, 8).unwrap();
        let small = Layout::from_size_align(8 << 20, 8).unwrap();
        assert!(is_big(big) && !is_big(small));
        // Safety: non-zero layouts; each block is used within its size and
        // freed once, with the layout it has at that point.
        unsafe {
            let p = a.alloc(big);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE_PAGE, 0);
            *p = 1;
            *p.add((32 << 20) - 1) = 2;
            // Big to smaller big: kept in place, the tail unmapped.
            let q = a.realloc(p, big, 32 << 20);
            assert_eq!(q, p);
            assert_eq!((*q, *q.add((32 << 20) - 1)), (1, 2));
            // Big to small: moved to the system allocator, contents kept.
            let r = a.realloc(q, Layout::from_size_align(32 << 20, 8).unwrap(), 8 << 20);
            assert!(!r.is_null());
            assert_eq!(*r, 1);
            // Small to big: mapped and aligned again.
            let s = a.realloc(r, small, 48 << 20);
            assert!(!s.is_null());
            assert_eq!(s as usize % HUGE_PAGE, 0);
            assert_eq!(*s, 1);
            // Big to bigger: moved, contents kept.
            let t = a.realloc(s, Layout::from_size_align(48 << 20, 8).unwrap(), 96 << 20);
            assert_eq!(*t, 1);
            a.dealloc(t, Layout::from_size_align(96 << 20, 8).unwrap());
            // An alignment above a huge page is honoured.
            let wide = Layout::from_size_align(THRESHOLD, 8 << 20).unwrap();
            let w = a.alloc_zeroed(wide);
            assert_eq!(w as usize % (8 << 20), 0);
            a.dealloc(w, wide);
        }
    }
}

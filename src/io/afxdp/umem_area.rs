//! The memory of one UMEM: an anonymous, page-aligned, pre-faulted
//! mapping, unmapped when dropped unless it was leaked.
//!
//! Rules: mapped once at start-up; its address never changes; a mapping
//! that frames may still point into is leaked (left mapped for the rest
//! of the process), never unmapped.

use std::io;
use std::ptr::NonNull;

/// An anonymous mapping of `len` bytes.
#[derive(Debug)]
pub struct UmemArea {
    ptr: NonNull<u8>,
    len: usize,
    /// Left mapped when dropped.
    leaked: bool,
}

impl UmemArea {
    /// Maps `len` bytes (rounded up to whole pages by the kernel), faulted
    /// in now.
    pub fn new(len: usize) -> io::Result<UmemArea> {
        // Safety: an anonymous private mapping at an address of the
        // kernel's choosing; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(UmemArea {
            ptr: NonNull::new(p.cast())
                .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?,
            len,
            leaked: false,
        })
    }

    /// The mapping as the slice pointer `xdpilone::Umem::new` takes.
    pub fn as_non_null(&self) -> NonNull<[u8]> {
        NonNull::slice_from_raw_parts(self.ptr, self.len)
    }

    /// The first byte.
    pub fn as_non_null_ptr(&self) -> NonNull<u8> {
        self.ptr
    }

    /// Keeps the memory mapped after the area is dropped (for the rest of
    /// the process).
    pub fn leak(&mut self) {
        self.leaked = true;
    }
}

impl Drop for UmemArea {
    fn drop(&mut self) {
        if self.leaked {
            return;
        }
        // Safety: the mapping was made by `new` with this length and is
        // unmapped once; the rings and sockets using it are dropped first.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

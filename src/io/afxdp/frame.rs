//! A frame in a chunk of a UMEM (shared by the AF_XDP sockets of one
//! interface), as a worker holds it ([`XskFrame`]), and the identity that
//! ties it to that UMEM ([`PortId`]).
//!
//! Rules: a frame is a unique handle to its chunk: it is made only by a
//! port of its UMEM (from a descriptor the kernel returned or a chunk of
//! the port's free list), is not `Clone`, and is stamped with its UMEM's
//! id, which no other UMEM in the process ever has. A port takes back
//! only frames of its own UMEM (a foreign frame is counted and forgotten,
//! never put on a ring), and the UMEM stays mapped while any of its
//! frames is held (the ports' count, `umem_share`), so a frame stays
//! valid memory whatever safe code does with it. No atomic operation per
//! frame: the id is a plain integer compare.

use crate::io::FrameBuf;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// The identity of one UMEM (the ports that share it), unique in the
/// process: ids are handed out in turn and never reused (opening fails
/// once they run out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortId(u32);

static NEXT_PORT_ID: AtomicU32 = AtomicU32::new(1);

impl PortId {
    /// A new id, or `None` once 2³² − 1 ports have been opened.
    pub fn next() -> Option<PortId> {
        NEXT_PORT_ID
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .ok()
            .map(PortId)
    }
}

/// A frame in a UMEM chunk, held by a worker.
#[derive(Debug)]
pub struct XskFrame {
    ptr: NonNull<u8>,
    /// UMEM offset of the frame's first byte.
    addr: u64,
    len: u16,
    cap: u16,
    owner: PortId,
}

// Safety: an `XskFrame` is the only handle to its chunk of a UMEM mapping
// that stays mapped while the frame exists (its port unmaps the UMEM only
// when every frame it handed out has come back, and leaks the mapping
// otherwise); nothing else reads or writes the chunk while it is held, so
// the frame may move to and be used from any thread.
unsafe impl Send for XskFrame {}

impl XskFrame {
    /// The frame at UMEM offset `addr` of the mapping at `base`, whose
    /// chunks are `frame_size` bytes (`chunk_mask` keeps a chunk's base),
    /// `len` bytes long, held for `owner`.
    ///
    /// # Safety
    /// `base` is the first byte of a live mapping that contains the whole
    /// chunk of `addr`, and that stays mapped while the frame exists; no
    /// other handle to that chunk exists while the frame does; `frame_size`
    /// is at most 65,535.
    #[inline]
    pub(super) unsafe fn at(
        base: NonNull<u8>,
        chunk_mask: u64,
        frame_size: u32,
        addr: u64,
        len: u32,
        owner: PortId,
    ) -> XskFrame {
        let chunk = addr & chunk_mask;
        let cap = (chunk + u64::from(frame_size) - addr) as u32;
        XskFrame {
            // Safety: `addr` lies inside the mapping (the caller's
            // contract), so the pointer stays inside it and, as an offset
            // from a non-null base, is non-null.
            ptr: unsafe { base.add(addr as usize) },
            addr,
            len: len.min(cap) as u16,
            cap: cap as u16,
            owner,
        }
    }

    /// The UMEM offset of the frame's first byte.
    #[inline]
    pub(super) fn addr(&self) -> u64 {
        self.addr
    }

    /// The frame's length as a descriptor carries it.
    #[inline]
    pub(super) fn desc_len(&self) -> u32 {
        u32::from(self.len)
    }

    /// Whether `port` handed this frame out.
    #[inline]
    pub(super) fn is_of(&self, port: PortId) -> bool {
        self.owner == port
    }
}

impl FrameBuf for XskFrame {
    #[inline]
    fn buf_mut(&mut self) -> &mut [u8] {
        // Safety: `ptr..ptr + cap` lies inside this frame's chunk, which
        // stays mapped while the frame exists (see `at`); the chunk is on
        // no ring and behind no other handle while the frame is held, and
        // `&mut self` makes this borrow the only one.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), usize::from(self.cap)) }
    }
    #[inline]
    fn data(&self) -> &[u8] {
        // Safety: as in `buf_mut`; `len <= cap`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), usize::from(self.len)) }
    }
    #[inline]
    fn len(&self) -> usize {
        usize::from(self.len)
    }
    #[inline]
    fn set_len(&mut self, len: usize) {
        self.len = len.min(usize::from(self.cap)) as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_frames_know_their_port() {
        let (a, b) = (PortId::next().unwrap(), PortId::next().unwrap());
        assert_ne!(a, b);
        let mut chunk = vec![0u8; 4096];
        let base = NonNull::new(chunk.as_mut_ptr()).unwrap();
        {
            // Safety: `base` maps 4096 bytes, two chunks of 2048, and
            // outlives the frame, the only handle to them in this scope.
            let mut f = unsafe { XskFrame::at(base, !2047, 2048, 2048 + 256, 9999, a) };
            assert!(f.is_of(a) && !f.is_of(b));
            // Capacity: the rest of the chunk after the headroom; the
            // length is clamped to it.
            assert_eq!((f.buf_mut().len(), f.len(), f.addr()), (1792, 1792, 2304));
            f.set_len(10);
            f.buf_mut()[..10].copy_from_slice(b"0123456789");
            assert_eq!(f.data(), b"0123456789");
            assert_eq!(f.desc_len(), 10);
        }
        assert_eq!(&chunk[2304..2314], b"0123456789");
    }
}

//! The trait every backend implements: a [`Port`] (one queue of a network
//! port, owned by one worker) hands out [`FrameBuf`]s and counts what it
//! did in [`PortStats`].
//!
//! Rules: the backend owns the buffers; a worker holds a frame between
//! `rx_burst` (or `alloc`) and `tx_burst` (or `recycle`); batches go into
//! caller-owned `Vec`s, so a port allocates nothing per frame.

/// One frame buffer held by a worker.
pub trait FrameBuf {
    /// The whole buffer (its capacity), for writing a frame into it.
    fn buf_mut(&mut self) -> &mut [u8];
    /// The frame: the first `len()` bytes.
    fn data(&self) -> &[u8];
    /// Length of the frame.
    fn len(&self) -> usize;
    /// The frame is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Sets the frame's length (clamped to the capacity).
    fn set_len(&mut self, len: usize);
}

/// Frame and drop counts of one port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Frames received.
    pub rx_frames: u64,
    /// Frames handed to the link (including those it then lost).
    pub tx_frames: u64,
    /// Frames dropped because the receiving ring was full.
    pub tx_ring_full: u64,
    /// Frames lost by the impairment.
    pub lost: u64,
    /// Extra copies sent by the impairment.
    pub duplicated: u64,
    /// Frames held back by the impairment.
    pub reordered: u64,
    /// `alloc` calls that found no free buffer.
    pub alloc_failed: u64,
}

/// One queue of a network port, owned by one worker.
pub trait Port {
    /// The frame buffers this port hands out.
    type Frame: FrameBuf;

    /// Moves up to `max` received frames to the end of `out`; returns how
    /// many.
    fn rx_burst(&mut self, out: &mut Vec<Self::Frame>, max: usize) -> usize;

    /// Transmits every frame of `frames` (draining it). Frames the link
    /// cannot take are dropped, counted and recycled. Returns how many were
    /// taken.
    fn tx_burst(&mut self, frames: &mut Vec<Self::Frame>) -> usize;

    /// An empty buffer for a frame the worker originates.
    fn alloc(&mut self) -> Option<Self::Frame>;

    /// Gives a buffer back without sending it.
    fn recycle(&mut self, frame: Self::Frame);

    /// Counts so far.
    fn stats(&self) -> PortStats;
}

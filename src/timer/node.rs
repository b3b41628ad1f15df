//! A timer's node in the wheel's slab, and the meaning of its links.
//!
//! `next` is the next node of the same list, or [`NIL`]. `prev` is the
//! previous node, or for the first node of a list [`HEAD`] plus the list's
//! number (so cancelling the first node finds the list head without a field
//! of its own), or [`FREE`] for a node on the free list (whose `next` then
//! links the free list). Node indices stay below [`HEAD`].

use core::num::NonZeroU32;

/// End of a list.
pub(super) const NIL: u32 = u32::MAX;
/// `prev` of a node that holds no timer.
pub(super) const FREE: u32 = u32::MAX;
/// `prev` of a list's first node is `HEAD` plus the list's number (below
/// [`LISTS_MAX`]); every node index is below it.
pub(super) const HEAD: u32 = u32::MAX - LISTS_MAX;
/// Room for list numbers above [`HEAD`].
pub(super) const LISTS_MAX: u32 = 8192;

/// One timer: 20 bytes plus the value, rounded up to the alignment (32
/// bytes for a 12-byte, 4-aligned value; 40 for a `(u64, u32)`).
#[derive(Clone, Debug)]
pub(super) struct Node<T> {
    /// Deadline in microseconds (handed back when the timer fires).
    pub(super) deadline: u64,
    /// The caller's value.
    pub(super) value: T,
    /// Next node of the same list.
    pub(super) next: u32,
    /// Previous node, `HEAD` + list number, or [`FREE`].
    pub(super) prev: u32,
    /// Bumped whenever the node's timer ends; ids carry the value they were
    /// issued with.
    pub(super) generation: NonZeroU32,
}

impl<T> Node<T> {
    /// Whether the node holds an armed timer.
    #[inline(always)]
    pub(super) fn is_armed(&self) -> bool {
        self.prev != FREE
    }
}

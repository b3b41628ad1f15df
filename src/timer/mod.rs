//! Timers: a hierarchical timing wheel that arms and cancels in O(1) and
//! expires with bounded work per call, sized for tens of millions of
//! connection timers (retransmission, TIME-WAIT, keep-alive).
//!
//! The classic sources: Varghese & Lauck, "Hashed and Hierarchical Timing
//! Wheels: Data Structures for the Efficient Implementation of a Timer
//! Facility" (SOSP 1987), and Linux's timer wheel (`kernel/time/timer.c`).
//! This one is the cascading hierarchical scheme of the former, with the
//! occupied-slot bitmaps that let both jump over empty slots:
//!
//! - 11 levels of 64 slots; a slot of level `l` spans `64^l` ticks, so the
//!   wheel covers every `u64` tick (`64^11 > 2^64`) and needs no overflow
//!   list: a deadline days or centuries away is armed like any other. A
//!   timer sits in the level of the highest base-64 digit in which its tick
//!   differs from the wheel's; when the wheel enters a slot of level `l`,
//!   the slot's timers move down (cascade), so a timer moves at most `l`
//!   times (twice for 60–180 s at the default 1 ms tick).
//! - Timer nodes live in a slab (`Vec` plus free list) and are linked into
//!   intrusive doubly linked lists by `u32` index, 8 lists ("lanes") per
//!   slot: arm and cancel touch the node and its two neighbours, and
//!   allocate nothing once the slab has room
//!   ([`TimerWheel::with_capacity`]). Lanes let a slot be drained 8 nodes
//!   at a time, 8 cache misses in flight instead of one.
//! - A node is 20 bytes plus the value, aligned: 32 bytes for a 12-byte
//!   four-tuple, 40 for a `(u64, u32)` ([`TimerWheel::NODE_SIZE`]).
//! - A [`TimerId`] is an index plus a generation (8 bytes, and
//!   `Option<TimerId>` is 8 bytes too): an id whose timer fired or was
//!   cancelled is refused, even after its node was reused.
//! - [`TimerWheel::expire`] fires at most `budget` timers per call and moves
//!   at most [`CASCADE_PER_FIRE`] × `budget` timers down a level, so one
//!   call is bounded however many timers share a slot; what is left is
//!   picked up by the next call.
//!
//! Rules: plain data, sans-IO like `tcp`: times are `u64` microseconds
//! passed in, no clock, no threads, no `unsafe`, and no panic on any input,
//! stale or forged ids included (only [`TimerWheel::arm`] panics, where
//! `Vec::push` would: when the slab cannot grow).
//!
//! Guarantees, with `tick` the wheel's tick in microseconds and
//! `due(d) = ⌈d / tick⌉ · tick` (a deadline rounded up to a tick; `due(d) =
//! d` when `tick` is 1 µs or `d` is a multiple of it):
//!
//! - never early: a timer fires only in a call whose `now ≥ d`;
//! - never late beyond its tick: while `now` does not decrease, a timer
//!   fires in the first call with `now ≥ due(d)` unless that call stopped on
//!   its budget; [`TimerWheel::next_deadline`] then answers `Some(now)`, so
//!   a caller that repeats `expire` until `next_deadline() > now` has fired
//!   every timer with `due(d) ≤ now`;
//! - [`TimerWheel::next_deadline`] is a lower bound of the earliest due time
//!   that is never below the latest `now` given to `expire`, and calling
//!   `expire` at it always makes progress: a driver that jumps virtual time
//!   to it never skips past a timer and fires each one at its due time
//!   (exactly at its deadline with a 1 µs tick).
//!
//! Files: `levels` (which level and slot a tick goes to), `node` (a node
//! and its links), `lists` (slot lists, lanes, bitmaps), `id` (the
//! handle), `wheel` (slab, time, and the operations).

mod id;
mod levels;
mod lists;
mod node;
mod tick_divider;
mod wheel;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use id::TimerId;
pub use wheel::{CASCADE_PER_FIRE, DEFAULT_TICK_US, MAX_TIMERS, TimerWheel};

//! The timing wheel: the node slab with its free list, the wheel's
//! position in time, and the operations (arm, cancel, re-arm, expire, next
//! deadline) on top of the slot lists.

use super::id::TimerId;
use super::levels::{self, LEVELS};
use super::lists::{LANES, Lists};
use super::node::{FREE, HEAD, NIL, Node};
use super::tick_divider::TickDivider;
use core::fmt;
use core::num::NonZeroU32;

/// The tick of [`TimerWheel::new`] and [`TimerWheel::with_capacity`]: 1 ms.
pub const DEFAULT_TICK_US: u64 = 1_000;

/// How many timers one call of [`TimerWheel::expire`] may move down a level
/// (cascade) per timer of its budget. A timer moves at most once per level
/// it starts above level 0, so 10 (the levels above 0) keeps any mix of
/// timers flowing at the rate the budget fires them.
pub const CASCADE_PER_FIRE: usize = LEVELS - 1;

/// The most timers one wheel holds at once (node indices are `u32`, less a
/// few values that mark list heads): about 4.3 × 10^9, 137 GB of 32-byte
/// nodes. [`TimerWheel::try_arm`] refuses more.
pub const MAX_TIMERS: usize = HEAD as usize;

/// A hierarchical timing wheel of timers carrying a `T` each; see the
/// [module documentation](super) for the design and the guarantees.
///
/// Memory: one node of [`TimerWheel::NODE_SIZE`] bytes per timer slot of
/// the slab (armed or free; the slab never shrinks), plus 23 KB of list
/// heads and bitmaps.
#[derive(Clone)]
pub struct TimerWheel<T> {
    /// The slab: armed nodes and free ones.
    nodes: Vec<Node<T>>,
    /// First free node, or `NIL`.
    free: u32,
    /// The slot lists.
    lists: Lists,
    /// Microseconds per tick (at least 1), as a divider.
    tick: TickDivider,
    /// The wheel's position in ticks: every timer due at an earlier tick
    /// has fired; every armed timer sits at this tick or a later one.
    cur: u64,
    /// The latest `now` given to `expire`.
    now_us: u64,
    /// Armed timers.
    len: usize,
}

impl<T: Copy> Default for TimerWheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for TimerWheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerWheel")
            .field("len", &self.len)
            .field("capacity", &self.nodes.capacity())
            .field("tick_us", &self.tick.divisor())
            .field("cur_tick", &self.cur)
            .field("now_us", &self.now_us)
            .finish_non_exhaustive()
    }
}

impl<T: Copy> TimerWheel<T> {
    /// Bytes of one node of the slab (see [`TimerWheel`]'s memory note): 20
    /// bytes plus `T`, rounded up to the alignment of `u64` and `T`.
    pub const NODE_SIZE: usize = size_of::<Node<T>>();

    /// An empty wheel with a 1 ms tick, at time 0.
    pub fn new() -> Self {
        Self::with_tick(DEFAULT_TICK_US, 0)
    }

    /// An empty wheel with a 1 ms tick and room for `capacity` timers
    /// before it allocates again.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_tick(DEFAULT_TICK_US, capacity)
    }

    /// An empty wheel with a tick of `tick_us` microseconds (0 counts as 1)
    /// and room for `capacity` timers (at most [`MAX_TIMERS`]). A 1 µs tick
    /// fires every timer exactly at its deadline; a coarser one rounds
    /// deadlines up to a tick and moves timers between levels less often.
    pub fn with_tick(tick_us: u64, capacity: usize) -> Self {
        TimerWheel {
            nodes: Vec::with_capacity(capacity.min(MAX_TIMERS)),
            free: NIL,
            lists: Lists::new(),
            tick: TickDivider::new(tick_us),
            cur: 0,
            now_us: 0,
            len: 0,
        }
    }

    /// Microseconds per tick.
    #[inline]
    pub fn tick_us(&self) -> u64 {
        self.tick.divisor()
    }

    /// Armed timers.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no timer is armed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Timers the slab holds without allocating again (armed ones
    /// included).
    #[inline]
    pub fn capacity(&self) -> usize {
        self.nodes.capacity()
    }

    /// Makes room for `additional` more timers than are armed now.
    pub fn reserve(&mut self, additional: usize) {
        let free = self.nodes.len() - self.len;
        let more = additional.saturating_sub(free);
        let room = MAX_TIMERS - self.nodes.len();
        self.nodes.reserve(more.min(room));
    }

    /// The latest `now` given to [`TimerWheel::expire`] (0 before the
    /// first call).
    #[inline]
    pub fn now(&self) -> u64 {
        self.now_us
    }

    /// Arms a timer that fires with `value` once `now ≥ deadline_us` (see
    /// the module's guarantees); a deadline already past fires at the next
    /// [`TimerWheel::expire`]. O(1); allocates only when the slab is full.
    ///
    /// # Panics
    ///
    /// Only where [`Vec::push`] would: when the slab cannot grow, which for
    /// this wheel also means [`MAX_TIMERS`] timers armed at once. Use
    /// [`TimerWheel::try_arm`] to be told instead.
    #[inline]
    pub fn arm(&mut self, deadline_us: u64, value: T) -> TimerId {
        match self.try_arm(deadline_us, value) {
            Some(id) => id,
            None => panic!("timer wheel full: {MAX_TIMERS} timers armed"),
        }
    }

    /// [`TimerWheel::arm`], or `None` when [`MAX_TIMERS`] timers are armed.
    #[inline]
    pub fn try_arm(&mut self, deadline_us: u64, value: T) -> Option<TimerId> {
        let index = if self.free != NIL {
            let index = self.free;
            let node = &mut self.nodes[index as usize];
            self.free = node.next;
            node.deadline = deadline_us;
            node.value = value;
            index
        } else {
            if self.nodes.len() >= MAX_TIMERS {
                return None;
            }
            let index = self.nodes.len() as u32;
            self.nodes.push(Node {
                deadline: deadline_us,
                value,
                next: NIL,
                prev: FREE,
                generation: NonZeroU32::MIN,
            });
            index
        };
        let generation = self.nodes[index as usize].generation;
        self.link(index, self.due_tick(deadline_us));
        self.len += 1;
        Some(TimerId { index, generation })
    }

    /// Cancels the timer `id` names and returns its value; `None` (and no
    /// change) if it names no armed timer: fired, cancelled, or never
    /// issued by this wheel. O(1).
    #[inline]
    pub fn cancel(&mut self, id: TimerId) -> Option<T> {
        let index = self.armed(id)?;
        self.lists.unlink(&mut self.nodes, index);
        Some(self.release(index).0)
    }

    /// Moves the armed timer `id` to a new deadline, keeping its id and
    /// value; `false` (and no change) if `id` names no armed timer. O(1).
    #[inline]
    pub fn rearm(&mut self, id: TimerId, deadline_us: u64) -> bool {
        let Some(index) = self.armed(id) else {
            return false;
        };
        self.lists.unlink(&mut self.nodes, index);
        self.nodes[index as usize].deadline = deadline_us;
        self.link(index, self.due_tick(deadline_us));
        true
    }

    /// The deadline of the armed timer `id`, or `None` if it names none.
    #[inline]
    pub fn deadline(&self, id: TimerId) -> Option<u64> {
        let index = self.armed(id)?;
        Some(self.nodes[index as usize].deadline)
    }

    /// Fires due timers: calls `fire(value, deadline)` for each and returns
    /// how many fired. A timer fires only if its deadline is `≤ now_us`,
    /// and every timer with `due(deadline) ≤ now_us` fires unless the call
    /// stops on its budget first (module documentation).
    ///
    /// Work is bounded: at most `budget` timers fire and at most
    /// [`CASCADE_PER_FIRE`] × `budget` timers move down a level, so a call
    /// may return having fired fewer than `budget` while more are due; then
    /// [`TimerWheel::next_deadline`] answers `Some(now_us)` and the next
    /// call goes on. Timers fire in the order of their ticks, except that
    /// timers found already due while their slot cascades fire as they come
    /// (all of them are due).
    ///
    /// `now_us` should not decrease between calls; a call with a smaller
    /// one fires nothing that is not due at it, and the wheel stays where
    /// it was. `budget` 0 does nothing.
    pub fn expire<F: FnMut(T, u64)>(&mut self, now_us: u64, budget: usize, mut fire: F) -> usize {
        self.now_us = self.now_us.max(now_us);
        let target = self.target_tick(now_us);
        if budget == 0 || target < self.cur {
            return 0;
        }
        let mut work = Work {
            fires_left: budget,
            moves_left: budget.saturating_mul(CASCADE_PER_FIRE),
        };
        while let Some((level, slot, start)) = self.lists.first(self.cur) {
            if start > target {
                break;
            }
            // A slot of level > 0 that the wheel has entered is cascaded
            // from its start (or from where an earlier call stopped).
            self.cur = self.cur.max(start);
            if !self.drain(level, slot, target, &mut work, &mut fire) {
                return budget - work.fires_left;
            }
        }
        self.cur = target;
        budget - work.fires_left
    }

    /// `None` if no timer is armed; otherwise `Some(t)` with
    /// `now() ≤ t ≤ max(now(), due(d))` for `d` the earliest armed deadline
    /// (`due(d) = d` with a 1 µs tick).
    ///
    /// `t` is the start of the first non-empty slot, exact at level 0 and a
    /// lower bound above it. `t == now()` means an earlier call stopped on
    /// its budget: timers are due, or a slot the wheel has entered is still
    /// being moved down a level. `expire(t, b, …)` with `b ≥ 1` always makes
    /// progress (fires, moves a timer down a level, or advances the wheel
    /// so that the next answer is larger), so a driver that jumps time to
    /// `t` and expires reaches every timer, at its due time.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let (_, _, start) = self.lists.first(self.cur)?;
        let at = start.saturating_mul(self.tick.divisor());
        Some(at.max(self.now_us))
    }

    /// Empties slot `slot` of `level` (which starts at or before `target`):
    /// fires the timers due at `target` and moves the others down a level.
    /// `false` if it stopped on `work` first.
    ///
    /// Each round reads a node from every lane before touching any, so that
    /// `LANES` cache misses are in flight at once; the lanes' heads are
    /// followed here, not re-read from the lists.
    #[inline(always)]
    fn drain<F: FnMut(T, u64)>(
        &mut self,
        level: usize,
        slot: usize,
        target: u64,
        work: &mut Work,
        fire: &mut F,
    ) -> bool {
        let mut heads = self.lists.heads(level, slot);
        loop {
            let live = self.lists.lanes(level, slot);
            if live == 0 {
                self.lists.vacate(level, slot);
                return true;
            }
            let mut round = [(NIL, 0); LANES];
            let mut lanes = live;
            while lanes != 0 {
                let lane = lanes.trailing_zeros() as usize % LANES;
                lanes &= lanes - 1;
                let node = &self.nodes[heads[lane] as usize];
                round[lane] = (node.next, node.deadline);
            }
            let mut lanes = live;
            while lanes != 0 {
                let lane = lanes.trailing_zeros() as usize % LANES;
                lanes &= lanes - 1;
                let (index, (next, deadline)) = (heads[lane], round[lane]);
                if work.fires_left == 0 {
                    return false;
                }
                // Level 0 holds only ticks ≤ cur ≤ target here; a higher
                // slot holds ticks from its start on.
                if level > 0 {
                    let tick = self.due_tick(deadline);
                    if tick > target {
                        if work.moves_left == 0 {
                            return false;
                        }
                        work.moves_left -= 1;
                        heads[lane] = next;
                        self.lists.pop(&mut self.nodes, level, slot, lane, next);
                        self.link(index, tick);
                        continue;
                    }
                }
                heads[lane] = next;
                self.lists.pop(&mut self.nodes, level, slot, lane, next);
                let (value, deadline) = self.release(index);
                fire(value, deadline);
                work.fires_left -= 1;
            }
        }
    }

    /// The node index `id` names if its timer is armed.
    #[inline(always)]
    fn armed(&self, id: TimerId) -> Option<u32> {
        let node = self.nodes.get(id.index as usize)?;
        (node.is_armed() && node.generation == id.generation).then_some(id.index)
    }

    /// The tick at which a deadline is due: the deadline rounded up to a
    /// tick.
    #[inline(always)]
    fn due_tick(&self, deadline_us: u64) -> u64 {
        self.tick.ceil(deadline_us)
    }

    /// The last tick due at `now_us`: rounded down, except that `u64::MAX`
    /// (beyond which no time comes) makes every tick due.
    #[inline(always)]
    fn target_tick(&self, now_us: u64) -> u64 {
        if now_us == u64::MAX {
            self.due_tick(now_us)
        } else {
            self.tick.floor(now_us)
        }
    }

    /// Links node `index` into the slot of `tick` (or of the current tick
    /// if that is later).
    #[inline(always)]
    fn link(&mut self, index: u32, tick: u64) {
        let tick = tick.max(self.cur);
        let level = levels::level(tick, self.cur);
        let slot = levels::slot(tick, level);
        self.lists.push(&mut self.nodes, index, level, slot);
    }

    /// Puts the unlinked node `index` on the free list, ending its id, and
    /// returns its value and deadline.
    #[inline(always)]
    fn release(&mut self, index: u32) -> (T, u64) {
        let free = self.free;
        let node = &mut self.nodes[index as usize];
        node.prev = FREE;
        node.next = free;
        node.generation = node.generation.checked_add(1).unwrap_or(NonZeroU32::MIN);
        self.free = index;
        self.len -= 1;
        (node.value, node.deadline)
    }
}

/// What one call of [`TimerWheel::expire`] may still do.
struct Work {
    /// Timers it may still fire.
    fires_left: usize,
    /// Timers it may still move down a level.
    moves_left: usize,
}

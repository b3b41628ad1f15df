//! The TIME-WAIT table: a `ProbeSlots` array that grows without stopping
//! the worker. A server under open-loop load (TRex, dperf) fills it by
//! tens of thousands of records a second; moving every record into a
//! doubled array at once takes tens of milliseconds at a million records,
//! and meanwhile the receive ring overflows and the peer retransmits.
//!
//! So a full table starts a doubled array and keeps the full one beside
//! it as `old`: new records go to the new array, lookups try the new one
//! and then `old`, and each insert moves the records of the next
//! `MOVE_PER_INSERT` slots of `old` across. `old` is empty, and freed,
//! well before the new array is 7/8 full: it held at most 7/8 of half the
//! new capacity, and the new array takes 7/8 of its capacity in inserts
//! while the cursor passes `old`'s slots eight at a time.
//!
//! Records move a whole run at a time (a maximal run of used slots
//! between two empty ones, `ProbeSlots::drain_run`): a record's probe
//! never leaves its run, so taking a whole run leaves every other record
//! of `old` where its lookup finds it, with no backward shift. The cursor
//! starts just after an empty slot of `old` and walks it once around, so
//! each used slot it meets starts a run.
//!
//! The doubled array's memory is the other cost: its pages are mapped (and
//! zeroed by the kernel) on first touch, and random inserts touch them all
//! within the first moments, tens of megabytes of page faults at once. So
//! the next array is allocated when the table is 3/4 full and one of its
//! pages is touched per insert from then on (`prepare_growth`): by 7/8 it
//! is mapped, long before (a page per insert is four times the pace
//! needed).
//!
//! Rules: a four-tuple is in at most one of the two arrays; `old` takes no
//! inserts; `len` counts both; `next` holds no record.

use super::probe_slots::{ProbeSlots, slots_for, tag_of};
use super::slot::Slot;
use crate::flow::FourTuple;
use crate::wire::{Family, V4};

/// Slots of `old` whose records each insert moves to the new array.
const MOVE_PER_INSERT: usize = 8;

/// An open-addressing table of records keyed by four-tuple.
#[derive(Debug)]
pub(crate) struct ProbeTable<V, A = V4> {
    new: ProbeSlots<V, A>,
    /// The array being emptied into `new` (no slots when none).
    old: ProbeSlots<V, A>,
    /// Slots of `old` passed, counted from `start`.
    cursor: usize,
    /// The slot after an empty one of `old`, where the cursor began.
    start: usize,
    /// The array the next growth puts in place, being mapped (no slots
    /// before the table is 3/4 full).
    next: ProbeSlots<V, A>,
    /// Pages of `next` touched so far.
    next_touched: usize,
    /// The most the table fills before it grows, in eighths of its
    /// slots: 7, or 4 for a `sparse` table.
    load_eighths: usize,
    /// Doublings started since the table was built (`reserve` aside).
    growths: u64,
    /// Doublings that found the previous one still under way and
    /// finished it at once, stopping the caller (inserts outran the
    /// moves).
    pauses: u64,
}

impl<V, A> Default for ProbeTable<V, A> {
    fn default() -> Self {
        ProbeTable {
            new: ProbeSlots::default(),
            old: ProbeSlots::default(),
            cursor: 0,
            start: 0,
            next: ProbeSlots::default(),
            next_touched: 0,
            load_eighths: 7,
            growths: 0,
            pauses: 0,
        }
    }
}

impl<V, A> ProbeTable<V, A> {
    /// A table that holds at most half as many records as slots: for
    /// lookups that mostly miss (the live table, asked first for every
    /// SYN), whose linear probes grow long near 7/8 (Knuth's estimate:
    /// about (1 + 1/(1-α)²)/2 slots for a miss at load α, 32 at 7/8, 2.5
    /// at 1/2). A power-of-two table reserved for N records is at most
    /// half full at N anyway, so the reservation costs no more memory.
    pub(crate) fn sparse() -> Self {
        ProbeTable {
            load_eighths: 4,
            ..ProbeTable::default()
        }
    }
}

impl<V, A: Family> ProbeTable<V, A> {
    /// Records the array new records go to holds before the table grows.
    #[inline(always)]
    fn limit(&self) -> usize {
        self.new.slots() / 8 * self.load_eighths
    }

    /// Doublings started while in use, and those of them that had to
    /// stop the caller to finish the one before.
    pub(crate) fn growths(&self) -> (u64, u64) {
        (self.growths, self.pauses)
    }

    /// Records held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.new.len() + self.old.len()
    }

    /// Asks the CPU for the home slot of hash `h` in the array new
    /// records go to (the one nearly every lookup ends in).
    #[inline(always)]
    pub(crate) fn prefetch(&self, h: u64) {
        self.new.prefetch(h);
    }

    #[inline]
    pub(crate) fn get(&self, h: u64, t: &FourTuple<A>) -> Option<&V> {
        match self.new.get(h, t) {
            Some(v) => Some(v),
            None if self.old.len() > 0 => self.old.get(h, t),
            None => None,
        }
    }

    #[inline]
    pub(crate) fn slot_mut(&mut self, h: u64, t: &FourTuple<A>) -> Option<&mut Slot<V>> {
        // A record is in one array only: the one still moving first.
        if self.old.len() > 0
            && let Some(s) = self.old.slot_mut(h, t)
        {
            return Some(s);
        }
        self.new.slot_mut(h, t)
    }

    /// The four-tuples of every record, listed into a new vector.
    pub(crate) fn tuples(&self) -> Vec<FourTuple<A>> {
        let mut out = Vec::with_capacity(self.len());
        self.new.tuples_into(&mut out);
        self.old.tuples_into(&mut out);
        out
    }

    /// Removes and returns the record of `t`.
    pub(crate) fn remove(&mut self, h: u64, t: &FourTuple<A>) -> Option<Slot<V>> {
        match self.new.remove(h, t) {
            Some(s) => Some(s),
            None if self.old.len() > 0 => self.old.remove(h, t),
            None => None,
        }
    }

    /// Inserts the record of `t`, which has none. A full table starts
    /// growing; while it grows, each insert moves a few old records.
    #[inline]
    pub(crate) fn insert_unique(&mut self, h: u64, t: FourTuple<A>, slot: Slot<V>) {
        if self.len() + 1 > self.limit() {
            self.start_growth();
        }
        if self.old.slots() > 0 {
            self.move_some(MOVE_PER_INSERT);
        } else if self.len() >= self.limit() / 8 * 6 {
            self.prepare_growth();
        }
        self.new.insert_tagged(tag_of(h), t, slot);
    }

    /// Makes room for `records` records in all, at once (before a run).
    pub(crate) fn reserve(&mut self, records: usize) {
        if records > self.limit() {
            self.finish_growth();
            self.new.grow_to(slots_for(records, self.load_eighths));
            self.next = ProbeSlots::default();
        }
    }

    /// Bytes of memory the arrays span.
    pub(crate) fn footprint(&self) -> usize {
        self.new.footprint() + self.old.footprint() + self.next.footprint()
    }

    /// Maps the pages of the arrays now rather than on the inserts of a
    /// run (see `ProbeSlots::prefault`).
    pub(crate) fn prefault(&mut self) {
        self.new.prefault();
        self.old.prefault();
    }

    /// An empty array of twice the slots of `new` (16 for an empty table).
    fn doubled(&self) -> ProbeSlots<V, A> {
        ProbeSlots::with_slots((2 * self.new.slots()).max(16))
    }

    /// Allocates the array of the next growth and maps one more of its
    /// pages.
    fn prepare_growth(&mut self) {
        if self.next.slots() == 0 {
            self.next = self.doubled();
            self.next_touched = 0;
        }
        if self.next_touched < self.next.pages() {
            self.next
                .prefault_pages(self.next_touched, self.next_touched + 1);
            self.next_touched += 1;
        }
    }

    /// Puts a doubled array (the prepared one when there is one) in place
    /// for new records, the full one aside to be emptied. A growth still
    /// under way (an insert rate the moves could not keep up with) is
    /// finished first.
    #[cold]
    fn start_growth(&mut self) {
        self.growths += 1;
        if self.old.slots() > 0 {
            self.pauses += 1;
        }
        self.finish_growth();
        let bigger = if self.next.slots() > 0 {
            std::mem::take(&mut self.next)
        } else {
            self.doubled()
        };
        self.old = std::mem::replace(&mut self.new, bigger);
        self.cursor = 0;
        self.start = self.old.after_an_empty_slot();
    }

    /// Moves every record left in `old` across.
    fn finish_growth(&mut self) {
        if self.old.slots() > 0 {
            self.move_some(usize::MAX);
        }
    }

    /// Passes at least `slots` slots of `old` (whole runs), moving their
    /// records into `new`; frees `old` once the cursor has been around.
    fn move_some(&mut self, slots: usize) {
        let total = self.old.slots();
        let end = self.cursor.saturating_add(slots).min(total);
        let mask = total - 1;
        while self.cursor < end {
            let i = (self.start + self.cursor) & mask;
            let new = &mut self.new;
            self.cursor += self
                .old
                .drain_run(i, |tag, t, slot| new.insert_tagged(tag, t, slot));
        }
        if self.cursor >= total {
            debug_assert_eq!(self.old.len(), 0);
            self.old = ProbeSlots::default();
            self.cursor = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(n: u32) -> FourTuple {
        FourTuple {
            local_ip: [10, 1, (n >> 16) as u8, 1],
            remote_ip: [10, 0, 0, 1],
            local_port: n as u16,
            remote_port: 80,
        }
    }

    fn slot(v: u32) -> Slot<u32> {
        Slot {
            value: v,
            timer: None,
        }
    }

    /// Hashes that crowd a few home slots in every array size, half just
    /// before the end (their runs wrap past it), half at the start, so
    /// that runs are long and shift back while records move.
    fn crowded(n: u32) -> u64 {
        if n % 2 == 0 {
            0x7fff_fff0 + u64::from(n % 7)
        } else {
            u64::from(n % 5)
        }
    }

    fn spread(n: u32) -> u64 {
        u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7
    }

    /// Every record is found, in one array only, through growths under
    /// way, with removes and lookups between the inserts.
    fn matches_a_model(mut t: ProbeTable<u32>, hash: fn(u32) -> u64, keys: u32, steps: u32) {
        let mut model = std::collections::BTreeMap::new();
        let mut x = 12345u32;
        let mut growths_seen_under_way = 0;
        for step in 0..steps {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (x >> 8) % keys;
            // Inserts outnumber removes two to one: the table grows.
            if x % 3 != 0 && !model.contains_key(&n) {
                t.insert_unique(hash(n), tuple(n), slot(step));
                model.insert(n, step);
            } else {
                let got = t.remove(hash(n), &tuple(n)).map(|s| s.value);
                assert_eq!(got, model.remove(&n), "step {step}");
            }
            assert_eq!(t.len(), model.len(), "step {step}");
            assert!(t.len() <= t.limit(), "step {step}");
            if t.old.len() > 0 {
                growths_seen_under_way += 1;
            }
            if step % (steps / 40) == 0 {
                for k in 0..keys {
                    assert_eq!(t.get(hash(k), &tuple(k)), model.get(&k), "key {k}");
                    let both = t.new.get(hash(k), &tuple(k)).is_some()
                        && t.old.get(hash(k), &tuple(k)).is_some();
                    assert!(!both, "key {k} in both arrays");
                }
                // The listing holds every record once, from both arrays.
                let mut listed: Vec<_> = t
                    .tuples()
                    .iter()
                    .map(|x| (x.local_ip, x.local_port))
                    .collect();
                listed.sort_unstable();
                let mut want: Vec<_> = model
                    .keys()
                    .map(|&k| (tuple(k).local_ip, tuple(k).local_port))
                    .collect();
                want.sort_unstable();
                assert_eq!(listed, want, "step {step}");
            }
        }
        assert!(growths_seen_under_way > 0, "no growth was under way");
        // Inserts never outran the moves: no growth stopped the caller.
        let (growths, pauses) = t.growths();
        assert!(growths > 0);
        assert_eq!(pauses, 0);
        for (k, v) in &model {
            let s = t.slot_mut(hash(*k), &tuple(*k)).expect("present");
            assert_eq!(s.value, *v);
            s.value += 1;
        }
        for (k, v) in &model {
            assert_eq!(t.get(hash(*k), &tuple(*k)), Some(&(v + 1)));
        }
    }

    #[test]
    fn matches_a_map_through_growths_with_crowded_hashes() {
        matches_a_model(ProbeTable::default(), crowded, 3000, 40_000);
        matches_a_model(ProbeTable::sparse(), crowded, 3000, 40_000);
    }

    #[test]
    fn matches_a_map_through_growths_with_spread_hashes() {
        matches_a_model(ProbeTable::default(), spread, 50_000, 150_000);
        matches_a_model(ProbeTable::sparse(), spread, 50_000, 150_000);
    }

    /// A sparse table (the live one) holds half as many records as
    /// slots: reserved for N it has 2·N slots or more, and it starts
    /// growing at the insert that would pass half.
    #[test]
    fn a_sparse_table_grows_at_half_its_slots() {
        let mut t: ProbeTable<u32> = ProbeTable::sparse();
        t.reserve(1000);
        let slots = t.new.slots();
        assert!(slots >= 2000, "{slots} slots");
        let half = (slots / 2) as u32;
        for n in 0..half {
            t.insert_unique(spread(n), tuple(n), slot(n));
        }
        assert_eq!((t.new.slots(), t.old.slots()), (slots, 0));
        assert_eq!(t.growths(), (0, 0), "reserving is not growing");
        t.insert_unique(spread(half), tuple(half), slot(half));
        assert_eq!(t.new.slots(), 2 * slots);
        assert_eq!(t.growths(), (1, 0));
        for n in 0..=half {
            assert_eq!(t.get(spread(n), &tuple(n)), Some(&n), "key {n}");
        }
        assert_eq!(t.tuples().len(), half as usize + 1);
    }

    #[test]
    fn a_growth_moves_records_a_few_at_a_time_and_frees_the_old_array() {
        let mut t: ProbeTable<u32> = ProbeTable::default();
        t.reserve(7000);
        let cap = t.new.capacity();
        for n in 0..cap as u32 {
            t.insert_unique(spread(n), tuple(n), slot(n));
        }
        assert_eq!(t.old.slots(), 0);
        let before = t.new.slots();
        // The next insert starts a growth and moves only a few records.
        t.insert_unique(spread(cap as u32), tuple(cap as u32), slot(0));
        assert_eq!(t.new.slots(), 2 * before);
        assert!(t.old.len() > cap / 2, "{}", t.old.len());
        // Within old's slots / MOVE_PER_INSERT more inserts, old is gone.
        let more = before / MOVE_PER_INSERT;
        for n in 1..=more as u32 {
            let k = cap as u32 + n;
            t.insert_unique(spread(k), tuple(k), slot(k));
        }
        assert_eq!(t.old.slots(), 0);
        assert_eq!(t.len(), cap + 1 + more);
        for n in 0..(cap + 1 + more) as u32 {
            assert!(t.get(spread(n), &tuple(n)).is_some(), "{n}");
        }
    }

    #[test]
    fn the_next_array_is_prepared_from_three_quarters_and_used_by_the_growth() {
        let mut t: ProbeTable<u32> = ProbeTable::default();
        t.reserve(70_000);
        let cap = t.new.capacity();
        let mut n = 0u32;
        while t.len() < cap / 8 * 6 {
            t.insert_unique(spread(n), tuple(n), slot(n));
            n += 1;
        }
        assert_eq!(t.next.slots(), 0, "nothing prepared below 3/4");
        while t.len() < cap {
            t.insert_unique(spread(n), tuple(n), slot(n));
            n += 1;
        }
        let next_slots = t.next.slots();
        assert_eq!(next_slots, 2 * t.new.slots());
        assert_eq!(t.next_touched, t.next.pages(), "mapped before 7/8");
        // The growth takes the prepared array.
        t.insert_unique(spread(n), tuple(n), slot(n));
        assert_eq!((t.new.slots(), t.next.slots()), (next_slots, 0));
        for k in 0..=n {
            assert_eq!(t.get(spread(k), &tuple(k)), Some(&k));
        }
    }

    #[test]
    fn reserve_during_a_growth_finishes_it() {
        let mut t: ProbeTable<u32> = ProbeTable::default();
        for n in 0..1000u32 {
            t.insert_unique(spread(n), tuple(n), slot(n));
        }
        while t.old.slots() == 0 {
            let n = t.len() as u32;
            t.insert_unique(spread(n), tuple(n), slot(n));
        }
        t.reserve(100_000);
        assert_eq!(t.old.slots(), 0);
        assert!(t.new.capacity() >= 100_000);
        for n in 0..t.len() as u32 {
            assert_eq!(t.get(spread(n), &tuple(n)), Some(&n));
        }
    }

    #[test]
    fn records_with_a_destructor_are_dropped_once_across_a_growth() {
        let counter = std::rc::Rc::new(());
        {
            let mut t: ProbeTable<std::rc::Rc<()>> = ProbeTable::default();
            for n in 0..500u32 {
                let s = Slot {
                    value: counter.clone(),
                    timer: None,
                };
                t.insert_unique(crowded(n), tuple(n), s);
            }
            assert_eq!(std::rc::Rc::strong_count(&counter), 501);
            drop(t.remove(crowded(3), &tuple(3)));
            assert_eq!(std::rc::Rc::strong_count(&counter), 500);
        }
        assert_eq!(std::rc::Rc::strong_count(&counter), 1);
    }
}

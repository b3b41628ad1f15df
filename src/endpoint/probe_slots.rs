//! The slot array of the TIME-WAIT table: open addressing with linear
//! probing, built so the endpoint can prefetch a record's home slot as
//! soon as a frame's four-tuple is hashed, before it knows whether it will
//! look there. A generator holds millions of TIME-WAIT records; without
//! the prefetch, inserting one costs a cache miss that stalls the worker.
//! `probe_table::ProbeTable` grows it without stopping the worker.
//!
//! Layout: `tags[i]` is 0 for an empty slot, else bit 31 set and the low
//! 31 bits of the record's hash (enough for the home index in any array:
//! capacity is at most 2^30); `entries[i]` holds the record when
//! `tags[i]` is set. Both arrays are allocated without being written (tags
//! by a zeroed allocation, entries uninitialised), so reserving a large
//! table costs address space, not memory. Deletion shifts later records of
//! the probe run back (no tombstones), so lookups stay short, and every
//! record stays reachable from its home slot without crossing an empty
//! one.
//!
//! Rules: every `entries[i]` read or dropped has `tags[i]` set; every
//! write of `entries[i]` sets `tags[i]`. The owner keeps it at most 7/8
//! full (`ProbeTable`: 7/8, or half for a sparse table).

use super::slot::Slot;
use crate::flow::FourTuple;
use crate::wire::{Family, V4};
use std::mem::MaybeUninit;

const USED: u32 = 1 << 31;
/// Most slots (the tags keep 31 hash bits).
const MAX_SLOTS: usize = 1 << 30;

/// A record with its key, as a slot holds it (maybe not yet written).
type Entry<V, A = V4> = MaybeUninit<(FourTuple<A>, Slot<V>)>;

/// An open-addressing table of records keyed by four-tuple.
pub(crate) struct ProbeSlots<V, A = V4> {
    tags: Vec<u32>,
    entries: Box<[Entry<V, A>]>,
    mask: usize,
    len: usize,
}

impl<V, A> std::fmt::Debug for ProbeSlots<V, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeSlots")
            .field("len", &self.len)
            .field("slots", &self.tags.len())
            .finish_non_exhaustive()
    }
}

impl<V, A> Default for ProbeSlots<V, A> {
    fn default() -> Self {
        ProbeSlots {
            tags: Vec::new(),
            entries: Box::new_uninit_slice(0),
            mask: 0,
            len: 0,
        }
    }
}

/// Bytes of a page, as the table's page touching counts them.
const PAGE: usize = 4096;

/// Rewrites one byte of each 4 KiB page `first..end` of the `len` bytes
/// from `p` with itself (volatile, so the compiler keeps it).
///
/// # Safety
/// `p..p + len` is one allocation the caller may write.
unsafe fn touch_pages(p: *mut MaybeUninit<u8>, len: usize, first: usize, end: usize) {
    for off in (first.saturating_mul(PAGE)..end.saturating_mul(PAGE).min(len)).step_by(PAGE) {
        // Safety: `off < len`, inside the caller's allocation.
        unsafe {
            let b = p.add(off);
            std::ptr::write_volatile(b, std::ptr::read_volatile(b));
        }
    }
}

/// Slots that hold `records` records at most `eighths`/8 full: a power
/// of two.
pub(crate) fn slots_for(records: usize, eighths: usize) -> usize {
    (records.saturating_mul(8) / eighths + 1)
        .next_power_of_two()
        .clamp(8, MAX_SLOTS)
}

#[inline(always)]
pub(crate) fn tag_of(h: u64) -> u32 {
    (h as u32 & !USED) | USED
}

impl<V, A: Family> ProbeSlots<V, A> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Records held without growing at 7/8 full (the tests' bound).
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.tags.len() / 8 * 7
    }

    /// Asks the CPU for the home slot of hash `h` (tag and record).
    #[inline(always)]
    pub(crate) fn prefetch(&self, h: u64) {
        if self.tags.is_empty() {
            return;
        }
        let i = h as usize & self.mask;
        crate::prefetch::line(self.tags[i..].as_ptr().cast());
        crate::prefetch::line(self.entries[i..].as_ptr().cast());
    }

    /// The tag of slot `i`, which must be below `slots()`.
    #[inline(always)]
    fn tag_at(&self, i: usize) -> u32 {
        debug_assert!(i < self.tags.len());
        // Safety: callers pass `x & self.mask` of an array with slots
        // (`mask = slots - 1`, `tags.len() == slots`), so `i` is in bounds.
        unsafe { *self.tags.get_unchecked(i) }
    }

    /// Sets the tag of slot `i`, which must be below `slots()`.
    #[inline(always)]
    fn set_tag(&mut self, i: usize, tag: u32) {
        debug_assert!(i < self.tags.len());
        // Safety: as in `tag_at`: callers pass masked indices of an array
        // with slots.
        unsafe { *self.tags.get_unchecked_mut(i) = tag };
    }

    /// Index of the record of `t` (hash `h`).
    #[inline(always)]
    fn find(&self, h: u64, t: &FourTuple<A>) -> Option<usize> {
        // A table with a record has slots: every index below is masked.
        if self.len == 0 {
            return None;
        }
        let tag = tag_of(h);
        let mut i = h as usize & self.mask;
        loop {
            let here = self.tag_at(i);
            if here == 0 {
                return None;
            }
            if here == tag {
                // Safety: `i` is in bounds (masked; `entries` has as many
                // slots as `tags`) and `tags[i]` is set, so `entries[i]`
                // is initialised.
                let e = unsafe { self.entries.get_unchecked(i).assume_init_ref() };
                if e.0 == *t {
                    return Some(i);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, h: u64, t: &FourTuple<A>) -> Option<&V> {
        let i = self.find(h, t)?;
        // Safety: `find` returns only slots whose tag is set.
        Some(unsafe { &self.entries[i].assume_init_ref().1.value })
    }

    #[inline]
    pub(crate) fn slot_mut(&mut self, h: u64, t: &FourTuple<A>) -> Option<&mut Slot<V>> {
        let i = self.find(h, t)?;
        // Safety: `find` returns only slots whose tag is set.
        Some(unsafe { &mut self.entries[i].assume_init_mut().1 })
    }

    /// Removes and returns the record of `t`; later records of its probe
    /// run move back so that no lookup needs to skip a hole.
    pub(crate) fn remove(&mut self, h: u64, t: &FourTuple<A>) -> Option<Slot<V>> {
        let mut hole = self.find(h, t)?;
        // Safety: `find` returns an index in bounds whose tag is set; the
        // tag is cleared right after, so the moved-out record is never
        // read again.
        let (_, out) = unsafe { self.entries.get_unchecked(hole).assume_init_read() };
        self.set_tag(hole, 0);
        self.len -= 1;
        let mut j = hole;
        loop {
            j = (j + 1) & self.mask;
            let tag = self.tag_at(j);
            if tag == 0 {
                break;
            }
            let home = tag as usize & self.mask;
            // Move `j` into the hole unless its home lies cyclically in
            // (hole, j]: then it would land before its home.
            let home_after_hole = (home.wrapping_sub(hole) & self.mask).wrapping_sub(1)
                < (j.wrapping_sub(hole) & self.mask);
            if !home_after_hole {
                // Safety: `j` and `hole` are masked indices (in bounds);
                // `tags[j]` is set; its record is moved to the hole, whose
                // tag is then set, and `j` becomes the hole.
                unsafe {
                    let e = self.entries.get_unchecked(j).assume_init_read();
                    self.entries.get_unchecked_mut(hole).write(e);
                }
                self.set_tag(hole, tag);
                self.set_tag(j, 0);
                hole = j;
            }
        }
        Some(out)
    }

    /// Appends the four-tuple of every record to `out`.
    pub(crate) fn tuples_into(&self, out: &mut Vec<FourTuple<A>>) {
        for (i, &tag) in self.tags.iter().enumerate() {
            if tag != 0 {
                // Safety: the tag is set, so the entry is initialised.
                out.push(unsafe { self.entries[i].assume_init_ref().0 });
            }
        }
    }

    /// Slots in all (a power of two, or 0).
    #[inline]
    pub(crate) fn slots(&self) -> usize {
        self.tags.len()
    }

    /// The index just after an empty slot (an array at most 7/8 full has
    /// one; 0 for an empty array).
    pub(crate) fn after_an_empty_slot(&self) -> usize {
        let empty = self.tags.iter().position(|&t| t == 0).unwrap_or(0);
        (empty + 1) & self.mask
    }

    /// Takes every record of the run that starts at slot `first` (the slot
    /// before it is empty) up to the next empty slot, handing each to `f`
    /// with its tag, and returns the slots passed (at least 1: `first`
    /// itself when empty). No other record moves: a probe never crosses
    /// an empty slot, so no lookup of another run passes through this one.
    pub(crate) fn drain_run(
        &mut self,
        first: usize,
        mut f: impl FnMut(u32, FourTuple<A>, Slot<V>),
    ) -> usize {
        let mut i = first;
        let mut passed = 0;
        while passed < self.tags.len() {
            let tag = std::mem::take(&mut self.tags[i]);
            if tag == 0 {
                break;
            }
            // Safety: the tag was set and is now cleared, so the record is
            // moved out exactly once and never read or dropped again.
            let (t, slot) = unsafe { self.entries[i].assume_init_read() };
            self.len -= 1;
            f(tag, t, slot);
            i = (i + 1) & self.mask;
            passed += 1;
        }
        passed.max(1)
    }

    /// Inserts a record by its tag, which has none here; the array has a
    /// free slot (the caller keeps it within `capacity`).
    #[inline]
    pub(crate) fn insert_tagged(&mut self, tag: u32, t: FourTuple<A>, slot: Slot<V>) {
        assert!(self.len < self.tags.len(), "insert into a full array");
        let mut i = tag as usize & self.mask;
        while self.tag_at(i) != 0 {
            i = (i + 1) & self.mask;
        }
        // Safety: `i` is masked and the array has slots (asserted above).
        unsafe { self.entries.get_unchecked_mut(i).write((t, slot)) };
        self.set_tag(i, tag);
        self.len += 1;
    }

    /// An empty array of `slots` slots (a power of two), allocated but
    /// not written.
    pub(crate) fn with_slots(slots: usize) -> Self {
        debug_assert!(slots.is_power_of_two());
        ProbeSlots {
            tags: vec![0; slots],
            entries: Box::new_uninit_slice(slots),
            mask: slots - 1,
            len: 0,
        }
    }

    /// Bytes of memory the table's two arrays span.
    pub(crate) fn footprint(&self) -> usize {
        self.tags.len() * (size_of::<u32>() + size_of::<Entry<V, A>>())
    }

    /// Writes one byte of every 4 KiB page of both arrays back with its
    /// own value, so that the kernel maps (and zeroes) the pages now
    /// rather than on the inserts of a run: records land at random slots,
    /// so a fresh table takes its page faults all at once, in the run's
    /// first second. Contents are unchanged.
    pub(crate) fn prefault(&mut self) {
        self.prefault_pages(0, usize::MAX);
    }

    /// Pages the two arrays span (4 KiB each, tags first).
    pub(crate) fn pages(&self) -> usize {
        (self.tags.len() * size_of::<u32>()).div_ceil(PAGE)
            + (self.entries.len() * size_of::<Entry<V, A>>()).div_ceil(PAGE)
    }

    /// Touches pages `first..end` of `pages()` (as `prefault` does all of
    /// them), so that the kernel maps them now.
    pub(crate) fn prefault_pages(&mut self, first: usize, end: usize) {
        let tag_bytes = self.tags.len() * size_of::<u32>();
        let tag_pages = tag_bytes.div_ceil(PAGE);
        let entry_bytes = self.entries.len() * size_of::<Entry<V, A>>();
        // Safety: each range is one live allocation of the table, written
        // only through its own pointer while `&mut self` is held; a byte
        // is read and written back as `MaybeUninit<u8>`, which is valid
        // for any byte, initialised or not, so no value changes.
        unsafe {
            touch_pages(self.tags.as_mut_ptr().cast(), tag_bytes, first, end);
            touch_pages(
                self.entries.as_mut_ptr().cast(),
                entry_bytes,
                first.saturating_sub(tag_pages),
                end.saturating_sub(tag_pages),
            );
        }
    }

    /// Moves every record into an array of at least `records * 8 / 7`
    /// slots (a power of two).
    #[cfg(test)]
    pub(crate) fn grow(&mut self, records: usize) {
        self.grow_to(slots_for(records, 7));
    }

    /// Moves every record into an array of `slots` slots (a power of
    /// two), unless it has that many already.
    pub(crate) fn grow_to(&mut self, slots: usize) {
        if slots <= self.tags.len() {
            return;
        }
        let mut old = std::mem::replace(self, Self::with_slots(slots));
        for i in 0..old.tags.len() {
            let tag = std::mem::take(&mut old.tags[i]);
            if tag != 0 {
                // Safety: the tag was set and is now cleared, so the record
                // is moved out exactly once and the old array's drop skips
                // it.
                let (t, slot) = unsafe { old.entries[i].assume_init_read() };
                self.insert_tagged(tag, t, slot);
            }
        }
        old.len = 0;
    }
}

impl<V, A> Drop for ProbeSlots<V, A> {
    fn drop(&mut self) {
        for i in 0..self.tags.len() {
            if self.tags[i] != 0 {
                // Safety: the tag is set, so the record is initialised, and
                // it is dropped once (the table goes away).
                unsafe { self.entries[i].assume_init_drop() };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(n: u16) -> FourTuple {
        FourTuple {
            local_ip: [10, 1, 0, 1],
            remote_ip: [10, 0, 0, 1],
            local_port: n,
            remote_port: 80,
        }
    }

    /// Inserts as the table does: growing the array at once when full.
    fn insert<V>(t: &mut ProbeSlots<V>, h: u64, k: FourTuple, s: Slot<V>) {
        if t.len() + 1 > t.capacity() {
            t.grow((t.len() + 1).max(8));
        }
        t.insert_tagged(tag_of(h), k, s);
    }

    fn slot(v: u32) -> Slot<u32> {
        Slot {
            value: v,
            timer: None,
        }
    }

    /// Hashes that crowd a few home slots, to exercise probe runs,
    /// wrap-around and backward shifts.
    fn crowded(n: u16) -> u64 {
        u64::from(n % 5) * 3 + 5
    }

    #[test]
    fn matches_a_map_under_crowded_inserts_and_removes() {
        let mut t: ProbeSlots<u32> = ProbeSlots::default();
        let mut model = std::collections::BTreeMap::new();
        let mut x = 12345u32;
        for step in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (x >> 16) as u16 % 300;
            let h = crowded(n);
            if x & 1 == 0 && !model.contains_key(&n) {
                insert(&mut t, h, tuple(n), slot(step));
                model.insert(n, step);
            } else {
                let got = t.remove(h, &tuple(n)).map(|s| s.value);
                assert_eq!(got, model.remove(&n), "step {step}");
            }
            assert_eq!(t.len(), model.len());
            if step % 997 == 0 {
                for k in 0..300u16 {
                    assert_eq!(t.get(crowded(k), &tuple(k)), model.get(&k), "key {k}");
                }
            }
        }
        if let Some(s) = t.slot_mut(crowded(7), &tuple(7)) {
            s.value = 99;
            assert_eq!(t.get(crowded(7), &tuple(7)), Some(&99));
        }
    }

    #[test]
    fn prefault_keeps_every_record_and_the_empty_slots() {
        let mut t: ProbeSlots<u32> = ProbeSlots::default();
        t.grow(5000);
        for n in 0..3000u16 {
            insert(&mut t, crowded(n), tuple(n), slot(u32::from(n)));
        }
        let slots = t.tags.len();
        assert_eq!(t.footprint(), slots * (4 + size_of::<Entry<u32>>()));
        t.prefault();
        assert_eq!(t.len(), 3000);
        for n in 0..3000u16 {
            assert_eq!(t.get(crowded(n), &tuple(n)), Some(&u32::from(n)));
        }
        assert_eq!(t.get(crowded(3000), &tuple(3000)), None);
        assert_eq!(t.tags.iter().filter(|&&g| g != 0).count(), 3000);
    }

    #[test]
    fn room_made_then_filled_does_not_grow() {
        let mut t: ProbeSlots<u32> = ProbeSlots::default();
        t.grow(1000);
        let slots = t.tags.len();
        for n in 0..1000u16 {
            insert(
                &mut t,
                u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                tuple(n),
                slot(0),
            );
        }
        assert_eq!(t.tags.len(), slots);
        assert!(t.capacity() >= 1000);
    }

    #[test]
    fn records_with_a_destructor_are_dropped_once() {
        let counter = std::rc::Rc::new(());
        {
            let mut t: ProbeSlots<std::rc::Rc<()>> = ProbeSlots::default();
            for n in 0..100u16 {
                let s = Slot {
                    value: counter.clone(),
                    timer: None,
                };
                insert(&mut t, crowded(n), tuple(n), s);
            }
            assert_eq!(std::rc::Rc::strong_count(&counter), 101);
            drop(t.remove(crowded(3), &tuple(3)));
            assert_eq!(std::rc::Rc::strong_count(&counter), 100);
        }
        assert_eq!(std::rc::Rc::strong_count(&counter), 1);
    }
}

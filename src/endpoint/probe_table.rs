//! The TIME-WAIT table: open addressing with linear probing, built so the
//! endpoint can prefetch a record's home slot as soon as a frame's
//! four-tuple is hashed, before it knows whether it will look there. A
//! generator holds millions of TIME-WAIT records; without the prefetch,
//! inserting one costs a cache miss that stalls the worker.
//!
//! Layout: `tags[i]` is 0 for an empty slot, else bit 31 set and the low
//! 31 bits of the record's hash (enough for the home index: capacity is at
//! most 2^28); `entries[i]` holds the record when `tags[i]` is set. Both
//! arrays are allocated without being written (tags by a zeroed
//! allocation, entries uninitialised), so reserving a large table costs
//! address space, not memory. Deletion shifts later records of the probe
//! run back (no tombstones), so lookups stay short.
//!
//! Rules: every `entries[i]` read or dropped has `tags[i]` set; every
//! write of `entries[i]` sets `tags[i]`. At most 7/8 full, then it doubles.

use super::slot::Slot;
use crate::flow::FourTuple;
use std::mem::MaybeUninit;

const USED: u32 = 1 << 31;
/// Most slots (the tags keep 31 hash bits).
const MAX_SLOTS: usize = 1 << 30;

/// A record with its key, as a slot holds it (maybe not yet written).
type Entry<V> = MaybeUninit<(FourTuple, Slot<V>)>;

/// An open-addressing table of records keyed by four-tuple.
pub(crate) struct ProbeTable<V> {
    tags: Vec<u32>,
    entries: Box<[Entry<V>]>,
    mask: usize,
    len: usize,
}

impl<V> std::fmt::Debug for ProbeTable<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeTable")
            .field("len", &self.len)
            .field("slots", &self.tags.len())
            .finish_non_exhaustive()
    }
}

impl<V> Default for ProbeTable<V> {
    fn default() -> Self {
        ProbeTable {
            tags: Vec::new(),
            entries: Box::new_uninit_slice(0),
            mask: 0,
            len: 0,
        }
    }
}

/// Rewrites one byte of every 4 KiB page of `len` bytes from `p` with
/// itself (volatile, so the compiler keeps it).
///
/// # Safety
/// `p..p + len` is one allocation the caller may write.
unsafe fn touch_pages(p: *mut MaybeUninit<u8>, len: usize) {
    for off in (0..len).step_by(4096) {
        // Safety: `off < len`, inside the caller's allocation.
        unsafe {
            let b = p.add(off);
            std::ptr::write_volatile(b, std::ptr::read_volatile(b));
        }
    }
}

#[inline(always)]
fn tag_of(h: u64) -> u32 {
    (h as u32 & !USED) | USED
}

impl<V> ProbeTable<V> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Records held without growing.
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

    /// Index of the record of `t` (hash `h`).
    #[inline(always)]
    fn find(&self, h: u64, t: &FourTuple) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let tag = tag_of(h);
        let mut i = h as usize & self.mask;
        loop {
            let here = self.tags[i];
            if here == 0 {
                return None;
            }
            if here == tag {
                // Safety: `tags[i]` is set, so `entries[i]` is initialised.
                let e = unsafe { self.entries[i].assume_init_ref() };
                if e.0 == *t {
                    return Some(i);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, h: u64, t: &FourTuple) -> Option<&V> {
        let i = self.find(h, t)?;
        // Safety: `find` returns only slots whose tag is set.
        Some(unsafe { &self.entries[i].assume_init_ref().1.value })
    }

    #[inline]
    pub(crate) fn slot_mut(&mut self, h: u64, t: &FourTuple) -> Option<&mut Slot<V>> {
        let i = self.find(h, t)?;
        // Safety: `find` returns only slots whose tag is set.
        Some(unsafe { &mut self.entries[i].assume_init_mut().1 })
    }

    /// Removes and returns the record of `t`; later records of its probe
    /// run move back so that no lookup needs to skip a hole.
    pub(crate) fn remove(&mut self, h: u64, t: &FourTuple) -> Option<Slot<V>> {
        let mut hole = self.find(h, t)?;
        // Safety: the tag of `hole` is set; it is cleared right after, so
        // the moved-out record is never read again.
        let (_, out) = unsafe { self.entries[hole].assume_init_read() };
        self.tags[hole] = 0;
        self.len -= 1;
        let mut j = hole;
        loop {
            j = (j + 1) & self.mask;
            let tag = self.tags[j];
            if tag == 0 {
                break;
            }
            let home = tag as usize & self.mask;
            // Move `j` into the hole unless its home lies cyclically in
            // (hole, j]: then it would land before its home.
            let home_after_hole = (home.wrapping_sub(hole) & self.mask).wrapping_sub(1)
                < (j.wrapping_sub(hole) & self.mask);
            if !home_after_hole {
                // Safety: `tags[j]` is set; its record is moved to the
                // hole, whose tag is then set, and `j` becomes the hole.
                unsafe {
                    let e = self.entries[j].assume_init_read();
                    self.entries[hole].write(e);
                }
                self.tags[hole] = tag;
                self.tags[j] = 0;
                hole = j;
            }
        }
        Some(out)
    }

    /// Inserts the record of `t`, which has none. Grows when 7/8 full.
    #[inline]
    pub(crate) fn insert_unique(&mut self, h: u64, t: FourTuple, slot: Slot<V>) {
        if self.len + 1 > self.capacity() {
            self.grow((self.len + 1).max(8));
        }
        let mut i = h as usize & self.mask;
        while self.tags[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.entries[i].write((t, slot));
        self.tags[i] = tag_of(h);
        self.len += 1;
    }

    /// Bytes of memory the table's two arrays span.
    pub(crate) fn footprint(&self) -> usize {
        self.tags.len() * (size_of::<u32>() + size_of::<Entry<V>>())
    }

    /// Writes one byte of every 4 KiB page of both arrays back with its
    /// own value, so that the kernel maps (and zeroes) the pages now
    /// rather than on the inserts of a run: records land at random slots,
    /// so a fresh table takes its page faults all at once, in the run's
    /// first second. Contents are unchanged.
    pub(crate) fn prefault(&mut self) {
        // Safety: each range is one live allocation of the table, written
        // only through its own pointer while `&mut self` is held; a byte
        // is read and written back as `MaybeUninit<u8>`, which is valid
        // for any byte, initialised or not, so no value changes.
        unsafe {
            touch_pages(
                self.tags.as_mut_ptr().cast(),
                self.tags.len() * size_of::<u32>(),
            );
            touch_pages(
                self.entries.as_mut_ptr().cast(),
                self.entries.len() * size_of::<Entry<V>>(),
            );
        }
    }

    /// Makes room for `records` records in all.
    pub(crate) fn reserve(&mut self, records: usize) {
        if records > self.capacity() {
            self.grow(records);
        }
    }

    /// Moves every record into a table of at least `records * 8 / 7`
    /// slots (a power of two).
    fn grow(&mut self, records: usize) {
        let slots = (records.saturating_mul(8) / 7 + 1)
            .next_power_of_two()
            .clamp(8, MAX_SLOTS);
        if slots <= self.tags.len() {
            return;
        }
        let old = std::mem::replace(
            self,
            ProbeTable {
                tags: vec![0; slots],
                entries: Box::new_uninit_slice(slots),
                mask: slots - 1,
                len: 0,
            },
        );
        let mut old = std::mem::ManuallyDrop::new(old);
        for i in 0..old.tags.len() {
            let tag = old.tags[i];
            if tag != 0 {
                // Safety: the tag is set; the old table is never dropped
                // (ManuallyDrop), so each record is moved exactly once.
                let (t, slot) = unsafe { old.entries[i].assume_init_read() };
                let mut j = tag as usize & self.mask;
                while self.tags[j] != 0 {
                    j = (j + 1) & self.mask;
                }
                self.entries[j].write((t, slot));
                self.tags[j] = tag;
                self.len += 1;
            }
        }
        // Free the old arrays without dropping the moved records.
        drop(std::mem::take(&mut old.tags));
        drop(std::mem::replace(
            &mut old.entries,
            Box::new_uninit_slice(0),
        ));
    }
}

impl<V> Drop for ProbeTable<V> {
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
        let mut t: ProbeTable<u32> = ProbeTable::default();
        let mut model = std::collections::BTreeMap::new();
        let mut x = 12345u32;
        for step in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (x >> 16) as u16 % 300;
            let h = crowded(n);
            if x & 1 == 0 && !model.contains_key(&n) {
                t.insert_unique(h, tuple(n), slot(step));
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
        let mut t: ProbeTable<u32> = ProbeTable::default();
        t.reserve(5000);
        for n in 0..3000u16 {
            t.insert_unique(crowded(n), tuple(n), slot(u32::from(n)));
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
    fn reserve_then_fill_does_not_grow() {
        let mut t: ProbeTable<u32> = ProbeTable::default();
        t.reserve(1000);
        let slots = t.tags.len();
        for n in 0..1000u16 {
            t.insert_unique(
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
            let mut t: ProbeTable<std::rc::Rc<()>> = ProbeTable::default();
            for n in 0..100u16 {
                let s = Slot {
                    value: counter.clone(),
                    timer: None,
                };
                t.insert_unique(crowded(n), tuple(n), s);
            }
            assert_eq!(std::rc::Rc::strong_count(&counter), 101);
            drop(t.remove(crowded(3), &tuple(3)));
            assert_eq!(std::rc::Rc::strong_count(&counter), 100);
        }
        assert_eq!(std::rc::Rc::strong_count(&counter), 1);
    }
}

//! A NIC's own RSS, as its driver reports it, in the model the generator
//! picks source ports with: its key as an [`RssKey`] (the first 40 bytes:
//! a Toeplitz hash of a 12- or 36-byte input reads no further), and its
//! indirection table as a [`Reta`] of workers, each queue the worker that
//! runs it.
//!
//! Rules: a table is modelled only when it is exact: 128 entries, or a
//! power of two whose entries repeat every 128 (a shorter one repeats
//! itself); an entry naming a queue no worker runs is refused, since the
//! replies it steers would reach nobody.

use super::rss::{RETA_SIZE, RSS_KEY_LEN, Reta, RssKey};
use core::fmt;

/// Why a NIC's table cannot be modelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NicTableError {
    /// The table is empty.
    Empty,
    /// Its size is not a power of two, or it is larger than 128 and does
    /// not repeat every 128 entries.
    NotModelled {
        /// Its entries.
        len: usize,
    },
    /// An entry names a queue that no worker runs.
    QueueNotRun {
        /// The queue.
        queue: u32,
    },
}

impl fmt::Display for NicTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NicTableError::Empty => f.write_str("the indirection table is empty"),
            NicTableError::NotModelled { len } => write!(
                f,
                "the {len}-entry indirection table does not repeat every {RETA_SIZE} entries"
            ),
            NicTableError::QueueNotRun { queue } => write!(
                f,
                "the indirection table sends traffic to queue {queue}, which no worker runs"
            ),
        }
    }
}

impl std::error::Error for NicTableError {}

impl RssKey {
    /// The key a NIC reports (`None` when shorter than 40 bytes): its
    /// first 40 bytes.
    pub fn from_nic(key: &[u8]) -> Option<RssKey> {
        key.get(..RSS_KEY_LEN)?.try_into().ok().map(RssKey)
    }
}

impl Reta {
    /// The table a NIC reports (entry `hash % len` names a queue), over
    /// workers that run `queues` (worker `i` runs `queues[i]`).
    pub fn from_nic_table(table: &[u32], queues: &[u32]) -> Result<Reta, NicTableError> {
        let len = table.len();
        if len == 0 {
            return Err(NicTableError::Empty);
        }
        // The low 7 bits index 128 entries; a power-of-two table indexes
        // with its own low bits, so it is the same table when entry i
        // equals entry i mod 128 (larger) or i mod len (smaller).
        let periodic = len.is_power_of_two()
            && (len <= RETA_SIZE
                || table
                    .iter()
                    .enumerate()
                    .all(|(i, e)| *e == table[i % RETA_SIZE]));
        if !periodic {
            return Err(NicTableError::NotModelled { len });
        }
        let mut entries = [0u16; RETA_SIZE];
        for (i, e) in entries.iter_mut().enumerate() {
            let queue = table[i % len];
            let worker = queues
                .iter()
                .position(|&q| q == queue)
                .ok_or(NicTableError::QueueNotRun { queue })?;
            // At most 256 queues (the command line's bound).
            *e = worker as u16;
        }
        Ok(Reta::from_entries(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_tables_of_any_power_of_two_become_the_round_robin_table() {
        let even = |len: usize, n: u32| (0..len as u32).map(|i| i % n).collect::<Vec<_>>();
        for len in [4, 64, 128, 256, 512] {
            let reta = Reta::from_nic_table(&even(len, 4), &[0, 1, 2, 3]).unwrap();
            assert_eq!(reta, Reta::round_robin(4).unwrap(), "{len}");
        }
        // Workers run queues 2 and 3: queue 2 is worker 0.
        let reta = Reta::from_nic_table(
            &even(128, 2).iter().map(|q| q + 2).collect::<Vec<_>>(),
            &[2, 3],
        );
        assert_eq!(reta.unwrap(), Reta::round_robin(2).unwrap());
    }

    #[test]
    fn tables_that_cannot_be_modelled_or_reach_no_worker_are_refused() {
        assert_eq!(Reta::from_nic_table(&[], &[0]), Err(NicTableError::Empty));
        let odd: Vec<u32> = (0..96).map(|i| i % 2).collect();
        assert_eq!(
            Reta::from_nic_table(&odd, &[0, 1]),
            Err(NicTableError::NotModelled { len: 96 })
        );
        // 256 entries whose second half differs from the first.
        let mut two: Vec<u32> = vec![0; 256];
        two[200] = 1;
        assert!(matches!(
            Reta::from_nic_table(&two, &[0, 1]),
            Err(NicTableError::NotModelled { len: 256 })
        ));
        let e = Reta::from_nic_table(&[0, 1, 2, 3], &[0, 1]).unwrap_err();
        assert_eq!(e, NicTableError::QueueNotRun { queue: 2 });
        assert!(e.to_string().contains("queue 2"), "{e}");
    }

    #[test]
    fn a_longer_key_gives_its_first_forty_bytes() {
        let mut key = RssKey::MICROSOFT.0.to_vec();
        key.extend_from_slice(&[0xee; 12]);
        assert_eq!(RssKey::from_nic(&key), Some(RssKey::MICROSOFT));
        assert_eq!(RssKey::from_nic(&key[..39]), None);
    }
}

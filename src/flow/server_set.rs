//! A generator worker's source pairs towards several servers: one
//! RSS-aware allocator per server (address, port), so each server has
//! its own budget of source pairs (64,512 ports per source address per
//! server, RFC 6056's unit: a four-tuple is unique per destination), and
//! connections spread over the servers round-robin, or in proportion to
//! their weights: a schedule built once by smooth weighted round-robin
//! (as nginx's upstreams), in which a server of weight W appears W times,
//! spread out.
//!
//! Rules: every allocator and the schedule are built up front
//! (`for_workers`, bounded by `MOST_PAIRS` in all); `alloc` and `free`
//! never allocate: `alloc` tries each schedule entry (each server, when
//! the weights are equal) once from the next in turn, `free` finds the
//! server's allocator by one hash lookup.

use hashbrown::HashMap;

use super::FourTuple;
use super::port_alloc::{
    FreeError, PortAllocConfig, PortAllocError, SourcePair, SourcePortAllocator,
};
use super::rss::{Reta, RssHasher};
use crate::wire::{Family, V4};

/// Most source pairs over all servers (each takes about 8 bytes of
/// queue and a bit of bitmap).
pub const MOST_PAIRS: u64 = 1 << 27;

/// One worker's source pairs towards each server, taken in turn.
#[derive(Clone, Debug)]
pub struct ServerSet<A = V4> {
    allocators: Vec<SourcePortAllocator<A>>,
    by_server: HashMap<(A, u16), usize>,
    /// The servers' turns by weight (empty: equal weights, each in turn).
    schedule: Vec<u16>,
    next: usize,
}

/// The turns of servers with `weights` (smooth weighted round-robin: each
/// turn goes to the server whose running credit is highest, which then
/// gives up the total), or nothing when all weights are equal.
fn schedule(weights: &[u32]) -> Vec<u16> {
    if weights.windows(2).all(|w| w[0] == w[1]) {
        return Vec::new();
    }
    let total: i64 = weights.iter().map(|&w| i64::from(w)).sum();
    let mut credit = vec![0i64; weights.len()];
    (0..total)
        .map(|_| {
            for (c, &w) in credit.iter_mut().zip(weights) {
                *c += i64::from(w);
            }
            let best = (0..credit.len())
                .max_by_key(|&i| (credit[i], std::cmp::Reverse(i)))
                .unwrap_or(0);
            credit[best] -= total;
            best as u16
        })
        .collect()
}

impl<A: Family> ServerSet<A> {
    /// The sets of all `workers` (index = worker) for connections from
    /// `local_ip_count` addresses from `local_ip_first` (every port of
    /// `DEFAULT_LOCAL_PORTS`) to each of `servers`, the pairs of each
    /// server split by where `hasher` and `reta` steer its replies;
    /// connections go to the servers in proportion to `weights` (as
    /// `servers`; empty: equal).
    pub fn for_workers(
        hasher: &RssHasher,
        reta: &Reta,
        workers: u16,
        (local_ip_first, local_ip_count): (A, u32),
        servers: &[(A, u16)],
        weights: &[u32],
    ) -> Result<Vec<ServerSet<A>>, PortAllocError> {
        if servers.is_empty() || servers.len() > usize::from(u16::MAX) {
            return Err(PortAllocError::EmptyIpRange);
        }
        let turns = match weights {
            [] => Vec::new(),
            w if w.len() == servers.len() && w.iter().all(|&x| x > 0) => schedule(w),
            _ => return Err(PortAllocError::BadWeights),
        };
        let per_server = u64::from(local_ip_count) * 64_512;
        if per_server.saturating_mul(servers.len() as u64) > MOST_PAIRS {
            return Err(PortAllocError::TooManyPairs);
        }
        let mut sets: Vec<ServerSet<A>> = (0..workers)
            .map(|_| ServerSet {
                allocators: Vec::with_capacity(servers.len()),
                by_server: HashMap::with_capacity(servers.len()),
                schedule: turns.clone(),
                next: 0,
            })
            .collect();
        for &(ip, port) in servers {
            let cfg = PortAllocConfig::new(local_ip_first, local_ip_count, ip, port);
            let all = SourcePortAllocator::for_workers(hasher, reta, workers, &cfg)?;
            for (set, a) in sets.iter_mut().zip(all) {
                set.by_server.insert((ip, port), set.allocators.len());
                set.allocators.push(a);
            }
        }
        // Each worker starts at a different server, so that the first
        // connections of all workers spread too.
        for (w, set) in sets.iter_mut().enumerate() {
            set.next = w % set.turns();
        }
        Ok(sets)
    }

    /// One server's set (a single allocator).
    pub fn single(a: SourcePortAllocator<A>) -> ServerSet<A> {
        let mut by_server = HashMap::with_capacity(1);
        by_server.insert(a.server(), 0);
        ServerSet {
            allocators: vec![a],
            by_server,
            schedule: Vec::new(),
            next: 0,
        }
    }

    /// Turns in a round: schedule entries, or servers.
    #[inline]
    fn turns(&self) -> usize {
        if self.schedule.is_empty() {
            self.allocators.len()
        } else {
            self.schedule.len()
        }
    }

    /// The server of the next turn, moving on.
    #[inline]
    fn take_turn(&mut self) -> usize {
        let t = self.next;
        self.next = if t + 1 == self.turns() { 0 } else { t + 1 };
        match self.schedule.get(t) {
            Some(&i) => usize::from(i),
            None => t,
        }
    }

    /// The next connection's four-tuple: a free pair towards the next
    /// server in turn that has one; `None` when none has.
    #[inline]
    pub fn alloc(&mut self) -> Option<FourTuple<A>> {
        if let [only] = &mut self.allocators[..] {
            return only.alloc().map(|pair| only.tuple(pair));
        }
        for _ in 0..self.turns() {
            let i = self.take_turn();
            let a = &mut self.allocators[i];
            if let Some(pair) = a.alloc() {
                return Some(a.tuple(pair));
            }
        }
        None
    }

    /// The four-tuple of a SYN from a `pair` that is not ours (a SYN-only
    /// template's spoofed source) to the next server in turn.
    #[inline]
    pub fn spoofed(&mut self, pair: SourcePair<A>) -> FourTuple<A> {
        let i = self.take_turn();
        self.allocators[i].tuple(pair)
    }

    /// Gives `t`'s source pair back to its server's allocator.
    #[inline]
    pub fn free(&mut self, t: &FourTuple<A>) -> Result<(), FreeError> {
        // One server (the common case): no lookup; its allocator refuses
        // a pair that is not of its range.
        let i = if self.allocators.len() == 1 {
            if self.allocators[0].server() != (t.remote_ip, t.remote_port) {
                return Err(FreeError::OutOfRange);
            }
            0
        } else {
            *self
                .by_server
                .get(&(t.remote_ip, t.remote_port))
                .ok_or(FreeError::OutOfRange)?
        };
        self.allocators[i].free(SourcePair {
            ip: t.local_ip,
            port: t.local_port,
        })
    }

    /// How many servers.
    pub fn servers(&self) -> usize {
        self.allocators.len()
    }

    /// Pairs owned over all servers.
    pub fn capacity(&self) -> usize {
        self.allocators
            .iter()
            .map(SourcePortAllocator::capacity)
            .sum()
    }

    /// Pairs handed out now over all servers.
    pub fn in_use(&self) -> usize {
        self.allocators
            .iter()
            .map(SourcePortAllocator::in_use)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::rss::{RssKey, worker_of_received};

    #[test]
    fn connections_go_round_robin_and_each_server_has_its_own_ports() {
        let hasher = RssHasher::new(&RssKey::MICROSOFT);
        let reta = Reta::round_robin(2).unwrap();
        let servers: Vec<([u8; 4], u16)> = (2..6)
            .flat_map(|h| [([10, 99, 0, h], 80), ([10, 99, 0, h], 81)])
            .collect();
        let mut sets =
            ServerSet::for_workers(&hasher, &reta, 2, ([10, 99, 0, 1], 1), &servers, &[]).unwrap();
        for (w, set) in sets.iter_mut().enumerate() {
            assert_eq!(set.servers(), 8);
            let mut count = std::collections::HashMap::new();
            let mut taken = Vec::new();
            for _ in 0..800 {
                let t = set.alloc().unwrap();
                assert_eq!(usize::from(worker_of_received(&hasher, &reta, &t)), w);
                *count.entry((t.remote_ip, t.remote_port)).or_insert(0) += 1;
                taken.push(t);
            }
            assert!(count.values().all(|&c| c == 100), "{count:?}");
            assert_eq!(set.in_use(), 800);
            for t in &taken {
                set.free(t).unwrap();
            }
            assert_eq!(set.in_use(), 0);
            let stranger = FourTuple {
                remote_ip: [10, 99, 0, 9],
                ..taken[0]
            };
            assert_eq!(set.free(&stranger), Err(FreeError::OutOfRange));
        }
        // Each server has the whole port range: 2 workers share 64,512
        // pairs per server.
        let total: usize = sets.iter().map(ServerSet::capacity).sum();
        assert_eq!(total, 8 * 64_512);
    }

    #[test]
    fn too_many_pairs_are_refused() {
        let hasher = RssHasher::new(&RssKey::MICROSOFT);
        let reta = Reta::round_robin(1).unwrap();
        let servers: Vec<([u8; 4], u16)> = (1..=4096).map(|p| ([10, 0, 0, 2], p as u16)).collect();
        assert_eq!(
            ServerSet::for_workers(&hasher, &reta, 1, ([10, 0, 0, 1], 1000), &servers, &[]).err(),
            Some(PortAllocError::TooManyPairs)
        );
    }

    #[test]
    fn weights_share_the_connections_out_in_proportion() {
        assert_eq!(schedule(&[2, 2, 2]), Vec::<u16>::new());
        // Smooth: the heavy server's turns are spread, not bunched.
        assert_eq!(schedule(&[5, 1, 1]), vec![0, 0, 1, 0, 2, 0, 0]);
        let hasher = RssHasher::new(&RssKey::MICROSOFT);
        let reta = Reta::round_robin(1).unwrap();
        let servers = [([10, 99, 0, 2], 80), ([10, 99, 0, 3], 80)];
        let mut sets =
            ServerSet::for_workers(&hasher, &reta, 1, ([10, 99, 0, 1], 1), &servers, &[3, 1])
                .unwrap();
        let mut to_first = 0;
        for _ in 0..4000 {
            let t = sets[0].alloc().unwrap();
            to_first += usize::from(t.remote_ip == [10, 99, 0, 2]);
        }
        assert_eq!(to_first, 3000);
        let bad = ServerSet::for_workers(&hasher, &reta, 1, ([10, 99, 0, 1], 1), &servers, &[1]);
        assert_eq!(bad.err(), Some(PortAllocError::BadWeights));
    }
}

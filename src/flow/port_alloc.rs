//! RSS-aware source (IP, port) allocation for the connection generator.
//!
//! Each worker owns one [`SourcePortAllocator`] and hands out only local
//! (IP, port) pairs whose server *reply* comes back to that worker: the
//! reply is a received packet with source = server `ip:port` and
//! destination = our `ip:port`, which the NIC hashes with the Toeplitz key
//! ([`RssHasher`]) and sends to the queue named by the indirection table
//! ([`Reta`]) (Microsoft "RSS Hashing Functions"; Intel 82599 datasheet
//! §7.1.2.8). So a connection never has to be handed between workers.
//!
//! Rules: every pair is chosen at construction; [`alloc`] and [`free`] never
//! allocate memory and never panic: exhaustion is `None`, a bad free is a
//! [`FreeError`]. Allocators are independent objects, one per worker, never
//! shared.
//!
//! [`alloc`]: SourcePortAllocator::alloc
//! [`free`]: SourcePortAllocator::free

use core::fmt;
use core::ops::RangeInclusive;
use std::collections::VecDeque;

use super::FourTuple;
use super::rss::{Reta, RssHasher, worker_of_received};
use crate::wire::{Family, V4};

/// The default local port range: every non-privileged port.
pub const DEFAULT_LOCAL_PORTS: RangeInclusive<u16> = 1024..=65535;

/// A local (source) address and port handed to one connection (IPv4 by
/// default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourcePair<A = V4> {
    /// Our address.
    pub ip: A,
    /// Our TCP port.
    pub port: u16,
}

/// What the generator may use and whom it connects to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortAllocConfig<A = V4> {
    /// First local address of the generator's range.
    pub local_ip_first: A,
    /// Number of consecutive local addresses, from `local_ip_first` on.
    pub local_ip_count: u32,
    /// Local ports to use (inclusive).
    pub local_ports: RangeInclusive<u16>,
    /// The server's address.
    pub server_ip: A,
    /// The server's TCP port.
    pub server_port: u16,
}

impl<A: Family> PortAllocConfig<A> {
    /// A configuration with the [`DEFAULT_LOCAL_PORTS`].
    pub fn new(
        local_ip_first: A,
        local_ip_count: u32,
        server_ip: A,
        server_port: u16,
    ) -> PortAllocConfig<A> {
        PortAllocConfig {
            local_ip_first,
            local_ip_count,
            local_ports: DEFAULT_LOCAL_PORTS,
            server_ip,
            server_port,
        }
    }
}

/// Why allocators could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortAllocError {
    /// The number of workers is zero.
    NoWorkers,
    /// The requested worker index is not below the number of workers.
    WorkerOutOfRange {
        /// The requested worker.
        worker: u16,
        /// The number of workers.
        workers: u16,
    },
    /// The indirection table names a worker that does not exist, so the
    /// replies of some pairs would reach no worker.
    RetaOutOfRange {
        /// The offending table entry.
        entry: u16,
        /// The number of workers.
        workers: u16,
    },
    /// `local_ip_count` is zero.
    EmptyIpRange,
    /// The local address range runs past the end of its family's range
    /// (255.255.255.255; for IPv6, the end of the first address's last 64
    /// bits).
    IpRangeOverflow,
    /// The local port range is empty (start above end).
    EmptyPortRange,
    /// More than 2^32 - 1 (address, port) pairs in the ranges.
    TooManyPairs,
    /// Server weights that are not one positive weight per server.
    BadWeights,
}

impl fmt::Display for PortAllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortAllocError::NoWorkers => f.write_str("number of workers is zero"),
            PortAllocError::WorkerOutOfRange { worker, workers } => {
                write!(f, "worker {worker} out of range (workers: {workers})")
            }
            PortAllocError::RetaOutOfRange { entry, workers } => {
                write!(
                    f,
                    "RETA names worker {entry} but there are {workers} workers"
                )
            }
            PortAllocError::EmptyIpRange => f.write_str("local IP count is zero"),
            PortAllocError::IpRangeOverflow => {
                f.write_str("local IP range runs past the last address")
            }
            PortAllocError::EmptyPortRange => f.write_str("local port range is empty"),
            PortAllocError::TooManyPairs => f.write_str(
                "too many source (IP, port) pairs: at most 2^32 - 1 per server and 134,217,728 over all servers (source addresses × 64,512 × servers)",
            ),
            PortAllocError::BadWeights => f.write_str("give one weight of 1 or more per server"),
        }
    }
}

impl std::error::Error for PortAllocError {}

/// Why a pair could not be taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FreeError {
    /// The address or port lies outside the configured ranges.
    OutOfRange,
    /// The pair is not currently handed out by this allocator: freed twice,
    /// never allocated, or another worker's pair.
    NotAllocated,
}

impl fmt::Display for FreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FreeError::OutOfRange => "source pair outside the configured ranges",
            FreeError::NotAllocated => "source pair not allocated by this allocator",
        })
    }
}

impl std::error::Error for FreeError {}

/// The validated ranges: maps pairs to dense indices and back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout<A> {
    ip_first: A,
    ip_count: u32,
    port_first: u16,
    ports: u32,
    total: usize,
    server_ip: A,
    server_port: u16,
}

impl<A: Family> Layout<A> {
    fn new(cfg: &PortAllocConfig<A>) -> Result<Layout<A>, PortAllocError> {
        if cfg.local_ip_count == 0 {
            return Err(PortAllocError::EmptyIpRange);
        }
        let ip_first = cfg.local_ip_first;
        // `add` wraps within the family's last bits: a range past their
        // end comes back below its first address.
        if ip_first.add(u64::from(cfg.local_ip_count - 1)) < ip_first {
            return Err(PortAllocError::IpRangeOverflow);
        }
        let (first, last) = (*cfg.local_ports.start(), *cfg.local_ports.end());
        if first > last {
            return Err(PortAllocError::EmptyPortRange);
        }
        let ports = u32::from(last - first) + 1;
        let total = u64::from(ports) * u64::from(cfg.local_ip_count);
        let total = u32::try_from(total).map_err(|_| PortAllocError::TooManyPairs)?;
        let total = usize::try_from(total).map_err(|_| PortAllocError::TooManyPairs)?;
        Ok(Layout {
            ip_first,
            ip_count: cfg.local_ip_count,
            port_first: first,
            ports,
            total,
            server_ip: cfg.server_ip,
            server_port: cfg.server_port,
        })
    }

    /// Every pair, ports outer and addresses inner, so consecutive pairs of
    /// one worker tend to spread over the addresses.
    fn pairs(&self) -> impl Iterator<Item = SourcePair<A>> + '_ {
        (0..self.ports).flat_map(move |p| {
            (0..self.ip_count).map(move |i| SourcePair {
                // In range: checked by `Layout::new`.
                ip: self.ip_first.add(u64::from(i)),
                port: self.port_first.wrapping_add(p as u16),
            })
        })
    }

    /// The dense index of `pair`, `None` outside the ranges.
    #[inline]
    fn index(&self, pair: SourcePair<A>) -> Option<usize> {
        let ip_off = pair.ip.offset_from(self.ip_first);
        let port_off = u32::from(pair.port.checked_sub(self.port_first)?);
        if ip_off >= u64::from(self.ip_count) || port_off >= self.ports {
            return None;
        }
        // Below `total`, which fits u32 and usize.
        Some(port_off as usize * self.ip_count as usize + ip_off as usize)
    }

    #[inline]
    fn tuple(&self, pair: SourcePair<A>) -> FourTuple<A> {
        FourTuple {
            local_ip: pair.ip,
            remote_ip: self.server_ip,
            local_port: pair.port,
            remote_port: self.server_port,
        }
    }
}

/// Checks the worker count against the table.
fn check_reta(reta: &Reta, workers: u16) -> Result<(), PortAllocError> {
    if workers == 0 {
        return Err(PortAllocError::NoWorkers);
    }
    match reta.entries().iter().find(|&&e| e >= workers) {
        Some(&entry) => Err(PortAllocError::RetaOutOfRange { entry, workers }),
        None => Ok(()),
    }
}

/// One worker's source pairs: a FIFO of free pairs and a bitmap of the ones
/// handed out. Pairs are handed out in construction order (ports ascending,
/// addresses interleaved), and freed pairs go to the back of the queue, so
/// a pair rests as long as possible before reuse (TIME-WAIT on the server).
///
/// Memory: the queue holds the worker's share of the pairs, the bitmap one
/// bit per pair of the whole range.
#[derive(Clone, Debug)]
pub struct SourcePortAllocator<A = V4> {
    worker: u16,
    layout: Layout<A>,
    owned: usize,
    free: VecDeque<SourcePair<A>>,
    in_use: Vec<u64>,
}

impl<A: Family> SourcePortAllocator<A> {
    fn empty(worker: u16, layout: Layout<A>) -> SourcePortAllocator<A> {
        SourcePortAllocator {
            worker,
            layout,
            owned: 0,
            free: VecDeque::new(),
            in_use: vec![0; layout.total.div_ceil(64)],
        }
    }

    fn push_owned(&mut self, pair: SourcePair<A>) {
        self.free.push_back(pair);
        self.owned += 1;
    }

    /// The allocator of `worker` (of `workers`): every pair of `cfg`'s
    /// ranges whose reply, hashed by `hasher` through `reta`, reaches
    /// `worker`.
    pub fn new(
        hasher: &RssHasher,
        reta: &Reta,
        workers: u16,
        worker: u16,
        cfg: &PortAllocConfig<A>,
    ) -> Result<SourcePortAllocator<A>, PortAllocError> {
        check_reta(reta, workers)?;
        if worker >= workers {
            return Err(PortAllocError::WorkerOutOfRange { worker, workers });
        }
        let layout = Layout::new(cfg)?;
        let mut a = SourcePortAllocator::empty(worker, layout);
        for pair in layout.pairs() {
            if worker_of_received(hasher, reta, &layout.tuple(pair)) == worker {
                a.push_owned(pair);
            }
        }
        Ok(a)
    }

    /// The allocators of all `workers`, index = worker, built in one pass.
    /// Their pair sets are disjoint and together cover the whole range.
    pub fn for_workers(
        hasher: &RssHasher,
        reta: &Reta,
        workers: u16,
        cfg: &PortAllocConfig<A>,
    ) -> Result<Vec<SourcePortAllocator<A>>, PortAllocError> {
        check_reta(reta, workers)?;
        let layout = Layout::new(cfg)?;
        let mut all: Vec<SourcePortAllocator<A>> = (0..workers)
            .map(|w| SourcePortAllocator::empty(w, layout))
            .collect();
        for pair in layout.pairs() {
            let w = worker_of_received(hasher, reta, &layout.tuple(pair));
            // `check_reta` made every entry a valid index.
            if let Some(a) = all.get_mut(usize::from(w)) {
                a.push_owned(pair);
            }
        }
        Ok(all)
    }

    /// The next free pair, `None` when every pair of this worker is in use.
    #[inline]
    pub fn alloc(&mut self) -> Option<SourcePair<A>> {
        let pair = self.free.pop_front()?;
        if let Some(i) = self.layout.index(pair)
            && let Some(word) = self.in_use.get_mut(i / 64)
        {
            *word |= 1 << (i % 64);
        }
        Some(pair)
    }

    /// Takes `pair` back; it will be handed out again after the pairs
    /// already free. Never allocates: at most `capacity()` pairs are ever
    /// queued.
    #[inline]
    pub fn free(&mut self, pair: SourcePair<A>) -> Result<(), FreeError> {
        let i = self.layout.index(pair).ok_or(FreeError::OutOfRange)?;
        let word = self.in_use.get_mut(i / 64).ok_or(FreeError::OutOfRange)?;
        let bit = 1u64 << (i % 64);
        if *word & bit == 0 {
            return Err(FreeError::NotAllocated);
        }
        *word &= !bit;
        self.free.push_back(pair);
        Ok(())
    }

    /// The worker this allocator serves.
    pub fn worker(&self) -> u16 {
        self.worker
    }

    /// How many pairs this worker owns in all.
    pub fn capacity(&self) -> usize {
        self.owned
    }

    /// How many pairs are free now.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// How many pairs are handed out now.
    pub fn in_use(&self) -> usize {
        self.owned - self.free.len()
    }

    /// The server's address and port.
    pub fn server(&self) -> (A, u16) {
        (self.layout.server_ip, self.layout.server_port)
    }

    /// The connection's four-tuple seen from the generator: `local` is
    /// `pair`, `remote` the server. The server's reply is received with
    /// source = remote and destination = local.
    #[inline]
    pub fn tuple(&self, pair: SourcePair<A>) -> FourTuple<A> {
        self.layout.tuple(pair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::rss::{RETA_SIZE, RssKey};
    use std::collections::BTreeSet;

    fn cfg() -> PortAllocConfig {
        PortAllocConfig::new([10, 0, 0, 1], 2, [10, 0, 1, 1], 80)
    }

    fn drain(a: &mut SourcePortAllocator) -> Vec<SourcePair> {
        let mut out = Vec::new();
        while let Some(p) = a.alloc() {
            out.push(p);
        }
        out
    }

    /// The acceptance test: replies land on the owner, sets are disjoint
    /// and cover the range, exhaustion is `None`, freed pairs come back.
    #[test]
    fn replies_reach_owner_and_sets_partition_range() {
        let cfg = cfg();
        let total = 2 * (65535 - 1024 + 1);
        for key in [RssKey::MICROSOFT, RssKey::SYMMETRIC] {
            let hasher = RssHasher::new(&key);
            for workers in 1..=4u16 {
                let reta = Reta::round_robin(workers).unwrap();
                let mut all =
                    SourcePortAllocator::for_workers(&hasher, &reta, workers, &cfg).unwrap();
                let mut union = BTreeSet::new();
                let mut sum = 0;
                for (w, a) in all.iter_mut().enumerate() {
                    assert_eq!(usize::from(a.worker()), w);
                    let pairs = drain(a);
                    assert_eq!(pairs.len(), a.capacity());
                    assert_eq!(a.available(), 0);
                    assert_eq!(a.in_use(), a.capacity());
                    for &p in &pairs {
                        let t = a.tuple(p);
                        // The reply as the NIC sees it: source = server.
                        let h = hasher.hash_ipv4_tcp([10, 0, 1, 1], p.ip, 80, p.port);
                        assert_eq!(h, hasher.hash_received(&t));
                        assert_eq!(usize::from(reta.worker_of(h)), w);
                    }
                    assert_eq!(a.alloc(), None, "exhausted");
                    sum += pairs.len();
                    union.extend(pairs.iter().copied());

                    // Freed pairs come back, in FIFO order.
                    if let (Some(&x), Some(&y)) = (pairs.first(), pairs.last()) {
                        a.free(y).unwrap();
                        if x != y {
                            a.free(x).unwrap();
                        }
                        assert_eq!(a.alloc(), Some(y));
                        if x != y {
                            assert_eq!(a.alloc(), Some(x));
                        }
                        assert_eq!(a.alloc(), None);
                    }
                }
                assert_eq!(sum, total, "disjoint");
                assert_eq!(union.len(), total, "covering");
                for ip in [[10, 0, 0, 1], [10, 0, 0, 2]] {
                    for port in 1024..=65535u16 {
                        assert!(union.contains(&SourcePair { ip, port }));
                    }
                }
                if workers > 1 {
                    // Every worker gets a share of the range.
                    assert!(all.iter().all(|a| a.capacity() > 0));
                }
            }
        }
    }

    #[test]
    fn single_worker_matches_for_workers() {
        let hasher = RssHasher::default();
        let reta = Reta::round_robin(3).unwrap();
        let cfg = PortAllocConfig {
            local_ports: 40000..=40999,
            ..cfg()
        };
        let mut all = SourcePortAllocator::for_workers(&hasher, &reta, 3, &cfg).unwrap();
        for (w, b) in all.iter_mut().enumerate() {
            let mut a = SourcePortAllocator::new(&hasher, &reta, 3, w as u16, &cfg).unwrap();
            assert_eq!(drain(&mut a), drain(b));
        }
    }

    #[test]
    fn bad_frees_are_errors() {
        let hasher = RssHasher::default();
        let reta = Reta::round_robin(2).unwrap();
        let cfg = PortAllocConfig {
            local_ports: 5000..=5099,
            ..cfg()
        };
        let mut all = SourcePortAllocator::for_workers(&hasher, &reta, 2, &cfg).unwrap();
        let (a0, rest) = all.split_first_mut().unwrap();
        let a1 = &mut rest[0];
        let p0 = a0.alloc().unwrap();
        let p1 = a1.alloc().unwrap();
        // Another worker's pair, even while allocated there.
        assert_eq!(a0.free(p1), Err(FreeError::NotAllocated));
        assert_eq!(a0.free(p0), Ok(()));
        assert_eq!(a0.free(p0), Err(FreeError::NotAllocated), "double free");
        for bad in [
            SourcePair {
                ip: [10, 0, 0, 3],
                port: 5000,
            },
            SourcePair {
                ip: [10, 0, 0, 0],
                port: 5000,
            },
            SourcePair {
                ip: [10, 0, 0, 1],
                port: 4999,
            },
            SourcePair {
                ip: [10, 0, 0, 1],
                port: 5100,
            },
        ] {
            assert_eq!(a0.free(bad), Err(FreeError::OutOfRange));
        }
        assert_eq!(a0.in_use(), 0);
        assert_eq!(a1.in_use(), 1);
    }

    #[test]
    fn construction_errors() {
        let h = RssHasher::default();
        let r2 = Reta::round_robin(2).unwrap();
        let ok = cfg();
        let new = |reta: &Reta, workers, worker, cfg: &PortAllocConfig| {
            SourcePortAllocator::new(&h, reta, workers, worker, cfg).map(|a| a.capacity())
        };
        assert_eq!(new(&r2, 0, 0, &ok), Err(PortAllocError::NoWorkers));
        assert_eq!(
            new(&r2, 2, 2, &ok),
            Err(PortAllocError::WorkerOutOfRange {
                worker: 2,
                workers: 2
            })
        );
        assert_eq!(
            new(&r2, 1, 0, &ok),
            Err(PortAllocError::RetaOutOfRange {
                entry: 1,
                workers: 1
            })
        );
        let zero_ips = PortAllocConfig {
            local_ip_count: 0,
            ..cfg()
        };
        assert_eq!(new(&r2, 2, 0, &zero_ips), Err(PortAllocError::EmptyIpRange));
        let overflow = PortAllocConfig {
            local_ip_first: [255, 255, 255, 255],
            local_ip_count: 2,
            ..cfg()
        };
        assert_eq!(
            new(&r2, 2, 0, &overflow),
            Err(PortAllocError::IpRangeOverflow)
        );
        #[allow(clippy::reversed_empty_ranges)]
        let no_ports = PortAllocConfig {
            local_ports: 2000..=1999,
            ..cfg()
        };
        assert_eq!(
            new(&r2, 2, 0, &no_ports),
            Err(PortAllocError::EmptyPortRange)
        );
        let huge = PortAllocConfig {
            local_ip_first: [0, 0, 0, 0],
            local_ip_count: u32::MAX,
            local_ports: 0..=65535,
            ..cfg()
        };
        assert_eq!(new(&r2, 2, 0, &huge), Err(PortAllocError::TooManyPairs));
        assert!(
            SourcePortAllocator::for_workers(&h, &Reta::from_entries([5; RETA_SIZE]), 5, &ok)
                .is_err()
        );
    }

    #[test]
    fn last_address_and_port_usable() {
        let h = RssHasher::default();
        let reta = Reta::round_robin(1).unwrap();
        let cfg = PortAllocConfig {
            local_ip_first: [255, 255, 255, 255],
            local_ip_count: 1,
            local_ports: 65535..=65535,
            server_ip: [1, 2, 3, 4],
            server_port: 443,
        };
        let mut a = SourcePortAllocator::new(&h, &reta, 1, 0, &cfg).unwrap();
        let p = SourcePair {
            ip: [255, 255, 255, 255],
            port: 65535,
        };
        assert_eq!(a.alloc(), Some(p));
        assert_eq!(a.alloc(), None);
        assert_eq!(a.free(p), Ok(()));
        assert_eq!(a.alloc(), Some(p));
        assert_eq!(a.server(), ([1, 2, 3, 4], 443));
    }
}

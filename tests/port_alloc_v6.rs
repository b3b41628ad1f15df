//! RSS-aware source pairs over IPv6: every pair a worker gets has its
//! reply (server → us) hash, by the IPv6/TCP Toeplitz hash through the
//! table, to that worker; the workers' sets are disjoint and cover the
//! range; pairs go back and come out again; a range past the address's
//! last 64 bits is refused.

use std::collections::BTreeSet;
use synwave::flow::{
    FreeError, PortAllocConfig, PortAllocError, Reta, RssHasher, RssKey, SourcePair,
    SourcePortAllocator,
};

fn v6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().expect("address").octets()
}

#[test]
fn ipv6_replies_hash_to_their_worker_and_the_sets_partition_the_range() {
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(3).expect("workers");
    let mut cfg = PortAllocConfig::new(v6("fd00::1:fffe"), 4, v6("fd00::1"), 80);
    cfg.local_ports = 2000..=2999;
    let all = SourcePortAllocator::for_workers(&hasher, &reta, 3, &cfg).expect("allocators");
    let mut seen = BTreeSet::new();
    for (w, mut a) in all.into_iter().enumerate() {
        assert!(a.capacity() > 1000, "worker {w}: {}", a.capacity());
        let mut pairs = Vec::new();
        while let Some(p) = a.alloc() {
            // The reply: from the server to us.
            let h = hasher.hash_ipv6_tcp(v6("fd00::1"), p.ip, 80, p.port);
            assert_eq!(usize::from(reta.worker_of(h)), w, "{p:?}");
            assert!(seen.insert(p), "{p:?} handed to two workers");
            pairs.push(p);
        }
        let first = pairs[0];
        a.free(first).expect("ours");
        assert_eq!(a.free(first), Err(FreeError::NotAllocated));
        assert_eq!(a.alloc(), Some(first));
    }
    // 4 addresses (crossing a 16-bit boundary) × 1,000 ports.
    assert_eq!(seen.len(), 4_000);
    let outside = SourcePair {
        ip: v6("fd00::2:2"),
        port: 2000,
    };
    assert!(!seen.contains(&outside));
}

#[test]
fn an_ipv6_range_past_its_last_64_bits_is_refused() {
    let hasher = RssHasher::new(&RssKey::MICROSOFT);
    let reta = Reta::round_robin(1).expect("workers");
    let cfg = PortAllocConfig::new(v6("fd00::ffff:ffff:ffff:fffe"), 4, v6("fd00::1"), 80);
    let e = SourcePortAllocator::new(&hasher, &reta, 1, 0, &cfg).expect_err("refused");
    assert_eq!(e, PortAllocError::IpRangeOverflow);
}

//! The loopback backend's tests: frames cross in order, buffers come
//! back, full rings and empty pools are counted, steering, impairments,
//! and a frame's ownership (a boxed buffer: sound whatever port it ends
//! up in).

use super::*;
use std::time::{Duration, Instant};

fn send(port: &mut LoopPort, payloads: &[&[u8]]) {
    let mut batch = Vec::with_capacity(payloads.len());
    for p in payloads {
        let mut f = port.alloc().expect("a free buffer");
        f.buf_mut()[..p.len()].copy_from_slice(p);
        f.set_len(p.len());
        batch.push(f);
    }
    port.tx_burst(&mut batch);
    assert!(batch.is_empty());
}

fn receive(port: &mut LoopPort) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    let mut batch = Vec::with_capacity(64);
    while port.rx_burst(&mut batch, 64) > 0 {
        for f in batch.drain(..) {
            got.push(f.data().to_vec());
            port.recycle(f);
        }
    }
    got
}

#[test]
fn frames_cross_in_order_and_buffers_come_back() {
    let cfg = LoopbackConfig {
        frames_per_queue: 8,
        ..LoopbackConfig::default()
    };
    let (mut a, mut b) = loopback(&cfg).unwrap();
    let (a, b) = (&mut a[0], &mut b[0]);
    send(a, &[b"one", b"two", b"three"]);
    assert_eq!(a.free_buffers(), 5);
    assert_eq!(
        receive(b),
        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
    // B recycled them: 8 + 3 buffers on B's side now.
    assert_eq!(b.free_buffers(), 11);
    assert_eq!(a.stats().tx_frames, 3);
    assert_eq!(b.stats().rx_frames, 3);
}

#[test]
fn empty_pool_and_full_ring_are_counted_not_fatal() {
    let cfg = LoopbackConfig {
        frames_per_queue: 4,
        ring_size: 2,
        ..LoopbackConfig::default()
    };
    let (mut a, mut b) = loopback(&cfg).unwrap();
    let mut batch: Vec<LoopFrame> = (0..4).map(|_| a[0].alloc().unwrap()).collect();
    // A's free list and the spare pool are empty (B's free list is
    // B's own): alloc fails and is counted.
    assert!(a[0].alloc().is_none());
    assert_eq!(a[0].stats().alloc_failed, 1);
    assert_eq!(a[0].tx_burst(&mut batch), 2);
    assert_eq!(a[0].stats().tx_ring_full, 2);
    assert_eq!(a[0].free_buffers(), 2);
    assert_eq!(receive(&mut b[0]).len(), 2);
}

#[test]
fn surplus_buffers_flow_back_through_the_spare_pool() {
    let cfg = LoopbackConfig {
        frames_per_queue: 64,
        ring_size: 4096,
        ..LoopbackConfig::default()
    };
    let (mut a, mut b) = loopback(&cfg).unwrap();
    // A sends everything it has many times over; B keeps (recycles)
    // every frame. A must keep finding buffers through the spare pool.
    for _ in 0..20 {
        let mut batch = Vec::with_capacity(64);
        while let Some(f) = a[0].alloc() {
            batch.push(f);
            if batch.len() == 64 {
                break;
            }
        }
        assert!(!batch.is_empty(), "A ran out of buffers for good");
        a[0].tx_burst(&mut batch);
        receive(&mut b[0]);
    }
    assert!(a[0].stats().tx_frames >= 20 * 32);
}

#[test]
fn steering_picks_the_receiving_queue() {
    let cfg = LoopbackConfig {
        queues_b: 3,
        steer_b: Arc::new(|f: &[u8]| usize::from(f[0])),
        ..LoopbackConfig::default()
    };
    let (mut a, mut b) = loopback(&cfg).unwrap();
    send(&mut a[0], &[&[0], &[1], &[2], &[4], &[5]]);
    assert_eq!(receive(&mut b[0]), vec![vec![0]]);
    assert_eq!(receive(&mut b[1]), vec![vec![1], vec![4]]);
    assert_eq!(receive(&mut b[2]), vec![vec![2], vec![5]]);
}

#[test]
fn a_full_ring_drops_only_its_own_frames() {
    // Two receiving queues with rings of 2: a burst of 6 frames, 4 to
    // queue 0 and 2 to queue 1, loses the last 2 of queue 0, in order.
    let cfg = LoopbackConfig {
        frames_per_queue: 8,
        queues_b: 2,
        ring_size: 2,
        steer_b: Arc::new(|f: &[u8]| usize::from(f[0] >= 10)),
        ..LoopbackConfig::default()
    };
    let (mut a, mut b) = loopback(&cfg).unwrap();
    let free = a[0].free_buffers();
    send(&mut a[0], &[&[1], &[10], &[2], &[3], &[11], &[4]]);
    assert_eq!(a[0].stats().tx_frames, 6);
    assert_eq!(a[0].stats().tx_ring_full, 2);
    // The dropped frames' buffers are back on A's free list.
    assert_eq!(a[0].free_buffers(), free - 4);
    assert_eq!(receive(&mut b[0]), vec![vec![1], vec![2]]);
    assert_eq!(receive(&mut b[1]), vec![vec![10], vec![11]]);
    // The rings drained, the next burst goes through whole.
    send(&mut a[0], &[&[5], &[12]]);
    assert_eq!(receive(&mut b[0]), vec![vec![5]]);
    assert_eq!(receive(&mut b[1]), vec![vec![12]]);
}

#[test]
fn impairments_are_seeded_and_lose_no_buffer() {
    let run = |seed| {
        let cfg = LoopbackConfig {
            frames_per_queue: 256,
            impairment: Impairment::lossy(0.2),
            seed,
            ..LoopbackConfig::default()
        };
        let (mut a, mut b) = loopback(&cfg).unwrap();
        let mut got = Vec::new();
        for round in 0..50u8 {
            let p: Vec<[u8; 2]> = (0..10u8).map(|i| [round, i]).collect();
            let refs: Vec<&[u8]> = p.iter().map(|x| &x[..]).collect();
            send(&mut a[0], &refs);
            got.extend(receive(&mut b[0]));
        }
        a[0].flush_held();
        got.extend(receive(&mut b[0]));
        let s = a[0].stats();
        // Every buffer is accounted for: none leaked.
        let all = a[0].free_buffers() + b[0].free_buffers() + a[0].spare_buffers();
        assert_eq!(all, 512);
        (got, s)
    };
    let (got, s) = run(7);
    assert_eq!(run(7).0, got);
    assert_ne!(run(8).0, got);
    assert_eq!(got.len() as u64, 500 - s.lost + s.duplicated);
    assert!(s.lost > 0 && s.duplicated > 0 && s.reordered > 0);
    let mut sorted = got.clone();
    sorted.sort();
    assert_ne!(sorted, got, "some frames arrived out of order");
}

#[test]
fn bad_settings_are_named() {
    let e = loopback(&LoopbackConfig {
        queues_b: 0,
        ..LoopbackConfig::default()
    })
    .unwrap_err();
    assert_eq!(e, LoopbackError::NoQueue);
    assert!(e.to_string().contains("at least one queue"));
    let e = loopback(&LoopbackConfig {
        impairment: Impairment::lossy(2.0),
        ..LoopbackConfig::default()
    })
    .unwrap_err();
    assert!(matches!(e, LoopbackError::Impairment(i) if i.name == "loss"));
    assert!(e.to_string().contains("outside [0, 1]"));
}

#[test]
fn echo_across_threads() {
    let (mut a, b) = loopback(&LoopbackConfig::default()).unwrap();
    let mut b = b.into_iter().next().unwrap();
    const N: u32 = 100_000;
    let echo = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let (mut batch, mut echoed) = (Vec::with_capacity(64), 0u32);
        while echoed < N && Instant::now() < deadline {
            echoed += b.rx_burst(&mut batch, 64) as u32;
            b.tx_burst(&mut batch);
        }
        echoed
    });
    let a = &mut a[0];
    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut sent, mut back, mut batch) = (0u32, 0u32, Vec::with_capacity(64));
    let mut sum = 0u64;
    while back < N && Instant::now() < deadline {
        while sent < N && sent - back < 1024 && batch.len() < 64 {
            let Some(mut f) = a.alloc() else { break };
            f.buf_mut()[..4].copy_from_slice(&sent.to_le_bytes());
            f.set_len(4);
            batch.push(f);
            sent += 1;
        }
        a.tx_burst(&mut batch);
        a.rx_burst(&mut batch, 64);
        for f in batch.drain(..) {
            sum += u64::from(u32::from_le_bytes(f.data()[..4].try_into().unwrap()));
            back += 1;
            a.recycle(f);
        }
    }
    assert_eq!(echo.join().unwrap(), N);
    assert_eq!(back, N);
    assert_eq!(sum, u64::from(N) * u64::from(N - 1) / 2);
}

#[test]
fn a_frame_outlives_its_loopback_and_may_join_another() {
    // A frame owns its buffer outright: it stays valid after every port
    // of its loopback is gone, and any other loopback's port may take it
    // (buffers drift between ports by design).
    let (mut a, b) = loopback(&LoopbackConfig::default()).unwrap();
    let mut f = a[0].alloc().expect("a free buffer");
    drop((a, b));
    f.buf_mut()[..3].copy_from_slice(b"abc");
    f.set_len(3);
    assert_eq!(f.data(), b"abc");
    let (mut other, _) = loopback(&LoopbackConfig {
        frames_per_queue: 8,
        ..LoopbackConfig::default()
    })
    .unwrap();
    let before = other[0].free_buffers();
    other[0].recycle(f);
    assert_eq!(other[0].free_buffers(), before + 1);
}

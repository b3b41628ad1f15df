//! The cost of handing a frame to another worker (`engine::handoff`,
//! `--rss software`): naming its owner (the RSS hash of the frame's
//! four-tuple through the table), and one push into the owner's inbox and
//! one pop out of it. On one thread: the cache line a second core would
//! fetch for the pop is not in the figure.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synwave::engine::handoff::{Handoff, handoffs};
use synwave::flow::{Reta, RssHasher};

#[path = "frames.rs"]
mod frames;

/// A stand-in for an AF_XDP frame handle (24 bytes, as `XskFrame`).
type Frame = [u64; 3];

fn handoff(c: &mut Criterion) {
    let hasher = RssHasher::default();
    let reta = Reta::round_robin(2).expect("workers");
    let hs: Vec<Handoff<Frame>> = handoffs(2, &hasher, &reta);
    let syn = frames::syn_frame();
    c.bench_function("handoff/owner_of_frame", |b| {
        b.iter(|| hs[0].other_owner(black_box(&syn)))
    });
    let mut out = Vec::with_capacity(1);
    c.bench_function("handoff/send_and_receive", |b| {
        b.iter(|| {
            let _ = hs[0].send(1, black_box([1, 2, 3]));
            hs[1].receive(&mut out, 1);
            out.pop()
        })
    });
}

criterion_group!(benches, handoff);
criterion_main!(benches);

//! `wire` micro-benchmarks: parsing a TCP/IPv4 frame (Ethernet, IPv4, TCP
//! and options, both checksums verified) and the Internet checksum.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synwave::wire::{checksum, parse_frame};

#[path = "frames.rs"]
mod frames;

fn parse(c: &mut Criterion) {
    let syn = frames::syn_frame();
    c.bench_function("wire/parse_tcp_ipv4_syn_verified", |b| {
        b.iter(|| parse_frame(black_box(&syn), true).is_ok())
    });
    c.bench_function("wire/parse_tcp_ipv4_syn_unverified", |b| {
        b.iter(|| parse_frame(black_box(&syn), false).is_ok())
    });
    let data = vec![0xa5u8; 1460];
    c.bench_function("wire/checksum_1460_bytes", |b| {
        b.iter(|| checksum::checksum(black_box(&data)))
    });
}

criterion_group!(benches, parse);
criterion_main!(benches);

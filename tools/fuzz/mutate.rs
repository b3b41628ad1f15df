//! The stable harness's input generator: seeded, deterministic mutations
//! of the targets' seed inputs (bit flips, byte sets to edge values,
//! truncation, insertion, deletion, splicing of two seeds, header length
//! and option fields set to arbitrary values), and some wholly random
//! inputs. Included with `#[path]` by `tests/fuzz_smoke.rs` and
//! `examples/fuzz_campaign.rs`.

#![allow(dead_code)]

/// xorshift64*: small, fast, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that make parsers take edge paths.
const EDGE: [u8; 10] = [0x00, 0x01, 0x02, 0x04, 0x05, 0x0f, 0x40, 0x7f, 0x80, 0xff];

/// One input for a target with `seeds`: mostly a mutated seed, one in 16
/// wholly random.
pub fn input(rng: &mut Rng, seeds: &[Vec<u8>], out: &mut Vec<u8>) {
    out.clear();
    if seeds.is_empty() || rng.below(16) == 0 {
        let n = rng.below(200);
        out.extend((0..n).map(|_| rng.next() as u8));
        return;
    }
    out.extend_from_slice(&seeds[rng.below(seeds.len())]);
    for _ in 0..1 + rng.below(4) {
        mutate(rng, seeds, out);
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], v: &mut Vec<u8>) {
    let len = v.len();
    match rng.below(9) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            v[i] ^= 1 << rng.below(8);
        }
        // An edge value at a random place.
        1 if len > 0 => {
            let i = rng.below(len);
            v[i] = EDGE[rng.below(EDGE.len())];
        }
        // Truncate.
        2 if len > 0 => v.truncate(rng.below(len)),
        // Insert bytes.
        3 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(8);
            for _ in 0..n {
                v.insert(at, rng.next() as u8);
            }
        }
        // Delete a run.
        4 if len > 1 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(8));
            v.drain(at..at + n);
        }
        // Splice the tail of another seed.
        5 => {
            let other = &seeds[rng.below(seeds.len())];
            let at = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            v.truncate(at);
            v.extend_from_slice(&other[from..]);
        }
        // The IPv4 header length / version byte, total length, TCP data
        // offset, or the first option's kind and length, set anew.
        6 if len > 14 => v[14] = rng.next() as u8,
        7 if len > 17 => {
            let tl = (rng.next() as u16).to_be_bytes();
            v[16] = tl[0];
            v[17] = tl[1];
        }
        8 if len > 46 => {
            v[46] = rng.next() as u8;
            if len > 55 {
                v[54] = EDGE[rng.below(EDGE.len())];
                v[55] = EDGE[rng.below(EDGE.len())];
            }
        }
        _ => {
            if len > 0 {
                let i = rng.below(len);
                v[i] = rng.next() as u8;
            }
        }
    }
}

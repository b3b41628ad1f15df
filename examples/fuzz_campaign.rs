//! A long stable-toolchain fuzz campaign over the targets of
//! `tools/fuzz/targets.rs`, with the mutator of `tools/fuzz/mutate.rs`
//! (the CI pass, `tests/fuzz_smoke.rs`, runs the same for 200,000 inputs a
//! target). Prints, per target, the inputs run, the time and the rate; a
//! failing input is printed in hex and the campaign stops with status 1.
//!
//! ```text
//! cargo run --release --example fuzz_campaign -- [TARGET|all] [INPUTS] [SEED]
//! cargo run --release --example fuzz_campaign -- write-seeds DIR   # DIR/TARGET/seed-N, a
//!                                                                  # starting corpus for cargo-fuzz
//! ```

#[path = "../tools/fuzz/mutate.rs"]
mod mutate;
#[path = "../tools/fuzz/targets.rs"]
mod targets;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str);
    if which == "write-seeds" {
        let dir = std::path::PathBuf::from(args.get(1).map_or("tools/fuzz/corpus", String::as_str));
        for &(name, _) in targets::TARGETS {
            let d = dir.join(name);
            std::fs::create_dir_all(&d).expect("corpus directory");
            for (i, s) in targets::seeds(name).iter().enumerate() {
                std::fs::write(d.join(format!("seed-{i}")), s).expect("seed file");
            }
        }
        println!("seeds written under {}", dir.display());
        return;
    }
    let n: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let chosen: Vec<_> = targets::TARGETS
        .iter()
        .filter(|(name, _)| which == "all" || *name == which)
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = targets::TARGETS.iter().map(|t| t.0).collect();
        eprintln!("no target '{which}': give all or one of {names:?}");
        std::process::exit(2);
    }
    for &&(name, run) in &chosen {
        let seeds = targets::seeds(name);
        let mut rng = mutate::Rng::new(seed ^ name.len() as u64);
        let mut input = Vec::new();
        let started = Instant::now();
        for i in 0..n {
            mutate::input(&mut rng, &seeds, &mut input);
            if std::panic::catch_unwind(|| run(&input)).is_err() {
                eprintln!("{name}: input {i} failed: {input:02x?}");
                std::process::exit(1);
            }
        }
        let t = started.elapsed().as_secs_f64();
        println!(
            "{name:<16} {n:>12} inputs {t:>9.1} s {:>12.0} inputs/s  0 failures",
            n as f64 / t
        );
    }
}

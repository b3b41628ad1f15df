//! The fuzz targets (`tools/fuzz/targets.rs`) on the stable toolchain, a
//! short bounded pass for CI: for every target, 200,000 seeded mutations
//! of real frames and random inputs (100,000 frame sequences for the
//! endpoint), which must neither panic nor break the target's
//! invariants. `examples/fuzz_campaign.rs` runs the same for millions;
//! `tools/fuzz` runs them coverage-guided under cargo-fuzz.

#[path = "../tools/fuzz/mutate.rs"]
mod mutate;
#[path = "../tools/fuzz/targets.rs"]
mod targets;

/// Inputs per target (the endpoint target's inputs are sequences of
/// frames, so fewer).
fn inputs(name: &str) -> u64 {
    if name == "endpoint" { 100_000 } else { 200_000 }
}

#[test]
fn every_target_survives_its_bounded_pass() {
    for &(name, run) in targets::TARGETS {
        let seeds = targets::seeds(name);
        assert!(!seeds.is_empty(), "{name} has no seeds");
        // The seeds themselves first.
        for s in &seeds {
            run(s);
        }
        let mut rng = mutate::Rng::new(0x5eed ^ name.len() as u64);
        let mut input = Vec::new();
        for i in 0..inputs(name) {
            mutate::input(&mut rng, &seeds, &mut input);
            let r = std::panic::catch_unwind(|| run(&input));
            assert!(r.is_ok(), "{name} failed on input {i}: {input:02x?}");
        }
    }
}

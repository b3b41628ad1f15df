//! cargo-fuzz target `predict_v6` (see `tools/fuzz/targets.rs`).
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::predict_v6(data));

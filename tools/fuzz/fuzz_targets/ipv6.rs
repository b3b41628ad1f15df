//! cargo-fuzz target `ipv6` (see `tools/fuzz/targets.rs`).
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::ipv6(data));

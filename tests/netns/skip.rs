//! The one rule for a test that cannot run on this host: under `CI=true`
//! (CI sets it) it fails with its reason, since there a skipped test would
//! pass without testing anything; elsewhere it says why on the terminal
//! (written past `cargo test`'s capture of the test's output, which would
//! hide it) and passes.
//!
//! Used by every test that may return early: the real-interface tests
//! (`netns::skip`) and the TRex profile tests.

use std::io::Write;

/// Whether this run is CI's (`CI` set to anything but "", "0" or
/// "false").
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// For `test`, which cannot run because of `reason` (`None`: it can):
/// true when it should return early. Under CI it panics instead.
pub fn skip(test: &str, reason: Option<&str>) -> bool {
    let Some(reason) = reason else {
        return false;
    };
    assert!(
        !in_ci(),
        "{test} cannot run here, and CI=true does not let a test pass without running: {reason}"
    );
    // Straight to the process's stderr: `eprintln!` in a test is captured
    // and shown only when the test fails.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
    true
}

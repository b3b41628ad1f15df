//! Ctrl-C and SIGTERM for a run: one flag the engine polls. The first
//! signal ends the run phase, a second one ends the drain (the engine's
//! rule); a host where the handler cannot be installed is warned, and the
//! run then ends at its `--duration`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The flag that Ctrl-C and SIGTERM set.
pub fn on_ctrl_c() -> Arc<AtomicBool> {
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = interrupt.clone();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
        eprintln!(
            "warning: cannot catch Ctrl-C ({e}): it would end the process without a summary; \
             end the run with --duration"
        );
    }
    interrupt
}

//! The engine's clock: microseconds since the run started, from the
//! monotonic clock (`Instant`), as the `tcp` layer expects time to be
//! passed in. Reading it is a vDSO call, not a syscall. Also what the TCP
//! context needs from the host once per run: the real clocks at the start
//! (`real_clock`) and the boot's identity (`boot_id`).

use crate::tcp::RealClock;
use std::time::Instant;

/// Microseconds since `start`, never 0 (0 means "no deadline" to the
/// timers).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
        }
    }

    /// Microseconds since the start, at least 1.
    #[inline]
    pub fn now_us(&self) -> u64 {
        (self.start.elapsed().as_micros() as u64).max(1)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// The real clocks now (µs): since boot (`CLOCK_BOOTTIME`) and since the
/// Unix epoch (`CLOCK_REALTIME`). Read once per run, before the engine's
/// clock starts, so the TCP clocks built on it lag the real ones by the
/// set-up time and never lead them.
pub fn real_clock() -> RealClock {
    RealClock {
        boot_us: clock_us(libc::CLOCK_BOOTTIME),
        wall_us: clock_us(libc::CLOCK_REALTIME),
    }
}

fn clock_us(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Safety: `ts` is a valid, writable timespec for the call's duration;
    // clock_gettime writes only into it.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000)
        .saturating_add(ts.tv_nsec as u64 / 1000)
}

/// This boot's identity, the 16 bytes of Linux's
/// `/proc/sys/kernel/random/boot_id` (`None` where it cannot be read).
pub fn boot_id() -> Option<[u8; 16]> {
    let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    parse_uuid(text.trim())
}

/// The 16 bytes of a UUID written as 32 hex digits with dashes.
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(hex.chunks(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse() {
        let id = parse_uuid("0c6e1ffa-98e2-4d7a-9b7e-3c2f7d6e5a41").expect("a UUID");
        assert_eq!(id[0], 0x0c);
        assert_eq!(id[15], 0x41);
        assert_eq!(parse_uuid("not-a-uuid"), None);
        assert_eq!(parse_uuid("0c6e1ffa-98e2-4d7a-9b7e-3c2f7d6e5a4g"), None);
    }

    #[test]
    fn the_real_clocks_are_read() {
        let a = real_clock();
        let b = real_clock();
        assert!(a.boot_us > 0 && a.wall_us > a.boot_us);
        assert!(b.boot_us >= a.boot_us);
        assert!(boot_id().is_some(), "Linux has a boot id");
    }
}

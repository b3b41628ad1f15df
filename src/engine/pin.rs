//! Pinning worker threads to cores with `core_affinity`, with an error
//! that names the cores that exist when a requested one does not.

use std::fmt;

/// A core that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoreError {
    /// The cores this process may run on cannot be read.
    Unreadable,
    /// Fewer cores given than workers to pin.
    TooFew {
        /// Cores given.
        given: usize,
        /// Workers, one core each.
        needed: usize,
    },
    /// `core` does not exist or is not allowed; these are.
    Missing {
        /// The core asked for.
        core: usize,
        /// The cores this process may run on.
        available: Vec<usize>,
    },
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::Unreadable => f.write_str(
                "cannot read the cores this process may run on (sched_getaffinity failed)",
            ),
            CoreError::TooFew { given, needed } => {
                write!(f, "{given} core(s) given for {needed} worker(s), one each")
            }
            CoreError::Missing { core, available } => write!(
                f,
                "core {core} does not exist or is not allowed for this process; available cores: {available:?}"
            ),
        }
    }
}

impl std::error::Error for CoreError {}

/// The cores this process may run on, by id.
pub fn available_cores() -> Vec<usize> {
    core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// `n` cores taken from the available ones in turn (the default when no
/// `--cores` is given).
pub fn cycle_available(n: usize) -> Vec<usize> {
    let have = available_cores();
    (0..n)
        .map(|i| have.get(i % have.len().max(1)).copied().unwrap_or(0))
        .collect()
}

/// Checks that every core of `wanted` exists.
pub fn check_cores(wanted: &[usize]) -> Result<(), CoreError> {
    let have = available_cores();
    if have.is_empty() {
        return Err(CoreError::Unreadable);
    }
    match wanted.iter().find(|c| !have.contains(c)) {
        Some(&core) => Err(CoreError::Missing {
            core,
            available: have,
        }),
        None => Ok(()),
    }
}

/// A core for each of `n` workers: `wanted`'s first `n` (each checked),
/// or without `wanted` the available cores in turn.
pub fn cores_for(n: usize, wanted: &[usize]) -> Result<Vec<usize>, CoreError> {
    if wanted.is_empty() {
        return Ok(cycle_available(n));
    }
    if wanted.len() < n {
        return Err(CoreError::TooFew {
            given: wanted.len(),
            needed: n,
        });
    }
    check_cores(wanted)?;
    Ok(wanted.to_vec())
}

/// Pins the calling thread to `core`; false if the OS refused.
pub fn pin_current(core: usize) -> bool {
    core_affinity::set_for_current(core_affinity::CoreId { id: core })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_core_is_named_with_the_available_ones() {
        let have = available_cores();
        assert!(!have.is_empty());
        assert!(check_cores(&have).is_ok());
        let e = check_cores(&[100_000]).unwrap_err().to_string();
        assert!(e.contains("core 100000 does not exist"), "{e}");
        assert!(e.contains(&format!("{have:?}")), "{e}");
    }
}

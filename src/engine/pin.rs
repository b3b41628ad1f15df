//! Pinning worker threads to cores with `core_affinity`, with an error
//! that names the cores that exist when a requested one does not.

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
pub fn check_cores(wanted: &[usize]) -> Result<(), String> {
    let have = available_cores();
    if have.is_empty() {
        return Err(
            "cannot read the cores this process may run on (sched_getaffinity failed)".into(),
        );
    }
    for c in wanted {
        if !have.contains(c) {
            return Err(format!(
                "core {c} does not exist or is not allowed for this process; available cores: {have:?} \
                 (pick from them with --cores, or lower --workers)"
            ));
        }
    }
    Ok(())
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
        let e = check_cores(&[100_000]).unwrap_err();
        assert!(e.contains("core 100000 does not exist"), "{e}");
        assert!(e.contains(&format!("{have:?}")), "{e}");
    }
}

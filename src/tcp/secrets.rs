//! The secret keys of a worker's TCP context: the SYN cookie key, and the
//! key of the keyed function behind ISNs and timestamp offsets
//! (`tcp::isn`).
//!
//! Rules: the cookie key is drawn at random (or from a seed, for tests);
//! the ISN key is drawn at random, from a seed, or derived from the
//! host's boot identity, so that ISNs and timestamp offsets stay the same
//! function of the four-tuple across runs on one boot (RFC 6528 §3, RFC
//! 7323 §5.4: a later run's values then lie beyond an earlier run's, as a
//! peer's TIME-WAIT and PAWS expect). Reading the boot identity is the
//! caller's I/O.

use super::prf::Prf;

/// Secret keys for cookies and ISNs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secrets {
    /// SYN cookie key (AES-128).
    pub cookie: [u8; 16],
    /// Key of ISNs and timestamp offsets (AES-128).
    pub isn: [u8; 16],
}

/// The key that turns a boot identity into an ISN key (a fixed,
/// public domain separator: the boot identity is the secret).
const HOST_KEY_TAG: [u8; 16] = *b"synwave-isn-boot";

impl Secrets {
    /// Fresh random secrets from the operating system.
    pub fn random() -> Result<Secrets, getrandom::Error> {
        let mut cookie = [0u8; 16];
        let mut isn = [0u8; 16];
        getrandom::fill(&mut cookie)?;
        getrandom::fill(&mut isn)?;
        Ok(Secrets { cookie, isn })
    }

    /// A random cookie key, and the ISN key of the boot whose identity is
    /// `boot_id` (Linux's `/proc/sys/kernel/random/boot_id`): every run on
    /// this boot derives the same ISNs and timestamp offsets for a
    /// four-tuple.
    pub fn for_boot(boot_id: [u8; 16]) -> Result<Secrets, getrandom::Error> {
        let mut cookie = [0u8; 16];
        getrandom::fill(&mut cookie)?;
        Ok(Secrets {
            cookie,
            isn: boot_key(boot_id),
        })
    }

    /// Deterministic secrets for tests and reproducible simulations.
    pub fn from_seed(seed: u64) -> Secrets {
        let mut cookie = [0u8; 16];
        let mut isn = [0u8; 16];
        let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in cookie.iter_mut().chain(isn.iter_mut()) {
            // splitmix64 step
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *b = (z ^ (z >> 31)) as u8;
        }
        Secrets { cookie, isn }
    }
}

/// The ISN key of a boot: AES under a fixed tag of the boot identity.
fn boot_key(boot_id: [u8; 16]) -> [u8; 16] {
    let lo = u64::from_le_bytes(boot_id[..8].try_into().unwrap_or_default());
    let hi = u64::from_le_bytes(boot_id[8..].try_into().unwrap_or_default());
    let (a, b) = Prf::new(HOST_KEY_TAG).eval(lo, hi);
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&a.to_le_bytes());
    key[8..].copy_from_slice(&b.to_le_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boot_keeps_its_isn_key_and_draws_cookie_keys() {
        let id = [0x5a; 16];
        let a = Secrets::for_boot(id).expect("random source");
        let b = Secrets::for_boot(id).expect("random source");
        assert_eq!(a.isn, b.isn, "one boot, one ISN key");
        assert_ne!(a.cookie, b.cookie, "cookie keys are drawn");
        assert_ne!(a.isn, id, "the boot identity itself is not the key");
        let c = Secrets::for_boot([0x5b; 16]).expect("random source");
        assert_ne!(a.isn, c.isn, "another boot, another key");
    }

    #[test]
    fn seeds_are_deterministic() {
        assert_eq!(Secrets::from_seed(3), Secrets::from_seed(3));
        assert_ne!(Secrets::from_seed(3), Secrets::from_seed(4));
    }
}

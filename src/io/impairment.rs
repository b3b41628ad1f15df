//! Link impairments: the probabilities with which a link loses, duplicates
//! and reorders frames, and the seeded decision for each frame.
//!
//! Rules: deterministic from the seed (the same seed and the same frame
//! sequence give the same decisions); no allocation.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Impairments of a link, as probabilities in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Impairment {
    /// Probability that a frame is lost.
    pub loss: f64,
    /// Probability that a delivered frame is delivered twice.
    pub duplicate: f64,
    /// Probability that a frame is held back (delivered after later ones).
    pub reorder: f64,
}

impl Impairment {
    /// No impairment.
    pub const NONE: Impairment = Impairment {
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
    };

    /// `loss` with duplication and reordering each at half its rate.
    pub fn lossy(loss: f64) -> Impairment {
        Impairment {
            loss,
            duplicate: loss / 2.0,
            reorder: loss / 2.0,
        }
    }

    /// No frame is ever touched.
    pub fn is_none(&self) -> bool {
        self.loss <= 0.0 && self.duplicate <= 0.0 && self.reorder <= 0.0
    }

    /// Checks that every probability is in [0, 1].
    pub fn validate(&self) -> Result<(), ImpairmentError> {
        for (name, value) in [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ImpairmentError { name, value });
            }
        }
        Ok(())
    }
}

/// A probability of an [`Impairment`] outside [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImpairmentError {
    /// Which: "loss", "duplicate" or "reorder".
    pub name: &'static str,
    /// The value given.
    pub value: f64,
}

impl std::fmt::Display for ImpairmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} probability {} is outside [0, 1]",
            self.name, self.value
        )
    }
}

impl std::error::Error for ImpairmentError {}

/// What happens to one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Lost.
    Drop,
    /// Delivered in order.
    Deliver,
    /// Delivered twice.
    Duplicate,
    /// Held back and delivered after later frames.
    Hold,
}

/// The seeded decisions of one link direction.
#[derive(Clone, Debug)]
pub struct Impairer {
    imp: Impairment,
    rng: Xoshiro256PlusPlus,
}

impl Impairer {
    /// Decisions for `imp` from `seed`.
    pub fn new(imp: Impairment, seed: u64) -> Impairer {
        Impairer {
            imp,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// The fate of the next frame.
    #[inline]
    pub fn fate(&mut self) -> Fate {
        let imp = self.imp;
        if imp.loss > 0.0 && self.rng.random_bool(imp.loss) {
            return Fate::Drop;
        }
        if imp.reorder > 0.0 && self.rng.random_bool(imp.reorder) {
            return Fate::Hold;
        }
        if imp.duplicate > 0.0 && self.rng.random_bool(imp.duplicate) {
            return Fate::Duplicate;
        }
        Fate::Deliver
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_proportional() {
        let fates = |seed| {
            let mut i = Impairer::new(Impairment::lossy(0.2), seed);
            (0..10_000).map(|_| i.fate()).collect::<Vec<_>>()
        };
        let a = fates(1);
        assert_eq!(a, fates(1));
        assert_ne!(a, fates(2));
        let lost = a.iter().filter(|&&f| f == Fate::Drop).count();
        assert!((1_800..2_200).contains(&lost), "lost {lost}");
        assert!(a.contains(&Fate::Hold) && a.contains(&Fate::Duplicate));
    }

    #[test]
    fn none_always_delivers_and_bad_values_are_named() {
        let mut i = Impairer::new(Impairment::NONE, 3);
        assert!((0..1000).all(|_| i.fate() == Fate::Deliver));
        assert!(Impairment::NONE.is_none());
        let bad = Impairment {
            loss: 1.5,
            ..Impairment::NONE
        };
        let e = bad.validate().unwrap_err();
        assert_eq!((e.name, e.value), ("loss", 1.5));
        assert!(e.to_string().contains("loss probability 1.5"));
    }
}

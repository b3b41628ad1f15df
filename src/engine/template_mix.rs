//! A generator worker's profile templates (`crate::profile`): which
//! template the next connection follows, and for SYN-only ones the
//! spoofed source it comes from.
//!
//! Rules: no allocation after construction; the choice is the profile's
//! smooth weighted round-robin, so a worker's counts follow the weights
//! to within one connection per template. Spoofed sources cycle through
//! the template's addresses, then its ports (1024–65535); worker `w` of
//! `n` takes every n-th source from the w-th on, so that no two workers
//! send the same spoofed SYN.

use crate::app::{Template, TemplateKind};

/// What the next connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A full connection following template `t`.
    Connect(u8),
    /// A SYN of template `t` from `ip`:`port`, nothing kept.
    SynOnly(u8, [u8; 4], u16),
}

/// Chooses templates by smooth weighted round-robin (nginx's): each pick
/// adds every weight to its template's credit and takes the largest,
/// which then pays the total. Over n picks, template i is picked
/// n·wᵢ/Σw times to within one.
#[derive(Clone, Debug)]
pub struct TemplatePicker {
    weights: Vec<i64>,
    credit: Vec<i64>,
    total: i64,
}

impl TemplatePicker {
    /// A picker over `weights` (at least one, each ≥ 1).
    pub fn new(weights: &[u32]) -> TemplatePicker {
        let weights: Vec<i64> = weights.iter().map(|&w| i64::from(w.max(1))).collect();
        TemplatePicker {
            total: weights.iter().sum::<i64>().max(1),
            credit: vec![0; weights.len()],
            weights,
        }
    }

    /// The next template's index.
    #[inline]
    pub fn pick(&mut self) -> usize {
        let mut best = 0;
        for i in 0..self.weights.len() {
            self.credit[i] += self.weights[i];
            if self.credit[i] > self.credit[best] {
                best = i;
            }
        }
        if let Some(c) = self.credit.get_mut(best) {
            *c -= self.total;
        }
        best
    }
}

/// The templates of one generator worker.
#[derive(Clone, Debug)]
pub struct TemplateMix {
    picker: TemplatePicker,
    kinds: Vec<TemplateKind>,
    /// Per template: (first spoofed address, count, next offset, next port).
    spoof: Vec<([u8; 4], u32, u32, u16)>,
    /// Sources to step over between two picks (the workers' count).
    stride: u32,
}

impl TemplateMix {
    /// The mix of `templates` (at least one) for worker `worker` of
    /// `workers`.
    pub fn new(templates: &[Template], worker: u32, workers: u32) -> TemplateMix {
        let weights: Vec<u32> = templates.iter().map(|t| t.weight).collect();
        TemplateMix {
            picker: TemplatePicker::new(&weights),
            kinds: templates.iter().map(|t| t.kind).collect(),
            spoof: templates
                .iter()
                .map(|t| {
                    let (ip, n) = t.spoof.unwrap_or(([0; 4], 1));
                    let n = n.max(1);
                    // Worker w starts w sources in: on an address, or on
                    // a later port when the range is shorter.
                    let (off, port) = (worker % n, 1024 + (worker / n) as u16);
                    (ip, n, off, port)
                })
                .collect(),
            stride: workers.max(1),
        }
    }

    /// The next connection's template (and source, for a SYN only).
    #[inline]
    pub fn pick(&mut self) -> Next {
        let i = self.picker.pick();
        let t = i as u8;
        match self.kinds.get(i) {
            Some(TemplateKind::SynOnly) => {
                let (first, count, off, port) = &mut self.spoof[i];
                let ip = (u32::from_be_bytes(*first).wrapping_add(*off)).to_be_bytes();
                let source_port = *port;
                for _ in 0..self.stride {
                    *off += 1;
                    if *off == *count {
                        *off = 0;
                        *port = if *port == u16::MAX { 1024 } else { *port + 1 };
                    }
                }
                Next::SynOnly(t, ip, source_port)
            }
            _ => Next::Connect(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::CloseKind;

    fn template(name: &str, weight: u32, spoof: Option<([u8; 4], u32)>) -> Template {
        Template {
            name: name.into(),
            weight,
            kind: if spoof.is_some() {
                TemplateKind::SynOnly
            } else {
                TemplateKind::Connect
            },
            close: CloseKind::ClientFin,
            request_bytes: 0,
            response_bytes: 0,
            spoof,
            hold_us: 0,
            requests: 1,
            think_us: 0,
            http_path: None,
        }
    }

    #[test]
    fn syn_only_sources_cycle_addresses_then_ports() {
        let mut m = TemplateMix::new(
            &[
                template("c", 1, None),
                template("s", 1, Some(([10, 9, 0, 1], 2))),
            ],
            0,
            1,
        );
        let picks: Vec<Next> = (0..6).map(|_| m.pick()).collect();
        assert_eq!(
            picks,
            [
                Next::Connect(0),
                Next::SynOnly(1, [10, 9, 0, 1], 1024),
                Next::Connect(0),
                Next::SynOnly(1, [10, 9, 0, 2], 1024),
                Next::Connect(0),
                Next::SynOnly(1, [10, 9, 0, 1], 1025),
            ]
        );
    }

    #[test]
    fn workers_take_disjoint_spoofed_sources() {
        let t = [
            template("c", 1, None),
            template("s", 1, Some(([10, 9, 0, 1], 3))),
        ];
        let mut seen = std::collections::HashSet::new();
        for w in 0..4 {
            let mut m = TemplateMix::new(&t, w, 4);
            for _ in 0..200 {
                if let Next::SynOnly(_, ip, port) = m.pick() {
                    assert!(seen.insert((ip, port)), "worker {w} repeats {ip:?}:{port}");
                }
            }
        }
        assert_eq!(seen.len(), 400);
    }

    #[test]
    fn smooth_round_robin_keeps_each_share_to_within_one() {
        let weights = [5, 3, 2];
        let mut p = TemplatePicker::new(&weights);
        let mut n = [0u64; 3];
        for k in 1..=10_000u64 {
            n[p.pick()] += 1;
            for (i, &w) in weights.iter().enumerate() {
                let want = k as f64 * f64::from(w) / 10.0;
                assert!((n[i] as f64 - want).abs() <= 1.0, "after {k}: {n:?}");
            }
        }
        // And it interleaves rather than bursting: never the same light
        // template twice in a row.
        let mut p = TemplatePicker::new(&[1, 8]);
        let picks: Vec<usize> = (0..18).map(|_| p.pick()).collect();
        assert!(!picks.windows(2).any(|w| w == [0, 0]), "{picks:?}");
    }
}

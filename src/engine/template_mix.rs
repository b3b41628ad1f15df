//! A generator worker's profile templates (`crate::profile`): which
//! template the next connection follows, and for SYN-only ones the
//! spoofed source it comes from.
//!
//! Rules: no allocation after construction; the choice is the profile's
//! smooth weighted round-robin, so a worker's counts follow the weights
//! to within one connection per template. Spoofed sources cycle through
//! the template's addresses, then its ports (1024–65535).

use crate::profile::{Template, TemplateKind, TemplatePicker};

/// What the next connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A full connection following template `t`.
    Connect(u8),
    /// A SYN of template `t` from `ip`:`port`, nothing kept.
    SynOnly(u8, [u8; 4], u16),
}

/// The templates of one generator worker.
#[derive(Clone, Debug)]
pub struct TemplateMix {
    picker: TemplatePicker,
    kinds: Vec<TemplateKind>,
    /// Per template: (first spoofed address, count, next offset, next port).
    spoof: Vec<([u8; 4], u32, u32, u16)>,
}

impl TemplateMix {
    /// The mix of `templates` (at least one).
    pub fn new(templates: &[Template]) -> TemplateMix {
        let weights: Vec<u32> = templates.iter().map(|t| t.weight).collect();
        TemplateMix {
            picker: TemplatePicker::new(&weights),
            kinds: templates.iter().map(|t| t.kind).collect(),
            spoof: templates
                .iter()
                .map(|t| {
                    let (ip, n) = t.spoof.unwrap_or(([0; 4], 1));
                    (ip, n.max(1), 0, 1024)
                })
                .collect(),
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
                *off += 1;
                if *off == *count {
                    *off = 0;
                    *port = if *port == u16::MAX { 1024 } else { *port + 1 };
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
    use crate::scenario::CloseKind;

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
        }
    }

    #[test]
    fn syn_only_sources_cycle_addresses_then_ports() {
        let mut m = TemplateMix::new(&[
            template("c", 1, None),
            template("s", 1, Some(([10, 9, 0, 1], 2))),
        ]);
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
}

//! ICMPv6 Neighbor Discovery (RFC 4861): Neighbor Solicitation (§4.3)
//! and Neighbor Advertisement (§4.4), with the source and target
//! link-layer address options (§4.6.1); IPv6's ARP.
//!
//! Rules: `NdpRepr::parse` applies §7.1.1 and §7.1.2's validity checks
//! (hop limit 255, code 0, length at least 24, the ICMPv6 checksum over
//! the pseudo-header, a target that is not multicast, every option's
//! length non-zero and inside the message, an unspecified source only
//! towards a solicited-node address and without a source link-layer
//! option, no solicited flag towards a multicast destination); a message
//! that fails any is refused whole. Other ICMPv6 types are not parsed
//! (`Ok(None)`). Unknown options are skipped, as §4.6 asks.

use super::MacAddr;
use super::checksum;
use super::error::{Result, WireError};
use super::ipv6::NEXT_ICMPV6;

/// ICMPv6 type of a Neighbor Solicitation.
pub const NEIGHBOR_SOLICITATION: u8 = 135;
/// ICMPv6 type of a Neighbor Advertisement.
pub const NEIGHBOR_ADVERTISEMENT: u8 = 136;
/// The hop limit every Neighbor Discovery message carries (§7.1).
pub const HOP_LIMIT: u8 = 255;
/// Option: source link-layer address.
const OPT_SOURCE_LL: u8 = 1;
/// Option: target link-layer address.
const OPT_TARGET_LL: u8 = 2;
/// ICMPv6 header, reserved or flags, and target address.
const BODY_LEN: usize = 24;

/// A Neighbor Discovery message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NdpRepr {
    /// Who has `target`? Answer to `source_mac`.
    Solicit {
        /// The address asked about.
        target: [u8; 16],
        /// The asker's MAC (absent from duplicate address detection).
        source_mac: Option<MacAddr>,
    },
    /// `target` is at `target_mac`.
    Advert {
        /// The address advertised.
        target: [u8; 16],
        /// The sender is a router.
        router: bool,
        /// In answer to a solicitation.
        solicited: bool,
        /// Replace a cached address.
        override_cache: bool,
        /// The target's MAC.
        target_mac: Option<MacAddr>,
    },
}

/// The IPv6 fields a Neighbor Discovery message is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NdpHeader {
    /// IPv6 source.
    pub src: [u8; 16],
    /// IPv6 destination.
    pub dst: [u8; 16],
    /// IPv6 hop limit.
    pub hop_limit: u8,
}

fn is_multicast(a: &[u8; 16]) -> bool {
    a[0] == 0xff
}

/// The link-layer address of the option `kind` among `options` (the
/// last one wins), after checking every option's length.
fn ll_option(options: &[u8], kind: u8) -> Result<Option<MacAddr>> {
    let mut found = None;
    let mut at = 0;
    while at < options.len() {
        let (Some(&t), Some(&len)) = (options.get(at), options.get(at + 1)) else {
            return Err(WireError::BadNeighborDiscovery);
        };
        let len = usize::from(len) * 8;
        if len == 0 || at + len > options.len() {
            return Err(WireError::BadNeighborDiscovery);
        }
        if t == kind {
            let mut m = [0; 6];
            m.copy_from_slice(&options[at + 2..at + 8]);
            found = Some(MacAddr(m));
        }
        at += len;
    }
    Ok(found)
}

impl NdpRepr {
    /// Parses the ICMPv6 message `icmp` carried by `ip`: `Ok(None)` for
    /// a type other than NS or NA, an error for one that fails RFC
    /// 4861's checks.
    pub fn parse(ip: &NdpHeader, icmp: &[u8]) -> Result<Option<NdpRepr>> {
        let Some(&kind) = icmp.first() else {
            return Err(WireError::Truncated);
        };
        if kind != NEIGHBOR_SOLICITATION && kind != NEIGHBOR_ADVERTISEMENT {
            return Ok(None);
        }
        let bad = Err(WireError::BadNeighborDiscovery);
        if ip.hop_limit != HOP_LIMIT || icmp.len() < BODY_LEN || icmp[1] != 0 {
            return bad;
        }
        let sum = checksum::pseudo_header_v6(ip.src, ip.dst, NEXT_ICMPV6, icmp.len() as u32);
        if checksum::fold(checksum::sum(sum, icmp)) != 0xffff {
            return bad;
        }
        let mut target = [0; 16];
        target.copy_from_slice(&icmp[8..24]);
        if is_multicast(&target) {
            return bad;
        }
        let options = &icmp[BODY_LEN..];
        if kind == NEIGHBOR_SOLICITATION {
            let source_mac = ll_option(options, OPT_SOURCE_LL)?;
            let unspecified = ip.src == [0; 16];
            if unspecified
                && (source_mac.is_some()
                    || ip.dst[..13] != super::ipv6::solicited_node(target)[..13])
            {
                return bad;
            }
            return Ok(Some(NdpRepr::Solicit { target, source_mac }));
        }
        let flags = icmp[4];
        let solicited = flags & 0x40 != 0;
        if solicited && is_multicast(&ip.dst) {
            return bad;
        }
        Ok(Some(NdpRepr::Advert {
            target,
            router: flags & 0x80 != 0,
            solicited,
            override_cache: flags & 0x20 != 0,
            target_mac: ll_option(options, OPT_TARGET_LL)?,
        }))
    }

    /// Bytes `emit` writes.
    pub fn len(&self) -> usize {
        let mac = match self {
            NdpRepr::Solicit { source_mac, .. } => source_mac.is_some(),
            NdpRepr::Advert { target_mac, .. } => target_mac.is_some(),
        };
        BODY_LEN + if mac { 8 } else { 0 }
    }

    /// Never empty (an ICMPv6 header at least).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the ICMPv6 message, with its checksum for `ip`'s addresses,
    /// into `buf`; returns its length.
    pub fn emit(&self, ip: &NdpHeader, buf: &mut [u8]) -> Result<usize> {
        let len = self.len();
        if buf.len() < len {
            return Err(WireError::Truncated);
        }
        let b = &mut buf[..len];
        b.fill(0);
        let (kind, target, option) = match *self {
            NdpRepr::Solicit { target, source_mac } => (
                NEIGHBOR_SOLICITATION,
                target,
                source_mac.map(|m| (OPT_SOURCE_LL, m)),
            ),
            NdpRepr::Advert {
                target,
                router,
                solicited,
                override_cache,
                target_mac,
            } => {
                b[4] = u8::from(router) << 7
                    | u8::from(solicited) << 6
                    | u8::from(override_cache) << 5;
                (
                    NEIGHBOR_ADVERTISEMENT,
                    target,
                    target_mac.map(|m| (OPT_TARGET_LL, m)),
                )
            }
        };
        b[0] = kind;
        b[8..24].copy_from_slice(&target);
        if let Some((t, mac)) = option {
            b[24] = t;
            b[25] = 1;
            b[26..32].copy_from_slice(&mac.0);
        }
        let sum = checksum::pseudo_header_v6(ip.src, ip.dst, NEXT_ICMPV6, len as u32);
        let c = checksum::finish(checksum::sum(sum, b));
        b[2..4].copy_from_slice(&c.to_be_bytes());
        Ok(len)
    }
}

#[cfg(test)]
mod tests;

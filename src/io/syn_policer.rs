//! A device that admits at most so many new connections a second: every
//! SYN (without ACK) above the rate is dropped, as a firewall's
//! `limit rate` on new connections drops them (nftables: `ct state new
//! limit rate over L/second drop`). The in-memory link applies it to what
//! the generator side sends, so `synwave search` has a device with a
//! known limit without a kernel.
//!
//! Rules: a token bucket on the wall clock, `rate` tokens a second, at
//! most `burst` saved up; a SYN takes one or is dropped; every other
//! frame passes untouched. Not on the per-frame path unless configured.

use crate::wire::ethernet::ETHERTYPE_IPV4;
use crate::wire::ipv4::PROTO_TCP;
use crate::wire::{EthernetFrame, Ipv4Packet, TcpPacket};
use std::time::Instant;

/// The token bucket of one sending queue.
#[derive(Clone, Debug)]
pub struct SynPolicer {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<Instant>,
    dropped: u64,
}

impl SynPolicer {
    /// Admits `rate` SYNs a second, `burst` at most at once (full at the
    /// start).
    pub fn new(rate: f64, burst: f64) -> SynPolicer {
        let burst = burst.max(1.0);
        SynPolicer {
            rate,
            burst,
            tokens: burst,
            last: None,
            dropped: 0,
        }
    }

    /// Whether `frame` is a SYN over the rate (to be dropped) now.
    pub fn drops(&mut self, frame: &[u8]) -> bool {
        if !is_syn(frame) {
            return false;
        }
        self.drops_at(Instant::now())
    }

    /// Whether a SYN at `now` is over the rate.
    fn drops_at(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            false
        } else {
            self.dropped += 1;
            true
        }
    }

    /// SYNs dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// An untagged IPv4 TCP frame with SYN set and ACK clear.
fn is_syn(frame: &[u8]) -> bool {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return false;
    };
    if eth.vlan().is_some() || eth.ethertype() != ETHERTYPE_IPV4 {
        return false;
    }
    let Ok(ip) = Ipv4Packet::new_checked(eth.payload()) else {
        return false;
    };
    if ip.protocol() != PROTO_TCP {
        return false;
    }
    TcpPacket::new_checked(ip.payload()).is_ok_and(|t| t.flags().syn() && !t.flags().ack())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_bucket_admits_the_rate_and_its_burst() {
        let mut p = SynPolicer::new(1_000.0, 10.0);
        let t0 = Instant::now();
        // The burst, then nothing until a token has accrued.
        let admitted = (0..20).filter(|_| !p.drops_at(t0)).count();
        assert_eq!(admitted, 10);
        // One second at 1,000/s, offered 2,000/s: 1,000 admitted.
        let admitted = (1..=2_000)
            .filter(|i| !p.drops_at(t0 + Duration::from_micros(500 * i)))
            .count();
        assert_eq!(admitted, 1_000);
        assert_eq!(p.dropped(), 10 + 1_000);
    }

    /// An Ethernet + IPv4 + TCP frame with TCP flags `flags`.
    fn frame(flags: u8) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 20];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[16..18].copy_from_slice(&40u16.to_be_bytes());
        f[22] = 64;
        f[23] = 6;
        f[34 + 12] = 5 << 4;
        f[34 + 13] = flags;
        f
    }

    #[test]
    fn only_a_syn_is_policed() {
        assert!(is_syn(&frame(0x02)));
        // SYN-ACK, ACK, FIN and RST pass.
        for flags in [0x12, 0x10, 0x11, 0x04] {
            assert!(!is_syn(&frame(flags)), "{flags:#x}");
        }
        let mut udp = frame(0x02);
        udp[23] = 17;
        assert!(!is_syn(&udp));
        assert!(!is_syn(&[0u8; 10]));
        // A policer with no token left drops SYNs only.
        let mut p = SynPolicer::new(1.0, 1.0);
        assert!(!p.drops(&frame(0x02)));
        assert!(p.drops(&frame(0x02)));
        assert!(!p.drops(&frame(0x10)));
    }
}

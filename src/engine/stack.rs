//! A worker's endpoints, one per address family: IPv4 always (owning no
//! address in an IPv6-only run, where it still counts what is not IPv6),
//! IPv6 where the run has IPv6 addresses. A received frame goes to the
//! endpoint of its EtherType (after one 802.1Q tag: `carries_ipv6`);
//! opening, timers, aborts and counting run over both.
//!
//! Rules: an IPv4-only run pays one predictable branch per frame (no IPv6
//! endpoint); the reports see both families summed (`summary`,
//! `counters`, `latency`), and each family's own counters stay readable
//! (`family_counters`).

use super::opener::{Opener, Openers};
use crate::endpoint::{Counters, Endpoint, Latency, LatencyBuckets, Reserve};
use crate::metrics::FamilyResults;
use crate::scenario::Side;
use crate::tcp::{Events, Secrets};
use crate::wire::ethernet::carries_ipv6;
use crate::wire::{Family, V4, V6};

/// The endpoints of one worker.
pub struct Stack {
    /// The IPv4 endpoint (ARP, IPv4, and whatever no endpoint takes).
    pub v4: Endpoint<V4>,
    /// The IPv6 endpoint (IPv6 TCP and neighbor discovery).
    pub v6: Option<Box<Endpoint<V6>>>,
    /// Both families' counters summed, as of the last `summary`.
    merged: Counters,
    /// Both families' latency buckets summed, as of the last `summary`.
    merged_latency: LatencyBuckets,
}

impl From<Endpoint<V4>> for Stack {
    fn from(v4: Endpoint<V4>) -> Stack {
        Stack::new(v4, None)
    }
}

impl Stack {
    /// The endpoints of a worker: IPv4, and IPv6 where given.
    pub fn new(v4: Endpoint<V4>, v6: Option<Endpoint<V6>>) -> Stack {
        Stack {
            v4,
            v6: v6.map(Box::new),
            merged: Counters::default(),
            merged_latency: LatencyBuckets::default(),
        }
    }

    /// `Endpoint::on_frame` of the frame's family.
    #[inline(always)]
    pub fn on_frame(&mut self, buf: &mut [u8], len: usize, now: u64) -> Option<usize> {
        if let Some(v6) = &mut self.v6
            && carries_ipv6(buf.get(..len).unwrap_or(buf))
        {
            return v6.on_frame(buf, len, now);
        }
        self.v4.on_frame(buf, len, now)
    }

    /// `Endpoint::prefetch_state` of the frame's family.
    #[inline(always)]
    pub fn prefetch_state(&self, frame: &[u8]) {
        match &self.v6 {
            Some(v6) if carries_ipv6(frame) => v6.prefetch_state(frame),
            _ => self.v4.prefetch_state(frame),
        }
    }

    /// `Endpoint::expire` of both.
    #[inline]
    pub fn expire<T: FnMut(&[u8])>(&mut self, now: u64, tx: &mut T) {
        self.v4.expire(now, tx);
        if let Some(v6) = &mut self.v6 {
            v6.expire(now, tx);
        }
    }

    /// `Endpoint::flush` of both.
    #[inline]
    pub fn flush<T: FnMut(&[u8]) -> bool>(&mut self, now: u64, tx: &mut T) {
        self.v4.flush(now, tx);
        if let Some(v6) = &mut self.v6 {
            v6.flush(now, tx);
        }
    }

    /// Live records, both families.
    pub fn connections(&self) -> usize {
        self.v4.connections() + self.v6.as_ref().map_or(0, |e| e.connections())
    }

    /// TIME-WAIT records, both families.
    pub fn time_wait_records(&self) -> usize {
        self.v4.time_wait_records() + self.v6.as_ref().map_or(0, |e| e.time_wait_records())
    }

    /// Armed timers, both families.
    pub fn armed_timers(&self) -> usize {
        self.v4.armed_timers() + self.v6.as_ref().map_or(0, |e| e.armed_timers())
    }

    /// The counters and latency buckets of both families, summed now.
    pub fn summary(&mut self) -> (&Counters, &LatencyBuckets) {
        match &self.v6 {
            None => (self.v4.counters(), self.v4.latency_buckets()),
            Some(v6) => {
                self.merged.clone_from(self.v4.counters());
                self.merged.add(v6.counters());
                self.merged_latency = *self.v4.latency_buckets();
                self.merged_latency.add(v6.latency_buckets());
                (&self.merged, &self.merged_latency)
            }
        }
    }

    /// The counters of both families, summed.
    pub fn counters(&self) -> Counters {
        let mut c = self.v4.counters().clone();
        if let Some(v6) = &self.v6 {
            c.add(v6.counters());
        }
        c
    }

    /// Each family's counters, where its endpoint ran: ("ipv4", …) and,
    /// with IPv6, ("ipv6", …).
    pub fn family_counters(&self) -> Vec<(&'static str, Counters)> {
        let mut out = vec![("ipv4", self.v4.counters().clone())];
        if let Some(v6) = &self.v6 {
            out.push(("ipv6", v6.counters().clone()));
        }
        out
    }

    /// Each family's established, completed and failed connections
    /// (`metrics::FAMILIES` order), where the IPv6 endpoint runs.
    pub fn family_results(&self) -> Option<FamilyResults> {
        let v6 = self.v6.as_ref()?;
        let results = |c: &Counters| {
            let established = c.event(Events::ESTABLISHED);
            [established, c.completed(), c.ended() - c.completed()]
        };
        Some([results(self.v4.counters()), results(v6.counters())])
    }

    /// The histograms of both families, merged.
    pub fn latency(&self) -> Latency {
        let mut l = self.v4.latency();
        if let Some(v6) = &self.v6 {
            l.merge(&v6.latency());
        }
        l
    }
}

/// A family a worker runs alone (`bench --ipv6` or not): its endpoint
/// and its opener in a worker's `Stack` and `Openers`.
pub trait Stacked: Family {
    /// The endpoints of a worker whose endpoint of this family is
    /// `side`'s (for IPv6, beside an IPv4 endpoint owning no address and
    /// holding no room).
    fn stack(side: &Side<Self>, secrets: Secrets) -> Stack;

    /// The openers of a worker opening connections in this family only.
    fn openers(o: Box<Opener<Self>>) -> Openers;
}

impl Stacked for V4 {
    fn stack(side: &Side<V4>, secrets: Secrets) -> Stack {
        side.build(secrets).into()
    }

    fn openers(o: Box<Opener<V4>>) -> Openers {
        o.into()
    }
}

impl Stacked for V6 {
    fn stack(side: &Side<V6>, secrets: Secrets) -> Stack {
        let mut none = side.endpoint.clone().with_addresses([0; 4], 0);
        none.reserve = Reserve::default();
        let v4 = Side {
            endpoint: none,
            tcp: side.tcp.clone(),
            app: side.app.clone(),
        };
        Stack::new(v4.build(secrets), Some(side.build(secrets)))
    }

    fn openers(o: Box<Opener<V6>>) -> Openers {
        Openers {
            v4: None,
            v6: Some(o),
        }
    }
}

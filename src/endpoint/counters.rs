//! Counters of one endpoint: every TCP event, every way a record ended,
//! and every reason a frame was dropped. Plain `u64`s owned by one worker:
//! counting is an add, never an atomic or a lock.

use crate::tcp::{End, Events};
use crate::wire::WireError;

/// Most templates a generator mixes: each has its counts
/// (`Counters::templates`), and a connection's template is a `u8`.
pub const MAX_TEMPLATES: usize = 16;

/// Reasons a frame is dropped before TCP sees it, in counter order: the
/// causes `wire::parse_frame` gives, then those only an IPv6 endpoint's
/// `wire::parse_frame_v6` gives (extension headers, payload length,
/// neighbor discovery).
pub const WIRE_ERRORS: [WireError; 14] = [
    WireError::Truncated,
    WireError::UnsupportedEtherType,
    WireError::UnsupportedArp,
    WireError::BadIpVersion,
    WireError::BadIpHeaderLen,
    WireError::BadIpTotalLen,
    WireError::Fragment,
    WireError::NotTcp,
    WireError::BadChecksum,
    WireError::BadDataOffset,
    WireError::BadOption,
    WireError::Ipv6Extension,
    WireError::BadIpv6PayloadLen,
    WireError::BadNeighborDiscovery,
];

/// Ways a record ends, in counter order.
pub const ENDS: [End; 8] = [
    End::Closed,
    End::TimeWait,
    End::ResetByPeer,
    End::ResetSent,
    End::RetriesExceeded,
    End::FinWait2Timeout,
    End::IdleTimeout,
    End::ReturnedToListen,
];

/// Whether a record that ended as `end` ended by a clean close: the FIN
/// exchange done (CLOSED after LAST-ACK or a simultaneous close, or
/// TIME-WAIT), or the reset its own application chose (`CloseMode::Rst`).
/// Every other way (reset by the peer, retries exceeded, FIN-WAIT-2 or
/// idle timeout, back to LISTEN) is a failure, listed by cause. The one
/// definition of a completed connection (a teardown) for every report:
/// summaries, JSON, the live line, CSV and Prometheus.
pub fn is_clean(end: End) -> bool {
    matches!(end, End::Closed | End::TimeWait | End::ResetSent)
}

/// Of per-`ENDS` counts, those of clean closes (`is_clean`).
fn clean(ends: &[u64; ENDS.len()]) -> u64 {
    ENDS.iter()
        .zip(ends)
        .filter(|(e, _)| is_clean(**e))
        .map(|(_, n)| n)
        .sum()
}

/// Counters of one endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Frames received.
    pub rx_frames: u64,
    /// Frames sent.
    pub tx_frames: u64,
    /// SYNs answered through header prediction (a subset of the cookie
    /// SYN-ACKs; the rest took the general path).
    pub syn_predicted: u64,
    /// Segments after a SYN (SYN-ACKs, ACKs, data, FINs, RSTs) read
    /// through header prediction (the rest took the general parse).
    pub segments_predicted: u64,
    /// Per `Events` bit.
    pub events: [u64; 32],
    /// Per `ENDS` entry.
    pub ends: [u64; ENDS.len()],
    /// Per `WIRE_ERRORS` entry.
    pub drop_wire: [u64; WIRE_ERRORS.len()],
    /// Frames for an address that is not ours.
    pub drop_not_ours: u64,
    /// Frames whose 802.1Q tag is not our VLAN (or that are untagged
    /// while we have one, or tagged while we have none).
    pub drop_vlan: u64,
    /// Connections refused because the table was full.
    pub drop_table_full: u64,
    /// The most live connection records held at once (a high-water mark,
    /// not a count: summed over workers it bounds the total's peak).
    pub records_peak: u64,
    /// SYN cookie key rotations (`--cookie-rotate`): the key epochs
    /// passed, as of the last frame received.
    pub cookie_rotations: u64,
    /// Closed connections that skipped TIME-WAIT because its table was full.
    pub drop_time_wait_full: u64,
    /// Doublings of the live and TIME-WAIT tables beyond their
    /// reservation (each spread over the inserts that follow).
    pub table_growths: u64,
    /// Growths that stopped the worker: a table that had to finish its
    /// previous doubling at once, or the timer slab reallocated beyond
    /// its reservation. 0 means no table grew by stopping the poll loop.
    pub growth_pauses: u64,
    /// ARP requests answered.
    pub arp_reply: u64,
    /// IPv6 neighbor solicitations answered (RFC 4861 §7.2.4).
    pub ndp_reply: u64,
    /// Times ARP changed the next hop's MAC (`NextHop`: learned only from
    /// the ARP it follows).
    pub next_hop_learned: u64,
    /// Connections opened by `connect`.
    pub opened: u64,
    /// Connection records created by the listener (SYN queue or cookie).
    pub accepted: u64,
    /// TIME-WAIT records that expired.
    pub time_wait_expired: u64,
    /// TIME-WAIT records ended early by a valid RST.
    pub time_wait_reset: u64,
    /// TIME-WAIT records replaced by a new connection (RFC 6191).
    pub time_wait_reopened: u64,
    /// Our own TIME-WAIT records ended early by a connection we opened on
    /// the same tuple (`Endpoint::set_time_wait_reuse`).
    pub time_wait_recycled: u64,
    /// Per template of a profile, on a client: what
    /// was opened (SYN-only SYNs included) and how it ended.
    pub templates: [TemplateCounts; MAX_TEMPLATES],
}

/// One template's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemplateCounts {
    /// Connections opened (or SYNs sent, for a SYN-only template).
    pub opened: u64,
    /// Per `ENDS` entry.
    pub ends: [u64; ENDS.len()],
    /// HTTP responses read with a 2xx status (`Events::HTTP_2XX`).
    pub http_2xx: u64,
    /// HTTP responses read with another status, or not HTTP
    /// (`Events::HTTP_OTHER`).
    pub http_other: u64,
}

impl TemplateCounts {
    /// Adds another worker's counts.
    pub fn add(&mut self, o: &TemplateCounts) {
        self.opened += o.opened;
        self.http_2xx += o.http_2xx;
        self.http_other += o.http_other;
        for (a, b) in self.ends.iter_mut().zip(o.ends) {
            *a += b;
        }
    }

    /// Records that ended as `end`.
    pub fn end(&self, end: End) -> u64 {
        ENDS.iter()
            .position(|&e| e == end)
            .map_or(0, |i| self.ends[i])
    }

    /// Records that ended any way.
    pub fn ended(&self) -> u64 {
        self.ends.iter().sum()
    }

    /// Records that ended by a clean close (`is_clean`).
    pub fn completed(&self) -> u64 {
        clean(&self.ends)
    }
}

/// Adds `b` to `a`, element by element.
fn add_all(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

impl Counters {
    /// Adds another endpoint's counters (the other family's endpoint of
    /// the same worker): every count summed, the peak too (a bound of the
    /// peak of the sum, as across workers).
    pub fn add(&mut self, o: &Counters) {
        // Destructured, so that a new counter cannot be left out.
        let Counters {
            rx_frames,
            tx_frames,
            syn_predicted,
            segments_predicted,
            events,
            ends,
            drop_wire,
            drop_not_ours,
            drop_vlan,
            drop_table_full,
            records_peak,
            cookie_rotations,
            drop_time_wait_full,
            table_growths,
            growth_pauses,
            arp_reply,
            ndp_reply,
            next_hop_learned,
            opened,
            accepted,
            time_wait_expired,
            time_wait_reset,
            time_wait_reopened,
            time_wait_recycled,
            templates,
        } = o;
        for (a, b) in [
            (&mut self.rx_frames, rx_frames),
            (&mut self.tx_frames, tx_frames),
            (&mut self.syn_predicted, syn_predicted),
            (&mut self.segments_predicted, segments_predicted),
            (&mut self.drop_not_ours, drop_not_ours),
            (&mut self.drop_vlan, drop_vlan),
            (&mut self.drop_table_full, drop_table_full),
            (&mut self.records_peak, records_peak),
            (&mut self.drop_time_wait_full, drop_time_wait_full),
            (&mut self.table_growths, table_growths),
            (&mut self.growth_pauses, growth_pauses),
            (&mut self.arp_reply, arp_reply),
            (&mut self.ndp_reply, ndp_reply),
            (&mut self.next_hop_learned, next_hop_learned),
            (&mut self.opened, opened),
            (&mut self.accepted, accepted),
            (&mut self.time_wait_expired, time_wait_expired),
            (&mut self.time_wait_reset, time_wait_reset),
            (&mut self.time_wait_reopened, time_wait_reopened),
            (&mut self.time_wait_recycled, time_wait_recycled),
        ] {
            *a += b;
        }
        // Both families share the secrets: the epochs passed are one count.
        self.cookie_rotations = self.cookie_rotations.max(*cookie_rotations);
        add_all(&mut self.events, events);
        add_all(&mut self.ends, ends);
        add_all(&mut self.drop_wire, drop_wire);
        for (a, b) in self.templates.iter_mut().zip(templates) {
            a.add(b);
        }
    }

    /// Adds each event bit of `ev`.
    #[inline]
    pub fn add_events(&mut self, ev: Events) {
        let mut bits = ev.0;
        while bits != 0 {
            self.events[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
    }

    /// Counts an ended record.
    #[inline]
    pub fn add_end(&mut self, end: End) {
        let i = ENDS.iter().position(|&e| e == end).unwrap_or(0);
        self.ends[i] += 1;
    }

    /// Counts the HTTP status classes of `ev` for template `t`.
    #[inline]
    pub fn add_http_of(&mut self, ev: Events, t: u8) {
        if let Some(c) = self.templates.get_mut(usize::from(t)) {
            c.http_2xx += u64::from(ev.contains(Events::HTTP_2XX));
            c.http_other += u64::from(ev.contains(Events::HTTP_OTHER));
        }
    }

    /// Counts an ended record of template `t`, in all and for `t`.
    #[inline]
    pub fn add_end_of(&mut self, end: End, t: u8) {
        let i = ENDS.iter().position(|&e| e == end).unwrap_or(0);
        self.ends[i] += 1;
        if let Some(c) = self.templates.get_mut(usize::from(t)) {
            c.ends[i] += 1;
        }
    }

    /// Counts a malformed frame.
    #[inline]
    pub fn add_wire_error(&mut self, e: WireError) {
        let i = WIRE_ERRORS.iter().position(|&w| w == e).unwrap_or(0);
        self.drop_wire[i] += 1;
    }

    /// The count of one event.
    pub fn event(&self, ev: Events) -> u64 {
        self.events[ev.0.trailing_zeros() as usize]
    }

    /// The count of one way of ending.
    pub fn end(&self, end: End) -> u64 {
        ENDS.iter()
            .position(|&e| e == end)
            .map_or(0, |i| self.ends[i])
    }

    /// The count of one wire error.
    pub fn wire_error(&self, e: WireError) -> u64 {
        WIRE_ERRORS
            .iter()
            .position(|&w| w == e)
            .map_or(0, |i| self.drop_wire[i])
    }

    /// Records that ended, all causes.
    pub fn ended(&self) -> u64 {
        self.ends.iter().sum()
    }

    /// Records that ended by a clean close (`is_clean`): the completed
    /// connections, the teardowns.
    pub fn completed(&self) -> u64 {
        clean(&self.ends)
    }

    /// Malformed frames, all causes.
    pub fn malformed(&self) -> u64 {
        self.drop_wire.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_counts_clean_closes_only_in_all_and_per_template() {
        let mut c = Counters::default();
        for (end, t) in [
            (End::Closed, 0),
            (End::TimeWait, 0),
            (End::ResetSent, 1),
            (End::ResetByPeer, 1),
            (End::RetriesExceeded, 0),
            (End::FinWait2Timeout, 1),
            (End::IdleTimeout, 0),
            (End::ReturnedToListen, 1),
        ] {
            c.add_end_of(end, t);
        }
        assert_eq!(c.ended(), 8);
        assert_eq!(c.completed(), 3);
        assert_eq!(c.templates[0].completed(), 2);
        assert_eq!(c.templates[1].completed(), 1);
        assert_eq!(ENDS.iter().filter(|e| is_clean(**e)).count(), 3);
    }
}

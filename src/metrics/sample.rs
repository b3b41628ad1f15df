//! What a worker counts, at one moment (`Sample`: its endpoint's counters,
//! its own tally, its port's counts, its gauges), and every metric's name
//! and value in one fixed order (`visit`), which the boards, the live
//! line, the JSON summaries and Prometheus all follow.
//!
//! Rules: one order, defined once (`visit`); names are lower case and
//! unique; nothing here runs per frame.

use crate::endpoint::{Counters, ENDS, LatencyBuckets, WIRE_ERRORS};
use crate::io::PortStats;
use crate::tcp::Events;

/// Metric slots per board: room for every metric (`names().len()`, checked
/// by a test).
pub const SLOTS: usize = 96;

/// What a worker counts besides its endpoint: connections it opened and
/// frames it handed to, or took from, other workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerTally {
    /// Connections opened (a generator).
    pub opened: u64,
    /// Connection attempts refused for lack of a source pair or a record.
    pub open_failed: u64,
    /// Of those, the attempts that found no free source pair (every pair
    /// in use or in TIME-WAIT).
    pub ports_exhausted: u64,
    /// Frames that landed here but belong to another worker, handed over.
    pub handoff_out: u64,
    /// Frames handed here by other workers.
    pub handoff_in: u64,
    /// Frames to hand over that found the owner's queue full (dropped).
    pub handoff_dropped: u64,
    /// SYNs of SYN-only templates sent (counted in `opened` too; they
    /// never end).
    pub syn_only: u64,
}

/// Everything one worker counts, at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Sample<'a> {
    /// The endpoint's counters.
    pub counters: &'a Counters,
    /// The worker's own counts.
    pub tally: WorkerTally,
    /// The port queue's counts.
    pub port: PortStats,
    /// Live records, TIME-WAIT records and armed timers now (gauges).
    pub gauges: (u64, u64, u64),
    /// The latencies so far in fixed buckets, where the sample has them
    /// (a running worker's does; one rebuilt from a report does not).
    pub latency: Option<&'a LatencyBuckets>,
}

/// Calls `f` with each metric's name and value, always in the same order
/// (the order of `names` and of a `Board`'s slots). Event names are the
/// lower-case `tcp::Events` names.
pub fn visit(s: &Sample<'_>, mut f: impl FnMut(&'static str, u64)) {
    let c = s.counters;
    f("rx_frames", c.rx_frames);
    f("tx_frames", c.tx_frames);
    f("opened", s.tally.opened);
    f("open_failed", s.tally.open_failed);
    f("ports_exhausted", s.tally.ports_exhausted);
    f("syn_only", s.tally.syn_only);
    f("accepted", c.accepted);
    for &(ev, name) in Events::ALL {
        f(name, c.event(ev));
    }
    f("syn_predicted", c.syn_predicted);
    f("segments_predicted", c.segments_predicted);
    f("time_wait_expired", c.time_wait_expired);
    f("time_wait_reset", c.time_wait_reset);
    f("time_wait_reopened", c.time_wait_reopened);
    f("time_wait_recycled", c.time_wait_recycled);
    f("arp_reply", c.arp_reply);
    f("ndp_reply", c.ndp_reply);
    f("next_hop_learned", c.next_hop_learned);
    for end in ENDS {
        f(end.counter_name(), c.end(end));
    }
    // Records that ended by a clean close (`endpoint::is_clean`): the
    // teardowns every report counts.
    f("completed", c.completed());
    f("drop_malformed", c.malformed());
    for e in WIRE_ERRORS {
        f(e.counter_name(), c.wire_error(e));
    }
    f("drop_not_ours", c.drop_not_ours);
    f("drop_vlan", c.drop_vlan);
    f("drop_table_full", c.drop_table_full);
    f("records_peak", c.records_peak);
    f("cookie_rotations", c.cookie_rotations);
    f("drop_time_wait_full", c.drop_time_wait_full);
    f("table_growths", c.table_growths);
    f("growth_pauses", c.growth_pauses);
    f("handoff_out", s.tally.handoff_out);
    f("handoff_in", s.tally.handoff_in);
    f("handoff_dropped", s.tally.handoff_dropped);
    f("port_tx_ring_full", s.port.tx_ring_full);
    f("port_alloc_failed", s.port.alloc_failed);
    f("link_lost", s.port.lost);
    f("link_duplicated", s.port.duplicated);
    f("link_reordered", s.port.reordered);
    f("records", s.gauges.0);
    f("time_wait_records", s.gauges.1);
    f("timers", s.gauges.2);
}

/// Metrics that are gauges (a level now), not counts since the start.
pub const GAUGES: [&str; 3] = ["records", "time_wait_records", "timers"];

/// The metric names in `visit` order, lower case.
pub fn names() -> Vec<String> {
    let counters = Counters::default();
    let sample = Sample {
        counters: &counters,
        tally: WorkerTally::default(),
        port: PortStats::default(),
        gauges: (0, 0, 0),
        latency: None,
    };
    let mut out = Vec::new();
    visit(&sample, |name, _| out.push(name.to_ascii_lowercase()));
    out
}

/// The values of `s` in `visit` order.
pub fn values(s: &Sample<'_>) -> Vec<u64> {
    let mut out = Vec::with_capacity(SLOTS);
    visit(s, |_, v| out.push(v));
    out
}

/// Index of the metric `name` in `visit` order.
pub fn index_of(name: &str) -> Option<usize> {
    names().iter().position(|n| n == name)
}

/// Sums value lists element-wise (lists of different lengths are summed
/// up to the longest).
pub fn sum<'a>(lists: impl IntoIterator<Item = &'a [u64]>) -> Vec<u64> {
    let mut total: Vec<u64> = Vec::new();
    for l in lists {
        if total.len() < l.len() {
            total.resize(l.len(), 0);
        }
        for (t, v) in total.iter_mut().zip(l) {
            *t += v;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::End;
    use crate::wire::WireError;

    #[test]
    fn names_are_unique_lower_case_and_fit_a_board() {
        let n = names();
        assert!(n.len() <= SLOTS, "{} metrics, {SLOTS} slots", n.len());
        let mut sorted = n.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), n.len(), "duplicate metric names");
        for name in [
            "syn_rx",
            "synack_tx",
            "cookie_sent",
            "cookie_ok",
            "cookie_bad",
            "established",
            "fin_rx",
            "fin_tx",
            "time_wait",
            "rst_rx",
            "rst_tx",
            "challenge_ack",
            "retransmit",
            "drop_malformed",
            "drop_table_full",
        ] {
            assert!(n.iter().any(|x| x == name), "no metric named {name}");
        }
        assert!(n.iter().all(|x| *x == x.to_ascii_lowercase()));
    }

    #[test]
    fn values_follow_the_names() {
        let mut c = Counters::default();
        c.add_events(Events::SYN_RX | Events::COOKIE_SENT);
        c.add_events(Events::SYN_RX);
        c.add_end(End::TimeWait);
        c.add_wire_error(WireError::BadChecksum);
        c.add_wire_error(WireError::Fragment);
        c.drop_table_full = 5;
        let s = Sample {
            counters: &c,
            tally: WorkerTally {
                handoff_out: 7,
                ..WorkerTally::default()
            },
            port: PortStats::default(),
            gauges: (1, 2, 3),
            latency: None,
        };
        let v = values(&s);
        let at = |name: &str| v[index_of(name).expect(name)];
        assert_eq!(at("syn_rx"), 2);
        assert_eq!(at("cookie_sent"), 1);
        assert_eq!(at("end_time_wait"), 1);
        assert_eq!(at("drop_checksum"), 1);
        assert_eq!(at("drop_malformed"), 2);
        assert_eq!(at("drop_table_full"), 5);
        assert_eq!(at("handoff_out"), 7);
        assert_eq!(at("timers"), 3);
        assert_eq!(sum([&v[..], &v[..]])[index_of("syn_rx").unwrap()], 4);
    }
}

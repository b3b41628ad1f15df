//! The endpoint's state: its configuration, listening ports, TCP context,
//! tables, timers, counters and latency recorder, with construction,
//! sizing and what reports read. The endpoint's jobs live beside it, one
//! file each: receiving a frame (`receive`, `arp`), running the state
//! machine on it (`dispatch`), opening connections (`open`), expiring
//! timers (`expire`), ending records (`records`) and writing the frames it
//! originates (`output`).
//!
//! Rules: one owner (a worker), no lock; every buffer a frame needs is
//! allocated here, at construction.

use super::config::EndpointConfig;
use super::counters::Counters;
use super::latency::{Latency, LatencyBuckets, Recorder};
use super::ports::PortSet;
use super::tables::Tables;
use crate::app::Canned;
use crate::flow::FourTuple;
use crate::tcp::{Tcb, TcpContext};
use crate::timer::TimerWheel;
use std::collections::VecDeque;

/// Size of the scratch buffer for frames we originate (connect, timers).
pub const FRAME_CAPACITY: usize = 2048;

/// Timers fired per `TimerWheel::expire` call in `Endpoint::expire`.
pub(super) const EXPIRE_BATCH: usize = 256;

/// One side of the traffic: tables, timers, counters and TCP context.
#[derive(Debug)]
pub struct Endpoint {
    pub(super) cfg: EndpointConfig,
    pub(super) listening: PortSet,
    pub(super) ctx: TcpContext,
    pub(super) app: Canned,
    pub(super) tables: Tables,
    pub(super) timers: TimerWheel<FourTuple>,
    /// Tuples whose timers fired, processed after the wheel's call.
    pub(super) fired: Vec<FourTuple>,
    /// Queued TIME-WAIT expiries that are due: hash, tuple, deadline.
    pub(super) due: Vec<(u64, FourTuple, u64)>,
    pub(super) counters: Counters,
    pub(super) latency: Recorder,
    pub(super) scratch: Box<[u8]>,
    /// Four-tuples whose last record (live or TIME-WAIT) is gone, when
    /// `EndpointConfig::report_released` asks for them.
    pub(super) released: Vec<FourTuple>,
    /// With TIME-WAIT reuse: how old our TIME-WAIT record must be (µs)
    /// before a connection of ours may replace it (0: never).
    pub(super) tw_reuse_us: u64,
    /// With TIME-WAIT reuse, in the order they entered TIME-WAIT: when
    /// the tuple becomes reusable, the record's deadline then, the tuple.
    pub(super) tw_reusable: VecDeque<(u64, u64, FourTuple)>,
}

impl Endpoint {
    /// An endpoint with its configuration, TCP context and application.
    pub fn new(cfg: EndpointConfig, ctx: TcpContext, app: Canned) -> Endpoint {
        let mut tables = Tables::default();
        tables.tw_expiry.set_bound(cfg.max_time_wait);
        Endpoint {
            listening: PortSet::new(&cfg.listen_ports),
            cfg,
            ctx,
            app,
            tables,
            timers: TimerWheel::new(),
            fired: Vec::with_capacity(EXPIRE_BATCH),
            due: Vec::with_capacity(EXPIRE_BATCH),
            counters: Counters::default(),
            latency: Recorder::new(),
            scratch: vec![0; FRAME_CAPACITY].into_boxed_slice(),
            released: Vec::new(),
            tw_reuse_us: 0,
            tw_reusable: VecDeque::new(),
        }
    }

    /// Makes room, up front, for `connections` live records and
    /// `time_wait` TIME-WAIT records (each capped by its configured
    /// maximum) and their timers: the tables and the timer wheel then
    /// neither allocate nor rehash until those numbers are exceeded. The
    /// memory is reserved, not touched: pages are faulted in as records
    /// arrive. TIME-WAIT records are expired through a queue; the wheel
    /// keeps room for the live records and a sixteenth of the TIME-WAIT
    /// ones (restarted or refused by the queue), and grows beyond.
    pub fn reserve(&mut self, connections: usize, time_wait: usize) {
        let c = connections.min(self.cfg.max_connections);
        let w = time_wait.min(self.cfg.max_time_wait);
        self.tables.reserve(c, w);
        self.timers
            .reserve((c + w / 16).saturating_sub(self.timers.len()));
    }

    /// Maps the pages of the reserved TIME-WAIT table now, if it spans at
    /// most `max_bytes`, instead of during a run: its records land at
    /// random slots, so a fresh table otherwise takes nearly all its page
    /// faults in the first second of a run. Returns whether it did.
    pub fn prefault_time_wait(&mut self, max_bytes: usize) -> bool {
        let fits = self.time_wait_table_bytes() <= max_bytes;
        if fits {
            self.tables.time_wait.prefault();
        }
        fits
    }

    /// Bytes the TIME-WAIT table spans as reserved (mapped or not).
    pub fn time_wait_table_bytes(&self) -> usize {
        self.tables.time_wait.footprint()
    }

    /// Sets the most live records and TIME-WAIT records (beyond them new
    /// connections are refused and counted, closing ones skip TIME-WAIT
    /// and are counted).
    pub fn set_limits(&mut self, max_connections: usize, max_time_wait: usize) {
        self.cfg.max_connections = max_connections;
        self.cfg.max_time_wait = max_time_wait;
        self.tables.tw_expiry.set_bound(max_time_wait);
    }

    /// Lets a connection we open replace our own TIME-WAIT record on its
    /// tuple once the record is `after_us` old and the old connection used
    /// timestamps, as Linux's `tcp_tw_reuse` (0: never). Safe for the
    /// reasons of RFC 6191 §2: the new connection's ISN (RFC 6528, time
    /// based) is beyond the old one's sequence space, and its timestamps
    /// are later than any of the old connection's, so the peer's PAWS
    /// (RFC 7323 §5) rejects an old duplicate. The tuple goes back to the
    /// generator (`take_released`) at that age instead of at the end of
    /// 2·MSL; room for `capacity` such tuples is made now.
    pub fn set_time_wait_reuse(&mut self, after_us: u64, capacity: usize) {
        self.tw_reuse_us = after_us;
        if after_us > 0 {
            self.tw_reusable.reserve(capacity);
        }
    }

    /// Turns header prediction (`EndpointConfig::predict_headers`) on or
    /// off.
    pub fn set_header_prediction(&mut self, on: bool) {
        self.cfg.predict_headers = on;
    }

    /// Counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Handshake and lifetime histograms so far (built on each call: for
    /// reports, not for the per-frame path).
    pub fn latency(&self) -> Latency {
        self.latency.latency()
    }

    /// The latencies so far in fixed buckets (a reference: cheap enough
    /// for the worker's board).
    pub fn latency_buckets(&self) -> &LatencyBuckets {
        self.latency.buckets()
    }

    /// The TCP context.
    pub fn context(&self) -> &TcpContext {
        &self.ctx
    }

    /// Live connection records.
    pub fn connections(&self) -> usize {
        self.tables.conns.len()
    }

    /// Raises `records_peak` to the live records now.
    #[inline]
    pub(super) fn note_records_peak(&mut self) {
        let n = self.tables.conns.len() as u64;
        if n > self.counters.records_peak {
            self.counters.records_peak = n;
        }
    }

    /// TIME-WAIT records.
    pub fn time_wait_records(&self) -> usize {
        self.tables.time_wait.len()
    }

    /// Pending expiries: armed wheel timers and queued TIME-WAIT expiries
    /// (0 once every record is gone and time has passed every deadline).
    pub fn armed_timers(&self) -> usize {
        self.timers.len() + self.tables.tw_expiry.len()
    }

    /// The record of a connection, if live.
    pub fn connection(&self, tuple: &FourTuple) -> Option<&Tcb> {
        self.tables.conns.get(self.tables.hash(tuple), tuple)
    }

    /// Moves the four-tuples released since the last call (their last
    /// record, live or TIME-WAIT, is gone: a generator may reuse them) to
    /// the end of `out`. Empty unless `EndpointConfig::report_released`.
    pub fn take_released(&mut self, out: &mut Vec<FourTuple>) {
        out.append(&mut self.released);
    }

    /// `tuple`'s last record is gone: kept for `take_released` when
    /// the configuration asks for it.
    #[inline]
    pub(super) fn release(&mut self, tuple: &FourTuple) {
        if self.cfg.report_released {
            self.released.push(*tuple);
        }
    }

    /// A lower bound of the earliest timer deadline (rounded up to the
    /// wheel's 1 ms tick), never below the last `expire` time; `None` when
    /// no timer is armed. Calling `expire` at it always makes progress.
    pub fn next_deadline(&self) -> Option<u64> {
        match (
            self.timers.next_deadline(),
            self.tables.tw_expiry.next_deadline(),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `ip` is one of our addresses.
    #[inline]
    pub(super) fn owns(&self, ip: [u8; 4]) -> bool {
        u32::from_be_bytes(ip).wrapping_sub(u32::from_be_bytes(self.cfg.ip_first))
            < self.cfg.ip_count
    }
}

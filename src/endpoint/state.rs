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
use crate::wire::{Family, V4};
use std::collections::VecDeque;

/// Size of the scratch buffer for frames we originate (connect, timers).
pub const FRAME_CAPACITY: usize = 2048;

/// The largest TIME-WAIT table mapped when the endpoint is built
/// (`Reserve::prefault_time_wait`): the default one (4 Mi records, 8 Mi
/// slots of 52 bytes) spans 416 MiB; a bigger one, asked for with
/// `--max-time-wait`, is left to fault in as it fills.
pub const PREFAULT_MAX_BYTES: usize = 1 << 30;

/// Most TIME-WAIT records of ours queued for reuse that the endpoint makes
/// room for up front (more grow the queue).
const REUSABLE_ROOM: usize = 1 << 20;

/// Most segments one `Endpoint::flush` sends.
pub(super) const FLUSH_BUDGET: usize = 512;

/// Timers fired per `TimerWheel::expire` call in `Endpoint::expire`.
pub(super) const EXPIRE_BATCH: usize = 256;

/// One side of the traffic: tables, timers, counters and TCP context.
#[derive(Debug)]
pub struct Endpoint<A = V4> {
    pub(super) cfg: EndpointConfig<A>,
    pub(super) listening: PortSet,
    pub(super) ctx: TcpContext,
    pub(super) app: Canned,
    pub(super) tables: Tables<A>,
    pub(super) timers: TimerWheel<FourTuple<A>>,
    /// Tuples whose timers fired, processed after the wheel's call.
    pub(super) fired: Vec<FourTuple<A>>,
    /// Queued TIME-WAIT expiries that are due: hash, tuple, deadline.
    pub(super) due: Vec<(u64, FourTuple<A>, u64)>,
    /// Connections with more to send than their answers carried
    /// (`flush`).
    pub(super) senders: Vec<FourTuple<A>>,
    pub(super) counters: Counters,
    pub(super) latency: Recorder,
    pub(super) scratch: Box<[u8]>,
    /// Four-tuples whose last record (live or TIME-WAIT) is gone, when
    /// `EndpointConfig::report_released` asks for them.
    pub(super) released: Vec<FourTuple<A>>,
    /// With TIME-WAIT reuse, in the order they entered TIME-WAIT: when
    /// the tuple becomes reusable, the record's deadline then, the tuple.
    pub(super) tw_reusable: VecDeque<(u64, u64, FourTuple<A>)>,
    /// The timer slab's capacity when last looked at (`note_growths`).
    pub(super) timer_capacity: usize,
    /// Reallocations of the timer slab since the reservation.
    pub(super) timer_reallocs: u64,
}

impl<A: Family> Endpoint<A> {
    /// An endpoint with its configuration, TCP context and application,
    /// its tables sized as the configuration says (`EndpointConfig::reserve`).
    pub fn new(cfg: EndpointConfig<A>, ctx: TcpContext, app: Canned) -> Endpoint<A> {
        let mut tables = Tables::default();
        tables.tw_expiry.set_bound(cfg.max_time_wait);
        let reuse = cfg.time_wait_reuse_us > 0 && cfg.report_released;
        let mut ep = Endpoint {
            listening: PortSet::new(&cfg.listen_ports),
            ctx,
            app,
            tables,
            timers: TimerWheel::new(),
            fired: Vec::with_capacity(EXPIRE_BATCH),
            due: Vec::with_capacity(EXPIRE_BATCH),
            senders: Vec::with_capacity(FLUSH_BUDGET),
            counters: Counters::default(),
            latency: Recorder::new(),
            scratch: vec![0; FRAME_CAPACITY].into_boxed_slice(),
            released: Vec::new(),
            tw_reusable: VecDeque::with_capacity(if reuse {
                cfg.max_time_wait.min(REUSABLE_ROOM)
            } else {
                0
            }),
            timer_capacity: 0,
            timer_reallocs: 0,
            cfg,
        };
        ep.reserve();
        ep.timer_capacity = ep.timers.capacity();
        ep
    }

    /// Makes room, up front, for the configured live and TIME-WAIT records
    /// (each capped by its maximum) and their timers: the tables and the
    /// timer wheel then neither allocate nor rehash until those numbers
    /// are exceeded. The memory is reserved, not touched: pages are
    /// faulted in as records arrive, except the TIME-WAIT table's with
    /// `prefault_time_wait` (within `PREFAULT_MAX_BYTES`): its records
    /// land at random slots, so a fresh table otherwise takes nearly all
    /// its page faults in the first second of a run. TIME-WAIT records are
    /// expired through a queue; the wheel keeps room for the live records
    /// and a sixteenth of the TIME-WAIT ones (restarted or refused by the
    /// queue), and grows beyond.
    fn reserve(&mut self) {
        let r = self.cfg.reserve;
        let c = r.connections.min(self.cfg.max_connections);
        let w = r.time_wait.min(self.cfg.max_time_wait);
        self.tables.reserve(c, w);
        self.timers.reserve(c + w / 16);
        if r.prefault_time_wait && self.time_wait_table_bytes() <= PREFAULT_MAX_BYTES {
            self.tables.time_wait.prefault();
        }
    }

    /// Bytes the TIME-WAIT table spans as reserved (mapped or not).
    pub fn time_wait_table_bytes(&self) -> usize {
        self.tables.time_wait.footprint()
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

    /// Brings `table_growths` and `growth_pauses` up to date (once per
    /// poll, from `expire`): the tables' doublings, and the timer slab's
    /// reallocations, seen as changes of its capacity.
    pub(super) fn note_growths(&mut self) {
        let capacity = self.timers.capacity();
        if capacity != self.timer_capacity {
            self.timer_capacity = capacity;
            self.timer_reallocs += 1;
        }
        let (growths, pauses) = self.tables.growths();
        self.counters.table_growths = growths;
        self.counters.growth_pauses = pauses + self.timer_reallocs;
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
    pub fn connection(&self, tuple: &FourTuple<A>) -> Option<&Tcb> {
        self.tables.conns.get(self.tables.hash(tuple), tuple)
    }

    /// Moves the four-tuples released since the last call (their last
    /// record, live or TIME-WAIT, is gone: a generator may reuse them) to
    /// the end of `out`. Empty unless `EndpointConfig::report_released`.
    pub fn take_released(&mut self, out: &mut Vec<FourTuple<A>>) {
        out.append(&mut self.released);
    }

    /// `tuple`'s last record is gone: kept for `take_released` when
    /// the configuration asks for it.
    #[inline]
    pub(super) fn release(&mut self, tuple: &FourTuple<A>) {
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
    pub(super) fn owns(&self, ip: A) -> bool {
        ip.offset_from(self.cfg.ip_first) < u64::from(self.cfg.ip_count)
    }

    /// Whether the address in `bytes` (of either family) is one of ours.
    #[inline]
    pub(super) fn owns_bytes(&self, bytes: &[u8]) -> bool {
        A::from_slice(bytes).is_some_and(|ip| self.owns(ip))
    }
}

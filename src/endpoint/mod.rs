//! `endpoint`: one side of the TCP traffic at frame level. Frames in,
//! replies written in place into the same buffer, timers expired on
//! request. It owns the connection table, the TIME-WAIT table and the
//! timers of one worker, and the `TcpContext`; time is passed in.
//!
//! Rules: a received frame is answered by rewriting its own buffer
//! (addresses and ports swapped, headers and checksums rewritten, no copy);
//! malformed frames are counted by cause and dropped; no lock; frames that
//! are not for our addresses are counted and ignored.

mod counters;
mod expiry_queue;
mod latency;
mod ports;
mod probe_table;
mod slot;
mod tables;

pub use counters::{Counters, ENDS, MAX_TEMPLATES, TemplateCounts, WIRE_ERRORS};
use latency::Recorder;
pub use latency::{BUCKETS, Buckets, Latency, LatencyBuckets};
use ports::PortSet;
use tables::Tables;

use crate::flow::FourTuple;
use crate::tcp::{self, End, Outcome, Reply, Tcb, TcpContext, TwVerdict};
use crate::timer::TimerWheel;
use crate::wire::{
    self, ArpOp, ArpRepr, EthernetRepr, Frame, MacAddr, TcpFlags, TcpFrameAddr, TcpRepr,
};

/// Size of the scratch buffer for frames we originate (connect, timers).
pub const FRAME_CAPACITY: usize = 2048;

/// A four-tuple hashed by the endpoint that will open it (see
/// `Endpoint::prepare`).
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    tuple: FourTuple,
    h: u64,
    template: u8,
}

impl Prepared {
    /// The four-tuple.
    pub fn tuple(&self) -> &FourTuple {
        &self.tuple
    }
}

/// What [`Endpoint::connect_into`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// Not opened: the table is full (counted) or the tuple is in use.
    Refused,
    /// Opened; its SYN of this many bytes is in the frame.
    Sent(usize),
    /// Opened; the SYN did not fit the frame (its retransmission timer
    /// sends it).
    Unsent,
}

/// Addressing and limits of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointConfig {
    /// Our MAC address.
    pub mac: MacAddr,
    /// The next hop's MAC address (the peer on a point-to-point link).
    pub peer_mac: MacAddr,
    /// First of our IPv4 addresses.
    pub ip_first: [u8; 4],
    /// Number of consecutive IPv4 addresses we own (≥ 1).
    pub ip_count: u32,
    /// Ports we listen on (a server); empty for a pure client.
    pub listen_ports: Vec<u16>,
    /// Most live connection records (TIME-WAIT records not counted).
    pub max_connections: usize,
    /// Most TIME-WAIT records; beyond it a closing connection skips
    /// TIME-WAIT and is counted (Linux's `tcp_max_tw_buckets`).
    pub max_time_wait: usize,
    /// Verify IPv4 and TCP checksums of received frames.
    pub verify_checksums: bool,
    /// Keep the four-tuples whose records ended for `take_released` (a
    /// generator reuses them).
    pub report_released: bool,
    /// Header prediction: answer plain SYNs that get a cookie at once
    /// (`wire::syn_prediction`), and read the common segments after a SYN
    /// at fixed offsets (`wire::segment_prediction`), instead of the
    /// general parse. The answers are the same; off only to measure or
    /// test the general path.
    pub predict_headers: bool,
    /// Take `peer_mac` from the source of the frames received (a server
    /// on a real link, whose clients sit behind one next hop: frames it
    /// originates — retransmissions, timers — go back the way the client's
    /// frames came).
    pub learn_peer_mac: bool,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            mac: MacAddr([2, 0, 0, 0, 0, 1]),
            peer_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            ip_first: [10, 0, 0, 1],
            ip_count: 1,
            listen_ports: Vec::new(),
            max_connections: 1 << 22,
            max_time_wait: 1 << 22,
            verify_checksums: true,
            predict_headers: true,
            report_released: false,
            learn_peer_mac: false,
        }
    }
}

/// Timers fired per `TimerWheel::expire` call in `Endpoint::expire`.
const EXPIRE_BATCH: usize = 256;

/// One side of the traffic: tables, timers, counters and TCP context.
#[derive(Debug)]
pub struct Endpoint {
    cfg: EndpointConfig,
    listening: PortSet,
    ctx: TcpContext,
    tables: Tables,
    timers: TimerWheel<FourTuple>,
    /// Tuples whose timers fired, processed after the wheel's call.
    fired: Vec<FourTuple>,
    /// Queued TIME-WAIT expiries that are due: hash, tuple, deadline.
    due: Vec<(u64, FourTuple, u64)>,
    counters: Counters,
    latency: Recorder,
    scratch: Box<[u8]>,
    /// Four-tuples whose last record (live or TIME-WAIT) is gone, when
    /// `EndpointConfig::report_released` asks for them.
    released: Vec<FourTuple>,
    /// With TIME-WAIT reuse: how old our TIME-WAIT record must be (µs)
    /// before a connection of ours may replace it (0: never).
    tw_reuse_us: u64,
    /// With TIME-WAIT reuse, in the order they entered TIME-WAIT: when
    /// the tuple becomes reusable, the record's deadline then, the tuple.
    tw_reusable: std::collections::VecDeque<(u64, u64, FourTuple)>,
}

/// Whether a segment with `flags` is likely to read or write the TIME-WAIT
/// table: a SYN without ACK (no live record: the TIME-WAIT lookup follows),
/// a FIN or an RST (the record may end, into TIME-WAIT). A SYN-ACK belongs
/// to a live connection of ours and skips the table.
#[inline(always)]
fn may_need_time_wait(flags: TcpFlags) -> bool {
    flags.intersects(TcpFlags::FIN | TcpFlags::RST) || (flags.syn() && !flags.ack())
}

impl Endpoint {
    /// An endpoint with its configuration and TCP context.
    pub fn new(cfg: EndpointConfig, ctx: TcpContext) -> Endpoint {
        let mut tables = Tables::default();
        tables.tw_expiry.set_bound(cfg.max_time_wait);
        Endpoint {
            listening: PortSet::new(&cfg.listen_ports),
            cfg,
            ctx,
            tables,
            timers: TimerWheel::new(),
            fired: Vec::with_capacity(EXPIRE_BATCH),
            due: Vec::with_capacity(EXPIRE_BATCH),
            counters: Counters::default(),
            latency: Recorder::new(),
            scratch: vec![0; FRAME_CAPACITY].into_boxed_slice(),
            released: Vec::new(),
            tw_reuse_us: 0,
            tw_reusable: std::collections::VecDeque::new(),
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
    fn note_records_peak(&mut self) {
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

    #[inline]
    fn release(&mut self, tuple: &FourTuple) {
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

    #[inline]
    fn owns(&self, ip: [u8; 4]) -> bool {
        u32::from_be_bytes(ip).wrapping_sub(u32::from_be_bytes(self.cfg.ip_first))
            < self.cfg.ip_count
    }

    /// Handles one received frame held in `buf[..len]`. When it is to be
    /// answered, the answer is written over it in `buf` (whose full length
    /// is the frame buffer's capacity) and its length is returned.
    pub fn on_frame(&mut self, buf: &mut [u8], len: usize, now: u64) -> Option<usize> {
        self.counters.rx_frames += 1;
        if self.ctx.cookies.refresh(now) {
            self.counters.cookie_rotations = self.ctx.cookies.rotations();
        }
        if self.cfg.predict_headers
            && let Some(n) = self.predicted_syn(buf, len, now)
        {
            self.counters.tx_frames += 1;
            return Some(n);
        }
        let frame = &buf[..len.min(buf.len())];
        // The common frame (see `wire::segment_prediction`) is read at
        // fixed offsets; the general parse gives the same for it.
        let predicted = if self.cfg.predict_headers {
            wire::predict_segment(frame, self.cfg.verify_checksums)
        } else {
            None
        };
        let (seg, l2_len) = match predicted {
            Some(p) => {
                self.counters.segments_predicted += 1;
                (p, wire::PredictedSegment::L2_LEN)
            }
            None => match wire::parse_frame(frame, self.cfg.verify_checksums) {
                Ok(Frame::Tcp(f)) => (wire::PredictedSegment::of_frame(&f), f.eth.header_len()),
                Ok(Frame::Arp(rx_eth, arp)) => return self.on_arp(buf, &rx_eth, &arp),
                Err(e) => {
                    self.counters.add_wire_error(e);
                    return None;
                }
            },
        };
        if !self.owns(seg.dst) {
            self.counters.drop_not_ours += 1;
            return None;
        }
        if self.cfg.learn_peer_mac {
            self.learn_peer_mac(frame);
        }
        let tuple = FourTuple::of_received(seg.src, seg.dst, &seg.tcp);
        let out = self.dispatch(&tuple, &seg.tcp, &buf[seg.data()], now);
        let reply = out.reply?;
        let payload = self.ctx.payload(&reply);
        let n = wire::reply_in_place(buf, l2_len, seg.src, seg.dst, &reply.repr, payload).ok()?;
        self.counters.tx_frames += 1;
        Some(n)
    }

    /// The source MAC of a received Ethernet frame becomes the peer's.
    #[inline]
    fn learn_peer_mac(&mut self, frame: &[u8]) {
        if let Some(src) = frame.get(6..12) {
            self.cfg.peer_mac.0.copy_from_slice(src);
        }
    }

    /// Answers an ARP request for one of our addresses, in place.
    fn on_arp(&mut self, buf: &mut [u8], rx_eth: &EthernetRepr, arp: &ArpRepr) -> Option<usize> {
        if arp.op != ArpOp::Request || !self.owns(arp.target_ip) {
            return None;
        }
        if self.cfg.learn_peer_mac {
            self.cfg.peer_mac = arp.sender_mac;
        }
        let reply = arp.reply_from(self.cfg.mac);
        let eth = EthernetRepr {
            src: self.cfg.mac,
            dst: arp.sender_mac,
            vlan: rx_eth.vlan,
            ethertype: wire::ethernet::ETHERTYPE_ARP,
        };
        self.counters.arp_reply += 1;
        let n = wire::frame::build_arp_frame(buf, &eth, &reply).ok()?;
        self.counters.tx_frames += 1;
        Some(n)
    }

    /// The SYN-flood fast path: a plain SYN (see `wire::syn_prediction`)
    /// to a listening port of ours, for a four-tuple without any record,
    /// that the cookie policy answers statelessly now, is answered with its
    /// cookie SYN-ACK in place. `None`: not taken (nothing was changed or
    /// counted); `on_frame` goes on with the general path, which answers
    /// such a SYN identically.
    #[inline(always)]
    fn predicted_syn(&mut self, buf: &mut [u8], len: usize, now: u64) -> Option<usize> {
        // The reply (at most 14 + 20 + 60 bytes) always fits: checked first
        // so that nothing is written unless the answer is complete.
        if buf.len() < wire::PlainSyn::L2_LEN + 80 {
            return None;
        }
        let syn = wire::predict_syn(&buf[..len.min(buf.len())], self.cfg.verify_checksums)?;
        if !self.owns(syn.dst) || !self.listening.contains(syn.dst_port) {
            return None;
        }
        let tuple = FourTuple::received(syn.src, syn.dst, syn.src_port, syn.dst_port);
        let h = self.tables.hash(&tuple);
        if self.tables.conns.get(h, &tuple).is_some()
            || self.tables.time_wait.get(h, &tuple).is_some()
        {
            return None;
        }
        // Borrowed inside the `Result`, not moved out of it (see
        // `PlainSyn::options`).
        let options = wire::TcpOptions::parse(syn.options);
        let Ok(options) = &options else {
            return None;
        };
        let reply = tcp::stateless_syn_ack(&self.ctx, &tuple, syn.seq, options, now)?;
        let l2 = wire::PlainSyn::L2_LEN;
        let n = wire::reply_in_place(buf, l2, syn.src, syn.dst, &reply.repr, &[]).ok()?;
        self.counters.add_events(tcp::STATELESS_SYN_EVENTS);
        self.counters.syn_predicted += 1;
        Some(n)
    }

    /// Runs the state machine for one segment and keeps tables and timers
    /// in step with the outcome. The tuple is hashed once for all tables.
    fn dispatch(&mut self, tuple: &FourTuple, seg: &TcpRepr, payload: &[u8], now: u64) -> Outcome {
        let h = self.tables.hash(tuple);
        // The TIME-WAIT slot is fetched while the state machine runs when
        // this segment is likely to need it (`may_need_time_wait`); other
        // segments of a live connection skip the fetch, a cache miss in a
        // table of millions of records.
        if may_need_time_wait(seg.flags) {
            self.tables.time_wait.prefetch(h);
        }
        if let Some(slot) = self.tables.conns.slot_mut(h, tuple) {
            let had_data = !slot.value.passive() && slot.value.bytes_received() > 0;
            let out = slot
                .value
                .on_segment(&mut self.ctx, tuple, seg, payload, now);
            self.counters.add_events(out.events);
            if !slot.value.passive() {
                let since_syn = now.saturating_sub(slot.value.opened_at());
                if out.events.contains(tcp::Events::ESTABLISHED) {
                    self.latency.handshake(since_syn);
                }
                // The first data (a retransmission that repeats it is not).
                if out.events.contains(tcp::Events::DATA_RX) && !had_data {
                    self.latency.first_byte(since_syn);
                }
            }
            match out.end {
                None => slot.sync_timer(&mut self.timers, tuple),
                Some(end) => self.ended(h, tuple, end, now),
            }
            return out;
        }
        let listening = self.listening.contains(tuple.local_port);
        let mut isn = None;
        if let Some(slot) = self.tables.time_wait.slot_mut(h, tuple) {
            let before = slot.value.deadline();
            let (verdict, ev) = slot
                .value
                .on_segment(&self.ctx, tuple, seg, payload.len(), now);
            self.counters.add_events(ev);
            // A restarted 2·MSL timer is followed by a wheel timer; the
            // queued expiry, now early, finds the later deadline and passes.
            if slot.value.deadline() != before {
                slot.sync_timer(&mut self.timers, tuple);
            }
            match verdict {
                TwVerdict::Drop => return Outcome::default(),
                TwVerdict::Ack(r) => {
                    return Outcome {
                        reply: Some(r),
                        ..Outcome::default()
                    };
                }
                TwVerdict::Close => {
                    self.counters.time_wait_reset += 1;
                    self.remove_time_wait(h, tuple);
                    self.release(tuple);
                    return Outcome::default();
                }
                TwVerdict::Reopen { .. } if !listening => {
                    // Nobody would take the SYN: keep TIME-WAIT and answer
                    // as it would any other segment (as Linux does).
                    let reply = slot.value.ack(&self.ctx, tuple, now);
                    return Outcome {
                        reply: Some(reply),
                        ..Outcome::default()
                    };
                }
                TwVerdict::Reopen { isn: i } => {
                    self.counters.time_wait_reopened += 1;
                    self.remove_time_wait(h, tuple);
                    isn = Some(i);
                }
            }
        }
        let out = if listening {
            let (tcb, out) = tcp::on_listen(&mut self.ctx, tuple, seg, payload, isn, now);
            if let Some(mut tcb) = tcb {
                if self.tables.conns.len() >= self.cfg.max_connections {
                    // Refused: the record goes (freeing its SYN-queue slot).
                    // A SYN is left unanswered (the peer retries); a peer
                    // that completed a cookie handshake believes it is
                    // connected, so it gets the RST.
                    self.counters.drop_table_full += 1;
                    let _ = tcb.abort(&mut self.ctx, tuple, now);
                    if out.events.contains(tcp::Events::COOKIE_OK) {
                        // As if no connection existed: <SEQ=SEG.ACK><CTL=RST>.
                        let rst = tcp::on_closed(&mut self.ctx, tuple, seg, payload.len(), now);
                        self.counters.add_events(rst.events);
                        return Outcome {
                            reply: rst.reply,
                            ..Outcome::default()
                        };
                    }
                    return Outcome::default();
                }
                self.tables.insert_conn(h, *tuple, tcb, &mut self.timers);
                self.note_records_peak();
                self.counters.accepted += 1;
            } else if out.events.contains(tcp::Events::COOKIE_OK) {
                // A cookie connection that ended within its own ACK.
                self.counters.accepted += 1;
            }
            out
        } else {
            tcp::on_closed(&mut self.ctx, tuple, seg, payload.len(), now)
        };
        self.counters.add_events(out.events);
        if let Some(end) = out.end {
            self.counters.add_end(end);
        }
        out
    }

    /// The live record at `tuple` (hash `h`) ended with `end`: counted,
    /// removed with its timer, and moved to TIME-WAIT when that is how it
    /// ended (unless the TIME-WAIT table is full).
    fn ended(&mut self, h: u64, tuple: &FourTuple, end: End, now: u64) {
        let Some(slot) = self.tables.conns.remove(h, tuple) else {
            self.counters.add_end(end);
            return;
        };
        self.counters.add_end_of(end, slot.value.template());
        let lifetime = now.saturating_sub(slot.value.opened_at());
        self.latency.lifetime(lifetime);
        if let Some(id) = slot.timer {
            self.timers.cancel(id);
        }
        if end != End::TimeWait {
            self.release(tuple);
            return;
        }
        if self.tables.time_wait.len() >= self.cfg.max_time_wait {
            // Like Linux's tcp_max_tw_buckets: close without TIME-WAIT.
            self.counters.drop_time_wait_full += 1;
            self.release(tuple);
            return;
        }
        let tw = slot.value.to_time_wait(&self.ctx, now);
        if self.tw_reuse_us > 0 && tw.timestamps_ok() && self.cfg.report_released {
            self.tw_reusable.push_back((
                now.saturating_add(self.tw_reuse_us),
                tw.deadline(),
                *tuple,
            ));
        }
        self.tables
            .insert_time_wait(h, *tuple, tw, &mut self.timers);
    }

    /// Removes the TIME-WAIT record at `tuple` with its timer.
    fn remove_time_wait(&mut self, h: u64, tuple: &FourTuple) {
        if let Some(Some(id)) = self.tables.time_wait.remove(h, tuple).map(|s| s.timer) {
            self.timers.cancel(id);
        }
    }

    fn send(&mut self, tuple: &FourTuple, reply: &Reply, tx: &mut dyn FnMut(&[u8])) {
        self.via_scratch(tx, |ep, frame| ep.write(tuple, reply, frame));
    }

    /// Runs `build` on the scratch frame and passes the frame it wrote,
    /// if any, to `tx`.
    fn via_scratch(
        &mut self,
        tx: &mut dyn FnMut(&[u8]),
        build: impl FnOnce(&mut Self, &mut [u8]) -> Option<usize>,
    ) {
        let mut scratch = std::mem::take(&mut self.scratch);
        if let Some(n) = build(self, &mut scratch[..]) {
            tx(&scratch[..n]);
        }
        self.scratch = scratch;
    }

    /// Writes `reply` on `tuple` as a frame into `frame`; its length, or
    /// `None` when it does not fit. Counted as sent.
    fn write(&mut self, tuple: &FourTuple, reply: &Reply, frame: &mut [u8]) -> Option<usize> {
        let addr = TcpFrameAddr {
            src_mac: self.cfg.mac,
            dst_mac: self.cfg.peer_mac,
            vlan: None,
            src_ip: tuple.local_ip,
            dst_ip: tuple.remote_ip,
        };
        let payload = self.ctx.payload(reply);
        let n = wire::build_tcp_frame(frame, &addr, &reply.repr, payload).ok()?;
        self.counters.tx_frames += 1;
        Some(n)
    }

    /// A hint for a frame that will be handled soon (the poll loop calls
    /// it a few frames ahead): a segment likely to look up or fill the
    /// TIME-WAIT table (`may_need_time_wait`: the FIN that ends a
    /// connection in TIME-WAIT inserts a record at a random slot of a
    /// table of hundreds of MiB) has its home slot asked for now, so that
    /// the miss overlaps the frames in between instead of stalling the
    /// insert. The tuple is hashed again when the frame is handled (about
    /// 25 instructions): carrying the hash would need room in every
    /// backend's frame.
    /// Decides nothing: the frame is only glanced at (`wire::peek_segment`).
    #[inline]
    pub fn prefetch_state(&self, frame: &[u8]) {
        let Some(p) = wire::peek_segment(frame) else {
            return;
        };
        if !may_need_time_wait(p.flags) || self.tables.time_wait.len() == 0 {
            return;
        }
        let tuple = FourTuple::received(p.src, p.dst, p.src_port, p.dst_port);
        self.tables.time_wait.prefetch(self.tables.hash(&tuple));
    }

    /// Hashes `tuple` for this endpoint's tables and asks the CPU for its
    /// TIME-WAIT home slot, which `connect_prepared` reads: a generator
    /// prepares a batch of tuples first, so the cache misses of the batch
    /// overlap instead of stalling each connect in turn.
    #[inline]
    pub fn prepare(&self, tuple: FourTuple) -> Prepared {
        self.prepare_as(tuple, 0)
    }

    /// `prepare` for a connection that follows template `template`.
    pub fn prepare_as(&self, tuple: FourTuple, template: u8) -> Prepared {
        let h = self.tables.hash(&tuple);
        self.tables.time_wait.prefetch(h);
        Prepared { tuple, h, template }
    }

    /// A SYN from `tuple` (whose source need not be ours: a SYN flood's
    /// spoofed one) written into `frame`, with no record kept, counted as
    /// opened by template `template`. Returns its length, or `None` if it
    /// did not fit.
    pub fn syn_only_into(
        &mut self,
        tuple: &FourTuple,
        now: u64,
        template: u8,
        frame: &mut [u8],
    ) -> Option<usize> {
        let (_, out) = Tcb::connect_as(&mut self.ctx, tuple, now, template);
        self.counters.add_events(out.events);
        if let Some(c) = self.counters.templates.get_mut(usize::from(template)) {
            c.opened += 1;
        }
        out.reply.and_then(|r| self.write(tuple, &r, frame))
    }

    /// Opens a connection (active open); its SYN is passed to `tx`. Returns
    /// false (and counts) when the table is full or the tuple is in use.
    pub fn connect(&mut self, tuple: &FourTuple, now: u64, tx: &mut dyn FnMut(&[u8])) -> bool {
        let p = self.prepare(*tuple);
        self.connect_prepared(&p, now, tx)
    }

    /// `connect` for a tuple this endpoint prepared.
    pub fn connect_prepared(&mut self, p: &Prepared, now: u64, tx: &mut dyn FnMut(&[u8])) -> bool {
        let mut opened = Opened::Refused;
        self.via_scratch(tx, |ep, frame| {
            opened = ep.connect_into(p, now, frame);
            match opened {
                Opened::Sent(n) => Some(n),
                _ => None,
            }
        });
        opened != Opened::Refused
    }

    /// `connect` for a tuple this endpoint prepared, its SYN written into
    /// `frame` (a transmit buffer: no copy).
    pub fn connect_into(&mut self, p: &Prepared, now: u64, frame: &mut [u8]) -> Opened {
        let (tuple, h) = (&p.tuple, p.h);
        debug_assert_eq!(h, self.tables.hash(tuple), "prepared by another endpoint");
        if self.tables.conns.len() >= self.cfg.max_connections {
            self.counters.drop_table_full += 1;
            return Opened::Refused;
        }
        if self.tables.conns.get(h, tuple).is_some() {
            return Opened::Refused;
        }
        if let Some(tw) = self.tables.time_wait.get(h, tuple) {
            let entered = tw
                .deadline()
                .saturating_sub(self.ctx.cfg.msl_us.saturating_mul(2));
            let reusable = self.tw_reuse_us > 0
                && tw.timestamps_ok()
                && now >= entered.saturating_add(self.tw_reuse_us);
            if !reusable {
                return Opened::Refused;
            }
            self.remove_time_wait(h, tuple);
            self.counters.time_wait_recycled += 1;
        }
        let (tcb, out) = Tcb::connect_as(&mut self.ctx, tuple, now, p.template);
        self.counters.opened += 1;
        if let Some(c) = self.counters.templates.get_mut(usize::from(p.template)) {
            c.opened += 1;
        }
        self.counters.add_events(out.events);
        self.tables.insert_conn(h, *tuple, tcb, &mut self.timers);
        self.note_records_peak();
        match out.reply.and_then(|r| self.write(tuple, &r, frame)) {
            Some(n) => Opened::Sent(n),
            None => Opened::Unsent,
        }
    }

    /// Expires every timer due at `now`: retransmissions go to `tx`, ended
    /// records and expired TIME-WAIT records are removed. The wheel and the
    /// TIME-WAIT expiry queue are drained in batches of `EXPIRE_BATCH`.
    pub fn expire(&mut self, now: u64, tx: &mut dyn FnMut(&[u8])) {
        self.expire_wheel(now, tx);
        self.expire_time_wait(now);
        self.release_reusable(now);
    }

    /// With TIME-WAIT reuse: hands back the tuples whose record of ours
    /// has become old enough to replace (still that record: not ended,
    /// not replaced already).
    fn release_reusable(&mut self, now: u64) {
        while let Some(&(at, deadline, tuple)) = self.tw_reusable.front() {
            if at > now {
                break;
            }
            self.tw_reusable.pop_front();
            let h = self.tables.hash(&tuple);
            if self
                .tables
                .time_wait
                .get(h, &tuple)
                .is_some_and(|tw| tw.deadline() == deadline)
            {
                self.release(&tuple);
            }
        }
    }

    /// Fires the wheel's timers due at `now`.
    fn expire_wheel(&mut self, now: u64, tx: &mut dyn FnMut(&[u8])) {
        // The list keeps its capacity: taken and put back, never freed.
        let mut fired = std::mem::take(&mut self.fired);
        loop {
            fired.clear();
            let n = self
                .timers
                .expire(now, EXPIRE_BATCH, |tuple, _| fired.push(tuple));
            for tuple in &fired {
                self.on_fired(tuple, now, tx);
            }
            if n < EXPIRE_BATCH {
                break;
            }
        }
        fired.clear();
        self.fired = fired;
    }

    /// Takes the queued TIME-WAIT expiries due at `now`, a batch at a time:
    /// the batch's tuples are hashed and their slots asked for first, so
    /// the cache misses of the batch overlap.
    fn expire_time_wait(&mut self, now: u64) {
        let mut due = std::mem::take(&mut self.due);
        loop {
            due.clear();
            while due.len() < EXPIRE_BATCH
                && let Some((tuple, deadline)) = self.tables.tw_expiry.pop_due(now)
            {
                let h = self.tables.hash(&tuple);
                self.tables.time_wait.prefetch(h);
                due.push((h, tuple, deadline));
            }
            for (h, tuple, deadline) in &due {
                self.on_queued_expiry(*h, tuple, *deadline);
            }
            if due.len() < EXPIRE_BATCH {
                break;
            }
        }
        due.clear();
        self.due = due;
    }

    /// The queued expiry of `tuple` at `deadline` is due. The record goes
    /// unless it is gone already or its deadline moved later (restarted:
    /// its wheel timer ends it).
    fn on_queued_expiry(&mut self, h: u64, tuple: &FourTuple, deadline: u64) {
        let Some(slot) = self.tables.time_wait.slot_mut(h, tuple) else {
            return;
        };
        if slot.value.deadline() <= deadline {
            self.time_wait_expired(h, tuple);
        }
    }

    /// The TIME-WAIT record at `tuple` expired: removed with its timer,
    /// counted, its tuple released.
    fn time_wait_expired(&mut self, h: u64, tuple: &FourTuple) {
        self.remove_time_wait(h, tuple);
        self.counters.time_wait_expired += 1;
        self.release(tuple);
    }

    /// The timer of the record at `tuple` fired (its handle is spent).
    fn on_fired(&mut self, tuple: &FourTuple, now: u64, tx: &mut dyn FnMut(&[u8])) {
        let h = self.tables.hash(tuple);
        if let Some(slot) = self.tables.conns.slot_mut(h, tuple) {
            slot.timer = None;
            let out = slot.value.on_timer(&mut self.ctx, tuple, now);
            self.counters.add_events(out.events);
            match out.end {
                None => slot.sync_timer(&mut self.timers, tuple),
                Some(end) => self.ended(h, tuple, end, now),
            }
            if let Some(r) = out.reply {
                self.send(tuple, &r, tx);
            }
        } else if let Some(slot) = self.tables.time_wait.slot_mut(h, tuple) {
            slot.timer = None;
            if slot.value.expired(now) {
                self.time_wait_expired(h, tuple);
            } else {
                slot.sync_timer(&mut self.timers, tuple);
            }
        }
    }
}

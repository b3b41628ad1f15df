//! Receiving a frame: the plain SYN answered by header prediction, the
//! common segment read at fixed offsets, anything else parsed in full;
//! malformed frames counted by cause; ARP handed to `arp`, TCP for our
//! addresses to `dispatch`; the reply written over the received frame.
//! Also the prefetch hint for a frame handled soon.
//!
//! Rules: a received frame is answered by rewriting its own buffer
//! (addresses and ports swapped, headers and checksums rewritten, no
//! copy); nothing is written unless the answer is complete; frames that
//! are not for our addresses are counted and ignored.

use super::dispatch::may_need_time_wait;
use super::state::Endpoint;
use crate::flow::FourTuple;
use crate::tcp;
use crate::wire::{self, Family, Frame};

impl<A: Family> Endpoint<A> {
    /// Handles one received frame held in `buf[..len]`. When it is to be
    /// answered, the answer is written over it in `buf` (whose full length
    /// is the frame buffer's capacity) and its length is returned.
    pub fn on_frame(&mut self, buf: &mut [u8], len: usize, now: u64) -> Option<usize> {
        self.counters.rx_frames += 1;
        if self.ctx.refresh_cookies(now) {
            self.counters.cookie_rotations = self.ctx.cookies.rotations();
        }
        // The predictions read untagged frames only: with a VLAN every
        // frame takes the general parse.
        let predict = self.cfg.predict_headers && self.cfg.vlan.is_none();
        if predict && let Some(n) = self.predicted_syn(buf, len, now) {
            self.counters.tx_frames += 1;
            return Some(n);
        }
        let frame = &buf[..len.min(buf.len())];
        // The common frame (see `wire::segment_prediction`) is read at
        // fixed offsets; the general parse gives the same for it.
        let predicted = if predict {
            A::predict_segment(frame, self.cfg.verify_checksums)
        } else {
            None
        };
        let (seg, l2_len) = match predicted {
            Some(p) => {
                self.counters.segments_predicted += 1;
                (p, wire::PredictedSegment::L2_LEN)
            }
            None => match A::parse_frame(frame, self.cfg.verify_checksums) {
                Ok(f) if f.vlan() != self.cfg.vlan => {
                    self.counters.drop_vlan += 1;
                    return None;
                }
                Ok(Frame::Arp(rx_eth, arp)) => return self.on_arp(buf, &rx_eth, &arp),
                Ok(Frame::Ndp(rx_eth, ip, ndp)) => return self.on_ndp(buf, &rx_eth, &ip, &ndp),
                Ok(f) => match A::segment_of(&f) {
                    Some(s) => s,
                    None => {
                        self.counters
                            .add_wire_error(wire::WireError::UnsupportedEtherType);
                        return None;
                    }
                },
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
        let tuple = FourTuple::of_received(seg.src, seg.dst, &seg.tcp);
        let out = self.dispatch(&tuple, &seg.tcp, &buf[seg.data()], now);
        let reply = out.reply?;
        let payload = self.app.payload(&reply);
        let n = wire::reply_in_place(buf, l2_len, seg.src, seg.dst, &reply.repr, payload).ok()?;
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
        // The reply (at most 14 + 40 + 60 bytes) always fits: checked first
        // so that nothing is written unless the answer is complete.
        if buf.len() < wire::PlainSyn::L2_LEN + A::HEADER_LEN + 60 {
            return None;
        }
        let syn = A::predict_syn(&buf[..len.min(buf.len())], self.cfg.verify_checksums)?;
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
        let Some(p) = A::peek_segment(frame) else {
            return;
        };
        if !may_need_time_wait(p.flags) || self.tables.time_wait.len() == 0 {
            return;
        }
        let tuple = FourTuple::received(p.src, p.dst, p.src_port, p.dst_port);
        self.tables.time_wait.prefetch(self.tables.hash(&tuple));
    }
}

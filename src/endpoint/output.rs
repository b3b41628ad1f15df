//! Frames the endpoint originates (SYNs, retransmissions, timer-driven
//! FINs and RSTs), addressed from our MAC to the next hop's: written into
//! a frame the caller gives (a transmit buffer: no copy) or into the
//! endpoint's scratch frame, then passed on.
//!
//! Rules: a frame that does not fit is not sent (and not counted); a sent
//! one is counted in `tx_frames`.

use super::state::Endpoint;
use crate::flow::FourTuple;
use crate::tcp::Reply;
use crate::wire::{self, Family, TcpFrameAddr};

impl<A: Family> Endpoint<A> {
    /// Writes `reply` on `tuple` into the scratch frame and passes it to
    /// `tx`.
    pub(super) fn send(&mut self, tuple: &FourTuple<A>, reply: &Reply, tx: &mut impl FnMut(&[u8])) {
        let mut scratch = std::mem::take(&mut self.scratch);
        if let Some(n) = self.write(tuple, reply, &mut scratch) {
            tx(&scratch[..n]);
        }
        self.scratch = scratch;
    }

    /// Writes `reply` on `tuple` as a frame into `frame`; its length, or
    /// `None` when it does not fit. Counted as sent. Inlined into the
    /// generator's connect, where it writes every SYN.
    #[inline]
    pub(super) fn write(
        &mut self,
        tuple: &FourTuple<A>,
        reply: &Reply,
        frame: &mut [u8],
    ) -> Option<usize> {
        let addr = TcpFrameAddr {
            src_mac: self.cfg.mac,
            dst_mac: self.cfg.next_hop.mac(),
            vlan: self.cfg.vlan,
            src_ip: tuple.local_ip,
            dst_ip: tuple.remote_ip,
        };
        let payload = self.app.payload(reply);
        let n = wire::build_tcp_frame(frame, &addr, &reply.repr, payload).ok()?;
        self.counters.tx_frames += 1;
        Some(n)
    }
}

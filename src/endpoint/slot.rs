//! A table entry's record with the handle of its timer in the
//! endpoint's wheel, and how that timer follows the record's deadline.
//! Shared by both tables (`probe_table::ProbeTable`s of live and of
//! TIME-WAIT records).
//!
//! Rules: the record's own deadline is exact; its wheel timer follows it
//! lazily (it may fire early, and the record's handler then finds nothing
//! due and arms it again).

use crate::flow::FourTuple;
use crate::tcp::{Tcb, TimeWait};
use crate::timer::{TimerId, TimerWheel};
use crate::wire::Family;

/// A record and the handle of its timer in the endpoint's wheel (`None`:
/// no timer armed).
#[derive(Debug)]
pub(crate) struct Slot<V> {
    pub(crate) value: V,
    pub(crate) timer: Option<TimerId>,
}

/// A record with a deadline the endpoint's timer wheel follows (0: none).
pub(crate) trait Deadline {
    fn deadline(&self) -> u64;
}

impl Deadline for Tcb {
    #[inline]
    fn deadline(&self) -> u64 {
        Tcb::deadline(self)
    }
}

impl Deadline for TimeWait {
    #[inline]
    fn deadline(&self) -> u64 {
        TimeWait::deadline(self)
    }
}

/// A timer for a new record at `tuple` with `deadline` (0: none).
#[inline]
pub(crate) fn arm_new<A: Family>(
    wheel: &mut TimerWheel<FourTuple<A>>,
    tuple: &FourTuple<A>,
    deadline: u64,
) -> Option<TimerId> {
    (deadline != 0).then(|| wheel.arm(deadline, *tuple))
}

impl<V: Deadline> Slot<V> {
    /// Makes the record's timer follow its deadline: cancelled, armed, or
    /// moved earlier. A deadline that moved later leaves the timer where
    /// it is (a lazy restart): it fires early, the record's handler finds
    /// its deadline not yet due and the endpoint arms the timer again for
    /// it. Most connections end before their retransmission timeout, so
    /// restarting it on every acknowledgement (RFC 6298 §5.3) costs the
    /// wheel nothing; the record's own deadline stays exact.
    #[inline]
    pub(crate) fn sync_timer<A: Family>(
        &mut self,
        wheel: &mut TimerWheel<FourTuple<A>>,
        tuple: &FourTuple<A>,
    ) {
        match (self.timer, self.value.deadline()) {
            (None, d) => self.timer = arm_new(wheel, tuple, d),
            (Some(id), 0) => {
                wheel.cancel(id);
                self.timer = None;
            }
            (Some(id), d) => match wheel.deadline(id) {
                Some(armed) if armed <= d => {}
                Some(_) => {
                    wheel.rearm(id, d);
                }
                None => self.timer = Some(wheel.arm(d, *tuple)),
            },
        }
    }
}

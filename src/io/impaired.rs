//! Any [`Port`] with seeded link impairments on its transmit side: each
//! frame handed to `tx_burst` is lost, delivered, delivered twice or held
//! back behind the frames after it, as its [`Impairer`] decides. This is
//! how `serve --loss` and `gen --loss` impair a real link (the kernel here
//! has no netem); the in-memory link impairs inside [`super::loopback`].
//!
//! Rules: without impairment every call goes straight to the inner port
//! (one branch per burst); a lost frame's buffer is recycled, a duplicate
//! is copied into a buffer from `alloc` (none free: no duplicate); a held
//! frame goes out after the next burst, or at the next `rx_burst` when no
//! burst follows, so nothing is held longer than one loop; no allocation
//! once the lists have grown to a burst.

use super::{FrameBuf, Impairer, Impairment, Port, PortStats};

/// `P` with impairments on what it sends.
pub struct Impaired<P: Port> {
    inner: P,
    impairer: Impairer,
    on: bool,
    /// Frames held back by the last burst.
    held: Vec<P::Frame>,
    /// The burst as it goes out.
    out: Vec<P::Frame>,
    lost: u64,
    duplicated: u64,
    reordered: u64,
}

impl<P: Port> Impaired<P> {
    /// `inner` impaired by `imp`, decisions seeded by `seed`.
    pub fn new(inner: P, imp: Impairment, seed: u64) -> Impaired<P> {
        Impaired {
            inner,
            impairer: Impairer::new(imp, seed),
            on: !imp.is_none(),
            held: Vec::with_capacity(64),
            out: Vec::with_capacity(256),
            lost: 0,
            duplicated: 0,
            reordered: 0,
        }
    }

    /// The port underneath.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// Sends what the last burst held back.
    fn flush_held(&mut self) {
        if !self.held.is_empty() {
            let mut held = std::mem::take(&mut self.held);
            self.inner.tx_burst(&mut held);
            self.held = held;
        }
    }
}

impl<P: Port> Port for Impaired<P> {
    type Frame = P::Frame;

    #[inline]
    fn rx_burst(&mut self, out: &mut Vec<P::Frame>, max: usize) -> usize {
        if self.on {
            self.flush_held();
        }
        self.inner.rx_burst(out, max)
    }

    fn tx_burst(&mut self, frames: &mut Vec<P::Frame>) -> usize {
        if !self.on {
            return self.inner.tx_burst(frames);
        }
        let mut out = std::mem::take(&mut self.out);
        let mut held = std::mem::take(&mut self.held);
        // Last burst's held frames go after this burst's.
        let earlier = held.len();
        for f in frames.drain(..) {
            match self.impairer.fate() {
                super::Fate::Deliver => out.push(f),
                super::Fate::Drop => {
                    self.lost += 1;
                    self.inner.recycle(f);
                }
                super::Fate::Duplicate => {
                    if let Some(mut copy) = self.inner.alloc() {
                        let n = f.len();
                        copy.buf_mut()[..n].copy_from_slice(f.data());
                        copy.set_len(n);
                        self.duplicated += 1;
                        out.push(copy);
                    }
                    out.push(f);
                }
                super::Fate::Hold => {
                    self.reordered += 1;
                    held.push(f);
                }
            }
        }
        out.extend(held.drain(..earlier));
        let n = self.inner.tx_burst(&mut out);
        self.out = out;
        self.held = held;
        n
    }

    #[inline]
    fn alloc(&mut self) -> Option<P::Frame> {
        self.inner.alloc()
    }

    #[inline]
    fn recycle(&mut self, frame: P::Frame) {
        self.inner.recycle(frame);
    }

    fn stats(&self) -> PortStats {
        PortStats {
            lost: self.lost,
            duplicated: self.duplicated,
            reordered: self.reordered,
            ..self.inner.stats()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::loopback::{LoopPort, LoopbackConfig, loopback};

    fn pair() -> (LoopPort, LoopPort) {
        let (mut a, mut b) = loopback(&LoopbackConfig::default()).expect("ports");
        (a.remove(0), b.remove(0))
    }

    #[test]
    fn frames_are_lost_duplicated_and_held_back() {
        let (a, mut b) = pair();
        let mut a = Impaired::new(a, Impairment::lossy(0.2), 7);
        let mut got = Vec::new();
        let mut seen = Vec::new();
        for i in 0..500u32 {
            let mut f = a.alloc().expect("a free buffer");
            f.buf_mut()[..4].copy_from_slice(&i.to_be_bytes());
            f.set_len(4);
            a.tx_burst(&mut vec![f]);
            got.clear();
            b.rx_burst(&mut got, 64);
            for f in got.drain(..) {
                seen.push(u32::from_be_bytes(f.data()[..4].try_into().unwrap()));
                b.recycle(f);
            }
        }
        a.rx_burst(&mut Vec::new(), 0); // flushes the last held frame
        b.rx_burst(&mut got, 64);
        seen.extend(
            got.iter()
                .map(|f| u32::from_be_bytes(f.data()[..4].try_into().unwrap())),
        );
        let s = a.stats();
        assert!(
            s.lost > 50 && s.duplicated > 10 && s.reordered > 10,
            "{s:?}"
        );
        assert_eq!(seen.len() as u64, 500 - s.lost + s.duplicated, "{s:?}");
        assert!(seen.windows(2).any(|w| w[1] < w[0]), "nothing reordered");
    }

    #[test]
    fn without_impairment_the_port_is_untouched() {
        let (a, mut b) = pair();
        let mut a = Impaired::new(a, Impairment::NONE, 7);
        for _ in 0..100 {
            let mut f = a.alloc().expect("a free buffer");
            f.set_len(60);
            assert_eq!(a.tx_burst(&mut vec![f]), 1);
        }
        let mut got = Vec::new();
        b.rx_burst(&mut got, 256);
        assert_eq!(got.len(), 100);
        assert_eq!((a.stats().lost, a.stats().duplicated), (0, 0));
    }
}

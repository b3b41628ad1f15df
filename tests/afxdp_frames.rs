//! `XskFrame` is sound whatever safe code does with it: a frame used after
//! its port is dropped still points at mapped memory (the port keeps its
//! UMEM while frames are out), and a frame handed to another port is
//! refused and counted, never put on that port's free list or transmit
//! ring (where its offset would name a chunk that port may hand out
//! again).
//!
//! Sockets on a veth in a network namespace of their own: needs root and
//! AF_XDP (see `netns::skip`).

mod netns;

use netns::{Pair, skip};
use synwave::io::afxdp::{Interface, XskConfig, XskPort};
use synwave::io::{FrameBuf, Port};

/// Two ports, on queues 0 and 1 of side A of `pair`, in copy mode.
fn two_ports(iface: &str) -> (XskPort, XskPort) {
    let index = Interface::by_name(iface).expect("side A's veth").index;
    let cfg = XskConfig {
        frames: 256,
        ..XskConfig::default()
    };
    let open = |q| XskPort::open(index, q, &cfg, false).expect("open an AF_XDP socket");
    (open(0), open(1))
}

#[test]
fn a_frame_outlives_its_port() {
    if skip("a_frame_outlives_its_port") {
        return;
    }
    let pair = Pair::new(2);
    let iface = pair.a();
    pair.in_a(move || {
        let (mut p, mut q) = two_ports(&iface);
        let mut f = p.alloc().expect("a free chunk");
        f.set_len(1500);
        f.buf_mut()[..1500].fill(0xab);
        assert_eq!(p.frames_out(), 1);
        drop(p);
        // The port is gone; the frame's chunk is still mapped and its own.
        f.buf_mut().fill(0x5a);
        assert!(f.data().iter().all(|&b| b == 0x5a));
        // A port whose frames all came back has none out.
        let g = q.alloc().expect("a free chunk");
        assert_eq!(q.frames_out(), 1);
        q.recycle(g);
        assert_eq!(q.frames_out(), 0);
    });
}

#[test]
fn another_ports_frame_is_refused_by_recycle_and_tx_burst() {
    if skip("another_ports_frame_is_refused_by_recycle_and_tx_burst") {
        return;
    }
    let pair = Pair::new(2);
    let iface = pair.a();
    pair.in_a(move || {
        let (mut p, mut q) = two_ports(&iface);
        // Both ports have the same layout: p's first free chunk sits at
        // an offset that is free in q too.
        let f = p.alloc().expect("a free chunk");
        q.recycle(f);
        assert_eq!(q.xsk_stats().foreign_frames, 1);
        // Every chunk q hands out is handed out once: taken back, the
        // foreign frame would have put one offset on q's free list twice.
        let mut held = Vec::new();
        while let Some(g) = q.alloc() {
            held.push(g);
        }
        let mut addrs: Vec<usize> = held
            .iter_mut()
            .map(|g| g.buf_mut().as_ptr() as usize)
            .collect();
        let n = addrs.len();
        addrs.sort_unstable();
        addrs.dedup();
        assert_eq!(addrs.len(), n, "a chunk of q was handed out twice");
        assert_eq!(q.frames_out() as usize, n);
        // A foreign frame in a transmit burst is dropped from it: only
        // q's own frame goes on q's ring.
        let mut foreign = p.alloc().expect("a free chunk");
        foreign.set_len(60);
        let mut own = held.pop().expect("q handed out frames");
        own.set_len(60);
        let mut burst = vec![foreign, own];
        assert_eq!(q.tx_burst(&mut burst), 1);
        assert!(burst.is_empty());
        assert_eq!(q.xsk_stats().foreign_frames, 2);
        assert_eq!(q.stats().tx_frames, 1);
        for g in held {
            q.recycle(g);
        }
        assert_eq!(q.frames_out(), 0);
        assert_eq!(q.xsk_stats().foreign_frames, 2);
        // p lost two frames to q's refusals: they count as out, so
        // dropping p keeps its UMEM mapped for them.
        assert_eq!(p.frames_out(), 2);
    });
}

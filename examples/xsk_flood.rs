//! The raw AF_XDP ceiling of an interface, for comparing `synwave serve`
//! with it under a SYN load (tools/bench-afxdp.sh):
//!
//! ```text
//! xsk_flood tx IFACE SRC_IP DST_IP DST_MAC SECS [MODE]  # SYNs as fast as the ring takes
//!                                                        # them, source ports cycling, to DST_IP:80
//! xsk_flood rx IFACE IP SECS [MODE]                      # receive frames for IP, count, recycle
//! xsk_flood reflect IFACE IP SECS [MODE]                 # receive frames for IP and send each
//!                                                        # back, addresses and ports swapped
//! ```
//!
//! Each runs one AF_XDP socket on queue 0 through synwave's own backend
//! (`io::afxdp`), XDP MODE `auto` (default), `native` or `generic`, copy
//! mode where the driver has no zero-copy, and prints frames per second.
//! `reflect` is the raw receive/transmit ceiling that `synwave serve`
//! is held against under a SYN load: one frame out per frame in, as serve
//! answers each SYN with a SYN-ACK, with no TCP work; swapping the
//! addresses and the ports keeps every checksum valid (one's-complement
//! sums do not depend on the order of their terms).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use synwave::io::afxdp::{self, AddressRange, AfXdpConfig, Ours, XdpMode, XskConfig, ZeroCopy};
use synwave::io::{FrameBuf, Port};
use synwave::wire::{MacAddr, SeqNum, TcpFrameAddr, TcpRepr, build_tcp_frame};

#[path = "../bench/frames.rs"]
mod frames;

fn usage() -> ! {
    eprintln!(
        "usage: xsk_flood tx IFACE SRC_IP DST_IP DST_MAC SECS [MODE] | rx IFACE IP SECS [MODE] \
         | reflect IFACE IP SECS [MODE]   (MODE: auto, native or generic)"
    );
    std::process::exit(2)
}

fn mode(s: Option<&String>) -> XdpMode {
    match s.map(String::as_str) {
        None | Some("auto") => XdpMode::Auto,
        Some("native") => XdpMode::Native,
        Some("generic") => XdpMode::Generic,
        Some(_) => usage(),
    }
}

fn ip(s: &str) -> [u8; 4] {
    s.parse::<Ipv4Addr>().unwrap_or_else(|_| usage()).octets()
}

fn open(iface: &str, ours: [u8; 4], xdp_mode: XdpMode) -> afxdp::AfXdp {
    afxdp::open(&AfXdpConfig {
        iface: iface.to_string(),
        queues: vec![0],
        xsk: XskConfig::default(),
        xdp_mode,
        zero_copy: ZeroCopy::Auto,
        ours: Ours::v4(AddressRange {
            first: ours,
            count: 1,
        }),
        vlan: None,
    })
    .unwrap_or_else(|e| {
        eprintln!("xsk_flood: {e}");
        std::process::exit(2)
    })
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match a.first().map(String::as_str) {
        Some("tx") if (6..=7).contains(&a.len()) => {
            let x = open(&a[1], ip(&a[2]), mode(a.get(6)));
            tx(x, ip(&a[2]), ip(&a[3]), &a[4], &a[5])
        }
        Some(cmd @ ("rx" | "reflect")) if (4..=5).contains(&a.len()) => {
            let x = open(&a[1], ip(&a[2]), mode(a.get(4)));
            rx(x, &a[3], cmd == "reflect")
        }
        _ => usage(),
    }
}

fn secs(s: &str) -> Duration {
    Duration::from_secs_f64(s.parse().unwrap_or_else(|_| usage()))
}

fn tx(mut x: afxdp::AfXdp, src: [u8; 4], dst: [u8; 4], mac: &str, s: &str) {
    let m: Vec<u8> = mac
        .split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|_| usage()))
        .collect();
    let addr = TcpFrameAddr {
        src_mac: x.iface.mac,
        dst_mac: MacAddr(m.try_into().unwrap_or_else(|_| usage())),
        vlan: None,
        src_ip: src,
        dst_ip: dst,
    };
    let port = &mut x.ports[0];
    let mut burst = Vec::with_capacity(64);
    let (limit, started) = (secs(s), Instant::now());
    let mut sent = 0u64;
    let mut sport = 1024u16;
    while started.elapsed() < limit {
        for _ in 0..64 {
            let Some(mut f) = port.alloc() else { break };
            sport = if sport == 65535 { 1024 } else { sport + 1 };
            let syn = TcpRepr {
                seq: SeqNum(u32::from(sport) << 16),
                ..frames::linux_syn(sport)
            };
            match build_tcp_frame(f.buf_mut(), &addr, &syn, &[]) {
                Ok(n) => {
                    f.set_len(n);
                    burst.push(f);
                }
                Err(_) => port.recycle(f),
            }
        }
        sent += port.tx_burst(&mut burst) as u64;
        // Completions come back through the receive path's reaping.
        let mut none = Vec::new();
        port.rx_burst(&mut none, 0);
    }
    let t = started.elapsed().as_secs_f64();
    println!(
        "tx {sent} frames in {t:.2} s: {:.0} frames/s",
        sent as f64 / t
    );
}

fn rx(mut x: afxdp::AfXdp, s: &str, reflect: bool) {
    let port = &mut x.ports[0];
    let (mut burst, mut back) = (Vec::with_capacity(64), Vec::with_capacity(64));
    let (limit, started) = (secs(s), Instant::now());
    let (mut got, mut first, mut last) = (0u64, None, started);
    while started.elapsed() < limit {
        let n = port.rx_burst(&mut burst, 64);
        if n > 0 {
            first.get_or_insert_with(Instant::now);
            last = Instant::now();
        }
        got += n as u64;
        for mut f in burst.drain(..) {
            if reflect && swap_ends(f.buf_mut()) {
                back.push(f);
            } else {
                port.recycle(f);
            }
        }
        if !back.is_empty() {
            port.tx_burst(&mut back);
        }
    }
    // From the first frame to the last: the sender's window.
    let t = first.map_or(0.0, |f| (last - f).as_secs_f64()).max(1e-9);
    let sent = port.stats().tx_frames;
    println!(
        "rx {got} frames in {t:.2} s: {:.0} frames/s, {sent} sent back",
        got as f64 / t
    );
}

/// Swaps the Ethernet, IPv4 and TCP source and destination of an
/// untagged IPv4 TCP frame with a 20-byte IP header, in place; false (and
/// the frame untouched) for any other frame.
fn swap_ends(f: &mut [u8]) -> bool {
    if f.len() < 54 || f[12..14] != [0x08, 0x00] || f[14] != 0x45 || f[23] != 6 {
        return false;
    }
    for (a, b, n) in [(0, 6, 6), (26, 30, 4), (34, 36, 2)] {
        let (head, tail) = f.split_at_mut(b);
        head[a..a + n].swap_with_slice(&mut tail[..n]);
    }
    true
}

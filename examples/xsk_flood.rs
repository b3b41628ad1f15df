//! The raw AF_XDP ceiling of an interface, for comparing `synwave serve`
//! with it under a SYN load (tools/bench-afxdp.sh):
//!
//! ```text
//! xsk_flood tx IFACE SRC_IP DST_IP DST_MAC SECS   # SYNs as fast as the ring takes them,
//!                                                  # source ports cycling, to DST_IP:80
//! xsk_flood rx IFACE IP SECS                       # receive frames for IP, count, recycle
//! ```
//!
//! Both run one AF_XDP socket on queue 0 through synwave's own backend
//! (`io::afxdp`), native XDP, copy mode where the driver has no
//! zero-copy, and print frames per second.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use synwave::io::afxdp::{self, AddressRange, AfXdpConfig, XdpMode, XskConfig, ZeroCopy};
use synwave::io::{FrameBuf, Port};
use synwave::wire::{MacAddr, SeqNum, TcpFrameAddr, TcpRepr, build_tcp_frame};

#[path = "../bench/frames.rs"]
mod frames;

fn usage() -> ! {
    eprintln!("usage: xsk_flood tx IFACE SRC_IP DST_IP DST_MAC SECS | rx IFACE IP SECS");
    std::process::exit(2)
}

fn ip(s: &str) -> [u8; 4] {
    s.parse::<Ipv4Addr>().unwrap_or_else(|_| usage()).octets()
}

fn open(iface: &str, ours: [u8; 4]) -> afxdp::AfXdp {
    afxdp::open(&AfXdpConfig {
        iface: iface.to_string(),
        queues: vec![0],
        xsk: XskConfig::default(),
        xdp_mode: XdpMode::Auto,
        zero_copy: ZeroCopy::Auto,
        ours: AddressRange {
            first: ours,
            count: 1,
        },
    })
    .unwrap_or_else(|e| {
        eprintln!("xsk_flood: {e}");
        std::process::exit(2)
    })
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match a.first().map(String::as_str) {
        Some("tx") if a.len() == 6 => tx(&a[1], ip(&a[2]), ip(&a[3]), &a[4], &a[5]),
        Some("rx") if a.len() == 4 => rx(&a[1], ip(&a[2]), &a[3]),
        _ => usage(),
    }
}

fn secs(s: &str) -> Duration {
    Duration::from_secs_f64(s.parse().unwrap_or_else(|_| usage()))
}

fn tx(iface: &str, src: [u8; 4], dst: [u8; 4], mac: &str, s: &str) {
    let mut x = open(iface, src);
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

fn rx(iface: &str, ours: [u8; 4], s: &str) {
    let mut x = open(iface, ours);
    let port = &mut x.ports[0];
    let mut burst = Vec::with_capacity(64);
    let (limit, started) = (secs(s), Instant::now());
    let (mut got, mut first, mut last) = (0u64, None, started);
    while started.elapsed() < limit {
        let n = port.rx_burst(&mut burst, 64);
        if n > 0 {
            first.get_or_insert_with(Instant::now);
            last = Instant::now();
        }
        got += n as u64;
        for f in burst.drain(..) {
            port.recycle(f);
        }
    }
    // From the first frame to the last: the sender's window.
    let t = first.map_or(0.0, |f| (last - f).as_secs_f64()).max(1e-9);
    println!(
        "rx {got} frames in {t:.2} s: {:.0} frames/s",
        got as f64 / t
    );
}

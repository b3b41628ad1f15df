//! Frames shared by the benchmarks, `examples/syn_loop.rs` and
//! `tests/syn_prediction.rs` (each includes this file with `#[path]`): a
//! Linux-like SYN to 10.0.0.1:80.

// Each includer uses only some of these.
#![allow(dead_code)]

use synwave::wire::{
    MacAddr, SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpRepr, Timestamps, build_tcp_frame,
};

/// The client's addressing.
pub fn client_addr() -> TcpFrameAddr {
    TcpFrameAddr {
        src_mac: MacAddr([2, 0, 0, 0, 1, 1]),
        dst_mac: MacAddr([2, 0, 0, 0, 2, 2]),
        vlan: None,
        src_ip: [10, 1, 0, 7],
        dst_ip: [10, 0, 0, 1],
    }
}

/// A SYN as Linux sends it, from `src_port` to port 80: MSS,
/// SACK-permitted, timestamps and window scale.
pub fn linux_syn(src_port: u16) -> TcpRepr {
    TcpRepr {
        src_port,
        dst_port: 80,
        seq: SeqNum(0x3a5b_1c0d),
        ack: SeqNum(0),
        flags: TcpFlags::SYN,
        window: 64240,
        options: TcpOptions {
            mss: Some(1460),
            wscale: Some(7),
            sack_permitted: true,
            timestamps: Some(Timestamps {
                tsval: 1_000_000,
                tsecr: 0,
            }),
        },
    }
}

/// `linux_syn(40000)` from `client_addr()` as a 74-byte frame.
pub fn syn_frame() -> Vec<u8> {
    let syn = linux_syn(40000);
    let mut buf = vec![0u8; 128];
    let n = build_tcp_frame(&mut buf, &client_addr(), &syn, &[]).expect("fits");
    buf.truncate(n);
    buf
}

/// The client's addressing over IPv6: fd00::1:7 to fd00::1.
pub fn client_addr6() -> TcpFrameAddr<[u8; 16]> {
    TcpFrameAddr {
        src_mac: MacAddr([2, 0, 0, 0, 1, 1]),
        dst_mac: MacAddr([2, 0, 0, 0, 2, 2]),
        vlan: None,
        src_ip: std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, 7).octets(),
        dst_ip: std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1).octets(),
    }
}

/// `linux_syn(40000)` from `client_addr6()` as a 94-byte frame.
pub fn syn_frame6() -> Vec<u8> {
    let syn = linux_syn(40000);
    let mut buf = vec![0u8; 160];
    let n = build_tcp_frame(&mut buf, &client_addr6(), &syn, &[]).expect("fits");
    buf.truncate(n);
    buf
}

/// Clients the SYN benchmarks rotate through (the cookie's keyed hash
/// sees a new client address at each SYN, as in a flood or under many
/// clients, not one address whose work could be remembered).
pub const CLIENTS: usize = 1024;

/// `linux_syn(40000)` as a frame from each of `CLIENTS` IPv4 addresses
/// (10.1.x.y) to `client_addr().dst_ip`.
pub fn syn_frames() -> Vec<Vec<u8>> {
    (0..CLIENTS)
        .map(|i| {
            let mut addr = client_addr();
            addr.src_ip = [10, 1, (i >> 8) as u8, i as u8];
            let mut buf = vec![0u8; 128];
            let n = build_tcp_frame(&mut buf, &addr, &linux_syn(40000), &[]).expect("fits");
            buf.truncate(n);
            buf
        })
        .collect()
}

/// The same from each of `CLIENTS` IPv6 addresses (fd00::1:x) to
/// `client_addr6().dst_ip`.
pub fn syn_frames6() -> Vec<Vec<u8>> {
    (0..CLIENTS)
        .map(|i| {
            let mut addr = client_addr6();
            addr.src_ip = std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, i as u16).octets();
            let mut buf = vec![0u8; 160];
            let n = build_tcp_frame(&mut buf, &addr, &linux_syn(40000), &[]).expect("fits");
            buf.truncate(n);
            buf
        })
        .collect()
}

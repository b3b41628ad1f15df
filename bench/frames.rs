//! Frames shared by the benchmarks: a Linux-like SYN to 10.0.0.1:80.

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

/// A SYN with MSS, SACK-permitted, timestamps and window scale (74 bytes).
pub fn syn_frame() -> Vec<u8> {
    let syn = TcpRepr {
        src_port: 40000,
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
    };
    let mut buf = vec![0u8; 128];
    let n = build_tcp_frame(&mut buf, &client_addr(), &syn, &[]).expect("fits");
    buf.truncate(n);
    buf
}

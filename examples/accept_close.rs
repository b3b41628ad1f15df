//! A Linux kernel accept-and-close TCP server, the baseline `synwave gen`
//! is compared with (tools/bench-afxdp.sh): `THREADS` threads accept on
//! one listening socket (backlog 65,535) and close each connection at
//! once, counting accepts; prints the count when it ends after `SECS`.
//!
//! Usage: accept_close ADDR:PORT [THREADS] [SECS]

use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: accept_close ADDR:PORT [THREADS] [SECS]");
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let l = TcpListener::bind(addr).expect("bind");
    // Safety: re-listen on our own socket with a larger backlog.
    unsafe { libc::listen(l.as_raw_fd(), 65535) };
    let count = Arc::new(AtomicU64::new(0));
    for _ in 0..threads {
        let l = l.try_clone().expect("clone listener");
        let count = count.clone();
        std::thread::spawn(move || {
            while let Ok((s, _)) = l.accept() {
                count.fetch_add(1, Ordering::Relaxed);
                drop(s);
            }
        });
    }
    eprintln!("accept_close: listening on {addr} with {threads} thread(s) for {secs} s");
    std::thread::sleep(Duration::from_secs(secs));
    println!("accepted {}", count.load(Ordering::Relaxed));
}

//! Linux kernel TCP clients, the baseline load for `synwave serve` and
//! the Linux accept-and-close server in `tools/compare.sh`: `THREADS`
//! threads connect to ADDR:PORT and close each connection at once with a
//! RST (SO_LINGER 0, so that no TIME-WAIT holds the client's ports), for
//! `SECS` seconds; prints `connects N failed M secs S` at the end.
//!
//! Usage: connect_close ADDR:PORT [THREADS] [SECS]

use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: connect_close ADDR:PORT [THREADS] [SECS]");
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let secs: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10.0);
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (ok, failed) = (ok.clone(), failed.clone());
            std::thread::spawn(move || {
                while Instant::now() < end {
                    match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                        Ok(s) => {
                            let l = libc::linger {
                                l_onoff: 1,
                                l_linger: 0,
                            };
                            // Safety: a valid socket and a linger struct of
                            // the size passed.
                            unsafe {
                                libc::setsockopt(
                                    s.as_raw_fd(),
                                    libc::SOL_SOCKET,
                                    libc::SO_LINGER,
                                    &l as *const libc::linger as *const libc::c_void,
                                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                                )
                            };
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    println!(
        "connects {} failed {} secs {:.3}",
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
}

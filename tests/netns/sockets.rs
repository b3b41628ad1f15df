//! Kernel sockets the tests open by hand, for what `std` does not set:
//! a receive buffer fixed before the handshake.

use std::net::TcpStream;
use std::os::fd::FromRawFd;

/// A kernel TCP socket with a `rcvbuf`-byte receive buffer, connected to
/// `ip`:`port` (the buffer is set before the handshake, so the window the
/// SYN offers already follows it).
pub fn connect_with_rcvbuf(ip: std::net::Ipv4Addr, port: u16, rcvbuf: i32) -> TcpStream {
    // Safety: a plain socket call; the descriptor is owned by the stream
    // built from it below (or closed on the error paths).
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // Safety: `fd` is ours and `rcvbuf` lives across the call with the
    // size passed.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &rcvbuf as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "SO_RCVBUF: {}", std::io::Error::last_os_error());
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    // Safety: `addr` is a valid sockaddr_in of the size passed.
    let r = unsafe {
        libc::connect(
            fd,
            &addr as *const libc::sockaddr_in as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        // Safety: `fd` is ours and not used after.
        unsafe { libc::close(fd) };
        panic!("connect: {e}");
    }
    // Safety: `fd` is an open, connected socket owned by nobody else.
    unsafe { TcpStream::from_raw_fd(fd) }
}

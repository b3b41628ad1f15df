//! A raw Ethernet socket (AF_PACKET) on one end of the veth pair, and a
//! hand-driven TCP client on it: the tests send exactly the frames they
//! mean (malformed ones, blind RSTs and SYNs with known sequence numbers)
//! and see every frame that comes back.
//!
//! The client uses an address that no namespace owns ([`RAW_IP`]): the
//! kernel on that side drops synwave's answers to it (not its address,
//! no forwarding) instead of resetting connections it never opened, and
//! the raw socket still sees them. synwave answers the source MAC of the
//! frames it receives, so no ARP is needed.
//!
//! Every receive is bounded in time.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};
use synwave::wire::{
    Frame, MacAddr, SeqNum, TcpFlags, TcpFrameAddr, TcpOptions, TcpRepr, build_tcp_frame,
    parse_frame,
};

/// The raw client's address: on the pair's subnet, owned by nobody.
pub const RAW_IP: [u8; 4] = [10, 99, 0, 77];

/// The MAC address of `iface` in namespace `ns`.
pub fn mac_of(ns: &str, iface: &str) -> MacAddr {
    let out = std::process::Command::new("ip")
        .args(["-n", ns, "link", "show", "dev", iface])
        .output()
        .expect("ip link show");
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text
        .split_whitespace()
        .skip_while(|w| *w != "link/ether")
        .nth(1)
        .unwrap_or_else(|| panic!("no link/ether in {text}"));
    let mut mac = [0u8; 6];
    for (b, h) in mac.iter_mut().zip(hex.split(':')) {
        *b = u8::from_str_radix(h, 16).expect("hex MAC");
    }
    MacAddr(mac)
}

/// An AF_PACKET socket bound to one interface, seeing every frame.
pub struct RawSocket {
    fd: OwnedFd,
    ifindex: i32,
}

const ETH_P_ALL_BE: u16 = (libc::ETH_P_ALL as u16).to_be();

impl RawSocket {
    /// Opens a raw socket on `iface` of the calling thread's namespace
    /// (call it inside `Pair::in_b`); it keeps that namespace when used
    /// from other threads.
    pub fn open(iface: &str) -> RawSocket {
        let name = std::ffi::CString::new(iface).expect("interface name");
        // Safety: a valid NUL-terminated name.
        let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) } as i32;
        assert!(ifindex > 0, "no interface {iface}");
        // Safety: a plain socket call; the descriptor is owned below.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(ETH_P_ALL_BE)) };
        assert!(fd >= 0, "AF_PACKET: {}", std::io::Error::last_os_error());
        // Safety: `fd` is a new descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let sock = RawSocket { fd, ifindex };
        // Room for the answers to a burst (root may exceed rmem_max).
        let size: libc::c_int = 32 << 20;
        // Safety: a valid socket and an int of the size passed.
        let r = unsafe {
            libc::setsockopt(
                sock.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                &size as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0, "SO_RCVBUFFORCE: {}", std::io::Error::last_os_error());
        let addr = sock.addr();
        // Safety: `addr` is a valid sockaddr_ll of the size passed.
        let r = unsafe {
            libc::bind(
                sock.fd.as_raw_fd(),
                &addr as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0, "bind AF_PACKET: {}", std::io::Error::last_os_error());
        sock
    }

    fn addr(&self) -> libc::sockaddr_ll {
        // Safety: sockaddr_ll is plain data; all zeroes is valid.
        let mut a: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        a.sll_family = libc::AF_PACKET as u16;
        a.sll_protocol = ETH_P_ALL_BE;
        a.sll_ifindex = self.ifindex;
        a.sll_halen = 6;
        a
    }

    /// Sends one whole Ethernet frame.
    pub fn send(&self, frame: &[u8]) {
        let addr = self.addr();
        // Safety: `frame` is valid for its length; `addr` as in `open`.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                frame.as_ptr() as *const libc::c_void,
                frame.len(),
                0,
                &addr as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        assert_eq!(
            n,
            frame.len() as isize,
            "send {} bytes: {}",
            frame.len(),
            std::io::Error::last_os_error()
        );
    }

    /// The next frame that arrived on the interface (not one sent from
    /// it), waiting at most `limit`.
    pub fn recv(&self, limit: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + limit;
        let mut buf = vec![0u8; 2048];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut p = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // Safety: one valid pollfd.
            let r = unsafe { libc::poll(&mut p, 1, left.as_millis().min(1_000) as i32) };
            if r <= 0 {
                if Instant::now() >= deadline {
                    return None;
                }
                continue;
            }
            // Safety: as in `addr`.
            let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            // Safety: `buf` and `from` are valid for the sizes passed.
            let n = unsafe {
                libc::recvfrom(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    libc::MSG_DONTWAIT,
                    &mut from as *mut libc::sockaddr_ll as *mut libc::sockaddr,
                    &mut len,
                )
            };
            if n > 0 && from.sll_pkttype != libc::PACKET_OUTGOING {
                return Some(buf[..n as usize].to_vec());
            }
        }
    }
}

/// One TCP connection of the raw client, as it stands.
#[derive(Clone, Copy, Debug)]
pub struct RawConn {
    pub port: u16,
    /// Our next sequence number (the server's RCV.NXT).
    pub next: u32,
    /// The server's next sequence number (our RCV.NXT).
    pub peer_next: u32,
}

/// A TCP client driven by hand over a [`RawSocket`], from [`RAW_IP`] to
/// `server`:`server_port`.
pub struct RawClient {
    pub sock: RawSocket,
    pub addr: TcpFrameAddr,
    pub server_port: u16,
}

/// A TCP segment received, as the raw client reads it.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    pub dst_port: u16,
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub payload: usize,
}

impl RawClient {
    /// A client on the pair's side B toward synwave's `port` on side A
    /// (`SYNWAVE_IP`).
    pub fn toward_synwave(pair: &super::Pair, port: u16) -> RawClient {
        let b = pair.b();
        let sock = pair.in_b(move || RawSocket::open(&b));
        RawClient::new(
            sock,
            mac_of(&pair.b(), &pair.b()),
            mac_of(&pair.a(), &pair.a()),
            super::SYNWAVE_IP.octets(),
            port,
        )
    }

    /// A client on `sock` (namespace B's end, MAC `ours`) toward the
    /// server at `server_mac`, `server_ip`:`server_port`.
    pub fn new(
        sock: RawSocket,
        ours: MacAddr,
        server_mac: MacAddr,
        server_ip: [u8; 4],
        server_port: u16,
    ) -> RawClient {
        RawClient {
            sock,
            addr: TcpFrameAddr {
                src_mac: ours,
                dst_mac: server_mac,
                vlan: None,
                src_ip: RAW_IP,
                dst_ip: server_ip,
            },
            server_port,
        }
    }

    /// A frame of ours carrying `seg` and `payload`.
    pub fn frame(&self, seg: &TcpRepr, payload: &[u8]) -> Vec<u8> {
        let mut buf = vec![0u8; 2048];
        let n = build_tcp_frame(&mut buf, &self.addr, seg, payload).expect("fits");
        buf.truncate(n);
        buf
    }

    /// Sends a segment from `port` with these flags and numbers.
    pub fn send(&self, port: u16, flags: TcpFlags, seq: u32, ack: u32, payload: &[u8]) {
        let seg = TcpRepr {
            src_port: port,
            dst_port: self.server_port,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 65535,
            options: if flags.syn() {
                TcpOptions {
                    mss: Some(1460),
                    ..TcpOptions::default()
                }
            } else {
                TcpOptions::default()
            },
        };
        self.sock.send(&self.frame(&seg, payload));
    }

    /// The next TCP segment from the server to us, at most `limit` away;
    /// other frames (the kernel's own traffic) are skipped.
    pub fn next_segment(&self, limit: Duration) -> Option<Seen> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let f = self.sock.recv(left)?;
            if let Ok(Frame::Tcp(t)) = parse_frame(&f, true)
                && t.ip.dst == RAW_IP
                && t.tcp.src_port == self.server_port
            {
                return Some(Seen {
                    dst_port: t.tcp.dst_port,
                    flags: t.tcp.flags,
                    seq: t.tcp.seq.0,
                    ack: t.tcp.ack.0,
                    payload: t.payload.len(),
                });
            }
        }
    }

    /// The next segment to `port` matching `want`, at most `limit` away
    /// (others are skipped).
    pub fn expect(&self, port: u16, limit: Duration, want: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_segment(left) {
                Some(s) if s.dst_port == port && want(&s) => return s,
                Some(_) => {}
                None => panic!("no matching segment to port {port} within {limit:?}"),
            }
        }
    }

    /// A three-way handshake from `port` (our ISN `isn`).
    pub fn connect(&self, port: u16, isn: u32) -> RawConn {
        self.send(port, TcpFlags::SYN, isn, 0, &[]);
        let sa = self.expect(port, Duration::from_secs(5), |s| {
            s.flags.syn() && s.flags.ack() && s.ack == isn.wrapping_add(1)
        });
        let conn = RawConn {
            port,
            next: isn.wrapping_add(1),
            peer_next: sa.seq.wrapping_add(1),
        };
        self.send(port, TcpFlags::ACK, conn.next, conn.peer_next, &[]);
        conn
    }
}

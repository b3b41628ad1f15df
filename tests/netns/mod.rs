//! Shared by the tests that run synwave on a veth pair between two
//! network namespaces next to the Linux kernel's TCP stack: the pair
//! (created with `tools/netns.sh`, named `sw<pid>…`, removed on drop even
//! when the test fails), a synwave process in namespace A (ended by pid,
//! SIGTERM, then SIGKILL), and kernel sockets in namespace B (a thread
//! that joins it with setns).
//!
//! Every wait is bounded in time. Tests skip, saying why, only when not
//! root or when the kernel has no AF_XDP sockets, and under `CI=true`
//! they fail instead (`skip`'s rule); a missing `ip` or `ethtool` is a
//! failure (`.ci/run` installs them).

#![allow(dead_code)]

pub mod raw;
pub mod routed;
pub mod skip;
pub mod sockets;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// synwave's address in namespace A.
pub const SYNWAVE_IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
/// The kernel's address in namespace B.
pub const KERNEL_IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
/// synwave's IPv6 address on side A (tools/netns.sh: the /64 of side B).
pub const SYNWAVE_IP6: std::net::Ipv6Addr = std::net::Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 1);
/// The kernel's IPv6 address on side B.
pub const KERNEL_IP6: std::net::Ipv6Addr = std::net::Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 2);

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Why these tests cannot run here, if they cannot.
pub fn skip_reason() -> Option<String> {
    // Safety: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root for network namespaces and AF_XDP (CI runs as root)".into());
    }
    // Safety: a plain socket call; closed at once.
    let fd = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW, 0) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EAFNOSUPPORT) {
            return Some("this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS)".into());
        }
    } else {
        // Safety: `fd` is ours.
        unsafe { libc::close(fd) };
    }
    for tool in ["ip", "ethtool"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "{tool} is missing: .ci/run installs it (apt-get install iproute2 ethtool)"
        );
    }
    None
}

/// True when `test` cannot run here (not root, no AF_XDP), after saying
/// why; under `CI=true` it fails instead (see `skip::skip`).
pub fn skip(test: &str) -> bool {
    skip::skip(test, skip_reason().as_deref())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A veth pair between namespaces `<name>a` and `<name>b`, removed on
/// drop.
pub struct Pair {
    pub name: String,
}

impl Pair {
    /// A new pair with `queues` queues per end.
    pub fn new(queues: u32) -> Pair {
        let name = format!(
            "sw{}x{}",
            std::process::id() % 100_000,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let pair = Pair { name };
        let out = Command::new(repo().join("tools/netns.sh"))
            .args(["up", &pair.name, &queues.to_string()])
            .output()
            .expect("run tools/netns.sh");
        assert!(
            out.status.success(),
            "tools/netns.sh up {} failed: {}",
            pair.name,
            String::from_utf8_lossy(&out.stderr)
        );
        pair
    }

    /// Namespace (and interface) of side A (synwave).
    pub fn a(&self) -> String {
        format!("{}a", self.name)
    }

    /// Namespace (and interface) of side B (the kernel).
    pub fn b(&self) -> String {
        format!("{}b", self.name)
    }

    /// `ip link show` of side A's interface.
    pub fn link_a(&self) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.a(), "link", "show", "dev", &self.a()])
            .output()
            .expect("ip link");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `f` on a thread inside namespace B and returns its result.
    pub fn in_b<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        in_netns(&self.b(), f)
    }

    /// Runs `f` on a thread inside namespace A and returns its result.
    pub fn in_a<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        in_netns(&self.a(), f)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("tools/netns.sh"))
            .args(["down", &self.name])
            .status();
    }
}

/// Runs `f` on a new thread that has joined network namespace `ns`.
pub fn in_netns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
        // Safety: `file` is an open namespace file; setns changes only
        // this thread's network namespace.
        let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(r, 0, "setns {path}: {}", std::io::Error::last_os_error());
        f()
    })
    .join()
    .expect("namespace thread")
}

/// The kernel's TCP counters of the calling thread's namespace
/// (`/proc/thread-self/net/snmp`), by name: `RetransSegs`, …
pub fn tcp_snmp() -> std::collections::HashMap<String, u64> {
    let text = std::fs::read_to_string("/proc/thread-self/net/snmp").expect("read snmp");
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("Tcp:")).collect();
    let names = lines[0].split_whitespace().skip(1);
    let values = lines[1].split_whitespace().skip(1);
    names
        .zip(values)
        .map(|(n, v)| (n.to_string(), v.parse().unwrap_or(0)))
        .collect()
}

/// A synwave process running in a namespace.
pub struct Synwave {
    child: Child,
    pub json: PathBuf,
    stderr: mpsc::Receiver<String>,
    pub log: Vec<String>,
}

impl Synwave {
    /// Starts `synwave ARGS… --json FILE` in namespace `ns` and waits (at
    /// most 20 s) for it to say it runs (`ready` in a line of stderr).
    pub fn start(ns: &str, args: &[&str], ready: &str) -> Synwave {
        let json = std::env::temp_dir().join(format!(
            "synwave-test-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&json);
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_synwave")])
            .args(args)
            .arg("--json")
            .arg(&json)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start synwave");
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                println!("synwave: {line}");
            }
        });
        let mut s = Synwave {
            child,
            json,
            stderr: rx,
            log: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match s.stderr.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    eprintln!("synwave: {line}");
                    let done = line.contains(ready);
                    s.log.push(line);
                    if done {
                        return s;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = s.child.wait();
                    panic!(
                        "synwave exited before it was ready ({status:?}): {:?}",
                        s.log
                    );
                }
            }
            if Instant::now() >= deadline {
                panic!("synwave not ready within 20 s: {:?}", s.log);
            }
        }
    }

    /// `synwave serve` on `iface` in namespace `ns` for `ip`, port 80,
    /// with `extra` flags, once it says it runs.
    pub fn serve(ns: &str, iface: &str, ip: &str, extra: &[&str]) -> Synwave {
        let mut args = vec![
            "serve", "--iface", iface, "--ip", ip, "--port", "80", "--quiet",
        ];
        args.extend_from_slice(extra);
        Synwave::start(ns, &args, "Ctrl-C to stop")
    }

    fn drain_log(&mut self) {
        while let Ok(line) = self.stderr.try_recv() {
            eprintln!("synwave: {line}");
            self.log.push(line);
        }
    }

    /// Sends `signal` to the process (`ip netns exec` execs synwave, so
    /// the pid is synwave's).
    pub fn signal(&self, signal: i32) {
        // Safety: a signal to our own child, by pid.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Waits (at most `limit`) for a run that ends by itself (`gen`):
    /// its JSON summary, the run checked to have succeeded.
    pub fn finish(mut self, limit: Duration) -> serde_json::Value {
        let st = self.wait(limit);
        let j = take_json(&self.json);
        assert!(st.success(), "synwave exited with {st:?}: {j}");
        j
    }

    /// Waits (at most `limit`) for the process to exit; SIGKILL after.
    pub fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            self.drain_log();
            if let Some(st) = self.child.try_wait().expect("wait") {
                self.drain_log();
                return st;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let st = self.child.wait().expect("wait");
                self.drain_log();
                panic!(
                    "synwave did not exit within {limit:?}; killed ({st:?}): {:?}",
                    self.log
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the JSON summary it wrote.
    pub fn stop(mut self) -> serde_json::Value {
        self.signal(libc::SIGTERM);
        let st = self.wait(Duration::from_secs(20));
        assert!(st.success(), "synwave exited with {st:?}: {:?}", self.log);
        let text = std::fs::read_to_string(&self.json)
            .unwrap_or_else(|e| panic!("no JSON summary at {}: {e}", self.json.display()));
        let _ = std::fs::remove_file(&self.json);
        serde_json::from_str(&text).expect("JSON summary")
    }
}

impl Drop for Synwave {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How a kernel client ends each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientClose {
    /// close(): FIN.
    Fin,
    /// SO_LINGER 0, then close(): RST.
    Rst,
}

/// What the kernel clients saw.
#[derive(Debug, Default)]
pub struct ClientTally {
    pub connected: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    pub retrans_segs: u64,
}

/// `total` connect + close from namespace B to `to`, over `threads`
/// threads, each connect bounded by a 3 s timeout; the whole run by
/// `limit`.
pub fn kernel_clients(
    pair: &Pair,
    to: impl Into<SocketAddr>,
    total: u64,
    threads: u64,
    close: ClientClose,
    limit: Duration,
) -> ClientTally {
    kernel_clients_waiting(
        pair,
        to,
        total,
        threads,
        close,
        limit,
        Duration::from_secs(3),
    )
}

/// As `kernel_clients`, each connect bounded by `connect_limit` (the
/// kernel retries a SYN after 1, 3, 7, 15 s).
pub fn kernel_clients_waiting(
    pair: &Pair,
    to: impl Into<SocketAddr>,
    total: u64,
    threads: u64,
    close: ClientClose,
    limit: Duration,
    connect_limit: Duration,
) -> ClientTally {
    let to = to.into();
    pair.in_b(move || {
        let before = tcp_snmp();
        let deadline = Instant::now() + limit;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let n = total / threads + u64::from(t < total % threads);
                std::thread::spawn(move || {
                    let mut tally = ClientTally::default();
                    for _ in 0..n {
                        if Instant::now() >= deadline {
                            tally.failed += 1;
                            continue;
                        }
                        match TcpStream::connect_timeout(&to, connect_limit) {
                            Ok(s) => {
                                tally.connected += 1;
                                if close == ClientClose::Rst {
                                    set_linger_zero(&s);
                                }
                                drop(s);
                            }
                            Err(e) => {
                                tally.failed += 1;
                                tally.first_error.get_or_insert(e.to_string());
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        // The threads spawned here inherit this thread's namespace.
        let mut all = ClientTally::default();
        for h in handles {
            let t = h.join().expect("client thread");
            all.connected += t.connected;
            all.failed += t.failed;
            if all.first_error.is_none() {
                all.first_error = t.first_error;
            }
        }
        let after = tcp_snmp();
        let count =
            |m: &std::collections::HashMap<String, u64>| m.get("RetransSegs").copied().unwrap_or(0);
        all.retrans_segs = count(&after) - count(&before);
        all
    })
}

fn set_linger_zero(s: &TcpStream) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // Safety: a valid socket and a linger struct of the size passed.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &l as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "SO_LINGER");
}

/// A kernel accept-and-close server in namespace `ns` on `ip`:`port`:
/// accepts until `stop` is set or `limit` passes, closing each connection
/// at once, then takes what is left in the accept queue; returns the
/// number accepted.
pub fn kernel_listener(
    ns: &str,
    ip: impl Into<std::net::IpAddr>,
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    limit: Duration,
) -> std::thread::JoinHandle<u64> {
    let path = format!("/var/run/netns/{ns}");
    let ip = ip.into();
    let (ready_tx, ready_rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        let file = std::fs::File::open(&path).expect("open netns");
        // Safety: as in `in_netns`.
        let r = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
        let l = TcpListener::bind(SocketAddr::new(ip, port)).expect("bind listener");
        l.set_nonblocking(true).expect("nonblocking");
        ready_tx.send(()).expect("ready");
        let deadline = Instant::now() + limit;
        let mut accepted = 0u64;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            match l.accept() {
                Ok((s, _)) => {
                    accepted += 1;
                    drop(s);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
        // Connections whose handshake completed before the stop but that
        // were not accepted yet are still in the queue: take them too.
        while let Ok((s, _)) = l.accept() {
            accepted += 1;
            drop(s);
        }
        accepted
    });
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("listener ready");
    h
}

/// The frames of a pcap file (classic format, as `--pcap` writes it).
pub fn pcap_frames(path: &std::path::Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() >= 24, "no pcap header in {}", path.display());
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16;
        frames.push(bytes[at..(at + caplen).min(bytes.len())].to_vec());
        at += caplen;
    }
    frames
}

/// The value after `key` on its line of ab's report ("Failed requests:
/// 0"), if the line is there.
pub fn ab_field(report: &str, key: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// `count` kernel connections from side B to `serve --ip IP` on side A
/// (run with `extra` flags) at `to`, each closed as `close`: every one
/// connects, the clients' kernel retransmits almost nothing, serve
/// established each and holds no record at the end, and nothing was
/// malformed; serve's summary.
pub fn kernel_clients_against_serve(
    ip: &str,
    to: impl Into<SocketAddr>,
    extra: &[&str],
    close: ClientClose,
    count: u64,
) -> serde_json::Value {
    let pair = Pair::new(1);
    let s = Synwave::serve(&pair.a(), &pair.a(), ip, extra);
    let t = kernel_clients(&pair, to, count, 4, close, Duration::from_secs(120));
    let j = s.stop();
    eprintln!("clients: {t:?}");
    assert_eq!(t.connected, count, "every connect succeeds: {t:?}");
    assert_eq!(t.failed, 0, "{t:?}");
    // Near zero: a retransmission only when a frame is lost on the way.
    assert!(
        t.retrans_segs <= count / 1000,
        "client kernel retransmitted {} segments",
        t.retrans_segs
    );
    assert_eq!(num(&j, "established"), count, "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
    assert_eq!(counter(&j, "drop_malformed"), 0, "{j}");
    j
}

/// The JSON summary a run wrote to `path`, read and the file removed.
pub fn take_json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no JSON summary at {}: {e}", path.display()));
    let _ = std::fs::remove_file(path);
    serde_json::from_str(&text).expect("a JSON summary")
}

/// A number from the JSON summary.
pub fn num(j: &serde_json::Value, key: &str) -> u64 {
    j[key]
        .as_u64()
        .or_else(|| j[key].as_f64().map(|f| f as u64))
        .unwrap_or_else(|| panic!("no number '{key}' in {j}"))
}

/// A counter of the JSON summary (`counters.NAME`).
pub fn counter(j: &serde_json::Value, name: &str) -> u64 {
    j["counters"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter '{name}' in {}", j["counters"]))
}

/// Waits (at most 30 s) until `child`, a tshark just started with its
/// stderr piped, says it captures; its stderr is drained to the end on a
/// thread of its own, so that it never blocks on a full pipe.
pub fn wait_until_capturing(child: &mut Child) {
    let err = child.stderr.take().expect("tshark's stderr is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(l) if l.contains("Capturing on") => return,
            _ if Instant::now() > deadline => panic!("tshark did not start within 30 s"),
            _ => {}
        }
    }
}

/// The path of `tool`; panics, naming the install step, when it is
/// missing (`.ci/run` installs the tools the tests use).
pub fn need(tool: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
        let p = std::path::Path::new(dir).join(tool);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "{tool} is missing: .ci/run installs it (tools/install-test-deps.sh, apt-get install {package})"
    );
}

/// `hping3 ARGS… 10.99.0.1` in namespace B for `secs` seconds (SIGINT
/// then), started now.
pub fn hping3(pair: &Pair, args: &[&str], secs: u32) -> Child {
    Command::new("ip")
        .args(["netns", "exec", &pair.b(), "timeout", "-s", "INT"])
        .arg(secs.to_string())
        .arg("hping3")
        .args(args)
        .arg(SYNWAVE_IP.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hping3")
}

/// How many packets more than it reports hping3 may have sent: its count,
/// taken as SIGINT stops it, misses a packet sent between the send and the
/// count's increment (seen: one short).
pub const HPING3_UNCOUNTED: u64 = 16;

/// The packets hping3 says it sent (up to [`HPING3_UNCOUNTED`] short).
pub fn hping3_sent(child: Child) -> u64 {
    let out = child.wait_with_output().expect("hping3");
    let report = String::from_utf8_lossy(&out.stderr);
    report
        .lines()
        .find_map(|l| {
            l.split(" packets transmitted")
                .next()
                .filter(|_| l.contains("packets transmitted"))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no hping3 report: {report}"))
}

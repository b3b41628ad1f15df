//! `--metrics-addr HOST:PORT`: the workers' boards in the Prometheus text
//! exposition format (version 0.0.4), served over HTTP/1.1 by a thread of
//! its own, so that an existing Prometheus can scrape every synwave
//! instance (one per NIC or host) and sum them (`sum by (role)`).
//!
//! Each metric is one series per worker, labelled `role` ("generator" or
//! "responder") and `worker` (its index); counters end in `_total`, the
//! gauges (`metrics::GAUGES`, and `records_peak`, a high-water mark) do
//! not. The latencies are histograms in seconds, `synwave_handshake_seconds`,
//! `synwave_first_byte_seconds` and `synwave_lifetime_seconds`, with
//! power-of-two buckets from 1 µs to 4.2 s (`endpoint::Buckets`), so that
//! `histogram_quantile` works on their sum over instances. Where a worker
//! runs IPv6 beside IPv4, its results are also given by family:
//! `synwave_family_established_total`, `…_completed_total` and
//! `…_failed_total`, labelled `family` ("ipv4" or "ipv6") besides `role`
//! and `worker`. Scrapes read the boards only: workers never wait for
//! them.
//!
//! Rules: one connection at a time, each bounded by a 2 s read timeout
//! and a 64 KiB request; `GET /metrics` (or `/`) is answered, anything
//! else is a 404; the thread ends when the server is dropped.

use super::board::{Board, FAMILIES};
use super::sample::{GAUGES, names};
use crate::endpoint::Buckets;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// One worker's board and how its series are labelled.
#[derive(Clone, Debug)]
pub struct Source {
    /// The worker's board.
    pub board: Arc<Board>,
    /// "generator" or "responder".
    pub role: &'static str,
    /// The worker's index.
    pub worker: usize,
}

/// The metrics endpoint; stops when dropped.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Metrics that are levels, not counts since the start.
fn is_gauge(name: &str) -> bool {
    GAUGES.contains(&name) || name == "records_peak"
}

/// The exposition of `sources` now.
pub fn render(sources: &[Source]) -> String {
    let names = names();
    let values: Vec<Vec<u64>> = sources
        .iter()
        .map(|s| {
            let mut v = Vec::new();
            s.board.add_to(&mut v, names.len());
            v
        })
        .collect();
    let mut out = String::with_capacity(names.len() * 160 * sources.len().max(1));
    for (i, name) in names.iter().enumerate() {
        let (full, kind) = if is_gauge(name) {
            (format!("synwave_{name}"), "gauge")
        } else {
            (format!("synwave_{name}_total"), "counter")
        };
        let _ = writeln!(
            out,
            "# HELP {full} synwave's {name} (see docs/scale-out.md)."
        );
        let _ = writeln!(out, "# TYPE {full} {kind}");
        for (s, v) in sources.iter().zip(&values) {
            let _ = writeln!(
                out,
                "{full}{{role=\"{}\",worker=\"{}\"}} {}",
                s.role,
                s.worker,
                v.get(i).copied().unwrap_or(0)
            );
        }
    }
    render_latency(sources, &mut out);
    render_families(sources, &mut out);
    out
}

/// Each family's established, completed and failed connections, for the
/// sources whose workers run both families (nothing otherwise).
fn render_families(sources: &[Source], out: &mut String) {
    let dual: Vec<_> = sources
        .iter()
        .filter_map(|s| Some((s, s.board.families()?)))
        .collect();
    if dual.is_empty() {
        return;
    }
    for (k, what) in ["established", "completed", "failed"].iter().enumerate() {
        let full = format!("synwave_family_{what}_total");
        let _ = writeln!(
            out,
            "# HELP {full} synwave's {what} connections, by address family."
        );
        let _ = writeln!(out, "# TYPE {full} counter");
        for (s, f) in &dual {
            for (family, values) in FAMILIES.iter().zip(f) {
                let _ = writeln!(
                    out,
                    "{full}{{role=\"{}\",worker=\"{}\",family=\"{family}\"}} {}",
                    s.role, s.worker, values[k]
                );
            }
        }
    }
}

/// What each latency histogram measures, for its HELP line.
const LATENCY_HELP: [(&str, &str); 3] = [
    (
        "handshake",
        "SYN sent to ESTABLISHED, connections this worker opened",
    ),
    ("first_byte", "SYN sent to the first response byte"),
    (
        "lifetime",
        "record created to record ended, TIME-WAIT not included",
    ),
];

/// The latency buckets of every source as Prometheus histograms in
/// seconds (`synwave_NAME_seconds`): cumulative `_bucket`s with `le` at
/// 2⁰ … 2²² µs and `+Inf`, `_sum` and `_count`.
fn render_latency(sources: &[Source], out: &mut String) {
    let lats: Vec<_> = sources.iter().map(|s| s.board.latency()).collect();
    for (k, (name, help)) in LATENCY_HELP.iter().enumerate() {
        let full = format!("synwave_{name}_seconds");
        let _ = writeln!(out, "# HELP {full} synwave's {help} (seconds).");
        let _ = writeln!(out, "# TYPE {full} histogram");
        for (s, lat) in sources.iter().zip(&lats) {
            let (_, b) = lat.named()[k];
            let labels = format!("role=\"{}\",worker=\"{}\"", s.role, s.worker);
            let mut cumulative = 0u64;
            for (i, &n) in b.counts.iter().enumerate() {
                cumulative += n;
                let le = match Buckets::upper_us(i) {
                    Some(us) => format!("{}", us as f64 / 1e6),
                    None => "+Inf".to_string(),
                };
                let _ = writeln!(out, "{full}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
            }
            let _ = writeln!(out, "{full}_sum{{{labels}}} {}", b.sum_us as f64 / 1e6);
            let _ = writeln!(out, "{full}_count{{{labels}}} {cumulative}");
        }
    }
}

/// Why the endpoint could not serve.
#[derive(Debug)]
pub enum MetricsError {
    /// Nothing can listen on the address (taken, not ours, not an
    /// address).
    Listen {
        /// The address given.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
    /// The listening socket could not be set up, or its thread started.
    Setup {
        /// The address given.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
}

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricsError::Listen { addr, error } => write!(
                f,
                "{addr}: cannot listen ({error}); give a free HOST:PORT such as 127.0.0.1:9100"
            ),
            MetricsError::Setup { addr, error } => write!(f, "{addr}: {error}"),
        }
    }
}

impl std::error::Error for MetricsError {}

impl MetricsServer {
    /// Listens on `addr` and serves `sources` until dropped.
    pub fn spawn(addr: &str, sources: Vec<Source>) -> Result<MetricsServer, MetricsError> {
        let setup = |error| MetricsError::Setup {
            addr: addr.to_string(),
            error,
        };
        let listener = TcpListener::bind(addr).map_err(|error| MetricsError::Listen {
            addr: addr.to_string(),
            error,
        })?;
        let local = listener.local_addr().map_err(setup)?;
        listener.set_nonblocking(true).map_err(setup)?;
        eprintln!("synwave: metrics at http://{local}/metrics");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("synwave-metrics".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((conn, _)) => answer(conn, &sources),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
            })
            .map_err(setup)?;
        Ok(MetricsServer {
            addr: local,
            stop,
            handle: Some(handle),
        })
    }

    /// With `addr` given, serves `boards`, board `i` labelled
    /// `label(i)` = (role, worker index); none without an address.
    pub fn for_boards(
        addr: Option<&str>,
        boards: &[Arc<Board>],
        label: impl Fn(usize) -> (&'static str, usize),
    ) -> Result<Option<MetricsServer>, MetricsError> {
        let Some(addr) = addr else {
            return Ok(None);
        };
        let sources = boards
            .iter()
            .enumerate()
            .map(|(i, board)| {
                let (role, worker) = label(i);
                Source {
                    board: board.clone(),
                    role,
                    worker,
                }
            })
            .collect();
        MetricsServer::spawn(addr, sources).map(Some)
    }

    /// The address it listens on (the port chosen when 0 was given).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Reads one request from `conn` and answers it.
fn answer(mut conn: TcpStream, sources: &[Source]) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(2)));
    let mut req = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 64 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let line = req.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, body) = match (method, path) {
        ("GET", "/metrics" | "/") => ("200 OK", render(sources)),
        ("GET", _) => ("404 Not Found", "GET /metrics\n".to_string()),
        _ => ("405 Method Not Allowed", "GET /metrics\n".to_string()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_type_and_a_series_per_worker() {
        let sources = vec![
            Source {
                board: Arc::default(),
                role: "generator",
                worker: 0,
            },
            Source {
                board: Arc::default(),
                role: "responder",
                worker: 0,
            },
        ];
        let text = render(&sources);
        for name in names() {
            let full = if is_gauge(&name) {
                format!("synwave_{name}")
            } else {
                format!("synwave_{name}_total")
            };
            assert!(text.contains(&format!("# TYPE {full} ")), "{full}");
            assert!(
                text.contains(&format!("{full}{{role=\"responder\",worker=\"0\"}} 0\n")),
                "{full}"
            );
        }
        assert!(text.contains("# TYPE synwave_records gauge"));
        assert!(text.contains("# TYPE synwave_handshake_seconds histogram"));
        assert!(text.contains(
            "synwave_lifetime_seconds_bucket{role=\"generator\",worker=\"0\",le=\"+Inf\"} 0\n"
        ));
        assert!(text.contains("# TYPE synwave_syn_rx_total counter"));
    }

    /// A worker running both families gets its results by family; one
    /// running IPv4 alone gets no family series.
    #[test]
    fn results_by_family_where_both_run() {
        let single: Arc<Board> = Arc::default();
        let dual: Arc<Board> = Arc::default();
        dual.publish_families(&[[5, 4, 1], [7, 7, 0]]);
        let source = |board, worker| Source {
            board,
            role: "responder",
            worker,
        };
        let text = render(&[source(single.clone(), 0)]);
        assert!(!text.contains("synwave_family_"), "{text}");
        let text = render(&[source(single, 0), source(dual, 1)]);
        for line in [
            "synwave_family_established_total{role=\"responder\",worker=\"1\",family=\"ipv4\"} 5\n",
            "synwave_family_failed_total{role=\"responder\",worker=\"1\",family=\"ipv4\"} 1\n",
            "synwave_family_completed_total{role=\"responder\",worker=\"1\",family=\"ipv6\"} 7\n",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(!text.contains("worker=\"0\",family"), "{text}");
    }

    /// Published buckets come out cumulative, in seconds, with the sum and
    /// the count.
    #[test]
    fn latency_buckets_are_cumulative_histograms_in_seconds() {
        use crate::endpoint::{Counters, LatencyBuckets};
        use crate::io::PortStats;
        use crate::metrics::{Sample, WorkerTally};
        let mut lat = LatencyBuckets::default();
        lat.handshake.counts[5] = 3; // three values in (16, 32] µs
        lat.handshake.counts[10] = 1; // one in (512, 1024] µs
        lat.handshake.sum_us = 3 * 20 + 1000;
        let board: Arc<Board> = Arc::default();
        let counters = Counters::default();
        board.publish(
            &Sample {
                counters: &counters,
                tally: WorkerTally::default(),
                port: PortStats::default(),
                gauges: (0, 0, 0),
                latency: Some(&lat),
            },
            1,
        );
        let text = render(&[Source {
            board,
            role: "generator",
            worker: 1,
        }]);
        let series = |le: &str| {
            format!(
                "synwave_handshake_seconds_bucket{{role=\"generator\",worker=\"1\",le=\"{le}\"}} "
            )
        };
        for (le, n) in [
            ("0.000016", 0),
            ("0.000032", 3),
            ("0.000512", 3),
            ("0.001024", 4),
            ("4.194304", 4),
            ("+Inf", 4),
        ] {
            assert!(
                text.contains(&format!("{}{n}\n", series(le))),
                "le {le}:\n{text}"
            );
        }
        assert!(
            text.contains(
                "synwave_handshake_seconds_sum{role=\"generator\",worker=\"1\"} 0.00106\n"
            )
        );
        assert!(
            text.contains("synwave_handshake_seconds_count{role=\"generator\",worker=\"1\"} 4\n")
        );
        assert!(
            text.contains("synwave_first_byte_seconds_count{role=\"generator\",worker=\"1\"} 0\n")
        );
    }

    #[test]
    fn a_scrape_over_tcp_gets_the_text_and_other_paths_a_404() {
        let server = MetricsServer::spawn(
            "127.0.0.1:0",
            vec![Source {
                board: Arc::default(),
                role: "responder",
                worker: 3,
            }],
        )
        .expect("listen");
        let get = |path: &str| {
            let mut c = TcpStream::connect(server.addr()).expect("connect");
            write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
            let mut s = String::new();
            c.read_to_string(&mut s).expect("read");
            s
        };
        let ok = get("/metrics");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("text/plain; version=0.0.4"));
        assert!(ok.contains("synwave_rx_frames_total{role=\"responder\",worker=\"3\"} 0"));
        assert!(get("/nope").starts_with("HTTP/1.1 404"));
    }
}

//! `--metrics-addr`: a scraper reads the Prometheus text of a running
//! `synwave bench` twice, parses it with a Prometheus-format parser
//! (`prometheus-parse`), and sees the counters typed as counters, the
//! gauges as gauges, one series per worker and role, the connection
//! counts rising between the scrapes, and the latencies as cumulative
//! histograms whose counts rise too. A busy address is a one-line error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

fn scrape(addr: &str) -> prometheus_parse::Scrape {
    let mut c = TcpStream::connect(addr).expect("connect to the metrics address");
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(c, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut text = String::new();
    c.read_to_string(&mut text).expect("read");
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    let lines = body.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).expect("Prometheus text")
}

/// The sum over `role`'s series of `name`.
fn total(s: &prometheus_parse::Scrape, name: &str, role: &str) -> f64 {
    s.samples
        .iter()
        .filter(|m| m.metric == name && m.labels.get("role") == Some(role))
        .map(|m| match m.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

/// `synwave bench ARGS… --metrics-addr 127.0.0.1:0` started: the child
/// and the address it serves its metrics on (stderr drained from then
/// on), and the deadline of the test.
fn bench_with_metrics(args: &[&str]) -> (std::process::Child, String, Instant) {
    let mut child = Command::new(BIN)
        .arg("bench")
        .args(args)
        .args(["--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start synwave bench");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = loop {
        assert!(Instant::now() < deadline, "no metrics address announced");
        let line = lines
            .next()
            .expect("synwave said where its metrics are")
            .expect("stderr");
        if let Some(rest) = line.split("metrics at http://").nth(1) {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    // Keep draining stderr so that synwave never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    (child, addr, deadline)
}

#[test]
fn a_scrape_during_a_bench_run_parses_and_its_counters_rise() {
    let (mut child, addr, deadline) = bench_with_metrics(&["--duration", "6", "--workers", "1"]);
    // The workers build their tables before the run starts (longer on a
    // loaded host): scrape until the first connections show, then once
    // more a little later. Bounded by the run's own length.
    let est = "synwave_established_total";
    let mut first = scrape(&addr);
    while total(&first, est, "generator") == 0.0 {
        assert!(
            Instant::now() < deadline,
            "no connection established in the scrapes"
        );
        std::thread::sleep(Duration::from_millis(200));
        first = scrape(&addr);
    }
    std::thread::sleep(Duration::from_millis(1_000));
    let second = scrape(&addr);
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");

    let (a, b) = (
        total(&first, est, "generator"),
        total(&second, est, "generator"),
    );
    assert!(a > 0.0 && b > a, "established: {a} then {b}");
    assert!(total(&second, "synwave_syn_rx_total", "responder") > 0.0);
    // Counters are typed as counters, levels as gauges.
    for (name, kind) in [
        (est, "counter"),
        ("synwave_syn_rx_total", "counter"),
        ("synwave_records", "gauge"),
        ("synwave_records_peak", "gauge"),
    ] {
        let seen = second
            .samples
            .iter()
            .find(|m| m.metric == name)
            .unwrap_or_else(|| panic!("no {name}"));
        let ok = matches!(
            (kind, &seen.value),
            ("counter", prometheus_parse::Value::Counter(_))
                | ("gauge", prometheus_parse::Value::Gauge(_))
        );
        assert!(ok, "{name} is not a {kind}: {:?}", seen.value);
    }
    // One series per worker and role.
    let series = second.samples.iter().filter(|m| m.metric == est).count();
    assert_eq!(series, 2, "a generator and a responder");

    // The latencies are histograms: cumulative buckets ending in +Inf,
    // whose top equals `_count`, and the handshakes counted rise.
    let (h1, h2) = (
        histogram(&first, "synwave_handshake_seconds", "generator"),
        histogram(&second, "synwave_handshake_seconds", "generator"),
    );
    let top = |h: &[prometheus_parse::HistogramCount]| h.last().map_or(0.0, |b| b.count);
    assert!(
        top(&h1) > 0.0 && top(&h2) > top(&h1),
        "handshakes: {h1:?} then {h2:?}"
    );
    for h in [&h1, &h2] {
        assert_eq!(h.len(), 24, "{h:?}");
        assert!(
            h.windows(2)
                .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count)
        );
        assert!(h.last().unwrap().less_than.is_infinite());
    }
    let count = untyped(&second, "synwave_handshake_seconds_count", "generator");
    assert_eq!(count, top(&h2));
    let sum = untyped(&second, "synwave_handshake_seconds_sum", "generator");
    assert!(
        sum > 0.0 && sum < count * 4.2,
        "sum {sum} s of {count} handshakes"
    );
    let lifetimes = histogram(&second, "synwave_lifetime_seconds", "responder");
    assert!(top(&lifetimes) > 0.0, "{lifetimes:?}");
}

#[test]
fn an_ipv6_bench_gives_its_results_by_family() {
    let (mut child, addr, deadline) =
        bench_with_metrics(&["--ipv6", "--duration", "3", "--workers", "1"]);
    let family = |s: &prometheus_parse::Scrape, family: &str| -> f64 {
        s.samples
            .iter()
            .filter(|m| {
                m.metric == "synwave_family_established_total"
                    && m.labels.get("role") == Some("generator")
                    && m.labels.get("family") == Some(family)
            })
            .map(|m| match m.value {
                prometheus_parse::Value::Counter(v) => v,
                _ => panic!("not a counter: {m:?}"),
            })
            .sum()
    };
    let mut s = scrape(&addr);
    while family(&s, "ipv6") == 0.0 {
        assert!(
            Instant::now() < deadline,
            "no IPv6 connection in the scrapes"
        );
        std::thread::sleep(Duration::from_millis(200));
        s = scrape(&addr);
    }
    assert!(child.wait().expect("wait").success());
    // Every connection is an IPv6 one (the totals, published a moment
    // apart from the families, count them too).
    assert_eq!(family(&s, "ipv4"), 0.0);
    assert!(total(&s, "synwave_established_total", "generator") > 0.0);
}

/// The buckets of the histogram `name` of `role`'s worker 0.
fn histogram(
    s: &prometheus_parse::Scrape,
    name: &str,
    role: &str,
) -> Vec<prometheus_parse::HistogramCount> {
    let m = s
        .samples
        .iter()
        .find(|m| m.metric == name && m.labels.get("role") == Some(role))
        .unwrap_or_else(|| panic!("no {name} for {role}"));
    match &m.value {
        prometheus_parse::Value::Histogram(h) => h.clone(),
        other => panic!("{name} is not a histogram: {other:?}"),
    }
}

/// The value of the untyped sample `name` (a histogram's `_sum` and
/// `_count`) of `role`.
fn untyped(s: &prometheus_parse::Scrape, name: &str, role: &str) -> f64 {
    s.samples
        .iter()
        .find(|m| m.metric == name && m.labels.get("role") == Some(role))
        .map(|m| match m.value {
            prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{name}: {other:?}"),
        })
        .unwrap_or_else(|| panic!("no {name} for {role}"))
}

#[test]
fn a_busy_metrics_address_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["bench", "--duration", "1", "--metrics-addr", &addr])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--metrics-addr") && err.contains(&addr) && err.contains("HOST:PORT"),
        "{err}"
    );
}

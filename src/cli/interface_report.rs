//! Summary pieces shared by `serve` and `gen`: metrics summed over the
//! queues, per-queue rows and JSON, the counter table; and the latency
//! percentiles every summary (`bench` too) writes.

use synwave::endpoint::{ENDS, is_clean};
use synwave::engine::PollGaps;
use synwave::engine::interface::InterfaceReport;
use synwave::io::afxdp::BindMode;
use synwave::metrics;
use synwave::tcp::Events;

/// "copy mode" or "zero-copy".
pub fn bind_name(b: BindMode) -> &'static str {
    match b {
        BindMode::Copy => "copy mode",
        BindMode::ZeroCopy => "zero-copy",
    }
}

/// Every metric summed over the queues, in `metrics::names` order.
pub fn totals(r: &InterfaceReport) -> Vec<u64> {
    let lists: Vec<Vec<u64>> = r
        .queues
        .iter()
        .map(|q| metrics::values(&q.worker.sample()))
        .collect();
    metrics::sum(lists.iter().map(|l| &l[..]))
}

/// One metric of `values` by name (0 if unknown).
pub fn metric(values: &[u64], name: &str) -> u64 {
    metrics::index_of(name)
        .and_then(|i| values.get(i).copied())
        .unwrap_or(0)
}

/// `n` per wall-clock second of the run.
pub fn per_sec(n: u64, r: &InterfaceReport) -> f64 {
    n as f64 / r.duration.as_secs_f64().max(1e-9)
}

/// Connections that reached ESTABLISHED, over the queues.
pub fn established(r: &InterfaceReport) -> u64 {
    r.queues
        .iter()
        .map(|q| q.worker.counters.event(Events::ESTABLISHED))
        .sum()
}

/// Connection records that ended (any way), over the queues.
pub fn ended(r: &InterfaceReport) -> u64 {
    r.queues.iter().map(|q| q.worker.counters.ended()).sum()
}

/// Connection records that ended by a clean close (`endpoint::is_clean`),
/// over the queues: the teardowns.
pub fn completed(r: &InterfaceReport) -> u64 {
    r.queues.iter().map(|q| q.worker.counters.completed()).sum()
}

/// Every way a record ends other than a clean close, with its count over
/// the queues, in `endpoint::ENDS` order (`reset_by_peer`,
/// `retries_exceeded`, …).
pub fn failed_by_cause(r: &InterfaceReport) -> Vec<(&'static str, u64)> {
    ENDS.iter()
        .filter(|e| !is_clean(**e))
        .map(|&e| {
            let name = e.counter_name().trim_start_matches("end_");
            (
                name,
                r.queues.iter().map(|q| q.worker.counters.end(e)).sum(),
            )
        })
        .collect()
}

/// Prints the per-queue rows with `row`.
fn print_queues(r: &InterfaceReport, row: &dyn Fn(&str, String)) {
    for q in &r.queues {
        let k = q.kernel.unwrap_or_default();
        row(
            &format!("queue {} rx / tx frames", q.queue),
            format!(
                "{} / {}",
                q.worker.counters.rx_frames, q.worker.counters.tx_frames
            ),
        );
        row(
            &format!("queue {} kernel drops / ring full", q.queue),
            format!("{} / {}", k.rx_dropped, k.rx_ring_full),
        );
        row(
            &format!("queue {} poll gap p99.99 / max (µs)", q.queue),
            poll_gap_cell(&q.worker.gaps),
        );
    }
}

/// A worker's poll gaps for a summary row: the p99.99 bound and the
/// longest, and the share of idle time.
pub fn poll_gap_cell(g: &PollGaps) -> String {
    format!(
        "{} / {}, {:.0} % idle",
        g.quantile_bound_us(0.9999),
        g.max_us,
        100.0 * g.idle_share()
    )
}

/// A worker's poll gaps in JSON: the turns, the longest gap, the p99.99
/// and p99 bounds, gaps over 1,024 µs, the share of idle time, and the
/// non-empty buckets (upper bound in µs, `null` for the last, unbounded
/// one).
pub fn poll_gaps_json(g: &PollGaps) -> serde_json::Value {
    let buckets: Vec<_> = g
        .histogram()
        .into_iter()
        .map(|(le, n)| serde_json::json!({ "le_us": le, "count": n }))
        .collect();
    serde_json::json!({
        "polls": g.turns,
        "max_us": g.max_us,
        "p99_us": g.quantile_bound_us(0.99),
        "p9999_us": g.quantile_bound_us(0.9999),
        "over_1024_us": g.longer_than(1024),
        "idle_share": g.idle_share(),
        "buckets": buckets,
    })
}

/// The summary's last rows, shared by serve and gen: frames per second,
/// the per-queue rows, every counter that moved, and the checksum hint.
pub fn print_tail(r: &InterfaceReport, values: &[u64], row: &dyn Fn(&str, String)) {
    row(
        "frames rx/s",
        format!("{:.0}", per_sec(metric(values, "rx_frames"), r)),
    );
    row(
        "frames tx/s",
        format!("{:.0}", per_sec(metric(values, "tx_frames"), r)),
    );
    print_queues(r, row);
    print_counters(values);
    for q in &r.queues {
        if let Some(p) = &q.worker.pcap {
            println!();
            println!(
                "pcap: {} frames of queue {} written to {}",
                p.frames,
                q.queue,
                p.path.display()
            );
            if let Some(e) = &p.error {
                eprintln!("warning: the capture stopped early: {e}");
            }
        }
    }
    if let Some(h) = checksum_hint(values) {
        eprintln!("{h}");
    }
}

/// The note a summary ends with when connection attempts found no free
/// source pair: how many, and what to change.
pub fn ports_exhausted_note(n: u64, msl_s: f64, more_addresses: &str) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "note: {n} connection attempts found no free source pair (each pair waits out TIME-WAIT, 2·MSL = {} s, before it is used again): give more source addresses ({more_addresses}), a lower --rate or --concurrency, or a shorter --msl",
            2.0 * msl_s
        )
    })
}

/// The quantiles of every latency line and key, with their JSON names.
const QUANTILES: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)];

/// `p50`, `p90`, `p99`, `p999` (99.9th), `max` and `count` of a
/// histogram, as JSON (the summary format of every latency key).
pub fn percentiles_json(h: &hdrhistogram::Histogram<u64>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (name, q) in QUANTILES {
        m.insert(name.into(), h.value_at_quantile(q).into());
    }
    m.insert("max".into(), h.max().into());
    m.insert("count".into(), h.len().into());
    m.insert("cdf".into(), cdf_json(h));
    serde_json::Value::Object(m)
}

/// The histogram's CDF as `[[µs, fraction], …]`: every percentile, then
/// 99.5, 99.9, 99.99 and the maximum (`synwave report` plots it).
fn cdf_json(h: &hdrhistogram::Histogram<u64>) -> serde_json::Value {
    if h.is_empty() {
        return serde_json::Value::Array(Vec::new());
    }
    let qs = (1..100)
        .map(|p| f64::from(p) / 100.0)
        .chain([0.995, 0.999, 0.9999, 1.0]);
    serde_json::Value::Array(
        qs.map(|q| serde_json::json!([h.value_at_quantile(q), q]))
            .collect(),
    )
}

/// The live lines as JSON rows (`series`: one a second).
pub fn series_json(lines: &[synwave::metrics::LiveLine]) -> serde_json::Value {
    serde_json::Value::Array(
        lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "elapsed_s": l.elapsed_s,
                    "setups_per_sec": l.setups_per_sec,
                    "teardowns_per_sec": l.teardowns_per_sec,
                    "pps_rx": l.pps_rx,
                    "pps_tx": l.pps_tx,
                    "retransmits_per_sec": l.retransmits_per_sec,
                    "open": l.open,
                    "time_wait": l.time_wait,
                    "handoff_pct": l.handoff_pct,
                })
            })
            .collect(),
    )
}

/// The summary's latency table: handshake (SYN → ESTABLISHED), first
/// response byte (when any connection received data) and lifetime, each
/// at p50, p90, p99, p99.9 and max.
pub fn print_latency(lat: &synwave::endpoint::Latency) {
    println!();
    println!(
        "{:<20}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "latency (µs)", "p50", "p90", "p99", "p99.9", "max"
    );
    let line = |name: &str, h: &hdrhistogram::Histogram<u64>| {
        let q: Vec<u64> = QUANTILES
            .iter()
            .map(|&(_, q)| h.value_at_quantile(q))
            .collect();
        println!(
            "{name:<20}{:>10}{:>10}{:>10}{:>10}{:>10}",
            q[0],
            q[1],
            q[2],
            q[3],
            h.max()
        );
    };
    line("handshake", &lat.handshake_us);
    if !lat.first_byte_us.is_empty() {
        line("first byte", &lat.first_byte_us);
    }
    if !lat.last_byte_us.is_empty() {
        line("last byte", &lat.last_byte_us);
    }
    line("lifetime", &lat.lifetime_us);
}

/// Prints every metric of `values` that is not zero.
fn print_counters(values: &[u64]) {
    println!();
    println!("{:<36}{:>16}", "counter", "value");
    for (i, name) in metrics::names().iter().enumerate() {
        let x = values.get(i).copied().unwrap_or(0);
        if x != 0 {
            println!("{name:<36}{x:>16}");
        }
    }
}

/// A hint when frames were dropped for bad checksums and nothing was
/// established: the usual cause on a veth pair.
fn checksum_hint(values: &[u64]) -> Option<String> {
    (metric(values, "drop_checksum") > 0 && metric(values, "established") == 0).then(|| {
        "note: frames with bad checksums were dropped and nothing connected; if the peer is the other end of a veth pair (or a local kernel), turn off its transmit checksum offload: `ethtool -K PEER tx off` (tools/netns.sh does)".to_string()
    })
}

/// Every metric by name, as JSON.
pub fn counters_json(values: &[u64]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = metrics::names()
        .into_iter()
        .zip(values.iter().copied().chain(std::iter::repeat(0)))
        .map(|(n, x)| (n, x.into()))
        .collect();
    serde_json::Value::Object(map)
}

/// Each family's own counts, summed over the queues, where the run had
/// an IPv6 endpoint (`{"ipv4": {...}, "ipv6": {...}}`: established,
/// completed, failed and every endpoint counter); `null` for an IPv4-only
/// run, whose totals say it all.
pub fn families_json(r: &InterfaceReport) -> serde_json::Value {
    let mut sums: Vec<(&'static str, synwave::endpoint::Counters)> = Vec::new();
    for q in &r.queues {
        for (name, c) in &q.worker.families {
            match sums.iter_mut().find(|(n, _)| n == name) {
                Some((_, sum)) => sum.add(c),
                None => sums.push((name, c.clone())),
            }
        }
    }
    if sums.len() < 2 {
        return serde_json::Value::Null;
    }
    let map: serde_json::Map<String, serde_json::Value> = sums
        .iter()
        .map(|(name, c)| {
            let values = metrics::values(&metrics::Sample {
                counters: c,
                tally: Default::default(),
                port: Default::default(),
                gauges: (0, 0, 0),
                latency: None,
            });
            let v = serde_json::json!({
                "established": c.event(Events::ESTABLISHED),
                "completed": c.completed(),
                "failed": c.ended() - c.completed(),
                "counters": counters_json(&values),
            });
            (name.to_string(), v)
        })
        .collect();
    serde_json::Value::Object(map)
}

/// What `--pcap` wrote (`null` without it).
pub fn pcap_json(r: &InterfaceReport) -> serde_json::Value {
    r.queues
        .iter()
        .find_map(|q| {
            let p = q.worker.pcap.as_ref()?;
            Some(serde_json::json!({
                "file": p.path.display().to_string(),
                "queue": q.queue,
                "frames": p.frames,
                "error": p.error,
            }))
        })
        .unwrap_or(serde_json::Value::Null)
}

/// One JSON object per queue.
pub fn queues_json(r: &InterfaceReport) -> serde_json::Value {
    r.queues
        .iter()
        .map(|q| {
            let k = q.kernel.unwrap_or_default();
            serde_json::json!({
                "queue": q.queue,
                "rx_frames": q.worker.counters.rx_frames,
                "tx_frames": q.worker.counters.tx_frames,
                "established": q.worker.counters.event(Events::ESTABLISHED),
                "kernel_rx_dropped": k.rx_dropped,
                "kernel_rx_ring_full": k.rx_ring_full,
                "kernel_fill_ring_empty": k.fill_ring_empty,
                "tx_wakeups": q.xsk.tx_wakeups,
                "fill_wakeups": q.xsk.fill_wakeups,
                "handoff_out": q.worker.tally.handoff_out,
                "handoff_in": q.worker.tally.handoff_in,
                "chunks_returned": q.xsk.returned,
                "poll_gaps": poll_gaps_json(&q.worker.gaps),
            })
        })
        .collect()
}

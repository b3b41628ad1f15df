//! What `synwave search` prints and writes: the opening lines (the
//! search, its criteria, and how source pairs and TIME-WAIT are
//! handled), a live line per step, the table of every step, the answer,
//! and the `--json` summary.

use super::gen_args::Target;
use synwave::engine::bench::BenchConfig;
use synwave::engine::search::{Metric, P50P99, SearchPlan, Step};
use synwave::engine::search_steps::SearchReport;
use synwave::wire::MacAddr;

/// Source ports each address gives (1024 to 65535).
const PORTS_PER_ADDRESS: u64 = 64_512;

/// `n` with thousands separated by commas.
pub fn grouped(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 { format!("-{out}") } else { out }
}

fn ms(us: Option<u64>) -> String {
    us.map_or("-".into(), |v| format!("{:.3}", v as f64 / 1e3))
}

/// The opening lines of a search.
pub struct Intro {
    lines: Vec<String>,
}

fn criteria_line(plan: &SearchPlan) -> String {
    let c = &plan.criteria;
    let mut line = format!(
        "criteria (RFC 9411 §7): failed ≤ {} %, unexpected resets ≤ {} %, retransmitted SYNs ≤ {} %",
        c.failed_pct, c.resets_pct, c.syn_retransmits_pct
    );
    if let Some(v) = c.handshake_p99_us {
        line += &format!(", handshake p99 ≤ {} ms", v as f64 / 1e3);
    }
    if let Some(v) = c.first_byte_p99_us {
        line += &format!(", first byte p99 ≤ {} ms", v as f64 / 1e3);
    }
    line
}

fn search_line(plan: &SearchPlan, what: &str) -> String {
    let ramp = if plan.ramp.is_zero() {
        String::new()
    } else {
        format!("after a {:.2} s ramp, ", plan.ramp.as_secs_f64())
    };
    format!(
        "synwave search: {} from {} to {} {} {what}; steps of {:.2} s {ramp}then a drain of at most {:.2} s; resolution {} %, at most {} steps",
        plan.metric.name(),
        grouped(plan.min),
        grouped(plan.max),
        plan.metric.unit(),
        plan.step.as_secs_f64(),
        plan.drain.as_secs_f64(),
        plan.resolution_pct,
        plan.max_steps()
    )
}

impl Intro {
    /// The lines of a search on an interface, its TIME-WAIT lasting
    /// 2·`msl_s`, reused after 1 s with `tw_reuse`.
    pub fn interface(t: &Target<'_>, msl_s: f64, tw_reuse: bool, plan: &SearchPlan) -> Intro {
        let via = t
            .afxdp
            .gateway
            .map_or(String::new(), |g| format!(" via gateway {g}"));
        let what = format!(
            "against {}{via} on {} ({} queue(s))",
            t.ends.dst, t.afxdp.iface, t.afxdp.queues
        );
        let src = t.ends.src_ip;
        let addresses = src.v4.map_or(0, |r| r.count) + src.v6.map_or(0, |r| r.count);
        let pairs = u64::from(addresses) * PORTS_PER_ADDRESS;
        let tw_s = 2.0 * msl_s;
        let (reuse, after) = if tw_reuse {
            (
                "--tw-reuse: a pair in our TIME-WAIT is used again after 1 s",
                1.0,
            )
        } else {
            (
                "a pair is used again only once our TIME-WAIT on it has ended",
                tw_s,
            )
        };
        let mut pairs_line = format!(
            "source pairs: {} address(es) × 64,512 ports = {} in rotation (the least recently freed first); {reuse} ({tw_s} s = 2·MSL); TIME-WAIT records stay across steps",
            addresses,
            grouped(pairs as f64)
        );
        if plan.metric == Metric::Cps {
            let rotation = pairs as f64 / plan.max;
            pairs_line += &format!(
                "; at {} connections/s the rotation takes {rotation:.0} s",
                grouped(plan.max)
            );
            if rotation < after {
                pairs_line += " — shorter than TIME-WAIT: steps near --max will run out of pairs; give more --src-ip addresses or --tw-reuse";
            }
        }
        Intro {
            lines: vec![search_line(plan, &what), criteria_line(plan), pairs_line],
        }
    }

    /// The lines of a search in memory, through a device that admits
    /// `syn_rate` SYNs a second to a server of `table` records per worker.
    pub fn in_memory(
        syn_rate: Option<f64>,
        table: Option<u64>,
        cfg: &BenchConfig,
        plan: &SearchPlan,
    ) -> Intro {
        let syn = syn_rate.map_or("no SYN limit".into(), |r| {
            format!("at most {} SYNs/s", grouped(r))
        });
        let table = table.map_or("no table limit".into(), |n| {
            format!("a server table of {} per worker", grouped(n as f64))
        });
        let what = format!(
            "in memory ({} worker(s) a side; device: {syn}, {table})",
            cfg.workers
        );
        Intro {
            lines: vec![
                search_line(plan, &what),
                criteria_line(plan),
                "each step is a bench of its own: no source pair or TIME-WAIT record carries over"
                    .into(),
            ],
        }
    }

    /// Prints the lines, and where the generator is ready on an
    /// interface, its XDP mode, next hop and notes.
    pub fn print(&self, ready: Option<(&str, MacAddr, &[String])>) {
        for l in &self.lines {
            eprintln!("{l}");
        }
        if let Some((mode, mac, notes)) = ready {
            for n in notes {
                eprintln!("note: {n}");
            }
            eprintln!("XDP {mode}, next hop MAC {mac}");
        }
    }
}

/// The line of the warm-up of `length`.
pub fn print_warm_up(length: std::time::Duration, s: &Step) {
    eprintln!(
        "warm-up: {:.2} s at {} (not judged): opened {}, established {}/s, failed {}, SYN retransmits {}, handshake p99 {} ms",
        length.as_secs_f64(),
        grouped(s.offered),
        grouped(s.opened as f64),
        grouped(s.setups_per_sec),
        s.failed,
        s.syn_retransmits,
        ms(s.handshake.p99_us),
    );
}

/// The live line of step `i` (from 0) of at most `of`.
pub fn print_step(i: usize, of: u32, metric: Metric, s: &Step) {
    let verdict = match &s.failed_criterion {
        None => "pass".to_string(),
        Some(c) => format!("FAIL: {c}"),
    };
    eprintln!(
        "step {} of ≤ {of}: offered {} {}, achieved {}, opened {}, failed {}, resets {}, SYN retransmits {}, handshake p99 {} ms → {verdict}",
        i + 1,
        grouped(s.offered),
        metric.unit(),
        grouped(s.achieved),
        grouped(s.opened as f64),
        s.failed,
        s.unexpected_resets,
        s.syn_retransmits,
        ms(s.handshake.p99_us),
    );
}

/// The table of every step.
pub fn print_table(r: &SearchReport) {
    println!(
        "{:>4} {:>12} {:>12} {:>12} {:>12} {:>10} {:>8} {:>7} {:>8} {:>10} {:>10} {:>10} {:>10}  verdict",
        "step",
        "offered",
        "achieved",
        "setups/s",
        "teardowns/s",
        "opened",
        "failed",
        "resets",
        "SYN rtx",
        "hs p50 ms",
        "hs p99 ms",
        "1st B p99",
        "last B p99",
    );
    for (i, s) in r.steps.iter().enumerate() {
        println!(
            "{:>4} {:>12} {:>12} {:>12} {:>12} {:>10} {:>8} {:>7} {:>8} {:>10} {:>10} {:>10} {:>10}  {}",
            i + 1,
            grouped(s.offered),
            grouped(s.achieved),
            grouped(s.setups_per_sec),
            grouped(s.teardowns_per_sec),
            s.opened,
            s.failed,
            s.unexpected_resets,
            s.syn_retransmits,
            ms(s.handshake.p50_us),
            ms(s.handshake.p99_us),
            ms(s.first_byte.p99_us),
            ms(s.last_byte.p99_us),
            s.failed_criterion
                .as_deref()
                .map_or("pass".into(), |c| format!("FAIL ({c})")),
        );
    }
}

/// The step that offered `v`.
fn step_at(r: &SearchReport, v: f64) -> Option<&Step> {
    r.steps.iter().rev().find(|s| s.offered == v)
}

/// The answer line.
pub fn print_answer(r: &SearchReport, plan: &SearchPlan) {
    if r.interrupted {
        println!("search interrupted after {} step(s)", r.steps.len());
    }
    let unit = plan.metric.unit();
    let what = match plan.metric {
        Metric::Cps => "highest clean rate",
        Metric::Concurrency => "highest clean concurrency",
    };
    match (r.answer, r.lowest_failed) {
        (None, _) => {
            let why = r
                .steps
                .first()
                .and_then(|s| s.failed_criterion.clone())
                .unwrap_or_default();
            println!(
                "no clean {}: the lowest value offered, {}, failed ({why}); lower --min",
                plan.metric.name(),
                grouped(plan.min)
            );
        }
        (Some(v), failed) => {
            let achieved = step_at(r, v).map_or(v, |s| s.achieved);
            let bracket = match failed {
                Some(f) => format!("; lowest failing {}", grouped(f)),
                None => "; every value up to --max passed: the limit lies above it".into(),
            };
            println!(
                "{what}: {} {unit}, offered {}{bracket}",
                grouped(achieved),
                grouped(v)
            );
        }
    }
}

fn p_json(p: &P50P99) -> serde_json::Value {
    serde_json::json!({ "p50_us": p.p50_us, "p99_us": p.p99_us })
}

/// The `--json` summary.
pub fn summary_json(r: &SearchReport, plan: &SearchPlan) -> serde_json::Value {
    let c = &plan.criteria;
    let steps: Vec<serde_json::Value> = r
        .steps
        .iter()
        .map(|s| {
            serde_json::json!({
                "offered": s.offered,
                "achieved": s.achieved,
                "opened": s.opened,
                "due": s.due,
                "setups_per_sec": s.setups_per_sec,
                "teardowns_per_sec": s.teardowns_per_sec,
                "failed": s.failed,
                "unfinished": s.unfinished,
                "unexpected_resets": s.unexpected_resets,
                "retransmits": s.retransmits,
                "syn_retransmits": s.syn_retransmits,
                "ports_exhausted": s.ports_exhausted,
                "handshake": p_json(&s.handshake),
                "first_byte": p_json(&s.first_byte),
                "last_byte": p_json(&s.last_byte),
                "passed": s.passed,
                "failed_criterion": s.failed_criterion,
            })
        })
        .collect();
    let key = match plan.metric {
        Metric::Cps => "max_cps",
        Metric::Concurrency => "max_concurrency",
    };
    serde_json::json!({
        "role": "search",
        "mode": if r.bind.is_some() { "afxdp" } else { "in-memory" },
        "xdp_mode": r.xdp_mode,
        "peer_mac": r.peer_mac.map(|m| m.to_string()),
        "metric": plan.metric.name(),
        key: r.answer,
        "lowest_failed": r.lowest_failed,
        "interrupted": r.interrupted,
        "min": plan.min,
        "max": plan.max,
        "resolution_pct": plan.resolution_pct,
        "step_duration_s": plan.step.as_secs_f64(),
        "ramp_s": plan.ramp.as_secs_f64(),
        "drain_s": plan.drain.as_secs_f64(),
        "criteria": {
            "failed_pct": c.failed_pct,
            "unexpected_resets_pct": c.resets_pct,
            "syn_retransmits_pct": c.syn_retransmits_pct,
            "handshake_p99_us": c.handshake_p99_us,
            "first_byte_p99_us": c.first_byte_p99_us,
        },
        "steps": steps,
    })
}

//! `synwave search` on a real interface: the generator of `gen`, kept
//! for the whole search (the XDP program attached, the sockets bound, the
//! workers' endpoints, tables and source pairs alive), run through one
//! step after another: each offers one value for the ramp and the step,
//! then drains; its connections are counted from the workers' reports,
//! judged (`engine::search`), and the next value chosen.
//!
//! Rules: one `drive` per step on the same workers, the same clock and
//! the same cores; between steps nothing polls (a few milliseconds).
//! TIME-WAIT records of earlier steps stay in the tables and expire on
//! time; a source pair comes back to its allocator only when its record
//! (TIME-WAIT included) has gone, at the back of the queue, so the steps
//! rotate through the whole source range. Connections still open when a
//! step's drain ends are counted as failed, then aborted, so they count
//! in no later step.

use super::clock::Clock;
use super::error::RunError;
use super::generate::{GenConfig, prepare};
use super::handoff::{Handoff, handoffs};
use super::interface::InterfaceSetup;
use super::opener::Load;
use super::pin;
use super::run::{Job, Plan, Start, drive};
use super::search::{Metric, SearchPlan, Step, StepRun, Tally, judge};
use super::search_steps::{SearchReport, run_steps};
use super::stack::Stack;
use super::worker::{Role, Worker, WorkerReport};
use crate::io::Impaired;
use crate::io::afxdp::{BindMode, XskFrame, XskPort};
use crate::wire::MacAddr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

type GenWorker = Worker<Impaired<XskPort>>;

/// One queue's worker between steps: not built yet (its port and its
/// builder), or built.
enum Slot<B> {
    New(Box<(XskPort, B, Option<Handoff<XskFrame>>)>),
    Built(Box<GenWorker>),
}

/// The load of a step offering `value` over `workers` workers.
fn step_load(
    metric: Metric,
    value: f64,
    workers: usize,
    cap: u64,
    rate: Option<f64>,
    ramp: Duration,
) -> Load {
    let w = workers as f64;
    match metric {
        Metric::Cps => Load {
            concurrency: cap / workers as u64,
            rate: Some(value / w),
            ramp_us: ramp.as_micros() as u64,
            limit: None,
        },
        Metric::Concurrency => Load {
            concurrency: (value / w).round().max(1.0) as u64,
            rate: rate.map(|r| r / w),
            ramp_us: 0,
            limit: None,
        },
    }
}

/// Opens the interface and runs the search of `plan` with `cfg`'s
/// generator; `on_ready` as `run_gen`'s, `on_warm_up` after the warm-up
/// (RFC 9411 §7's initialization: shown, not judged), `on_step` after
/// each step (its index from 0).
pub fn run_search_gen(
    cfg: &GenConfig,
    plan: &SearchPlan,
    interrupt: &AtomicBool,
    on_ready: impl FnOnce(&str, BindMode, MacAddr, &[String]),
    on_warm_up: impl Fn(&Step),
    on_step: impl FnMut(usize, &Step),
) -> Result<SearchReport, RunError> {
    let p = prepare(cfg, on_ready)?;
    let setup = &cfg.setup;
    let crate::io::afxdp::AfXdp {
        queues,
        ports,
        attachment,
        ..
    } = p.opened;
    let n = ports.len();
    let cores = pin::cores_for(n, &setup.run.cores)?;
    let clock = Clock::new();
    let s = &p.steering;
    let mut inboxes = match s.handoff && n > 1 {
        true => handoffs(n, &s.hasher, &s.reta),
        false => Vec::new(),
    }
    .into_iter();
    let mut slots: Vec<Slot<_>> = ports
        .into_iter()
        .zip(p.builders)
        .map(|(port, b)| Slot::New(Box::new((port, b, inboxes.next()))))
        .collect();
    let mut base = Tally::default();
    // One step of `length` at `value` on the workers: judged on what
    // happened since the last one; then the stragglers are aborted, so
    // they count in this step only.
    let mut run_one = |value: f64, length: Duration| -> Result<(Step, bool), RunError> {
        let load = step_load(plan.metric, value, n, cfg.concurrency, cfg.rate, plan.ramp);
        let taken = std::mem::take(&mut slots);
        let ran = one_step(
            taken, &queues, &cores, setup, clock, length, plan.drain, load, interrupt,
        )?;
        let end = Tally::of(ran.reports.iter().map(|(_, r)| r));
        let unfinished = ran
            .reports
            .iter()
            .map(|(w, _)| w.endpoint().connections() as u64)
            .sum();
        let now = clock.now_us();
        let mut after = Vec::with_capacity(n);
        for (mut w, _) in ran.reports {
            w.abort_all(now);
            after.push(w.report());
            slots.push(Slot::Built(w));
        }
        let peak = ran.live_lines.iter().map(|l| l.open).max().unwrap_or(0);
        let run = StepRun::new(plan, value, ran.run_phase, peak, unfinished);
        let step = judge(plan.metric, &plan.criteria, run, &end.since(&base));
        base = Tally::of(&after);
        Ok((step, ran.run_phase + Duration::from_millis(50) >= length))
    };
    if !plan.warm_up.is_zero() {
        on_warm_up(&run_one(plan.min, plan.warm_up)?.0);
    }
    let report = run_steps(plan, |v| run_one(v, plan.ramp + plan.step), on_step)?;
    // The XDP program is detached here, as the bpf_link closes.
    drop(slots);
    drop(attachment);
    Ok(SearchReport {
        xdp_mode: p.mode,
        bind: Some(p.bind),
        peer_mac: Some(p.peer_mac),
        ..report
    })
}

/// Runs one step of `length` (then a drain of at most `drain`) on the
/// workers of `slots` (built in their threads at the first step), each
/// following `load`; hands the workers back with their reports.
#[allow(clippy::too_many_arguments)]
fn one_step<B>(
    slots: Vec<Slot<B>>,
    queues: &[u32],
    cores: &[usize],
    setup: &InterfaceSetup,
    clock: Clock,
    length: Duration,
    drain: Duration,
    load: Load,
    interrupt: &AtomicBool,
) -> Result<super::run::Ran<(Box<GenWorker>, WorkerReport)>, RunError>
where
    B: FnOnce() -> (Stack, Role) + Send + 'static,
{
    let mut jobs = Vec::with_capacity(slots.len());
    for (i, slot) in slots.into_iter().enumerate() {
        let queue = queues.get(i).copied().unwrap_or(i as u32);
        let impairment = setup.run.impairment;
        let seed = setup.run.impairment_seed ^ u64::from(queue).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let run = move |start: Start| {
            let mut w = match slot {
                Slot::Built(w) => w,
                Slot::New(new) => {
                    let (port, build, handoff) = *new;
                    let (ep, role) = build();
                    let w = Worker::new(Impaired::new(port, impairment, seed), ep, role);
                    Box::new(match handoff {
                        Some(h) => w.with_handoff(h),
                        None => w,
                    })
                }
            };
            w.restart(load);
            let report = start.run(&mut w);
            (w, report)
        };
        jobs.push(Job {
            name: format!("synwave-q{queue}"),
            core: cores[i],
            run,
        });
    }
    let label = |i: usize| ("generator", i);
    let step_plan = Plan {
        duration: Some(length),
        total: None,
        drain,
        first_side: jobs.len(),
        drain_time_wait: false,
        live: false,
        metrics_addr: None,
        label: &label,
    };
    drive(jobs, clock, &step_plan, interrupt)
}

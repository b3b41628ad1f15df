//! `synwave search --in-memory`: the search of `engine::search` against
//! an in-memory device between `bench`'s generator and responder: each
//! step is one bench run over the loopback backend at the step's value,
//! through a link that admits at most `--limit-syn-rate` SYNs a second
//! and a responder whose table holds at most `--limit-connections`
//! records. The limits are known exactly, so the search's answer can be
//! checked against them.
//!
//! Rules: a step is a whole bench (its own endpoints, tables and source
//! pairs): nothing one step leaves behind reaches the next, and no
//! TIME-WAIT record carries over.

use super::bench::{BenchConfig, run_bench};
use super::error::RunError;
use super::search::{Bisection, Metric, SearchPlan, Step, StepRun, Tally, judge};
use super::search_gen::SearchReport;
use std::sync::atomic::AtomicBool;

/// Runs the search of `plan`, each step a bench of `base` at the step's
/// value; `on_step` after each step (its index from 0).
pub fn run_search_bench(
    base: &BenchConfig,
    plan: &SearchPlan,
    interrupt: &AtomicBool,
    mut on_step: impl FnMut(usize, &Step),
) -> Result<SearchReport, RunError> {
    let mut search = Bisection::new(plan.clone());
    let mut report = SearchReport {
        steps: Vec::new(),
        answer: None,
        lowest_failed: None,
        interrupted: false,
        xdp_mode: "in-memory",
        bind: None,
        peer_mac: None,
    };
    while let Some(value) = search.next() {
        let cfg = step_config(base, plan, value);
        let r = run_bench(&cfg, interrupt)?;
        let peak = r.live_lines.iter().map(|l| l.open).max().unwrap_or(0);
        let run = StepRun {
            resets_expected: base.scenario.close == crate::app::CloseKind::ServerRst,
            ..StepRun::new(plan, value, r.run_phase, peak, r.unfinished())
        };
        let step = judge(plan.metric, &plan.criteria, run, &Tally::of(&r.generators));
        let interrupted = r.run_phase + std::time::Duration::from_millis(50) < cfg.duration;
        on_step(report.steps.len(), &step);
        if interrupted {
            report.interrupted = true;
            report.steps.push(step);
            break;
        }
        search.record(value, step.passed);
        report.steps.push(step);
    }
    report.answer = search.answer();
    report.lowest_failed = search.lowest_failed();
    Ok(report)
}

/// The bench of the step offering `value`.
fn step_config(base: &BenchConfig, plan: &SearchPlan, value: f64) -> BenchConfig {
    let mut cfg = BenchConfig {
        duration: plan.ramp + plan.step,
        drain: plan.drain,
        live: false,
        ..base.clone()
    };
    match plan.metric {
        Metric::Cps => {
            cfg.rate = Some(value);
            cfg.ramp = plan.ramp;
        }
        Metric::Concurrency => {
            cfg.concurrency = value.round().max(cfg.workers as f64) as u64;
            cfg.ramp = std::time::Duration::ZERO;
        }
    }
    cfg
}

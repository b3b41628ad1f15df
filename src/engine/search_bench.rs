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
use super::search::{Metric, SearchPlan, Step, StepRun, Tally, judge};
use super::search_steps::{SearchReport, run_steps};
use std::sync::atomic::AtomicBool;

/// Runs the search of `plan`, each step a bench of `base` at the step's
/// value; `on_step` after each step (its index from 0).
pub fn run_search_bench(
    base: &BenchConfig,
    plan: &SearchPlan,
    interrupt: &AtomicBool,
    on_step: impl FnMut(usize, &Step),
) -> Result<SearchReport, RunError> {
    let step = |value| {
        let cfg = step_config(base, plan, value);
        let r = run_bench(&cfg, interrupt)?;
        let peak = r.live_lines.iter().map(|l| l.open).max().unwrap_or(0);
        let run = StepRun {
            resets_expected: base.scenario.close == crate::app::CloseKind::ServerRst,
            ..StepRun::new(plan, value, r.run_phase, peak, r.unfinished())
        };
        let whole = r.run_phase + std::time::Duration::from_millis(50) >= cfg.duration;
        Ok((
            judge(plan.metric, &plan.criteria, run, &Tally::of(&r.generators)),
            whole,
        ))
    };
    run_steps(plan, step, on_step)
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

//! The loop every search shares (`search_gen` on an interface,
//! `search_bench` in memory): offer the value the bisection asks for, run
//! the step, judge it into the search, until the search ends or a step is
//! interrupted; and the report it makes.
//!
//! Rules: how a step runs is the caller's; an interrupted step (Ctrl-C
//! ended it before its length) is shown and kept in the report but not
//! judged into the search, and ends it.

use super::search::{Bisection, SearchPlan, Step};
use crate::io::afxdp::BindMode;
use crate::wire::MacAddr;

/// A search's outcome.
#[derive(Debug)]
pub struct SearchReport {
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// The highest value that passed (`None`: not even the lowest).
    pub answer: Option<f64>,
    /// The lowest value that failed (`None`: even the highest passed).
    pub lowest_failed: Option<f64>,
    /// The search was interrupted before it ended.
    pub interrupted: bool,
    /// "native" or "generic" on an interface, "in-memory" otherwise.
    pub xdp_mode: &'static str,
    /// Copy or zero-copy (interface runs).
    pub bind: Option<BindMode>,
    /// The next hop's MAC (interface runs).
    pub peer_mac: Option<MacAddr>,
}

/// Runs the search of `plan`: `step(value)` runs one step offering
/// `value` and hands it back measured, with whether it ran its whole
/// length; `on_step` is called after each (its index from 0). The report
/// is an in-memory one until the caller says otherwise.
pub fn run_steps<E>(
    plan: &SearchPlan,
    mut step: impl FnMut(f64) -> Result<(Step, bool), E>,
    mut on_step: impl FnMut(usize, &Step),
) -> Result<SearchReport, E> {
    let mut search = Bisection::new(plan.clone());
    let mut steps = Vec::new();
    let mut interrupted = false;
    while let Some(value) = search.next() {
        let (s, whole) = step(value)?;
        on_step(steps.len(), &s);
        if !whole {
            interrupted = true;
            steps.push(s);
            break;
        }
        search.record(value, s.passed);
        steps.push(s);
    }
    Ok(SearchReport {
        steps,
        answer: search.answer(),
        lowest_failed: search.lowest_failed(),
        interrupted,
        xdp_mode: "in-memory",
        bind: None,
        peer_mac: None,
    })
}

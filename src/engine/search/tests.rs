use super::*;

fn plan(metric: Metric, min: f64, max: f64) -> SearchPlan {
    SearchPlan {
        metric,
        min,
        max,
        resolution_pct: 2.0,
        step: Duration::from_secs(1),
        ramp: Duration::from_millis(200),
        drain: Duration::from_secs(1),
        warm_up: Duration::ZERO,
        criteria: Criteria::default(),
    }
}

/// Runs the search against a device that passes every value up to
/// `limit`; the values offered, and the answer.
fn search(p: SearchPlan, limit: f64) -> (Vec<f64>, Option<f64>) {
    let mut b = Bisection::new(p);
    let mut offered = Vec::new();
    while let Some(v) = b.next() {
        offered.push(v);
        b.record(v, v <= limit);
        assert!(offered.len() < 100, "the search ends");
    }
    (offered, b.answer())
}

#[test]
fn the_search_brackets_the_limit_within_the_resolution() {
    let p = plan(Metric::Cps, 1_000.0, 50_000.0);
    let steps = p.max_steps();
    let (offered, answer) = search(p, 12_400.0);
    assert_eq!(&offered[..2], &[1_000.0, 50_000.0]);
    let a = answer.unwrap();
    assert!((12_400.0 * 0.98..=12_400.0).contains(&a), "{a}");
    assert!(offered.len() as u32 <= steps, "{} > {steps}", offered.len());
}

#[test]
fn a_passing_maximum_ends_the_search_and_a_failing_minimum_too() {
    let (offered, answer) = search(plan(Metric::Cps, 1_000.0, 5_000.0), 1e9);
    assert_eq!((offered, answer), (vec![1_000.0, 5_000.0], Some(5_000.0)));
    let (offered, answer) = search(plan(Metric::Cps, 1_000.0, 5_000.0), 10.0);
    assert_eq!((offered, answer), (vec![1_000.0], None));
}

#[test]
fn concurrency_is_searched_in_whole_connections() {
    let (offered, answer) = search(plan(Metric::Concurrency, 10.0, 100.0), 37.0);
    assert!(offered.iter().all(|v| v.fract() == 0.0), "{offered:?}");
    assert_eq!(answer, Some(37.0));
}

#[test]
fn bad_plans_are_named() {
    let p = plan(Metric::Cps, 5_000.0, 1_000.0);
    assert!(matches!(p.validate(), Err(SearchError::MinAboveMax { .. })));
    let p = SearchPlan {
        resolution_pct: 0.0,
        ..plan(Metric::Cps, 1.0, 2.0)
    };
    assert_eq!(p.validate(), Err(SearchError::Resolution(0.0)));
    let mut p = plan(Metric::Cps, 1.0, 2.0);
    p.criteria.syn_retransmits_pct = 150.0;
    assert!(
        p.validate()
            .unwrap_err()
            .to_string()
            .contains("syn-retransmits 150")
    );
    assert!(plan(Metric::Cps, 1.0, 2.0).validate().is_ok());
}

fn run(offered: f64, due: u64) -> StepRun {
    StepRun {
        offered,
        seconds: 1.0,
        due,
        peak_open: 0,
        unfinished: 0,
        resets_expected: false,
    }
}

fn clean(n: u64) -> Tally {
    Tally {
        opened: n,
        established: n,
        ended: n,
        completed: n,
        ..Tally::default()
    }
}

#[test]
fn each_criterion_fails_a_step_and_names_its_figure() {
    let c = Criteria::default();
    let ok = judge(Metric::Cps, &c, run(100_000.0, 100_000), &clean(100_000));
    assert!(ok.passed, "{:?}", ok.failed_criterion);
    assert_eq!(ok.setups_per_sec, 100_000.0);
    // 0.1 % of SYNs retransmitted passes; one more fails.
    let mut t = clean(100_000);
    t.syn_retransmits = 100;
    assert!(judge(Metric::Cps, &c, run(1e5, 100_000), &t).passed);
    t.syn_retransmits = 101;
    let s = judge(Metric::Cps, &c, run(1e5, 100_000), &t);
    assert!(!s.passed);
    assert!(
        s.failed_criterion
            .unwrap()
            .starts_with("retransmitted SYNs 101")
    );
    // Two failures in 100,000 are above 0.001 %.
    let mut t = clean(100_000);
    t.completed -= 2;
    let s = judge(Metric::Cps, &c, run(1e5, 100_000), &t);
    assert!(s.failed_criterion.unwrap().starts_with("failed 2"));
    // Connections still open at the drain's end are failures too.
    let mut r = run(1e5, 100_000);
    r.unfinished = 5;
    assert_eq!(judge(Metric::Cps, &c, r, &clean(100_000)).failed, 5);
    // Resets: unexpected unless the close mode asks for them.
    let mut t = clean(100_000);
    t.completed -= 10;
    t.reset_by_peer = 10;
    let s = judge(Metric::Cps, &c, run(1e5, 100_000), &t);
    assert!(s.failed_criterion.unwrap().starts_with("failed 10"));
    let mut r = run(1e5, 100_000);
    r.resets_expected = true;
    assert!(judge(Metric::Cps, &c, r, &t).passed);
}

#[test]
fn a_generator_limit_is_not_blamed_on_the_device() {
    let c = Criteria::default();
    let s = judge(Metric::Cps, &c, run(1e5, 100_000), &clean(50_000));
    assert!(s.failed_criterion.unwrap().contains("raise --concurrency"));
    let mut t = clean(100_000);
    t.ports_exhausted = 1;
    let s = judge(Metric::Cps, &c, run(1e5, 100_000), &t);
    assert!(
        s.failed_criterion
            .unwrap()
            .contains("source pairs exhausted")
    );
}

#[test]
fn latency_bounds_are_optional_criteria() {
    let mut t = clean(1_000);
    for _ in 0..1_000 {
        t.latency.handshake_us.record(3_000).unwrap();
    }
    let mut c = Criteria::default();
    assert!(judge(Metric::Cps, &c, run(1e3, 1_000), &t).passed);
    c.handshake_p99_us = Some(2_000);
    let s = judge(Metric::Cps, &c, run(1e3, 1_000), &t);
    assert_eq!(s.handshake.p99_us.map(|v| v / 10), Some(300));
    assert!(s.failed_criterion.unwrap().starts_with("handshake p99 3.0"));
}

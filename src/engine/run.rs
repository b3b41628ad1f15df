//! The run driver every run shares (`bench`, and `serve` and `gen` on an
//! interface): one thread per worker, pinned to its core, building its
//! worker there; a start gate all pass before the clock of the run starts;
//! the run phase (until the duration, the interrupt, or the connection
//! count); the drain (no new connections, until the judged workers hold
//! no record, or its time is up); the stop; the reports, the live lines
//! and the Prometheus endpoint on the way.
//!
//! Rules: the library installs no signal handler: the caller's interrupt
//! flag ends the run phase (first time) and the drain (when set again, or
//! at once if the drain has begun). The drain is judged only on boards
//! published in the drain (a worker starved of its core may not have
//! published since it started). A worker that fails to start, or a stats
//! thread that does, stops the others before the error is returned.

use super::clock::Clock;
use super::error::RunError;
use super::pin;
use super::poll::{Phase, SharedPhase};
use super::worker::{self, Worker, WorkerReport};
use crate::io::Port;
use crate::metrics::prometheus::MetricsServer;
use crate::metrics::{self, Board, LiveLine, StatsThread};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a run lasts, how it drains, and what it shows while it runs.
pub(crate) struct Plan<'a> {
    /// Length of the run phase (`None`: until interrupted).
    pub duration: Option<Duration>,
    /// The run phase also ends once the first side's workers have opened
    /// this many connections in all.
    pub total: Option<u64>,
    /// Longest drain.
    pub drain: Duration,
    /// Workers of the first side (a bench's generators; every worker of an
    /// interface run); the others are the second side. The live line's
    /// setups, teardowns and open count are the first side's; the drain
    /// ends once the first side holds no record.
    pub first_side: usize,
    /// Wait instead, in the drain, for every record and every TIME-WAIT
    /// record of both sides to go.
    pub drain_time_wait: bool,
    /// Print a live line every second.
    pub live: bool,
    /// `--metrics-addr`: serve the boards to Prometheus on this address.
    pub metrics_addr: Option<&'a str>,
    /// Worker `i`'s role and index among its side, as Prometheus labels
    /// them.
    pub label: &'a dyn Fn(usize) -> (&'static str, usize),
}

/// One worker thread of a run: its name and core, and what it runs there
/// (it builds its worker, then hands it to its `Start`).
pub(crate) struct Job<J> {
    /// The thread's name.
    pub name: String,
    /// The core it is pinned to.
    pub core: usize,
    /// Builds the worker, runs it through `Start::run`, and returns what
    /// the run reports of it.
    pub run: J,
}

/// What a run hands back.
#[derive(Debug)]
pub(crate) struct Ran<R> {
    /// One report per job, in job order.
    pub reports: Vec<R>,
    /// Wall time from start to stop.
    pub duration: Duration,
    /// Length of the run phase.
    pub run_phase: Duration,
    /// The live lines.
    pub live_lines: Vec<LiveLine>,
}

/// The start gate: workers arrive once built and wait until it opens; the
/// driver waits until every worker has arrived, then opens it.
#[derive(Default)]
struct Gate {
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl Gate {
    fn arrive(&self, wait: bool) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 += 1;
        self.changed.notify_all();
        while wait && !s.1 {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn wait_arrived(&self, n: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while s.0 < n {
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.changed.notify_all();
    }
}

/// A worker's way into the run: `run` passes the start gate and runs the
/// poll loop until the stop. Dropped unused (the job failed to build its
/// worker), it still counts as arrived, so the run is not held up.
pub(crate) struct Start {
    gate: Option<Arc<Gate>>,
    clock: Clock,
    phase: Arc<SharedPhase>,
    board: Arc<Board>,
}

impl Start {
    /// Waits for the start, then runs `w` until the phase is `Stop`.
    pub(crate) fn run<P: Port>(mut self, w: &mut Worker<P>) -> WorkerReport {
        if let Some(g) = self.gate.take() {
            g.arrive(true);
        }
        worker::run(w, self.clock, &self.phase, &self.board)
    }
}

impl Drop for Start {
    fn drop(&mut self) {
        if let Some(g) = self.gate.take() {
            g.arrive(false);
        }
    }
}

/// The workers' threads, stopped and joined on every way out.
struct Workers<R> {
    phase: Arc<SharedPhase>,
    gate: Arc<Gate>,
    handles: Vec<JoinHandle<R>>,
}

impl<R> Workers<R> {
    /// Stops the workers and collects their results in order.
    fn stop(mut self) -> Result<Vec<R>, RunError> {
        self.phase.set(Phase::Stop);
        self.gate.open();
        let handles = std::mem::take(&mut self.handles);
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(h.join().map_err(|_| RunError::WorkerPanicked)?);
        }
        Ok(out)
    }
}

impl<R> Drop for Workers<R> {
    fn drop(&mut self) {
        self.phase.set(Phase::Stop);
        self.gate.open();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

/// Runs `jobs` with `clock` as the run's time: spawns and pins them, starts
/// them together, runs the phases of `plan`, stops them and collects their
/// reports.
pub(crate) fn drive<J, R>(
    jobs: Vec<Job<J>>,
    clock: Clock,
    plan: &Plan<'_>,
    interrupt: &AtomicBool,
) -> Result<Ran<R>, RunError>
where
    J: FnOnce(Start) -> R + Send + 'static,
    R: Send + 'static,
{
    let n = jobs.len();
    let boards: Vec<Arc<Board>> = (0..n).map(|_| Arc::default()).collect();
    // Bound before any worker starts: a busy address stops the run here.
    let _metrics = MetricsServer::for_boards(plan.metrics_addr, &boards, plan.label)?;
    let mut workers = Workers {
        phase: Arc::new(SharedPhase::default()),
        gate: Arc::new(Gate::default()),
        handles: Vec::with_capacity(n),
    };
    for (job, board) in jobs.into_iter().zip(&boards) {
        let start = Start {
            gate: Some(workers.gate.clone()),
            clock,
            phase: workers.phase.clone(),
            board: board.clone(),
        };
        let (core, run) = (job.core, job.run);
        let handle = std::thread::Builder::new()
            .name(job.name)
            .spawn(move || {
                pin::pin_current(core);
                run(start)
            })
            .map_err(|error| RunError::Thread {
                what: "worker",
                error,
            })?;
        workers.handles.push(handle);
    }
    // Every worker builds its tables (hundreds of MiB) before any of them
    // starts: a generator that started first would see its SYNs unanswered
    // for as long as the responder's set-up takes, and retransmit them.
    workers.gate.wait_arrived(n);
    let started = Instant::now();
    workers.gate.open();
    let first = plan.first_side.min(n);
    let stats = StatsThread::spawn(
        boards[..first].to_vec(),
        boards[first..].to_vec(),
        Duration::from_secs(1),
        plan.live,
    )
    .map_err(|error| RunError::Thread {
        what: "stats",
        error,
    })?;
    let run_phase = run_phase(&boards[..first], plan, started, interrupt);
    workers.phase.set(Phase::Drain);
    let judged = if plan.drain_time_wait {
        &boards[..]
    } else {
        &boards[..first]
    };
    drain(judged, plan, interrupt);
    let reports = workers.stop()?;
    let live_lines = stats.stop();
    Ok(Ran {
        reports,
        duration: started.elapsed(),
        run_phase,
        live_lines,
    })
}

/// The metrics summed over `boards`.
fn totals(boards: &[Arc<Board>], len: usize) -> Vec<u64> {
    let mut t = vec![0; len];
    for b in boards {
        b.add_to(&mut t, len);
    }
    t
}

/// Waits out the run phase: the duration, the interrupt, or `plan.total`
/// connections opened by `first`. Returns its length.
fn run_phase(
    first: &[Arc<Board>],
    plan: &Plan<'_>,
    started: Instant,
    interrupt: &AtomicBool,
) -> Duration {
    let len = metrics::names().len();
    let opened = metrics::index_of("opened").expect("every board has the opened count");
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = started.elapsed();
        let all_opened = plan.total.is_some_and(|n| totals(first, len)[opened] >= n);
        if interrupt.swap(false, Ordering::Relaxed)
            || plan.duration.is_some_and(|d| elapsed >= d)
            || all_opened
        {
            return elapsed;
        }
    }
}

/// Waits out the drain: until the `judged` boards, all published in the
/// drain, show no record (and, with `plan.drain_time_wait`, no TIME-WAIT
/// record), or its time is up, or the interrupt.
fn drain(judged: &[Arc<Board>], plan: &Plan<'_>, interrupt: &AtomicBool) {
    let len = metrics::names().len();
    let at = |name: &str| metrics::index_of(name).expect("a gauge every board has");
    let (records, tw_records) = (at("records"), at("time_wait_records"));
    let deadline = Instant::now() + plan.drain;
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let t = totals(judged, len);
        let done = judged.iter().all(|b| b.tag() == Phase::Drain.tag())
            && t[records] == 0
            && (!plan.drain_time_wait || t[tw_records] == 0);
        if done || Instant::now() >= deadline || interrupt.load(Ordering::Relaxed) {
            return;
        }
    }
}

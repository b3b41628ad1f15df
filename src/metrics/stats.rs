//! The stats thread: once a second it sums the generator and responder
//! boards and prints one live line (rates since the previous line, levels
//! now). It only reads boards; workers never wait for it.

use super::board::Board;
use super::sample::{index_of, names};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Sums of every board of one side, in `visit` order, with lookups by
/// name.
#[derive(Clone, Debug, Default)]
struct Totals(Vec<u64>);

/// Positions of the metrics the live line shows.
#[derive(Clone, Copy, Debug)]
struct Columns {
    established: usize,
    rx: usize,
    tx: usize,
    retransmit: usize,
    records: usize,
    time_wait_records: usize,
    completed: usize,
    malformed: usize,
    handoff_out: usize,
}

impl Columns {
    fn new() -> Columns {
        let at = |name: &str| index_of(name).expect("a metric the live line shows");
        Columns {
            established: at("established"),
            rx: at("rx_frames"),
            tx: at("tx_frames"),
            retransmit: at("retransmit"),
            records: at("records"),
            time_wait_records: at("time_wait_records"),
            completed: at("completed"),
            malformed: at("drop_malformed"),
            handoff_out: at("handoff_out"),
        }
    }
}

impl Totals {
    fn of(boards: &[Arc<Board>], len: usize) -> Totals {
        let mut out = vec![0; len];
        for b in boards {
            b.add_to(&mut out, len);
        }
        Totals(out)
    }
    fn get(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }
}

/// One live line's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveLine {
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// Generator connections established per second.
    pub setups_per_sec: f64,
    /// First-side connections that ended by a clean close per second
    /// (`endpoint::is_clean`; the generators' in a bench).
    pub teardowns_per_sec: f64,
    /// Frames received per second, both sides.
    pub pps_rx: f64,
    /// Frames sent per second, both sides.
    pub pps_tx: f64,
    /// Retransmissions per second, both sides.
    pub retransmits_per_sec: f64,
    /// Malformed frames dropped per second, both sides.
    pub malformed_per_sec: f64,
    /// Generator connections open now.
    pub open: u64,
    /// TIME-WAIT records now, both sides (the side that closes first
    /// holds them: the generators with client-fin, the responders with
    /// server-fin).
    pub time_wait: u64,
    /// Of the frames received this second, the percentage that landed on
    /// another worker's queue and were handed to it (0 without handoff).
    pub handoff_pct: f64,
}

impl LiveLine {
    /// The CSV header of `csv_row`.
    pub const CSV_HEADER: &'static str = "elapsed_s,setups_per_sec,teardowns_per_sec,pps_rx,pps_tx,retransmits_per_sec,malformed_per_sec,open,time_wait";

    /// The line as one CSV row (no newline).
    pub fn csv_row(&self) -> String {
        format!(
            "{:.3},{:.0},{:.0},{:.0},{:.0},{:.0},{:.0},{},{}",
            self.elapsed_s,
            self.setups_per_sec,
            self.teardowns_per_sec,
            self.pps_rx,
            self.pps_tx,
            self.retransmits_per_sec,
            self.malformed_per_sec,
            self.open,
            self.time_wait
        )
    }
}

impl std::fmt::Display for LiveLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{:>6.1}s] setups/s {:>9.0}  teardowns/s {:>9.0}  open {:>8}  time-wait {:>9}  pps rx {:>9.0} tx {:>9.0}  retrans/s {:>6.0}  malformed/s {:>4.0}",
            self.elapsed_s,
            self.setups_per_sec,
            self.teardowns_per_sec,
            self.open,
            self.time_wait,
            self.pps_rx,
            self.pps_tx,
            self.retransmits_per_sec,
            self.malformed_per_sec,
        )?;
        if self.handoff_pct > 0.0 {
            write!(f, "  handed over {:>4.1}%", self.handoff_pct)?;
        }
        Ok(())
    }
}

/// The running stats thread.
#[derive(Debug)]
pub struct StatsThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Vec<LiveLine>>>,
}

/// The boards of both sides and what to do with each line.
struct Sides {
    generators: Vec<Arc<Board>>,
    responders: Vec<Arc<Board>>,
    len: usize,
    cols: Columns,
}

impl Sides {
    fn line(&self, started: Instant, prev: &mut (Instant, Totals, Totals)) -> LiveLine {
        let g = Totals::of(&self.generators, self.len);
        let r = Totals::of(&self.responders, self.len);
        let c = &self.cols;
        let dt = prev.0.elapsed().as_secs_f64().max(1e-9);
        let rate = |now: u64, then: u64| now.saturating_sub(then) as f64 / dt;
        let both = |t: &Totals, u: &Totals, i: usize| t.get(i) + u.get(i);
        let line = LiveLine {
            elapsed_s: started.elapsed().as_secs_f64(),
            setups_per_sec: rate(g.get(c.established), prev.1.get(c.established)),
            teardowns_per_sec: rate(g.get(c.completed), prev.1.get(c.completed)),
            pps_rx: rate(both(&g, &r, c.rx), both(&prev.1, &prev.2, c.rx)),
            pps_tx: rate(both(&g, &r, c.tx), both(&prev.1, &prev.2, c.tx)),
            retransmits_per_sec: rate(
                both(&g, &r, c.retransmit),
                both(&prev.1, &prev.2, c.retransmit),
            ),
            malformed_per_sec: rate(
                both(&g, &r, c.malformed),
                both(&prev.1, &prev.2, c.malformed),
            ),
            open: g.get(c.records),
            time_wait: both(&g, &r, c.time_wait_records),
            handoff_pct: {
                let received = both(&g, &r, c.rx).saturating_sub(both(&prev.1, &prev.2, c.rx));
                let handed = both(&g, &r, c.handoff_out).saturating_sub(both(
                    &prev.1,
                    &prev.2,
                    c.handoff_out,
                ));
                100.0 * handed as f64 / received.max(1) as f64
            },
        };
        *prev = (Instant::now(), g, r);
        line
    }
}

impl StatsThread {
    /// Starts the thread: a line every `every`, printed to stderr when
    /// `print`; every line is also kept and handed back by `stop`.
    pub fn spawn(
        generators: Vec<Arc<Board>>,
        responders: Vec<Arc<Board>>,
        every: Duration,
        print: bool,
    ) -> std::io::Result<StatsThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let sides = Sides {
            generators,
            responders,
            len: names().len(),
            cols: Columns::new(),
        };
        let handle = std::thread::Builder::new()
            .name("synwave-stats".into())
            .spawn(move || {
                let started = Instant::now();
                let mut prev = (started, Totals::default(), Totals::default());
                let mut lines = Vec::new();
                let mut next = started + every;
                while !flag.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    if now < next {
                        std::thread::sleep((next - now).min(Duration::from_millis(50)));
                        continue;
                    }
                    next += every;
                    let line = sides.line(started, &mut prev);
                    if print {
                        eprintln!("{line}");
                    }
                    lines.push(line);
                }
                lines
            })?;
        Ok(StatsThread {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread; returns every line it made.
    pub fn stop(mut self) -> Vec<LiveLine> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for StatsThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Counters;
    use crate::io::PortStats;
    use crate::metrics::{Sample, WorkerTally};
    use crate::tcp::{End, Events};

    #[test]
    fn lines_sum_the_boards_of_each_side() {
        let gens: Vec<Arc<Board>> = (0..2).map(|_| Arc::default()).collect();
        let resp: Vec<Arc<Board>> = vec![Arc::default()];
        let mut c = Counters::default();
        c.add_events(Events::ESTABLISHED);
        c.rx_frames = 10;
        let s = Sample {
            counters: &c,
            tally: WorkerTally::default(),
            port: PortStats::default(),
            gauges: (4, 5, 6),
            latency: None,
        };
        for b in gens.iter().chain(&resp) {
            b.publish(&s, 1);
        }
        // The line a tick of the thread makes, made here: two ticks, the
        // first after the boards were published, the second after nothing
        // moved.
        let sides = Sides {
            generators: gens,
            responders: resp,
            len: names().len(),
            cols: Columns::new(),
        };
        let started = Instant::now();
        let mut prev = (started, Totals::default(), Totals::default());
        let first = sides.line(started, &mut prev);
        // Two generator boards with 4 records each; three boards (both
        // sides) with 5 TIME-WAIT records each.
        assert_eq!(first.open, 8);
        assert_eq!(first.time_wait, 15);
        assert!(first.setups_per_sec > 0.0);
        assert!(first.pps_rx > 0.0);
        let second = sides.line(started, &mut prev);
        // Nothing moved since the first line: no rate, the same levels.
        assert_eq!((second.setups_per_sec, second.pps_rx), (0.0, 0.0));
        assert_eq!((second.open, second.time_wait), (8, 15));
        assert!(second.elapsed_s >= first.elapsed_s);
    }

    #[test]
    fn teardowns_count_clean_closes_only() {
        // Four connections established: two closed cleanly, one reset by
        // the peer, one out of retries.
        let mut c = Counters::default();
        for _ in 0..4 {
            c.add_events(Events::ESTABLISHED);
        }
        for end in [
            End::Closed,
            End::TimeWait,
            End::ResetByPeer,
            End::RetriesExceeded,
        ] {
            c.add_end(end);
        }
        let s = Sample {
            counters: &c,
            tally: WorkerTally::default(),
            port: PortStats::default(),
            gauges: (0, 0, 0),
            latency: None,
        };
        let board: Arc<Board> = Arc::default();
        board.publish(&s, 1);
        let sides = Sides {
            generators: vec![board],
            responders: Vec::new(),
            len: names().len(),
            cols: Columns::new(),
        };
        let start = Instant::now();
        let mut prev = (start, Totals::default(), Totals::default());
        let line = sides.line(start, &mut prev);
        // Both rates over the same interval: teardowns are half the
        // setups, not all of them.
        assert!(line.setups_per_sec > 0.0);
        assert_eq!(line.teardowns_per_sec / line.setups_per_sec, 0.5);
    }
}

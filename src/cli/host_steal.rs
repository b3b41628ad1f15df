//! Host steal time, from the `cpu` line of `/proc/stat`: the time the
//! hypervisor gave this machine's vCPUs to someone else while they wanted
//! to run. On a shared VM it is the measure of how much a run was slowed
//! by the host's other tenants, so the summary reports it next to the
//! figures it spoils.
//!
//! Rules: read twice per run (before and after), never on the hot path;
//! a machine without `/proc/stat` (or a kernel that does not count steal)
//! gives `None`, never an error.

/// The counters at the start of a run.
#[derive(Clone, Copy, Debug)]
pub struct HostSteal {
    start: Option<(u64, u64)>,
}

/// (steal, total) jiffies of all CPUs, from the text of `/proc/stat`.
fn parse(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    // user nice system idle iowait irq softirq steal (guest time is
    // already inside user and nice).
    let steal = *fields.get(7)?;
    Some((steal, fields.iter().take(8).sum()))
}

fn read() -> Option<(u64, u64)> {
    parse(&std::fs::read_to_string("/proc/stat").ok()?)
}

impl HostSteal {
    /// Reads the counters now.
    pub fn start() -> HostSteal {
        HostSteal { start: read() }
    }

    /// Steal since `start`, in percent of all CPU time of the machine.
    pub fn percent(&self) -> Option<f64> {
        percent_between(self.start?, read()?)
    }
}

fn percent_between(a: (u64, u64), b: (u64, u64)) -> Option<f64> {
    let total = b.1.checked_sub(a.1).filter(|&t| t > 0)?;
    let steal = b.0.checked_sub(a.0)?;
    Some(100.0 * steal as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_cpu_line_and_takes_the_share() {
        let before = "cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 18 0 0\n";
        let after = "cpu  300 0 100 900 10 0 5 85 0 0\n";
        let (a, b) = (parse(before).unwrap(), parse(after).unwrap());
        assert_eq!(a, (35, 1000));
        assert_eq!(b, (85, 1400));
        assert_eq!(percent_between(a, b), Some(12.5));
    }

    #[test]
    fn missing_or_odd_text_gives_none() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("cpu  1 2 3\n"), None);
        assert_eq!(parse("cpu  a b c d e f g h\n"), None);
        assert_eq!(percent_between((5, 100), (5, 100)), None);
    }
}

//! `--pcap FILE`: the frames one worker receives and sends, written in the
//! classic pcap format (Ethernet, microsecond timestamps) that tshark,
//! tcpdump and Wireshark read, up to a frame limit.
//!
//! Rules: opt-in. A worker without a capture pays one branch per burst.
//! With one, each frame is copied into a buffered writer on the worker's
//! own thread, and the buffer's flushes are the only syscalls. Received
//! frames are recorded before the endpoint answers in place, and sent
//! frames just before they are handed to the port. A write error ends
//! the capture and is reported; it never stops the run.

use pcap_file::pcap::{PcapPacket, PcapWriter};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What to capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcapConfig {
    /// The file written (created or truncated).
    pub path: PathBuf,
    /// Frames to write at most; the capture stops there.
    pub limit: u64,
}

/// How a capture ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PcapReport {
    /// The file written.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// The write error that ended the capture early, if one did.
    pub error: Option<String>,
}

/// The capture file could not be created or its header written.
#[derive(Debug)]
pub struct PcapError {
    /// The file.
    pub path: PathBuf,
    /// The OS's answer.
    pub error: std::io::Error,
}

impl std::fmt::Display for PcapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.error)
    }
}

impl std::error::Error for PcapError {}

/// An open capture.
pub struct PcapCapture {
    writer: Option<PcapWriter<BufWriter<File>>>,
    left: u64,
    /// Wall time, in µs since the Unix epoch, of the engine clock's 0.
    epoch_us: u64,
    report: PcapReport,
}

impl PcapCapture {
    /// Creates `cfg.path` and writes the pcap header. `clock_now_us` is
    /// the engine clock's reading now, so that frames stamped with it get
    /// wall-clock times.
    pub fn create(cfg: &PcapConfig, clock_now_us: u64) -> Result<PcapCapture, PcapError> {
        let fail = |error: std::io::Error| PcapError {
            path: cfg.path.clone(),
            error,
        };
        let file = File::create(&cfg.path).map_err(fail)?;
        let writer = PcapWriter::new(BufWriter::with_capacity(1 << 20, file))
            .map_err(|e| fail(std::io::Error::other(e)))?;
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros() as u64;
        Ok(PcapCapture {
            writer: Some(writer),
            left: cfg.limit,
            epoch_us: wall.saturating_sub(clock_now_us),
            report: PcapReport {
                path: cfg.path.clone(),
                ..PcapReport::default()
            },
        })
    }

    /// Still writing (the limit is not reached and no write failed).
    #[inline]
    pub fn active(&self) -> bool {
        self.writer.is_some()
    }

    /// Records one frame seen at engine time `now_us`.
    pub fn record(&mut self, now_us: u64, frame: &[u8]) {
        let Some(w) = self.writer.as_mut() else {
            return;
        };
        let ts = Duration::from_micros(self.epoch_us + now_us);
        let packet = PcapPacket::new(ts, frame.len() as u32, frame);
        match w.write_packet(&packet) {
            Ok(_) => {
                self.report.frames += 1;
                self.left -= 1;
                if self.left == 0 {
                    self.close();
                }
            }
            Err(e) => {
                self.report.error = Some(e.to_string());
                self.writer = None;
            }
        }
    }

    /// Flushes and closes the file; what was written.
    pub fn finish(mut self) -> PcapReport {
        self.close();
        self.report
    }

    fn close(&mut self) {
        if let Some(w) = self.writer.take() {
            let mut buf = w.into_writer();
            if let Err(e) = std::io::Write::flush(&mut buf) {
                self.report.error.get_or_insert(e.to_string());
            }
        }
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.report.path
    }
}

impl std::fmt::Debug for PcapCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapCapture")
            .field("report", &self.report)
            .field("left", &self.left)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_file::pcap::PcapReader;

    #[test]
    fn frames_up_to_the_limit_are_read_back_in_order() {
        let path = std::env::temp_dir().join(format!("synwave-pcap-{}.pcap", std::process::id()));
        let cfg = PcapConfig {
            path: path.clone(),
            limit: 3,
        };
        let mut c = PcapCapture::create(&cfg, 1_000).unwrap();
        for i in 0..5u8 {
            c.record(1_000 + u64::from(i), &[i; 60]);
        }
        assert!(!c.active(), "the limit ends the capture");
        let r = c.finish();
        assert_eq!((r.frames, r.error), (3, None));
        let mut rd = PcapReader::new(File::open(&path).unwrap()).unwrap();
        let mut seen = Vec::new();
        while let Some(p) = rd.next_packet() {
            let p = p.unwrap();
            seen.push((p.data[0], p.data.len(), p.timestamp.as_micros() % 1_000_000));
        }
        let _ = std::fs::remove_file(&path);
        let t0 = seen[0].2;
        assert_eq!(
            seen,
            vec![
                (0, 60, t0),
                (1, 60, (t0 + 1) % 1_000_000),
                (2, 60, (t0 + 2) % 1_000_000)
            ]
        );
    }

    #[test]
    fn an_unwritable_path_is_named() {
        let cfg = PcapConfig {
            path: "/nonexistent-dir/x.pcap".into(),
            limit: 1,
        };
        let e = PcapCapture::create(&cfg, 1).unwrap_err();
        assert_eq!(e.path, cfg.path);
        assert_eq!(e.error.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().contains("/nonexistent-dir/x.pcap"), "{e}");
    }
}

//! Parsers for the flags of the real-interface subcommands: address
//! ranges of either family and lists mixing them (`10.0.0.1`,
//! `10.0.0.1-10.0.0.8`, `fd00::1-fd00::ff`, `10.0.0.1,fd00::1`), MAC
//! addresses, port lists, and the
//! AF_XDP choices shared by `serve` and `gen`; each error names the value
//! and the form expected.

use clap::ValueEnum;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;
use synwave::engine::interface::{InterfaceRun, InterfaceSetup};
use synwave::engine::nic_steering::RssMode;
use synwave::io::Impairment;
use synwave::io::afxdp::{AddressRange, AfXdpConfig, Ours, XdpMode, XskConfig, ZeroCopy};
use synwave::wire::{V4, V6};

/// Most addresses in one range.
pub(super) const MOST_IN_RANGE: u128 = 1 << 24;

/// An IPv6 address or an inclusive range `A-B` whose ends share their
/// first 96 bits (brackets allowed: `[fd00::1]`).
pub fn parse_ip6_range(s: &str) -> Result<AddressRange<V6>, String> {
    let one = |t: &str| -> Result<Ipv6Addr, String> {
        let t = t.trim();
        let t = t
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(t);
        t.parse::<Ipv6Addr>().map_err(|_| {
            format!("'{t}' is not an IPv6 address; give e.g. fd00::1 or fd00::1-fd00::ff")
        })
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let a = one(s)?;
            (a, a)
        }
    };
    let (lo, hi) = (u128::from(a), u128::from(b));
    if hi < lo {
        return Err(format!(
            "range {s} runs backwards: give the lower address first"
        ));
    }
    if hi >> 32 != lo >> 32 {
        return Err(format!(
            "range {s} spans more than its last 32 bits: its ends must share their first 96 bits"
        ));
    }
    if hi - lo >= MOST_IN_RANGE {
        return Err(format!("range {s} holds more than 16,777,216 addresses"));
    }
    Ok(AddressRange {
        first: a.octets(),
        count: (hi - lo + 1) as u32,
    })
}

/// Our addresses: an IPv4 and an IPv6 address or range, or one of them,
/// comma-separated (`10.0.0.1-10.0.0.8,fd00::1-fd00::ff`).
pub fn parse_addresses(s: &str) -> Result<Ours, String> {
    let mut ours = Ours::default();
    for part in s.split(',') {
        if part.contains(':') {
            if ours.v6.replace(parse_ip6_range(part)?).is_some() {
                return Err(format!(
                    "'{s}' names two IPv6 ranges; give one range per family (A-B)"
                ));
            }
        } else if ours.v4.replace(parse_ip_range(part)?).is_some() {
            return Err(format!(
                "'{s}' names two IPv4 ranges; give one range per family (A-B)"
            ));
        }
    }
    Ok(ours)
}

/// Gateways, at most one per family, comma-separated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gateways {
    /// The IPv4 gateway.
    pub v4: Option<V4>,
    /// The IPv6 gateway.
    pub v6: Option<V6>,
}

impl std::fmt::Display for Gateways {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v4 = self.v4.map(IpAddr::from);
        let v6 = self.v6.map(IpAddr::from);
        let all: Vec<String> = v4.into_iter().chain(v6).map(|a| a.to_string()).collect();
        f.write_str(&all.join(","))
    }
}

/// `--gateway`: an IPv4 and an IPv6 router, or one of them.
pub fn parse_gateways(s: &str) -> Result<Gateways, String> {
    let mut out = Gateways::default();
    for part in s.split(',') {
        let ip = part.trim().parse::<IpAddr>().map_err(|_| {
            format!("'{part}' is not an IP address; give the router as e.g. 10.0.0.254 or fd00::fe")
        })?;
        let twice = match ip {
            IpAddr::V4(a) => out.v4.replace(a.octets()).is_some(),
            IpAddr::V6(a) => out.v6.replace(a.octets()).is_some(),
        };
        if twice {
            return Err(format!(
                "'{s}' names two gateways of one family; give one per family"
            ));
        }
    }
    Ok(out)
}
use synwave::io::pcap::PcapConfig;
use synwave::wire::MacAddr;

/// An address or an inclusive range `A-B`.
pub fn parse_ip_range(s: &str) -> Result<AddressRange, String> {
    let one = |t: &str| -> Result<Ipv4Addr, String> {
        t.trim().parse::<Ipv4Addr>().map_err(|_| {
            format!("'{t}' is not an IPv4 address; give e.g. 10.0.0.1 or 10.0.0.1-10.0.0.8")
        })
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let a = one(s)?;
            (a, a)
        }
    };
    let (lo, hi) = (u32::from(a), u32::from(b));
    if hi < lo {
        return Err(format!(
            "range {s} runs backwards: give the lower address first"
        ));
    }
    if u128::from(hi - lo) >= MOST_IN_RANGE {
        return Err(format!("range {s} holds more than 16,777,216 addresses"));
    }
    Ok(AddressRange {
        first: a.octets(),
        count: hi - lo + 1,
    })
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Result<MacAddr, String> {
    let bad =
        || format!("'{s}' is not a MAC address; give six hex bytes such as 02:00:00:00:00:01");
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut m = [0u8; 6];
    for (d, p) in m.iter_mut().zip(parts) {
        if p.len() != 2 {
            return Err(bad());
        }
        *d = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    Ok(MacAddr(m))
}

/// A TCP port, 1 to 65535.
pub fn parse_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("'{s}' is not a TCP port; give 1 to 65535")),
    }
}

/// Where the XDP program runs.
#[derive(Clone, Copy, ValueEnum)]
pub enum XdpModeArg {
    /// Native, generic where the driver lacks native XDP.
    Auto,
    /// In the driver.
    Native,
    /// On the skb (any interface; slower).
    Generic,
}

impl From<XdpModeArg> for XdpMode {
    fn from(m: XdpModeArg) -> XdpMode {
        match m {
            XdpModeArg::Auto => XdpMode::Auto,
            XdpModeArg::Native => XdpMode::Native,
            XdpModeArg::Generic => XdpMode::Generic,
        }
    }
}

/// Zero-copy choice.
#[derive(Clone, Copy, ValueEnum)]
pub enum ZeroCopyArg {
    /// Zero-copy where the driver offers it, else copy mode (said).
    Auto,
    /// Zero-copy or fail.
    On,
    /// Copy mode.
    Off,
}

impl From<ZeroCopyArg> for ZeroCopy {
    fn from(z: ZeroCopyArg) -> ZeroCopy {
        match z {
            ZeroCopyArg::Auto => ZeroCopy::Auto,
            ZeroCopyArg::On => ZeroCopy::On,
            ZeroCopyArg::Off => ZeroCopy::Off,
        }
    }
}

/// AF_XDP flags shared by `serve` and `gen`.
#[derive(clap::Args)]
pub struct AfXdpArgs {
    /// The interface to run on.
    #[arg(long)]
    pub iface: String,
    /// Queues to run on, from 0: one AF_XDP socket and one pinned worker
    /// each.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub queues: u32,
    /// Cores to pin the workers to, comma-separated, one per queue
    /// (default: the available cores in turn).
    #[arg(long, value_delimiter = ',')]
    pub cores: Vec<usize>,
    /// Where the XDP program runs.
    #[arg(long, value_enum, default_value_t = XdpModeArg::Auto)]
    pub xdp_mode: XdpModeArg,
    /// Bind the sockets zero-copy.
    #[arg(long, value_enum, default_value_t = ZeroCopyArg::Auto)]
    pub zero_copy: ZeroCopyArg,
    /// Bytes per UMEM frame: 2048 or 4096.
    #[arg(long, default_value_t = 2048, value_parser = parse_frame_size)]
    pub frame_size: u32,
    /// UMEM frames per queue (a power of two; the fill and receive rings
    /// get a quarter as many slots each, the transmit and completion rings
    /// an eighth, so the rings never hold every frame). Default: 32,768
    /// per queue for one or two queues, 65,536 shared out over more (at
    /// least 4,096 a queue).
    #[arg(long, value_parser = parse_frames)]
    pub umem_frames: Option<u32>,
    /// Bytes the kernel leaves free before each received frame.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1024))]
    pub headroom: u32,
    /// The next hop's MAC address, for the frames synwave originates
    /// (default: learned from ARP only: gen's server, which it resolves
    /// first; serve's, the host that resolves its addresses).
    #[arg(long, value_parser = parse_mac)]
    pub peer_mac: Option<MacAddr>,
    /// The router between synwave and its peers (a device under test),
    /// one per family, comma-separated: frames synwave originates go to
    /// its MAC, resolved by ARP (IPv4) or neighbor discovery (IPv6)
    /// before the run and followed when it changes (--peer-mac skips
    /// both).
    #[arg(long, value_parser = parse_gateways)]
    pub gateway: Option<Gateways>,
    /// The 802.1Q VLAN id to run on: only frames tagged with it are
    /// synwave's (the kernel keeps everything else), and every frame
    /// synwave sends carries it.
    #[arg(long, value_parser = parse_vlan)]
    pub vlan: Option<u16>,
    /// How frames reach the worker of their connection with several
    /// queues: nic (the NIC's RSS as it reports it; refuse where it would
    /// not steer replies to their queue), set (set the NIC's key and an
    /// even table over the queues, put back on exit), software (any queue
    /// may get any flow: frames are handed to their worker over the
    /// shared UMEM), auto (nic where it steers, else software; said).
    #[arg(long, value_enum, default_value_t = RssArg::Auto)]
    pub rss: RssArg,
}

/// `--rss`.
#[derive(Clone, Copy, ValueEnum)]
pub enum RssArg {
    /// The NIC's RSS where it steers, else software.
    Auto,
    /// The NIC's RSS, or refuse.
    Nic,
    /// Set the NIC's RSS for the run, or refuse.
    Set,
    /// Frames handed to their worker.
    Software,
}

impl From<RssArg> for RssMode {
    fn from(r: RssArg) -> RssMode {
        match r {
            RssArg::Auto => RssMode::Auto,
            RssArg::Nic => RssMode::Nic,
            RssArg::Set => RssMode::Set,
            RssArg::Software => RssMode::Software,
        }
    }
}

/// A VLAN id, 1 to 4094.
pub fn parse_vlan(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(v) if (1..=4094).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a VLAN id; give 1 to 4094 (0 and 4095 are reserved by 802.1Q)"
        )),
    }
}

/// Flags `serve` and `gen` share besides the interface: secrets, table
/// limits, output.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Seed of the cookie and ISN secrets (default: random).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Most live connection records per queue.
    #[arg(long, default_value_t = 1 << 22, value_parser = clap::value_parser!(u64).range(1..=1 << 28))]
    pub max_connections: u64,
    /// Maximum segment lifetime, seconds: TIME-WAIT lasts 2·MSL, and a
    /// source pair is used again only after it (RFC 9293 §3.4.2).
    #[arg(long, default_value_t = 30.0, value_parser = super::parse_msl)]
    pub msl: f64,
    /// Most TIME-WAIT records per queue (beyond: closing connections skip
    /// TIME-WAIT, counted).
    #[arg(long, default_value_t = 1 << 22, value_parser = clap::value_parser!(u64).range(0..=1 << 28))]
    pub max_time_wait: u64,
    /// Write the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No live lines.
    #[arg(long)]
    pub quiet: bool,
    /// Write the frames the first queue's worker receives and sends to
    /// this file (pcap: tshark, tcpdump, Wireshark), up to --pcap-limit.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// Frames --pcap writes at most.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1 << 32), requires = "pcap")]
    pub pcap_limit: u64,
    /// Lose this percentage of the frames each worker sends, and
    /// duplicate and reorder half as many each (seeded by --seed): faults
    /// on a real link without netem.
    #[arg(long, default_value_t = 0.0, value_parser = super::parse_percent)]
    pub loss: f64,
    /// Serve the counters to Prometheus at http://HOST:PORT/metrics
    /// (docs/scale-out.md).
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics_addr: Option<String>,
    /// SYN queue, rate limits, cookie key rotation.
    #[command(flatten)]
    pub defences: super::defence_args::DefenceArgs,
    /// MSS, window, options and timers of the connections.
    #[command(flatten)]
    pub tcp: super::tcp_args::TcpArgs,
}

impl AfXdpArgs {
    /// The UMEM and rings chosen, and why, for the start's `note:` line.
    pub fn umem_note(&self) -> String {
        let x = self.xsk();
        let why = match self.umem_frames {
            Some(_) => "as --umem-frames asks".to_string(),
            None => format!(
                "the default for {} queue(s); --umem-frames sets it",
                self.queues
            ),
        };
        format!(
            "UMEM of {} frames × {} B per queue ({} MiB), {}: {why}",
            x.chunks(),
            x.frame_size,
            x.mib(),
            x.rings_text()
        )
    }

    /// The UMEM and rings chosen, in JSON.
    pub fn umem_json(&self) -> serde_json::Value {
        let x = self.xsk();
        let (rx, tx) = x.ring_slots();
        serde_json::json!({
            "frames_per_queue": x.chunks(),
            "frame_size": x.frame_size,
            "fill_rx_ring": rx,
            "tx_completion_ring": tx,
            "chosen": if self.umem_frames.is_some() { "flag" } else { "default" },
        })
    }

    /// The UMEM and ring sizes.
    pub fn xsk(&self) -> XskConfig {
        XskConfig {
            frame_size: self.frame_size,
            frames: self
                .umem_frames
                .unwrap_or_else(|| XskConfig::auto_frames(self.queues)),
            headroom: self.headroom,
        }
    }

    /// The set-up of a run on these flags and `r`'s, owning `ours`, its
    /// workers in `role` (as the metrics label them), for `duration` (then
    /// a drain of at most `drain`), or until `total` connections have been
    /// opened.
    pub fn setup(
        &self,
        r: &RunArgs,
        ours: Ours,
        role: &'static str,
        duration: Option<Duration>,
        drain: Duration,
        total: Option<u64>,
    ) -> InterfaceSetup {
        InterfaceSetup {
            afxdp: AfXdpConfig {
                iface: self.iface.clone(),
                queues: (0..self.queues).collect(),
                xsk: self.xsk(),
                xdp_mode: self.xdp_mode.into(),
                zero_copy: self.zero_copy.into(),
                ours,
                vlan: self.vlan,
            },
            peer_mac: self.peer_mac,
            gateway: self.gateway.and_then(|g| g.v4),
            gateway6: self.gateway.and_then(|g| g.v6),
            seed: r.seed,
            max_connections: r.max_connections as usize,
            max_time_wait: r.max_time_wait as usize,
            msl_us: (r.msl * 1e6) as u64,
            defences: r.defences.defences(),
            tunables: r.tcp.tunables(),
            rss: self.rss.into(),
            run: InterfaceRun {
                cores: self.cores.clone(),
                duration,
                drain,
                live: !r.quiet,
                total,
                pcap: r.pcap.as_ref().map(|path| PcapConfig {
                    path: path.clone(),
                    limit: r.pcap_limit,
                }),
                impairment: Impairment::lossy(r.loss / 100.0),
                impairment_seed: r.seed.unwrap_or(1),
                metrics_addr: r.metrics_addr.clone(),
                role,
            },
        }
    }
}

fn parse_frame_size(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(v @ (2048 | 4096)) => Ok(v),
        _ => Err(format!("'{s}' is not a UMEM frame size; give 2048 or 4096")),
    }
}

fn parse_frames(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(v) if (64..=1 << 20).contains(&v) && v.is_power_of_two() => Ok(v),
        _ => Err(format!(
            "'{s}' is not a UMEM frame count; give a power of two from 64 to 1048576"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_macs_and_ports_parse_or_name_the_form() {
        let r = parse_ip_range("10.0.0.1-10.0.0.8").unwrap();
        assert_eq!((r.first, r.count), ([10, 0, 0, 1], 8));
        assert_eq!(parse_ip_range("192.168.1.2").unwrap().count, 1);
        assert!(
            parse_ip_range("10.0.0.9-10.0.0.1")
                .unwrap_err()
                .contains("backwards")
        );
        assert!(
            parse_ip_range("10.0.0")
                .unwrap_err()
                .contains("not an IPv4")
        );
        assert_eq!(
            parse_mac("02:00:00:0a:0b:ff").unwrap().0,
            [2, 0, 0, 10, 11, 255]
        );
        assert!(parse_mac("02:00:00").unwrap_err().contains("six hex bytes"));
        assert_eq!(parse_port("80").unwrap(), 80);
        assert!(parse_port("0").is_err() && parse_port("70000").is_err());
        assert!(parse_frame_size("3000").is_err());
        assert!(parse_frames("1000").unwrap_err().contains("power of two"));
    }

    #[test]
    fn ipv6_ranges_lists_and_servers_parse_or_name_the_form() {
        let r = parse_ip6_range("fd00::1-fd00::ff").unwrap();
        assert_eq!(
            (r.first, r.count),
            ("fd00::1".parse::<Ipv6Addr>().unwrap().octets(), 255)
        );
        assert_eq!(parse_ip6_range("[fd00::1]").unwrap().count, 1);
        assert!(
            parse_ip6_range("fd00::1-fd00:1::1")
                .unwrap_err()
                .contains("96 bits")
        );
        assert!(
            parse_ip6_range("fd00::9-fd00::1")
                .unwrap_err()
                .contains("backwards")
        );
        assert!(
            parse_ip6_range("fd00::g")
                .unwrap_err()
                .contains("not an IPv6")
        );
        let both = parse_addresses("10.0.0.1,fd00::1-fd00::2").unwrap();
        assert_eq!(both.v4.map(|r| r.count), Some(1));
        assert_eq!(both.v6.map(|r| r.count), Some(2));
        assert!(parse_addresses("fd00::1").unwrap().v4.is_none());
        assert!(
            parse_addresses("fd00::1,fd00::2")
                .unwrap_err()
                .contains("two IPv6")
        );
        assert!(
            parse_addresses("10.0.0.1,10.0.0.2")
                .unwrap_err()
                .contains("two IPv4")
        );
        let g = parse_gateways("10.0.0.254,fd00::fe").unwrap();
        assert!(g.v4.is_some() && g.v6.is_some());
        assert!(
            parse_gateways("10.0.0.1,10.0.0.2")
                .unwrap_err()
                .contains("two gateways")
        );
    }
}

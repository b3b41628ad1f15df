//! The TCP tunables on the wire, over a veth pair: `serve`'s SYN-ACK and
//! `gen`'s SYN carry the MSS, window, window scale, timestamps and
//! SACK-permitted they were given (read back from their own `--pcap`),
//! with SYN cookies on; with timestamps off a cookie SYN-ACK offers the
//! MSS alone (a cookie without timestamps has nowhere to keep the other
//! options); `--idle-timeout` resets a connection that stays silent.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::{
    ClientClose, KERNEL_IP, Pair, SYNWAVE_IP, Synwave, counter, kernel_clients, kernel_listener,
    pcap_frames, skip,
};
use std::net::{SocketAddrV4, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use synwave::wire::{Frame, TcpRepr, parse_frame};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "synwave-tunables-{name}-{}.pcap",
        std::process::id()
    ))
}

/// The TCP headers of the SYN segments (SYN-ACKs when `ack`) that
/// `pcap` holds.
fn syns(pcap: &std::path::Path, ack: bool) -> Vec<TcpRepr> {
    let frames = pcap_frames(pcap);
    let _ = std::fs::remove_file(pcap);
    frames
        .iter()
        .filter_map(|f| match parse_frame(f, false) {
            Ok(Frame::Tcp(t)) if t.tcp.flags.syn() && t.tcp.flags.ack() == ack => Some(t.tcp),
            _ => None,
        })
        .collect()
}

/// One kernel connection to `serve` run with `extra`; the SYN-ACK it
/// sent, as its capture holds it.
fn serve_syn_ack(extra: &[&str]) -> TcpRepr {
    let pair = Pair::new(1);
    let pcap = temp("serve");
    let p = pcap.display().to_string();
    let mut args = vec!["--cookies", "always", "--pcap", &p];
    args.extend_from_slice(extra);
    let s = Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), &args);
    let t = kernel_clients(
        &pair,
        SocketAddrV4::new(SYNWAVE_IP, 80),
        1,
        1,
        ClientClose::Fin,
        Duration::from_secs(10),
    );
    let j = s.stop();
    assert_eq!(t.connected, 1, "{t:?} {j}");
    assert_eq!(counter(&j, "cookie_ok"), 1, "{j}");
    let found = syns(&pcap, true);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0]
}

#[test]
fn serve_announces_the_mss_window_scale_and_options_it_is_given() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("serve_announces_the_mss_window_scale_and_options_it_is_given") {
        return;
    }
    let sa = serve_syn_ack(&[
        "--mss",
        "1200",
        "--window",
        "30000",
        "--wscale",
        "3",
        "--sack-permitted",
        "off",
    ]);
    assert_eq!(sa.options.mss, Some(1200), "{sa:?}");
    assert_eq!(sa.window, 30000, "{sa:?}");
    assert_eq!(sa.options.wscale, Some(3), "{sa:?}");
    assert!(!sa.options.sack_permitted, "{sa:?}");
    assert!(sa.options.timestamps.is_some(), "{sa:?}");
    // The defaults, for contrast: MSS 1460, scale 7, SACK-permitted.
    let d = serve_syn_ack(&[]);
    assert_eq!((d.options.mss, d.options.wscale), (Some(1460), Some(7)));
    assert!(d.options.sack_permitted, "{d:?}");
}

#[test]
fn without_timestamps_a_cookie_syn_ack_offers_the_mss_alone() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("without_timestamps_a_cookie_syn_ack_offers_the_mss_alone") {
        return;
    }
    let sa = serve_syn_ack(&["--timestamps", "off", "--mss", "1400"]);
    assert_eq!(sa.options.mss, Some(1400), "{sa:?}");
    assert!(sa.options.timestamps.is_none(), "{sa:?}");
    assert_eq!(sa.options.wscale, None, "{sa:?}");
    assert!(!sa.options.sack_permitted, "{sa:?}");
}

#[test]
fn gen_sends_the_mss_window_and_options_it_is_given() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_sends_the_mss_window_and_options_it_is_given") {
        return;
    }
    let pair = Pair::new(1);
    let stop = Arc::new(AtomicBool::new(false));
    let listener = kernel_listener(
        &pair.b(),
        KERNEL_IP,
        80,
        stop.clone(),
        Duration::from_secs(30),
    );
    let pcap = temp("gen");
    let (a, p) = (pair.a(), pcap.display().to_string());
    let args = [
        "gen",
        "--iface",
        &a,
        "--quiet",
        "--src-ip",
        "10.99.0.1",
        "--dst",
        "10.99.0.2:80",
        "--connections",
        "3",
        "--concurrency",
        "1",
        "--duration",
        "10",
        "--pcap",
        &p,
        "--mss",
        "1000",
        "--window",
        "20000",
        "--wscale",
        "off",
        "--timestamps",
        "off",
    ];
    let j = Synwave::start(&a, &args, "synwave gen:").finish(Duration::from_secs(30));
    stop.store(true, Ordering::Relaxed);
    let accepted = listener.join().expect("listener");
    assert_eq!((counter(&j, "established"), accepted), (3, 3), "{j}");
    let sent = syns(&pcap, false);
    assert_eq!(sent.len(), 3, "{sent:?}");
    for syn in sent {
        assert_eq!(syn.options.mss, Some(1000), "{syn:?}");
        assert_eq!(syn.window, 20000, "{syn:?}");
        assert_eq!(syn.options.wscale, None, "{syn:?}");
        assert!(syn.options.timestamps.is_none(), "{syn:?}");
        assert!(syn.options.sack_permitted, "{syn:?}");
    }
}

#[test]
fn an_idle_timeout_resets_a_silent_connection() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("an_idle_timeout_resets_a_silent_connection") {
        return;
    }
    let pair = Pair::new(1);
    let s = Synwave::serve(
        &pair.a(),
        &pair.a(),
        &SYNWAVE_IP.to_string(),
        &["--idle-timeout", "1"],
    );
    // A client that connects and says nothing for 3 s: serve resets it
    // after 1.
    let to = SocketAddrV4::new(SYNWAVE_IP, 80);
    let held = pair.in_b(move || {
        let c = TcpStream::connect_timeout(&to.into(), Duration::from_secs(3));
        std::thread::sleep(Duration::from_secs(3));
        c.map(drop).map_err(|e| e.to_string())
    });
    let j = s.stop();
    assert!(held.is_ok(), "{held:?}");
    assert_eq!(counter(&j, "end_idle_timeout"), 1, "{j}");
    assert_eq!(counter(&j, "established"), 1, "{j}");
}

//! `hping3 -S --flood` toward `synwave serve --cookies always` over a
//! veth pair for three seconds: every SYN synwave counts is answered by a
//! cookie SYN-ACK, no SYN creates a record, and the cookies are real:
//! ACKs built by hand from SYN-ACKs captured during the flood (tshark)
//! each open a connection.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); hping3 and
//! tshark are installed by `tools/install-test-deps.sh` (run by
//! `.ci/run`).

mod netns;

use netns::{
    HPING3_UNCOUNTED, Pair, SYNWAVE_IP, Synwave, counter, hping3, hping3_sent, need, skip,
    wait_until_capturing,
};

use std::process::{Command, Stdio};

/// SYN-ACKs captured and answered.
const REPLAYS: usize = 10;

#[test]
fn a_syn_flood_gets_a_cookie_for_every_syn_and_creates_no_state() {
    if skip("a_syn_flood_gets_a_cookie_for_every_syn_and_creates_no_state") {
        return;
    }
    need("hping3", "hping3");
    need("tshark", "tshark");
    let pair = Pair::new(1);
    let server = Synwave::serve(
        &pair.a(),
        &pair.a(),
        &SYNWAVE_IP.to_string(),
        &["--cookies", "always"],
    );
    // The first SYN-ACKs of the flood, as the kernel's side sees them:
    // client port, cookie (our ISN) and the client's ISN + 1.
    let mut tshark = Command::new("timeout")
        .args([
            "60",
            "ip",
            "netns",
            "exec",
            &pair.b(),
            "tshark",
            "-l",
            "-i",
            &pair.b(),
        ])
        .args(["-c", &REPLAYS.to_string(), "-f", "tcp[13] == 18"])
        .args([
            "-T",
            "fields",
            "-e",
            "tcp.dstport",
            "-e",
            "tcp.seq_raw",
            "-e",
            "tcp.ack_raw",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tshark");
    wait_until_capturing(&mut tshark);
    let sent = hping3_sent(hping3(&pair, &["-S", "--flood", "-p", "80"], 3));
    let out = tshark.wait_with_output().expect("tshark");
    let captured: Vec<(u16, u32, u32)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((
                f.first()?.parse().ok()?,
                f.get(1)?.parse().ok()?,
                f.get(2)?.parse().ok()?,
            ))
        })
        .collect();
    assert_eq!(captured.len(), REPLAYS, "captured SYN-ACKs: {captured:?}");
    // Answer each: <SEQ=client ISN + 1><ACK=cookie + 1><CTL=ACK>, all at
    // once (hping3 waits a second for a reply).
    let replays: Vec<_> = captured
        .iter()
        .map(|&(port, cookie, next)| {
            Command::new("ip")
                .args(["netns", "exec", &pair.b(), "hping3", "-A", "-c", "1", "-k"])
                .args(["-s", &port.to_string(), "-p", "80"])
                .args([
                    "-M",
                    &next.to_string(),
                    "-L",
                    &cookie.wrapping_add(1).to_string(),
                ])
                .arg(SYNWAVE_IP.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("hping3 -A")
        })
        .collect();
    // hping3 exits with 1 when nothing answers, as an ACK that completes a
    // handshake is not answered: its status says nothing here.
    for mut r in replays {
        let _ = r.wait();
    }
    let j = server.stop();
    let syn_rx = counter(&j, "syn_rx");
    eprintln!("hping3 sent {sent} SYNs; synwave counted {syn_rx}");
    assert!(
        syn_rx > 10_000 && syn_rx <= sent + HPING3_UNCOUNTED,
        "{sent} sent: {j}"
    );
    // Every SYN counted got a cookie SYN-ACK, and each went out.
    assert_eq!(counter(&j, "cookie_sent"), syn_rx, "{j}");
    assert!(counter(&j, "tx_frames") >= syn_rx, "{j}");
    // No record from a SYN: every connection came from a cookie, one per
    // replayed ACK, and none was bad.
    assert_eq!(counter(&j, "cookie_ok"), REPLAYS as u64, "{j}");
    assert_eq!(counter(&j, "accepted"), REPLAYS as u64, "{j}");
    assert_eq!(counter(&j, "established"), REPLAYS as u64, "{j}");
    assert_eq!(counter(&j, "cookie_bad"), 0, "{j}");
    assert_eq!(counter(&j, "syn_queue_full"), 0, "{j}");
}

//! Every invalid flag value is refused before anything runs, with exit
//! status 2 and an `error:` line that names the flag, the value and the
//! valid range or values (for a choice, clap lists them on the next
//! line). One case per flag with a bounded value, for `bench`, `gen` and
//! `serve`; none needs root, since values are checked before any
//! interface is touched.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

const GEN: &[&str] = &[
    "gen",
    "--iface",
    "swnone0",
    "--src-ip",
    "10.99.0.1",
    "--dst",
    "10.99.0.2:80",
];
const SERVE: &[&str] = &[
    "serve",
    "--iface",
    "swnone0",
    "--ip",
    "10.99.0.1",
    "--port",
    "80",
];

/// (command, the bad flag and value, words the error must hold).
const CASES: &[(&[&str], &[&str], &[&str])] = &[
    (
        &["bench"],
        &["--duration", "0"],
        &["--duration", "0", "0.01 to 86400"],
    ),
    (&["bench"], &["--workers", "0"], &["--workers", "1..=128"]),
    (
        &["bench"],
        &["--workers", "129"],
        &["--workers", "129", "1..=128"],
    ),
    (
        &["bench"],
        &["--concurrency", "0"],
        &["--concurrency", "1..=10000000"],
    ),
    (
        &["bench"],
        &["--rate", "abc"],
        &["--rate", "'abc'", "connections per second"],
    ),
    (&["bench"], &["--rate", "0"], &["--rate", "0"]),
    (
        &["bench"],
        &["--ramp", "100000", "--rate", "5"],
        &["--ramp", "100000", "0 to 86400"],
    ),
    (&["bench"], &["--loss", "60"], &["--loss", "60", "0 and 50"]),
    (
        &["bench"],
        &["--close", "fin"],
        &["--close", "'fin'", "client-fin, server-fin, rst"],
    ),
    (
        &["bench"],
        &["--cookies", "sometimes"],
        &["--cookies", "'sometimes'", "always"],
    ),
    (
        &["bench"],
        &["--request-bytes", "2000"],
        &["--request-bytes", "2000", "0..=1460"],
    ),
    (
        &["bench"],
        &["--response-bytes", "2000"],
        &["--response-bytes", "2000", "0..=1460"],
    ),
    (
        &["bench"],
        &["--client-ips", "0"],
        &["--client-ips", "1..=65536"],
    ),
    (
        &["bench"],
        &["--max-connections", "0"],
        &["--max-connections", "1..="],
    ),
    (
        &["bench"],
        &["--msl", "0"],
        &["--msl", "0", "0.001 to 3600"],
    ),
    (
        &["bench"],
        &["--hold", "99999999"],
        &["--hold", "99999999", "0..=3600000"],
    ),
    (
        &["bench"],
        &["--profile", "/nonexistent/p.toml"],
        &["--profile /nonexistent/p.toml", "cannot read"],
    ),
    (
        GEN,
        &["--src-ip", "10.99.0"],
        &["--src-ip", "'10.99.0'", "IPv4 address"],
    ),
    (
        GEN,
        &["--dst", "10.99.0.2"],
        &["--dst", "IP:PORT", "10.99.0.2:80"],
    ),
    (GEN, &["--concurrency", "0"], &["--concurrency", "1..="]),
    (GEN, &["--connections", "0"], &["--connections", "1.."]),
    (
        GEN,
        &["--duration", "0"],
        &["--duration", "0.01 to 31536000"],
    ),
    (
        GEN,
        &["--request-bytes", "70000"],
        &["--request-bytes", "70000", "0..=65535"],
    ),
    (GEN, &["--queues", "0"], &["--queues", "1..=256"]),
    (
        GEN,
        &["--frame-size", "1000"],
        &["--frame-size", "'1000'", "2048 or 4096"],
    ),
    (
        GEN,
        &["--xdp-mode", "fast"],
        &["--xdp-mode", "'fast'", "auto, native, generic"],
    ),
    (
        GEN,
        &["--zero-copy", "maybe"],
        &["--zero-copy", "'maybe'", "auto, on, off"],
    ),
    (
        GEN,
        &["--peer-mac", "zz"],
        &["--peer-mac", "'zz'", "six hex bytes"],
    ),
    (
        GEN,
        &["--pcap", "/tmp/x.pcap", "--pcap-limit", "0"],
        &["--pcap-limit", "1..="],
    ),
    (GEN, &["--request", "ftp"], &["--request", "'ftp'", "http"]),
    (GEN, &["--msl", "4000"], &["--msl", "4000", "0.001 to 3600"]),
    (
        &["bench"],
        &["--syn-queue", "0"],
        &["--syn-queue", "0", "1..=16777216"],
    ),
    (
        SERVE,
        &["--challenge-ack-limit", "20000000"],
        &["--challenge-ack-limit", "20000000", "0..=10000000"],
    ),
    (SERVE, &["--rst-limit", "many"], &["--rst-limit", "many"]),
    (
        SERVE,
        &["--cookie-rotate", "90000"],
        &["--cookie-rotate", "90000", "1 to 86400"],
    ),
    (
        GEN,
        &["--cookie-rotate", "1.5"],
        &["--cookie-rotate", "1.5", "whole number"],
    ),
    (
        SERVE,
        &["--ip", "300.0.0.1"],
        &["--ip", "'300.0.0.1'", "IPv4 address"],
    ),
    (SERVE, &["--port", "0"], &["--port", "'0'", "1 to 65535"]),
    (
        SERVE,
        &["--port", "70000"],
        &["--port", "'70000'", "1 to 65535"],
    ),
    (
        SERVE,
        &["--response-bytes", "20000000"],
        &["--response-bytes", "20000000", "0..=16777216"],
    ),
    (
        SERVE,
        &["--response", "html"],
        &["--response", "'html'", "http"],
    ),
    (
        SERVE,
        &["--close", "later"],
        &["--close", "'later'", "client-fin, server-fin, rst"],
    ),
    (
        SERVE,
        &["--duration=-1"],
        &["--duration", "-1", "0.01 to 31536000"],
    ),
];

#[test]
fn every_bad_value_is_refused_naming_the_flag_value_and_range() {
    for (cmd, bad, words) in CASES {
        let out = Command::new(BIN)
            .args(*cmd)
            .args(*bad)
            .output()
            .expect("synwave runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{cmd:?} {bad:?}: not refused: {err}"
        );
        let head: String = err
            .lines()
            .skip_while(|l| !l.starts_with("error:"))
            .take(2)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            head.starts_with("error:"),
            "{cmd:?} {bad:?}: no error line: {err}"
        );
        for w in *words {
            assert!(
                head.contains(w),
                "{cmd:?} {bad:?}: '{w}' missing from: {head}"
            );
        }
    }
}

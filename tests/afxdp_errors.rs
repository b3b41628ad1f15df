//! The set-up errors of `serve` and `gen` on a real interface, each a
//! one-line message that names the fix, with exit status 2: not root
//! (missing capabilities), a missing interface, a queue out of range,
//! another XDP program already attached, a second instance on the same
//! queue, the UMEM refused by the locked-memory limit, an address the
//! kernel already has on the interface; and `probe`'s verdicts.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise).

mod netns;

use netns::{Pair, Synwave, skip};
use std::process::{Command, Output};
use std::sync::Mutex;
use synwave::io::afxdp::{bpf, program};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const BIN: &str = env!("CARGO_BIN_EXE_synwave");

fn in_ns(ns: &str, shell: &str) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns, "sh", "-c", shell])
        .output()
        .expect("ip netns exec")
}

fn serve_cmd(iface: &str, extra: &str) -> String {
    format!("{BIN} serve --iface {iface} --ip 10.99.0.1 --port 80 --duration 1 --quiet {extra}")
}

/// Exit status 2 and one `error:` line containing every one of `words`.
fn assert_error(out: &Output, words: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit status: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    for w in words {
        assert!(line.contains(w), "'{w}' missing from: {line}");
    }
}

#[test]
fn each_set_up_error_names_its_fix() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("each_set_up_error_names_its_fix") {
        return;
    }
    let pair = Pair::new(1);
    let (ns, iface) = (pair.a(), pair.a());
    // No such interface.
    let out = in_ns(&ns, &serve_cmd("swnosuch0", ""));
    assert_error(&out, &["swnosuch0", "does not exist", "--iface"]);
    // A queue the interface lacks.
    let out = in_ns(&ns, &serve_cmd(&iface, "--queues 2"));
    assert_error(
        &out,
        &["queue 1 is out of range", "1 receive queue", "numrxqueues"],
    );
    // Without the capabilities (root with an empty bounding set: the
    // files stay readable, as the owner's, while every capability check
    // fails, as for an unprivileged user).
    let out = in_ns(
        &ns,
        &format!("setpriv --bounding-set -all {}", serve_cmd(&iface, "")),
    );
    assert_error(&out, &["CAP_NET_ADMIN", "CAP_BPF", "setcap"]);
    // Root without CAP_IPC_LOCK under a 64 KiB locked-memory limit.
    let out = in_ns(
        &ns,
        &format!(
            "ulimit -l 64 && setpriv --bounding-set -ipc_lock {}",
            serve_cmd(&iface, "")
        ),
    );
    assert_error(
        &out,
        &[
            "65536 KiB UMEM",
            "RLIMIT_MEMLOCK",
            "ulimit -l",
            "--umem-frames",
        ],
    );
}

#[test]
fn another_xdp_program_or_instance_is_named() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("another_xdp_program_or_instance_is_named") {
        return;
    }
    let pair = Pair::new(1);
    let (ns, iface) = (pair.a(), pair.a());
    // Another program on the interface, attached from this test.
    let cmd = serve_cmd(&iface, "");
    let (out, link_seen) = pair.in_a(move || {
        let ifindex = {
            let c = std::ffi::CString::new(iface.clone()).unwrap();
            // Safety: a NUL-terminated name.
            unsafe { libc::if_nametoindex(c.as_ptr()) }
        };
        let prog = bpf::load_xdp(&program::pass_program()).expect("load");
        let link = bpf::attach_xdp(&prog, ifindex, bpf::XDP_FLAGS_SKB_MODE).expect("attach");
        let out = Command::new("sh")
            .args(["-c", &cmd])
            .output()
            .expect("serve");
        let seen = Command::new("ip")
            .args(["link", "show", "dev", &iface])
            .output()
            .expect("ip link");
        drop(link);
        (out, String::from_utf8_lossy(&seen.stdout).into_owned())
    });
    assert!(
        link_seen.contains("xdp"),
        "the test's program was attached: {link_seen}"
    );
    assert_error(&out, &["another XDP program", "xdp off"]);
    // A second instance on the same queue, while the first runs (it has
    // said it runs: its socket is bound and its program attached).
    let iface = pair.a();
    let first = Synwave::serve(&ns, &iface, "10.99.0.1", &[]);
    let out = in_ns(&ns, &serve_cmd(&iface, ""));
    assert_error(&out, &["queue 0 is already bound", "another synwave"]);
    // The first one was not disturbed: it still runs and stops normally
    // with its summary.
    let j = first.stop();
    assert_eq!(j["role"], "serve", "{j}");
}

/// The XDP program takes every TCP port of synwave's addresses: one the
/// kernel has on the interface is refused, for serve and for gen, naming
/// the address, the flag and how to take it from the kernel; nothing is
/// attached, and the kernel keeps its address.
#[test]
fn an_address_the_kernel_has_on_the_interface_is_refused() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("an_address_the_kernel_has_on_the_interface_is_refused") {
        return;
    }
    let pair = Pair::new(1);
    let (ns, iface) = (pair.a(), pair.a());
    let out = in_ns(&ns, &format!("ip addr add 10.99.0.1/24 dev {iface}"));
    assert!(out.status.success(), "{out:?}");
    let out = in_ns(&ns, &serve_cmd(&iface, ""));
    assert_error(
        &out,
        &[
            "10.99.0.1 is an address the kernel has on",
            "SSH",
            "give --ip an address",
            &format!("ip addr del 10.99.0.1/24 dev {iface}"),
        ],
    );
    // A range that holds it is refused as well; gen names its own flag.
    let out = in_ns(
        &ns,
        &format!(
            "{BIN} gen --iface {iface} --src-ip 10.99.0.0-10.99.0.9 --dst 10.99.0.2:80 --duration 1 --quiet"
        ),
    );
    assert_error(
        &out,
        &["10.99.0.1 is an address the kernel has on", "give --src-ip"],
    );
    assert!(!pair.link_a().contains("xdp"), "{}", pair.link_a());
    // An address beside the kernel's is synwave's to take.
    let first = Synwave::serve(&ns, &iface, "10.99.0.5", &[]);
    let j = first.stop();
    assert_eq!(j["role"], "serve", "{j}");
}

#[test]
fn probe_reports_each_capability_with_a_verdict() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("probe_reports_each_capability_with_a_verdict") {
        return;
    }
    let pair = Pair::new(2);
    let out = in_ns(&pair.a(), &format!("{BIN} probe --iface {}", pair.a()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "privileges       ok",
        "AF_XDP sockets   ok",
        "native XDP       ok",
        "generic XDP      ok",
        "2 receive queue(s)",
        "UMEM             --   by default 32768 frames × 2048 B per queue on 2 queue(s) (64 MiB each",
        "fill and receive rings of 8192 slots, transmit and completion of 4096",
        "verdict          synwave serve and gen can run",
    ] {
        assert!(text.contains(line), "'{line}' missing: {text}");
    }
    // veth does not report its RSS: said, with what that means for gen.
    assert!(
        text.contains("RSS              --   the driver does not report its RSS")
            && text.contains("run --queues 1"),
        "{text}"
    );
    // veth has no zero-copy: said, with what synwave does instead.
    assert!(
        text.contains("zero-copy        NO") && text.contains("copy mode"),
        "{text}"
    );
    // Nothing stays attached.
    assert!(!pair.link_a().contains("xdp"), "{}", pair.link_a());
    let out = in_ns(&pair.a(), &format!("{BIN} probe --iface swnosuch0"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("does not exist"));
}

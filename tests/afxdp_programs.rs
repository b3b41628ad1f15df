//! Server programs by port, over a veth pair: `serve --profile` with two
//! `[[server]]` entries, port 80 answering 1,000 bytes and closing with
//! FIN, port 8080 answering 20,000 bytes and closing with RST. Linux
//! clients on both ports; serve's own capture shows each port's size and
//! close, and its summary counts each program.
//!
//! Needs root and AF_XDP (skips, saying why, otherwise; fails under
//! `CI=true`).

mod netns;

use netns::{Pair, SYNWAVE_IP, Synwave, pcap_frames, skip};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpStream};
use std::time::Duration;
use synwave::wire::{Frame, parse_frame};

/// What serve sent on one connection (by client port).
#[derive(Debug, Default)]
struct Sent {
    server_port: u16,
    data: u64,
    fin: bool,
    rst: bool,
}

#[test]
fn each_port_runs_its_own_program() {
    if skip("each_port_runs_its_own_program") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("synwave-programs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let profile = dir.join("servers.toml");
    std::fs::write(
        &profile,
        "[[server]]\nname = \"small\"\nport = 80\nresponse_bytes = 1000\nclose = \"server-fin\"\n\n\
         [[server]]\nname = \"large\"\nport = 8080\nresponse_bytes = 20000\nclose = \"rst\"\n",
    )
    .expect("profile");
    let pcap = dir.join("serve.pcap");
    let pair = Pair::new(1);
    let a = pair.a();
    let ip = SYNWAVE_IP.to_string();
    let (p, f) = (profile.display().to_string(), pcap.display().to_string());
    let args = [
        "serve",
        "--iface",
        &a,
        "--ip",
        &ip,
        "--quiet",
        "--profile",
        &p,
        "--pcap",
        &f,
        "--pcap-limit",
        "100000",
    ];
    let s = Synwave::start(&a, &args, "Ctrl-C to stop");
    let got = pair.in_b(|| {
        let mut got = Vec::new();
        for port in [80u16, 8080, 80, 8080, 80, 8080] {
            let mut c = TcpStream::connect_timeout(
                &SocketAddrV4::new(SYNWAVE_IP, port).into(),
                Duration::from_secs(5),
            )
            .expect("connect");
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            c.write_all(b"request").expect("request");
            let mut buf = Vec::new();
            // The RST program ends with an error once its bytes are in.
            let _ = c.read_to_end(&mut buf);
            got.push((port, buf.len()));
        }
        got
    });
    let j = s.stop();
    eprintln!("clients read {got:?}");
    let frames = pcap_frames(&pcap);
    let _ = std::fs::remove_dir_all(&dir);
    let mut by_conn: HashMap<u16, Sent> = HashMap::new();
    for f in &frames {
        let Ok(Frame::Tcp(t)) = parse_frame(f, false) else {
            continue;
        };
        if t.tcp.src_port != 80 && t.tcp.src_port != 8080 {
            continue;
        }
        let e = by_conn.entry(t.tcp.dst_port).or_default();
        e.server_port = t.tcp.src_port;
        e.data += t.payload.len() as u64;
        e.fin |= t.tcp.flags.fin();
        e.rst |= t.tcp.flags.rst();
    }
    assert_eq!(by_conn.len(), 6, "{by_conn:?}");
    for c in by_conn.values() {
        match c.server_port {
            80 => assert!(c.data == 1000 && c.fin && !c.rst, "{c:?}"),
            _ => assert!(c.data == 20_000 && c.rst && !c.fin, "{c:?}"),
        }
    }
    for (port, read) in got {
        if port == 80 {
            assert_eq!(read, 1000);
        }
    }
    let programs = j["programs"].as_array().expect("programs in the summary");
    assert_eq!(programs.len(), 2, "{j}");
    assert_eq!(programs[0]["name"], "small");
    assert_eq!(programs[0]["completed"], 3, "{j}");
    assert_eq!(programs[1]["ports"][0], 8080);
    assert_eq!(
        programs[1]["completed"].as_u64().unwrap() + programs[1]["failed"].as_u64().unwrap(),
        3,
        "{j}"
    );
}

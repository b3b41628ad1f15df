//! HTTP over AF_XDP on a veth pair, against tools nobody here wrote:
//! ApacheBench (`ab -n 20000 -c 32`) against `synwave serve --response
//! http` (no failed request, no non-2xx response, the body length
//! synwave announced), and `synwave gen --request http` against nginx
//! with `keepalive_timeout 0` (every connection gets a 200, and nginx's
//! access log holds one line per connection).
//!
//! Needs root and AF_XDP (skips, saying why, otherwise); ab and nginx are
//! installed by `tools/install-test-deps.sh` (run by `.ci/run`). The runs
//! share the machine's two cores, so they take turns.

mod netns;

use netns::{KERNEL_IP, Pair, SYNWAVE_IP, Synwave, ab_field, counter, need, num, skip};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// `serve --response http --response-bytes BODY` in namespace A, and
/// `ab -n N -c C` against it from namespace B: ab's exit status and
/// report, and serve's summary.
fn ab_against_serve(
    body: &str,
    n: &str,
    c: &str,
) -> (std::process::ExitStatus, String, serde_json::Value) {
    ab_against_serve_with(body, n, c, &[], &[])
}

/// As `ab_against_serve`, serve run with `serve_extra` and ab with
/// `ab_extra` flags.
fn ab_against_serve_with(
    body: &str,
    n: &str,
    c: &str,
    serve_extra: &[&str],
    ab_extra: &[&str],
) -> (std::process::ExitStatus, String, serde_json::Value) {
    let ab = need("ab", "apache2-utils");
    let pair = Pair::new(1);
    let mut args = vec!["--response", "http", "--response-bytes", body];
    args.extend_from_slice(serve_extra);
    let server = Synwave::serve(&pair.a(), &pair.a(), &SYNWAVE_IP.to_string(), &args);
    let out = Command::new("timeout")
        .args(["180", "ip", "netns", "exec", &pair.b()])
        .arg(&ab)
        .args(["-n", n, "-c", c, "-s", "10", "-q"])
        .args(ab_extra)
        .arg(format!("http://{SYNWAVE_IP}/"))
        .output()
        .expect("run ab");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, report, server.stop())
}

/// A response of 20,000 bytes goes out in 14 segments of the client's
/// MSS, each sent as the last is acknowledged; ab reads every byte.
#[test]
fn apache_bench_reads_responses_longer_than_the_mss() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("apache_bench_reads_responses_longer_than_the_mss") {
        return;
    }
    let (status, report, j) = ab_against_serve("20000", "1000", "8");
    assert!(status.success(), "ab failed: {report}");
    assert_eq!(
        ab_field(&report, "Complete requests:"),
        Some(1_000),
        "{report}"
    );
    assert_eq!(ab_field(&report, "Failed requests:"), Some(0), "{report}");
    assert_eq!(
        ab_field(&report, "Document Length:"),
        Some(20_000),
        "{report}"
    );
    // Every response took several segments.
    assert!(counter(&j, "data_tx") >= 14 * 1_000, "{j}");
}

#[test]
fn apache_bench_gets_twenty_thousand_2xx_responses_from_serve() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("apache_bench_gets_twenty_thousand_2xx_responses_from_serve") {
        return;
    }
    let (status, report, j) = ab_against_serve("100", "20000", "32");
    assert!(status.success(), "ab failed ({status:?}): {report}");
    assert_eq!(
        ab_field(&report, "Complete requests:"),
        Some(20_000),
        "{report}"
    );
    assert_eq!(ab_field(&report, "Failed requests:"), Some(0), "{report}");
    // ab prints this line only when some responses were not 2xx.
    assert_eq!(ab_field(&report, "Non-2xx responses:"), None, "{report}");
    assert_eq!(ab_field(&report, "Document Length:"), Some(100), "{report}");
    assert!(
        report.contains("Server Software:        synwave"),
        "{report}"
    );
    // synwave's side: one response (and one server FIN) per connection.
    assert!(num(&j, "established") >= 20_000, "{j}");
    assert!(counter(&j, "data_tx") >= 20_000, "{j}");
    assert!(counter(&j, "fin_tx") >= 20_000, "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
}

/// `ab -k` (keep-alive) against `serve --requests 100`: every request
/// answered, 2xx, and each connection carries up to 100 of them (the
/// 100th response closes it and ab opens another).
#[test]
fn apache_bench_keeps_connections_alive_to_serve() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("apache_bench_keeps_connections_alive_to_serve") {
        return;
    }
    let (status, report, j) =
        ab_against_serve_with("300", "5000", "8", &["--requests", "100"], &["-k"]);
    eprintln!("{report}");
    assert!(status.success(), "ab failed ({status:?}): {report}");
    assert_eq!(
        ab_field(&report, "Complete requests:"),
        Some(5000),
        "{report}"
    );
    assert_eq!(ab_field(&report, "Failed requests:"), Some(0), "{report}");
    assert!(!report.contains("Non-2xx responses"), "{report}");
    let kept = ab_field(&report, "Keep-Alive requests:").expect("ab -k reports keep-alive");
    assert!(kept >= 4_900, "{report}");
    // 5,000 requests over at most about 58 connections, not 5,000.
    let established = num(&j, "established");
    assert!((50..=100).contains(&established), "{j}");
    assert!(counter(&j, "data_tx") >= 5_000, "{j}");
    assert_eq!(num(&j, "records_left"), 0, "{j}");
}

/// nginx in namespace `ns`, one process, on `KERNEL_IP:80`, logging to
/// files in `dir`; killed by pid on drop.
struct Nginx {
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// With `keep_alive`, nginx keeps connections (65 s, up to 1000
    /// requests each); without, it closes each after its response.
    fn start(ns: &str, keep_alive: bool) -> Nginx {
        let keep = if keep_alive {
            "keepalive_timeout 65;\n  keepalive_requests 1000;"
        } else {
            "keepalive_timeout 0;"
        };
        let nginx = need("nginx", "nginx");
        let dir = std::env::temp_dir().join(format!("synwave-nginx-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("nginx dir");
        let d = dir.display();
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{ worker_connections 4096; }}\n\
             http {{\n  log_format withhost '$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" conn=$connection n=$connection_requests cl=$content_length host=$host';\n\
               access_log {d}/access.log withhost;\n  {keep}\n  default_type text/plain;\n\
               client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
               server {{ listen {KERNEL_IP}:80 backlog=4096; location / {{ return 200 \"synwave test\\n\"; }} location /missing {{ return 404; }} }}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("nginx.conf");
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(&nginx)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut n = Nginx { child, dir };
        // Listening once `ss` shows the socket (a probe connection would
        // be logged); bounded.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ss = Command::new("ip")
                .args(["netns", "exec", ns, "ss", "-ltnH"])
                .output()
                .expect("ss");
            if String::from_utf8_lossy(&ss.stdout).contains(&format!("{KERNEL_IP}:80")) {
                return n;
            }
            if let Ok(Some(st)) = n.child.try_wait() {
                panic!("nginx exited ({st:?}): {}", n.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx not listening within 20 s: {}",
                n.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    /// Stops nginx (SIGQUIT: finish, then exit; SIGKILL after 10 s) and
    /// returns its access log.
    fn stop(mut self) -> String {
        // Safety: a signal to our own child, by pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGQUIT) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// gen on side A opening `n` connections to nginx on side B with
/// `extra` flags (32 at once, at most 60 s).
fn gen_to_nginx(pair: &Pair, n: u64, extra: &[&str]) -> Synwave {
    let a = pair.a();
    let (src, dst, count) = (
        SYNWAVE_IP.to_string(),
        format!("{KERNEL_IP}:80"),
        n.to_string(),
    );
    let mut args = vec![
        "gen",
        "--iface",
        &a,
        "--quiet",
        "--src-ip",
        &src,
        "--dst",
        &dst,
        "--connections",
        &count,
        "--concurrency",
        "32",
        "--duration",
        "60",
    ];
    args.extend_from_slice(extra);
    Synwave::start(&a, &args, "synwave gen:")
}

/// `gen --request http` with `extra` flags, `n` connections, against
/// nginx on side B: gen's summary and nginx's access log, after checking
/// that every connection completed with a 200.
fn gen_http_to_nginx(n: u64, extra: &[&str]) -> (serde_json::Value, String) {
    gen_http_to_nginx_keeping(n, 1, extra)
}

/// As `gen_http_to_nginx`, with `requests` requests per connection
/// (nginx keeping connections when above 1): nginx logs `n` × `requests`
/// lines.
fn gen_http_to_nginx_keeping(n: u64, requests: u64, extra: &[&str]) -> (serde_json::Value, String) {
    let pair = Pair::new(1);
    let nginx = Nginx::start(&pair.b(), requests > 1);
    let mut http = vec!["--request", "http"];
    http.extend_from_slice(extra);
    let mut g = gen_to_nginx(&pair, n, &http);
    let st = g.wait(Duration::from_secs(90));
    let text = std::fs::read_to_string(&g.json)
        .unwrap_or_else(|e| panic!("no JSON summary ({st:?}, {e}): {:?}", g.log));
    let _ = std::fs::remove_file(&g.json);
    let j: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let errors = nginx.error_log();
    let log = nginx.stop();
    assert!(st.success(), "gen exited with {st:?}: {j}");
    assert_eq!(num(&j, "completed"), n, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    assert_eq!(counter(&j, "http_2xx"), n, "{j}");
    assert_eq!(counter(&j, "http_other"), 0, "{j}");
    let lines = log.lines().count() as u64;
    assert_eq!(
        lines,
        n * requests,
        "nginx logged {lines} requests; errors: {errors}"
    );
    (j, log)
}

#[test]
fn gen_gets_a_200_from_nginx_for_every_connection() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_gets_a_200_from_nginx_for_every_connection") {
        return;
    }
    let (_, log) = gen_http_to_nginx(2000, &[]);
    for l in log.lines() {
        assert!(l.contains("\"GET / HTTP/1.1\" 200 "), "{l}");
        assert!(l.contains("\"synwave\""), "user agent: {l}");
        assert!(l.ends_with(&format!("host={KERNEL_IP}")), "host: {l}");
    }
}

#[test]
fn gen_asks_nginx_for_the_path_and_host_it_is_given() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_asks_nginx_for_the_path_and_host_it_is_given") {
        return;
    }
    let extra = [
        "--http-path",
        "/probe?id=7",
        "--http-host",
        "www.example.test",
    ];
    let (_, log) = gen_http_to_nginx(100, &extra);
    for l in log.lines() {
        assert!(l.contains("\"GET /probe?id=7 HTTP/1.1\" 200 "), "{l}");
        assert!(l.ends_with("host=www.example.test"), "{l}");
    }
}

/// `--requests 10`: every connection carries ten pipelined requests, the
/// last asking to close; nginx (keep-alive on) logs each, numbered 1 to
/// 10 on its connection, and closes after the tenth.
#[test]
fn gen_carries_ten_requests_per_connection_to_nginx() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_carries_ten_requests_per_connection_to_nginx") {
        return;
    }
    let (j, log) = gen_http_to_nginx_keeping(500, 10, &["--requests", "10"]);
    let mut per_conn = std::collections::HashMap::<String, Vec<u64>>::new();
    for l in log.lines() {
        assert!(l.contains("\"GET / HTTP/1.1\" 200 "), "{l}");
        let field = |k: &str| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .unwrap_or_else(|| panic!("no {k} in {l}"))
                .to_string()
        };
        per_conn
            .entry(field("conn="))
            .or_default()
            .push(field("n=").parse().expect("a number"));
    }
    assert_eq!(
        per_conn.len(),
        500,
        "one nginx connection per gen connection"
    );
    for (c, mut ns) in per_conn {
        ns.sort_unstable();
        assert_eq!(ns, (1..=10).collect::<Vec<u64>>(), "connection {c}");
    }
    assert_eq!(num(&j, "established"), 500, "{j}");
}

/// `--request http --request-bytes 5000`: a POST with a 5,000-byte body
/// (Content-Length), two per connection: nginx answers both, so it found
/// the second request right after the first one's body.
#[test]
fn gen_posts_request_bodies_to_nginx() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_posts_request_bodies_to_nginx") {
        return;
    }
    let (_, log) =
        gen_http_to_nginx_keeping(200, 2, &["--requests", "2", "--request-bytes", "5000"]);
    for l in log.lines() {
        assert!(l.contains("\"POST / HTTP/1.1\" 200 "), "{l}");
        assert!(l.contains(" cl=5000 "), "{l}");
    }
    assert_eq!(log.lines().filter(|l| l.contains(" n=2 ")).count(), 200);
}

/// Flags that cannot go with `--request http` are refused before any
/// interface is touched, naming the fix.
#[test]
fn http_flag_conflicts_are_refused_with_the_fix() {
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_synwave"))
            .args(["gen", "--iface", "swnosuch0", "--src-ip", "10.99.0.1"])
            .args(["--dst", "10.99.0.2:80", "--request", "http"])
            .args(extra)
            .output()
            .expect("synwave runs");
        assert_eq!(out.status.code(), Some(2), "{extra:?} was not refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = run(&["--close", "client-fin"]);
    assert!(
        e.contains("--close client-fin does not apply") && e.contains("--close server-fin"),
        "{e}"
    );
    let e = run(&["--response-bytes", "10"]);
    assert!(e.contains("cannot be used with"), "{e}");
    let e = run(&["--http-path", "probe"]);
    assert!(
        e.contains("--http-path") && e.contains("starting with /"),
        "{e}"
    );
}

/// A profile with two HTTP templates, one asking for a path nginx
/// answers with 200 and one for a path it answers with 404: gen counts
/// the status classes per template (summary JSON `templates`), and
/// nginx's log agrees.
#[test]
fn gen_counts_status_classes_per_http_template() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if skip("gen_counts_status_classes_per_http_template") {
        return;
    }
    let pair = Pair::new(1);
    let nginx = Nginx::start(&pair.b(), false);
    let profile = std::env::temp_dir().join(format!(
        "synwave-http-templates-{}.toml",
        std::process::id()
    ));
    std::fs::write(
        &profile,
        "[[template]]\nname = \"found\"\nrequest = \"http\"\nweight = 3\n\n\
         [[template]]\nname = \"missing\"\nrequest = \"http\"\nhttp_path = \"/missing\"\n",
    )
    .expect("profile");
    let p = profile.display().to_string();
    let j = gen_to_nginx(&pair, 800, &["--profile", &p]).finish(Duration::from_secs(90));
    let _ = std::fs::remove_file(&profile);
    let log = nginx.stop();
    assert_eq!(num(&j, "completed"), 800, "{j}");
    assert_eq!(num(&j, "failed"), 0, "{j}");
    let t = |name: &str| {
        j["templates"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == name))
            .unwrap_or_else(|| panic!("template {name} in {j}"))
            .clone()
    };
    let (found, missing) = (t("found"), t("missing"));
    eprintln!("found: {found}\nmissing: {missing}");
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert_eq!(n(&found, "opened") + n(&missing, "opened"), 800);
    assert!(n(&missing, "opened") > 100, "{missing}");
    assert_eq!(found["request"], "http");
    assert_eq!(n(&found, "http_2xx"), n(&found, "opened"), "{found}");
    assert_eq!(n(&found, "http_other"), 0, "{found}");
    assert_eq!(
        n(&missing, "http_other"),
        n(&missing, "opened"),
        "{missing}"
    );
    assert_eq!(n(&missing, "http_2xx"), 0, "{missing}");
    let logged_404 = log
        .lines()
        .filter(|l| l.contains("\"GET /missing HTTP/1.1\" 404 "))
        .count();
    assert_eq!(logged_404 as u64, n(&missing, "opened"), "nginx's log");
    assert_eq!(log.lines().count(), 800);
}

//! The flags `gen` and `search` share: where the generator runs and whom
//! it connects to (`Target`), what each connection does (`Exchange`),
//! and the generator configuration built from them (`gen_config`).

use super::net_args::{AfXdpArgs, RunArgs, parse_addresses};
use super::server_args::{Servers, parse_servers};
use super::{CloseArg, ProtocolArg};
use std::time::Duration;
use synwave::app::Template;
use synwave::engine::generate::GenConfig;
use synwave::io::afxdp::Ours;

/// The interface, our source addresses and the server.
pub struct Target<'a> {
    /// The interface, its queues and the AF_XDP set-up.
    pub afxdp: &'a AfXdpArgs,
    /// Our addresses and the server.
    pub ends: &'a Ends,
}

/// Our source addresses and the server.
#[derive(clap::Args)]
pub struct Ends {
    /// Our source address, or a range A-B (64,512 source ports each; the
    /// kernel should not own them too); IPv4, IPv6 (fd00::2-fd00::9), or
    /// one of each, comma-separated: each family's sources connect to the
    /// server of that family.
    #[arg(long, value_parser = parse_addresses)]
    pub src_ip: Ours,
    /// The servers: IP:PORT or [IPV6]:PORT, a range with ports
    /// (10.0.1.1-10.0.1.8:80,8080), a port with a weight (80*3), items
    /// of both families with sources of both; connections go to them in
    /// turn (by weight where given), all through one next hop.
    #[arg(long, value_parser = parse_servers)]
    pub dst: Servers,
}

/// What each connection does, and how it ends.
#[derive(clap::Args)]
pub struct Exchange {
    /// Bytes of each request (0: none).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=65535))]
    pub request_bytes: u32,
    /// Bytes of response awaited before closing (0: none).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1 << 30))]
    pub response_bytes: u32,
    /// Send an HTTP/1.1 GET for / (`Connection: close`; with
    /// --request-bytes, a POST with a body of that many bytes), count
    /// each response's status class (http_2xx, http_other), and end each
    /// connection at the server's close.
    #[arg(long, value_enum, conflicts_with = "response_bytes")]
    pub request: Option<ProtocolArg>,
    /// With --request http: the request's target.
    #[arg(long, default_value = "/", requires = "request")]
    pub http_path: String,
    /// With --request http: the request's Host (default: the server's
    /// address).
    #[arg(long, requires = "request")]
    pub http_host: Option<String>,
    /// Request/response transactions per connection: each request goes
    /// out once the previous response is in (with --request http the
    /// requests are pipelined, the last asking to close).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub requests: u32,
    /// Milliseconds between a response and the next request (with
    /// --requests above 1; not with --request http).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub think: u64,
    /// Milliseconds each connection stays open once its exchange is done,
    /// before the client closes (the server's FIN still closes at once).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub hold: u64,
    /// Open a connection on a tuple still in our TIME-WAIT once that
    /// record is a second old, when the old connection used timestamps
    /// (Linux's tcp_tw_reuse; RFC 6191's conditions): source pairs come
    /// back after 1 s instead of 2·MSL.
    #[arg(long)]
    pub tw_reuse: bool,
    /// Who closes, and how [default: client-fin; server-fin with
    /// --request http].
    #[arg(long, value_enum)]
    pub close: Option<CloseArg>,
}

/// How much a generator opens, and for how long.
pub struct Offered {
    /// Connections open at once, at most.
    pub concurrency: u64,
    /// Connections opened per second (`None`: a closed loop).
    pub rate: Option<f64>,
    /// Seconds over which the rate rises.
    pub ramp: f64,
    /// Seconds of the run phase.
    pub duration: f64,
    /// Connections to open in all.
    pub connections: Option<u64>,
}

/// The generator `t`, `x` and `common` ask for, opening as `o` says, with
/// a profile's `templates`; or what is wrong with them together.
pub fn gen_config(
    t: &Target<'_>,
    x: &Exchange,
    common: &RunArgs,
    o: Offered,
    templates: Vec<Template>,
) -> Result<GenConfig, String> {
    let (src, dst) = (t.ends.src_ip, &t.ends.dst);
    let v4 = src.v4.map_or(([0; 4], 0), |r| (r.first, r.count));
    super::profile_args::check_templates(&templates, x.hold, v4.0, v4.1, "--src-ip")?;
    for (family, has_src, has_dst) in [
        ("IPv4", src.v4.is_some(), !dst.v4.is_empty()),
        ("IPv6", src.v6.is_some(), !dst.v6.is_empty()),
    ] {
        if has_src != has_dst {
            return Err(if has_src {
                format!(
                    "--src-ip has an {family} address but --dst no {family} server: add one (--dst {}) or drop the {family} source",
                    if family == "IPv4" {
                        "10.0.0.1:80"
                    } else {
                        "[fd00::1]:80"
                    }
                )
            } else {
                format!(
                    "--dst has an {family} server but --src-ip no {family} address: add one to --src-ip (comma-separated)"
                )
            });
        }
    }
    if x.request.is_some() && !templates.is_empty() {
        return Err(
            "--request http and a profile's templates do not mix: give one or the other".into(),
        );
    }
    let http = x.request == Some(ProtocolArg::Http);
    if http && x.think > 0 {
        return Err("--think with --request http: the requests are pipelined (a response's end is not read), so give --think 0 or byte-counted requests (--request-bytes)".into());
    }
    if !http && x.requests > 1 && x.request_bytes == 0 {
        // (With HTTP each request is framed by its header and Content-Length.)
        return Err(format!(
            "--requests {}: each transaction starts with a request, so give --request-bytes (or --request http)",
            x.requests
        ));
    }
    synwave::app::http::check_request_parts(&x.http_path, x.http_host.as_deref().unwrap_or("-"))
        .map_err(|e| format!("--http-path / --http-host: {e}"))?;
    Ok(GenConfig {
        setup: t.afxdp.setup(
            common,
            src,
            "generator",
            Some(Duration::from_secs_f64(o.duration)),
            Duration::from_secs(5),
            o.connections,
        ),
        dst: dst.v4.clone(),
        dst6: dst.v6.clone(),
        dst_weights: dst.weights4.clone(),
        dst6_weights: dst.weights6.clone(),
        concurrency: o.concurrency,
        rate: o.rate,
        ramp: Duration::from_secs_f64(o.ramp),
        request_bytes: x.request_bytes,
        response_bytes: x.response_bytes,
        http,
        http_path: x.http_path.clone(),
        http_host: x.http_host.clone(),
        close: x
            .close
            .unwrap_or(if http {
                CloseArg::ServerFin
            } else {
                CloseArg::ClientFin
            })
            .into(),
        templates,
        hold: Duration::from_millis(x.hold),
        requests: x.requests,
        think: Duration::from_millis(x.think),
        time_wait_reuse: if x.tw_reuse {
            Duration::from_secs(1)
        } else {
            Duration::ZERO
        },
    })
}

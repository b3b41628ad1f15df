//! Profiles (`--profile FILE`, TOML): a run's flags as keys, and the
//! connection templates a generator mixes by weight, as a TRex ASTF
//! profile mixes its templates.
//!
//! ```toml
//! rate = 50000            # any flag of the command, without "--"
//! duration = 10
//!
//! [[template]]
//! name = "fin"            # handshake + FIN close
//! weight = 6
//!
//! [[template]]
//! name = "req-resp"       # handshake + request/response + close
//! weight = 3
//! request_bytes = 64
//! response_bytes = 256    # what the server answers, awaited
//!
//! [[template]]
//! name = "rst"            # handshake + RST
//! weight = 1
//! close = "rst"
//!
//! [[template]]
//! name = "flood"          # a SYN only, from spoofed sources
//! kind = "syn-only"
//! spoof = "10.9.0.1-10.9.0.254"
//! ```
//!
//! Rules: parsing only (no I/O but reading the file in `load`). Every
//! error (`ProfileError`) names the key and the fix; the command line
//! turns the flag keys into its flags, placed before the ones typed,
//! which therefore win.

mod http_template;
mod servers;

use http_template::HttpKeys;
pub use http_template::HttpProblem;

use crate::app::{CloseKind, ServerProgram, Template, TemplateKind};
use crate::endpoint::MAX_TEMPLATES;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A parsed profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// The flag keys, in file order: the key as written (`rate`,
    /// `request_bytes`) and its value as the command line would take it
    /// (`None` for `true`; lists joined by commas; `false` keys left out).
    pub keys: Vec<(String, Option<String>)>,
    /// The templates, in file order (empty: the flags' one scenario).
    pub templates: Vec<Template>,
    /// The server programs (`[[server]]`), in file order (empty: the
    /// flags' one program on every port).
    pub servers: Vec<ServerProgram>,
}

/// What is wrong with one template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateProblem {
    /// A weight of 0 or above 1,000,000.
    Weight(u32),
    /// An unknown kind.
    Kind(String),
    /// `close = "server-fin"`: the server's choice, for the whole run.
    CloseServerFin,
    /// An unknown close.
    Close(String),
    /// A syn-only template without `spoof`.
    SpoofMissing,
    /// `spoof` on a template that connects.
    SpoofNotSynOnly,
    /// A `spoof` that is not an address or a range.
    SpoofBad(String),
    /// A `spoof` range that ends before it starts.
    SpoofReversed(String),
    /// `response_bytes` without `request_bytes`.
    ResponseWithoutRequest,
    /// A syn-only template with a request or a response.
    SynOnlyWithData,
    /// `hold_ms` above an hour.
    Hold(u64),
    /// `request_bytes` above 65,535.
    Request(u32),
    /// `requests` of 0, or more than one without a request to count.
    Requests(u32),
    /// `think_ms` above an hour.
    Think(u64),
    /// The HTTP keys (`request`, `http_path`).
    Http(HttpProblem),
}

/// Why a profile cannot be used.
#[derive(Debug)]
pub enum ProfileError {
    /// The file cannot be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A problem in the file at `path` (`load`).
    In {
        /// The file.
        path: PathBuf,
        /// The problem.
        error: Box<ProfileError>,
    },
    /// Not TOML.
    Toml(String),
    /// A `[[template]]` entry TOML cannot take (an unknown key, a wrong
    /// type): the TOML reader's words.
    TemplateSyntax(String),
    /// A template with a problem.
    Template {
        /// Its name.
        name: String,
        /// The problem.
        problem: TemplateProblem,
    },
    /// More templates than counted (`MAX_TEMPLATES`).
    TooMany(usize),
    /// Two templates with one name.
    DuplicateName(String),
    /// Every template is syn-only.
    AllSynOnly,
    /// A list key with an item that is neither a string nor a number.
    ListItem(String),
    /// A key that is a table.
    TableKey(String),
    /// A `[[server]]` entry TOML cannot take: the TOML reader's words.
    ServerSyntax(String),
    /// A server program with a problem.
    Server {
        /// Its name.
        name: String,
        /// The problem and its fix.
        problem: String,
    },
}

impl fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateProblem::Weight(w) => {
                write!(f, "weight {w}: give a weight of 1 or more, at most 1000000")
            }
            TemplateProblem::Kind(k) => write!(f, "kind '{k}': give connect or syn-only"),
            TemplateProblem::CloseServerFin => f.write_str(
                "close 'server-fin' is the server's choice, for the whole run: give client-fin or rst here",
            ),
            TemplateProblem::Close(c) => write!(f, "close '{c}': give client-fin or rst"),
            TemplateProblem::SpoofMissing => f.write_str(
                "a syn-only template needs spoof = \"A-B\": the SYNs' source addresses (not the generator's own)",
            ),
            TemplateProblem::SpoofNotSynOnly => f.write_str("spoof is for kind = \"syn-only\" only"),
            TemplateProblem::SpoofBad(s) => {
                write!(f, "spoof '{s}': give an IPv4 address or a range A-B")
            }
            TemplateProblem::SpoofReversed(s) => {
                write!(f, "spoof '{s}': the range ends before it starts")
            }
            TemplateProblem::ResponseWithoutRequest => f.write_str(
                "response_bytes without request_bytes: the server answers requests, so give request_bytes too",
            ),
            TemplateProblem::SynOnlyWithData => {
                f.write_str("a syn-only template sends no request and awaits no response")
            }
            TemplateProblem::Hold(h) => write!(f, "hold_ms {h}: at most 3600000 (an hour)"),
            TemplateProblem::Request(r) => write!(f, "request_bytes {r}: at most 65535"),
            TemplateProblem::Requests(n) => write!(
                f,
                "requests {n}: give 1 or more; more than 1 needs request_bytes (each request is counted by its bytes)"
            ),
            TemplateProblem::Think(t) => write!(f, "think_ms {t}: at most 3600000 (an hour)"),
            TemplateProblem::Http(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::Read { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
            ProfileError::In { path, error } => write!(f, "{}: {error}", path.display()),
            ProfileError::Toml(m) => write!(f, "not valid TOML: {m}"),
            ProfileError::TemplateSyntax(m) => write!(f, "[[template]]: {m}"),
            ProfileError::ServerSyntax(m) => write!(f, "[[server]]: {m}"),
            ProfileError::Server { name, problem } => write!(f, "[[server]] '{name}': {problem}"),
            ProfileError::Template { name, problem } => {
                write!(f, "[[template]] '{name}': {problem}")
            }
            ProfileError::TooMany(n) => write!(f, "{n} templates: at most {MAX_TEMPLATES}"),
            ProfileError::DuplicateName(n) => {
                write!(f, "two templates are named '{n}': give each its own name")
            }
            ProfileError::AllSynOnly => {
                f.write_str("every template is syn-only: add one that connects")
            }
            ProfileError::ListItem(k) => write!(f, "key '{k}': a list of strings or numbers"),
            ProfileError::TableKey(k) => write!(
                f,
                "key '{k}' is a table: a profile has flag keys (e.g. rate = 50000) and [[template]] entries"
            ),
        }
    }
}

impl std::error::Error for ProfileError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateSpec {
    name: String,
    #[serde(default = "one")]
    weight: u32,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    close: Option<String>,
    #[serde(default)]
    request_bytes: u32,
    #[serde(default)]
    response_bytes: u32,
    #[serde(default)]
    spoof: Option<String>,
    #[serde(default)]
    hold_ms: u64,
    #[serde(default = "one")]
    requests: u32,
    #[serde(default)]
    think_ms: u64,
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    http_path: Option<String>,
}

fn one() -> u32 {
    1
}

/// Reads and parses the profile at `path` (errors in the file say which
/// file).
pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|error| ProfileError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    parse(&text).map_err(|e| ProfileError::In {
        path: path.to_path_buf(),
        error: Box::new(e),
    })
}

/// A flag key's value as the command line would take it (`None`: a
/// `true` switch; `Some(None)`: a `false` one, left out).
fn value_of(key: &str, value: toml::Value) -> Result<Option<Option<String>>, ProfileError> {
    Ok(match value {
        toml::Value::Boolean(true) => Some(None),
        toml::Value::Boolean(false) => None,
        toml::Value::String(s) => Some(Some(s)),
        toml::Value::Integer(i) => Some(Some(i.to_string())),
        toml::Value::Float(f) => Some(Some(f.to_string())),
        toml::Value::Array(items) => {
            let parts = items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    toml::Value::Integer(i) => Ok(i.to_string()),
                    _ => Err(ProfileError::ListItem(key.to_string())),
                })
                .collect::<Result<Vec<String>, _>>()?;
            Some(Some(parts.join(",")))
        }
        _ => return Err(ProfileError::TableKey(key.to_string())),
    })
}

/// Parses a profile's text.
pub fn parse(text: &str) -> Result<Profile, ProfileError> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ProfileError::Toml(e.message().to_string()))?;
    let templates = match table.remove("template") {
        None => Vec::new(),
        Some(v) => {
            let specs: Vec<TemplateSpec> = v.try_into().map_err(|e: toml::de::Error| {
                ProfileError::TemplateSyntax(e.message().to_string())
            })?;
            specs
                .into_iter()
                .map(template)
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    check_templates(&templates)?;
    let servers = match table.remove("server") {
        None => Vec::new(),
        Some(v) => servers::parse_servers(v).map_err(|e| match e {
            servers::ServersError::Syntax(m) => ProfileError::ServerSyntax(m),
            servers::ServersError::Program { name, problem } => {
                ProfileError::Server { name, problem }
            }
            servers::ServersError::TooMany(n) => ProfileError::TooMany(n),
            servers::ServersError::DuplicateName(n) => ProfileError::DuplicateName(n),
        })?,
    };
    let mut keys = Vec::new();
    for (key, value) in table {
        if let Some(v) = value_of(&key, value)? {
            keys.push((key, v));
        }
    }
    Ok(Profile {
        keys,
        templates,
        servers,
    })
}

fn template(s: TemplateSpec) -> Result<Template, ProfileError> {
    let name = s.name.clone();
    let at = |problem| ProfileError::Template {
        name: name.clone(),
        problem,
    };
    if s.weight == 0 || s.weight > 1_000_000 {
        return Err(at(TemplateProblem::Weight(s.weight)));
    }
    let kind = match s.kind.as_deref() {
        None | Some("connect") => TemplateKind::Connect,
        Some("syn-only") => TemplateKind::SynOnly,
        Some(k) => return Err(at(TemplateProblem::Kind(k.into()))),
    };
    let close = match s.close.as_deref() {
        None | Some("client-fin") => CloseKind::ClientFin,
        Some("rst") => CloseKind::ClientRst,
        Some("server-fin") => return Err(at(TemplateProblem::CloseServerFin)),
        Some(c) => return Err(at(TemplateProblem::Close(c.into()))),
    };
    let spoof = match s.spoof.as_deref() {
        None if kind == TemplateKind::SynOnly => return Err(at(TemplateProblem::SpoofMissing)),
        None => None,
        Some(_) if kind != TemplateKind::SynOnly => {
            return Err(at(TemplateProblem::SpoofNotSynOnly));
        }
        Some(r) => Some(address_range(r).map_err(at)?),
    };
    if s.response_bytes > 0 && s.request_bytes == 0 {
        return Err(at(TemplateProblem::ResponseWithoutRequest));
    }
    if kind == TemplateKind::SynOnly && (s.request_bytes > 0 || s.response_bytes > 0) {
        return Err(at(TemplateProblem::SynOnlyWithData));
    }
    if s.hold_ms > 3_600_000 {
        return Err(at(TemplateProblem::Hold(s.hold_ms)));
    }
    if s.request_bytes > 65_535 {
        return Err(at(TemplateProblem::Request(s.request_bytes)));
    }
    if s.requests == 0 || (s.requests > 1 && s.request_bytes == 0) {
        return Err(at(TemplateProblem::Requests(s.requests)));
    }
    if s.think_ms > 3_600_000 {
        return Err(at(TemplateProblem::Think(s.think_ms)));
    }
    let http_path = http_template::path(&HttpKeys {
        request: s.request.as_deref(),
        http_path: s.http_path.as_deref(),
        syn_only: kind == TemplateKind::SynOnly,
        response_bytes: s.response_bytes,
        think_ms: s.think_ms,
        rst: s.close.as_deref() == Some("rst"),
    })
    .map_err(|p| at(TemplateProblem::Http(p)))?;
    Ok(Template {
        name: name.clone(),
        weight: s.weight,
        kind,
        close,
        request_bytes: s.request_bytes,
        response_bytes: s.response_bytes,
        spoof,
        hold_us: s.hold_ms.saturating_mul(1000),
        requests: s.requests,
        think_us: s.think_ms.saturating_mul(1000),
        http_path,
    })
}

fn check_templates(t: &[Template]) -> Result<(), ProfileError> {
    if t.len() > MAX_TEMPLATES {
        return Err(ProfileError::TooMany(t.len()));
    }
    for (i, a) in t.iter().enumerate() {
        if t[..i].iter().any(|b| b.name == a.name) {
            return Err(ProfileError::DuplicateName(a.name.clone()));
        }
    }
    if !t.is_empty() && t.iter().all(|x| x.kind == TemplateKind::SynOnly) {
        return Err(ProfileError::AllSynOnly);
    }
    Ok(())
}

/// "A" or "A-B" (IPv4, B ≥ A): (first, count).
fn address_range(s: &str) -> Result<([u8; 4], u32), TemplateProblem> {
    let ip = |x: &str| {
        x.trim()
            .parse::<std::net::Ipv4Addr>()
            .map(|a| a.octets())
            .map_err(|_| TemplateProblem::SpoofBad(s.into()))
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (ip(a)?, ip(b)?),
        None => (ip(s)?, ip(s)?),
    };
    let (lo, hi) = (u32::from_be_bytes(a), u32::from_be_bytes(b));
    if hi < lo {
        return Err(TemplateProblem::SpoofReversed(s.into()));
    }
    // The whole address space has 2^32 addresses: one too many for the
    // count, which then stops one short.
    Ok((a, (hi - lo).saturating_add(1)))
}

/// Whether any template's spoofed range overlaps `first`..+`count`
/// (the generator's own source addresses): the name of the first that
/// does.
pub fn spoof_overlap(templates: &[Template], first: [u8; 4], count: u32) -> Option<&str> {
    let (lo, hi) = (
        u64::from(u32::from_be_bytes(first)),
        u64::from(u32::from_be_bytes(first)) + u64::from(count.max(1)) - 1,
    );
    templates.iter().find_map(|t| {
        let (ip, n) = t.spoof?;
        let (a, b) = (
            u64::from(u32::from_be_bytes(ip)),
            u64::from(u32::from_be_bytes(ip)) + u64::from(n.max(1)) - 1,
        );
        (a <= hi && lo <= b).then_some(t.name.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
rate = 50000
duration = 10
cores = [0, 1]
quiet = true
verbose = false

[[template]]
name = "fin"
weight = 6

[[template]]
name = "req-resp"
weight = 3
request_bytes = 64
response_bytes = 256

[[template]]
name = "rst"
close = "rst"

[[template]]
name = "flood"
kind = "syn-only"
spoof = "10.9.0.1-10.9.0.254"
"#;

    #[test]
    fn flags_and_templates_are_read() {
        let p = parse(EXAMPLE).unwrap();
        let mut keys = p.keys.clone();
        keys.sort();
        let some = |v: &str| Some(v.to_string());
        assert_eq!(
            keys,
            [
                ("cores".into(), some("0,1")),
                ("duration".into(), some("10")),
                ("quiet".into(), None),
                ("rate".into(), some("50000")),
            ]
        );
        let names: Vec<&str> = p.templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["fin", "req-resp", "rst", "flood"]);
        assert_eq!(p.templates[1].request_bytes, 64);
        assert_eq!(p.templates[2].close, CloseKind::ClientRst);
        assert_eq!(p.templates[2].weight, 1);
        assert_eq!(p.templates[3].kind, TemplateKind::SynOnly);
        assert_eq!(p.templates[3].spoof, Some(([10, 9, 0, 1], 254)));
        assert_eq!(p.templates[0].http_path, None);
        let http = parse("[[template]]\nname = \"h\"\nrequest = \"http\"\n").unwrap();
        assert_eq!(http.templates[0].http_path.as_deref(), Some("/"));
        let post = "[[template]]\nname = \"p\"\nrequest = \"http\"\nhttp_path = \"/up\"\nrequest_bytes = 100\n";
        let post = parse(post).unwrap();
        let app = post.templates[0].client_app("h.test");
        let text = String::from_utf8_lossy(&app.payload).to_string();
        assert!(
            text.starts_with("POST /up HTTP/1.1\r\nHost: h.test\r\n"),
            "{text}"
        );
        assert!(text.contains("Content-Length: 100\r\n"), "{text}");
    }

    #[test]
    fn mistakes_name_the_key_and_the_fix() {
        let cases = [
            ("rate = ", "not valid TOML"),
            ("[[template]]\nname = \"a\"\nwieght = 2\n", "wieght"),
            (
                "[[template]]\nname = \"a\"\nweight = 0\n",
                "a weight of 1 or more",
            ),
            (
                "[[template]]\nname = \"a\"\nclose = \"fin\"\n",
                "client-fin or rst",
            ),
            (
                "[[template]]\nname = \"a\"\nclose = \"server-fin\"\n",
                "server's choice",
            ),
            (
                "[[template]]\nname = \"a\"\nresponse_bytes = 5\n",
                "give request_bytes too",
            ),
            (
                "[[template]]\nname = \"a\"\nkind = \"udp\"\n",
                "connect or syn-only",
            ),
            (
                "[[template]]\nname = \"a\"\nrequest = \"ftp\"\n",
                "give bytes (the default) or http",
            ),
            (
                "[[template]]\nname = \"a\"\nhttp_path = \"/x\"\n",
                "http_path needs request = \"http\"",
            ),
            (
                "[[template]]\nname = \"a\"\nrequest = \"http\"\nrequest_bytes = 9\nresponse_bytes = 5\n",
                "with response_bytes",
            ),
            (
                "[[template]]\nname = \"a\"\nrequest = \"http\"\nhttp_path = \"x y\"\n",
                "starting with /",
            ),
            (
                "[[template]]\nname = \"a\"\nspoof = \"10.0.0.1\"\n",
                "spoof is for kind",
            ),
            (
                "[[template]]\nname = \"a\"\n[[template]]\nname = \"a\"\n",
                "its own name",
            ),
            (
                "[[template]]\nname = \"a\"\nkind = \"syn-only\"\n",
                "needs spoof",
            ),
            (
                "[[template]]\nname = \"a\"\nkind = \"syn-only\"\nspoof = \"10.9.0.1\"\n",
                "add one that connects",
            ),
            ("[run]\nrate = 5\n", "flag keys"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}

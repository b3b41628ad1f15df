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
//! error names the key and the fix. Flag keys become command-line flags
//! placed before the ones typed, which therefore win.

use crate::app::{CloseKind, Template, TemplateKind};
use crate::endpoint::MAX_TEMPLATES;
use serde::Deserialize;
use std::path::Path;

/// A parsed profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// The flag keys as command-line arguments (`--rate=50000`, …).
    pub flags: Vec<String>,
    /// The templates, in file order (empty: the flags' one scenario).
    pub templates: Vec<Template>,
}

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
}

fn one() -> u32 {
    1
}

/// Reads and parses the profile at `path`.
pub fn load(path: &Path) -> Result<Profile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --profile {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("--profile {}: {e}", path.display()))
}

/// Parses a profile's text.
pub fn parse(text: &str) -> Result<Profile, String> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("not valid TOML: {}", e.message()))?;
    let templates = match table.remove("template") {
        None => Vec::new(),
        Some(v) => {
            let specs: Vec<TemplateSpec> = v
                .try_into()
                .map_err(|e: toml::de::Error| format!("[[template]]: {}", e.message()))?;
            specs
                .into_iter()
                .map(template)
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    check_templates(&templates)?;
    let mut flags = Vec::new();
    for (key, value) in table {
        let flag = format!("--{}", key.replace('_', "-"));
        match value {
            toml::Value::Boolean(true) => flags.push(flag),
            toml::Value::Boolean(false) => {}
            toml::Value::String(s) => flags.push(format!("{flag}={s}")),
            toml::Value::Integer(i) => flags.push(format!("{flag}={i}")),
            toml::Value::Float(f) => flags.push(format!("{flag}={f}")),
            toml::Value::Array(items) => {
                let parts: Result<Vec<String>, String> = items
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => Ok(s.clone()),
                        toml::Value::Integer(i) => Ok(i.to_string()),
                        _ => Err(format!("key '{key}': a list of strings or numbers")),
                    })
                    .collect();
                flags.push(format!("{flag}={}", parts?.join(",")));
            }
            _ => {
                return Err(format!(
                    "key '{key}' is a table: a profile has flag keys (e.g. rate = 50000) and [[template]] entries"
                ));
            }
        }
    }
    Ok(Profile { flags, templates })
}

fn template(s: TemplateSpec) -> Result<Template, String> {
    let name = s.name;
    let at = |e: String| format!("[[template]] '{name}': {e}");
    if s.weight == 0 || s.weight > 1_000_000 {
        return Err(at(format!(
            "weight {}: give a weight of 1 or more, at most 1000000",
            s.weight
        )));
    }
    let kind = match s.kind.as_deref() {
        None | Some("connect") => TemplateKind::Connect,
        Some("syn-only") => TemplateKind::SynOnly,
        Some(k) => return Err(at(format!("kind '{k}': give connect or syn-only"))),
    };
    let close = match s.close.as_deref() {
        None | Some("client-fin") => CloseKind::ClientFin,
        Some("rst") => CloseKind::Rst,
        Some("server-fin") => {
            return Err(at(
                "close 'server-fin' is the server's choice, for the whole run: give client-fin or rst here".into(),
            ));
        }
        Some(c) => return Err(at(format!("close '{c}': give client-fin or rst"))),
    };
    let spoof = match s.spoof.as_deref() {
        None if kind == TemplateKind::SynOnly => {
            return Err(at(
                "a syn-only template needs spoof = \"A-B\": the SYNs' source addresses (not the generator's own)".into(),
            ));
        }
        None => None,
        Some(_) if kind != TemplateKind::SynOnly => {
            return Err(at("spoof is for kind = \"syn-only\" only".into()));
        }
        Some(r) => Some(address_range(r).map_err(at)?),
    };
    if s.response_bytes > 0 && s.request_bytes == 0 {
        return Err(at(
            "response_bytes without request_bytes: the server answers requests, so give request_bytes too".into(),
        ));
    }
    if kind == TemplateKind::SynOnly && (s.request_bytes > 0 || s.response_bytes > 0) {
        return Err(at(
            "a syn-only template sends no request and awaits no response".into(),
        ));
    }
    if s.hold_ms > 3_600_000 {
        return Err(at(format!(
            "hold_ms {}: at most 3600000 (an hour)",
            s.hold_ms
        )));
    }
    if s.request_bytes > 65_535 {
        return Err(at(format!(
            "request_bytes {}: at most 65535",
            s.request_bytes
        )));
    }
    Ok(Template {
        name,
        weight: s.weight,
        kind,
        close,
        request_bytes: s.request_bytes,
        response_bytes: s.response_bytes,
        spoof,
        hold_us: s.hold_ms.saturating_mul(1000),
    })
}

fn check_templates(t: &[Template]) -> Result<(), String> {
    if t.len() > MAX_TEMPLATES {
        return Err(format!("{} templates: at most {MAX_TEMPLATES}", t.len()));
    }
    for (i, a) in t.iter().enumerate() {
        if t[..i].iter().any(|b| b.name == a.name) {
            return Err(format!(
                "two templates are named '{}': give each its own name",
                a.name
            ));
        }
    }
    if !t.is_empty() && t.iter().all(|x| x.kind == TemplateKind::SynOnly) {
        return Err("every template is syn-only: add one that connects".into());
    }
    Ok(())
}

/// "A" or "A-B" (IPv4, B ≥ A): (first, count).
fn address_range(s: &str) -> Result<([u8; 4], u32), String> {
    let ip = |x: &str| {
        x.trim()
            .parse::<std::net::Ipv4Addr>()
            .map(|a| a.octets())
            .map_err(|_| format!("spoof '{s}': give an IPv4 address or a range A-B"))
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (ip(a)?, ip(b)?),
        None => (ip(s)?, ip(s)?),
    };
    let (lo, hi) = (u32::from_be_bytes(a), u32::from_be_bytes(b));
    if hi < lo {
        return Err(format!("spoof '{s}': the range ends before it starts"));
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
        let mut flags = p.flags.clone();
        flags.sort();
        assert_eq!(
            flags,
            ["--cores=0,1", "--duration=10", "--quiet", "--rate=50000"]
        );
        let names: Vec<&str> = p.templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["fin", "req-resp", "rst", "flood"]);
        assert_eq!(p.templates[1].request_bytes, 64);
        assert_eq!(p.templates[2].close, CloseKind::Rst);
        assert_eq!(p.templates[2].weight, 1);
        assert_eq!(p.templates[3].kind, TemplateKind::SynOnly);
        assert_eq!(p.templates[3].spoof, Some(([10, 9, 0, 1], 254)));
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
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}

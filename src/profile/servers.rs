//! A profile's `[[server]]` entries: the server programs `serve` runs,
//! each on its ports (TRex ASTF's server templates, associated by port).
//!
//! ```toml
//! [[server]]
//! name = "web"
//! port = 80
//! response = "http"       # or "bytes" (the default)
//! response_bytes = 1000
//! status = 200            # HTTP only
//! close = "server-fin"    # client-fin (default for bytes), server-fin (HTTP's), rst
//!
//! [[server]]
//! name = "bulk"
//! ports = [8080, 8081]
//! response_bytes = 100000
//! request_bytes = 64      # each request's size, with requests above 1
//! requests = 10
//! hold_ms = 0
//! ```
//!
//! Rules: parsing and checks only; each error names the entry and the
//! fix.

use crate::app::{CloseMode, MAX_TEMPLATES, ServerProgram};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSpec {
    name: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    ports: Vec<u16>,
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    response_bytes: u32,
    #[serde(default)]
    request_bytes: u32,
    #[serde(default = "one")]
    requests: u32,
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    close: Option<String>,
    #[serde(default)]
    hold_ms: u64,
}

fn one() -> u32 {
    1
}

fn ok() -> u16 {
    200
}

/// What is wrong with a profile's `[[server]]` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServersError {
    /// An entry TOML cannot take: the TOML reader's words.
    Syntax(String),
    /// A program with a problem.
    Program {
        /// Its name.
        name: String,
        /// The problem and its fix.
        problem: String,
    },
    /// More programs than templates can count.
    TooMany(usize),
    /// Two programs with one name.
    DuplicateName(String),
}

fn program(s: ServerSpec) -> Result<ServerProgram, ServersError> {
    let at = |problem: String| ServersError::Program {
        name: s.name.clone(),
        problem,
    };
    let http = match s.response.as_deref() {
        None | Some("bytes") => false,
        Some("http") => true,
        Some(r) => {
            return Err(at(format!(
                "response = \"{r}\": give \"bytes\" or \"http\""
            )));
        }
    };
    let close = match s.close.as_deref() {
        None if http => CloseMode::Fin,
        None | Some("client-fin") => CloseMode::Wait,
        Some("server-fin") => CloseMode::Fin,
        Some("rst") => CloseMode::Rst,
        Some(c) => {
            return Err(at(format!(
                "close = \"{c}\": give \"client-fin\", \"server-fin\" or \"rst\""
            )));
        }
    };
    if s.hold_ms > 3_600_000 {
        return Err(at(format!(
            "hold_ms {}: at most 3600000 (an hour)",
            s.hold_ms
        )));
    }
    if s.response_bytes > 16 << 20 {
        return Err(at(format!(
            "response_bytes {}: at most 16777216",
            s.response_bytes
        )));
    }
    let mut ports = s.ports.clone();
    ports.extend(s.port);
    if ports.contains(&0) {
        return Err(at("port 0: give 1 to 65535".into()));
    }
    let p = ServerProgram {
        name: s.name.clone(),
        ports,
        response_bytes: s.response_bytes,
        request_bytes: s.request_bytes,
        requests: s.requests,
        http,
        status: s.status,
        close,
        hold_us: s.hold_ms * 1000,
    };
    p.check().map_err(at)?;
    Ok(p)
}

/// The programs of a profile's `server` value (`[[server]]` entries).
pub fn parse_servers(v: toml::Value) -> Result<Vec<ServerProgram>, ServersError> {
    let specs: Vec<ServerSpec> = v
        .try_into()
        .map_err(|e: toml::de::Error| ServersError::Syntax(e.message().to_string()))?;
    let programs = specs
        .into_iter()
        .map(program)
        .collect::<Result<Vec<_>, _>>()?;
    if programs.len() >= MAX_TEMPLATES {
        return Err(ServersError::TooMany(programs.len()));
    }
    let mut seen: Vec<(u16, &str)> = Vec::new();
    for p in &programs {
        if programs.iter().filter(|q| q.name == p.name).count() > 1 {
            return Err(ServersError::DuplicateName(p.name.clone()));
        }
        for &port in &p.ports {
            if let Some((_, other)) = seen.iter().find(|(q, _)| *q == port) {
                return Err(ServersError::Program {
                    name: p.name.clone(),
                    problem: format!(
                        "port {port} is also server '{other}''s: give each port one program"
                    ),
                });
            }
            seen.push((port, &p.name));
        }
    }
    Ok(programs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ServerProgram>, ServersError> {
        let mut t: toml::Table = text.parse().expect("TOML");
        parse_servers(t.remove("server").expect("[[server]]"))
    }

    fn problem(text: &str) -> String {
        match parse(text).unwrap_err() {
            ServersError::Program { problem, .. } => problem,
            e => format!("{e:?}"),
        }
    }

    #[test]
    fn server_entries_become_programs_by_port() {
        let p = parse(
            "[[server]]\nname = \"web\"\nport = 80\nresponse = \"http\"\nresponse_bytes = 100\n\n\
             [[server]]\nname = \"bulk\"\nports = [8080, 8081]\nresponse_bytes = 5000\nclose = \"rst\"\n",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].ports, vec![80]);
        assert_eq!(p[0].close, CloseMode::Fin);
        assert!(p[0].http);
        assert_eq!(p[1].ports, vec![8080, 8081]);
        assert_eq!(p[1].close, CloseMode::Rst);
    }

    #[test]
    fn bad_server_entries_name_the_fix() {
        assert!(problem("[[server]]\nname = \"a\"\n").contains("no port"));
        assert!(
            problem("[[server]]\nname = \"a\"\nport = 80\nclose = \"x\"\n").contains("client-fin")
        );
        assert!(
            problem("[[server]]\nname = \"a\"\nport = 80\n[[server]]\nname = \"b\"\nport = 80\n")
                .contains("port 80 is also")
        );
        assert!(
            problem("[[server]]\nname = \"a\"\nport = 80\nstatus = 404\n").contains("for HTTP")
        );
        assert!(problem("[[server]]\nname = \"a\"\nport = 80\nfoo = 1\n").contains("foo"));
    }
}

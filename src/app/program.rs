//! A server program: what `serve` does on the connections accepted on
//! some ports (TRex ASTF's server template, associated by port): its
//! response (bytes, or HTTP with a status), how many requests it
//! answers per connection, how long it holds, and how it closes.
//!
//! Rules: data and the one mapping to the server's `AppConfig`;
//! validation names the program and the fix; parsing is the profile's.

use super::config::{AppConfig, AppProtocol, CloseMode};
use super::http;

/// One server program of a profile (`[[server]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerProgram {
    /// Its name in the summary.
    pub name: String,
    /// The listening ports whose connections follow it.
    pub ports: Vec<u16>,
    /// Bytes of each response (with `http`, the body's).
    pub response_bytes: u32,
    /// Bytes of each request (0: a response after the first byte of a
    /// request; with `http`, each request ends at its header block).
    pub request_bytes: u32,
    /// Requests answered per connection.
    pub requests: u32,
    /// Answer HTTP requests with HTTP responses.
    pub http: bool,
    /// The HTTP status code of its responses.
    pub status: u16,
    /// How it ends a connection once its last response is out (`Wait`:
    /// the client closes).
    pub close: CloseMode,
    /// Time it holds a connection after its last response, before its
    /// close (µs).
    pub hold_us: u64,
}

impl ServerProgram {
    /// Why the program cannot run as given.
    pub fn check(&self) -> Result<(), String> {
        if self.ports.is_empty() {
            return Err("no port: give port = 80 or ports = [80, 8080]".into());
        }
        if self.requests == 0 {
            return Err("requests = 0: give 1 or more".into());
        }
        if !self.http && self.requests > 1 && self.request_bytes == 0 {
            return Err(format!(
                "requests = {} needs request_bytes (each request is counted by its bytes), or response = \"http\"",
                self.requests
            ));
        }
        if self.http {
            http::check_status(self.status, self.response_bytes)?;
        } else if self.status != 200 {
            return Err("status is for HTTP: add response = \"http\"".into());
        }
        Ok(())
    }

    /// The server application this program runs.
    pub fn app(&self) -> AppConfig {
        let n = self.requests.max(1);
        let payload = if self.http {
            http::responses_with_status(self.status, self.response_bytes, n)
        } else {
            vec![b'r'; self.response_bytes as usize * n as usize]
        };
        let respond = self.http || self.response_bytes > 0;
        let request = match self.request_bytes {
            0 => u32::from(respond),
            q => q,
        };
        AppConfig {
            payload: payload.into(),
            send_after: request,
            expect: request,
            close: self.close,
            close_on_peer_fin: true,
            protocol: if self.http {
                AppProtocol::Http
            } else {
                AppProtocol::Bytes
            },
            hold_us: self.hold_us,
            requests: n,
            think_us: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> ServerProgram {
        ServerProgram {
            name: "web".into(),
            ports: vec![80],
            response_bytes: 100,
            request_bytes: 0,
            requests: 1,
            http: true,
            status: 404,
            close: CloseMode::Fin,
            hold_us: 0,
        }
    }

    #[test]
    fn a_program_becomes_its_server_application() {
        let a = program().app();
        assert!(a.payload.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
        assert_eq!(a.close, CloseMode::Fin);
        assert_eq!(a.protocol, AppProtocol::Http);
        let bytes = ServerProgram {
            http: false,
            status: 200,
            requests: 3,
            request_bytes: 10,
            ..program()
        };
        assert_eq!(bytes.app().payload.len(), 300);
        assert_eq!(bytes.app().send_after, 10);
    }

    #[test]
    fn bad_programs_name_the_fix() {
        let bad = |p: ServerProgram| p.check().unwrap_err();
        assert!(
            bad(ServerProgram {
                ports: vec![],
                ..program()
            })
            .contains("port")
        );
        assert!(
            bad(ServerProgram {
                status: 99,
                ..program()
            })
            .contains("200 to 599")
        );
        assert!(
            bad(ServerProgram {
                status: 204,
                ..program()
            })
            .contains("no body")
        );
        assert!(
            bad(ServerProgram {
                http: false,
                requests: 2,
                ..program()
            })
            .contains("request_bytes")
        );
    }
}

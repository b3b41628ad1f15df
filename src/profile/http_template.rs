//! A template's HTTP keys (`request = "http"`, `http_path`): the path its
//! requests ask for, and what an HTTP template does not take beside them
//! (its responses end at the server's close).
//!
//! Rules: parsing only; each problem names the key and the fix.

use std::fmt;

/// The keys of a template that decide whether it speaks HTTP.
pub(super) struct HttpKeys<'a> {
    /// `request`: bytes (`None` too) or http.
    pub request: Option<&'a str>,
    /// `http_path`.
    pub http_path: Option<&'a str>,
    /// `kind = "syn-only"`.
    pub syn_only: bool,
    /// `response_bytes`.
    pub response_bytes: u32,
    /// `think_ms`.
    pub think_ms: u64,
    /// `close = "rst"`.
    pub rst: bool,
}

/// What is wrong with a template's HTTP keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpProblem {
    /// A `request` other than bytes or http.
    RequestKind(String),
    /// `http_path` without `request = "http"`.
    PathWithoutHttp,
    /// An HTTP template with what HTTP does not take (`response_bytes`,
    /// `think_ms`, `close = "rst"`, syn-only).
    With(&'static str),
    /// An `http_path` that cannot go into a request line.
    Path(String),
}

impl fmt::Display for HttpProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpProblem::RequestKind(r) => {
                write!(f, "request '{r}': give bytes (the default) or http")
            }
            HttpProblem::PathWithoutHttp => f.write_str("http_path needs request = \"http\""),
            HttpProblem::With(what) => write!(
                f,
                "request = \"http\" with {what}: an HTTP template's responses end at the server's close (pipelined requests, read for their status), so leave {what} out"
            ),
            HttpProblem::Path(why) => write!(f, "http_path: {why}"),
        }
    }
}

/// The path of an HTTP template ("/" by default), `None` for a
/// byte-counted one.
pub(super) fn path(k: &HttpKeys<'_>) -> Result<Option<String>, HttpProblem> {
    match k.request {
        None | Some("bytes") if k.http_path.is_some() => Err(HttpProblem::PathWithoutHttp),
        None | Some("bytes") => Ok(None),
        Some("http") => {
            let refused = [
                (k.syn_only, "kind = \"syn-only\""),
                (k.response_bytes > 0, "response_bytes"),
                (k.think_ms > 0, "think_ms"),
                (k.rst, "close = \"rst\""),
            ];
            if let Some((_, what)) = refused.iter().find(|(bad, _)| *bad) {
                return Err(HttpProblem::With(what));
            }
            let path = k.http_path.unwrap_or("/").to_string();
            crate::app::http::check_request_parts(&path, "-").map_err(HttpProblem::Path)?;
            Ok(Some(path))
        }
        Some(r) => Err(HttpProblem::RequestKind(r.into())),
    }
}

//! The minimal HTTP/1.1 (RFC 9112) that synwave speaks when a side's
//! protocol is HTTP (`AppProtocol::Http`): the messages it sends, and the
//! two things it reads in what it receives. A server reads where a request's header
//! block ends. A client reads the class of a response's status code.
//! Both readers work byte by byte with a few bits of state, so a message
//! may arrive split over any number of segments.
//!
//! Rules: no allocation after the messages are built, no I/O, no state
//! beyond the `u8` the caller keeps per connection. Requests carry no
//! body: the empty line after the header fields ends them (RFC 9112 §6.3
//! rule 7: a request without Content-Length or Transfer-Encoding has a
//! body of length zero). Responses close the connection (`Connection:
//! close`, RFC 9112 §9.6), so the client takes the server's FIN as the end
//! of the response.

/// A GET for `path` on `host` that asks the server to close afterwards
/// (`check_request_parts` says whether both fit a request line).
pub fn request(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: synwave\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

/// Why a request target or a Host value cannot go into a request line.
pub fn check_request_parts(path: &str, host: &str) -> Result<(), String> {
    let bad = |s: &str| {
        s.is_empty()
            || s.bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    };
    if bad(path) || !path.starts_with('/') {
        return Err(format!(
            "'{path}' is not a request path: give one starting with / and without spaces or control characters (RFC 9112 §3.2)"
        ));
    }
    if bad(host) {
        return Err(format!(
            "'{host}' is not a Host value: give a name or address without spaces or control characters"
        ));
    }
    Ok(())
}

/// A 200 response with a `body_bytes` body of `'r'`s, then close.
pub fn response(body_bytes: u32) -> Vec<u8> {
    let mut m = format!(
        "HTTP/1.1 200 OK\r\nServer: synwave\r\nContent-Type: text/plain\r\nContent-Length: {body_bytes}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    m.resize(m.len() + body_bytes as usize, b'r');
    m
}

/// Scan state: inside a line, just after a line's LF, or after an LF and
/// a CR (the empty line's CR).
const IN_LINE: u8 = 0;
const AFTER_LF: u8 = 1;
const AFTER_LF_CR: u8 = 2;
/// Bit of the scan state: the header block has ended.
const ENDED: u8 = 0b1000;

/// True once `state` has seen a request's header block end.
#[inline]
pub fn request_ended(state: u8) -> bool {
    state & ENDED != 0
}

/// Reads `data`, the next bytes of a request, into `state` (0 before the
/// first byte); true once the request's header block has ended (and
/// from then on): at an empty line, CRLF or a bare LF (RFC 9112 §2.2
/// lets a recipient take a bare LF as a line's end).
#[inline]
pub fn scan_request_end(state: &mut u8, data: &[u8]) -> bool {
    if *state & ENDED != 0 {
        return true;
    }
    let mut s = *state;
    for &b in data {
        s = match (s, b) {
            (AFTER_LF | AFTER_LF_CR, b'\n') => {
                *state = ENDED;
                return true;
            }
            (_, b'\n') => AFTER_LF,
            (AFTER_LF, b'\r') => AFTER_LF_CR,
            _ => IN_LINE,
        };
    }
    *state = s;
    false
}

/// The class of a response, once its status line has been read far enough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 2xx.
    Success,
    /// Anything else, including a response that is not HTTP/1.x.
    Other,
}

/// What comes before the status code's first digit ("HTTP/1.x ").
const STATUS_PREFIX: &[u8; 9] = b"HTTP/1.x ";
/// Bit of the status state: the response already failed to match.
const MISMATCH: u8 = 0x80;
/// Bit of the status state: the class was reported.
const REPORTED: u8 = 0x40;

/// Reads `data`, the response bytes from stream offset `offset` on, into
/// `state` (0 before the first byte): `Some(class)` once, when the first
/// digit of the status code (offset 9) has arrived.
#[inline]
pub fn scan_status(state: &mut u8, offset: u32, data: &[u8]) -> Option<Status> {
    if *state & REPORTED != 0 {
        return None;
    }
    let first = STATUS_PREFIX.len() as u32;
    for (i, &b) in data.iter().enumerate() {
        let at = offset as usize + i;
        if at > first as usize {
            break;
        }
        let ok = match at {
            // "HTTP/1." then the minor version, then a space.
            7 => b.is_ascii_digit(),
            9 => b == b'2',
            _ => b == STATUS_PREFIX[at],
        };
        if !ok {
            *state |= MISMATCH;
        }
        if at == first as usize {
            let class = if *state & MISMATCH == 0 {
                Status::Success
            } else {
                Status::Other
            };
            *state = REPORTED;
            return Some(class);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends_after_split(msg: &[u8], at: usize) -> bool {
        let mut s = 0;
        let first = scan_request_end(&mut s, &msg[..at]);
        first || scan_request_end(&mut s, &msg[at..])
    }

    #[test]
    fn the_path_and_host_go_into_the_request_line_or_name_the_fix() {
        let req = String::from_utf8(request("/probe?x=1", "www.example.test")).unwrap();
        assert!(req.starts_with("GET /probe?x=1 HTTP/1.1\r\nHost: www.example.test\r\n"));
        assert!(check_request_parts("/a", "[fd00::1]").is_ok());
        assert!(
            check_request_parts("a", "h")
                .unwrap_err()
                .contains("starting with /")
        );
        assert!(
            check_request_parts("/a b", "h")
                .unwrap_err()
                .contains("without spaces")
        );
        assert!(
            check_request_parts("/", "h\r\nX: y")
                .unwrap_err()
                .contains("Host value")
        );
    }

    #[test]
    fn a_request_ends_at_its_empty_line_however_it_is_split() {
        let req = request("/", "10.99.0.1");
        for at in 0..=req.len() {
            assert!(ends_after_split(&req, at), "split at {at}");
        }
        // One byte short of the empty line: not ended.
        let mut s = 0;
        assert!(!scan_request_end(&mut s, &req[..req.len() - 1]));
    }

    #[test]
    fn near_misses_do_not_end_a_request() {
        for text in [
            &b"GET / HTTP/1.1\r\nHost: a\r\n"[..],
            b"GET / HTTP/1.1\n",
            b"\r\n\r",
            b"\r\r\n\r\r\n",
            b"a\r\nb\r\nc\r\n\rd\r\n",
        ] {
            let mut s = 0;
            assert!(!scan_request_end(&mut s, text), "{text:?}");
        }
        // An empty line after a near miss; bare LFs; a mix.
        for text in [
            &b"x\r\n\r\r\n\r\n"[..],
            b"GET / HTTP/1.1\n\n",
            b"GET / HTTP/1.1\nHost: a\r\n\n",
            b"GET / HTTP/1.1\r\nHost: a\n\r\n",
        ] {
            let mut s = 0;
            assert!(scan_request_end(&mut s, text), "{text:?}");
        }
    }

    #[test]
    fn the_status_class_is_read_once_across_segments() {
        let resp = response(10);
        for at in 0..=12 {
            let mut s = 0;
            let a = scan_status(&mut s, 0, &resp[..at]);
            let b = scan_status(&mut s, at as u32, &resp[at..]);
            assert_eq!(a.or(b), Some(Status::Success), "split at {at}");
            assert!(a.is_none() || b.is_none());
            assert_eq!(scan_status(&mut s, resp.len() as u32, b"more"), None);
        }
    }

    #[test]
    fn other_classes_and_non_http_are_other() {
        for text in [
            &b"HTTP/1.1 404 Not Found\r\n"[..],
            b"HTTP/1.0 500 Oops\r\n",
            b"HTTX/1.1 200 OK\r\n",
            b"SSH-2.0-OpenSSH_9\r\n",
        ] {
            let mut s = 0;
            assert_eq!(
                scan_status(&mut s, 0, text),
                Some(Status::Other),
                "{text:?}"
            );
        }
        let mut s = 0;
        assert_eq!(
            scan_status(&mut s, 0, b"HTTP/1.0 204 No Content\r\n"),
            Some(Status::Success)
        );
        // Too short to tell: nothing yet.
        let mut s = 0;
        assert_eq!(scan_status(&mut s, 0, b"HTTP/1.1 "), None);
    }

    #[test]
    fn the_response_states_its_body_length() {
        let r = response(5);
        let text = String::from_utf8(r.clone()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(head.contains("\r\nContent-Length: 5"));
        assert!(head.contains("\r\nConnection: close"));
        assert_eq!(body, "rrrrr");
    }
}

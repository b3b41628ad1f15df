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
//! body of length zero). With one transaction per connection the request
//! and the response close the connection (`Connection: close`, RFC 9112
//! §9.6), so the client takes the server's FIN as the end of the
//! response. With several, a client pipelines its requests (RFC 9112
//! §9.3.2), the last asking to close, and a server answers each request
//! in turn, its last response closing.

/// A GET for `path` on `host` that asks the server to close afterwards
/// (`check_request_parts` says whether both fit a request line).
pub fn request(path: &str, host: &str) -> Vec<u8> {
    requests(path, host, 1)
}

/// The `Connection` field of message `i` of `n` (0-based): the last asks
/// to close, the others to keep the connection; with several messages
/// the close value is padded to the keep-alive one's length with spaces,
/// which a recipient strips (RFC 9110 §5.5), so every message has the
/// same length.
fn connection_field(i: u32, n: u32) -> &'static str {
    match (i + 1 == n, n) {
        (true, 1) => "close",
        (true, _) => "close     ",
        (false, _) => "keep-alive",
    }
}

/// `n` GETs for `path` on `host` back to back (HTTP/1.1 pipelining, RFC
/// 9112 §9.3.2), all but the last keeping the connection: the stream a
/// client with `n` transactions sends.
pub fn requests(path: &str, host: &str, n: u32) -> Vec<u8> {
    requests_with_body(path, host, n, 0)
}

/// `requests`, as POSTs with a `body_bytes` body of `'q'`s each
/// (Content-Length framing, RFC 9112 §6.2) when `body_bytes` > 0.
pub fn requests_with_body(path: &str, host: &str, n: u32, body_bytes: u32) -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..n {
        let c = connection_field(i, n);
        let (method, body_fields) = match body_bytes {
            0 => ("GET", String::new()),
            b => (
                "POST",
                format!("Content-Type: application/octet-stream\r\nContent-Length: {b}\r\n"),
            ),
        };
        m.extend_from_slice(
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: synwave\r\nAccept: */*\r\n{body_fields}Connection: {c}\r\n\r\n")
                .as_bytes(),
        );
        m.resize(m.len() + body_bytes as usize, b'q');
    }
    m
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
    responses(body_bytes, 1)
}

/// `n` 200 responses with `body_bytes` bodies back to back, all but the
/// last keeping the connection: what a server with `n` transactions per
/// connection sends.
pub fn responses(body_bytes: u32, n: u32) -> Vec<u8> {
    responses_with_status(200, body_bytes, n)
}

/// The reason phrase synwave sends with `status` (RFC 9110 §15's for the
/// common codes; "Status" for the others: a client must not rely on it,
/// RFC 9112 §4).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Why `status` with a `body_bytes` body cannot be sent: a code outside
/// 200-599 (1xx are interim), or a body on 204 and 304, which have none
/// (RFC 9110 §15.3.5, §15.4.5).
pub fn check_status(status: u16, body_bytes: u32) -> Result<(), String> {
    if !(200..=599).contains(&status) {
        return Err(format!(
            "status {status}: give a final status code, 200 to 599"
        ));
    }
    if matches!(status, 204 | 304) && body_bytes > 0 {
        return Err(format!(
            "status {status} has no body: give response_bytes = 0"
        ));
    }
    Ok(())
}

/// `responses` with the status code `status` (see `check_status`).
pub fn responses_with_status(status: u16, body_bytes: u32, n: u32) -> Vec<u8> {
    let mut m = Vec::new();
    let reason = reason(status);
    for i in 0..n {
        let c = connection_field(i, n);
        m.extend_from_slice(
            format!(
                "HTTP/1.1 {status} {reason}\r\nServer: synwave\r\nContent-Type: text/plain\r\nContent-Length: {body_bytes}\r\nConnection: {c}\r\n\r\n"
            )
            .as_bytes(),
        );
        m.resize(m.len() + body_bytes as usize, b'r');
    }
    m
}

/// Scan state, in its low two bits: inside a line, just after a line's
/// LF, or after an LF and a CR (the empty line's CR). The six bits above
/// count requests whose header block has ended and that are not yet
/// answered (`take_ended`), up to `MAX_PENDING`.
const IN_LINE: u8 = 0;
const AFTER_LF: u8 = 1;
const AFTER_LF_CR: u8 = 2;
const LINE_MASK: u8 = 0b11;
/// The most ended requests the scan state counts (more in one segment are
/// not counted: at least 64 requests of 90-odd bytes each in one frame).
pub const MAX_PENDING: u8 = 63;

/// Requests counted as ended in `state` and not yet taken.
#[inline]
pub fn ended(state: u8) -> u8 {
    state >> 2
}

/// Takes the requests counted as ended in `state`: their number, and the
/// count set back to 0.
#[inline]
pub fn take_ended(state: &mut u8) -> u8 {
    let n = ended(*state);
    *state &= LINE_MASK;
    n
}

/// Reads `data`, the next bytes of the request stream, into `state` (0
/// before the first byte), counting each request whose header block ends
/// in it: at an empty line, CRLF or a bare LF (RFC 9112 §2.2 lets a
/// recipient take a bare LF as a line's end); the next request starts
/// right after. Returns whether any request has ended and is not taken.
#[inline]
pub fn scan_request_end(state: &mut u8, data: &[u8]) -> bool {
    let mut line = *state & LINE_MASK;
    let mut count = ended(*state);
    for &b in data {
        line = match (line, b) {
            (AFTER_LF | AFTER_LF_CR, b'\n') => {
                count = (count + 1).min(MAX_PENDING);
                IN_LINE
            }
            (_, b'\n') => AFTER_LF,
            (AFTER_LF, b'\r') => AFTER_LF_CR,
            _ => IN_LINE,
        };
    }
    *state = line | (count << 2);
    count > 0
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
    fn pipelined_messages_are_equal_in_length_and_only_the_last_closes() {
        let one = request("/", "h");
        assert!(String::from_utf8_lossy(&one).contains("Connection: close\r\n"));
        let reqs = requests("/", "h", 3);
        assert_eq!(reqs.len() % 3, 0);
        let each = reqs.len() / 3;
        let parts: Vec<_> = reqs.chunks(each).map(String::from_utf8_lossy).collect();
        assert!(parts[0].contains("Connection: keep-alive\r\n"));
        assert!(parts[1].contains("Connection: keep-alive\r\n"));
        assert!(parts[2].contains("Connection: close     \r\n"));
        let resps = responses(7, 4);
        let each = resps.len() / 4;
        assert_eq!(resps.len(), 4 * each);
        let last = String::from_utf8_lossy(&resps[3 * each..]).to_string();
        assert!(last.contains("Connection: close     \r\n") && last.ends_with("rrrrrrr"));
        assert_eq!(responses(7, 1), response(7));
        // A server counts each request's end, however the stream is cut.
        for at in 0..=reqs.len() {
            let mut s = 0;
            scan_request_end(&mut s, &reqs[..at]);
            scan_request_end(&mut s, &reqs[at..]);
            assert_eq!(take_ended(&mut s), 3, "split at {at}");
            assert_eq!(ended(s), 0);
        }
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

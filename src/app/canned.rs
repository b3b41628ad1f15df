//! The canned exchange: the application synwave runs above each
//! connection. Each connection follows one template's `AppConfig`: it
//! queues its message once enough has been received, reads the peer's
//! message (by counting bytes, or HTTP), holds the connection if asked,
//! and closes by its close mode. It also resolves the bytes a `Reply`
//! refers to.
//!
//! Rules: implements `tcp::Application` (monomorphised into the state
//! machine); a connection's state is its template index and its HTTP scan
//! state, packed into the record's `AppState`; no allocation after
//! construction.

use super::config::{AppConfig, AppConfigError, AppProtocol, CloseMode, MAX_TEMPLATES};
use super::http;
use crate::tcp::{AppState, Application, Conn, Events, Reply, State};
use std::sync::Arc;

/// The applications of one side: template 0 and the templates after it
/// (a profile's templates on a client: each connection follows the one
/// it was opened with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canned {
    first: AppConfig,
    rest: Arc<[AppConfig]>,
}

impl Default for Canned {
    /// Sends nothing and closes as soon as the peer does.
    fn default() -> Self {
        Canned::new(AppConfig::passive_close())
    }
}

/// The template of a connection's state (its low byte).
#[inline]
fn template_of(s: AppState) -> u8 {
    s.0 as u8
}

/// The HTTP scan state of a connection's state (its high byte).
#[inline]
fn scan_of(s: AppState) -> u8 {
    (s.0 >> 8) as u8
}

#[inline]
fn with_scan(s: AppState, scan: u8) -> AppState {
    AppState((s.0 & 0xff) | (u16::from(scan) << 8))
}

impl Canned {
    /// Every connection follows `app`.
    pub fn new(app: AppConfig) -> Canned {
        Canned {
            first: app,
            rest: Arc::from(Vec::new()),
        }
    }

    /// Connections follow `first` (template 0) or one of `rest` (1, 2, …).
    pub fn with_templates(first: AppConfig, rest: Vec<AppConfig>) -> Canned {
        Canned {
            first,
            rest: rest.into(),
        }
    }

    /// Checks every application's bounds and their number.
    pub fn validate(&self) -> Result<(), AppConfigError> {
        let count = self.rest.len() + 1;
        if count > MAX_TEMPLATES {
            return Err(AppConfigError::TooManyTemplates { count });
        }
        std::iter::once(&self.first)
            .chain(self.rest.iter())
            .try_for_each(AppConfig::validate)
    }

    /// The application of template `t` (beyond the templates: template 0).
    #[inline]
    pub fn app_of(&self, t: u8) -> &AppConfig {
        match t {
            0 => &self.first,
            _ => self.rest.get(usize::from(t) - 1).unwrap_or(&self.first),
        }
    }

    /// The state a new connection of template `t` starts with.
    #[inline]
    pub fn open(t: u8) -> AppState {
        AppState(u16::from(t))
    }

    /// The template a connection with state `s` follows.
    #[inline]
    pub fn template(s: AppState) -> u8 {
        template_of(s)
    }

    /// The data bytes of `reply` (empty for a control segment).
    #[inline]
    pub fn payload(&self, reply: &Reply) -> &[u8] {
        let o = reply.data_offset as usize;
        let n = usize::from(reply.data_len);
        self.app_of(template_of(reply.app))
            .payload
            .get(o..o + n)
            .unwrap_or(&[])
    }
}

impl Application for Canned {
    /// An HTTP server scans for its request's end; an HTTP client reads
    /// the class of the response's status.
    #[inline]
    fn on_data(&self, state: &mut AppState, passive: bool, offset: u32, data: &[u8]) -> Events {
        if self.app_of(template_of(*state)).protocol != AppProtocol::Http {
            return Events::NONE;
        }
        let mut scan = scan_of(*state);
        let events = if passive {
            http::scan_request_end(&mut scan, data);
            Events::NONE
        } else {
            match http::scan_status(&mut scan, offset, data) {
                Some(http::Status::Success) => Events::HTTP_2XX,
                Some(http::Status::Other) => Events::HTTP_OTHER,
                None => Events::NONE,
            }
        };
        *state = with_scan(*state, scan);
        events
    }

    /// Queue each transaction's message once enough has been received
    /// (a client after the previous response and its think time; a
    /// server once per request); once every transaction is done, hold
    /// (if asked), then close by the close mode; in CLOSE-WAIT, close at
    /// once if asked.
    #[inline(always)]
    fn on_turn(&self, conn: &mut Conn<'_>) {
        let state = *conn.app_state();
        let app = self.app_of(template_of(state));
        if !self.queue_messages(app, conn) || conn.fin_queued() {
            return;
        }
        if conn.state() == State::CloseWait {
            if app.close_on_peer_fin {
                conn.close();
            }
            return;
        }
        // The exchange is done: hold the connection open first, if asked
        // (the timer starts once everything sent is acknowledged).
        if app.hold_us > 0 && !conn.timer_fired() {
            if !conn.timer_armed() && conn.all_acked() {
                conn.start_timer(app.hold_us);
            }
            return;
        }
        match app.close {
            CloseMode::Fin => conn.close(),
            // RST only once our data is acknowledged, so it is not lost.
            CloseMode::Rst if conn.all_acked() => conn.abort(),
            _ => {}
        }
    }
}

impl Canned {
    /// Queues the messages now due; whether every transaction is done
    /// (all messages queued, everything awaited received). In CLOSE-WAIT
    /// nothing more arrives, so it counts as done.
    #[inline(always)]
    fn queue_messages(&self, app: &AppConfig, conn: &mut Conn<'_>) -> bool {
        if app.requests == 1 {
            return Self::queue_one(app, conn);
        }
        self.queue_each(app, conn)
    }

    /// `queue_messages` with one transaction (the common case): the
    /// message once enough has arrived (an HTTP server: at the request's
    /// end); done once it is queued and the awaited bytes are in.
    #[inline(always)]
    fn queue_one(app: &AppConfig, conn: &mut Conn<'_>) -> bool {
        let len = app.payload.len() as u32;
        let close_wait = conn.state() == State::CloseWait;
        if app.protocol == AppProtocol::Http && conn.passive() {
            if conn.queued() == 0 && http::ended(scan_of(*conn.app_state())) > 0 {
                conn.send(len);
            }
            return conn.queued() > 0 || close_wait;
        }
        let rcvd = conn.bytes_received();
        if conn.queued() == 0 && len > 0 && rcvd >= app.send_after {
            conn.send(len);
        }
        ((len == 0 || conn.queued() > 0) && rcvd >= app.expect) || close_wait
    }

    /// `queue_messages` with several transactions per connection.
    #[inline(never)]
    fn queue_each(&self, app: &AppConfig, conn: &mut Conn<'_>) -> bool {
        let rcvd = conn.bytes_received();
        let len = app.message_len();
        let n = app.requests;
        let queued = conn.queued().checked_div(len).unwrap_or(0);
        let close_wait = conn.state() == State::CloseWait;
        // Done: every message queued and every awaited byte in.
        let done_after = |sent: u32| {
            (len == 0 || sent >= n) && u64::from(rcvd) >= u64::from(app.expect) * u64::from(n)
        };
        // An HTTP server answers each request once its header block has
        // ended, however many bytes that took.
        if app.protocol == AppProtocol::Http && conn.passive() {
            let mut scan = scan_of(*conn.app_state());
            let asked = u32::from(http::take_ended(&mut scan));
            *conn.app_state() = with_scan(*conn.app_state(), scan);
            let answer = asked.min(n - queued.min(n));
            if len > 0 && answer > 0 {
                conn.send(answer * len);
            }
            return queued + answer >= n || close_wait;
        }
        if conn.passive() {
            // A server: one message per `send_after` bytes received.
            let asked = match app.send_after {
                0 => n,
                per => (rcvd / per).min(n),
            };
            if len > 0 && asked > queued {
                conn.send((asked - queued) * len);
            }
            return done_after(asked.max(queued)) || close_wait;
        }
        // A client: message k once the k previous responses are in, after
        // the think time from the second on.
        let mut queued = queued;
        if len > 0 && queued < n && u64::from(rcvd) >= u64::from(app.expect) * u64::from(queued) {
            if queued == 0 || app.think_us == 0 || conn.take_timer_fired() {
                conn.send(len);
                queued += 1;
            } else {
                if !conn.timer_armed() {
                    conn.start_timer(app.think_us);
                }
                return close_wait;
            }
        }
        done_after(queued) || close_wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_packs_template_and_scan() {
        let s = Canned::open(7);
        assert_eq!(Canned::template(s), 7);
        let s = with_scan(s, 0x81);
        assert_eq!(Canned::template(s), 7);
        assert_eq!(scan_of(s), 0x81);
    }

    #[test]
    fn templates_beyond_the_list_follow_the_first() {
        let a = AppConfig {
            send_after: 1,
            ..AppConfig::default()
        };
        let b = AppConfig {
            send_after: 2,
            ..AppConfig::default()
        };
        let c = Canned::with_templates(a.clone(), vec![b.clone()]);
        assert_eq!(c.app_of(0), &a);
        assert_eq!(c.app_of(1), &b);
        assert_eq!(c.app_of(9), &a);
    }

    #[test]
    fn bounds_are_checked() {
        let long = AppConfig {
            payload: vec![0; super::super::config::MAX_MESSAGE + 1].into(),
            ..AppConfig::default()
        };
        assert!(matches!(
            Canned::new(long).validate(),
            Err(AppConfigError::MessageTooLong { .. })
        ));
        let many = Canned::with_templates(AppConfig::default(), vec![AppConfig::default(); 255]);
        assert_eq!(
            many.validate(),
            Err(AppConfigError::TooManyTemplates { count: 256 })
        );
        assert_eq!(Canned::default().validate(), Ok(()));
    }
}

//! The TCP state machine of `synwave::tcp`, driven state by state (RFC 9293
//! §3.3.2 names), with RFC 4987 cookies, RFC 5961 blind-attack defences,
//! RFC 7323 PAWS, RFC 6191 TIME-WAIT reuse and RFC 6528 ISNs.
//!
//! Two `TcpContext`s (client and server) exchange the segments the state
//! machine returns; segments an attacker or a misbehaving peer would send
//! are built by hand with `Fx::seg`. Time is virtual, in microseconds.

use std::sync::Arc;

use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::flow::FourTuple;
use synwave::tcp::{
    AppState, CookiePolicy, End, Events, IsnGenerator, Outcome, Reply, Secrets, State, Tcb,
    TcpConfig, TcpContext, TimeWait, TwVerdict, on_closed, on_listen,
};
use synwave::wire::{SeqNum, TcpFlags, TcpOptions, TcpRepr, Timestamps};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const MS: u64 = 1_000;
const SEC: u64 = 1_000_000;
/// Start of every scenario: well past 0, inside cookie period 1.
const T0: u64 = 100 * SEC;
const CLIENT_PORT: u16 = 40_000;
const SERVER_PORT: u16 = 80;

const ACK: TcpFlags = TcpFlags::ACK;
const SYN: TcpFlags = TcpFlags::SYN;
const FIN: TcpFlags = TcpFlags::FIN;
const RST: TcpFlags = TcpFlags::RST;
const PSH: TcpFlags = TcpFlags::PSH;

const REQUEST: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";

/// The server's view of the connection from `CLIENT_PORT` (or another port).
fn server_tuple(client_port: u16) -> FourTuple {
    FourTuple {
        local_ip: [10, 0, 0, 2],
        remote_ip: [10, 0, 0, 1],
        local_port: SERVER_PORT,
        remote_port: client_port,
    }
}

/// One side's configuration: TCP tunables (reached through `Deref`) and
/// its canned application.
#[derive(Clone, Debug)]
struct Conf {
    tcp: TcpConfig,
    app: AppConfig,
}

impl std::ops::Deref for Conf {
    type Target = TcpConfig;
    fn deref(&self) -> &TcpConfig {
        &self.tcp
    }
}

impl std::ops::DerefMut for Conf {
    fn deref_mut(&mut self) -> &mut TcpConfig {
        &mut self.tcp
    }
}

/// Linux-like defaults without the idle timeout, so an idle connection has
/// no timer (the idle timeout has its own tests in `mod idle`); an
/// application that sends nothing and closes when the peer does.
fn cfg() -> Conf {
    Conf {
        tcp: TcpConfig {
            idle_timeout_us: 0,
            ..TcpConfig::default()
        },
        app: AppConfig::passive_close(),
    }
}

/// Default configuration that stays in CLOSE-WAIT until `Tcb::close`.
fn cfg_wait_in_close_wait() -> Conf {
    let mut c = cfg();
    c.app.close_on_peer_fin = false;
    c
}

fn cfg_with(f: impl FnOnce(&mut Conf)) -> Conf {
    let mut c = cfg();
    f(&mut c);
    c
}

/// A client that sends `REQUEST` right after the handshake and waits for
/// `RESPONSE`.
fn client_app() -> AppConfig {
    AppConfig {
        payload: Arc::from(REQUEST),
        send_after: 0,
        expect: RESPONSE.len() as u32,
        close: CloseMode::Wait,
        close_on_peer_fin: true,
        ..AppConfig::default()
    }
}

/// A server that answers `REQUEST` with `RESPONSE`, then closes with `close`.
fn server_app(close: CloseMode) -> AppConfig {
    AppConfig {
        payload: Arc::from(RESPONSE),
        send_after: REQUEST.len() as u32,
        expect: REQUEST.len() as u32,
        close,
        close_on_peer_fin: true,
        ..AppConfig::default()
    }
}

/// The segment an outcome asks to send (panics with the events otherwise).
#[track_caller]
fn reply(out: &Outcome) -> Reply {
    match out.reply {
        Some(r) => r,
        None => panic!("expected a segment; events {:?}", names(out.events)),
    }
}

fn names(e: Events) -> Vec<&'static str> {
    Events::ALL
        .iter()
        .filter(|(x, _)| e.contains(*x))
        .map(|(_, n)| *n)
        .collect()
}

#[track_caller]
fn assert_events(out: &Outcome, want: Events) {
    assert!(
        out.events.contains(want),
        "events {:?} lack {:?}",
        names(out.events),
        names(want)
    );
}

#[track_caller]
fn assert_no_events(out: &Outcome, unwanted: Events) {
    assert!(
        out.events.0 & unwanted.0 == 0,
        "events {:?} unexpectedly contain some of {:?}",
        names(out.events),
        names(unwanted)
    );
}

/// A segment arriving at the endpoint whose tuple is `to` (ports from the
/// peer's view), without options.
fn peer_seg(to: &FourTuple, flags: TcpFlags, seq: SeqNum, ack: SeqNum) -> TcpRepr {
    TcpRepr {
        src_port: to.remote_port,
        dst_port: to.local_port,
        seq,
        ack,
        flags,
        window: 502,
        options: TcpOptions::default(),
    }
}

/// The TSval a segment carries (panics without timestamps).
#[track_caller]
fn tsval(r: &Reply) -> u32 {
    r.repr.options.timestamps.expect("timestamps option").tsval
}

/// The checks every synchronized state shares (RFC 5961 §3–4 RST and SYN
/// handling, RFC 9293 acceptability), one test each in the state's module,
/// which provides `build()`.
macro_rules! shared_checks {
    ($who:expr, $state:expr) => {
        #[test]
        fn rst_at_rcv_nxt_resets() {
            check_rst_exact_resets(build(), $who, $state)
        }

        #[test]
        fn rst_in_window_challenged() {
            check_rst_in_window_challenged(build(), $who, $state)
        }

        #[test]
        fn rst_out_of_window_dropped() {
            check_rst_out_of_window_dropped(build(), $who, $state)
        }

        #[test]
        fn syn_challenged() {
            check_syn_challenged(build(), $who, $state)
        }

        #[test]
        fn out_of_window_data_acked() {
            check_out_of_window_data_acked(build(), $who, $state)
        }
    };
}

/// Client and server contexts, applications and tuples.
struct Pair {
    c: TcpContext,
    s: TcpContext,
    ca: Canned,
    sa: Canned,
    ct: FourTuple,
    st: FourTuple,
}

impl Pair {
    fn new(client: Conf, server: Conf) -> Pair {
        let st = server_tuple(CLIENT_PORT);
        Pair {
            c: TcpContext::new(client.tcp, Secrets::from_seed(1)),
            s: TcpContext::new(server.tcp, Secrets::from_seed(2)),
            ca: Canned::new(client.app),
            sa: Canned::new(server.app),
            ct: st.reversed(),
            st,
        }
    }

    /// Active open by the client: its record and SYN.
    fn connect(&mut self, now: u64) -> (Tcb, Reply) {
        let (tcb, out) = Tcb::connect(&mut self.c, &self.ct, now, AppState::default());
        assert_eq!(tcb.state(), State::SynSent);
        assert_events(&out, Events::SYN_TX);
        (tcb, reply(&out))
    }

    /// A client segment to the server's listener.
    fn listen(&mut self, r: &Reply, now: u64) -> (Option<Tcb>, Outcome) {
        let payload = self.ca.payload(r);
        on_listen(&mut self.s, &self.sa, &self.st, &r.repr, payload, None, now)
    }

    /// A client segment to the server's record.
    fn server_gets(&mut self, s: &mut Tcb, r: &Reply, now: u64) -> Outcome {
        let payload = self.ca.payload(r);
        s.on_segment(&mut self.s, &self.sa, &self.st, &r.repr, payload, now)
    }

    /// A server segment to the client's record.
    fn client_gets(&mut self, c: &mut Tcb, r: &Reply, now: u64) -> Outcome {
        let payload = self.sa.payload(r);
        c.on_segment(&mut self.c, &self.ca, &self.ct, &r.repr, payload, now)
    }

    /// The three-way handshake through the SYN queue, everything at `now`.
    /// Returns (client, server), both ESTABLISHED.
    fn handshake(&mut self, now: u64) -> (Tcb, Tcb) {
        let (mut c, syn) = self.connect(now);
        let (s, out) = self.listen(&syn, now);
        let mut s = s.expect("listener keeps a SYN-RECEIVED record");
        assert_eq!(s.state(), State::SynReceived);
        let synack = reply(&out);
        let out = self.client_gets(&mut c, &synack, now);
        assert_eq!(c.state(), State::Established);
        let ack = reply(&out);
        let out = self.server_gets(&mut s, &ack, now);
        assert_eq!(s.state(), State::Established);
        assert_events(&out, Events::ESTABLISHED);
        assert_eq!(self.s.syn_queue_len(), 0);
        (c, s)
    }
}

/// Which endpoint of a fixture a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Client,
    Server,
}

/// Both records of one connection and the current time.
struct Fx {
    p: Pair,
    c: Tcb,
    s: Tcb,
    now: u64,
}

impl Fx {
    fn tcb(&self, w: Who) -> &Tcb {
        match w {
            Who::Client => &self.c,
            Who::Server => &self.s,
        }
    }

    fn tuple(&self, w: Who) -> FourTuple {
        match w {
            Who::Client => self.p.ct,
            Who::Server => self.p.st,
        }
    }

    /// A hand-made segment to `w` from its peer, without options.
    fn seg(&self, w: Who, flags: TcpFlags, seq: SeqNum, ack: SeqNum) -> TcpRepr {
        peer_seg(&self.tuple(w), flags, seq, ack)
    }

    /// Delivers a hand-made segment to `w` at `self.now`.
    fn inject(&mut self, w: Who, seg: &TcpRepr, payload: &[u8]) -> Outcome {
        let now = self.now;
        match w {
            Who::Client => {
                self.c
                    .on_segment(&mut self.p.c, &self.p.ca, &self.p.ct, seg, payload, now)
            }
            Who::Server => {
                self.s
                    .on_segment(&mut self.p.s, &self.p.sa, &self.p.st, seg, payload, now)
            }
        }
    }

    /// A client segment to the server at `self.now`.
    fn c2s(&mut self, r: &Reply) -> Outcome {
        self.p.server_gets(&mut self.s, r, self.now)
    }

    /// A server segment to the client at `self.now`.
    fn s2c(&mut self, r: &Reply) -> Outcome {
        self.p.client_gets(&mut self.c, r, self.now)
    }

    fn close(&mut self, w: Who) -> Outcome {
        let now = self.now;
        match w {
            Who::Client => self.c.close(&mut self.p.c, &self.p.ct, now),
            Who::Server => self.s.close(&mut self.p.s, &self.p.st, now),
        }
    }

    fn timer(&mut self, w: Who, now: u64) -> Outcome {
        match w {
            Who::Client => self.c.on_timer(&mut self.p.c, &self.p.ca, &self.p.ct, now),
            Who::Server => self.s.on_timer(&mut self.p.s, &self.p.sa, &self.p.st, now),
        }
    }
}

// --- State builders -------------------------------------------------------

fn established_with(client: Conf, server: Conf) -> Fx {
    let mut p = Pair::new(client, server);
    let (c, s) = p.handshake(T0);
    Fx {
        p,
        c,
        s,
        now: T0 + MS,
    }
}

/// Both ESTABLISHED, no data; the server stays in CLOSE-WAIT on a FIN.
fn established() -> Fx {
    established_with(cfg(), cfg_wait_in_close_wait())
}

/// Server in SYN-RECEIVED (passive), client in SYN-SENT; the SYN-ACK is
/// returned undelivered.
fn syn_received_with(client: Conf, server: Conf) -> (Fx, Reply) {
    let mut p = Pair::new(client, server);
    let (c, syn) = p.connect(T0);
    let (s, out) = p.listen(&syn, T0);
    let s = s.expect("SYN-RECEIVED record");
    assert_eq!(s.state(), State::SynReceived);
    let fx = Fx {
        p,
        c,
        s,
        now: T0 + MS,
    };
    (fx, reply(&out))
}

fn syn_received() -> (Fx, Reply) {
    syn_received_with(cfg(), cfg())
}

/// The client closed first: client FIN-WAIT-1 with its FIN returned
/// undelivered, server ESTABLISHED (stays in CLOSE-WAIT on the FIN).
fn fin_wait_1_with(client: Conf, server: Conf) -> (Fx, Reply) {
    let mut fx = established_with(client, server);
    let out = fx.close(Who::Client);
    assert_eq!(fx.c.state(), State::FinWait1);
    (fx, reply(&out))
}

fn fin_wait_1() -> (Fx, Reply) {
    fin_wait_1_with(cfg(), cfg_wait_in_close_wait())
}

/// Client FIN-WAIT-2, server CLOSE-WAIT.
fn half_closed_with(client: Conf, server: Conf) -> Fx {
    let (mut fx, fin) = fin_wait_1_with(client, server);
    let out = fx.c2s(&fin);
    assert_eq!(fx.s.state(), State::CloseWait);
    let ack = reply(&out);
    fx.s2c(&ack);
    assert_eq!(fx.c.state(), State::FinWait2);
    fx
}

fn half_closed() -> Fx {
    half_closed_with(cfg(), cfg_wait_in_close_wait())
}

/// Server LAST-ACK (its FIN returned undelivered), client FIN-WAIT-2.
fn last_ack() -> (Fx, Reply) {
    let mut fx = half_closed();
    let out = fx.close(Who::Server);
    assert_eq!(fx.s.state(), State::LastAck);
    (fx, reply(&out))
}

/// Both closed at once and each received the other's FIN: both CLOSING.
/// Returns the fixture and the ACKs each side sent for the peer's FIN
/// (client's, server's), undelivered.
fn closing() -> (Fx, Reply, Reply) {
    let mut fx = established();
    let cfin = reply(&fx.close(Who::Client));
    let sfin = reply(&fx.close(Who::Server));
    assert_eq!(fx.c.state(), State::FinWait1);
    assert_eq!(fx.s.state(), State::FinWait1);
    let c_ack = reply(&fx.s2c(&sfin));
    let s_ack = reply(&fx.c2s(&cfin));
    assert_eq!(fx.c.state(), State::Closing);
    assert_eq!(fx.s.state(), State::Closing);
    (fx, c_ack, s_ack)
}

// --- Checks shared by the states that hold a record -----------------------

/// RST with SEQ = RCV.NXT ends the record (RFC 5961 §3.2).
fn check_rst_exact_resets(mut fx: Fx, w: Who, state: State) {
    assert_eq!(fx.tcb(w).state(), state);
    let rcv = fx.tcb(w).rcv_nxt();
    let seg = fx.seg(w, RST, rcv, SeqNum(0));
    let out = fx.inject(w, &seg, &[]);
    assert_eq!(out.end, Some(End::ResetByPeer));
    assert_events(&out, Events::RST_RX);
    assert!(out.reply.is_none(), "no answer to a RST");
    assert_eq!(fx.tcb(w).state(), State::Closed);
    assert_eq!(fx.tcb(w).deadline(), 0);
    // The ended record ignores whatever follows.
    let out = fx.inject(w, &seg, &[]);
    assert_eq!(out.events, Events::DROPPED);
    assert!(out.reply.is_none() && out.end.is_none());
}

/// RST inside the window but not at RCV.NXT: challenge ACK, record kept.
fn check_rst_in_window_challenged(mut fx: Fx, w: Who, state: State) {
    assert_eq!(fx.tcb(w).state(), state);
    let (rcv, snd) = (fx.tcb(w).rcv_nxt(), fx.tcb(w).snd_nxt());
    let seg = fx.seg(w, RST, rcv + 100, SeqNum(0));
    let out = fx.inject(w, &seg, &[]);
    assert_eq!(out.end, None);
    assert_events(&out, Events::CHALLENGE_ACK);
    assert_no_events(&out, Events::RST_RX);
    let r = reply(&out);
    assert_eq!(r.repr.flags, ACK);
    assert_eq!(r.repr.seq, snd);
    assert_eq!(r.repr.ack, rcv);
    assert_eq!(fx.tcb(w).state(), state);
    assert_eq!(fx.tcb(w).rcv_nxt(), rcv);
}

/// RST outside the window (either side): dropped silently.
fn check_rst_out_of_window_dropped(mut fx: Fx, w: Who, state: State) {
    assert_eq!(fx.tcb(w).state(), state);
    let rcv = fx.tcb(w).rcv_nxt();
    let wnd = fx.p.s.cfg.rcv_wnd;
    for seq in [rcv + wnd + 1000, rcv - 1, rcv - 70_000] {
        let seg = fx.seg(w, RST | ACK, seq, fx.tcb(w).snd_nxt());
        let out = fx.inject(w, &seg, &[]);
        assert_eq!(out.events, Events::DROPPED, "seq {seq:?}");
        assert!(out.reply.is_none() && out.end.is_none());
        assert_eq!(fx.tcb(w).state(), state);
    }
}

/// SYN in a synchronized state (RFC 5961 §4): challenge ACK, record kept.
fn check_syn_challenged(mut fx: Fx, w: Who, state: State) {
    assert_eq!(fx.tcb(w).state(), state);
    let (rcv, snd) = (fx.tcb(w).rcv_nxt(), fx.tcb(w).snd_nxt());
    for seq in [rcv + 5000, rcv, rcv + 500_000] {
        let seg = fx.seg(w, SYN, seq, SeqNum(0));
        let out = fx.inject(w, &seg, &[]);
        assert_eq!(out.end, None, "seq {seq:?}");
        assert_events(&out, Events::CHALLENGE_ACK);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.seq, r.repr.ack), (ACK, snd, rcv));
        assert_eq!(fx.tcb(w).state(), state);
    }
}

/// Data outside the receive window: answered with an ACK, not taken in.
fn check_out_of_window_data_acked(mut fx: Fx, w: Who, state: State) {
    assert_eq!(fx.tcb(w).state(), state);
    let (rcv, snd) = (fx.tcb(w).rcv_nxt(), fx.tcb(w).snd_nxt());
    let ack = fx.tcb(w).snd_una();
    for seq in [rcv + 70_000, rcv - 200] {
        let seg = fx.seg(w, ACK | PSH, seq, ack);
        let out = fx.inject(w, &seg, &[0x55; 100]);
        assert_eq!(out.end, None);
        assert_events(&out, Events::OUT_OF_WINDOW);
        assert_no_events(&out, Events::DATA_RX);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.seq, r.repr.ack), (ACK, snd, rcv));
        assert_eq!(fx.tcb(w).rcv_nxt(), rcv);
        assert_eq!(fx.tcb(w).state(), state);
    }
}

/// Fires the timer of `w` at each deadline until the record ends. Returns
/// the gaps between arming and firing, the retransmitted segments and the
/// final outcome.
fn run_timer(fx: &mut Fx, w: Who, armed_at: u64) -> (Vec<u64>, Vec<Reply>, Outcome) {
    let mut gaps = Vec::new();
    let mut sent = Vec::new();
    let mut prev = armed_at;
    loop {
        let d = fx.tcb(w).deadline();
        assert!(d != 0 && d >= prev, "deadline {d} armed at {prev}");
        gaps.push(d - prev);
        // One microsecond early: nothing happens.
        let early = fx.timer(w, d - 1);
        assert_eq!(early, Outcome::default());
        let out = fx.timer(w, d);
        if out.end.is_some() {
            assert!(out.reply.is_none());
            return (gaps, sent, out);
        }
        assert_events(&out, Events::RETRANSMIT);
        sent.push(reply(&out));
        prev = d;
        assert!(gaps.len() < 300, "timer never gives up");
    }
}

// ---------------------------------------------------------------------------
// CLOSED: no record (RFC 9293 §3.10.7.1), and the active open.
// ---------------------------------------------------------------------------

mod closed {
    use super::*;

    fn ctx(c: Conf) -> TcpContext {
        TcpContext::new(c.tcp, Secrets::from_seed(9))
    }

    #[test]
    fn syn_gets_rst_ack_acknowledging_it() {
        let mut ctx = ctx(cfg());
        let st = server_tuple(CLIENT_PORT);
        let syn = peer_seg(&st, SYN, SeqNum(1000), SeqNum(0));
        let out = on_closed(&mut ctx, &st, &syn, 0, T0);
        let r = reply(&out);
        assert_eq!(r.repr.flags, RST | ACK);
        assert_eq!(r.repr.seq, SeqNum(0));
        assert_eq!(r.repr.ack, SeqNum(1001));
        assert_eq!(
            (r.repr.src_port, r.repr.dst_port),
            (SERVER_PORT, CLIENT_PORT)
        );
        assert_eq!(out.events, Events::RST_TX);
        assert_eq!(out.end, None);
    }

    #[test]
    fn data_and_fin_without_ack_counted_in_rst_ack() {
        let mut ctx = ctx(cfg());
        let st = server_tuple(CLIENT_PORT);
        let seg = peer_seg(&st, PSH | FIN, SeqNum(u32::MAX - 4), SeqNum(0));
        let out = on_closed(&mut ctx, &st, &seg, 10, T0);
        let r = reply(&out);
        assert_eq!(r.repr.flags, RST | ACK);
        // SEG.SEQ + 10 data + FIN, wrapping.
        assert_eq!(r.repr.ack, SeqNum(6));
    }

    #[test]
    fn ack_gets_rst_at_seg_ack() {
        let mut ctx = ctx(cfg());
        let st = server_tuple(CLIENT_PORT);
        let seg = peer_seg(&st, ACK, SeqNum(1000), SeqNum(777_777));
        let out = on_closed(&mut ctx, &st, &seg, 0, T0);
        let r = reply(&out);
        assert_eq!(r.repr.flags, RST);
        assert_eq!(r.repr.seq, SeqNum(777_777));
        assert_eq!(out.events, Events::RST_TX);
    }

    #[test]
    fn rst_is_dropped() {
        let mut ctx = ctx(cfg());
        let st = server_tuple(CLIENT_PORT);
        for flags in [RST, RST | ACK] {
            let seg = peer_seg(&st, flags, SeqNum(1), SeqNum(2));
            let out = on_closed(&mut ctx, &st, &seg, 0, T0);
            assert_eq!(out.events, Events::DROPPED);
            assert!(out.reply.is_none());
        }
    }

    #[test]
    fn resets_are_rate_limited_per_second() {
        let mut ctx = ctx(cfg_with(|c| c.rst_per_sec = 2));
        let st = server_tuple(CLIENT_PORT);
        let seg = peer_seg(&st, ACK, SeqNum(1), SeqNum(2));
        for _ in 0..2 {
            let out = on_closed(&mut ctx, &st, &seg, 0, T0);
            assert_eq!(out.events, Events::RST_TX);
        }
        let out = on_closed(&mut ctx, &st, &seg, 0, T0 + 1);
        assert_eq!(out.events, Events::RST_LIMITED);
        assert!(out.reply.is_none());
        let out = on_closed(&mut ctx, &st, &seg, 0, T0 + SEC);
        assert_eq!(out.events, Events::RST_TX);
    }

    #[test]
    fn connect_moves_to_syn_sent_with_syn() {
        let mut ctx = ctx(cfg());
        let ct = server_tuple(CLIENT_PORT).reversed();
        let (tcb, out) = Tcb::connect(&mut ctx, &ct, T0, AppState::default());
        assert_eq!(tcb.state(), State::SynSent);
        assert_eq!(out.events, Events::SYN_TX);
        assert_eq!(out.end, None);
        let r = reply(&out);
        assert_eq!(r.repr.flags, SYN);
        assert_eq!(r.repr.seq, tcb.iss());
        assert_eq!(tcb.iss(), ctx.isn.isn(&ct, T0));
        assert_eq!(tcb.snd_una(), tcb.iss());
        assert_eq!(tcb.snd_nxt(), tcb.iss() + 1);
        assert_eq!(
            (r.repr.src_port, r.repr.dst_port),
            (CLIENT_PORT, SERVER_PORT)
        );
        let o = r.repr.options;
        assert_eq!(o.mss, Some(1460));
        assert_eq!(o.wscale, Some(7));
        assert!(o.sack_permitted);
        assert_eq!(
            o.timestamps,
            Some(Timestamps {
                tsval: ctx.ts_clock(T0).wrapping_add(tcb.ts_offset()),
                tsecr: 0
            })
        );
        // SYN window is never scaled.
        assert_eq!(r.repr.window, 65535);
        assert_eq!(r.data_len, 0);
        assert_eq!(tcb.deadline(), T0 + SEC);
    }

    #[test]
    fn connect_without_options() {
        let mut ctx = ctx(cfg_with(|c| {
            c.wscale = None;
            c.sack = false;
            c.timestamps = false;
            c.mss = 1200;
        }));
        let ct = server_tuple(CLIENT_PORT).reversed();
        let (_, out) = Tcb::connect(&mut ctx, &ct, T0, AppState::default());
        let o = reply(&out).repr.options;
        assert_eq!(
            o,
            TcpOptions {
                mss: Some(1200),
                ..TcpOptions::default()
            }
        );
    }

    #[test]
    fn ended_record_drops_everything() {
        let mut fx = established();
        let out = fx.c.abort(&mut fx.p.c, &fx.p.ct, fx.now);
        assert_eq!(out.end, Some(End::ResetSent));
        assert_eq!(fx.c.state(), State::Closed);
        let rcv = fx.c.rcv_nxt();
        for flags in [SYN, ACK, RST, FIN | ACK] {
            let seg = fx.seg(Who::Client, flags, rcv, fx.c.snd_nxt());
            let out = fx.inject(Who::Client, &seg, &[]);
            assert_eq!(out.events, Events::DROPPED);
            assert!(out.reply.is_none() && out.end.is_none());
        }
        assert_eq!(
            fx.timer(Who::Client, fx.now + 1000 * SEC),
            Outcome::default()
        );
    }
}

// ---------------------------------------------------------------------------
// LISTEN: passive open, SYN queue and SYN cookies (RFC 9293 §3.10.7.2,
// RFC 4987).
// ---------------------------------------------------------------------------

mod listen {
    use super::*;

    /// A SYN from `port` with Linux's options (MSS 1460, SACK, TS, WS 7).
    fn syn_from(port: u16, isn: u32, ts: Option<u32>) -> (FourTuple, TcpRepr) {
        let st = server_tuple(port);
        let mut seg = peer_seg(&st, SYN, SeqNum(isn), SeqNum(0));
        seg.window = 64240;
        seg.options = TcpOptions {
            mss: Some(1460),
            wscale: Some(7),
            sack_permitted: true,
            timestamps: ts.map(|tsval| Timestamps { tsval, tsecr: 0 }),
        };
        (st, seg)
    }

    #[test]
    fn syn_creates_syn_received_record_and_syn_ack() {
        for policy in [CookiePolicy::OnOverload, CookiePolicy::Never] {
            let mut p = Pair::new(cfg(), cfg_with(|c| c.cookies = policy));
            let (_, syn) = p.connect(T0);
            let (s, out) = p.listen(&syn, T0 + 10);
            let s = s.expect("record");
            assert_eq!(s.state(), State::SynReceived, "{policy:?}");
            assert_eq!(out.events, Events::SYN_RX | Events::SYNACK_TX);
            assert_eq!(out.end, None);
            assert_eq!(p.s.syn_queue_len(), 1);
            let r = reply(&out);
            assert_eq!(r.repr.flags, SYN | ACK);
            assert_eq!(r.repr.seq, s.iss());
            assert_eq!(s.iss(), p.s.isn.isn(&p.st, T0 + 10));
            assert_eq!(r.repr.ack, syn.repr.seq + 1);
            assert_eq!(s.rcv_nxt(), syn.repr.seq + 1);
            assert_eq!(s.snd_nxt(), s.iss() + 1);
            assert_eq!(
                (r.repr.src_port, r.repr.dst_port),
                (SERVER_PORT, CLIENT_PORT)
            );
            let o = r.repr.options;
            assert_eq!(o.mss, Some(1460));
            assert_eq!(o.wscale, Some(7));
            assert!(o.sack_permitted);
            assert_eq!(
                o.timestamps,
                Some(Timestamps {
                    tsval: p.s.ts_clock(T0 + 10).wrapping_add(s.ts_offset()),
                    tsecr: tsval(&syn),
                })
            );
            assert!(s.timestamps_ok() && s.sack_ok());
            assert_eq!(s.snd_wscale(), Some(7));
            assert_eq!(s.deadline(), T0 + 10 + SEC);
        }
    }

    #[test]
    fn options_not_offered_are_not_answered() {
        let mut p = Pair::new(cfg(), cfg());
        let (st, mut syn) = syn_from(CLIENT_PORT, 5, None);
        syn.options = TcpOptions::default();
        let (s, out) = on_listen(&mut p.s, &p.sa, &st, &syn, &[], None, T0);
        let s = s.unwrap();
        let o = reply(&out).repr.options;
        assert_eq!(
            o,
            TcpOptions {
                mss: Some(1460),
                ..TcpOptions::default()
            }
        );
        assert_eq!(s.peer_mss(), synwave::tcp::DEFAULT_MSS);
        assert!(!s.timestamps_ok() && !s.sack_ok());
        assert_eq!(s.snd_wscale(), None);
    }

    #[test]
    fn syn_queue_full_with_never_drops_syn() {
        let mut ctx = TcpContext::new(
            cfg_with(|c| {
                c.cookies = CookiePolicy::Never;
                c.syn_queue_limit = 1;
            })
            .tcp,
            Secrets::from_seed(3),
        );
        let app = Canned::default();
        let (t1, s1) = syn_from(1001, 100, Some(1));
        let (first, _) = on_listen(&mut ctx, &app, &t1, &s1, &[], None, T0);
        assert!(first.is_some());
        assert_eq!(ctx.syn_queue_len(), 1);
        let (t2, s2) = syn_from(1002, 200, Some(1));
        let (second, out) = on_listen(&mut ctx, &app, &t2, &s2, &[], None, T0);
        assert!(second.is_none());
        assert_eq!(out.events, Events::SYN_RX | Events::SYN_QUEUE_FULL);
        assert!(out.reply.is_none());
        assert_eq!(ctx.syn_queue_len(), 1);

        // Completing the first handshake frees the slot.
        let mut first = first.unwrap();
        let ack = peer_seg(&t1, ACK, SeqNum(101), first.iss() + 1);
        let out = first.on_segment(&mut ctx, &app, &t1, &ack, &[], T0 + 1);
        assert_eq!(first.state(), State::Established);
        assert_events(&out, Events::ESTABLISHED);
        assert_eq!(ctx.syn_queue_len(), 0);
        let (again, out) = on_listen(&mut ctx, &app, &t2, &s2, &[], None, T0 + 2);
        assert!(again.is_some());
        assert_eq!(out.events, Events::SYN_RX | Events::SYNACK_TX);
    }

    #[test]
    fn syn_queue_full_with_on_overload_sends_cookie() {
        let mut p = Pair::new(
            cfg(),
            cfg_with(|c| {
                c.cookies = CookiePolicy::OnOverload;
                c.syn_queue_limit = 1;
            }),
        );
        // Fill the queue from another port.
        let (t1, s1) = syn_from(1001, 100, Some(1));
        let (first, _) = on_listen(&mut p.s, &p.sa, &t1, &s1, &[], None, T0);
        assert!(first.is_some());
        assert_eq!(p.s.syn_queue_len(), 1);

        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        assert!(s.is_none(), "a cookie keeps no state");
        assert_eq!(out.events, Events::SYN_RX | Events::COOKIE_SENT);
        assert_eq!(p.s.syn_queue_len(), 1);
        let synack = reply(&out);
        assert_eq!(synack.repr.flags, SYN | ACK);
        assert_eq!(synack.repr.ack, syn.repr.seq + 1);

        let out = p.client_gets(&mut c, &synack, T0 + MS);
        assert_eq!(c.state(), State::Established);
        let ack = reply(&out);
        let (s, out) = p.listen(&ack, T0 + 2 * MS);
        let s = s.expect("record from the cookie");
        assert_eq!(s.state(), State::Established);
        assert_events(&out, Events::COOKIE_OK | Events::ESTABLISHED);
        assert_eq!(s.iss(), synack.repr.seq);
        assert_eq!(s.rcv_nxt(), c.snd_nxt());
        assert_eq!(s.snd_nxt(), c.rcv_nxt());
        assert_eq!(p.s.syn_queue_len(), 1, "cookie connections are not queued");
    }

    #[test]
    fn always_cookie_keeps_wscale_sack_timestamps_in_tsval() {
        let mut p = Pair::new(cfg(), cfg_with(|c| c.cookies = CookiePolicy::Always));
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        assert!(s.is_none());
        assert_eq!(out.events, Events::SYN_RX | Events::COOKIE_SENT);
        assert_eq!(p.s.syn_queue_len(), 0);
        let synack = reply(&out);
        let o = synack.repr.options;
        assert_eq!(o.mss, Some(1460));
        assert_eq!(o.wscale, Some(7));
        assert!(o.sack_permitted);
        let ts = o.timestamps.expect("timestamps");
        assert_eq!(ts.tsecr, tsval(&syn));
        // Linux layout: low 6 bits = wscale 7 | SACK (0x10); never ahead
        // of the clock.
        assert_eq!(ts.tsval & 0x3f, 0x17);
        // The clock with the cookie's offset, as the connection will use.
        let issued =
            p.s.cookies
                .issue(&p.st, syn.repr.seq, 1460, p.s.cookie_clock(T0));
        assert_eq!(issued.cookie, synack.repr.seq);
        let clock = p.s.ts_clock(T0).wrapping_add(issued.ts_offset);
        assert!(clock.wrapping_sub(ts.tsval) < 64);

        let out = p.client_gets(&mut c, &synack, T0 + MS);
        let ack = reply(&out);
        assert_eq!(ack.repr.options.timestamps.unwrap().tsecr, ts.tsval);
        let (s, out) = p.listen(&ack, T0 + 2 * MS);
        let s = s.expect("record from the cookie");
        assert_eq!(s.state(), State::Established);
        assert_events(&out, Events::COOKIE_OK | Events::ESTABLISHED);
        assert!(out.reply.is_none(), "a bare ACK needs no answer");
        assert_eq!(out.end, None);
        assert_eq!(s.snd_wscale(), Some(7));
        assert!(s.sack_ok());
        assert!(s.timestamps_ok());
        assert_eq!(s.ts_offset(), issued.ts_offset, "the SYN-ACK's offset");
        assert_eq!(s.peer_mss(), 1460);
        assert_eq!(s.iss(), synack.repr.seq);
        assert_eq!(s.snd_una(), s.iss() + 1);
        assert_eq!(s.rcv_nxt(), syn.repr.seq + 1);
        assert_eq!(p.s.syn_queue_len(), 0);

        // The offset is the cookie's, not the tuple's, and a TIME-WAIT
        // record of the connection keeps it: its ACKs go on with the
        // connection's TSvals (the peer's PAWS would drop older ones).
        assert_ne!(issued.ts_offset, p.s.isn.ts_offset(&p.st));
        let later = T0 + 3 * SEC;
        let mut tw = s.to_time_wait(&p.s, T0 + 2 * MS);
        let mut fin = peer_seg(&p.st, FIN | ACK, s.rcv_nxt() - 1, s.snd_nxt());
        fin.options.timestamps = Some(Timestamps {
            tsval: tsval(&ack),
            tsecr: 0,
        });
        let (v, _) = tw.on_segment(&p.s, &p.st, &fin, 0, later);
        let TwVerdict::Ack(r) = v else {
            panic!("expected Ack, got {v:?}");
        };
        assert_eq!(
            tsval(&r),
            p.s.ts_clock(later).wrapping_add(issued.ts_offset)
        );
    }

    #[test]
    fn always_cookie_without_timestamps_keeps_only_mss() {
        let client = cfg_with(|c| {
            c.timestamps = false;
            c.mss = 1400; // rounded down to 1300 by the cookie table
        });
        let mut p = Pair::new(client, cfg_with(|c| c.cookies = CookiePolicy::Always));
        let (mut c, syn) = p.connect(T0);
        assert_eq!(syn.repr.options.wscale, Some(7));
        assert!(syn.repr.options.sack_permitted);
        let (s, out) = p.listen(&syn, T0);
        assert!(s.is_none());
        let synack = reply(&out);
        assert_eq!(
            synack.repr.options,
            TcpOptions {
                mss: Some(1460),
                ..TcpOptions::default()
            },
            "without timestamps no wscale/SACK can be kept, so none is offered"
        );
        let out = p.client_gets(&mut c, &synack, T0 + MS);
        assert_eq!(c.state(), State::Established);
        assert_eq!(c.snd_wscale(), None);
        let ack = reply(&out);
        let (s, _) = p.listen(&ack, T0 + 2 * MS);
        let s = s.expect("record from the cookie");
        assert_eq!(s.state(), State::Established);
        assert_eq!(s.peer_mss(), 1300);
        assert_eq!(s.snd_wscale(), None);
        assert!(!s.sack_ok());
        assert!(!s.timestamps_ok());
    }

    #[test]
    fn cookie_ack_with_request_gets_response() {
        let mut ccfg = cfg();
        ccfg.app = client_app();
        let mut scfg = cfg_with(|c| c.cookies = CookiePolicy::Always);
        scfg.app = server_app(CloseMode::Wait);
        let mut p = Pair::new(ccfg, scfg);
        let (mut c, syn) = p.connect(T0);
        let (_, out) = p.listen(&syn, T0);
        let out = p.client_gets(&mut c, &reply(&out), T0 + MS);
        let ack = reply(&out);
        assert_eq!(p.ca.payload(&ack), REQUEST);
        let (s, out) = p.listen(&ack, T0 + 2 * MS);
        let s = s.expect("record from the cookie");
        assert_events(
            &out,
            Events::COOKIE_OK | Events::ESTABLISHED | Events::DATA_RX | Events::DATA_TX,
        );
        assert_eq!(s.bytes_received(), REQUEST.len() as u32);
        let resp = reply(&out);
        assert_eq!(p.sa.payload(&resp), RESPONSE);
        assert_eq!(resp.repr.ack, c.snd_nxt());
    }

    #[test]
    fn bad_cookie_under_always_dropped_silently() {
        let mut p = Pair::new(cfg(), cfg_with(|c| c.cookies = CookiePolicy::Always));
        let (mut c, syn) = p.connect(T0);
        let (_, out) = p.listen(&syn, T0);
        let synack = reply(&out);
        let out = p.client_gets(&mut c, &synack, T0 + MS);
        let good = reply(&out);
        // Any change below 2^22 leaves non-zero check bits; 2^24 and 2^31
        // move the period field out of range. (A change of exactly 2^22 only
        // alters the unauthenticated 2-bit MSS index, as in Linux.)
        for delta in [1u32, 2, 1 << 10, (1 << 22) - 1, 1 << 24, 1 << 31] {
            let mut bad = good;
            bad.repr.ack = good.repr.ack + delta;
            let (s, out) = p.listen(&bad, T0 + 2 * MS);
            assert!(s.is_none());
            assert_eq!(out.events, Events::COOKIE_BAD | Events::DROPPED);
            assert!(out.reply.is_none(), "cookie floods get no answer");
        }
        // Wrong client sequence number too.
        let mut bad = good;
        bad.repr.seq = good.repr.seq + 1;
        let (s, out) = p.listen(&bad, T0 + 2 * MS);
        assert!(s.is_none());
        assert_events(&out, Events::COOKIE_BAD);
        // The genuine one still passes.
        let (s, _) = p.listen(&good, T0 + 2 * MS);
        assert!(s.is_some());
    }

    #[test]
    fn bad_cookie_under_on_overload_gets_rst() {
        let mut p = Pair::new(cfg(), cfg());
        let seg = peer_seg(&p.st, ACK, SeqNum(5000), SeqNum(123_456));
        let (s, out) = on_listen(&mut p.s, &p.sa, &p.st, &seg, &[], None, T0);
        assert!(s.is_none());
        assert_eq!(out.events, Events::COOKIE_BAD | Events::RST_TX);
        let r = reply(&out);
        assert_eq!(r.repr.flags, RST);
        assert_eq!(r.repr.seq, SeqNum(123_456));
    }

    #[test]
    fn cookie_expires_after_two_periods() {
        let mut p = Pair::new(cfg(), cfg_with(|c| c.cookies = CookiePolicy::Always));
        let (mut c, syn) = p.connect(T0);
        let (_, out) = p.listen(&syn, T0);
        let out = p.client_gets(&mut c, &reply(&out), T0 + MS);
        let ack = reply(&out);
        // T0 is in period 1; period 2 still accepts, period 3 refuses.
        let period = synwave::tcp::cookie::PERIOD_US;
        let (s, _) = p.listen(&ack, 2 * period + 5);
        assert!(s.is_some());
        let (s, out) = p.listen(&ack, 3 * period + 5);
        assert!(s.is_none());
        assert_eq!(out.events, Events::COOKIE_BAD | Events::DROPPED);
    }

    #[test]
    fn ack_under_never_gets_rst_without_cookie_check() {
        let mut p = Pair::new(cfg(), cfg_with(|c| c.cookies = CookiePolicy::Never));
        let seg = peer_seg(&p.st, ACK, SeqNum(5000), SeqNum(99));
        let (s, out) = on_listen(&mut p.s, &p.sa, &p.st, &seg, &[], None, T0);
        assert!(s.is_none());
        assert_eq!(out.events, Events::RST_TX);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.seq), (RST, SeqNum(99)));
    }

    #[test]
    fn syn_ack_to_listener_gets_rst() {
        let mut p = Pair::new(cfg(), cfg());
        let seg = peer_seg(&p.st, SYN | ACK, SeqNum(5000), SeqNum(99));
        let (s, out) = on_listen(&mut p.s, &p.sa, &p.st, &seg, &[], None, T0);
        assert!(s.is_none());
        assert_events(&out, Events::RST_TX);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.seq), (RST, SeqNum(99)));
        assert_eq!(p.s.syn_queue_len(), 0);
    }

    #[test]
    fn listener_resets_rate_limited() {
        let mut p = Pair::new(
            cfg(),
            cfg_with(|c| {
                c.cookies = CookiePolicy::Never;
                c.rst_per_sec = 1;
            }),
        );
        let seg = peer_seg(&p.st, ACK, SeqNum(5000), SeqNum(99));
        let (_, out) = on_listen(&mut p.s, &p.sa, &p.st, &seg, &[], None, T0);
        assert_eq!(out.events, Events::RST_TX);
        let (_, out) = on_listen(&mut p.s, &p.sa, &p.st, &seg, &[], None, T0 + 10);
        assert_eq!(out.events, Events::RST_LIMITED);
        assert!(out.reply.is_none());
    }

    #[test]
    fn rst_and_other_segments_dropped() {
        let mut p = Pair::new(cfg(), cfg());
        for flags in [RST, RST | ACK, RST | SYN, FIN, PSH, SYN | FIN, TcpFlags(0)] {
            let seg = peer_seg(&p.st, flags, SeqNum(5000), SeqNum(99));
            let (s, out) = on_listen(&mut p.s, &p.sa, &p.st, &seg, &[], None, T0);
            assert!(s.is_none(), "{flags:?}");
            assert_eq!(out.events, Events::DROPPED, "{flags:?}");
            assert!(out.reply.is_none(), "{flags:?}");
        }
        assert_eq!(p.s.syn_queue_len(), 0);
    }
}

// ---------------------------------------------------------------------------
// SYN-SENT (RFC 9293 §3.10.7.3).
// ---------------------------------------------------------------------------

mod syn_sent {
    use super::*;

    /// Client in SYN-SENT and the server's SYN-ACK, undelivered.
    fn setup() -> (Pair, Tcb, Reply, Reply) {
        let mut p = Pair::new(cfg(), cfg());
        let (c, syn) = p.connect(T0);
        let (_, out) = p.listen(&syn, T0);
        let synack = reply(&out);
        (p, c, syn, synack)
    }

    #[test]
    fn syn_ack_establishes_and_is_acked() {
        let (mut p, mut c, syn, synack) = setup();
        let out = p.client_gets(&mut c, &synack, T0 + 500);
        assert_eq!(c.state(), State::Established);
        assert_eq!(out.events, Events::ESTABLISHED);
        assert_eq!(out.end, None);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK);
        assert_eq!(ack.repr.seq, syn.repr.seq + 1);
        assert_eq!(ack.repr.ack, synack.repr.seq + 1);
        assert_eq!(ack.data_len, 0);
        assert_eq!(
            ack.repr.options.timestamps,
            Some(Timestamps {
                tsval: p.c.ts_clock(T0 + 500).wrapping_add(c.ts_offset()),
                tsecr: tsval(&synack),
            })
        );
        // Window scaled by our shift (65535 >> 7).
        assert_eq!(ack.repr.window, 511);
        assert_eq!(c.snd_una(), c.snd_nxt());
        assert_eq!(c.deadline(), 0);
        assert_eq!(c.retries(), 0);
        assert_eq!(c.snd_wscale(), Some(7));
    }

    #[test]
    fn unacceptable_ack_gets_rst_at_seg_ack() {
        let (mut p, mut c, syn, synack) = setup();
        for bad in [syn.repr.seq, syn.repr.seq + 2, SeqNum(12345)] {
            let mut seg = synack;
            seg.repr.ack = bad;
            let out = p.client_gets(&mut c, &seg, T0 + 500);
            assert_eq!(out.events, Events::RST_TX);
            assert_eq!(out.end, None);
            let r = reply(&out);
            assert_eq!(r.repr.flags, RST);
            assert_eq!(r.repr.seq, bad);
            assert_eq!(c.state(), State::SynSent);
        }
        // The genuine SYN-ACK still completes the handshake.
        p.client_gets(&mut c, &synack, T0 + 600);
        assert_eq!(c.state(), State::Established);
    }

    #[test]
    fn rst_with_acceptable_ack_resets() {
        let (mut p, mut c, syn, _) = setup();
        let seg = peer_seg(&p.ct, RST | ACK, SeqNum(0), syn.repr.seq + 1);
        let out = c.on_segment(&mut p.c, &p.ca, &p.ct, &seg, &[], T0 + 500);
        assert_eq!(out.end, Some(End::ResetByPeer));
        assert_eq!(out.events, Events::RST_RX);
        assert!(out.reply.is_none());
        assert_eq!(c.state(), State::Closed);
        assert_eq!(c.deadline(), 0);
    }

    #[test]
    fn rst_without_ack_dropped() {
        let (mut p, mut c, _, _) = setup();
        let seg = peer_seg(&p.ct, RST, SeqNum(0), SeqNum(0));
        let out = c.on_segment(&mut p.c, &p.ca, &p.ct, &seg, &[], T0 + 500);
        assert_eq!(out.events, Events::DROPPED);
        assert!(out.reply.is_none() && out.end.is_none());
        assert_eq!(c.state(), State::SynSent);
    }

    #[test]
    fn rst_with_unacceptable_ack_dropped() {
        let (mut p, mut c, syn, _) = setup();
        let seg = peer_seg(&p.ct, RST | ACK, SeqNum(0), syn.repr.seq + 7);
        let out = c.on_segment(&mut p.c, &p.ca, &p.ct, &seg, &[], T0 + 500);
        assert_eq!(out.events, Events::DROPPED);
        assert!(out.reply.is_none() && out.end.is_none());
        assert_eq!(c.state(), State::SynSent);
    }

    #[test]
    fn segment_without_syn_or_rst_dropped() {
        let (mut p, mut c, syn, _) = setup();
        for flags in [ACK, ACK | FIN, TcpFlags(0)] {
            let seg = peer_seg(&p.ct, flags, SeqNum(77), syn.repr.seq + 1);
            let out = c.on_segment(&mut p.c, &p.ca, &p.ct, &seg, &[], T0 + 500);
            assert_eq!(out.events, Events::DROPPED, "{flags:?}");
            assert!(out.reply.is_none());
            assert_eq!(c.state(), State::SynSent);
        }
    }

    #[test]
    fn simultaneous_open() {
        let mut p = Pair::new(cfg(), cfg());
        let (mut a, syn_a) = p.connect(T0);
        let (mut b, out) = Tcb::connect(&mut p.s, &p.st, T0 + 10, AppState::default());
        let syn_b = reply(&out);
        assert_eq!(b.state(), State::SynSent);

        // The SYNs cross: both go to SYN-RECEIVED and send SYN-ACK.
        let out = p.client_gets(&mut a, &syn_b, T0 + 100);
        assert_eq!(a.state(), State::SynReceived);
        assert_eq!(out.events, Events::SYNACK_TX);
        let synack_a = reply(&out);
        assert_eq!(synack_a.repr.flags, SYN | ACK);
        assert_eq!(synack_a.repr.seq, a.iss());
        assert_eq!(synack_a.repr.ack, syn_b.repr.seq + 1);
        assert_eq!(a.deadline(), T0 + 100 + SEC);

        let out = p.server_gets(&mut b, &syn_a, T0 + 110);
        assert_eq!(b.state(), State::SynReceived);
        let synack_b = reply(&out);
        assert_eq!(synack_b.repr.ack, syn_a.repr.seq + 1);

        // The SYN-ACKs cross: both ESTABLISHED.
        let out = p.client_gets(&mut a, &synack_b, T0 + 200);
        assert_eq!(a.state(), State::Established);
        assert_events(&out, Events::ESTABLISHED);
        let out = p.server_gets(&mut b, &synack_a, T0 + 210);
        assert_eq!(b.state(), State::Established);
        assert_events(&out, Events::ESTABLISHED);

        for t in [&a, &b] {
            assert_eq!(t.snd_una(), t.snd_nxt());
            assert_eq!(t.snd_nxt(), t.iss() + 1);
            assert_eq!(t.deadline(), 0);
        }
        assert_eq!(a.rcv_nxt(), b.snd_nxt());
        assert_eq!(b.rcv_nxt(), a.snd_nxt());
        // Neither side is a passive open: the SYN queue never counted them.
        assert_eq!(p.c.syn_queue_len(), 0);
        assert_eq!(p.s.syn_queue_len(), 0);
    }

    #[test]
    fn close_forgets_without_segment() {
        let (mut p, mut c, _, _) = setup();
        let out = c.close(&mut p.c, &p.ct, T0 + 1);
        assert_eq!(out.end, Some(End::Closed));
        assert!(out.reply.is_none());
        assert_eq!(c.state(), State::Closed);
        assert_eq!(c.deadline(), 0);
    }

    #[test]
    fn abort_sends_nothing() {
        let (mut p, mut c, _, _) = setup();
        let out = c.abort(&mut p.c, &p.ct, T0 + 1);
        assert_eq!(out.end, Some(End::ResetSent));
        assert!(
            out.reply.is_none(),
            "no RST before the peer is synchronized"
        );
        assert_eq!(out.events, Events::NONE);
        assert_eq!(c.state(), State::Closed);
    }
}

// ---------------------------------------------------------------------------
// SYN-RECEIVED.
// ---------------------------------------------------------------------------

mod syn_received {
    use super::*;

    fn build() -> Fx {
        syn_received().0
    }

    #[test]
    fn ack_establishes_and_frees_queue_slot() {
        let (mut fx, synack) = syn_received();
        assert_eq!(fx.p.s.syn_queue_len(), 1);
        let ack = reply(&fx.s2c(&synack));
        let out = fx.c2s(&ack);
        assert_eq!(fx.s.state(), State::Established);
        assert_eq!(out.events, Events::ESTABLISHED);
        assert!(out.reply.is_none());
        assert_eq!(fx.s.snd_una(), fx.s.snd_nxt());
        assert_eq!(fx.s.deadline(), 0);
        assert_eq!(fx.p.s.syn_queue_len(), 0);
    }

    #[test]
    fn different_syn_returns_to_listen() {
        // RFC 9293 §3.10.7.4, fourth: a SYN on a passive SYN-RECEIVED
        // connection returns it to LISTEN (the record goes).
        let (mut fx, _) = syn_received();
        let irs = fx.s.rcv_nxt() - 1;
        let seg = fx.seg(Who::Server, SYN, irs + 1000, SeqNum(0));
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(out.end, Some(End::ReturnedToListen));
        assert!(out.reply.is_none());
        assert_eq!(fx.s.state(), State::Closed);
        assert_eq!(fx.p.s.syn_queue_len(), 0);
    }

    #[test]
    fn out_of_window_syn_acked_and_kept() {
        // SYN-RECEIVED checks the sequence first: a blind SYN far from the
        // window cannot remove the half-open connection.
        let (mut fx, _) = syn_received();
        let irs = fx.s.rcv_nxt() - 1;
        let seg = fx.seg(Who::Server, SYN, irs + 10_000_000, SeqNum(0));
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(out.end, None);
        assert_eq!(out.events, Events::OUT_OF_WINDOW);
        assert_eq!(fx.s.state(), State::SynReceived);
        assert_eq!(fx.p.s.syn_queue_len(), 1);
    }

    #[test]
    fn unacceptable_ack_gets_rst_at_seg_ack() {
        let (mut fx, _) = syn_received();
        let iss = fx.s.iss();
        let rcv = fx.s.rcv_nxt();
        for bad in [iss, iss + 2, iss + 100_000] {
            let seg = fx.seg(Who::Server, ACK, rcv, bad);
            let out = fx.inject(Who::Server, &seg, &[]);
            assert_eq!(out.events, Events::RST_TX);
            let r = reply(&out);
            assert_eq!((r.repr.flags, r.repr.seq), (RST, bad));
            assert_eq!(fx.s.state(), State::SynReceived);
        }
        assert_eq!(fx.p.s.syn_queue_len(), 1);
    }

    #[test]
    fn retransmitted_syn_resends_syn_ack() {
        let (mut fx, synack) = syn_received();
        // The client's SYN again, as its retransmission timer sends it.
        let out = fx.timer(Who::Client, T0 + SEC);
        let syn = reply(&out);
        assert_eq!(syn.repr.seq, fx.s.rcv_nxt() - 1);
        fx.now = T0 + SEC;
        let out = fx.c2s(&syn);
        assert_eq!(out.events, Events::SYNACK_TX | Events::RETRANSMIT);
        let again = reply(&out);
        assert_eq!(again.repr.flags, SYN | ACK);
        assert_eq!(again.repr.seq, synack.repr.seq);
        assert_eq!(again.repr.ack, synack.repr.ack);
        assert_eq!(again.repr.options.wscale, synack.repr.options.wscale);
        assert_eq!(fx.s.state(), State::SynReceived);
        assert_eq!(fx.p.s.syn_queue_len(), 1);
    }

    #[test]
    fn segment_without_ack_dropped() {
        let (mut fx, _) = syn_received();
        let rcv = fx.s.rcv_nxt();
        let seg = fx.seg(Who::Server, PSH, rcv, SeqNum(0));
        let out = fx.inject(Who::Server, &seg, b"early");
        assert_eq!(out.events, Events::DROPPED);
        assert!(out.reply.is_none());
        assert_eq!(fx.s.state(), State::SynReceived);
        assert_eq!(fx.s.rcv_nxt(), rcv);
    }

    #[test]
    fn close_sends_rst_and_frees_queue_slot() {
        let (mut fx, _) = syn_received();
        let out = fx.close(Who::Server);
        assert_eq!(out.end, Some(End::ResetSent));
        assert_eq!(out.events, Events::RST_TX);
        let r = reply(&out);
        assert_eq!(r.repr.flags, RST | ACK);
        assert_eq!(r.repr.seq, fx.s.snd_nxt());
        assert_eq!(fx.s.state(), State::Closed);
        assert_eq!(fx.p.s.syn_queue_len(), 0);
    }

    #[test]
    fn abort_frees_queue_slot() {
        let (fx, _) = syn_received();
        let Fx {
            mut p, mut s, now, ..
        } = fx;
        let out = s.abort(&mut p.s, &p.st, now);
        assert_eq!(out.end, Some(End::ResetSent));
        assert_eq!(reply(&out).repr.flags, RST | ACK);
        assert_eq!(s.state(), State::Closed);
        assert_eq!(p.s.syn_queue_len(), 0, "SYN queue slot leaked by abort");
    }

    #[test]
    fn rst_frees_queue_slot() {
        let (mut fx, _) = syn_received();
        let rcv = fx.s.rcv_nxt();
        let seg = fx.seg(Who::Server, RST, rcv, SeqNum(0));
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(out.end, Some(End::ResetByPeer));
        assert_eq!(fx.p.s.syn_queue_len(), 0);
    }

    #[test]
    fn rst_at_rcv_nxt_resets() {
        check_rst_exact_resets(build(), Who::Server, State::SynReceived)
    }

    #[test]
    fn rst_in_window_challenged() {
        check_rst_in_window_challenged(build(), Who::Server, State::SynReceived)
    }

    #[test]
    fn rst_out_of_window_dropped() {
        check_rst_out_of_window_dropped(build(), Who::Server, State::SynReceived)
    }

    #[test]
    fn out_of_window_data_acked() {
        check_out_of_window_data_acked(build(), Who::Server, State::SynReceived)
    }
}

// ---------------------------------------------------------------------------
// ESTABLISHED.
// ---------------------------------------------------------------------------

mod established {
    use super::*;

    fn build() -> Fx {
        established()
    }

    #[test]
    fn rst_at_rcv_nxt_resets() {
        check_rst_exact_resets(build(), Who::Server, State::Established);
        check_rst_exact_resets(build(), Who::Client, State::Established);
    }

    #[test]
    fn rst_in_window_challenged() {
        check_rst_in_window_challenged(build(), Who::Server, State::Established);
        check_rst_in_window_challenged(build(), Who::Client, State::Established);
    }

    #[test]
    fn rst_out_of_window_dropped() {
        check_rst_out_of_window_dropped(build(), Who::Server, State::Established)
    }

    #[test]
    fn syn_challenged() {
        check_syn_challenged(build(), Who::Server, State::Established);
        check_syn_challenged(build(), Who::Client, State::Established);
    }

    #[test]
    fn out_of_window_data_acked() {
        check_out_of_window_data_acked(build(), Who::Server, State::Established)
    }

    #[test]
    fn challenge_acks_rate_limited() {
        const LIMIT: u32 = 4;
        let mut fx = established_with(cfg(), cfg_with(|c| c.challenge_ack_per_sec = LIMIT));
        let rcv = fx.s.rcv_nxt();
        let rst = fx.seg(Who::Server, RST, rcv + 10, SeqNum(0));
        // The second's budget is drawn from LIMIT/2 .. LIMIT/2 + LIMIT.
        let mut sent = 0;
        let out = loop {
            let out = fx.inject(Who::Server, &rst, &[]);
            if out.events != Events::CHALLENGE_ACK {
                break out;
            }
            assert!(out.reply.is_some());
            sent += 1;
        };
        assert!((LIMIT / 2..LIMIT / 2 + LIMIT).contains(&sent), "{sent}");
        // Beyond the budget: suppressed, for RSTs and SYNs alike.
        assert_eq!(out.events, Events::CHALLENGE_ACK_LIMITED);
        assert!(out.reply.is_none() && out.end.is_none());
        let syn = fx.seg(Who::Server, SYN, rcv + 99, SeqNum(0));
        let out = fx.inject(Who::Server, &syn, &[]);
        assert_eq!(out.events, Events::CHALLENGE_ACK_LIMITED);
        assert!(out.reply.is_none());
        assert_eq!(fx.s.state(), State::Established);
        // A second later the budget is back.
        fx.now += SEC;
        let out = fx.inject(Who::Server, &rst, &[]);
        assert_eq!(out.events, Events::CHALLENGE_ACK);
    }

    #[test]
    fn retransmitted_original_syn_answered_with_ack() {
        let mut fx = build();
        let irs = fx.s.rcv_nxt() - 1;
        let seg = fx.seg(Who::Server, SYN, irs, SeqNum(0));
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(out.end, None);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.ack), (ACK, fx.s.rcv_nxt()));
        assert_eq!(fx.s.state(), State::Established);
    }

    #[test]
    fn ack_for_unsent_data_acked_and_dropped() {
        let mut fx = build();
        let (rcv, snd) = (fx.s.rcv_nxt(), fx.s.snd_nxt());
        let seg = fx.seg(Who::Server, ACK | PSH, rcv, snd + 1000);
        let out = fx.inject(Who::Server, &seg, b"data");
        assert_eq!(out.events, Events::OUT_OF_WINDOW);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.seq, r.repr.ack), (ACK, snd, rcv));
        assert_eq!(fx.s.rcv_nxt(), rcv, "the data was not taken");
        assert_eq!(fx.s.snd_una(), snd);
        assert_eq!(fx.s.state(), State::Established);
    }

    #[test]
    fn ack_older_than_window_challenged() {
        let mut fx = build();
        let (rcv, una) = (fx.s.rcv_nxt(), fx.s.snd_una());
        let seg = fx.seg(Who::Server, ACK, rcv, una - 200_000);
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(out.events, Events::CHALLENGE_ACK);
        assert_eq!(fx.s.snd_una(), una);
    }

    #[test]
    fn paws_rejects_older_tsval() {
        let mut p = Pair::new(cfg(), cfg());
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        let mut s = s.unwrap();
        let out = p.client_gets(&mut c, &reply(&out), T0 + 5 * MS);
        let ack = reply(&out);
        p.server_gets(&mut s, &ack, T0 + 5 * MS);
        assert_eq!(s.state(), State::Established);

        let mut old = ack;
        old.repr.flags = ACK | PSH;
        old.repr.options.timestamps = Some(Timestamps {
            tsval: tsval(&ack) - 1,
            tsecr: 0,
        });
        let rcv = s.rcv_nxt();
        let out = s.on_segment(&mut p.s, &p.sa, &p.st, &old.repr, b"stale", T0 + 6 * MS);
        assert_eq!(out.events, Events::PAWS_REJECT);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.ack), (ACK, rcv));
        assert_eq!(s.rcv_nxt(), rcv);
        assert_eq!(s.state(), State::Established);

        // The same data with a current TSval is taken.
        let mut fresh = old;
        fresh.repr.options.timestamps = Some(Timestamps {
            tsval: tsval(&ack) + 1,
            tsecr: 0,
        });
        let out = s.on_segment(&mut p.s, &p.sa, &p.st, &fresh.repr, b"fresh", T0 + 7 * MS);
        assert_events(&out, Events::DATA_RX);
        assert_eq!(s.rcv_nxt(), rcv + 5);
    }

    #[test]
    fn data_is_acknowledged() {
        let mut ccfg = cfg();
        ccfg.app = client_app();
        let mut p = Pair::new(ccfg, cfg());
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        let mut s = s.unwrap();
        // The handshake ACK carries the request.
        let out = p.client_gets(&mut c, &reply(&out), T0 + MS);
        assert_events(&out, Events::ESTABLISHED | Events::DATA_TX);
        let req = reply(&out);
        assert_eq!(req.repr.flags, ACK | PSH);
        assert_eq!(p.ca.payload(&req), REQUEST);
        assert_eq!(req.repr.seq, c.iss() + 1);
        assert_eq!(c.snd_nxt(), c.iss() + 1 + REQUEST.len() as u32);
        assert_eq!(c.snd_una(), c.iss() + 1);
        assert_eq!(c.deadline(), T0 + MS + p.c.cfg.rto_us);

        let out = p.server_gets(&mut s, &req, T0 + 2 * MS);
        assert_eq!(s.state(), State::Established);
        assert_events(&out, Events::ESTABLISHED | Events::DATA_RX);
        assert_eq!(s.bytes_received(), REQUEST.len() as u32);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK);
        assert_eq!(ack.data_len, 0);
        assert_eq!(ack.repr.ack, c.snd_nxt());

        let out = p.client_gets(&mut c, &ack, T0 + 3 * MS);
        assert!(out.reply.is_none());
        assert_eq!(c.snd_una(), c.snd_nxt());
        assert_eq!(c.deadline(), 0, "nothing left to retransmit");
        assert_eq!(c.state(), State::Established);
    }

    #[test]
    fn canned_response_sent_with_the_ack() {
        let mut ccfg = cfg();
        ccfg.app = client_app();
        let mut scfg = cfg();
        scfg.app = server_app(CloseMode::Wait);
        let mut p = Pair::new(ccfg, scfg);
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        let mut s = s.unwrap();
        let req = reply(&p.client_gets(&mut c, &reply(&out), T0));
        let out = p.server_gets(&mut s, &req, T0 + MS);
        assert_eq!(
            out.events,
            Events::ESTABLISHED | Events::DATA_RX | Events::DATA_TX
        );
        let resp = reply(&out);
        assert_eq!(resp.repr.flags, ACK | PSH, "close Wait: no FIN");
        assert_eq!(
            resp.repr.ack,
            c.snd_nxt(),
            "the response acknowledges the request"
        );
        assert_eq!(resp.repr.seq, s.iss() + 1);
        assert_eq!(p.sa.payload(&resp), RESPONSE);
        assert_eq!(s.state(), State::Established);
        assert_eq!(s.deadline(), T0 + MS + p.s.cfg.rto_us);

        let out = p.client_gets(&mut c, &resp, T0 + 2 * MS);
        assert_eq!(out.events, Events::DATA_RX);
        assert_eq!(c.bytes_received(), RESPONSE.len() as u32);
        assert_eq!(c.snd_una(), c.snd_nxt());
        assert_eq!(c.state(), State::Established, "client close mode is Wait");
        let ack = reply(&out);
        assert_eq!(ack.repr.ack, s.snd_nxt());
        p.server_gets(&mut s, &ack, T0 + 3 * MS);
        assert_eq!(s.deadline(), 0);
    }

    #[test]
    fn server_close_fin_sends_response_and_fin_in_one_segment() {
        let mut ccfg = cfg();
        ccfg.app = client_app();
        let mut scfg = cfg();
        scfg.app = server_app(CloseMode::Fin);
        let mut p = Pair::new(ccfg, scfg);
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        let mut s = s.unwrap();
        let req = reply(&p.client_gets(&mut c, &reply(&out), T0));
        let out = p.server_gets(&mut s, &req, T0 + MS);
        assert_events(&out, Events::DATA_TX | Events::FIN_TX | Events::DATA_RX);
        let resp = reply(&out);
        assert_eq!(resp.repr.flags, ACK | PSH | FIN);
        assert_eq!(p.sa.payload(&resp), RESPONSE);
        assert_eq!(s.state(), State::FinWait1);
        assert_eq!(s.snd_nxt(), s.iss() + 1 + RESPONSE.len() as u32 + 1);

        // The client (close_on_peer_fin) answers with its FIN and the ACK.
        let out = p.client_gets(&mut c, &resp, T0 + 2 * MS);
        assert_events(&out, Events::DATA_RX | Events::FIN_RX | Events::FIN_TX);
        assert_eq!(c.state(), State::LastAck);
        let cfin = reply(&out);
        assert_eq!(cfin.repr.flags, ACK | FIN);
        assert_eq!(cfin.repr.ack, s.snd_nxt());

        // FIN+ACK takes the server from FIN-WAIT-1 straight to TIME-WAIT.
        let out = p.server_gets(&mut s, &cfin, T0 + 3 * MS);
        assert_eq!(out.end, Some(End::TimeWait));
        assert_eq!(s.state(), State::TimeWait);
        let last = reply(&out);
        let out = p.client_gets(&mut c, &last, T0 + 4 * MS);
        assert_eq!(out.end, Some(End::Closed));
        assert_eq!(c.state(), State::Closed);
    }

    #[test]
    fn abort_sends_rst_ack_and_peer_resets() {
        let mut fx = build();
        let out = fx.c.abort(&mut fx.p.c, &fx.p.ct, fx.now);
        assert_eq!(out.end, Some(End::ResetSent));
        assert_eq!(out.events, Events::RST_TX);
        let rst = reply(&out);
        assert_eq!(rst.repr.flags, RST | ACK);
        assert_eq!(rst.repr.seq, fx.c.snd_nxt());
        assert_eq!(rst.repr.ack, fx.c.rcv_nxt());
        assert_eq!(fx.c.state(), State::Closed);
        let out = fx.c2s(&rst);
        assert_eq!(out.end, Some(End::ResetByPeer));
        assert_eq!(fx.s.state(), State::Closed);
    }

    #[test]
    fn close_mode_rst_aborts_once_response_acked() {
        let mut ccfg = cfg();
        ccfg.app = client_app();
        let mut scfg = cfg();
        scfg.app = server_app(CloseMode::Rst);
        let mut p = Pair::new(ccfg, scfg);
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        let mut s = s.unwrap();
        let req = reply(&p.client_gets(&mut c, &reply(&out), T0));
        let resp = reply(&p.server_gets(&mut s, &req, T0 + MS));
        assert_eq!(
            resp.repr.flags,
            ACK | PSH,
            "data first, RST only once acked"
        );
        assert_eq!(s.state(), State::Established);
        let ack = reply(&p.client_gets(&mut c, &resp, T0 + 2 * MS));
        let out = p.server_gets(&mut s, &ack, T0 + 3 * MS);
        assert_eq!(out.end, Some(End::ResetSent));
        let rst = reply(&out);
        assert_eq!(rst.repr.flags, RST | ACK);
        let out = p.client_gets(&mut c, &rst, T0 + 4 * MS);
        assert_eq!(out.end, Some(End::ResetByPeer));
    }
}

// ---------------------------------------------------------------------------
// FIN-WAIT-1.
// ---------------------------------------------------------------------------

mod fin_wait_1 {
    use super::*;

    fn build() -> Fx {
        fin_wait_1().0
    }

    #[test]
    fn close_sends_fin() {
        let mut fx = established();
        let snd = fx.c.snd_nxt();
        let out = fx.close(Who::Client);
        assert_eq!(out.events, Events::FIN_TX);
        assert_eq!(out.end, None);
        let fin = reply(&out);
        assert_eq!(fin.repr.flags, ACK | FIN);
        assert_eq!(fin.repr.seq, snd);
        assert_eq!(fin.repr.ack, fx.c.rcv_nxt());
        assert_eq!(fx.c.state(), State::FinWait1);
        assert_eq!(fx.c.snd_nxt(), snd + 1);
        assert_eq!(fx.c.deadline(), fx.now + fx.p.c.cfg.rto_us);
        // A second close changes nothing.
        let out = fx.close(Who::Client);
        assert_eq!(out, Outcome::default());
    }

    #[test]
    fn ack_of_fin_moves_to_fin_wait_2() {
        let (mut fx, fin) = fin_wait_1();
        let out = fx.c2s(&fin);
        assert_eq!(out.events, Events::FIN_RX);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK);
        assert_eq!(ack.repr.ack, fin.repr.seq + 1);
        fx.now += 10 * MS;
        let out = fx.s2c(&ack);
        assert_eq!(out, Outcome::default());
        assert_eq!(fx.c.state(), State::FinWait2);
        assert_eq!(fx.c.snd_una(), fx.c.snd_nxt());
        assert_eq!(fx.c.deadline(), fx.now + fx.p.c.cfg.fin_wait2_us);
    }

    #[test]
    fn peer_fin_first_moves_to_closing() {
        let (mut fx, _) = fin_wait_1();
        // The server's FIN does not acknowledge ours.
        let sfin = reply(&fx.close(Who::Server));
        assert_eq!(sfin.repr.ack, fx.c.snd_nxt() - 1);
        let out = fx.s2c(&sfin);
        assert_eq!(fx.c.state(), State::Closing);
        assert_eq!(out.events, Events::FIN_RX);
        assert_eq!(out.end, None);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK, "our FIN is not sent again");
        assert_eq!(ack.repr.ack, sfin.repr.seq + 1);
        assert_ne!(fx.c.deadline(), 0, "our FIN still awaits its ACK");
    }

    #[test]
    fn fin_ack_moves_straight_to_time_wait() {
        // The server closes at once on the client's FIN: FIN and ACK in one.
        let (mut fx, fin) = fin_wait_1_with(cfg(), cfg());
        let out = fx.c2s(&fin);
        assert_eq!(fx.s.state(), State::LastAck);
        let fin_ack = reply(&out);
        assert_eq!(fin_ack.repr.flags, ACK | FIN);
        assert_eq!(fin_ack.repr.ack, fx.c.snd_nxt());
        let out = fx.s2c(&fin_ack);
        assert_eq!(out.end, Some(End::TimeWait));
        assert_events(&out, Events::FIN_RX | Events::TIME_WAIT);
        assert_eq!(fx.c.state(), State::TimeWait);
        assert_eq!(fx.c.deadline(), 0);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK);
        assert_eq!(ack.repr.seq, fx.c.snd_nxt());
        assert_eq!(ack.repr.ack, fin_ack.repr.seq + 1);
        let out = fx.c2s(&ack);
        assert_eq!(out.end, Some(End::Closed));
    }

    #[test]
    fn data_still_received() {
        let mut fx = build();
        let rcv = fx.c.rcv_nxt();
        let seg = fx.seg(Who::Client, ACK | PSH, rcv, fx.c.snd_nxt() - 1);
        let out = fx.inject(Who::Client, &seg, b"late data");
        assert_events(&out, Events::DATA_RX);
        assert_eq!(fx.c.rcv_nxt(), rcv + 9);
        assert_eq!(reply(&out).repr.ack, rcv + 9);
        assert_eq!(fx.c.state(), State::FinWait1);
    }

    shared_checks!(Who::Client, State::FinWait1);
}

// ---------------------------------------------------------------------------
// FIN-WAIT-2.
// ---------------------------------------------------------------------------

mod fin_wait_2 {
    use super::*;

    fn build() -> Fx {
        half_closed()
    }

    #[test]
    fn peer_fin_moves_to_time_wait_with_ack() {
        let mut fx = half_closed();
        let sfin = reply(&fx.close(Who::Server));
        assert_eq!(sfin.repr.flags, ACK | FIN);
        let out = fx.s2c(&sfin);
        assert_eq!(out.end, Some(End::TimeWait));
        assert_eq!(out.events, Events::FIN_RX | Events::TIME_WAIT);
        assert_eq!(fx.c.state(), State::TimeWait);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK);
        assert_eq!(ack.repr.ack, sfin.repr.seq + 1);
        assert_eq!(ack.repr.seq, fx.c.snd_nxt());
    }

    #[test]
    fn times_out() {
        let mut fx = half_closed();
        let d = fx.c.deadline();
        assert_eq!(d, fx.now + fx.p.c.cfg.fin_wait2_us);
        assert_eq!(fx.timer(Who::Client, d - 1), Outcome::default());
        assert_eq!(fx.c.state(), State::FinWait2);
        let out = fx.timer(Who::Client, d);
        assert_eq!(out.end, Some(End::FinWait2Timeout));
        assert!(out.reply.is_none());
        assert_eq!(fx.c.state(), State::Closed);
        assert_eq!(fx.c.deadline(), 0);
    }

    #[test]
    fn data_received_and_acked() {
        let mut fx = half_closed();
        let rcv = fx.c.rcv_nxt();
        let seg = fx.seg(Who::Client, ACK | PSH, rcv, fx.c.snd_nxt());
        let out = fx.inject(Who::Client, &seg, b"more");
        assert_eq!(out.events, Events::DATA_RX);
        assert_eq!(reply(&out).repr.ack, rcv + 4);
        assert_eq!(fx.c.state(), State::FinWait2);
    }

    shared_checks!(Who::Client, State::FinWait2);
}

// ---------------------------------------------------------------------------
// CLOSE-WAIT (passive close).
// ---------------------------------------------------------------------------

mod close_wait {
    use super::*;

    fn build() -> Fx {
        half_closed()
    }

    #[test]
    fn peer_fin_acked_and_waits_for_close() {
        let (mut fx, fin) = fin_wait_1();
        let rcv = fx.s.rcv_nxt();
        let out = fx.c2s(&fin);
        assert_eq!(out.events, Events::FIN_RX);
        assert_eq!(fx.s.state(), State::CloseWait);
        assert_eq!(fx.s.rcv_nxt(), rcv + 1);
        let ack = reply(&out);
        assert_eq!(ack.repr.flags, ACK, "close_on_peer_fin=false: no FIN yet");
        assert_eq!(ack.repr.ack, rcv + 1);
        assert_eq!(fx.s.deadline(), 0);
        // Nothing happens until the application closes.
        assert_eq!(
            fx.timer(Who::Server, fx.now + 1000 * SEC),
            Outcome::default()
        );
        assert_eq!(fx.s.state(), State::CloseWait);
    }

    #[test]
    fn close_sends_fin_and_moves_to_last_ack() {
        let mut fx = half_closed();
        let snd = fx.s.snd_nxt();
        let out = fx.close(Who::Server);
        assert_eq!(out.events, Events::FIN_TX);
        let fin = reply(&out);
        assert_eq!(fin.repr.flags, ACK | FIN);
        assert_eq!(fin.repr.seq, snd);
        assert_eq!(fin.repr.ack, fx.s.rcv_nxt());
        assert_eq!(fx.s.state(), State::LastAck);
        assert_eq!(fx.s.deadline(), fx.now + fx.p.s.cfg.rto_us);
    }

    #[test]
    fn close_on_peer_fin_sends_fin_with_the_ack() {
        let (mut fx, fin) = fin_wait_1_with(cfg(), cfg());
        assert!(fx.p.sa.app_of(0).close_on_peer_fin);
        let out = fx.c2s(&fin);
        assert_eq!(out.events, Events::FIN_RX | Events::FIN_TX);
        let fin_ack = reply(&out);
        assert_eq!(fin_ack.repr.flags, ACK | FIN);
        assert_eq!(fin_ack.repr.ack, fin.repr.seq + 1);
        assert_eq!(fx.s.state(), State::LastAck);
    }

    #[test]
    fn retransmitted_peer_fin_acked_again() {
        let (mut fx, fin) = fin_wait_1();
        fx.c2s(&fin);
        let rcv = fx.s.rcv_nxt();
        let out = fx.c2s(&fin);
        assert_events(&out, Events::OUT_OF_WINDOW);
        assert_no_events(&out, Events::FIN_RX);
        let r = reply(&out);
        assert_eq!((r.repr.flags, r.repr.ack), (ACK, rcv));
        assert_eq!(fx.s.rcv_nxt(), rcv);
        assert_eq!(fx.s.state(), State::CloseWait);
    }

    shared_checks!(Who::Server, State::CloseWait);
}

// ---------------------------------------------------------------------------
// CLOSING (simultaneous close).
// ---------------------------------------------------------------------------

mod closing {
    use super::*;

    fn build() -> Fx {
        closing().0
    }

    #[test]
    fn ack_of_fin_moves_to_time_wait() {
        let (mut fx, c_ack, s_ack) = closing();
        assert_eq!(c_ack.repr.flags, ACK);
        assert_eq!(c_ack.repr.ack, fx.s.snd_nxt());
        let out = fx.c2s(&c_ack);
        assert_eq!(out.end, Some(End::TimeWait));
        assert_eq!(out.events, Events::TIME_WAIT);
        assert!(out.reply.is_none(), "nothing to acknowledge");
        assert_eq!(fx.s.state(), State::TimeWait);
        let out = fx.s2c(&s_ack);
        assert_eq!(out.end, Some(End::TimeWait));
        assert_eq!(fx.c.state(), State::TimeWait);
    }

    #[test]
    fn fin_retransmitted_while_closing() {
        let (mut fx, _, _) = closing();
        let d = fx.c.deadline();
        assert_ne!(d, 0);
        let out = fx.timer(Who::Client, d);
        assert_eq!(out.events, Events::RETRANSMIT);
        let r = reply(&out);
        assert_eq!(r.repr.flags, ACK | FIN);
        assert_eq!(r.repr.seq, fx.c.snd_nxt() - 1);
        assert_eq!(r.repr.ack, fx.c.rcv_nxt());
    }

    shared_checks!(Who::Client, State::Closing);
}

// ---------------------------------------------------------------------------
// LAST-ACK.
// ---------------------------------------------------------------------------

mod last_ack {
    use super::*;

    fn build() -> Fx {
        last_ack().0
    }

    #[test]
    fn ack_of_fin_closes() {
        let (mut fx, fin) = last_ack();
        let out = fx.s2c(&fin);
        assert_eq!(out.end, Some(End::TimeWait));
        let ack = reply(&out);
        let out = fx.c2s(&ack);
        assert_eq!(out.end, Some(End::Closed));
        assert!(out.reply.is_none());
        assert_eq!(fx.s.state(), State::Closed);
        assert_eq!(fx.s.deadline(), 0);
    }

    #[test]
    fn ack_not_covering_fin_keeps_waiting() {
        let (mut fx, _) = last_ack();
        let rcv = fx.s.rcv_nxt();
        let seg = fx.seg(Who::Server, ACK, rcv, fx.s.snd_nxt() - 1);
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(out.end, None);
        assert_eq!(fx.s.state(), State::LastAck);
        assert_ne!(fx.s.deadline(), 0);
    }

    shared_checks!(Who::Server, State::LastAck);
}

// ---------------------------------------------------------------------------
// TIME-WAIT: the reduced record (RFC 9293 §3.6.1, RFC 6191, RFC 1337).
// ---------------------------------------------------------------------------

mod time_wait {
    use super::*;

    /// The client's TIME-WAIT record after a FIN-WAIT-2 close.
    struct Tw {
        p: Pair,
        tw: TimeWait,
        /// The client's SND.NXT when it entered TIME-WAIT.
        snd_nxt: SeqNum,
        /// The server's FIN.
        fin: Reply,
        now: u64,
    }

    impl Tw {
        fn seg(&self, flags: TcpFlags, seq: SeqNum) -> TcpRepr {
            peer_seg(&self.p.ct, flags, seq, self.snd_nxt)
        }

        fn input(&mut self, seg: &TcpRepr, len: usize, now: u64) -> (TwVerdict, Events) {
            self.tw.on_segment(&self.p.c, &self.p.ct, seg, len, now)
        }
    }

    fn time_wait_with(client: Conf, server: Conf) -> Tw {
        let mut fx = half_closed_with(client, server);
        let fin = reply(&fx.close(Who::Server));
        let out = fx.s2c(&fin);
        assert_eq!(out.end, Some(End::TimeWait));
        assert_eq!(fx.c.state(), State::TimeWait);
        let tw = fx.c.to_time_wait(&fx.p.c, fx.now);
        assert_eq!(tw.rcv_nxt(), fx.c.rcv_nxt());
        Tw {
            snd_nxt: fx.c.snd_nxt(),
            p: fx.p,
            tw,
            fin,
            now: fx.now,
        }
    }

    fn time_wait() -> Tw {
        time_wait_with(cfg(), cfg_wait_in_close_wait())
    }

    fn no_ts() -> Conf {
        cfg_with(|c| c.timestamps = false)
    }

    fn no_ts_wait_in_close_wait() -> Conf {
        cfg_with(|c| {
            c.timestamps = false;
            c.app.close_on_peer_fin = false;
        })
    }

    #[test]
    fn lasts_two_msl() {
        let t = time_wait();
        let msl = t.p.c.cfg.msl_us;
        assert_eq!(t.tw.deadline(), t.now + 2 * msl);
        assert!(!t.tw.expired(t.now + 2 * msl - 1));
        assert!(t.tw.expired(t.now + 2 * msl));
    }

    #[test]
    fn retransmitted_fin_acked_and_timer_restarted() {
        let mut t = time_wait();
        let later = t.now + 10 * SEC;
        let fin = t.fin;
        let (v, ev) = t.input(&fin.repr, 0, later);
        assert_eq!(ev, Events::NONE);
        let TwVerdict::Ack(r) = v else {
            panic!("expected Ack, got {v:?}");
        };
        assert_eq!(r.repr.flags, ACK);
        assert_eq!(r.repr.seq, t.snd_nxt);
        assert_eq!(r.repr.ack, fin.repr.seq + 1);
        assert_eq!(r.repr.ack, t.tw.rcv_nxt());
        assert_eq!(
            r.repr.options.timestamps,
            Some(Timestamps {
                tsval: t
                    .p
                    .c
                    .ts_clock(later)
                    .wrapping_add(t.p.c.isn.ts_offset(&t.p.ct)),
                tsecr: tsval(&fin),
            })
        );
        assert_eq!(t.tw.deadline(), later + 2 * t.p.c.cfg.msl_us);
    }

    #[test]
    fn rst_at_rcv_nxt_closes() {
        let mut t = time_wait();
        let seg = t.seg(RST, t.tw.rcv_nxt());
        let (v, ev) = t.input(&seg, 0, t.now + SEC);
        assert_eq!(v, TwVerdict::Close);
        assert_eq!(ev, Events::RST_RX);
    }

    #[test]
    fn rst_with_old_tsval_still_closes() {
        // RSTs are exempt from PAWS (RFC 7323 §5.3 R1).
        let mut t = time_wait();
        let mut seg = t.seg(RST, t.tw.rcv_nxt());
        seg.options.timestamps = Some(Timestamps { tsval: 0, tsecr: 0 });
        let (v, ev) = t.input(&seg, 0, t.now + SEC);
        assert_eq!(v, TwVerdict::Close);
        assert_eq!(ev, Events::RST_RX);
    }

    #[test]
    fn rst_not_at_rcv_nxt_dropped() {
        let mut t = time_wait();
        let deadline = t.tw.deadline();
        for seq in [t.tw.rcv_nxt() + 1, t.tw.rcv_nxt() - 1] {
            let seg = t.seg(RST, seq);
            let (v, ev) = t.input(&seg, 0, t.now + SEC);
            assert_eq!(v, TwVerdict::Drop);
            assert_eq!(ev, Events::DROPPED);
        }
        assert_eq!(t.tw.deadline(), deadline);
    }

    #[test]
    fn rfc1337_ignores_rst() {
        let mut t = time_wait_with(cfg_with(|c| c.rfc1337 = true), cfg_wait_in_close_wait());
        let seg = t.seg(RST, t.tw.rcv_nxt());
        let (v, ev) = t.input(&seg, 0, t.now + SEC);
        assert_eq!(v, TwVerdict::Drop);
        assert_eq!(ev, Events::DROPPED);
    }

    #[test]
    fn newer_syn_by_timestamp_reopens_beyond_old_sequence_space() {
        let mut t = time_wait();
        let mut syn = t.seg(SYN, t.tw.rcv_nxt() - 1000); // sequence is not what decides
        syn.ack = SeqNum(0);
        syn.options = TcpOptions {
            mss: Some(1460),
            timestamps: Some(Timestamps {
                tsval: tsval(&t.fin) + 1,
                tsecr: 0,
            }),
            ..TcpOptions::default()
        };
        let (v, ev) = t.input(&syn, 0, t.now + SEC);
        assert_eq!(ev, Events::TIME_WAIT_REUSED);
        assert_eq!(
            v,
            TwVerdict::Reopen {
                isn: t.snd_nxt + 65537
            }
        );

        // The listener takes the SYN with the proposed ISN.
        let TwVerdict::Reopen { isn } = v else {
            unreachable!()
        };
        let (s, out) = on_listen(
            &mut t.p.c,
            &t.p.ca,
            &t.p.ct,
            &syn,
            &[],
            Some(isn),
            t.now + SEC,
        );
        let s = s.expect("new SYN-RECEIVED record");
        assert_eq!(s.state(), State::SynReceived);
        assert_eq!(s.iss(), isn);
        assert_eq!(reply(&out).repr.seq, isn);
    }

    #[test]
    fn equal_timestamp_syn_reopens_only_beyond_rcv_nxt() {
        // RFC 6191 §2: TSval equal to TS.Recent falls back to the sequence.
        for (seq_delta, reopen) in [(1i32, true), (0, false)] {
            let mut t = time_wait();
            let seq = if seq_delta > 0 {
                t.tw.rcv_nxt() + 1
            } else {
                t.tw.rcv_nxt()
            };
            let mut syn = t.seg(SYN, seq);
            syn.ack = SeqNum(0);
            syn.options.timestamps = Some(Timestamps {
                tsval: tsval(&t.fin),
                tsecr: 0,
            });
            let (v, _) = t.input(&syn, 0, t.now + SEC);
            assert_eq!(matches!(v, TwVerdict::Reopen { .. }), reopen, "{v:?}");
        }
    }

    #[test]
    fn older_timestamp_syn_acked_not_reopened() {
        let mut t = time_wait();
        let mut syn = t.seg(SYN, t.tw.rcv_nxt() + 1000);
        syn.ack = SeqNum(0);
        syn.options.timestamps = Some(Timestamps {
            tsval: tsval(&t.fin) - 1,
            tsecr: 0,
        });
        let later = t.now + SEC;
        let (v, ev) = t.input(&syn, 0, later);
        assert_eq!(ev, Events::PAWS_REJECT);
        let TwVerdict::Ack(r) = v else {
            panic!("expected Ack, got {v:?}");
        };
        assert_eq!((r.repr.flags, r.repr.ack), (ACK, t.tw.rcv_nxt()));
        assert_eq!(t.tw.deadline(), later + 2 * t.p.c.cfg.msl_us);
    }

    #[test]
    fn without_timestamps_syn_beyond_rcv_nxt_reopens() {
        let mut t = time_wait_with(no_ts(), no_ts_wait_in_close_wait());
        let mut syn = t.seg(SYN, t.tw.rcv_nxt() + 1);
        syn.ack = SeqNum(0);
        let (v, ev) = t.input(&syn, 0, t.now + SEC);
        assert_eq!(ev, Events::TIME_WAIT_REUSED);
        assert_eq!(
            v,
            TwVerdict::Reopen {
                isn: t.snd_nxt + 65537
            }
        );
    }

    /// Out-of-window ACKs to a TIME-WAIT record: one answer per 500 ms
    /// (Linux's `tcp_timewait_check_oow_rate_limit`); a retransmitted FIN
    /// is answered every time.
    #[test]
    fn out_of_window_acks_answered_once_per_500_ms() {
        let mut t = time_wait();
        let stale = t.seg(ACK, t.tw.rcv_nxt() - 1000);
        let mut answered = 0;
        let mut held = 0;
        // 100 segments over 990 ms: answers at 0 ms and 500 ms.
        for i in 0..100 {
            let (v, ev) = t.input(&stale, 0, t.now + i * 10 * MS);
            match v {
                TwVerdict::Ack(_) => answered += 1,
                TwVerdict::Drop => {
                    assert!(ev.contains(Events::DUP_ACK_LIMITED), "{ev:?}");
                    held += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((answered, held), (2, 98));
        for i in 0..3 {
            let (v, _) = t.input(&t.fin.repr.clone(), 0, t.now + SEC + i);
            assert!(matches!(v, TwVerdict::Ack(_)), "FIN {i}: {v:?}");
        }
    }

    #[test]
    fn without_timestamps_old_syn_acked() {
        let mut t = time_wait_with(no_ts(), no_ts_wait_in_close_wait());
        let deadline = t.tw.deadline();
        // A second apart: the answers are rate limited (`mod oow_limit`).
        for (i, seq) in [t.tw.rcv_nxt(), t.tw.rcv_nxt() - 5].into_iter().enumerate() {
            let mut syn = t.seg(SYN, seq);
            syn.ack = SeqNum(0);
            let (v, ev) = t.input(&syn, 0, t.now + (i as u64 + 1) * SEC);
            assert_eq!(ev, Events::NONE);
            let TwVerdict::Ack(r) = v else {
                panic!("expected Ack, got {v:?}");
            };
            assert_eq!(r.repr.ack, t.tw.rcv_nxt());
            assert!(r.repr.options.timestamps.is_none());
        }
        assert_eq!(
            t.tw.deadline(),
            deadline,
            "a SYN without ACK restarts nothing"
        );
    }

    #[test]
    fn tcb_in_time_wait_hands_segments_to_record() {
        let mut fx = half_closed();
        let fin = reply(&fx.close(Who::Server));
        fx.s2c(&fin);
        assert_eq!(fx.c.state(), State::TimeWait);
        assert_eq!(fx.c.deadline(), 0);
        let out = fx.s2c(&fin);
        assert_eq!(out.events, Events::DROPPED);
    }
}

// ---------------------------------------------------------------------------
// Retransmission: SYN, SYN-ACK, data and FIN with exponential backoff.
// ---------------------------------------------------------------------------

mod retransmission {
    use super::*;

    /// `base << r` capped at `max`, without overflow.
    fn backoff(base: u64, max: u64, r: u32) -> u64 {
        (u128::from(base) << r).min(u128::from(max)) as u64
    }

    #[test]
    fn syn_backs_off_then_gives_up() {
        // The SYN-ACK is lost: the client's SYN timer runs out.
        let (mut fx, _) = syn_received();
        let syn = reply(&Tcb::connect(&mut fx.p.c, &fx.p.ct, T0, AppState::default()).1);
        let (gaps, sent, out) = run_timer(&mut fx, Who::Client, T0);
        assert_eq!(
            gaps,
            [1, 2, 4, 8, 16, 32, 64].map(|s| s * SEC),
            "1 s doubled per retry (RFC 6298 §5.5)"
        );
        assert_eq!(sent.len(), 6, "syn_retries");
        for (i, r) in sent.iter().enumerate() {
            assert_eq!(r.repr.flags, SYN);
            assert_eq!(r.repr.seq, syn.repr.seq);
            assert_eq!(r.repr.options.mss, syn.repr.options.mss);
            assert!(tsval(r) > tsval(&syn), "retry {i} carries a fresh TSval");
        }
        assert_eq!(out.end, Some(End::RetriesExceeded));
        assert_eq!(fx.c.state(), State::Closed);
        assert_eq!(fx.c.deadline(), 0);
    }

    #[test]
    fn syn_backoff_capped_by_rto_max() {
        let (mut fx, _) = syn_received_with(cfg_with(|c| c.rto_max_us = 5 * SEC), cfg());
        let (gaps, _, out) = run_timer(&mut fx, Who::Client, T0);
        assert_eq!(gaps, [1, 2, 4, 5, 5, 5, 5].map(|s| s * SEC));
        assert_eq!(out.end, Some(End::RetriesExceeded));
    }

    #[test]
    fn backoff_never_overflows_with_many_retries() {
        // The largest retry count `validate` allows, with no cap: every
        // doubling must be exact (no shift overflow back to small values).
        let client = cfg_with(|c| {
            c.syn_retries = 32;
            c.rto_max_us = u64::MAX;
        });
        let (base, max) = (client.rto_syn_us, client.rto_max_us);
        let (mut fx, _) = syn_received_with(client, cfg());
        let (gaps, _, out) = run_timer(&mut fx, Who::Client, T0);
        let want: Vec<u64> = (0..=32).map(|r| backoff(base, max, r)).collect();
        assert_eq!(gaps, want);
        assert_eq!(out.end, Some(End::RetriesExceeded));
    }

    #[test]
    fn syn_ack_after_retransmission_resets_retries() {
        let mut p = Pair::new(cfg(), cfg());
        let (mut c, _) = p.connect(T0);
        let out = c.on_timer(&mut p.c, &p.ca, &p.ct, T0 + SEC);
        let syn2 = reply(&out);
        assert_eq!(c.retries(), 1);
        assert_eq!(c.deadline(), T0 + 3 * SEC);
        let (_, out) = p.listen(&syn2, T0 + SEC + 10);
        p.client_gets(&mut c, &reply(&out), T0 + SEC + 20);
        assert_eq!(c.state(), State::Established);
        assert_eq!(c.retries(), 0);
        assert_eq!(c.deadline(), 0);
        assert_eq!(
            c.on_timer(&mut p.c, &p.ca, &p.ct, T0 + 3 * SEC),
            Outcome::default()
        );
    }

    #[test]
    fn syn_ack_backs_off_then_gives_up_and_frees_queue_slot() {
        let (mut fx, synack) = syn_received();
        let armed = T0;
        assert_eq!(fx.s.deadline(), armed + SEC);
        let (gaps, sent, out) = run_timer(&mut fx, Who::Server, armed);
        assert_eq!(gaps, [1, 2, 4, 8, 16, 32].map(|s| s * SEC));
        assert_eq!(sent.len(), 5, "synack_retries");
        for r in &sent {
            assert_eq!(r.repr.flags, SYN | ACK);
            assert_eq!(r.repr.seq, synack.repr.seq);
            assert_eq!(r.repr.ack, synack.repr.ack);
            assert_eq!(r.repr.options.wscale, Some(7));
        }
        // Still queued during the retries; freed at the end.
        assert_eq!(out.end, Some(End::RetriesExceeded));
        assert_eq!(fx.s.state(), State::Closed);
        assert_eq!(fx.p.s.syn_queue_len(), 0);
    }

    #[test]
    fn syn_queue_counts_only_live_syn_received_records() {
        let (mut fx, _) = syn_received();
        assert_eq!(fx.p.s.syn_queue_len(), 1);
        let d = fx.s.deadline();
        fx.timer(Who::Server, d);
        assert_eq!(fx.s.state(), State::SynReceived);
        assert_eq!(fx.p.s.syn_queue_len(), 1, "a retransmission keeps the slot");
    }

    #[test]
    fn fin_backs_off_then_gives_up() {
        let (mut fx, fin) = fin_wait_1();
        let armed = fx.now;
        let (gaps, sent, out) = run_timer(&mut fx, Who::Client, armed);
        let rto = fx.p.c.cfg.rto_us;
        let want: Vec<u64> = (0..=8).map(|r| rto << r).collect();
        assert_eq!(gaps, want, "200 ms doubled, 8 retries");
        assert_eq!(sent.len(), 8);
        for r in &sent {
            assert_eq!(r.repr.flags, ACK | FIN);
            assert_eq!(r.repr.seq, fin.repr.seq);
            assert_eq!(r.data_len, 0);
        }
        assert_eq!(out.end, Some(End::RetriesExceeded));
        assert_eq!(fx.c.state(), State::Closed);
    }

    #[test]
    fn fin_backoff_capped_by_rto_max() {
        let (mut fx, _) = fin_wait_1_with(
            cfg_with(|c| {
                c.rto_max_us = SEC;
                c.retries = 4;
            }),
            cfg_wait_in_close_wait(),
        );
        let armed = fx.now;
        let (gaps, _, out) = run_timer(&mut fx, Who::Client, armed);
        assert_eq!(gaps, [200 * MS, 400 * MS, 800 * MS, SEC, SEC]);
        assert_eq!(out.end, Some(End::RetriesExceeded));
    }

    #[test]
    fn last_ack_fin_retransmitted_then_acked() {
        let (mut fx, fin) = last_ack();
        let armed = fx.now;
        let d = fx.s.deadline();
        assert_eq!(d, armed + fx.p.s.cfg.rto_us);
        let out = fx.timer(Who::Server, d);
        assert_eq!(out.events, Events::RETRANSMIT);
        let again = reply(&out);
        assert_eq!(again.repr.flags, ACK | FIN);
        assert_eq!(again.repr.seq, fin.repr.seq);
        assert_eq!(fx.s.deadline(), d + 2 * fx.p.s.cfg.rto_us);
        assert_eq!(fx.s.retries(), 1);
        fx.now = d + 10;
        let ack = reply(&fx.s2c(&again));
        let out = fx.c2s(&ack);
        assert_eq!(out.end, Some(End::Closed));
    }

    #[test]
    fn data_retransmitted_until_acked() {
        let mut ccfg = cfg();
        ccfg.app = client_app();
        let mut p = Pair::new(ccfg, cfg());
        let (mut c, syn) = p.connect(T0);
        let (s, out) = p.listen(&syn, T0);
        let mut s = s.unwrap();
        let req = reply(&p.client_gets(&mut c, &reply(&out), T0));
        // The request is lost; the timer resends it.
        let d = c.deadline();
        assert_eq!(d, T0 + 200 * MS);
        let out = c.on_timer(&mut p.c, &p.ca, &p.ct, d);
        assert_eq!(out.events, Events::RETRANSMIT);
        let again = reply(&out);
        assert_eq!(again.repr.seq, req.repr.seq);
        assert_eq!(again.repr.flags, ACK | PSH);
        assert_eq!(p.ca.payload(&again), REQUEST);
        assert_eq!(c.deadline(), d + 400 * MS);
        let ack = reply(&p.server_gets(&mut s, &again, d + 1));
        assert_eq!(s.bytes_received(), REQUEST.len() as u32);
        p.client_gets(&mut c, &ack, d + 2);
        assert_eq!(c.deadline(), 0);
        assert_eq!(c.retries(), 0);
    }

    #[test]
    fn timer_before_deadline_or_without_one_does_nothing() {
        let mut fx = established();
        assert_eq!(fx.c.deadline(), 0);
        assert_eq!(fx.timer(Who::Client, u64::MAX), Outcome::default());
        let (mut fx, _) = fin_wait_1();
        let d = fx.c.deadline();
        assert_eq!(fx.timer(Who::Client, d - 1), Outcome::default());
        assert_eq!(fx.c.deadline(), d);
        assert_eq!(fx.c.retries(), 0);
    }
}

// ---------------------------------------------------------------------------
// ISN (RFC 6528).
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Idle timeout and TS.Recent.
// ---------------------------------------------------------------------------

mod idle {
    use super::*;

    fn idle_cfg() -> Conf {
        cfg_with(|c| c.idle_timeout_us = 10 * SEC)
    }

    #[test]
    fn idle_connection_reset_after_timeout() {
        let mut fx = established_with(idle_cfg(), idle_cfg());
        let deadline = fx.c.deadline();
        assert_eq!(deadline, T0 + 10 * SEC, "armed at the handshake");
        assert_eq!(fx.timer(Who::Client, deadline - 1), Outcome::default());
        let out = fx.timer(Who::Client, deadline);
        assert_eq!(out.end, Some(End::IdleTimeout));
        assert_events(&out, Events::RST_TX);
        assert_eq!(reply(&out).repr.flags, RST | ACK);
        assert_eq!(fx.c.state(), State::Closed);
    }

    #[test]
    fn activity_restarts_and_data_in_flight_uses_rto() {
        let mut fx = established_with(idle_cfg(), idle_cfg());
        fx.now = T0 + 5 * SEC;
        let rcv = fx.s.rcv_nxt();
        let ack = fx.s.snd_nxt();
        let seg = fx.seg(Who::Server, ACK | PSH, rcv, ack);
        let out = fx.inject(Who::Server, &seg, b"ping");
        assert!(out.reply.is_some());
        assert_eq!(fx.s.deadline(), T0 + 15 * SEC, "restarted by the segment");
        // Our own data in flight: the retransmission timer replaces it.
        let out = fx.close(Who::Server);
        assert!(out.reply.is_some());
        assert_eq!(fx.s.deadline(), fx.now + fx.p.s.cfg.rto_us);
    }

    #[test]
    fn ts_recent_not_taken_from_segment_without_ack() {
        // A blind in-window segment without ACK must not poison TS.Recent:
        // afterwards the peer's real segments still pass PAWS.
        let mut fx = established();
        let rcv = fx.c.rcv_nxt();
        let mut blind = fx.seg(Who::Client, PSH, rcv, SeqNum(0));
        // The server's TSval now, and one far ahead of it (still newer).
        let server_ts = fx.p.s.ts_clock(fx.now).wrapping_add(fx.s.ts_offset());
        blind.options.timestamps = Some(Timestamps {
            tsval: server_ts.wrapping_add(0x7fff_0000),
            tsecr: 0,
        });
        let out = fx.inject(Who::Client, &blind, b"x");
        assert_eq!(out.events, Events::DROPPED);
        let mut real = fx.seg(Who::Client, ACK, rcv, fx.c.snd_nxt());
        real.options.timestamps = Some(Timestamps {
            tsval: server_ts,
            tsecr: 0,
        });
        let out = fx.inject(Who::Client, &real, &[]);
        assert!(!out.events.contains(Events::PAWS_REJECT), "{out:?}");
    }
}

mod isn {
    use super::*;

    #[test]
    fn advances_by_one_every_4us() {
        let g = IsnGenerator::new([0x5a; 16]);
        let t = server_tuple(CLIENT_PORT);
        let base = g.isn(&t, T0);
        assert_eq!(g.isn(&t, T0 + 1), base);
        assert_eq!(g.isn(&t, T0 + 3), base);
        assert_eq!(g.isn(&t, T0 + 4), base + 1);
        assert_eq!(g.isn(&t, T0 + 8), base + 2);
        assert_eq!(g.isn(&t, T0 + 4_000_000) - base, 1_000_000);
        // The 4 µs clock wraps after 2^32 ticks.
        assert_eq!(g.isn(&t, T0 + 4 * (1 << 32)), base);
    }

    #[test]
    fn keyed_by_tuple_and_secret() {
        let g = IsnGenerator::new([0x5a; 16]);
        let h = IsnGenerator::new([0x5b; 16]);
        let a = server_tuple(1000);
        let b = server_tuple(1001);
        assert_ne!(g.isn(&a, T0), g.isn(&b, T0));
        assert_ne!(g.isn(&a, T0), h.isn(&a, T0));
        assert_ne!(g.isn(&a, T0), g.isn(&a.reversed(), T0));
    }

    #[test]
    fn context_uses_its_secret() {
        let t = server_tuple(CLIENT_PORT).reversed();
        let mut a = TcpContext::new(cfg().tcp, Secrets::from_seed(7));
        let mut b = TcpContext::new(cfg().tcp, Secrets::from_seed(7));
        let mut c = TcpContext::new(cfg().tcp, Secrets::from_seed(8));
        let (ta, _) = Tcb::connect(&mut a, &t, T0, AppState::default());
        let (tb, _) = Tcb::connect(&mut b, &t, T0, AppState::default());
        let (tc, _) = Tcb::connect(&mut c, &t, T0, AppState::default());
        assert_eq!(ta.iss(), tb.iss(), "same seed, same ISN");
        assert_ne!(ta.iss(), tc.iss());
        let (later, _) = Tcb::connect(&mut a, &t, T0 + 400, AppState::default());
        assert_eq!(later.iss() - ta.iss(), 100);
    }
}

// ---------------------------------------------------------------------------
// HTTP (AppProtocol::Http, `synwave::app::http`)
// ---------------------------------------------------------------------------

mod http_app {
    use super::*;
    use synwave::app::AppProtocol;
    use synwave::app::http;

    /// A client that sends nothing (requests are injected by hand) and a
    /// server answering HTTP requests with a 5-byte body, then FIN.
    fn http_server() -> Fx {
        let client = cfg_with(|c| c.app = AppConfig::default());
        let server = cfg_with(|c| {
            c.app = AppConfig {
                payload: Arc::from(http::response(5)),
                send_after: 1,
                expect: 1,
                close: CloseMode::Fin,
                close_on_peer_fin: true,
                protocol: AppProtocol::Http,
                hold_us: 0,
                requests: 1,
                think_us: 0,
            }
        });
        established_with(client, server)
    }

    /// Sends `data` to the server as the client's next in-order segment.
    fn send_request_part(fx: &mut Fx, sent: &mut u32, data: &[u8]) -> Outcome {
        let seq = fx.c.snd_nxt() + *sent;
        let seg = fx.seg(Who::Server, ACK | PSH, seq, fx.s.snd_nxt());
        *sent += data.len() as u32;
        fx.inject(Who::Server, &seg, data)
    }

    #[test]
    fn the_server_answers_only_at_the_end_of_the_request_header() {
        let req = http::request("/", "10.0.0.2");
        for split in [1, 10, req.len() - 2, req.len() - 1] {
            let mut fx = http_server();
            let mut sent = 0;
            let out = send_request_part(&mut fx, &mut sent, &req[..split]);
            let r = reply(&out);
            assert_eq!(r.data_len, 0, "split {split}: only an ACK before the end");
            assert_no_events(&out, Events::DATA_TX);
            let out = send_request_part(&mut fx, &mut sent, &req[split..]);
            let r = reply(&out);
            assert!(r.data_len > 0, "split {split}: the response starts");
            assert_events(&out, Events::DATA_RX | Events::DATA_TX);
        }
    }

    #[test]
    fn a_body_of_bytes_is_not_a_request_end() {
        let mut fx = http_server();
        let mut sent = 0;
        // 200 bytes of a header that never ends: never answered.
        for _ in 0..10 {
            let out = send_request_part(&mut fx, &mut sent, b"X-Filler: aaaaaaaa\r\n");
            assert_eq!(reply(&out).data_len, 0);
        }
    }

    /// A client that sends a GET and reads the status class, against a
    /// server whose segments are injected by hand.
    fn http_client() -> Fx {
        let client = cfg_with(|c| {
            c.app = AppConfig {
                payload: Arc::from(http::request("/", "10.0.0.2")),
                send_after: 0,
                expect: u32::MAX,
                close: CloseMode::Wait,
                close_on_peer_fin: true,
                protocol: AppProtocol::Http,
                hold_us: 0,
                requests: 1,
                think_us: 0,
            }
        });
        established_with(client, cfg_wait_in_close_wait())
    }

    fn respond(fx: &mut Fx, sent: &mut u32, data: &[u8]) -> Outcome {
        let seq = fx.s.snd_nxt() + *sent;
        let seg = fx.seg(Who::Client, ACK | PSH, seq, fx.c.snd_nxt());
        *sent += data.len() as u32;
        fx.inject(Who::Client, &seg, data)
    }

    #[test]
    fn the_client_counts_a_2xx_once_however_the_status_line_is_split() {
        let status = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        for split in [1, 9, 10, 20] {
            let mut fx = http_client();
            let mut sent = 0;
            let a = respond(&mut fx, &mut sent, &status[..split]);
            let b = respond(&mut fx, &mut sent, &status[split..]);
            let counted = [&a, &b]
                .iter()
                .filter(|o| o.events.contains(Events::HTTP_2XX))
                .count();
            assert_eq!(counted, 1, "split {split}");
            assert_no_events(&a, Events::HTTP_OTHER);
            assert_no_events(&b, Events::HTTP_OTHER);
        }
    }

    #[test]
    fn the_client_counts_other_statuses_apart() {
        let mut fx = http_client();
        let out = respond(&mut fx, &mut 0, b"HTTP/1.1 503 Busy\r\n\r\n");
        assert_events(&out, Events::HTTP_OTHER);
        assert_no_events(&out, Events::HTTP_2XX);
    }
}

// ---------------------------------------------------------------------------
// Hold before the close (AppConfig::hold_us)
// ---------------------------------------------------------------------------

mod hold {
    use super::*;

    /// A client that sends nothing, expects nothing, and holds each
    /// connection `HOLD` before its FIN.
    const HOLD: u64 = 50 * MS;

    fn held() -> Fx {
        let client = cfg_with(|c| {
            c.app = AppConfig {
                close: CloseMode::Fin,
                close_on_peer_fin: true,
                hold_us: HOLD,
                ..AppConfig::default()
            }
        });
        established_with(client, cfg_wait_in_close_wait())
    }

    #[test]
    fn the_client_closes_when_the_hold_ends_not_before() {
        let mut fx = held();
        // The handshake left the client ESTABLISHED, its exchange done,
        // and its timer at the hold's end (armed at T0, when its last ACK
        // went out).
        assert_eq!(fx.c.state(), State::Established);
        assert_eq!(fx.c.deadline(), T0 + HOLD);
        let early = fx.timer(Who::Client, T0 + HOLD - 1);
        assert!(early.reply.is_none(), "nothing before the hold ends");
        assert_eq!(fx.c.state(), State::Established);
        let out = fx.timer(Who::Client, T0 + HOLD);
        let fin = reply(&out);
        assert!(fin.repr.flags.fin(), "the FIN at the hold's end: {fin:?}");
        assert_eq!(fx.c.state(), State::FinWait1);
        assert_events(&out, Events::FIN_TX);
    }

    #[test]
    fn the_servers_fin_ends_a_hold_at_once() {
        let mut fx = held();
        let fin = fx.seg(Who::Client, FIN | ACK, fx.s.snd_nxt(), fx.c.snd_nxt());
        let out = fx.inject(Who::Client, &fin, &[]);
        // CLOSE-WAIT closes at once: our FIN goes with the ACK.
        let r = reply(&out);
        assert!(r.repr.flags.fin(), "{r:?}");
        assert_eq!(fx.c.state(), State::LastAck);
    }
}

// ---------------------------------------------------------------------------
// Segment size (RFC 9293 §3.7.1, RFC 6691)
// ---------------------------------------------------------------------------

mod segment_size {
    use super::*;

    /// A server whose 4,000-byte response starts at a client's first byte,
    /// to a client whose SYN announced MSS 1460, timestamps in use.
    #[test]
    fn timestamps_come_out_of_the_peers_mss() {
        let server = cfg_with(|c| {
            c.app = AppConfig {
                payload: Arc::from(vec![b'r'; 4000]),
                send_after: 1,
                expect: 1,
                close: CloseMode::Wait,
                close_on_peer_fin: true,
                ..AppConfig::default()
            }
        });
        let client = cfg_with(|c| c.app = AppConfig::default());
        let mut fx = established_with(client, server);
        assert!(fx.s.timestamps_ok());
        assert_eq!(fx.s.peer_mss(), 1460);
        assert_eq!(fx.s.effective_send_mss(), 1448);
        let mut seg = fx.seg(Who::Server, ACK | PSH, fx.c.snd_nxt(), fx.s.snd_nxt());
        // The client's clock, past its handshake's timestamps (PAWS).
        let now_ts = fx.p.c.ts_clock(fx.now).wrapping_add(fx.c.ts_offset());
        seg.options.timestamps = Some(Timestamps {
            tsval: now_ts,
            tsecr: now_ts,
        });
        let out = fx.inject(Who::Server, &seg, b"q");
        let r = reply(&out);
        // 20 (IPv4) + 20 + 12 (TCP and timestamps) + 1448 = 1500, the
        // Ethernet MTU.
        assert_eq!(r.data_len, 1448, "{r:?}");
        assert!(r.repr.options.timestamps.is_some());
    }
}

// ---------------------------------------------------------------------------
// The peer's window (RFC 9293 §3.8.6, §3.10.7.4): sending within it, the
// persist timer and window probes, trimming what arrives beyond ours
// ---------------------------------------------------------------------------

mod window {
    use super::*;

    /// The server's response length.
    const RESPONSE_LEN: usize = 100_000;

    /// A server answering the first request byte with `RESPONSE_LEN`
    /// bytes (then closing with `close`), a client that sends nothing (its
    /// segments are injected by hand).
    fn big_response(close: CloseMode) -> Fx {
        let server = cfg_with(|c| {
            c.app = AppConfig {
                payload: Arc::from(vec![b'r'; RESPONSE_LEN]),
                send_after: 1,
                expect: 1,
                close,
                close_on_peer_fin: true,
                ..AppConfig::default()
            }
        });
        let client = cfg_with(|c| c.app = AppConfig::default());
        established_with(client, server)
    }

    /// A client segment acknowledging `ack` with window field `wnd` (the
    /// client offered window scale 7: `wnd` × 128 bytes), carrying
    /// `data`.
    fn from_client(fx: &Fx, ack: SeqNum, wnd: u16, data: usize) -> TcpRepr {
        let mut seg = fx.seg(Who::Server, ACK, fx.c.snd_nxt() + data_sent(fx), ack);
        if data > 0 {
            seg.flags |= PSH;
        }
        seg.window = wnd;
        seg
    }

    /// Request bytes the client "sent" so far (kept in the server's
    /// RCV.NXT).
    fn data_sent(fx: &Fx) -> u32 {
        fx.s.rcv_nxt() - fx.c.snd_nxt()
    }

    /// The request byte, with the client's window field `wnd`.
    fn request(fx: &mut Fx, wnd: u16) -> Outcome {
        let seg = from_client(fx, fx.s.snd_nxt(), wnd, 1);
        fx.inject(Who::Server, &seg, b"q")
    }

    /// Never past SND.UNA + SND.WND: with a 1,024-byte window each segment
    /// carries 1,024 bytes (not the MSS), the next only once the window
    /// moves.
    #[test]
    fn data_stops_at_the_peer_window() {
        let mut fx = big_response(CloseMode::Wait);
        let out = request(&mut fx, 8);
        let r = reply(&out);
        assert_eq!((r.data_offset, r.data_len), (0, 1024));
        assert_eq!(fx.s.snd_nxt(), fx.s.snd_una() + 1024);
        // A duplicate ACK with the window full: nothing more to send.
        let seg = from_client(&fx, fx.s.snd_una(), 8, 0);
        let out = fx.inject(Who::Server, &seg, &[]);
        assert!(out.reply.is_none(), "{out:?}");
        // The window moves: the next 1,024 bytes.
        let seg = from_client(&fx, fx.s.snd_nxt(), 8, 0);
        let out = fx.inject(Who::Server, &seg, &[]);
        let r = reply(&out);
        assert_eq!((r.data_offset, r.data_len), (1024, 1024));
        assert_eq!(fx.p.sa.payload(&r), &[b'r'; 1024][..]);
        // A window of 300 bytes (field 2 is 256, 3 is 384): partial
        // segments fill it exactly.
        let seg = from_client(&fx, fx.s.snd_nxt(), 3, 0);
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_eq!(reply(&out).data_len, 384);
    }

    /// A zero window: nothing goes out, the persist timer sends probes
    /// (SEQ = SND.UNA − 1, no data) with exponential backoff while the
    /// peer answers with a zero window; once the window opens, data flows
    /// and the backoff ends. No probe counts as a retransmission.
    #[test]
    fn zero_window_probes_back_off_until_it_opens() {
        let mut fx = big_response(CloseMode::Wait);
        let out = request(&mut fx, 0);
        let ack = reply(&out);
        assert_eq!(ack.data_len, 0, "only the request's ACK");
        assert_eq!(fx.s.snd_nxt(), fx.s.snd_una());
        let rto = fx.p.s.cfg.rto_us;
        assert_eq!(fx.s.deadline(), fx.now + rto, "the persist timer");
        let mut expect = rto;
        for i in 0..6 {
            fx.now = fx.s.deadline();
            let out = fx.timer(Who::Server, fx.now);
            assert_eq!(out.events, Events::WINDOW_PROBE, "probe {i}");
            let r = reply(&out);
            assert_eq!(r.repr.flags, ACK);
            assert_eq!(r.repr.seq, fx.s.snd_una() - 1);
            assert_eq!(r.data_len, 0);
            expect *= 2;
            assert_eq!(fx.s.deadline(), fx.now + expect, "backoff after probe {i}");
            // The peer answers, its window still closed.
            fx.now += MS;
            let seg = from_client(&fx, fx.s.snd_una(), 0, 0);
            let out = fx.inject(Who::Server, &seg, &[]);
            assert!(out.reply.is_none(), "{out:?}");
            assert_eq!(fx.s.deadline(), fx.now - MS + expect, "the timer runs on");
        }
        // The window opens: data at once, the retransmission timer armed.
        let seg = from_client(&fx, fx.s.snd_una(), 8, 0);
        let out = fx.inject(Who::Server, &seg, &[]);
        let r = reply(&out);
        assert_eq!((r.data_offset, r.data_len), (0, 1024));
        assert_eq!(fx.s.retries(), 0);
        assert_eq!(fx.s.deadline(), fx.now + rto);
    }

    /// Probes that go unanswered: after `retries` of them the connection
    /// gives up (RFC 9293 §3.8.3), as a retransmission would.
    #[test]
    fn unanswered_probes_end_the_connection() {
        let mut fx = big_response(CloseMode::Wait);
        request(&mut fx, 0);
        let retries = fx.p.s.cfg.retries;
        for _ in 0..retries {
            fx.now = fx.s.deadline();
            let out = fx.timer(Who::Server, fx.now);
            assert_eq!(out.events, Events::WINDOW_PROBE);
        }
        fx.now = fx.s.deadline();
        let out = fx.timer(Who::Server, fx.now);
        assert_eq!(out.end, Some(End::RetriesExceeded));
        assert!(out.reply.is_none());
    }

    /// Our FIN takes a sequence number: it waits for room in the window
    /// too, probing meanwhile.
    #[test]
    fn fin_waits_for_room_in_the_window() {
        let mut fx = established();
        let seg = from_client(&fx, fx.s.snd_nxt(), 0, 0);
        fx.inject(Who::Server, &seg, &[]);
        let out = fx.close(Who::Server);
        assert!(out.reply.is_none(), "{out:?}");
        assert_eq!(fx.s.state(), State::FinWait1);
        fx.now = fx.s.deadline();
        assert_eq!(fx.timer(Who::Server, fx.now).events, Events::WINDOW_PROBE);
        let seg = from_client(&fx, fx.s.snd_nxt(), 1, 0);
        let out = fx.inject(Who::Server, &seg, &[]);
        assert_events(&out, Events::FIN_TX);
        assert!(reply(&out).repr.flags.fin());
    }

    /// A response above 64 KiB: segments name offsets beyond 16 bits and
    /// carry the right bytes; the last one ends exactly at the response's
    /// end.
    #[test]
    fn a_response_beyond_64_kib_is_sent_whole() {
        let mut fx = big_response(CloseMode::Fin);
        let mut out = request(&mut fx, 0xffff);
        let mut got = 0usize;
        loop {
            let r = reply(&out);
            if r.data_len == 0 {
                break;
            }
            assert_eq!(r.data_offset as usize, got);
            assert_eq!(fx.p.sa.payload(&r).len(), usize::from(r.data_len));
            got += usize::from(r.data_len);
            if r.repr.flags.fin() {
                break;
            }
            let seg = from_client(&fx, fx.s.snd_nxt(), 0xffff, 0);
            out = fx.inject(Who::Server, &seg, &[]);
        }
        assert_eq!(got, RESPONSE_LEN);
        assert_eq!(fx.s.state(), State::FinWait1);
    }

    /// Text beyond the window we advertise is trimmed (RFC 9293
    /// §3.10.7.4): 65,408 bytes (511 << 7) are taken, the rest and the FIN
    /// behind it are not.
    #[test]
    fn text_beyond_the_advertised_window_is_trimmed() {
        let mut fx = established();
        let advertised = 511u32 << 7;
        let data = vec![b'x'; advertised as usize + 100];
        let mut seg = fx.seg(Who::Server, ACK | PSH | FIN, fx.c.snd_nxt(), fx.s.snd_nxt());
        seg.window = 502;
        let before = fx.s.rcv_nxt();
        let out = fx.inject(Who::Server, &seg, &data);
        assert_events(&out, Events::DATA_RX);
        assert_eq!(fx.s.bytes_received(), advertised);
        assert_eq!(fx.s.rcv_nxt(), before + advertised);
        assert_eq!(fx.s.state(), State::Established, "the FIN lies beyond");
        assert_eq!(reply(&out).repr.ack, before + advertised);
    }

    /// Acceptability uses the window we advertise after scaling, 65,408
    /// bytes, not the configured 65,535.
    #[test]
    fn acceptance_uses_the_advertised_window() {
        let mut fx = established();
        let rcv = fx.s.rcv_nxt();
        assert_eq!(reply(&fx.close(Who::Client)).repr.window, 511);
        let inside = fx.seg(Who::Server, ACK, rcv + (511 << 7) - 1, fx.s.snd_nxt());
        let out = fx.inject(Who::Server, &inside, b"y");
        assert!(!out.events.contains(Events::OUT_OF_WINDOW), "{out:?}");
        let beyond = fx.seg(Who::Server, ACK, rcv + (511 << 7), fx.s.snd_nxt());
        let out = fx.inject(Who::Server, &beyond, b"y");
        assert_events(&out, Events::OUT_OF_WINDOW);
    }
}

// ---------------------------------------------------------------------------
// Duplicate ACKs answering invalid segments: one per 500 ms per connection
// (Linux's tcp_oow_rate_limited, tcp_invalid_ratelimit)
// ---------------------------------------------------------------------------

mod oow_limit {
    use super::*;

    /// Sends `seg` (with `data`) to the server `n` times, 10 ms apart;
    /// returns (answered, held back).
    fn flood(fx: &mut Fx, seg: &TcpRepr, data: &[u8], n: u64) -> (u32, u32) {
        let (mut answered, mut held) = (0, 0);
        let start = fx.now;
        for i in 0..n {
            fx.now = start + i * 10 * MS;
            let out = fx.inject(Who::Server, seg, data);
            match out.reply {
                Some(r) => {
                    assert_eq!((r.repr.seq, r.repr.ack), (fx.s.snd_nxt(), fx.s.rcv_nxt()));
                    answered += 1;
                }
                None => {
                    assert!(out.events.contains(Events::DUP_ACK_LIMITED), "{out:?}");
                    held += 1;
                }
            }
        }
        (answered, held)
    }

    /// A flood of out-of-window ACKs on one connection: one answer per
    /// 500 ms, every one counted.
    #[test]
    fn out_of_window_acks_get_one_answer_per_500_ms() {
        let mut fx = established();
        let stale = fx.seg(Who::Server, ACK, fx.s.rcv_nxt() - 100_000, fx.s.snd_nxt());
        assert_eq!(flood(&mut fx, &stale, &[], 200), (4, 196));
        assert_eq!(fx.s.state(), State::Established);
    }

    /// PAWS-failing ACKs and ACKs of data never sent are limited alike.
    #[test]
    fn paws_failures_and_acks_of_unsent_data_too() {
        let mut fx = established();
        let mut old = fx.seg(Who::Server, ACK, fx.s.rcv_nxt(), fx.s.snd_nxt());
        let ts = fx.p.c.ts_clock(T0).wrapping_add(fx.c.ts_offset());
        old.options.timestamps = Some(Timestamps {
            tsval: ts.wrapping_sub(1000),
            tsecr: 0,
        });
        assert_eq!(flood(&mut fx, &old, &[], 50), (1, 49));
        let mut fx = established();
        let ahead = fx.seg(Who::Server, ACK, fx.s.rcv_nxt(), fx.s.snd_nxt() + 5000);
        assert_eq!(flood(&mut fx, &ahead, &[], 50), (1, 49));
    }

    /// A segment with data is always answered (it is no ACK loop, and its
    /// sender needs the ACK), as in Linux.
    #[test]
    fn segments_with_data_are_always_answered() {
        let mut fx = established();
        let stale = fx.seg(
            Who::Server,
            ACK | PSH,
            fx.s.rcv_nxt() - 100_000,
            fx.s.snd_nxt(),
        );
        assert_eq!(flood(&mut fx, &stale, b"data", 20), (20, 0));
    }
}

// ---------------------------------------------------------------------------
// Clocks that do not restart with the process: TSvals (RFC 7323 §5.4) and
// ISNs (RFC 6528 §3) from the real clock at the engine's time 0, cookie
// periods from the wall clock
// ---------------------------------------------------------------------------

mod clocks {
    use super::*;
    use synwave::tcp::RealClock;

    const BOOT: u64 = 3_600 * SEC;

    /// A client context of a run that started `started` µs after boot.
    fn run(started: u64) -> TcpContext {
        TcpContext::new(cfg().tcp, Secrets::from_seed(5)).with_real_clock(RealClock {
            boot_us: started,
            wall_us: 1_700_000_000 * SEC + started,
        })
    }

    /// A second run on the same tuple, a second after the first ended,
    /// sends a SYN whose TSval and ISN lie beyond the first run's last
    /// ones (a peer's TIME-WAIT accepts it, PAWS passes), though its own
    /// clock starts at 0 again.
    #[test]
    fn a_later_run_continues_timestamps_and_isns() {
        let ct = server_tuple(CLIENT_PORT).reversed();
        let mut first = run(BOOT);
        let (a, out) = Tcb::connect(&mut first, &ct, 10 * SEC, AppState::default());
        let (ts1, isn1) = (tsval(&reply(&out)), a.iss());
        let mut second = run(BOOT + 11 * SEC);
        let (b, out) = Tcb::connect(&mut second, &ct, MS, AppState::default());
        let (ts2, isn2) = (tsval(&reply(&out)), b.iss());
        assert_eq!(a.ts_offset(), b.ts_offset(), "one offset per tuple");
        assert!(
            (ts2.wrapping_sub(ts1) as i32) > 0,
            "TSval {ts2} not after {ts1}"
        );
        assert_eq!(ts2.wrapping_sub(ts1), 1_001);
        assert!(isn2 > isn1, "ISN {isn2:?} not after {isn1:?}");
        // Another tuple has another offset.
        let other = server_tuple(CLIENT_PORT + 1).reversed();
        let (c, _) = Tcb::connect(&mut second, &other, MS, AppState::default());
        assert_ne!(c.ts_offset(), b.ts_offset());
    }

    /// Instances started at different times with one seed agree on cookie
    /// periods (the wall clock): a cookie made by one is accepted by the
    /// other, two minutes younger.
    #[test]
    fn cookies_of_one_seed_hold_across_instances() {
        let wall = 1_700_000_000 * SEC;
        let server = |started: u64| {
            let tcp = cfg_with(|c| c.cookies = CookiePolicy::Always).tcp;
            TcpContext::new(tcp, Secrets::from_seed(2)).with_real_clock(RealClock {
                boot_us: started,
                wall_us: wall + started,
            })
        };
        let mut early = server(0);
        let mut late = server(120 * SEC);
        let app = Canned::default();
        let mut p = Pair::new(cfg(), cfg());
        let (mut c, syn) = p.connect(T0);
        let t = 300 * SEC;
        let (_, out) = on_listen(&mut early, &app, &p.st, &syn.repr, &[], None, t);
        let synack = reply(&out);
        let out = p.client_gets(&mut c, &synack, T0 + MS);
        let ack = reply(&out);
        let (s, out) = on_listen(&mut late, &app, &p.st, &ack.repr, &[], None, t - 120 * SEC);
        assert!(s.is_some(), "{out:?}");
        assert_events(&out, Events::COOKIE_OK);
    }
}

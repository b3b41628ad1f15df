//! The connection's timers besides loss recovery: delayed ACKs (RFC 9293
//! §3.8.6.3, RFC 5681 §4.2; `--delayed-ack`) and the retransmission
//! timeout computed from round-trip samples taken from the timestamp echo
//! (RFC 6298 §2, RFC 7323 §4). A client record driven by hand-made
//! server segments, the time set by the test.

use std::sync::Arc;

use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::flow::FourTuple;
use synwave::tcp::{AppState, Events, Outcome, Secrets, State, Tcb, TcpConfig, TcpContext};
use synwave::wire::{SeqNum, TcpFlags, TcpOptions, TcpRepr, Timestamps};

const T0: u64 = 100_000_000;
const REQUEST: usize = 100;
const SEGMENT: usize = 1000;
const SERVER_ISN: u32 = 70_000;

struct Client {
    ctx: TcpContext,
    app: Canned,
    tuple: FourTuple,
    tcb: Tcb,
    now: u64,
    /// The server's next sequence number.
    seq: SeqNum,
    /// The server's TSval clock.
    server_ts: u32,
    /// The client's last TSval (what the server echoes).
    echo: u32,
}

impl Client {
    /// A client expecting a `response`-byte answer, its SYN answered
    /// `rtt_us` after it went out (with timestamps when `timestamps`);
    /// the request is out.
    fn new(cfg: TcpConfig, response: usize, rtt_us: u64, timestamps: bool) -> Client {
        let app = Canned::new(AppConfig {
            payload: Arc::from(vec![b'q'; REQUEST]),
            expect: response as u32,
            close: CloseMode::Fin,
            ..AppConfig::default()
        });
        let tuple = FourTuple {
            local_ip: [10, 0, 0, 1],
            remote_ip: [10, 0, 0, 2],
            local_port: 40_000,
            remote_port: 80,
        };
        let mut ctx = TcpContext::new(cfg, Secrets::from_seed(3));
        let (tcb, out) = Tcb::connect(&mut ctx, &tuple, T0, AppState::default());
        let syn = out.reply.expect("a SYN").repr;
        let echo = syn.options.timestamps.map_or(0, |t| t.tsval);
        let mut c = Client {
            ctx,
            app,
            tuple,
            tcb,
            now: T0 + rtt_us,
            seq: SeqNum(SERVER_ISN),
            server_ts: 1_000,
            echo,
        };
        let mut syn_ack = c.seg(TcpFlags::SYN | TcpFlags::ACK, syn.seq + 1, timestamps);
        syn_ack.options.mss = Some(1460);
        let out = c.gets(syn_ack, &[]);
        c.seq += 1;
        assert_eq!(c.tcb.state(), State::Established);
        let request = out.reply.expect("the request").repr;
        assert_eq!(c.tcb.snd_nxt() - request.seq, REQUEST as u32);
        c.note(&request);
        c
    }

    fn seg(&self, flags: TcpFlags, ack: SeqNum, timestamps: bool) -> TcpRepr {
        TcpRepr {
            src_port: 80,
            dst_port: 40_000,
            seq: self.seq,
            ack,
            flags,
            window: 65_535,
            options: TcpOptions {
                timestamps: timestamps.then_some(Timestamps {
                    tsval: self.server_ts,
                    tsecr: self.echo,
                }),
                ..TcpOptions::default()
            },
        }
    }

    fn note(&mut self, r: &TcpRepr) {
        if let Some(t) = r.options.timestamps {
            self.echo = t.tsval;
        }
    }

    fn gets(&mut self, seg: TcpRepr, payload: &[u8]) -> Outcome {
        let out = self.tcb.on_segment(
            &mut self.ctx,
            &self.app,
            &self.tuple,
            &seg,
            payload,
            self.now,
        );
        if let Some(r) = &out.reply {
            self.note(&r.repr);
        }
        out
    }

    /// The server's next data segment of `len` bytes, acknowledging the
    /// whole request.
    fn data(&mut self, len: usize) -> Outcome {
        let ack = self.tcb.snd_nxt();
        let seg = self.seg(TcpFlags::ACK | TcpFlags::PSH, ack, true);
        self.seq += len as u32;
        self.gets(seg, &vec![b'r'; len])
    }

    fn timer(&mut self) -> Outcome {
        self.now = self.tcb.deadline();
        self.tcb
            .on_timer(&mut self.ctx, &self.app, &self.tuple, self.now)
    }
}

fn delaying(ms: u64) -> TcpConfig {
    TcpConfig {
        delayed_ack_us: ms * 1000,
        idle_timeout_us: 0,
        rtt_samples: true,
        ..TcpConfig::default()
    }
}

#[test]
fn without_delay_every_data_segment_is_acknowledged_at_once() {
    let mut c = Client::new(delaying(0), 3 * SEGMENT, 50, true);
    for i in 1..=2 {
        let out = c.data(SEGMENT);
        let ack = out.reply.expect("an ACK at once").repr;
        assert_eq!(ack.ack, c.seq, "segment {i}");
        assert!(!out.events.contains(Events::DELAYED_ACK));
    }
}

#[test]
fn the_first_segment_waits_and_the_second_is_acknowledged_at_once() {
    let mut c = Client::new(delaying(40), 3 * SEGMENT, 50, true);
    let out = c.data(SEGMENT);
    assert!(out.reply.is_none(), "the first segment's ACK waits");
    assert_eq!(c.tcb.deadline(), c.now + 40_000, "the delayed-ACK timer");
    let out = c.data(SEGMENT);
    let ack = out
        .reply
        .expect("the second segment is acknowledged at once");
    assert_eq!(ack.repr.ack, c.seq, "one ACK covers both");
    assert_eq!(ack.data_len, 0);
    // The last segment completes the response: the FIN carries the ACK.
    let out = c.data(SEGMENT);
    let fin = out.reply.expect("the client's FIN").repr;
    assert!(fin.flags.fin());
    assert_eq!(fin.ack, c.seq);
}

#[test]
fn the_timer_sends_the_delayed_ack() {
    let mut c = Client::new(delaying(40), 3 * SEGMENT, 50, true);
    let sent_at = c.now;
    assert!(c.data(SEGMENT).reply.is_none());
    let out = c.timer();
    assert_eq!(c.now - sent_at, 40_000);
    assert_eq!(out.events, Events::DELAYED_ACK);
    let ack = out.reply.expect("the delayed ACK").repr;
    assert_eq!(ack.ack, c.seq);
    assert_eq!(ack.flags, TcpFlags::ACK);
    assert_eq!(c.tcb.deadline(), 0, "no timer left (idle timeout off)");
    // The next segment starts a new wait.
    c.now += 1_000;
    assert!(c.data(SEGMENT).reply.is_none());
    assert_eq!(c.tcb.deadline(), c.now + 40_000);
}

#[test]
fn out_of_order_data_and_fins_are_acknowledged_at_once() {
    let mut c = Client::new(delaying(40), 3 * SEGMENT, 50, true);
    // A segment beyond RCV.NXT (the one before it lost): a duplicate ACK
    // now (RFC 5681 §4.2).
    let ack = c.tcb.snd_nxt();
    let mut seg = c.seg(TcpFlags::ACK | TcpFlags::PSH, ack, true);
    seg.seq = c.seq + SEGMENT as u32;
    let out = c.gets(seg, &[b'r'; SEGMENT]);
    assert_eq!(out.reply.expect("a duplicate ACK").repr.ack, c.seq);
    // Data with a FIN.
    let seg = c.seg(TcpFlags::ACK | TcpFlags::FIN, ack, true);
    let out = c.gets(seg, &[b'r'; 10]);
    let reply = out.reply.expect("the FIN is acknowledged at once").repr;
    assert_eq!(reply.ack, c.seq + 11);
}

#[test]
fn an_idle_timeout_resumes_after_the_delayed_ack() {
    let cfg = TcpConfig {
        idle_timeout_us: 5_000_000,
        ..delaying(40)
    };
    let mut c = Client::new(cfg, 3 * SEGMENT, 50, true);
    assert!(c.data(SEGMENT).reply.is_none());
    assert_eq!(c.tcb.deadline(), c.now + 40_000);
    let out = c.timer();
    assert!(out.reply.is_some());
    assert_eq!(c.tcb.deadline(), c.now + 5_000_000, "the idle timer again");
}

#[test]
fn round_trip_samples_set_the_retransmission_timeout() {
    // The SYN-ACK comes 300 ms after the SYN: SRTT 300 ms, RTTVAR 150 ms,
    // RTO = 300 + 4 × 150 = 900 ms (RFC 6298 §2.2).
    let mut c = Client::new(delaying(0), 3 * SEGMENT, 300_000, true);
    assert_eq!(c.tcb.srtt_us(), Some(300_000));
    assert_eq!(c.tcb.rttvar_us(), 150_000);
    assert_eq!(c.tcb.deadline(), c.now + 900_000, "the request's timer");
    // The response acknowledges the request 100 ms later: R = 100 ms,
    // RTTVAR = 3/4 × 150 + 1/4 × 200 = 162.5, SRTT = 7/8 × 300 + 1/8 × 100
    // = 275 ms (§2.3).
    c.now += 100_000;
    c.data(SEGMENT);
    assert_eq!(c.tcb.srtt_us(), Some(275_000));
    assert_eq!(c.tcb.rttvar_us(), 162_500);
}

#[test]
fn short_round_trips_keep_the_minimum_timeout() {
    let c = Client::new(delaying(0), 3 * SEGMENT, 2_000, true);
    assert_eq!(c.tcb.srtt_us(), Some(2_000));
    // 2 + 4 × 1 ms is under the 200 ms floor (`--rto-min`).
    assert_eq!(c.tcb.deadline(), c.now + 200_000);
}

#[test]
fn without_timestamps_no_sample_is_taken() {
    let c = Client::new(delaying(0), 3 * SEGMENT, 300_000, false);
    assert_eq!(c.tcb.srtt_us(), None);
    assert_eq!(
        c.tcb.deadline(),
        c.now + 200_000,
        "`rto_us` stays the timeout"
    );
}

#[test]
fn an_echo_from_the_future_is_no_sample() {
    let mut c = Client::new(delaying(0), 3 * SEGMENT, 50_000, true);
    assert_eq!(c.tcb.srtt_us(), Some(50_000));
    c.echo = c.echo.wrapping_add(1_000_000);
    c.data(SEGMENT);
    assert_eq!(c.tcb.srtt_us(), Some(50_000));
}

#[test]
fn the_ack_of_our_fin_alone_is_no_sample() {
    let mut c = Client::new(delaying(0), SEGMENT, 300_000, true);
    c.now += 100_000;
    let out = c.data(SEGMENT);
    let fin = out.reply.expect("the client's FIN").repr;
    assert!(fin.flags.fin());
    let before = c.tcb.srtt_us();
    assert_eq!(before, Some(275_000));
    c.now += 900_000;
    let ack = c.seg(TcpFlags::ACK, fin.seq + 1, true);
    c.gets(ack, &[]);
    assert_eq!(c.tcb.state(), State::FinWait2);
    assert_eq!(
        c.tcb.srtt_us(),
        before,
        "nothing left to time after our FIN"
    );
}

#[test]
fn by_default_no_sample_is_taken() {
    let cfg = TcpConfig {
        idle_timeout_us: 0,
        ..TcpConfig::default()
    };
    let c = Client::new(cfg, SEGMENT, 300_000, true);
    assert_eq!(c.tcb.srtt_us(), None, "--rto-from-rtt is off by default");
    assert_eq!(c.tcb.deadline(), c.now + 200_000);
}

//! The send window of `synwave::tcp` (RFC 5681, RFC 6582, RFC 6928,
//! RFC 6298 §5): a server record with a response of many segments,
//! driven by hand-made client segments, and whole transfers over the
//! simulated lossy link.

use std::sync::Arc;

use synwave::app::{AppConfig, Canned, CloseMode};
use synwave::flow::FourTuple;
use synwave::sim::{CloseKind, Impairment, SimConfig, run};
use synwave::tcp::{
    CookiePolicy, Events, Outcome, Reply, Secrets, State, Tcb, TcpConfig, TcpContext, on_listen,
};
use synwave::wire::{SeqNum, TcpFlags, TcpOptions, TcpRepr};

const T0: u64 = 100_000_000;
const MSS: u32 = 1000;
const REQUEST: &[u8] = b"GET /big HTTP/1.1\r\n\r\n";
const CLIENT_ISN: u32 = 5_000;

struct Server {
    ctx: TcpContext,
    app: Canned,
    tuple: FourTuple,
    tcb: Tcb,
    now: u64,
    /// Highest sequence number sent so far (data end).
    sent_end: SeqNum,
}

fn names(e: Events) -> Vec<&'static str> {
    Events::ALL
        .iter()
        .filter(|(x, _)| e.contains(*x))
        .map(|(_, n)| *n)
        .collect()
}

impl Server {
    /// A server with a `response`-byte answer, ESTABLISHED with a client
    /// that announced MSS 1000 and window `window` (no scaling, no
    /// timestamps), the request delivered. Returns it with the segments
    /// its answer and `send_more` sent.
    fn new(response: usize, init_cwnd: u16, window: u16) -> (Server, Vec<Reply>) {
        let cfg = TcpConfig {
            idle_timeout_us: 0,
            cookies: CookiePolicy::Never,
            init_cwnd,
            ..TcpConfig::default()
        };
        let app = Canned::new(AppConfig {
            payload: Arc::from(vec![b'x'; response]),
            send_after: REQUEST.len() as u32,
            expect: REQUEST.len() as u32,
            close: CloseMode::Wait,
            close_on_peer_fin: true,
            ..AppConfig::default()
        });
        let tuple = FourTuple {
            local_ip: [10, 0, 0, 2],
            remote_ip: [10, 0, 0, 1],
            local_port: 80,
            remote_port: 40_000,
        };
        let mut ctx = TcpContext::new(cfg, Secrets::from_seed(7));
        let syn = TcpRepr {
            src_port: 40_000,
            dst_port: 80,
            seq: SeqNum(CLIENT_ISN),
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window,
            options: TcpOptions {
                mss: Some(MSS as u16),
                ..TcpOptions::default()
            },
        };
        let (tcb, out) = on_listen(&mut ctx, &app, &tuple, &syn, &[], None, T0);
        let tcb = tcb.expect("a SYN-RECEIVED record");
        let iss = out.reply.expect("a SYN-ACK").repr.seq;
        let mut s = Server {
            ctx,
            app,
            tuple,
            tcb,
            now: T0,
            sent_end: iss + 1,
        };
        let ack = s.seg(TcpFlags::ACK | TcpFlags::PSH, iss + 1, window);
        let out = s.gets(&ack, REQUEST);
        assert_eq!(s.tcb.state(), State::Established);
        let mut sent = s.take(out);
        sent.extend(s.more());
        (s, sent)
    }

    /// A client segment acknowledging `ack` with `window`.
    fn seg(&self, flags: TcpFlags, ack: SeqNum, window: u16) -> TcpRepr {
        TcpRepr {
            src_port: 40_000,
            dst_port: 80,
            seq: SeqNum(CLIENT_ISN + 1 + REQUEST.len() as u32),
            ack,
            flags,
            window,
            options: TcpOptions::default(),
        }
    }

    fn gets(&mut self, seg: &TcpRepr, payload: &[u8]) -> Outcome {
        let mut seg = *seg;
        if payload.is_empty() {
            // The request precedes every later segment.
        } else {
            seg.seq = SeqNum(CLIENT_ISN + 1);
        }
        self.tcb.on_segment(
            &mut self.ctx,
            &self.app,
            &self.tuple,
            &seg,
            payload,
            self.now,
        )
    }

    /// An ACK of `ack` from the client.
    fn ack(&mut self, ack: SeqNum, window: u16) -> Vec<Reply> {
        let seg = self.seg(TcpFlags::ACK, ack, window);
        let out = self.gets(&seg, &[]);
        let mut sent = self.take(out);
        sent.extend(self.more());
        sent
    }

    fn take(&mut self, out: Outcome) -> Vec<Reply> {
        out.reply.into_iter().inspect(|r| self.note(r)).collect()
    }

    fn note(&mut self, r: &Reply) {
        let end = r.repr.seq + u32::from(r.data_len);
        if end > self.sent_end {
            self.sent_end = end;
        }
    }

    /// Everything `send_more` gives now.
    fn more(&mut self) -> Vec<Reply> {
        let mut v = Vec::new();
        while let Some((r, _)) = self.tcb.send_more(&self.ctx, &self.tuple, self.now) {
            self.note(&r);
            v.push(r);
            assert!(v.len() < 10_000, "send_more never stops");
        }
        v
    }

    fn data_bytes(sent: &[Reply]) -> u32 {
        sent.iter().map(|r| u32::from(r.data_len)).sum()
    }
}

#[test]
fn the_initial_window_is_ten_segments_or_as_set() {
    let (s, sent) = Server::new(100_000, 10, 65_535);
    assert_eq!(sent.len(), 10, "RFC 6928's initial window");
    assert!(sent.iter().all(|r| u32::from(r.data_len) == MSS));
    assert_eq!(s.tcb.cwnd(), 10);
    let (_, sent) = Server::new(100_000, 3, 65_535);
    assert_eq!(sent.len(), 3, "--init-cwnd 3");
    // A response shorter than the window goes out whole.
    let (s, sent) = Server::new(2_500, 10, 65_535);
    assert_eq!(Server::data_bytes(&sent), 2_500);
    assert!(!s.tcb.wants_to_send());
}

#[test]
fn slow_start_doubles_the_window_each_round_and_the_transfer_completes() {
    let total = 300_000u32;
    let (mut s, mut flight) = Server::new(total as usize, 10, 65_535);
    let mut rounds = 0;
    let mut acked = s.tcb.snd_una();
    while Server::data_bytes(&flight) > 0 {
        rounds += 1;
        assert!(rounds < 100);
        let cwnd_before = s.tcb.cwnd();
        let mut next = Vec::new();
        // The client acknowledges every segment of the round.
        for r in &flight {
            let end = r.repr.seq + u32::from(r.data_len) + u32::from(r.repr.flags.fin());
            if end > acked {
                acked = end;
                next.extend(s.ack(acked, 65_535));
            }
        }
        if rounds == 1 {
            assert_eq!(s.tcb.cwnd(), 2 * cwnd_before, "slow start: +1 per ACK");
        }
        flight = next;
    }
    assert_eq!(
        s.tcb.snd_una(),
        s.tcb.iss() + 1 + total,
        "all data acknowledged"
    );
    // 300 segments: 10, 20, 40, … capped by the 64 KiB window: about 8
    // rounds, not one per segment.
    assert!(rounds <= 12, "{rounds} rounds");
}

#[test]
fn nothing_goes_past_the_peer_window() {
    let (mut s, sent) = Server::new(50_000, 10, 4_000);
    assert_eq!(Server::data_bytes(&sent), 4_000, "window 4000 < cwnd");
    let una = s.tcb.snd_una();
    // The client takes 2000 bytes and its window shrinks to 1000: 1000
    // more in flight from the new SND.UNA at most.
    let sent = s.ack(una + 2_000, 1_000);
    assert!(
        sent.iter()
            .all(|r| r.repr.seq + u32::from(r.data_len) <= una + 3_000)
    );
    assert_eq!(s.sent_end, una + 4_000);
    // Window 0: nothing; the persist timer takes over.
    let sent = s.ack(una + 4_000, 0);
    assert!(sent.is_empty());
    assert!(!s.tcb.wants_to_send());
    assert!(s.tcb.deadline() > 0);
}

#[test]
fn three_duplicate_acks_retransmit_and_recovery_resends_each_hole() {
    let (mut s, sent) = Server::new(100_000, 10, 65_535);
    assert_eq!(sent.len(), 10);
    let una = s.tcb.snd_una();
    // Segment 1 is lost: the client acknowledges nothing new, three times.
    for i in 0..2 {
        let out = s.ack(una, 65_535);
        assert!(out.is_empty(), "dup ACK {i} sends nothing");
    }
    let seg = s.seg(TcpFlags::ACK, una, 65_535);
    let out = s.gets(&seg, &[]);
    assert!(
        out.events
            .contains(Events::FAST_RETRANSMIT | Events::RETRANSMIT),
        "{:?}",
        names(out.events)
    );
    let r = out.reply.expect("the lost segment again");
    assert_eq!((r.repr.seq, u32::from(r.data_len)), (una, MSS));
    assert_eq!(s.tcb.ssthresh(), 5, "FlightSize 10 / 2");
    assert!(s.more().is_empty(), "no new data in recovery");
    // A partial ACK (segments 1-3 arrived, 4 lost too): 4 is resent.
    let out = s.gets(&s.seg(TcpFlags::ACK, una + 3 * MSS, 65_535), &[]);
    let r = out.reply.expect("the next hole");
    assert_eq!(r.repr.seq, una + 3 * MSS);
    assert!(out.events.contains(Events::FAST_RETRANSMIT));
    // The full ACK ends recovery at cwnd = ssthresh: new data flows again.
    let sent = s.ack(una + 10 * MSS, 65_535);
    assert_eq!(s.tcb.cwnd(), 5);
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[0].repr.seq, una + 10 * MSS);
}

#[test]
fn a_timeout_resends_from_snd_una_in_slow_start() {
    let (mut s, sent) = Server::new(100_000, 10, 65_535);
    assert_eq!(sent.len(), 10);
    let una = s.tcb.snd_una();
    let deadline = s.tcb.deadline();
    s.now = deadline;
    let out = s.tcb.on_timer(&mut s.ctx, &s.app, &s.tuple, s.now);
    assert!(out.events.contains(Events::RETRANSMIT));
    let r = out.reply.expect("a retransmission");
    assert_eq!((r.repr.seq, u32::from(r.data_len)), (una, MSS));
    assert_eq!((s.tcb.cwnd(), s.tcb.ssthresh()), (1, 5));
    assert!(s.more().is_empty(), "the loss window is one segment");
    // Its ACK: two more, from where the retransmission ended (go-back-N).
    let sent = s.ack(una + MSS, 65_535);
    let seqs: Vec<_> = sent.iter().map(|r| r.repr.seq).collect();
    assert_eq!(seqs, vec![una + MSS, una + 2 * MSS]);
    // The client had segments 2-10 already: its ACK covers data sent
    // before the timeout, beyond SND.NXT, and is taken.
    let sent = s.ack(una + 10 * MSS, 65_535);
    assert_eq!(s.tcb.snd_una(), una + 10 * MSS);
    assert!(!sent.is_empty());
    assert_eq!(sent[0].repr.seq, una + 10 * MSS);
    // An ACK beyond anything queued is still refused.
    let out = s.gets(&s.seg(TcpFlags::ACK, una + 200_000, 65_535), &[]);
    assert!(out.events.contains(Events::OUT_OF_WINDOW));
    assert_eq!(s.tcb.snd_una(), una + 10 * MSS);
}

#[test]
fn large_responses_complete_over_a_lossy_link() {
    for (loss, seed) in [(0.0, 1), (0.01, 2), (0.03, 3)] {
        let report = run(&SimConfig {
            connections: 40,
            concurrency: 8,
            impairment: Impairment::lossy(loss),
            seed,
            close: CloseKind::ClientFin,
            cookies: CookiePolicy::Never,
            request_bytes: 64,
            response_bytes: 200_000,
            delay_us: 100,
            ..SimConfig::default()
        });
        assert_eq!(report.completed, 40, "loss {loss}: {report:?}");
        assert_eq!(report.records_left, 0);
        let retransmitted = report.server.event(Events::RETRANSMIT);
        if loss > 0.0 {
            assert!(retransmitted > 0, "loss {loss}: nothing retransmitted");
        } else {
            assert_eq!(retransmitted, 0);
        }
        if loss == 0.0 {
            // Each of the 200 segments of a response sent once.
            let segments = 200_000u64.div_ceil(1448);
            assert_eq!(report.server.event(Events::DATA_TX), 40 * segments);
        }
    }
}

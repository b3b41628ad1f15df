//! Passive open and segments for which no connection record exists
//! (RFC 9293 §3.10.7.1 CLOSED and §3.10.7.2 LISTEN), with SYN cookies
//! (RFC 4987 §3.6) under the configured policy:
//!
//! - `Always`: every SYN is answered with a cookie SYN-ACK, no state;
//! - `OnOverload`: SYNs create SYN-RECEIVED records until the SYN queue is
//!   full, then cookies;
//! - `Never`: SYNs beyond the queue bound are dropped.
//!
//! An ACK for an unknown four-tuple is checked as a cookie (unless the
//! policy is `Never`); a valid one creates the connection in ESTABLISHED and
//! the same segment's data and FIN are then processed. Invalid cookies are
//! dropped under `Always` (cookie floods get no answer) and reset otherwise.

use super::app_state::AppState;
use super::application::Application;
use super::config::CookiePolicy;
use super::context::TcpContext;
use super::cookie::{CookieOptions, decode_ts_options, encode_ts_options};
use super::flags::ConnFlags;
use super::input::reset_for_ack;
use super::outcome::{Events, Outcome, Reply};
use super::state::State;
use super::tcb::{DEFAULT_MSS, Tcb};
use crate::flow::FourTuple;
use crate::wire::{Family, SeqNum, TcpFlags, TcpOptions, TcpRepr, Timestamps};

/// A segment arrived for a listening port without a connection record.
/// Returns the new record, if one is created, and the outcome (a SYN-ACK,
/// a RST, or nothing). `isn` is the ISN proposed by a TIME-WAIT reopen;
/// `app` takes a cookie connection's data (its ACK may carry some).
pub fn on_listen<A: Application>(
    ctx: &mut TcpContext,
    app: &A,
    tuple: &FourTuple<impl Family>,
    seg: &TcpRepr,
    payload: &[u8],
    isn: Option<SeqNum>,
    now: u64,
) -> (Option<Tcb>, Outcome) {
    on_listen_as(ctx, app, tuple, seg, payload, isn, now, AppState::default())
}

/// `on_listen`, a record it creates starting with the application state
/// `initial` (the server program chosen for the listening port).
#[allow(clippy::too_many_arguments)]
pub fn on_listen_as<A: Application>(
    ctx: &mut TcpContext,
    app: &A,
    tuple: &FourTuple<impl Family>,
    seg: &TcpRepr,
    payload: &[u8],
    isn: Option<SeqNum>,
    now: u64,
    initial: AppState,
) -> (Option<Tcb>, Outcome) {
    let f = seg.flags;
    if f.rst() {
        return (None, Outcome::events(Events::DROPPED));
    }
    if f.ack() {
        if !f.syn() && ctx.cfg.cookies != CookiePolicy::Never {
            if let Some(mut tcb) = from_cookie(ctx, tuple, seg, now) {
                tcb.app = initial;
                return established_from_cookie(ctx, app, tuple, tcb, seg, payload, now);
            }
            if ctx.cfg.cookies == CookiePolicy::Always {
                return (None, Outcome::events(Events::COOKIE_BAD | Events::DROPPED));
            }
            let mut out = rate_limited_reset(ctx, reset_for_ack(tuple, seg), now);
            out.events |= Events::COOKIE_BAD;
            return (None, out);
        }
        // LISTEN: any ACK is bad; <SEQ=SEG.ACK><CTL=RST>.
        return (
            None,
            rate_limited_reset(ctx, reset_for_ack(tuple, seg), now),
        );
    }
    if !f.syn() || f.fin() {
        return (None, Outcome::events(Events::DROPPED));
    }
    let (tcb, out) = on_syn(ctx, tuple, seg, isn, now);
    (
        tcb.map(|mut t| {
            t.app = initial;
            t
        }),
        out,
    )
}

fn on_syn(
    ctx: &mut TcpContext,
    tuple: &FourTuple<impl Family>,
    seg: &TcpRepr,
    isn: Option<SeqNum>,
    now: u64,
) -> (Option<Tcb>, Outcome) {
    if let Some(reply) = stateless_syn_ack(ctx, tuple, seg.seq, &seg.options, now) {
        return (
            None,
            Outcome {
                reply: Some(reply),
                events: STATELESS_SYN_EVENTS,
                end: None,
            },
        );
    }
    if ctx.syn_queue >= ctx.cfg.syn_queue_limit {
        // Policy `Never` with a full queue (the other policies answered
        // with a cookie above).
        return (
            None,
            Outcome::events(Events::SYN_RX | Events::SYN_QUEUE_FULL),
        );
    }
    let (own_isn, ts_offset) = ctx.isn.isn_and_ts_offset(tuple, ctx.isn_clock(now));
    let iss = isn.unwrap_or(own_isn);
    let mut tcb = Tcb::blank(&ctx.cfg, State::SynReceived, iss, ts_offset, now);
    tcb.flags.set(ConnFlags::PASSIVE);
    tcb.irs = seg.seq;
    tcb.rcv_nxt = seg.seq + 1;
    tcb.snd_nxt = iss + 1;
    tcb.snd_wnd = u32::from(seg.window);
    tcb.negotiate(&ctx.cfg, tuple.family_mss(ctx.cfg.mss), &seg.options);
    tcb.update_timer(&ctx.cfg, now);
    ctx.syn_queue += 1;
    let reply = tcb.syn_ack_segment(ctx, tuple, now);
    let out = Outcome {
        reply: Some(reply),
        events: Events::SYN_RX | Events::SYNACK_TX,
        end: None,
    };
    (Some(tcb), out)
}

/// The events of a SYN answered by [`stateless_syn_ack`].
pub const STATELESS_SYN_EVENTS: Events = Events(Events::SYN_RX.0 | Events::COOKIE_SENT.0);

/// A SYN (no other control bit) with sequence number `seq` and `options`
/// arrived for a listening port where `tuple` has no record. When the
/// cookie policy answers it without state now (`Always`, or `OnOverload`
/// with the SYN queue full), returns the cookie SYN-ACK, whose events are
/// [`STATELESS_SYN_EVENTS`]; otherwise `None` (the SYN needs a record:
/// [`on_listen`]). Nothing in `ctx` changes either way.
#[inline(always)]
pub fn stateless_syn_ack(
    ctx: &TcpContext,
    tuple: &FourTuple<impl Family>,
    seq: SeqNum,
    options: &TcpOptions,
    now: u64,
) -> Option<Reply> {
    let cookie = match ctx.cfg.cookies {
        CookiePolicy::Always => true,
        CookiePolicy::OnOverload => ctx.syn_queue >= ctx.cfg.syn_queue_limit,
        CookiePolicy::Never => false,
    };
    cookie.then(|| cookie_syn_ack(ctx, tuple, seq, options, now))
}

/// The SYN-ACK whose ISN is a cookie. Without timestamps the cookie can
/// keep only the MSS, so window scale and SACK are not offered (as Linux).
#[inline(always)]
fn cookie_syn_ack(
    ctx: &TcpContext,
    tuple: &FourTuple<impl Family>,
    seq: SeqNum,
    o: &TcpOptions,
    now: u64,
) -> Reply {
    let cfg = &ctx.cfg;
    let peer_mss = o.mss.unwrap_or(DEFAULT_MSS);
    let issued = ctx
        .cookies
        .issue(tuple, seq, peer_mss, ctx.cookie_clock(now));
    let mut options = TcpOptions {
        mss: Some(tuple.family_mss(cfg.mss)),
        ..TcpOptions::default()
    };
    if let (true, Some(ts)) = (cfg.timestamps, o.timestamps) {
        let kept = CookieOptions {
            wscale: o.wscale.filter(|_| cfg.wscale.is_some()),
            sack: o.sack_permitted && cfg.sack,
            ecn: false,
        };
        options.wscale = kept.wscale.and(cfg.wscale);
        options.sack_permitted = kept.sack;
        // The cookie's offset, as the connection the cookie's ACK builds
        // will use (RFC 7323 §5.4): its later TSvals lie beyond this one.
        let tsval = ctx.ts_clock(now).wrapping_add(issued.ts_offset);
        options.timestamps = Some(Timestamps {
            tsval: encode_ts_options(tsval, kept),
            tsecr: ts.tsval,
        });
    }
    Reply::control(TcpRepr {
        src_port: tuple.local_port,
        dst_port: tuple.remote_port,
        seq: issued.cookie,
        ack: seq + 1,
        flags: TcpFlags::SYN | TcpFlags::ACK,
        window: cfg.rcv_wnd.min(65535) as u16,
        options,
    })
}

/// Rebuilds the connection from a valid cookie in `seg` (ESTABLISHED).
fn from_cookie(
    ctx: &TcpContext,
    tuple: &FourTuple<impl Family>,
    seg: &TcpRepr,
    now: u64,
) -> Option<Tcb> {
    let cfg = &ctx.cfg;
    let client_isn = seg.seq - 1;
    let iss = seg.ack - 1;
    let redeemed = ctx
        .cookies
        .redeem(tuple, client_isn, iss, ctx.cookie_clock(now))?;
    let (mss, ts_offset) = (redeemed.mss, redeemed.ts_offset);
    let mut tcb = Tcb::blank(&ctx.cfg, State::Established, iss, ts_offset, now);
    tcb.flags.set(ConnFlags::PASSIVE);
    tcb.irs = client_isn;
    tcb.rcv_nxt = seg.seq;
    tcb.snd_una = seg.ack;
    tcb.snd_nxt = seg.ack;
    tcb.peer_mss = mss.min(tuple.family_mss(cfg.mss));
    if let (true, Some(ts)) = (cfg.timestamps, seg.options.timestamps) {
        let opts = decode_ts_options(ts.tsecr);
        tcb.flags.set(ConnFlags::TS_OK);
        tcb.ts_recent = ts.tsval;
        if let (Some(theirs), Some(ours)) = (opts.wscale, cfg.wscale) {
            tcb.set_wscales(theirs, ours);
        }
        if opts.sack && cfg.sack {
            tcb.flags.set(ConnFlags::SACK_OK);
        }
    }
    tcb.snd_wnd = u32::from(seg.window) << tcb.snd_shift();
    Some(tcb)
}

fn established_from_cookie<A: Application>(
    ctx: &mut TcpContext,
    app: &A,
    tuple: &FourTuple<impl Family>,
    mut tcb: Tcb,
    seg: &TcpRepr,
    payload: &[u8],
    now: u64,
) -> (Option<Tcb>, Outcome) {
    let mut out = tcb.on_segment(ctx, app, tuple, seg, payload, now);
    out.events |= Events::COOKIE_OK | Events::ESTABLISHED;
    if out.end.is_some() {
        return (None, out);
    }
    (Some(tcb), out)
}

fn rate_limited_reset(ctx: &mut TcpContext, rst: Reply, now: u64) -> Outcome {
    if ctx.rst.allow(now) {
        Outcome {
            reply: Some(rst),
            events: Events::RST_TX,
            end: None,
        }
    } else {
        Outcome::events(Events::RST_LIMITED)
    }
}

/// A segment arrived for a port nobody listens on (RFC 9293 §3.10.7.1):
/// RST unless it is one. With ACK: `<SEQ=SEG.ACK><CTL=RST>`; without:
/// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`. Rate-limited.
pub fn on_closed(
    ctx: &mut TcpContext,
    tuple: &FourTuple<impl Family>,
    seg: &TcpRepr,
    payload_len: usize,
    now: u64,
) -> Outcome {
    let f = seg.flags;
    if f.rst() {
        return Outcome::events(Events::DROPPED);
    }
    let rst = if f.ack() {
        reset_for_ack(tuple, seg)
    } else {
        let seg_len = payload_len as u32 + u32::from(f.syn()) + u32::from(f.fin());
        Reply::control(TcpRepr {
            src_port: tuple.local_port,
            dst_port: tuple.remote_port,
            seq: SeqNum(0),
            ack: seg.seq + seg_len,
            flags: TcpFlags::RST | TcpFlags::ACK,
            window: 0,
            options: TcpOptions::default(),
        })
    };
    rate_limited_reset(ctx, rst, now)
}

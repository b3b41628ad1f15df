//! SYN cookies (RFC 4987 §3.6) in Linux's bit layout
//! (`net/ipv4/syncookies.c`): a counter of 60-second periods in the top
//! 8 bits, then 24 hashed bits carrying a 2-bit MSS index:
//!
//! ```text
//! H      = low 64 bits of AES-128(secret, tuple ‖ client_isn) XOR pad(count mod 2^8)
//! cookie = H.hi32 + client_isn + (count << 24) + ((H.lo32 + (mss_index << 22)) mod 2^24)
//! ```
//!
//! `pad(c)` is AES-128 of the period under a key derived from the secret.
//! A cookie is accepted in its own period and the next (Linux's
//! `MAX_SYNCOOKIE_AGE` of 2). When the SYN carries timestamps, window
//! scale, SACK-permitted and ECN are stored in the low 6 bits of our TSval
//! (Linux's `cookie_init_timestamp`) and read back from the ACK's TSecr.
//!
//! Differences from Linux, each deliberate:
//! - The client ISN is hashed, all 32 bits, besides being added: in Linux
//!   a cookie ACK with SEQ and ACK both moved by the same amount still
//!   validates, so the final ACK of a cleanly closed connection (both
//!   FINs counted), seen again once the record is gone, would reopen it.
//!   Linux checks cookies only just after a SYN queue overflow, which
//!   hides this; with the `Always` policy every ACK without a record is
//!   checked.
//! - One keyed hash per cookie instead of two: Linux's first hash covers
//!   only the tuple so the period can be read back before the second hash;
//!   here both halves come from one evaluation over tuple and ISN, made
//!   a function of the period by its pad, and the check tries the current
//!   and the previous period (one evaluation in the common case, two for
//!   a cookie from the previous minute). The top 8 bits are then
//!   authenticated too. The pads of the current and the previous period
//!   are computed when the period starts (`refresh`), not per cookie.
//! - The keyed function is AES-128 of the 16-byte block (`tcp::prf`), not
//!   SipHash-2-4: as good a pseudo-random function for a short-lived
//!   30-bit MAC, and a seventh of the instructions with AES-NI.
//! - The MSS index sits at bits 22–23 of the hashed 24 bits instead of
//!   bits 0–1, and the low 22 bits must come out zero. In Linux an ACK (or
//!   sequence) number off by one still validates with a neighbouring MSS;
//!   here any change that is not a multiple of 2^22 is refused (a change
//!   of exactly ±2^22 or ±2^23 selects another MSS, as ±1 does in Linux).
//!
//! Time is the cookie clock the caller passes: µs since the Unix epoch
//! (`TcpContext::cookie_clock`), so periods and epochs are the same on
//! every host whose clock agrees.
//!
//! Secrets rotate: `rotate` makes the current secret the previous one, and
//! `check` accepts cookies of both, so handshakes in flight survive one
//! rotation; a cookie two rotations old is refused. `SynCookies::rotating`
//! rotates on a schedule: the key of epoch `e` (`now / every`) is
//! AES_master(e ‖ "cookie-k"), a function of the master secret and the
//! epoch alone, so every worker (and every instance started with the same
//! seed, its clock in step) holds the same two keys at the same moment
//! without talking to the others, and a cookie made by one is checked by
//! any. `refresh` moves to the period and epoch of `now`: one compare when
//! nothing is due.

mod secret;
mod ts_options;

pub use secret::{MSS_TABLE, MSS_TABLE_V6, mss_index, mss_index_in, mss_table};
pub use ts_options::{CookieOptions, decode_ts_options, encode_ts_options};

use super::prf::Prf;
use crate::flow::FourTuple;
use crate::wire::{Family, SeqNum};
use secret::Secret;

/// Length of one cookie period.
pub const PERIOD_US: u64 = 60_000_000;

/// The cookie secrets of one worker: the current and the previous one,
/// and the rotation schedule if there is one.
#[derive(Clone, Debug)]
pub struct SynCookies {
    current: Secret,
    previous: Option<Secret>,
    schedule: Option<Schedule>,
    /// When `refresh` has work next: the next period or epoch.
    next_refresh_us: u64,
    rotations: u64,
}

/// Keys derived from a master secret, one per epoch of `every_us`.
#[derive(Clone, Debug)]
struct Schedule {
    master: Prf,
    every_us: u64,
    /// The epoch of the current key (`None`: no key derived yet).
    epoch: Option<u64>,
}

/// Domain separation of the epoch keys ("cookie-k", little-endian).
const EPOCH_KEY_TAG: u64 = u64::from_le_bytes(*b"cookie-k");

impl Schedule {
    fn key(&self, epoch: u64) -> Secret {
        let (lo, hi) = self.master.eval(epoch, EPOCH_KEY_TAG);
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&lo.to_le_bytes());
        key[8..].copy_from_slice(&hi.to_le_bytes());
        Secret::new(key)
    }
}

/// The cookie period containing `now_us`.
#[inline]
fn period(now_us: u64) -> u32 {
    (now_us / PERIOD_US) as u32
}

impl SynCookies {
    /// Cookies keyed with `key` (an AES-128 key).
    pub fn new(key: [u8; 16]) -> SynCookies {
        SynCookies {
            current: Secret::new(key),
            previous: None,
            schedule: None,
            next_refresh_us: 0,
            rotations: 0,
        }
    }

    /// Cookies whose key changes every `every_us` (> 0), each epoch's key
    /// derived from `master`; the keys follow the clock from the first
    /// `refresh`.
    pub fn rotating(master: [u8; 16], every_us: u64) -> SynCookies {
        assert!(every_us > 0, "a rotation interval of 0");
        let schedule = Schedule {
            master: Prf::new(master),
            every_us,
            epoch: None,
        };
        SynCookies {
            current: schedule.key(0),
            previous: None,
            schedule: Some(schedule),
            next_refresh_us: 0,
            rotations: 0,
        }
    }

    /// Starts using `key`; cookies made with the key it replaces are still
    /// accepted until the next rotation.
    pub fn rotate(&mut self, key: [u8; 16]) {
        let mut key = Secret::new(key);
        if let Some(count) = self.current.cached_period() {
            key.cache_pads(count);
        }
        let old = core::mem::replace(&mut self.current, key);
        self.previous = Some(old);
        self.rotations += 1;
    }

    /// Rotations so far: `rotate` calls, and the epochs a schedule has
    /// moved through (the first key it derives is not one).
    pub fn rotations(&self) -> u64 {
        self.rotations
    }

    /// Moves to `now_us`: the period pads of its period (and the one
    /// before) at hand, and, with a schedule, the keys of its epoch (the
    /// current one and the one before it); true when the keys changed. One
    /// compare when nothing is due. Keys follow from the epoch alone, so a
    /// refresh that comes late (no frame for a while) lands on the same
    /// keys as one on time.
    #[inline]
    pub fn refresh(&mut self, now_us: u64) -> bool {
        now_us >= self.next_refresh_us && self.refresh_slow(now_us)
    }

    #[cold]
    fn refresh_slow(&mut self, now_us: u64) -> bool {
        let count = period(now_us);
        let next_period = (u64::from(count) + 1).saturating_mul(PERIOD_US);
        let changed = self.refresh_keys(now_us, next_period);
        self.current.cache_pads(count);
        changed
    }

    /// With a schedule, the keys of `now_us`'s epoch; sets the next
    /// refresh, no later than `next_period`.
    fn refresh_keys(&mut self, now_us: u64, next_period: u64) -> bool {
        let Some(s) = self.schedule.as_mut() else {
            self.next_refresh_us = next_period;
            return false;
        };
        let epoch = now_us / s.every_us;
        self.next_refresh_us = (epoch + 1).saturating_mul(s.every_us).min(next_period);
        let was = s.epoch.replace(epoch);
        if was == Some(epoch) {
            return false;
        }
        let key = s.key(epoch);
        let old = core::mem::replace(&mut self.current, key);
        self.previous = match (was, epoch.checked_sub(1)) {
            (Some(w), Some(p)) if w == p => Some(old),
            (_, Some(p)) => Some(s.key(p)),
            (_, None) => None,
        };
        // Epochs passed (several when no frame came for a while); the
        // first key a schedule derives is not a rotation.
        if let Some(w) = was {
            self.rotations += epoch.saturating_sub(w);
        }
        true
    }

    /// The cookie (our ISN) for a SYN from `client_isn` on `tuple`, and the
    /// MSS it encodes (the SYN's MSS rounded down to the table).
    #[inline]
    pub fn encode<A: Family>(
        &self,
        tuple: &FourTuple<A>,
        client_isn: SeqNum,
        mss: u16,
        now_us: u64,
    ) -> (SeqNum, u16) {
        let c = self.issue(tuple, client_isn, mss, now_us);
        (c.cookie, c.mss)
    }

    /// `encode`, with the timestamp offset of the connection the cookie
    /// stands for (`Cookie::ts_offset`).
    #[inline]
    pub fn issue<A: Family>(
        &self,
        tuple: &FourTuple<A>,
        client_isn: SeqNum,
        mss: u16,
        now_us: u64,
    ) -> Cookie {
        let table = mss_table::<A>();
        let idx = mss_index_in(table, mss);
        let input = self.current.input(tuple);
        let (cookie, ts_offset) =
            self.current
                .make(&input, client_isn.0, period(now_us), idx as u32);
        Cookie {
            cookie: SeqNum(cookie),
            mss: table[idx],
            ts_offset,
        }
    }

    /// Checks the cookie carried by an ACK (`cookie` = SEG.ACK − 1,
    /// `client_isn` = SEG.SEQ − 1) against the current and the previous
    /// period, with the current and then the previous secret. Returns the
    /// encoded MSS when valid.
    #[inline]
    pub fn check<A: Family>(
        &self,
        tuple: &FourTuple<A>,
        client_isn: SeqNum,
        cookie: SeqNum,
        now_us: u64,
    ) -> Option<u16> {
        self.redeem(tuple, client_isn, cookie, now_us)
            .map(|c| c.mss)
    }

    /// `check`, with the timestamp offset the cookie's `issue` gave.
    #[inline]
    pub fn redeem<A: Family>(
        &self,
        tuple: &FourTuple<A>,
        client_isn: SeqNum,
        cookie: SeqNum,
        now_us: u64,
    ) -> Option<Cookie> {
        let count = period(now_us);
        let table = mss_table::<A>();
        let input = self.current.input(tuple);
        // `match`, not `or_else`: the common case (the current period
        // of the current secret) stays inline.
        let try_secret = |s: &Secret, input: &(u64, u32)| match s.check(
            input,
            client_isn.0,
            cookie.0,
            count,
            table,
        ) {
            Some(found) => Some(found),
            None => s.check(input, client_isn.0, cookie.0, count.wrapping_sub(1), table),
        };
        // An IPv4 tuple's input is the same under every secret; an IPv6
        // one is compressed under each secret's own keys.
        let (mss, ts_offset) = match try_secret(&self.current, &input) {
            Some(found) => found,
            None => {
                let previous = self.previous.as_ref()?;
                let input = if A::IS_V6 {
                    previous.input(tuple)
                } else {
                    input
                };
                try_secret(previous, &input)?
            }
        };
        Some(Cookie {
            cookie,
            mss,
            ts_offset,
        })
    }
}

/// A cookie and what it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie: our ISN.
    pub cookie: SeqNum,
    /// The MSS it encodes.
    pub mss: u16,
    /// The timestamp offset of the connection it stands for (RFC 7323
    /// §5.4): a keyed function of the four-tuple and the client's ISN,
    /// drawn from the cookie's own hash, so a cookie connection costs no
    /// second keyed hash for it; its TIME-WAIT record keeps it.
    pub ts_offset: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 16] = [0x42; 16];

    fn tuple() -> FourTuple {
        FourTuple {
            local_ip: [192, 0, 2, 1],
            remote_ip: [198, 51, 100, 7],
            local_port: 80,
            remote_port: 50123,
        }
    }

    /// Known answer: the cookie for this key, tuple, ISN and time is fixed
    /// by the layout; if the layout or the hash input ever changes, cookies
    /// issued by an older build would stop validating, so this pins it.
    #[test]
    fn known_answer_layout() {
        let c = SynCookies::new(KEY);
        let now = 5 * PERIOD_US + 17;
        let (cookie, mss) = c.encode(&tuple(), SeqNum(0x1234_5678), 1460, now);
        assert_eq!(mss, 1460);
        // Recompute the layout by hand from AES-128 of the 16 bytes, the
        // pad key and the period's pad.
        use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
        let aes = |key: [u8; 16], input: [u8; 16]| {
            let mut block = GenericArray::from(input);
            aes::Aes128::new(&GenericArray::from(key)).encrypt_block(&mut block);
            let out: [u8; 16] = block.into();
            out
        };
        let mut input = [0u8; 16];
        input[..12].copy_from_slice(&tuple().hash_input());
        input[12..].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        let mut tag = [0xffu8; 16];
        tag[8..].copy_from_slice(b"cookie-p");
        let pad_key = aes(KEY, tag);
        let mut period = [0u8; 16];
        period[0] = 5;
        let pad = u64::from_le_bytes(aes(pad_key, period)[..8].try_into().expect("8 bytes"));
        let h = u64::from_le_bytes(aes(KEY, input)[..8].try_into().expect("8 bytes")) ^ pad;
        let expect = ((h >> 32) as u32)
            .wrapping_add(0x1234_5678)
            .wrapping_add(5 << 24)
            .wrapping_add((h as u32).wrapping_add(3 << 22) & 0xff_ffff);
        assert_eq!(cookie.0, expect);
        assert_eq!(cookie.0, 0xc302_846f, "pinned value");
    }

    #[test]
    fn seq_and_ack_moved_together_are_refused() {
        // The final ACK of a clean close: SEQ = ISN + 2, ACK = cookie + 2
        // (both FINs), read as a cookie ACK: client ISN + 1, cookie + 1.
        let c = SynCookies::new(KEY);
        let t = tuple();
        for isn in [7u32, 0xffff_ffff, 0x8000_0000] {
            let (cookie, _) = c.encode(&t, SeqNum(isn), 1460, 1_000);
            assert!(c.check(&t, SeqNum(isn), cookie, 1_000).is_some());
            // Any amount, multiples of 2^24 included (every bit of the
            // ISN is hashed).
            let shifts = [1u32, 2, 100, 1 << 22].into_iter();
            for d in shifts.chain((1..256).map(|k| k << 24)) {
                let (i, k) = (
                    SeqNum(isn.wrapping_add(d)),
                    SeqNum(cookie.0.wrapping_add(d)),
                );
                assert_eq!(
                    c.check(&t, i, k, 1_000),
                    None,
                    "isn {isn:#x} moved by {d:#x}"
                );
            }
        }
    }

    /// `refresh` computes the pads of the period and the one before it
    /// once; cookies come out the same with the pads at hand or not, and
    /// one made before a period starts is checked after it.
    #[test]
    fn refresh_caches_the_period_pads() {
        let t = tuple();
        let isn = SeqNum(0xdead_beef);
        let cold = SynCookies::new(KEY);
        let mut warm = SynCookies::new(KEY);
        let t0 = 7 * PERIOD_US + 5;
        assert!(!warm.refresh(t0), "pads are no key change");
        assert_eq!(
            cold.encode(&t, isn, 1460, t0),
            warm.encode(&t, isn, 1460, t0)
        );
        let (cookie, _) = warm.encode(&t, isn, 1460, t0);
        let t1 = 8 * PERIOD_US + 1;
        assert!(!warm.refresh(t1));
        assert_eq!(warm.check(&t, isn, cookie, t1), Some(1460));
        assert_eq!(cold.check(&t, isn, cookie, t1), Some(1460));
        assert_eq!(warm.rotations(), 0);
        // A cookie moved into the next period (ACK + 2^24) is refused: the
        // period is authenticated.
        assert_eq!(warm.check(&t, isn, cookie + (1 << 24), t1), None);
    }

    #[test]
    fn valid_cookie_accepted_with_mss() {
        let c = SynCookies::new(KEY);
        for (offered, expect) in [
            (1460, 1460),
            (9000, 1460),
            (1450, 1440),
            (1300, 1300),
            (1000, 536),
            (100, 536),
        ] {
            let (cookie, mss) = c.encode(&tuple(), SeqNum(99), offered, 1_000);
            assert_eq!(mss, expect);
            assert_eq!(c.check(&tuple(), SeqNum(99), cookie, 2_000), Some(expect));
        }
    }

    #[test]
    fn accepted_in_next_period_rejected_after() {
        let c = SynCookies::new(KEY);
        let t0 = 10 * PERIOD_US + PERIOD_US - 1;
        let (cookie, _) = c.encode(&tuple(), SeqNum(7), 1460, t0);
        assert!(c.check(&tuple(), SeqNum(7), cookie, t0 + 1).is_some());
        assert!(
            c.check(&tuple(), SeqNum(7), cookie, t0 + PERIOD_US)
                .is_some()
        );
        assert!(
            c.check(&tuple(), SeqNum(7), cookie, t0 + PERIOD_US + 1)
                .is_none()
        );
        // A cookie "from the future" (clock went back) is refused too.
        assert!(
            c.check(&tuple(), SeqNum(7), cookie, t0 - PERIOD_US)
                .is_none()
        );
    }

    #[test]
    fn other_tuple_and_tampering_rejected() {
        let c = SynCookies::new(KEY);
        let (cookie, _) = c.encode(&tuple(), SeqNum(7), 1460, 0);
        let mut other = tuple();
        other.remote_port += 1;
        assert!(c.check(&other, SeqNum(7), cookie, 0).is_none());
        let mut other = tuple();
        other.remote_ip[3] ^= 1;
        assert!(c.check(&other, SeqNum(7), cookie, 0).is_none());
        assert!(c.check(&tuple(), SeqNum(8), cookie, 0).is_none());
        assert!(c.check(&tuple(), SeqNum(6), cookie, 0).is_none());
        // Any change of the ACK number that is not a multiple of 2^22 is
        // refused, for many keys (bits 22 and 23 are the MSS index).
        for k in 0..64u8 {
            let c = SynCookies::new([k; 16]);
            let (cookie, _) = c.encode(&tuple(), SeqNum(7), 1460, 0);
            for bit in (0..22).chain(24..32) {
                let bad = SeqNum(cookie.0 ^ (1 << bit));
                assert!(
                    c.check(&tuple(), SeqNum(7), bad, 0).is_none(),
                    "key {k} bit {bit}"
                );
            }
            for delta in [1u32, 2, 1000, (1 << 22) - 1, (1 << 22) + 1] {
                for bad in [cookie + delta, cookie - delta] {
                    assert!(
                        c.check(&tuple(), SeqNum(7), bad, 0).is_none(),
                        "key {k} delta {delta}"
                    );
                }
            }
        }
    }

    #[test]
    fn scheduled_keys_depend_on_the_epoch_alone() {
        const EVERY: u64 = 10_000_000;
        let t = tuple();
        let isn = SeqNum(0x1111_2222);
        // One worker follows the clock; another starts late, skips epochs.
        let mut a = SynCookies::rotating(KEY, EVERY);
        a.refresh(3 * EVERY + 5);
        let (cookie, _) = a.encode(&t, isn, 1460, 3 * EVERY + 5);
        let mut b = SynCookies::rotating(KEY, EVERY);
        b.refresh(4 * EVERY + 1);
        // The next epoch: both accept it (the previous key).
        a.refresh(4 * EVERY + 1);
        assert_eq!(a.rotations(), 1);
        assert_eq!(b.rotations(), 0);
        for c in [&a, &b] {
            assert_eq!(c.check(&t, isn, cookie, 4 * EVERY + 1), Some(1460));
        }
        // Two epochs on: refused by both.
        a.refresh(5 * EVERY);
        b.refresh(5 * EVERY);
        for c in [&a, &b] {
            assert_eq!(c.check(&t, isn, cookie, 5 * EVERY), None);
        }
        // Cookies of the new epoch agree across workers.
        let (x, _) = a.encode(&t, isn, 1460, 5 * EVERY);
        let (y, _) = b.encode(&t, isn, 1460, 5 * EVERY);
        assert_eq!(x, y);
        // Another master: other keys.
        let mut c = SynCookies::rotating([0x43; 16], EVERY);
        c.refresh(5 * EVERY);
        assert_eq!(c.check(&t, isn, x, 5 * EVERY), None);
    }

    #[test]
    fn refresh_without_a_schedule_changes_nothing() {
        let mut c = SynCookies::new(KEY);
        let t = tuple();
        let (cookie, _) = c.encode(&t, SeqNum(7), 1460, 1_000);
        c.refresh(u64::MAX - 1);
        assert_eq!(c.rotations(), 0);
        assert_eq!(c.check(&t, SeqNum(7), cookie, 1_000), Some(1460));
    }

    #[test]
    fn rotation_keeps_one_previous_secret() {
        let mut c = SynCookies::new(KEY);
        let (old, _) = c.encode(&tuple(), SeqNum(7), 1460, 0);
        c.rotate([0x43; 16]);
        let (new, _) = c.encode(&tuple(), SeqNum(7), 1460, 0);
        assert_ne!(old, new);
        assert!(c.check(&tuple(), SeqNum(7), old, 0).is_some());
        assert!(c.check(&tuple(), SeqNum(7), new, 0).is_some());
        c.rotate([0x44; 16]);
        assert!(c.check(&tuple(), SeqNum(7), old, 0).is_none());
        assert!(c.check(&tuple(), SeqNum(7), new, 0).is_some());
    }

    #[test]
    fn forged_cookies_rarely_pass() {
        let c = SynCookies::new(KEY);
        let mut passed = 0;
        for i in 0..200_000u32 {
            let forged = SeqNum(i.wrapping_mul(2_654_435_761));
            passed += usize::from(c.check(&tuple(), SeqNum(7), forged, 0).is_some());
        }
        // Each guess passes with probability about 2 / 2^30 (two periods,
        // 8 period bits and 22 check bits); 200k guesses expect ~0 hits.
        assert!(passed <= 3, "{passed} forged cookies passed");
    }
}

//! Whether a NIC's RSS, as its driver reports it (`io::afxdp::nic_rss`),
//! sends the replies of a generator's connections back to the queue
//! whose worker opened them; if so, the key and table the generator picks
//! its source ports with (`flow::SourcePortAllocator`), instead of the
//! assumed Microsoft key and even table.
//!
//! Rules: steering holds only when the NIC says so: a Toeplitz hash, of
//! the whole four-tuple for each family the run uses, with a key of at
//! least 40 bytes and a table that `Reta::from_nic_table` models exactly
//! over the queues the workers run.

use crate::flow::{NicTableError, Reta, RssHasher, RssKey};
use crate::io::afxdp::nic_rss::{self, NicRss, RXH_FOUR_TUPLE, RssFunction, RssQueryError};
use core::fmt;

/// How the workers of an interface run get the frames of their
/// connections (`--rss`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RssMode {
    /// `Nic` where the NIC's RSS steers replies to their queue, else
    /// `Software` (said).
    #[default]
    Auto,
    /// The NIC's RSS as it reports it; refuse to start where it would not
    /// steer.
    Nic,
    /// Any queue may receive any flow: a frame whose connection is
    /// another worker's is handed to it (over the shared UMEM, no copy).
    Software,
    /// Set the NIC's RSS to the Microsoft key and an even table over the
    /// queues run (`ETHTOOL_SRSSH`), put back on exit; refuse where it
    /// cannot be set.
    Set,
}

/// What a run steers by: the key and table source ports are picked
/// with and frames' owners are named by, whether frames are handed
/// between workers, and what to tell the user.
#[derive(Debug)]
pub struct Steering {
    /// The RSS hash the owners are computed with.
    pub hasher: RssHasher,
    /// The table that names the owner of a hash.
    pub reta: Reta,
    /// Frames that land on another worker's queue are handed over.
    pub handoff: bool,
    /// What was chosen, for the user (`None`: nothing worth a note).
    pub note: Option<String>,
    /// With `RssMode::Set`: what the NIC had, put back when dropped.
    pub restore: Option<nic_rss::RssRestore>,
}

/// The steering of a run on `queues` of `iface` in `mode`, for traffic
/// over IPv4 (`v4`) and/or IPv6 (`v6`); `Err` only for `RssMode::Nic`
/// where the NIC's RSS would not steer.
pub fn choose(
    mode: RssMode,
    iface: &str,
    queues: &[u32],
    v4: bool,
    v6: bool,
) -> Result<Steering, NotSteered> {
    let several = queues.len() > 1;
    let software = |note: Option<String>| Steering {
        hasher: RssHasher::new(&RssKey::MICROSOFT),
        reta: Reta::round_robin(queues.len().max(1) as u16)
            .unwrap_or_else(|| Reta::from_entries([0; crate::flow::RETA_SIZE])),
        handoff: several,
        note,
        restore: None,
    };
    if mode == RssMode::Software {
        let note = several.then(|| {
            "--rss software: frames that reach another worker's queue are handed to it".to_string()
        });
        return Ok(software(note));
    }
    let restore = match mode {
        RssMode::Set => {
            Some(nic_rss::set(iface, &RssKey::MICROSOFT.0, queues).map_err(NotSteered::Unset)?)
        }
        _ => None,
    };
    match nic_steering(nic_rss::read(iface), queues, v4, v6) {
        Ok((key, reta)) => Ok(Steering {
            hasher: RssHasher::new(&key),
            reta,
            handoff: false,
            note: match &restore {
                Some(r) => Some(format!(
                    "--rss set: {iface}'s RSS is the Microsoft key and an even table over the queues until synwave exits, then put back (after a kill -9, by hand: {})",
                    r.by_hand()
                )),
                None => several.then(|| {
                    format!("{iface}'s RSS steers each reply to its queue: source ports follow its key and table (--rss nic)")
                }),
            },
            restore,
        }),
        // A NIC set that still would not steer is put back (`restore`
        // drops) and refused.
        Err(why) if mode != RssMode::Auto => Err(why),
        Err(why) => Ok(software(several.then(|| {
            format!("{iface}: {why}; frames that reach another worker's queue are handed to it (--rss software)")
        }))),
    }
}

/// Why the replies would not reach their worker by the NIC's RSS alone.
#[derive(Debug)]
pub enum NotSteered {
    /// The driver does not report its RSS (veth, many virtual NICs), or
    /// reading it failed.
    Unread(RssQueryError),
    /// `--rss set` could not set it.
    Unset(RssQueryError),
    /// The hash is not Toeplitz.
    Function(RssFunction),
    /// The key is shorter than 40 bytes.
    ShortKey(usize),
    /// TCP over a family is not hashed on its four-tuple (`RXH_*` bits,
    /// `None` when not reported).
    Fields {
        /// "IPv4" or "IPv6".
        family: &'static str,
        /// The hashed fields.
        fields: Option<u64>,
    },
    /// The table cannot be modelled, or steers to a queue no worker runs.
    Table(NicTableError),
}

impl fmt::Display for NotSteered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSteered::Unread(e) => e.fmt(f),
            NotSteered::Unset(e) => write!(f, "its RSS cannot be set: {e}"),
            NotSteered::Function(h) => write!(f, "its RSS hash is {}, not Toeplitz", h.name()),
            NotSteered::ShortKey(n) => write!(f, "its RSS key has {n} bytes, fewer than 40"),
            NotSteered::Fields {
                family,
                fields: Some(x),
            } => write!(
                f,
                "it hashes TCP over {family} on fields {x:#x}, not on addresses and ports"
            ),
            NotSteered::Fields {
                family,
                fields: None,
            } => write!(
                f,
                "it does not say which fields it hashes for TCP over {family}"
            ),
            NotSteered::Table(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for NotSteered {}

/// The key and table that steer replies to the workers running `queues`,
/// from what the NIC reported (`read`), for a run over IPv4 (`v4`) and/or
/// IPv6 (`v6`).
pub fn nic_steering(
    read: Result<NicRss, RssQueryError>,
    queues: &[u32],
    v4: bool,
    v6: bool,
) -> Result<(RssKey, Reta), NotSteered> {
    let nic = read.map_err(NotSteered::Unread)?;
    if nic.function != RssFunction::Toeplitz {
        return Err(NotSteered::Function(nic.function));
    }
    let key = RssKey::from_nic(&nic.key).ok_or(NotSteered::ShortKey(nic.key.len()))?;
    for (used, family, fields) in [(v4, "IPv4", nic.tcp4_fields), (v6, "IPv6", nic.tcp6_fields)] {
        if used && fields.is_none_or(|x| x & RXH_FOUR_TUPLE != RXH_FOUR_TUPLE) {
            return Err(NotSteered::Fields { family, fields });
        }
    }
    let reta = Reta::from_nic_table(&nic.table, queues).map_err(NotSteered::Table)?;
    Ok((key, reta))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nic() -> NicRss {
        let mut key = RssKey::MICROSOFT.0.to_vec();
        key.extend_from_slice(&[1; 12]);
        NicRss {
            function: RssFunction::Toeplitz,
            key,
            table: (0..512).map(|i| i % 2).collect(),
            tcp4_fields: Some(RXH_FOUR_TUPLE),
            tcp6_fields: Some(RXH_FOUR_TUPLE | 1 << 3),
        }
    }

    #[test]
    fn a_toeplitz_nic_hashing_four_tuples_steers_with_its_own_key_and_table() {
        let (key, reta) = nic_steering(Ok(nic()), &[0, 1], true, true).unwrap();
        assert_eq!(key, RssKey::MICROSOFT);
        assert_eq!(reta, Reta::round_robin(2).unwrap());
    }

    #[test]
    fn each_reason_it_would_not_steer_is_named() {
        let why = |n: NicRss, v6: bool| {
            nic_steering(Ok(n), &[0, 1], true, v6)
                .unwrap_err()
                .to_string()
        };
        let mut xor = nic();
        xor.function = RssFunction::Xor;
        assert!(why(xor, false).contains("xor, not Toeplitz"));
        let mut short = nic();
        short.key.truncate(16);
        assert!(why(short, false).contains("16 bytes"));
        let mut addresses_only = nic();
        addresses_only.tcp6_fields = Some(0x30);
        assert!(why(addresses_only.clone(), true).contains("IPv6 on fields 0x30"));
        // An IPv4-only run does not care how IPv6 is hashed.
        assert!(nic_steering(Ok(addresses_only), &[0, 1], true, false).is_ok());
        let mut four = nic();
        four.table = (0..128).map(|i| i % 4).collect();
        assert!(why(four, false).contains("queue 2"));
        let e = nic_steering(Err(RssQueryError::NotReported), &[0], true, false).unwrap_err();
        assert!(e.to_string().contains("does not report"), "{e}");
    }
}

//! The NIC's receive-side scaling as its driver reports it through the
//! ethtool ioctls (`SIOCETHTOOL`, include/uapi/linux/ethtool.h): the hash
//! function, key and indirection table (`ETHTOOL_GRSSH`), and the header
//! fields hashed for TCP over IPv4 and over IPv6 (`ETHTOOL_GRXFH`).
//!
//! Writing (`ETHTOOL_SRSSH`, `--rss set`) goes through `set`, which
//! returns a guard that puts back what the NIC had when it is dropped.
//!
//! Rules: reads need no capability (the kernel lets anyone read these);
//! nothing changes the NIC but `set`, whose guard restores it; a driver
//! without the operation (veth, for one) is `RssQueryError::NotReported`,
//! not an error of the host.

use std::io;

/// `SIOCETHTOOL` (include/uapi/linux/sockios.h).
const SIOCETHTOOL: libc::c_ulong = 0x8946;
/// Read the RSS hash function, key and indirection table.
const ETHTOOL_GRSSH: u32 = 0x46;
/// Write them.
const ETHTOOL_SRSSH: u32 = 0x47;
/// Read the fields a flow type's hash covers.
const ETHTOOL_GRXFH: u32 = 0x29;
/// `TCP_V4_FLOW` and `TCP_V6_FLOW`.
const TCP_V4_FLOW: u32 = 0x01;
const TCP_V6_FLOW: u32 = 0x05;

/// Hashed fields (`RXH_*`): source and destination address, the first
/// and second 16 bits of the layer-4 header (the ports).
pub const RXH_IP_SRC: u64 = 1 << 4;
/// The destination address.
pub const RXH_IP_DST: u64 = 1 << 5;
/// The source port.
pub const RXH_L4_B_0_1: u64 = 1 << 6;
/// The destination port.
pub const RXH_L4_B_2_3: u64 = 1 << 7;
/// All four: the hash of a four-tuple.
pub const RXH_FOUR_TUPLE: u64 = RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3;

/// The hash function (`hfunc`: one bit each, include/linux/ethtool.h's
/// `ETH_RSS_HASH_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RssFunction {
    /// Toeplitz (`ETH_RSS_HASH_TOP`).
    Toeplitz,
    /// XOR of the fields (`ETH_RSS_HASH_XOR`).
    Xor,
    /// CRC32 (`ETH_RSS_HASH_CRC32`).
    Crc32,
    /// Not reported (0) or a function this kernel has no name for.
    Other(u8),
}

impl RssFunction {
    fn from_hfunc(h: u8) -> RssFunction {
        match h {
            1 => RssFunction::Toeplitz,
            2 => RssFunction::Xor,
            4 => RssFunction::Crc32,
            other => RssFunction::Other(other),
        }
    }

    /// As `ethtool -x` names it.
    pub fn name(self) -> String {
        match self {
            RssFunction::Toeplitz => "toeplitz".into(),
            RssFunction::Xor => "xor".into(),
            RssFunction::Crc32 => "crc32".into(),
            RssFunction::Other(0) => "not reported".into(),
            RssFunction::Other(h) => format!("unknown (hfunc {h:#x})"),
        }
    }
}

/// What the driver reports of its RSS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NicRss {
    /// The hash function.
    pub function: RssFunction,
    /// The key (often 40 bytes, 52 on some NICs; empty when not
    /// reported).
    pub key: Vec<u8>,
    /// The indirection table: entry `hash % len` names the receive queue.
    pub table: Vec<u32>,
    /// The fields hashed for TCP over IPv4 (`RXH_*` bits), where reported.
    pub tcp4_fields: Option<u64>,
    /// The same for TCP over IPv6.
    pub tcp6_fields: Option<u64>,
}

/// Why the NIC's RSS could not be read.
#[derive(Debug)]
pub enum RssQueryError {
    /// The driver does not report it (`EOPNOTSUPP`).
    NotReported,
    /// The driver reports it but does not let it be set (`EOPNOTSUPP`
    /// to `ETHTOOL_SRSSH`).
    Unsettable,
    /// Another error of the ioctl or the socket it goes through.
    Os(io::Error),
}

impl std::fmt::Display for RssQueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RssQueryError::NotReported => f.write_str("the driver does not report its RSS"),
            RssQueryError::Unsettable => f.write_str("the driver does not let its RSS be set"),
            RssQueryError::Os(e) => write!(f, "reading the RSS through ethtool: {e}"),
        }
    }
}

impl std::error::Error for RssQueryError {}

impl From<io::Error> for RssQueryError {
    fn from(e: io::Error) -> RssQueryError {
        if e.raw_os_error() == Some(libc::EOPNOTSUPP) {
            RssQueryError::NotReported
        } else {
            RssQueryError::Os(e)
        }
    }
}

/// `struct ifreq` as `SIOCETHTOOL` reads it: the name, then the pointer to
/// the command's struct (40 bytes on 64-bit Linux).
#[repr(C)]
struct EthtoolReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    data: *mut libc::c_void,
    _rest: [u8; 16],
}

/// `struct ethtool_rxnfc` (192 bytes on 64-bit Linux): the command, the
/// flow type, `data` (the hashed fields), and the rule fields unused here.
#[repr(C)]
struct Rxnfc {
    cmd: u32,
    flow_type: u32,
    data: u64,
    fs: [u8; 168],
    rule_cnt: u32,
}

/// Words of `struct ethtool_rxfh`'s header (24 bytes: cmd, rss_context,
/// indir_size, key_size, then hfunc in the low byte of the fifth word,
/// then a reserved word); `rss_config` follows.
const RXFH_HEADER_WORDS: usize = 6;

/// A socket to send the ioctls through, closed on drop.
struct Fd(libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // Safety: the descriptor is ours and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// `SIOCETHTOOL` on `iface` with the command struct at `data`.
fn ethtool(fd: &Fd, iface: &str, data: *mut libc::c_void) -> io::Result<()> {
    let mut req = EthtoolReq {
        name: [0; libc::IFNAMSIZ],
        data,
        _rest: [0; 16],
    };
    for (d, s) in req
        .name
        .iter_mut()
        .zip(iface.bytes().take(libc::IFNAMSIZ - 1))
    {
        *d = s as libc::c_char;
    }
    // Safety: `req` names the interface and points to a command struct
    // that the caller keeps alive and sized as the command needs.
    if unsafe { libc::ioctl(fd.0, SIOCETHTOOL as _, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The hashed fields of `flow_type`.
fn hashed_fields(fd: &Fd, iface: &str, flow_type: u32) -> io::Result<u64> {
    let mut q = Rxnfc {
        cmd: ETHTOOL_GRXFH,
        flow_type,
        data: 0,
        fs: [0; 168],
        rule_cnt: 0,
    };
    ethtool(fd, iface, (&mut q as *mut Rxnfc).cast())?;
    Ok(q.data)
}

/// The hash function, key and table: the sizes first, then both.
fn function_key_table(fd: &Fd, iface: &str) -> io::Result<(RssFunction, Vec<u8>, Vec<u32>)> {
    let mut head = [0u32; RXFH_HEADER_WORDS];
    head[0] = ETHTOOL_GRSSH;
    ethtool(fd, iface, head.as_mut_ptr().cast())?;
    let (indir, key_len) = (head[2] as usize, head[3] as usize);
    // Bounded by what a NIC has (tables of thousands, keys of bytes).
    if indir > 1 << 16 || key_len > 256 {
        return Err(io::Error::other(format!(
            "the driver reports an RSS table of {indir} entries and a key of {key_len} bytes"
        )));
    }
    let mut buf = vec![0u32; RXFH_HEADER_WORDS + indir + key_len.div_ceil(4)];
    buf[0] = ETHTOOL_GRSSH;
    buf[2] = indir as u32;
    buf[3] = key_len as u32;
    ethtool(fd, iface, buf.as_mut_ptr().cast())?;
    let function = RssFunction::from_hfunc(buf[4].to_ne_bytes()[0]);
    let table = buf[RXFH_HEADER_WORDS..RXFH_HEADER_WORDS + indir].to_vec();
    let key: Vec<u8> = buf[RXFH_HEADER_WORDS + indir..]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .take(key_len)
        .collect();
    Ok((function, key, table))
}

/// A socket for the ioctls.
fn socket() -> io::Result<Fd> {
    // Safety: a plain socket call; `Fd` closes it.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Fd(raw))
}

/// Writes `key` and `table` (each of the sizes the NIC reports) to
/// `iface`, the hash function Toeplitz where `toeplitz`, else unchanged.
fn write(iface: &str, key: &[u8], table: &[u32], toeplitz: bool) -> io::Result<()> {
    let fd = socket()?;
    let mut buf = vec![0u32; RXFH_HEADER_WORDS + table.len() + key.len().div_ceil(4)];
    buf[0] = ETHTOOL_SRSSH;
    buf[2] = table.len() as u32;
    buf[3] = key.len() as u32;
    buf[4] = u32::from(u8::from(toeplitz)); // hfunc in the low byte
    buf[RXFH_HEADER_WORDS..RXFH_HEADER_WORDS + table.len()].copy_from_slice(table);
    let mut bytes = Vec::with_capacity(key.len().div_ceil(4) * 4);
    bytes.extend_from_slice(key);
    bytes.resize(key.len().div_ceil(4) * 4, 0);
    for (w, b) in buf[RXFH_HEADER_WORDS + table.len()..]
        .iter_mut()
        .zip(bytes.chunks_exact(4))
    {
        *w = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
    }
    ethtool(&fd, iface, buf.as_mut_ptr().cast())
}

/// What the NIC had before `set`: put back when dropped.
#[derive(Debug)]
pub struct RssRestore {
    iface: String,
    key: Vec<u8>,
    table: Vec<u32>,
}

impl RssRestore {
    /// How to put it back by hand (after a `kill -9`): `ethtool -X`.
    pub fn by_hand(&self) -> String {
        let key: Vec<String> = self.key.iter().map(|b| format!("{b:02x}")).collect();
        format!("ethtool -X {} hkey {} default", self.iface, key.join(":"))
    }
}

impl Drop for RssRestore {
    fn drop(&mut self) {
        let _ = write(&self.iface, &self.key, &self.table, false);
    }
}

/// Sets `iface`'s RSS to a Toeplitz hash with `key` (the NIC's own key
/// length: `key`, then the rest of the NIC's key) and an even table over
/// `queues` (entry `i` is `queues[i % n]`, the NIC's own table size);
/// the guard puts back the key and table it had.
pub fn set(iface: &str, key: &[u8], queues: &[u32]) -> Result<RssRestore, RssQueryError> {
    let before = read(iface)?;
    let mut new_key = before.key.clone();
    for (d, s) in new_key.iter_mut().zip(key) {
        *d = *s;
    }
    let n = queues.len().max(1);
    let table: Vec<u32> = (0..before.table.len())
        .map(|i| queues.get(i % n).copied().unwrap_or(0))
        .collect();
    write(iface, &new_key, &table, true).map_err(|e| match RssQueryError::from(e) {
        RssQueryError::NotReported => RssQueryError::Unsettable,
        other => other,
    })?;
    Ok(RssRestore {
        iface: iface.to_string(),
        key: before.key,
        table: before.table,
    })
}

/// What `iface`'s driver reports of its RSS.
pub fn read(iface: &str) -> Result<NicRss, RssQueryError> {
    let fd = socket()?;
    let (function, key, table) = function_key_table(&fd, iface)?;
    Ok(NicRss {
        function,
        key,
        table,
        tcp4_fields: hashed_fields(&fd, iface, TCP_V4_FLOW).ok(),
        tcp6_fields: hashed_fields(&fd, iface, TCP_V6_FLOW).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_structs_have_the_kernels_sizes() {
        assert_eq!(std::mem::size_of::<Rxnfc>(), 192);
        assert_eq!(std::mem::size_of::<EthtoolReq>(), 40);
        assert_eq!(RXFH_HEADER_WORDS * 4, 24);
    }

    #[test]
    fn functions_are_named_as_ethtool_names_them() {
        assert_eq!(RssFunction::from_hfunc(1), RssFunction::Toeplitz);
        assert_eq!(RssFunction::from_hfunc(4).name(), "crc32");
        assert_eq!(RssFunction::from_hfunc(0).name(), "not reported");
    }

    #[test]
    fn loopback_reports_no_rss_and_says_so() {
        // lo has no RSS operations: not reported, not an error of the host.
        match read("lo") {
            Err(RssQueryError::NotReported) => {}
            other => panic!("lo: {other:?}"),
        }
        assert!(matches!(read("sw-no-such-if"), Err(RssQueryError::Os(_))));
    }
}

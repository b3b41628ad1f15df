//! The few bpf(2) commands the AF_XDP backend needs, on raw syscalls (no
//! libbpf, no clang): create an XSKMAP, put a socket into it, load an XDP
//! program from raw instructions, and attach it to an interface through a
//! bpf_link, which the kernel detaches when its last file descriptor is
//! closed — also when the process is killed.
//!
//! Rules: every call returns the OS error with the command that failed;
//! deciding what the error means for the user is `errors`' job.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_LINK_CREATE: libc::c_long = 28;

/// `BPF_MAP_TYPE_XSKMAP`.
const MAP_TYPE_XSKMAP: u32 = 17;
/// `BPF_PROG_TYPE_XDP`.
const PROG_TYPE_XDP: u32 = 6;
/// `BPF_XDP`, the attach type of an XDP bpf_link.
const ATTACH_TYPE_XDP: u32 = 37;

/// `XDP_FLAGS_SKB_MODE`: generic XDP, run on the skb after the driver.
pub const XDP_FLAGS_SKB_MODE: u32 = 1 << 1;
/// `XDP_FLAGS_DRV_MODE`: native XDP, run by the driver.
pub const XDP_FLAGS_DRV_MODE: u32 = 1 << 2;

/// A failed bpf(2) command: which one, and the OS error.
#[derive(Debug)]
pub struct BpfError {
    /// The command, e.g. "BPF_PROG_LOAD".
    pub command: &'static str,
    /// The OS error.
    pub error: io::Error,
    /// The verifier's log, for a refused program.
    pub log: String,
}

impl std::fmt::Display for BpfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bpf({}): {}", self.command, self.error)?;
        if !self.log.is_empty() {
            write!(f, "; verifier log:\n{}", self.log.trim_end())?;
        }
        Ok(())
    }
}

/// The attribute union of bpf(2): 128 zeroed bytes, fields written at
/// their offsets in `union bpf_attr` (include/uapi/linux/bpf.h).
#[repr(C, align(8))]
struct Attr([u8; 128]);

impl Attr {
    fn new() -> Attr {
        Attr([0; 128])
    }
    fn u32_at(&mut self, off: usize, v: u32) -> &mut Attr {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn u64_at(&mut self, off: usize, v: u64) -> &mut Attr {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
}

fn bpf(
    cmd: libc::c_long,
    attr: &mut Attr,
    command: &'static str,
) -> Result<libc::c_long, BpfError> {
    // Safety: `attr` is a valid, writable `union bpf_attr` of the size
    // passed; the kernel reads (and for some commands writes) only within
    // it. The pointers inside it point to live buffers of the caller.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.0.as_mut_ptr(),
            attr.0.len() as libc::c_uint,
        )
    };
    if r < 0 {
        return Err(BpfError {
            command,
            error: io::Error::last_os_error(),
            log: String::new(),
        });
    }
    Ok(r)
}

fn owned(fd: libc::c_long) -> OwnedFd {
    // Safety: the kernel just returned this new file descriptor to us; no
    // one else owns it.
    unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) }
}

/// Creates an XSKMAP of `entries` slots (key: rx queue index, value: AF_XDP
/// socket).
pub fn create_xskmap(entries: u32) -> Result<OwnedFd, BpfError> {
    let mut a = Attr::new();
    a.u32_at(0, MAP_TYPE_XSKMAP)
        .u32_at(4, 4)
        .u32_at(8, 4)
        .u32_at(12, entries.max(1));
    let name = b"synwave_xsks";
    a.0[28..28 + name.len()].copy_from_slice(name);
    bpf(BPF_MAP_CREATE, &mut a, "BPF_MAP_CREATE").map(owned)
}

/// Puts the AF_XDP socket `socket_fd` at slot `queue` of the XSKMAP.
pub fn xskmap_set(map: &OwnedFd, queue: u32, socket_fd: i32) -> Result<(), BpfError> {
    let key = queue;
    let value = socket_fd as u32;
    let mut a = Attr::new();
    a.u32_at(0, map.as_raw_fd() as u32)
        .u64_at(8, &key as *const u32 as u64)
        .u64_at(16, &value as *const u32 as u64)
        .u64_at(24, 0);
    bpf(BPF_MAP_UPDATE_ELEM, &mut a, "BPF_MAP_UPDATE_ELEM").map(|_| ())
}

/// Loads an XDP program of raw instructions (8 bytes each, already
/// encoded). A refusal carries the verifier's log.
pub fn load_xdp(insns: &[u64]) -> Result<OwnedFd, BpfError> {
    let license = c"GPL";
    let try_load = |log: &mut [u8]| {
        let mut a = Attr::new();
        a.u32_at(0, PROG_TYPE_XDP)
            .u32_at(4, insns.len() as u32)
            .u64_at(8, insns.as_ptr() as u64)
            .u64_at(16, license.as_ptr() as u64);
        if !log.is_empty() {
            a.u32_at(24, 1)
                .u32_at(28, log.len() as u32)
                .u64_at(32, log.as_mut_ptr() as u64);
        }
        let name = b"synwave_xdp";
        a.0[48..48 + name.len()].copy_from_slice(name);
        bpf(BPF_PROG_LOAD, &mut a, "BPF_PROG_LOAD").map(owned)
    };
    // Quietly first; once refused, again with a log to say why.
    try_load(&mut []).or_else(|_| {
        let mut log = vec![0u8; 1 << 16];
        try_load(&mut log).map_err(|mut e| {
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            e.log = String::from_utf8_lossy(&log[..end]).into_owned();
            e
        })
    })
}

/// Attaches the XDP program `prog` to interface `ifindex` with `flags`
/// (`XDP_FLAGS_DRV_MODE` or `XDP_FLAGS_SKB_MODE`) through a bpf_link. The
/// program stays attached while the returned descriptor is open.
pub fn attach_xdp(prog: &OwnedFd, ifindex: u32, flags: u32) -> Result<OwnedFd, BpfError> {
    let mut a = Attr::new();
    a.u32_at(0, prog.as_raw_fd() as u32)
        .u32_at(4, ifindex)
        .u32_at(8, ATTACH_TYPE_XDP)
        .u32_at(12, flags);
    bpf(BPF_LINK_CREATE, &mut a, "BPF_LINK_CREATE").map(owned)
}

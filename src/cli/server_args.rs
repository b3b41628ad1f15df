//! `--dst`: the servers a generator connects to. Each item is an address
//! or a range with a port (`10.0.1.1:80`, `10.0.1.1-10.0.1.8:80`,
//! `[fd00::1]:80`, `[fd00::1-fd00::8]:80`), and a bare port after an item
//! adds a port to it (`10.0.1.1-10.0.1.4:80,8080`: four addresses × two
//! ports, eight servers); items of both families may be given. A port
//! may carry a weight (`10.0.1.1:80*3,10.0.1.2:80`: three connections to
//! the first for one to the second; `*W` weighs the servers of that port
//! of its item; 1 to `MOST_WEIGHT`, default 1). Each error names the value
//! and the form expected.

use super::net_args::{parse_ip_range, parse_ip6_range};
use synwave::io::afxdp::AddressRange;
use synwave::wire::{Family, V4, V6};

/// Most servers (address × port) per family.
pub const MOST_SERVERS: usize = 4096;

/// The largest weight of a server.
pub const MOST_WEIGHT: u32 = 1000;

/// The largest sum of the weights of one family's servers (the length of
/// a worker's schedule, `flow::ServerSet`).
pub const MOST_WEIGHT_SUM: u64 = 1 << 16;

/// The servers of each family a generator connects to, spread over
/// round-robin (by weight where weights are given); and the text they
/// were given as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Servers {
    /// The IPv4 servers and ports.
    pub v4: Vec<(V4, u16)>,
    /// The IPv6 servers and ports.
    pub v6: Vec<(V6, u16)>,
    /// The weight of each IPv4 server (as `v4`).
    pub weights4: Vec<u32>,
    /// The weight of each IPv6 server (as `v6`).
    pub weights6: Vec<u32>,
    text: String,
}

impl std::fmt::Display for Servers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A port and its weight.
type Port = (u16, u32);

/// One item being read: an address range of a family and its ports.
enum Item {
    V4(AddressRange<V4>, Vec<Port>),
    V6(AddressRange<V6>, Vec<Port>),
}

/// `PORT` or `PORT*WEIGHT`.
fn port_of(t: &str, item: &str) -> Result<Port, String> {
    let (port, weight) = match t.trim().split_once('*') {
        Some((p, w)) => (p, Some(w)),
        None => (t.trim(), None),
    };
    let port = port
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| {
            format!(
                "'{item}' has no port 1-65535; give the server as e.g. 10.99.0.2:80 or [fd00::2]:80"
            )
        })?;
    let weight = match weight {
        None => 1,
        Some(w) => w
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|w| (1..=MOST_WEIGHT).contains(w))
            .ok_or_else(|| {
                format!(
                    "'{item}': weight '{w}' is not 1 to {MOST_WEIGHT}; give e.g. 10.99.0.2:80*3"
                )
            })?,
    };
    Ok((port, weight))
}

fn item(t: &str) -> Result<Item, String> {
    let t = t.trim();
    if let Some(rest) = t.strip_prefix('[') {
        let (addr, port) = rest.split_once("]:").ok_or_else(|| {
            format!("'{t}' is not [IPV6]:PORT; give e.g. [fd00::2]:80 or [fd00::2-fd00::5]:80")
        })?;
        return Ok(Item::V6(parse_ip6_range(addr)?, vec![port_of(port, t)?]));
    }
    let (addr, port) = t.rsplit_once(':').ok_or_else(|| {
        format!("'{t}' is not IP:PORT; give the server as e.g. 10.99.0.2:80 or [fd00::2]:80")
    })?;
    if addr.contains(':') {
        return Err(format!(
            "'{t}': an IPv6 server goes in brackets, e.g. [fd00::2]:80"
        ));
    }
    Ok(Item::V4(parse_ip_range(addr)?, vec![port_of(port, t)?]))
}

/// Every (address, port) of `range` × `ports`, added to `out` with its
/// weight to `weights`.
fn expand<A: Family>(
    range: AddressRange<A>,
    ports: &[Port],
    (out, weights): (&mut Vec<(A, u16)>, &mut Vec<u32>),
    s: &str,
) -> Result<(), String> {
    for i in 0..range.count {
        for &(p, w) in ports {
            out.push((range.first.add(u64::from(i)), p));
            weights.push(w);
            if out.len() > MOST_SERVERS {
                return Err(format!(
                    "'{s}' names more than {MOST_SERVERS} servers of one family; give fewer addresses or ports"
                ));
            }
        }
    }
    Ok(())
}

/// `--dst`: see the module's doc.
pub fn parse_servers(s: &str) -> Result<Servers, String> {
    let mut items: Vec<Item> = Vec::new();
    for part in s.split(',') {
        let bare = !part.contains(':') && !part.contains('.');
        match (bare, items.last_mut()) {
            (true, Some(Item::V4(_, ports) | Item::V6(_, ports))) => {
                let p = port_of(part, part)?;
                if ports.iter().any(|q| q.0 == p.0) {
                    return Err(format!("'{s}' gives port {} twice", p.0));
                }
                ports.push(p);
            }
            (true, None) => {
                return Err(format!(
                    "'{s}' starts with a port: give the server first, e.g. 10.99.0.2:80,8080"
                ));
            }
            (false, _) => items.push(item(part)?),
        }
    }
    let mut out = Servers {
        text: s.to_string(),
        ..Servers::default()
    };
    for it in items {
        match it {
            Item::V4(r, ports) => expand(r, &ports, (&mut out.v4, &mut out.weights4), s)?,
            Item::V6(r, ports) => expand(r, &ports, (&mut out.v6, &mut out.weights6), s)?,
        }
    }
    for w in [&out.weights4, &out.weights6] {
        let sum: u64 = w.iter().map(|&x| u64::from(x)).sum();
        if sum > MOST_WEIGHT_SUM {
            return Err(format!(
                "'{s}': the weights of one family's servers add up to {sum}, more than {MOST_WEIGHT_SUM}; give smaller weights"
            ));
        }
    }
    let v4: std::collections::HashSet<_> = out.v4.iter().collect();
    let v6: std::collections::HashSet<_> = out.v6.iter().collect();
    if v4.len() != out.v4.len() || v6.len() != out.v6.len() {
        return Err(format!("'{s}' names a server twice"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_port_lists_expand_to_every_server() {
        let s = parse_servers("10.0.1.1-10.0.1.4:80,8080").unwrap();
        assert_eq!(s.v4.len(), 8);
        assert_eq!(s.v4[0], ([10, 0, 1, 1], 80));
        assert_eq!(s.v4[1], ([10, 0, 1, 1], 8080));
        assert_eq!(s.v4[7], ([10, 0, 1, 4], 8080));
        assert_eq!(s.to_string(), "10.0.1.1-10.0.1.4:80,8080");
        let s = parse_servers("10.0.0.1:80,[fd00::1]:8080").unwrap();
        let fd00_1: std::net::Ipv6Addr = "fd00::1".parse().unwrap();
        assert_eq!(s.v6, vec![(fd00_1.octets(), 8080)]);
        assert_eq!(s.to_string(), "10.0.0.1:80,[fd00::1]:8080");
        let s = parse_servers("10.0.0.1:80,[fd00::1-fd00::2]:443,444").unwrap();
        assert_eq!(s.v4, vec![([10, 0, 0, 1], 80)]);
        assert_eq!(s.v6.len(), 4);
        let one = parse_servers("10.99.0.2:80").unwrap();
        assert_eq!(one.v4, vec![([10, 99, 0, 2], 80)]);
        assert_eq!(one.weights4, vec![1]);
        assert!(one.v6.is_empty());
    }

    #[test]
    fn weights_follow_their_port() {
        let s = parse_servers("10.0.1.1-10.0.1.2:80*3,8080,10.0.2.1:81*2").unwrap();
        assert_eq!(s.v4.len(), 5);
        assert_eq!(s.weights4, vec![3, 1, 3, 1, 2]);
        let s = parse_servers("[fd00::1]:80*7").unwrap();
        assert_eq!(s.weights6, vec![7]);
        for bad in ["10.0.0.1:80*0", "10.0.0.1:80*x", "10.0.0.1:80*1001"] {
            let e = parse_servers(bad).unwrap_err();
            assert!(e.contains("1 to 1000"), "{bad}: {e}");
        }
        let e = parse_servers("10.0.0.0-10.0.0.99:80*1000").unwrap_err();
        assert!(e.contains("add up to 100000"), "{e}");
    }

    #[test]
    fn bad_lists_name_the_form() {
        assert!(
            parse_servers("80,10.0.0.1:80")
                .unwrap_err()
                .contains("server first")
        );
        assert!(parse_servers("10.0.0.1").unwrap_err().contains("IP:PORT"));
        assert!(parse_servers("10.0.0.1:0").unwrap_err().contains("port"));
        assert!(
            parse_servers("fd00::1:80")
                .unwrap_err()
                .contains("brackets")
        );
        assert!(
            parse_servers("10.0.0.1:80,80")
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse_servers("10.0.0.1:80,10.0.0.1:80")
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse_servers("10.0.0.0-10.0.16.0:80")
                .unwrap_err()
                .contains("4096")
        );
    }
}

//! `--dst`: the servers a generator connects to. Each item is an address
//! or a range with a port (`10.0.1.1:80`, `10.0.1.1-10.0.1.8:80`,
//! `[fd00::1]:80`, `[fd00::1-fd00::8]:80`), and a bare port after an item
//! adds a port to it (`10.0.1.1-10.0.1.4:80,8080`: four addresses × two
//! ports, eight servers); items of both families may be given. Each
//! error names the value and the form expected.

use super::net_args::{parse_ip_range, parse_ip6_range};
use synwave::io::afxdp::AddressRange;
use synwave::wire::{Family, V4, V6};

/// Most servers (address × port) per family.
pub const MOST_SERVERS: usize = 4096;

/// The servers of each family a generator connects to, spread over
/// round-robin; and the text they were given as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Servers {
    /// The IPv4 servers and ports.
    pub v4: Vec<(V4, u16)>,
    /// The IPv6 servers and ports.
    pub v6: Vec<(V6, u16)>,
    text: String,
}

impl std::fmt::Display for Servers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// One item being read: an address range of a family and its ports.
enum Item {
    V4(AddressRange<V4>, Vec<u16>),
    V6(AddressRange<V6>, Vec<u16>),
}

fn port_of(t: &str, item: &str) -> Result<u16, String> {
    t.trim()
        .parse::<u16>()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| {
            format!(
                "'{item}' has no port 1-65535; give the server as e.g. 10.99.0.2:80 or [fd00::2]:80"
            )
        })
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

/// Every (address, port) of `range` × `ports`, added to `out`.
fn expand<A: Family>(
    range: AddressRange<A>,
    ports: &[u16],
    out: &mut Vec<(A, u16)>,
    s: &str,
) -> Result<(), String> {
    for i in 0..range.count {
        for &p in ports {
            out.push((range.first.add(u64::from(i)), p));
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
                if ports.contains(&p) {
                    return Err(format!("'{s}' gives port {p} twice"));
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
            Item::V4(r, ports) => expand(r, &ports, &mut out.v4, s)?,
            Item::V6(r, ports) => expand(r, &ports, &mut out.v6, s)?,
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
        assert!(one.v6.is_empty());
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

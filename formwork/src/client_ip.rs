//! Who is calling: the client's IP address, as rate limits key it.
//!
//! The address comes from the socket. Behind a load balancer every socket peer is the balancer,
//! so `X-Forwarded-For` is read instead, but only when the peer is a configured trusted proxy,
//! and then from the right: each trusted hop appended the address it saw, so the rightmost hop
//! that is *not* a trusted proxy is the client. Anything to its left was written by the client
//! and is ignored (a client cannot pick its own rate-limit bucket by sending the header).

use axum::{extract::ConnectInfo, http::HeaderMap};
use std::{
    fmt,
    net::{IpAddr, Ipv6Addr, SocketAddr},
};

/// The networks whose `X-Forwarded-For` is believed (a load balancer, a reverse proxy).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<Network>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network (like 10.0.0.0/8)"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}` has a prefix length outside 0..={max}"))?,
        };
        Ok(Self { address, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_bits(u32::from(net).into(), 32, self.prefix)
                    == prefix_bits(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_bits(u128::from(net), 128, self.prefix)
                    == prefix_bits(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The first `prefix` bits of a `width`-bit address.
fn prefix_bits(address: u128, width: u8, prefix: u8) -> u128 {
    match u32::from(width - prefix.min(width)) {
        128 => 0,
        shift => address >> shift,
    }
}

/// An IPv4 address written as IPv6 (`::ffff:1.2.3.4`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

impl TrustedProxies {
    /// No proxy is trusted: the socket's peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses addresses and networks such as `10.0.0.0/8`, `127.0.0.1`, `fd00::/8`.
    pub fn parse<'a>(list: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        list.into_iter()
            .filter(|s| !s.trim().is_empty())
            .map(Network::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `ip` is in one of the trusted networks (an IPv4 address written as IPv6
    /// counts as that IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// The client's address: the socket peer, or (through trusted proxies only) the rightmost
    /// address in `X-Forwarded-For` that is not a trusted proxy. `None` when the request did
    /// not come over a socket (an in-process call).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let mut client = canonical(peer?);
        if !self.contains(client) {
            return Some(client);
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // A trusted proxy would have written an address: the rest is the client's
                // own writing. The last hop we could vouch for stands.
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(canonical)
}

/// The socket peer of a request, when it came over a socket.
pub fn peer(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// A client as rate limits count it: one IPv4 address, or one IPv6 /64 (the block one
/// subscriber gets, so rotating addresses inside it does not buy more requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(Option<IpAddr>);

impl ClientKey {
    /// The key of a client at `ip`: the address itself for IPv4, its /64 for IPv6. `None`
    /// (no socket) is a key of its own.
    pub fn of(ip: Option<IpAddr>) -> Self {
        Self(ip.map(canonical).map(|ip| match ip {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            v4 => v4,
        }))
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(IpAddr::V6(v6)) => write!(f, "{v6}/64"),
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("in-process"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        headers
    }

    #[test]
    fn without_trusted_proxies_the_socket_is_the_client() {
        let proxies = TrustedProxies::none();
        let headers = forwarded(&["6.6.6.6"]);
        assert_eq!(
            proxies.client_ip(Some(ip("203.0.113.9")), &headers),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(proxies.client_ip(None, &headers), None);
    }

    #[test]
    fn through_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse(["10.0.0.0/8", "192.168.1.1"]).unwrap_or_default();
        // The client wrote 6.6.6.6 itself; the balancer appended what it saw.
        let headers = forwarded(&["6.6.6.6, 203.0.113.9", "192.168.1.1"]);
        assert_eq!(
            proxies.client_ip(Some(ip("10.1.2.3")), &headers),
            Some(ip("203.0.113.9"))
        );
        // A peer that is not trusted is the client, whatever it claims.
        assert_eq!(
            proxies.client_ip(Some(ip("198.51.100.7")), &headers),
            Some(ip("198.51.100.7"))
        );
        // Garbage to the left of trusted hops leaves the last address a proxy vouched for.
        let headers = forwarded(&["not-an-ip, 10.9.9.9"]);
        assert_eq!(
            proxies.client_ip(Some(ip("10.1.2.3")), &headers),
            Some(ip("10.9.9.9"))
        );
        // Ports and IPv4-mapped IPv6 are read as the address.
        let headers = forwarded(&["[2001:db8::1]:443", "1.2.3.4:80"]);
        assert_eq!(
            proxies.client_ip(Some(ip("::ffff:10.0.0.1")), &headers),
            Some(ip("1.2.3.4"))
        );
    }

    #[test]
    fn networks_are_checked_when_parsed() {
        assert!(TrustedProxies::parse(["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(["example.org"]).is_err());
        let proxies = TrustedProxies::parse(["fd00::/8", "0.0.0.0/0"]).unwrap_or_default();
        assert!(proxies.contains(ip("fd12::1")));
        assert!(proxies.contains(ip("8.8.8.8")));
        assert!(!proxies.contains(ip("2001:db8::1")));
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_block() {
        let a = ClientKey::of(Some(ip("2001:db8:1:2:aaaa::1")));
        let b = ClientKey::of(Some(ip("2001:db8:1:2:bbbb::9")));
        let c = ClientKey::of(Some(ip("2001:db8:1:3::1")));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(
            ClientKey::of(Some(ip("::ffff:1.2.3.4"))).to_string(),
            "1.2.3.4"
        );
    }
}

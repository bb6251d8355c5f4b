//! This host's binding identifiers, and whether a license's binding names it.
//!
//! Read from the operating system: the host name, the Ethernet (MAC)
//! addresses of every interface, up or down, and its IP addresses. Loopback
//! and all-zero addresses are never IDs.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::model::HostId;

/// The identifiers of one host.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostIdentity {
    pub hostname: String,
    /// 12 lower-case hex digits each, sorted, no duplicates.
    pub ethers: Vec<String>,
    /// Non-loopback addresses, sorted, no duplicates.
    pub addresses: Vec<IpAddr>,
}

impl HostIdentity {
    /// Reads this machine's identifiers.
    pub fn current() -> std::io::Result<Self> {
        let hostname = nix::unistd::gethostname()?
            .into_string()
            .unwrap_or_else(|raw| raw.to_string_lossy().into_owned());
        let mut ethers = Vec::new();
        let mut addresses = Vec::new();
        for ifa in nix::ifaddrs::getifaddrs()? {
            let Some(addr) = ifa.address else { continue };
            if let Some(link) = addr.as_link_addr()
                && let Some(mac) = link.addr()
                && mac.iter().any(|b| *b != 0)
            {
                ethers.push(mac.iter().map(|b| format!("{b:02x}")).collect());
            }
            let ip = addr
                .as_sockaddr_in()
                .map(|a| IpAddr::V4(a.ip()))
                .or_else(|| addr.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())));
            if let Some(ip) = ip
                && !ip.is_loopback()
                && !ip.is_unspecified()
            {
                addresses.push(ip);
            }
        }
        ethers.sort();
        ethers.dedup();
        addresses.sort();
        addresses.dedup();
        Ok(HostIdentity {
            hostname,
            ethers,
            addresses,
        })
    }

    /// Whether one host ID names this host.
    pub fn matches(&self, id: &HostId) -> bool {
        match id {
            HostId::Any => true,
            HostId::Hostname(h) => *h == self.hostname,
            HostId::Ether(e) => self.ethers.iter().any(|mine| mine == e),
            HostId::Internet(pattern) => self
                .addresses
                .iter()
                .any(|a| internet_matches(pattern, &a.to_string())),
            HostId::Demo | HostId::Other(_) => false,
        }
    }

    /// Whether any of `ids` names this host.
    pub fn matches_any(&self, ids: &[HostId]) -> bool {
        ids.iter().any(|id| self.matches(id))
    }

    /// The IDs a license file could bind to this host, as lmhostid lists them.
    pub fn as_host_ids(&self) -> Vec<HostId> {
        let mut ids = vec![HostId::Hostname(self.hostname.clone())];
        ids.extend(self.ethers.iter().cloned().map(HostId::Ether));
        ids.extend(
            self.addresses
                .iter()
                .map(|a| HostId::Internet(a.to_string())),
        );
        ids
    }
}

/// `INTERNET=` patterns: dotted parts, each a number or `*`.
fn internet_matches(pattern: &str, address: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let a: Vec<&str> = address.split('.').collect();
    if p.len() != a.len() {
        return pattern == address;
    }
    p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostIdentity {
        HostIdentity {
            hostname: "license_server1".into(),
            ethers: vec!["00123f7c25ed".into()],
            addresses: vec!["10.1.2.3".parse().unwrap()],
        }
    }

    #[test]
    fn hostnames_match_exactly_and_case_sensitively() {
        let h = host();
        assert!(h.matches(&HostId::Hostname("license_server1".into())));
        assert!(!h.matches(&HostId::Hostname("LICENSE_SERVER1".into())));
    }

    #[test]
    fn ethers_any_and_internet_patterns() {
        let h = host();
        assert!(h.matches(&HostId::Ether("00123f7c25ed".into())));
        assert!(!h.matches(&HostId::Ether("00123f7c25ee".into())));
        assert!(h.matches(&HostId::Any));
        assert!(h.matches(&HostId::Internet("10.1.*.*".into())));
        assert!(!h.matches(&HostId::Internet("10.2.*.*".into())));
        assert!(!h.matches(&HostId::Demo));
    }

    #[test]
    fn this_machine_has_a_hostname() {
        let h = HostIdentity::current().unwrap();
        assert!(!h.hostname.is_empty());
        assert!(h.ethers.iter().all(|e| e.len() == 12));
    }
}

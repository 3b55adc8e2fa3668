//! The dashboard's own state, one per emulator, which `Shared` holds: the page token, the
//! bound address and the key it checks requests against. It is kept apart from the routes
//! (`mod.rs`, `api.rs`), which read `Shared`, so that `Shared` depends on this file and this
//! file on nothing of the emulator.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::client::{KeySigner, Secret};

/// Event streams open at once; each holds a receiver on the bus.
const MAX_VIEWERS: usize = 64;

/// The dashboard's own state: one per emulator.
pub(crate) struct Dashboard {
    pub(super) page_token: String,
    pub(super) bound: SocketAddr,
    pub(super) key: Secret,
    pub(super) signer: KeySigner,
    pub(super) viewers: Arc<Semaphore>,
    /// Test hook ([`crate::emulator::Emulator::treat_peers_as_remote`]): every peer counts as
    /// non-loopback, since tests cannot connect from another machine.
    pub(super) remote_peers: AtomicBool,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    pub fn new(bound: SocketAddr, access_key: &str) -> Dashboard {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let key = Secret::new(access_key);
        Dashboard {
            page_token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            bound,
            signer: KeySigner::new(&key),
            key,
            viewers: Arc::new(Semaphore::new(MAX_VIEWERS)),
            remote_peers: AtomicBool::new(false),
        }
    }

    pub fn treat_peers_as_remote(&self, yes: bool) {
        self.remote_peers.store(yes, Ordering::Relaxed);
    }

    /// Bound beyond loopback: then nothing here is served without the key.
    pub(super) fn exposed(&self) -> bool {
        !is_loopback(self.bound.ip())
    }

    /// Whether `authority` (`host[:port]`) names this emulator: a loopback name or the bound
    /// address, with the bound port (or none, when that is 80). Bound to an unspecified
    /// address (0.0.0.0, ::), any IP literal is one of its names; host names never are, but
    /// such an emulator requires the key anyway.
    pub(super) fn serves_host(&self, authority: &str) -> bool {
        let (name, port) = split_authority(authority);
        let port_ok = match port {
            Some(p) => p.parse::<u16>().ok() == Some(self.bound.port()),
            None => self.bound.port() == 80,
        };
        if !port_ok {
            return false;
        }
        if name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        let ip = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name)
            .parse::<IpAddr>();
        match ip {
            Ok(ip) => is_loopback(ip) || ip == self.bound.ip() || self.bound.ip().is_unspecified(),
            Err(_) => false,
        }
    }
}

/// `host:port`, `[v6]:port`, or either without a port.
pub(super) fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let (name, rest) = authority.split_at(end + 1);
                (name, rest.strip_prefix(':'))
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (authority, None),
    }
}

/// Loopback addresses, IPv4-mapped ones included.
pub(super) fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or(v6.is_loopback(), |v4| v4.is_loopback()),
    }
}

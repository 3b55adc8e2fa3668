//! Every hub by name, and the connection-id counter.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::Hub;

/// All hubs and the connection-id counter.
#[derive(Debug)]
pub(crate) struct Registry {
    hubs: RwLock<HashMap<String, Arc<Hub>>>,
    next_id: AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            hubs: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }
}

impl Registry {
    /// The hub by name if a client ever connected to it; REST calls must not create hubs.
    pub fn get(&self, name: &str) -> Option<Arc<Hub>> {
        let hubs = self.hubs.read().unwrap_or_else(|e| e.into_inner());
        hubs.get(&name.to_ascii_lowercase()).cloned()
    }

    /// The hub by name; hub names are case-insensitive, as in the official emulator.
    pub fn hub(&self, name: &str) -> Arc<Hub> {
        let key = name.to_ascii_lowercase();
        if let Some(h) = self
            .hubs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return h.clone();
        }
        self.hubs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    /// Forgets a hub that has no connections left and that nobody is using, so a client
    /// cannot make the emulator keep one hub per name it ever tried.
    pub fn release(&self, name: &str) {
        let key = name.to_ascii_lowercase();
        let mut hubs = self.hubs.write().unwrap_or_else(|e| e.into_inner());
        // Under the registry's write lock nobody can take a new handle; the map's own is 1.
        if hubs
            .get(&key)
            .is_some_and(|h| Arc::strong_count(h) == 1 && h.read().conns.is_empty())
        {
            hubs.remove(&key);
        }
    }

    /// How many hubs are held (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.hubs.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Every hub a client ever connected to, by (lowercased) name, for the dashboard.
    pub fn all(&self) -> Vec<(String, Arc<Hub>)> {
        let hubs = self.hubs.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<(String, Arc<Hub>)> =
            hubs.iter().map(|(k, h)| (k.clone(), h.clone())).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub fn new_connection_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let salt: u32 = rand::random();
        format!("{n:x}-{salt:08x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Protocol;
    use crate::emulator::hub::Conn;

    #[test]
    fn an_empty_hub_nobody_holds_is_released() {
        let registry = Registry::default();
        let hub = registry.hub("Chat");
        let (conn, _rx) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        hub.connect(conn, &[]);
        registry.release("chat");
        assert_eq!(registry.len(), 1, "in use");
        hub.disconnect("c");
        registry.release("chat");
        assert_eq!(registry.len(), 1, "a handle is still held");
        drop(hub);
        registry.release("CHAT");
        assert_eq!(registry.len(), 0);
    }
}

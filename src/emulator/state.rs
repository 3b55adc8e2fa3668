//! Hubs, connections, users and groups, held in memory.
//!
//! Each hub has its own lock, so traffic on one hub never waits for another. Fan-out takes a
//! read lock only long enough to collect the targets' senders; the frames are written by each
//! connection's own task.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use tokio::sync::mpsc;

/// How a WebSocket client talks to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// No subprotocol: payloads arrive as bare frames.
    Raw,
    /// `json.webpubsub.azure.v1`.
    Json,
    /// `json.reliable.webpubsub.azure.v1`.
    JsonReliable,
}

impl Protocol {
    pub const JSON: &'static str = "json.webpubsub.azure.v1";
    pub const JSON_RELIABLE: &'static str = "json.reliable.webpubsub.azure.v1";

    pub fn from_subprotocol(name: Option<&str>) -> Self {
        match name {
            Some(p) if p.eq_ignore_ascii_case(Self::JSON) => Protocol::Json,
            Some(p) if p.eq_ignore_ascii_case(Self::JSON_RELIABLE) => Protocol::JsonReliable,
            _ => Protocol::Raw,
        }
    }
}

/// The kind of a message body, from the REST content type or the client's `dataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    Text,
    Json,
    Binary,
}

impl DataKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::Text => "text",
            DataKind::Json => "json",
            DataKind::Binary => "binary",
        }
    }
}

/// Where a message came from, as the JSON subprotocols report it.
#[derive(Debug, Clone)]
pub enum Source {
    Server,
    Group {
        group: String,
        from_user: Option<String>,
    },
}

/// One message on its way to many connections; its JSON envelope is built once and shared.
#[derive(Debug)]
pub struct Message {
    pub source: Source,
    pub kind: DataKind,
    /// Raw bytes: UTF-8 text, JSON text, or binary.
    pub body: Bytes,
    envelope: OnceLock<serde_json::Map<String, serde_json::Value>>,
    envelope_text: OnceLock<Utf8Bytes>,
}

impl Message {
    pub fn new(source: Source, kind: DataKind, body: Bytes) -> Arc<Self> {
        Arc::new(Message {
            source,
            kind,
            body,
            envelope: OnceLock::new(),
            envelope_text: OnceLock::new(),
        })
    }

    /// The `{"type":"message",...}` object without a `sequenceId`.
    pub fn envelope(&self) -> &serde_json::Map<String, serde_json::Value> {
        use base64::Engine;
        use serde_json::Value;
        self.envelope.get_or_init(|| {
            let mut m = serde_json::Map::new();
            m.insert("type".into(), "message".into());
            match &self.source {
                Source::Server => {
                    m.insert("from".into(), "server".into());
                }
                Source::Group { group, from_user } => {
                    m.insert("from".into(), "group".into());
                    m.insert("group".into(), group.clone().into());
                    m.insert(
                        "fromUserId".into(),
                        from_user.clone().map(Value::String).unwrap_or(Value::Null),
                    );
                }
            }
            m.insert("dataType".into(), self.kind.as_str().into());
            let data = match self.kind {
                DataKind::Text => Value::String(String::from_utf8_lossy(&self.body).into_owned()),
                DataKind::Json => serde_json::from_slice(&self.body).unwrap_or(Value::Null),
                DataKind::Binary => {
                    Value::String(base64::engine::general_purpose::STANDARD.encode(&self.body))
                }
            };
            m.insert("data".into(), data);
            m
        })
    }

    /// The envelope as one shared text frame (non-reliable JSON clients).
    pub fn envelope_text(&self) -> Utf8Bytes {
        self.envelope_text
            .get_or_init(|| {
                Utf8Bytes::from(serde_json::Value::Object(self.envelope().clone()).to_string())
            })
            .clone()
    }
}

/// What the hub hands to a connection's writer task.
#[derive(Debug, Clone)]
pub enum Outbound {
    Data(Arc<Message>),
    /// A ready JSON frame (system messages, acks, pong).
    Json(Utf8Bytes),
    /// Send `disconnected` (JSON clients) and a close frame, then stop.
    Close {
        code: u16,
        reason: String,
    },
}

/// A connected client as the hub sees it.
#[derive(Debug)]
pub struct Conn {
    pub id: String,
    pub user_id: Option<String>,
    pub protocol: Protocol,
    pub roles: Vec<String>,
    pub tx: mpsc::UnboundedSender<Outbound>,
}

#[derive(Debug)]
pub struct ConnEntry {
    pub conn: Arc<Conn>,
    pub groups: HashSet<String>,
    /// Per-group rights granted over REST: (permission, group).
    pub granted: HashSet<(String, String)>,
    /// Per-group rights revoked over REST; a revoke beats any role.
    pub revoked: HashSet<(String, String)>,
}

#[derive(Debug, Default)]
pub struct HubState {
    pub conns: HashMap<String, ConnEntry>,
    pub users: HashMap<String, HashSet<String>>,
    pub groups: HashMap<String, HashSet<String>>,
}

impl HubState {
    pub fn add_conn(&mut self, conn: Arc<Conn>) {
        if let Some(u) = &conn.user_id {
            self.users
                .entry(u.clone())
                .or_default()
                .insert(conn.id.clone());
        }
        self.conns.insert(
            conn.id.clone(),
            ConnEntry {
                conn,
                groups: HashSet::new(),
                granted: HashSet::new(),
                revoked: HashSet::new(),
            },
        );
    }

    /// Removes a connection from the hub, its user and every group.
    pub fn remove_conn(&mut self, id: &str) -> Option<ConnEntry> {
        let entry = self.conns.remove(id)?;
        if let Some(u) = &entry.conn.user_id {
            if let Some(set) = self.users.get_mut(u) {
                set.remove(id);
                if set.is_empty() {
                    self.users.remove(u);
                }
            }
        }
        for g in &entry.groups {
            self.leave_group_index(g, id);
        }
        Some(entry)
    }

    pub fn join_group(&mut self, id: &str, group: &str) -> bool {
        let Some(entry) = self.conns.get_mut(id) else {
            return false;
        };
        entry.groups.insert(group.to_string());
        self.groups
            .entry(group.to_string())
            .or_default()
            .insert(id.to_string());
        true
    }

    pub fn leave_group(&mut self, id: &str, group: &str) {
        if let Some(entry) = self.conns.get_mut(id) {
            entry.groups.remove(group);
        }
        self.leave_group_index(group, id);
    }

    fn leave_group_index(&mut self, group: &str, id: &str) {
        if let Some(set) = self.groups.get_mut(group) {
            set.remove(id);
            if set.is_empty() {
                self.groups.remove(group);
            }
        }
    }

    pub fn user_conn_ids(&self, user: &str) -> Vec<String> {
        self.users
            .get(user)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn group_conn_ids(&self, group: &str) -> Vec<String> {
        self.groups
            .get(group)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// One hub: its state behind its own lock.
#[derive(Debug, Default)]
pub struct Hub {
    pub state: RwLock<HubState>,
}

impl Hub {
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, HubState> {
        // A poisoned lock means a panic elsewhere already; the data is still consistent
        // enough for an emulator, so keep serving.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, HubState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// All hubs, the key and the connection-id counter.
#[derive(Debug)]
pub struct Registry {
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

    pub fn new_connection_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let salt: u32 = rand::random();
        format!("{n:x}-{salt:08x}")
    }
}

impl ConnEntry {
    /// Whether this connection may `permission` (`sendToGroup` / `joinLeaveGroup`) on `group`:
    /// a REST revoke wins, then a REST grant, then the token's roles.
    pub fn allowed(&self, permission: &str, group: &str) -> bool {
        let key = (permission.to_string(), group.to_string());
        if self.revoked.contains(&key) {
            return false;
        }
        if self.granted.contains(&key) {
            return true;
        }
        let any = format!("webpubsub.{permission}");
        self.conn.roles.iter().any(|role| {
            role == &any || role.strip_prefix(&any).and_then(|r| r.strip_prefix('.')) == Some(group)
        })
    }
}

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
    raw_text: OnceLock<Utf8Bytes>,
}

impl Message {
    pub fn new(source: Source, kind: DataKind, body: Bytes) -> Arc<Self> {
        Arc::new(Message {
            source,
            kind,
            body,
            envelope: OnceLock::new(),
            envelope_text: OnceLock::new(),
            raw_text: OnceLock::new(),
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

impl Message {
    /// The body as one shared text frame (plain WebSocket clients, text and JSON bodies).
    pub fn raw_text(&self) -> Utf8Bytes {
        self.raw_text
            .get_or_init(|| Utf8Bytes::from(String::from_utf8_lossy(&self.body).into_owned()))
            .clone()
    }

    /// The envelope with `sequenceId` appended (reliable clients): the shared text with the
    /// field spliced in before its closing brace, so the body is not serialized again.
    pub fn sequenced_text(&self, sequence_id: u64) -> Utf8Bytes {
        let text = self.envelope_text();
        let open = text.as_str().strip_suffix('}').unwrap_or(text.as_str());
        Utf8Bytes::from(format!("{open},\"sequenceId\":{sequence_id}}}"))
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
    /// a REST revoke wins, then a REST grant, then the token's roles (any group, one group,
    /// or a wildcard pattern).
    pub fn allowed(&self, permission: &str, group: &str) -> bool {
        let key = (permission.to_string(), group.to_string());
        if self.revoked.contains(&key) {
            return false;
        }
        if self.granted.contains(&key) {
            return true;
        }
        self.conn
            .roles
            .iter()
            .any(|role| role_allows(role, permission, group))
    }

    /// REST grant: an exact-group allow that also lifts an earlier revoke of that group.
    pub fn grant(&mut self, permission: &str, group: &str) {
        let key = (permission.to_string(), group.to_string());
        self.revoked.remove(&key);
        self.granted.insert(key);
    }

    /// REST revoke: an exact-group deny that beats any role or pattern.
    pub fn revoke(&mut self, permission: &str, group: &str) {
        let key = (permission.to_string(), group.to_string());
        self.granted.remove(&key);
        self.revoked.insert(key);
    }
}

/// Whether one role grants `permission` on `group`: `webpubsub.<permission>` (any group),
/// `webpubsub.<permission>.<group>` (exactly that one), `webpubsub.<permission>s.<pattern>`.
pub fn role_allows(role: &str, permission: &str, group: &str) -> bool {
    let Some(rest) = role
        .strip_prefix("webpubsub.")
        .and_then(|r| r.strip_prefix(permission))
    else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    if let Some(exact) = rest.strip_prefix('.') {
        return exact == group;
    }
    rest.strip_prefix("s.")
        .is_some_and(|pattern| wildcard_matches(pattern, group))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `.`.
    One,
    /// `*`: any run of characters without `.`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
}

/// Most `*` a wildcard role may hold; longer patterns match nothing.
const MAX_STARS: usize = 5;

/// Matches a group name against a wildcard role pattern (`?`, `*`, `**`, `\` escapes).
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let mut tokens = Vec::new();
    let mut stars = 0;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => tokens.push(Token::Literal(escaped)),
                // A dangling escape makes the pattern invalid.
                None => return false,
            },
            '?' => tokens.push(Token::One),
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                stars += 2;
                tokens.push(Token::DoubleStar);
            }
            '*' => {
                stars += 1;
                tokens.push(Token::Star);
            }
            c => tokens.push(Token::Literal(c)),
        }
    }
    if stars > MAX_STARS {
        return false;
    }
    let name: Vec<char> = name.chars().collect();
    // reach[j]: the tokens so far can consume exactly name[..j].
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            match token {
                Token::Literal(c) => {
                    if j > 0 && reach[j - 1] && name[j - 1] == c {
                        next[j] = true;
                    }
                }
                Token::One => {
                    if j > 0 && reach[j - 1] && name[j - 1] != '.' {
                        next[j] = true;
                    }
                }
                Token::Star | Token::DoubleStar => {
                    let any = token == Token::DoubleStar;
                    next[j] = reach[j] || (j > 0 && next[j - 1] && (any || name[j - 1] != '.'));
                }
            }
        }
        reach = next;
    }
    reach[name.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_patterns_follow_the_service_rules() {
        assert!(wildcard_matches("room?", "room1"));
        assert!(!wildcard_matches("room?", "room."));
        assert!(!wildcard_matches("room?", "room12"));
        assert!(wildcard_matches("room*", "room"));
        assert!(wildcard_matches("room*", "room-other"));
        assert!(!wildcard_matches("room*", "room.a"));
        assert!(wildcard_matches("room.**", "room.a.b"));
        assert!(wildcard_matches("a*b*c", "axxbyyc"));
        assert!(!wildcard_matches("a*b*c", "axxbyy"));
        assert!(wildcard_matches("lit\\*", "lit*"));
        assert!(!wildcard_matches("lit\\*", "litx"));
        assert!(wildcard_matches("*-*-*-*-*", "a-b-c-d-e"));
        assert!(!wildcard_matches("*-*-*-*-*-*", "a-b-c-d-e-f"));
        assert!(!wildcard_matches("bad\\", "bad\\"));
    }

    #[test]
    fn roles_grant_any_exact_or_pattern_and_revoke_wins() {
        assert!(role_allows("webpubsub.sendToGroup", "sendToGroup", "g"));
        assert!(role_allows("webpubsub.sendToGroup.g", "sendToGroup", "g"));
        assert!(!role_allows("webpubsub.sendToGroup.g", "sendToGroup", "G"));
        assert!(!role_allows(
            "webpubsub.sendToGroup.g",
            "joinLeaveGroup",
            "g"
        ));
        assert!(role_allows(
            "webpubsub.sendToGroups.g*",
            "sendToGroup",
            "g2"
        ));
        assert!(role_allows(
            "webpubsub.joinLeaveGroups.**",
            "joinLeaveGroup",
            "a.b"
        ));
        assert!(!role_allows(
            "webpubsub.joinLeaveGroupsx",
            "joinLeaveGroup",
            "x"
        ));

        let (tx, _rx) = mpsc::unbounded_channel();
        let conn = Arc::new(Conn {
            id: "c".into(),
            user_id: None,
            protocol: Protocol::Json,
            roles: vec!["webpubsub.joinLeaveGroups.room*".into()],
            tx,
        });
        let mut state = HubState::default();
        state.add_conn(conn);
        let entry = state.conns.get_mut("c").expect("added");
        assert!(entry.allowed("joinLeaveGroup", "room"));
        entry.revoke("joinLeaveGroup", "room");
        assert!(!entry.allowed("joinLeaveGroup", "room"));
        assert!(entry.allowed("joinLeaveGroup", "room-other"));
        entry.grant("joinLeaveGroup", "room");
        entry.grant("joinLeaveGroup", "lobby");
        assert!(entry.allowed("joinLeaveGroup", "room"));
        assert!(entry.allowed("joinLeaveGroup", "lobby"));
        assert!(!entry.allowed("sendToGroup", "lobby"));
    }
}

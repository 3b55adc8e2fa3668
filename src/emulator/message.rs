//! Messages on their way to connections: built once, framed per protocol, shared.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;

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

impl Outbound {
    /// What this item counts against a connection's queue, in bytes.
    pub fn size(&self) -> usize {
        match self {
            Outbound::Data(msg) => msg.body.len(),
            Outbound::Json(text) => text.len(),
            Outbound::Close { reason, .. } => reason.len(),
        }
    }
}

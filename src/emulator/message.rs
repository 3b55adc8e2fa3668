//! Messages on their way to connections: built once, framed per protocol, shared.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;

use super::metadata::Metadata;

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

    /// The Content-Type of a body of this kind (event handler requests).
    pub fn content_type(self) -> &'static str {
        match self {
            DataKind::Text => "text/plain; charset=utf-8",
            DataKind::Json => "application/json",
            DataKind::Binary => "application/octet-stream",
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
    /// Raw bytes: UTF-8 text, JSON text exactly as received, or binary.
    pub body: Bytes,
    /// `X-WebPubSub-Metadata-*` (REST) or a client's `metadata`, already validated.
    pub metadata: Metadata,
    envelope_text: OnceLock<Utf8Bytes>,
    raw_text: OnceLock<Utf8Bytes>,
}

impl Message {
    pub fn new(source: Source, kind: DataKind, body: Bytes) -> Arc<Self> {
        Self::with_metadata(source, kind, body, Metadata::default())
    }

    pub fn with_metadata(
        source: Source,
        kind: DataKind,
        body: Bytes,
        metadata: Metadata,
    ) -> Arc<Self> {
        Arc::new(Message {
            source,
            kind,
            body,
            metadata,
            envelope_text: OnceLock::new(),
            raw_text: OnceLock::new(),
        })
    }

    /// The `{"type":"message",...}` frame without a `sequenceId`, as one shared text frame.
    /// Written by hand so JSON data goes out exactly as it came in (a number past f64, say,
    /// is not rounded by a round trip through a parsed value).
    pub fn envelope_text(&self) -> Utf8Bytes {
        self.envelope_text
            .get_or_init(|| Utf8Bytes::from(self.build_envelope()))
            .clone()
    }

    fn build_envelope(&self) -> String {
        use base64::Engine;
        let quoted = |s: &str| serde_json::Value::from(s).to_string();
        let mut out = String::with_capacity(self.body.len() * 4 / 3 + 128);
        out.push_str(r#"{"type":"message","from":"#);
        match &self.source {
            Source::Server => out.push_str(r#""server""#),
            Source::Group { group, from_user } => {
                out.push_str(r#""group","group":"#);
                out.push_str(&quoted(group));
                out.push_str(r#","fromUserId":"#);
                match from_user {
                    Some(u) => out.push_str(&quoted(u)),
                    None => out.push_str("null"),
                }
            }
        }
        out.push_str(r#","dataType":""#);
        out.push_str(self.kind.as_str());
        out.push_str(r#"","data":"#);
        match self.kind {
            DataKind::Text => out.push_str(&quoted(&String::from_utf8_lossy(&self.body))),
            // Checked to be one JSON value when it came in.
            DataKind::Json => out.push_str(String::from_utf8_lossy(&self.body).trim()),
            DataKind::Binary => {
                out.push('"');
                base64::engine::general_purpose::STANDARD.encode_string(&self.body, &mut out);
                out.push('"');
            }
        }
        if !self.metadata.is_empty() {
            out.push_str(r#","metadata":"#);
            out.push_str(&self.metadata.to_json());
        }
        out.push('}');
        out
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

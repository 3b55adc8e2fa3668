//! Messages on their way to connections: built once, framed per protocol, shared.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use prost::Message as _;
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

use super::metadata::Metadata;
use super::wire;
use crate::client::proto::{self, downstream_message, message_data};
use crate::client::Protocol;

/// The kind of a message body, from the REST content type or the client's `dataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    Text,
    Json,
    Binary,
    /// A protobuf client's `protobuf_data`: the body is the encoded `google.protobuf.Any`.
    Protobuf,
}

impl DataKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::Text => "text",
            DataKind::Json => "json",
            DataKind::Binary => "binary",
            DataKind::Protobuf => "protobuf",
        }
    }

    /// The Content-Type of a body of this kind (event handler requests).
    pub fn content_type(self) -> &'static str {
        match self {
            DataKind::Text => "text/plain; charset=utf-8",
            DataKind::Json => "application/json",
            DataKind::Binary => "application/octet-stream",
            DataKind::Protobuf => "application/x-protobuf",
        }
    }

    /// Bodies that plain WebSocket clients get in binary frames.
    pub fn is_binary(self) -> bool {
        matches!(self, DataKind::Binary | DataKind::Protobuf)
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
    /// The QoS an MQTT client published it with; 1 for everything else (the service
    /// publishes REST and Web PubSub messages to MQTT subscribers at QoS 1, downgraded to
    /// what each subscription was granted).
    pub qos: u8,
    envelope_text: OnceLock<Utf8Bytes>,
    raw_text: OnceLock<Utf8Bytes>,
    protobuf_frame: OnceLock<ProtobufFrame>,
    /// Whole WebSocket frames for plain, JSON and protobuf clients, and (when the body is one
    /// Socket.IO event) Socket.IO clients ([`Message::wire_frame`]).
    wire_frames: [OnceLock<Option<Bytes>>; 4],
}

/// The protobuf `DownstreamMessage` of a message and the length of its outer header (the
/// `data_message` tag and length), so a sequence id can be spliced into the inner message.
#[derive(Debug)]
struct ProtobufFrame {
    bytes: Bytes,
    header: usize,
}

/// `DownstreamMessage.data_message`: field 2, length-delimited.
const DATA_MESSAGE_TAG: u8 = (2 << 3) | 2;
/// `DataMessage.sequence_id`: field 4, varint.
const SEQUENCE_ID_TAG: u8 = 4 << 3;

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
        Arc::new(Self::build(source, kind, body, metadata))
    }

    fn build(source: Source, kind: DataKind, body: Bytes, metadata: Metadata) -> Self {
        Message {
            source,
            kind,
            // A body is most often a slice of a connection's read buffer (hyper's 8 KiB, a
            // WebSocket or MQTT frame's), which it would keep whole for as long as a stalled
            // receiver's queue holds the message: one copy per message keeps only its bytes.
            body: Bytes::copy_from_slice(&body),
            metadata,
            qos: 1,
            envelope_text: OnceLock::new(),
            raw_text: OnceLock::new(),
            protobuf_frame: OnceLock::new(),
            wire_frames: Default::default(),
        }
    }

    /// A message an MQTT client published at `qos`.
    pub fn published(source: Source, kind: DataKind, body: Bytes, qos: u8) -> Arc<Self> {
        Arc::new(Message {
            qos,
            ..Self::build(source, kind, body, Metadata::default())
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
            DataKind::Binary | DataKind::Protobuf => {
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
    /// The frame every connection of `protocol` gets for this message; None for the reliable
    /// subprotocols, whose frames carry each connection's own sequence id (and for MQTT,
    /// whose clients get packets).
    pub fn shared_frame(&self, protocol: Protocol) -> Option<WsMessage> {
        Some(match protocol {
            Protocol::Raw if self.kind.is_binary() => WsMessage::Binary(self.body.clone()),
            Protocol::Raw => WsMessage::Text(self.raw_text()),
            Protocol::Json => WsMessage::Text(self.envelope_text()),
            Protocol::Protobuf => WsMessage::Binary(self.protobuf_frame()),
            Protocol::JsonReliable
            | Protocol::ProtobufReliable
            | Protocol::Mqtt
            | Protocol::SocketIo => return None,
        })
    }

    /// [`Message::shared_frame`] as the bytes on the wire, header included, built once per
    /// protocol: what the fan-out writes straight to an idle client's socket. For Socket.IO
    /// clients, the body as one text frame when it is a lone Socket.IO event (what the
    /// session would send for it, see `socketio::is_lone_event`); None for any other body,
    /// which the session must read.
    pub fn wire_frame(&self, protocol: Protocol) -> Option<Bytes> {
        let slot = match protocol {
            Protocol::Raw => &self.wire_frames[0],
            Protocol::Json => &self.wire_frames[1],
            Protocol::Protobuf => &self.wire_frames[2],
            Protocol::SocketIo => &self.wire_frames[3],
            _ => return None,
        };
        slot.get_or_init(|| match protocol {
            Protocol::SocketIo => crate::emulator::socketio::is_lone_event(&self.body)
                .then(|| wire::frame(false, &self.body)),
            _ => match self.shared_frame(protocol)? {
                WsMessage::Text(text) => Some(wire::frame(false, text.as_bytes())),
                WsMessage::Binary(bytes) => Some(wire::frame(true, &bytes)),
                _ => None,
            },
        })
        .clone()
    }

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

impl Message {
    /// The protobuf `DownstreamMessage` without a `sequence_id`, as one shared binary frame.
    pub fn protobuf_frame(&self) -> Bytes {
        self.protobuf().bytes.clone()
    }

    /// The protobuf frame with `sequence_id` (reliable clients): the shared inner message
    /// with the field appended and the outer length written anew, so the body is not
    /// encoded again. Protobuf fields may come in any order.
    pub fn sequenced_protobuf(&self, sequence_id: u64) -> Bytes {
        use prost::encoding::{encode_varint, encoded_len_varint};
        let frame = self.protobuf();
        let inner = &frame.bytes[frame.header..];
        let inner_len = inner.len() + 1 + encoded_len_varint(sequence_id);
        let mut out = Vec::with_capacity(1 + encoded_len_varint(inner_len as u64) + inner_len);
        out.push(DATA_MESSAGE_TAG);
        encode_varint(inner_len as u64, &mut out);
        out.extend_from_slice(inner);
        out.push(SEQUENCE_ID_TAG);
        encode_varint(sequence_id, &mut out);
        Bytes::from(out)
    }

    fn protobuf(&self) -> &ProtobufFrame {
        self.protobuf_frame.get_or_init(|| {
            let inner = self.data_message().encode_to_vec();
            let mut out = Vec::with_capacity(inner.len() + 6);
            out.push(DATA_MESSAGE_TAG);
            prost::encoding::encode_varint(inner.len() as u64, &mut out);
            let header = out.len();
            out.extend_from_slice(&inner);
            ProtobufFrame {
                bytes: Bytes::from(out),
                header,
            }
        })
    }

    fn data_message(&self) -> downstream_message::DataMessage {
        let text = || String::from_utf8_lossy(&self.body).into_owned();
        let data = match self.kind {
            DataKind::Text => message_data::Data::TextData(text()),
            // As received, not re-encoded (the definition's `json_data`).
            DataKind::Json => message_data::Data::JsonData(text()),
            DataKind::Binary => message_data::Data::BinaryData(self.body.clone()),
            // Checked to be an encoded Any when it came in.
            DataKind::Protobuf => message_data::Data::ProtobufData(
                proto::Any::decode(self.body.clone()).unwrap_or_default(),
            ),
        };
        let (from, group) = match &self.source {
            Source::Server => ("server", None),
            // The protobuf protocols have no field for the sender's user id.
            Source::Group { group, .. } => ("group", Some(group.clone())),
        };
        downstream_message::DataMessage {
            from: from.into(),
            group,
            data: Some(proto::MessageData { data: Some(data) }),
            sequence_id: None,
            metadata: self.metadata.pairs().iter().cloned().collect(),
        }
    }
}

/// What the hub hands to a connection's writer task.
#[derive(Debug, Clone)]
pub enum Outbound {
    Data(Arc<Message>),
    /// A ready JSON frame (system messages, acks, pong).
    Json(Utf8Bytes),
    /// A ready protobuf frame (acks, pong) for a protobuf client.
    Binary(Bytes),
    /// Send what a direct write left in the socket's wire (`wire.rs`).
    Flush,
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
            Outbound::Binary(bytes) => bytes.len(),
            Outbound::Close { reason, .. } => reason.len(),
            Outbound::Flush => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::proto::downstream_message::Message as Down;
    use crate::client::proto::DownstreamMessage;

    fn decoded(frame: Bytes) -> downstream_message::DataMessage {
        match DownstreamMessage::decode(frame).expect("decodes").message {
            Some(Down::DataMessage(m)) => m,
            other => panic!("not a data message: {other:?}"),
        }
    }

    #[test]
    fn the_sequenced_protobuf_frame_is_the_frame_with_its_sequence_id() {
        let metadata = Metadata::from_pairs(vec![("k".into(), "v".into())]).expect("valid");
        let source = Source::Group {
            group: "g".into(),
            from_user: Some("u".into()),
        };
        let body = Bytes::from(vec![7u8; 300]);
        let msg = Message::with_metadata(source, DataKind::Binary, body.clone(), metadata);
        let plain = decoded(msg.protobuf_frame());
        assert_eq!(plain.sequence_id, None);
        assert_eq!(plain.group.as_deref(), Some("g"));
        assert_eq!(plain.metadata.get("k").map(String::as_str), Some("v"));
        for seq in [1, 127, 128, u64::MAX] {
            let mut want = plain.clone();
            want.sequence_id = Some(seq);
            assert_eq!(
                decoded(msg.sequenced_protobuf(seq)),
                want,
                "sequence id {seq}"
            );
        }
        // Without metadata the splice is byte for byte what prost writes.
        let msg = Message::new(Source::Server, DataKind::Text, Bytes::from_static(b"xyz"));
        let mut full = decoded(msg.protobuf_frame());
        full.sequence_id = Some(12345);
        let want = DownstreamMessage {
            message: Some(Down::DataMessage(full)),
        }
        .encode_to_vec();
        assert_eq!(&msg.sequenced_protobuf(12345)[..], &want[..]);
    }

    #[test]
    fn a_socketio_client_gets_a_lone_event_as_its_frame_and_nothing_else_directly() {
        let msg = |body: &'static [u8]| Message::new(Source::Server, DataKind::Text, body.into());
        let event = br#"42["ev","fan-out"]"#;
        assert_eq!(
            msg(event).wire_frame(Protocol::SocketIo),
            Some(wire::frame(false, event))
        );
        for other in [&b"41"[..], b"1", b"42[1]\x1e42[2]", b"451-[\"ev\"]"] {
            assert_eq!(msg(other).wire_frame(Protocol::SocketIo), None);
        }
        // The other protocols' frames are unchanged by it.
        let text = msg(event);
        assert_eq!(
            text.wire_frame(Protocol::Raw),
            Some(wire::frame(false, event))
        );
        assert_eq!(text.wire_frame(Protocol::JsonReliable), None);
    }

    #[test]
    fn json_goes_as_json_data_exactly_as_received() {
        let body = Bytes::from_static(b"{\"n\":123456789012345678901234567890}");
        let msg = Message::new(Source::Server, DataKind::Json, body);
        let data = decoded(msg.protobuf_frame()).data.and_then(|d| d.data);
        assert_eq!(
            data,
            Some(message_data::Data::JsonData(
                r#"{"n":123456789012345678901234567890}"#.into()
            ))
        );
    }
}

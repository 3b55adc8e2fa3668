//! The `protobuf.webpubsub.azure.v1` (and reliable) framing: a client's binary
//! `UpstreamMessage` read into a [`Request`], and the service's own messages to it as
//! `DownstreamMessage`s. The requests are the JSON protocol's; a codec only, like `json`.

use bytes::Bytes;
use prost::Message as _;

use super::protocol::{AckError, Payload, Request, MAX_TTL_SECONDS};
use crate::client::proto::downstream_message::{self as down, ack_message, system_message};
use crate::client::proto::message_data::Data;
use crate::client::proto::upstream_message::Message as Up;
use crate::client::proto::{DownstreamMessage, MessageData, MetadataMap, UpstreamMessage};
use crate::emulator::message::DataKind;
use crate::emulator::metadata::Metadata;
use crate::emulator::names;

/// Why a frame is not a request this emulator takes; the connection closes with 1007.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Invalid(pub &'static str);

/// Reads one `UpstreamMessage`; `Err` means it is invalid and the connection closes.
pub(super) fn parse(frame: Bytes) -> Result<Request, Invalid> {
    let message = UpstreamMessage::decode(frame)
        .map_err(|_| Invalid("The frame is not a protobuf UpstreamMessage."))?;
    let request = match message.message {
        None => return Err(Invalid("The request type is missing or not supported.")),
        Some(Up::JoinGroupMessage(m)) => {
            valid_group(&m.group)?;
            Request::JoinGroup {
                group: m.group,
                ack_id: m.ack_id,
            }
        }
        Some(Up::LeaveGroupMessage(m)) => {
            valid_group(&m.group)?;
            Request::LeaveGroup {
                group: m.group,
                ack_id: m.ack_id,
            }
        }
        Some(Up::SendToGroupMessage(m)) => {
            if m.stream.is_some() {
                return Err(Invalid("Streaming is not supported."));
            }
            valid_group(&m.group)?;
            if m.ttl_seconds
                .is_some_and(|t| u64::from(t) > MAX_TTL_SECONDS)
            {
                return Err(Invalid("ttl_seconds is more than 300."));
            }
            Request::SendToGroup {
                data: read_data(m.data, m.metadata)?,
                group: m.group,
                no_echo: m.no_echo.unwrap_or(false),
                ack_id: m.ack_id,
            }
        }
        Some(Up::EventMessage(m)) => {
            if m.stream.is_some() {
                return Err(Invalid("Streaming is not supported."));
            }
            names::event(&m.event).map_err(|_| Invalid("The event name is invalid."))?;
            Request::Event {
                data: read_data(m.data, m.metadata)?,
                name: m.event,
                ack_id: m.ack_id,
            }
        }
        Some(Up::SequenceAckMessage(m)) => Request::SequenceAck(m.sequence_id),
        Some(Up::PingMessage(_)) => Request::Ping,
    };
    Ok(request)
}

fn valid_group(group: &str) -> Result<(), Invalid> {
    names::group(group).map_err(|_| Invalid("The group name is invalid."))
}

/// The payload by its oneof case; a message with metadata and no data carries empty text.
/// Protobuf data keeps its encoded `Any`, which is what JSON and plain clients receive.
fn read_data(data: Option<MessageData>, metadata: MetadataMap) -> Result<Payload, Invalid> {
    let has_metadata = !metadata.is_empty();
    let metadata = Metadata::from_pairs(metadata.into_iter().collect())
        .map_err(|_| Invalid("The metadata is invalid."))?;
    let (kind, body) = match data.and_then(|d| d.data) {
        Some(Data::TextData(text)) => (DataKind::Text, Bytes::from(text)),
        Some(Data::BinaryData(bytes)) => (DataKind::Binary, bytes),
        Some(Data::ProtobufData(any)) => (DataKind::Protobuf, Bytes::from(any.encode_to_vec())),
        Some(Data::JsonData(json)) => {
            if serde_json::from_str::<serde::de::IgnoredAny>(&json).is_err() {
                return Err(Invalid("json_data is not JSON."));
            }
            (DataKind::Json, Bytes::from(json))
        }
        None if has_metadata => (DataKind::Text, Bytes::new()),
        None => return Err(Invalid("The data is missing.")),
    };
    Ok((kind, body, metadata))
}

fn frame(message: down::Message) -> Bytes {
    DownstreamMessage {
        message: Some(message),
    }
    .encode_to_vec()
    .into()
}

fn system(message: system_message::Message) -> Bytes {
    frame(down::Message::SystemMessage(down::SystemMessage {
        message: Some(message),
    }))
}

/// `ConnectedMessage`; a connection without a user has an empty `user_id`.
pub(super) fn connected(
    connection_id: &str,
    user_id: Option<&str>,
    reconnection_token: Option<String>,
) -> Bytes {
    system(system_message::Message::ConnectedMessage(
        system_message::ConnectedMessage {
            connection_id: connection_id.into(),
            user_id: user_id.unwrap_or_default().into(),
            reconnection_token,
        },
    ))
}

pub(super) fn disconnected(reason: &str) -> Bytes {
    system(system_message::Message::DisconnectedMessage(
        system_message::DisconnectedMessage {
            reason: reason.into(),
        },
    ))
}

pub(super) fn ack(ack_id: u64, result: Result<(), AckError>) -> Bytes {
    let error = result
        .err()
        .map(|(name, message)| ack_message::ErrorMessage {
            name: name.into(),
            message,
        });
    frame(down::Message::AckMessage(down::AckMessage {
        ack_id,
        success: error.is_none(),
        error,
    }))
}

pub(super) fn pong() -> Bytes {
    frame(down::Message::PongMessage(down::PongMessage {}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::proto::Any;

    #[test]
    fn data_is_read_by_its_case() {
        let data = |d| Some(MessageData { data: Some(d) });
        let none = MetadataMap::new();
        assert_eq!(
            read_data(data(Data::TextData("hi".into())), none.clone()),
            Ok((DataKind::Text, Bytes::from("hi"), Metadata::default()))
        );
        assert_eq!(
            read_data(data(Data::JsonData(r#"{"a":1}"#.into())), none.clone()).map(|d| d.0),
            Ok(DataKind::Json)
        );
        assert_eq!(
            read_data(data(Data::JsonData("{".into())), none.clone()),
            Err(Invalid("json_data is not JSON."))
        );
        let any = Any {
            type_url: "type.googleapis.com/x.Y".into(),
            value: Bytes::from_static(&[8, 1]),
        };
        let (kind, body, _) =
            read_data(data(Data::ProtobufData(any.clone())), none.clone()).expect("valid");
        assert_eq!(kind, DataKind::Protobuf);
        assert_eq!(body, any.encode_to_vec());
        // No data: empty text with metadata, invalid without.
        let metadata: MetadataMap = [("k".to_string(), "v".to_string())].into();
        assert_eq!(
            read_data(None, metadata).map(|d| (d.0, d.1)),
            Ok((DataKind::Text, Bytes::new()))
        );
        assert!(read_data(Some(MessageData { data: None }), none).is_err());
        let bad: MetadataMap = [("bad key".to_string(), "v".to_string())].into();
        assert!(read_data(data(Data::TextData("x".into())), bad).is_err());
    }

    #[test]
    fn acks_carry_the_error_only_on_failure() {
        let decode = |b: Bytes| DownstreamMessage::decode(b).expect("decodes").message;
        assert_eq!(
            decode(ack(7, Ok(()))),
            Some(down::Message::AckMessage(down::AckMessage {
                ack_id: 7,
                success: true,
                error: None
            }))
        );
        let Some(down::Message::AckMessage(failed)) =
            decode(ack(7, Err(("Forbidden", "no".into()))))
        else {
            panic!("not an ack");
        };
        assert!(!failed.success);
        assert_eq!(failed.error.expect("error").name, "Forbidden");
    }
}

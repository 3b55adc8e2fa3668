//! The protobuf messages in the shapes of the JSON subprotocol, so a protobuf client reads
//! and writes what a JSON client would (`wps listen --subprotocol protobuf.webpubsub.azure.v1`
//! prints the same lines either way).

use base64::Engine;
use prost::Message as _;
use serde_json::{json, Map, Value};

use super::downstream_message::{system_message, Message as Down};
use super::message_data::Data;
use super::upstream_message::{self as up, Message as Up};
use super::{DownstreamMessage, MessageData, UpstreamMessage};

/// A service message as the JSON subprotocol shapes it: `system`, `ack`, `message`, `pong`;
/// None for an empty or unknown case. Protobuf data keeps the JSON protocol's rendering of
/// it (`dataType` `protobuf`, the packed Any in base64); the protobuf protocols carry no
/// `fromUserId`.
pub fn downstream_to_json(message: DownstreamMessage) -> Option<Value> {
    Some(match message.message? {
        Down::AckMessage(ack) => {
            let mut v = json!({"type": "ack", "ackId": ack.ack_id, "success": ack.success});
            if let Some(e) = ack.error {
                v["error"] = json!({"name": e.name, "message": e.message});
            }
            v
        }
        Down::DataMessage(m) => {
            let mut v = Map::new();
            v.insert("type".into(), "message".into());
            v.insert("from".into(), m.from.into());
            if let Some(group) = m.group {
                v.insert("group".into(), group.into());
            }
            let (data_type, data) = data_json(m.data);
            v.insert("dataType".into(), data_type.into());
            v.insert("data".into(), data);
            if !m.metadata.is_empty() {
                let metadata = m.metadata.into_iter().map(|(k, v)| (k, v.into()));
                v.insert("metadata".into(), Value::Object(metadata.collect()));
            }
            if let Some(seq) = m.sequence_id {
                v.insert("sequenceId".into(), seq.into());
            }
            Value::Object(v)
        }
        Down::SystemMessage(s) => match s.message? {
            system_message::Message::ConnectedMessage(c) => {
                let mut v = json!({
                    "type": "system",
                    "event": "connected",
                    "userId": (!c.user_id.is_empty()).then_some(c.user_id),
                    "connectionId": c.connection_id,
                });
                if let Some(token) = c.reconnection_token {
                    v["reconnectionToken"] = token.into();
                }
                v
            }
            system_message::Message::DisconnectedMessage(d) => {
                json!({"type": "system", "event": "disconnected", "message": d.reason})
            }
        },
        Down::PongMessage(_) => json!({"type": "pong"}),
    })
}

/// `dataType` and `data` as a JSON client gets them: JSON inline (as a string if it does not
/// parse), binary and protobuf in base64.
fn data_json(data: Option<MessageData>) -> (&'static str, Value) {
    let b64 = |bytes: &[u8]| Value::from(base64::engine::general_purpose::STANDARD.encode(bytes));
    match data.and_then(|d| d.data) {
        None => ("text", Value::from("")),
        Some(Data::TextData(t)) => ("text", t.into()),
        Some(Data::JsonData(j)) => ("json", serde_json::from_str(&j).unwrap_or(Value::from(j))),
        Some(Data::BinaryData(b)) => ("binary", b64(&b)),
        Some(Data::ProtobufData(any)) => ("protobuf", b64(&any.encode_to_vec())),
    }
}

/// A JSON-protocol request as a protobuf `UpstreamMessage`: joinGroup, leaveGroup,
/// sendToGroup, event, sequenceAck, ping.
pub fn upstream_from_json(v: &Value) -> Result<UpstreamMessage, String> {
    let str_field = |name: &str| -> Result<String, String> {
        v[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("the request has no string '{name}'"))
    };
    let ack_id = v["ackId"].as_u64();
    let metadata = || -> Result<_, String> {
        match &v["metadata"] {
            Value::Null => Ok(Default::default()),
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(s) => Ok((k.clone(), s.to_string())),
                    None => Err(format!("the metadata value of '{k}' is not a string")),
                })
                .collect(),
            _ => Err("metadata is not an object".into()),
        }
    };
    let message = match v["type"].as_str().unwrap_or_default() {
        "joinGroup" => Up::JoinGroupMessage(up::JoinGroupMessage {
            group: str_field("group")?,
            ack_id,
        }),
        "leaveGroup" => Up::LeaveGroupMessage(up::LeaveGroupMessage {
            group: str_field("group")?,
            ack_id,
        }),
        "sendToGroup" => Up::SendToGroupMessage(up::SendToGroupMessage {
            group: str_field("group")?,
            ack_id,
            data: Some(data_from_json(v)?),
            no_echo: v["noEcho"].as_bool(),
            ttl_seconds: v["ttlSeconds"]
                .as_u64()
                .map(|t| t.min(u32::MAX.into()) as u32),
            metadata: metadata()?,
            stream: None,
        }),
        "event" => Up::EventMessage(up::EventMessage {
            event: str_field("event")?,
            data: Some(data_from_json(v)?),
            ack_id,
            metadata: metadata()?,
            stream: None,
        }),
        "sequenceAck" => Up::SequenceAckMessage(up::SequenceAckMessage {
            sequence_id: v["sequenceId"]
                .as_u64()
                .ok_or("the request has no 'sequenceId'")?,
        }),
        "ping" => Up::PingMessage(up::PingMessage {}),
        other => return Err(format!("no protobuf request for type '{other}'")),
    };
    Ok(UpstreamMessage {
        message: Some(message),
    })
}

/// `data` by `dataType` (json when absent), as the JSON protocol defines them.
fn data_from_json(v: &Value) -> Result<MessageData, String> {
    let data = &v["data"];
    let data = match v["dataType"].as_str().unwrap_or("json") {
        "text" => Data::TextData(data.as_str().ok_or("text data is not a string")?.into()),
        "json" => Data::JsonData(data.to_string()),
        "binary" => Data::BinaryData(
            base64::engine::general_purpose::STANDARD
                .decode(data.as_str().ok_or("binary data is not a string")?)
                .map_err(|_| "binary data is not base64")?
                .into(),
        ),
        other => return Err(format!("unknown dataType '{other}'")),
    };
    Ok(MessageData { data: Some(data) })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::downstream_message::{self as down, ack_message};
    use super::*;

    fn shaped(message: Down) -> Value {
        downstream_to_json(DownstreamMessage {
            message: Some(message),
        })
        .expect("a shape")
    }

    #[test]
    fn service_messages_take_the_json_protocols_shapes() {
        let data = |d| Some(MessageData { data: Some(d) });
        let mut metadata = std::collections::BTreeMap::new();
        metadata.insert("k".to_string(), "v".to_string());
        let group = down::DataMessage {
            from: "group".into(),
            group: Some("g".into()),
            data: data(Data::JsonData(r#"{"a":1}"#.into())),
            sequence_id: Some(3),
            metadata,
        };
        assert_eq!(
            shaped(Down::DataMessage(group)),
            json!({"type":"message","from":"group","group":"g","dataType":"json","data":{"a":1},"metadata":{"k":"v"},"sequenceId":3})
        );
        let server = down::DataMessage {
            from: "server".into(),
            data: data(Data::BinaryData(Bytes::from_static(&[1, 2, 3]))),
            ..Default::default()
        };
        assert_eq!(
            shaped(Down::DataMessage(server)),
            json!({"type":"message","from":"server","dataType":"binary","data":"AQID"})
        );
        let ack = down::AckMessage {
            ack_id: 2,
            success: false,
            error: Some(ack_message::ErrorMessage {
                name: "Forbidden".into(),
                message: "no".into(),
            }),
        };
        assert_eq!(
            shaped(Down::AckMessage(ack)),
            json!({"type":"ack","ackId":2,"success":false,"error":{"name":"Forbidden","message":"no"}})
        );
        let connected = down::SystemMessage {
            message: Some(system_message::Message::ConnectedMessage(
                system_message::ConnectedMessage {
                    connection_id: "c".into(),
                    user_id: String::new(),
                    reconnection_token: Some("t".into()),
                },
            )),
        };
        assert_eq!(
            shaped(Down::SystemMessage(connected)),
            json!({"type":"system","event":"connected","userId":null,"connectionId":"c","reconnectionToken":"t"})
        );
        assert_eq!(
            shaped(Down::PongMessage(down::PongMessage {})),
            json!({"type":"pong"})
        );
    }

    #[test]
    fn json_requests_become_the_sdks_protobuf_bytes() {
        // The official protobuf client's bytes for the same requests (see proto/tests.rs).
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        let encode = |v: Value| upstream_from_json(&v).expect("valid").encode_to_vec();
        assert_eq!(
            encode(json!({"type":"joinGroup","group":"group","ackId":44133})),
            b64("MgsKBWdyb3VwEOXYAg==")
        );
        assert_eq!(
            encode(json!({"type":"sequenceAck","sequenceId":123456})),
            b64("QgQIwMQH")
        );
        assert_eq!(
            encode(
                json!({"type":"sendToGroup","group":"group","dataType":"text","data":"xzy","noEcho":false})
            ),
            b64("ChAKBWdyb3VwGgUKA3h6eSAA")
        );
        assert!(upstream_from_json(&json!({"type":"invoke"})).is_err());
        assert!(upstream_from_json(&json!({"type":"joinGroup"})).is_err());
    }
}

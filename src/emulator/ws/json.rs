//! The `json.webpubsub.azure.v1` (and reliable) framing: a client's text frame read into a
//! [`Request`], and the service's own messages to it (connected, disconnected, acks, pong).
//! A codec only: what a request does is `requests`' business.

use base64::Engine;
use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::protocol::{AckError, Payload, Request, MAX_TTL_SECONDS};
use crate::emulator::message::DataKind;
use crate::emulator::metadata::Metadata;
use crate::emulator::names;

/// Reads one JSON message; `Err` means it is invalid and the connection closes (1007).
pub(super) fn parse(text: &[u8]) -> Result<Request, ()> {
    let v: Value = serde_json::from_slice(text).map_err(|_| ())?;
    // The service matches the type case-insensitively.
    let kind = match v.get("type").and_then(Value::as_str).ok_or(())? {
        t if t.eq_ignore_ascii_case("joinGroup") => "joinGroup",
        t if t.eq_ignore_ascii_case("leaveGroup") => "leaveGroup",
        t if t.eq_ignore_ascii_case("sendToGroup") => "sendToGroup",
        t if t.eq_ignore_ascii_case("event") => "event",
        t if t.eq_ignore_ascii_case("sequenceAck") => "sequenceAck",
        t if t.eq_ignore_ascii_case("ping") => "ping",
        _ => return Err(()),
    };
    let ack_id = match v.get("ackId") {
        None | Some(Value::Null) => None,
        Some(a) => Some(a.as_u64().ok_or(())?),
    };
    // A missing or invalid group or event name makes the message invalid (1007), as in
    // the service.
    let group = || -> Result<String, ()> {
        let g = v.get("group").and_then(Value::as_str).ok_or(())?;
        names::group(g).map_err(|_| ())?;
        Ok(g.to_string())
    };
    let request = match kind {
        "joinGroup" => Request::JoinGroup {
            group: group()?,
            ack_id,
        },
        "leaveGroup" => Request::LeaveGroup {
            group: group()?,
            ack_id,
        },
        "sendToGroup" => {
            let group = group()?;
            let data = decode_data(&v, text)?;
            let no_echo = match v.get("noEcho") {
                None | Some(Value::Null) => false,
                Some(b) => b.as_bool().ok_or(())?,
            };
            if let Some(ttl) = v.get("ttlSeconds").filter(|t| !t.is_null()) {
                if ttl.as_u64().is_none_or(|t| t > MAX_TTL_SECONDS) {
                    return Err(());
                }
            }
            Request::SendToGroup {
                group,
                data,
                no_echo,
                ack_id,
            }
        }
        "event" => {
            let name = v.get("event").and_then(Value::as_str).ok_or(())?;
            names::event(name).map_err(|_| ())?;
            let data = decode_data(&v, text)?;
            Request::Event {
                name: name.to_string(),
                data,
                ack_id,
            }
        }
        "sequenceAck" => {
            let upto = v.get("sequenceId").and_then(Value::as_u64).ok_or(())?;
            Request::SequenceAck(upto)
        }
        "ping" => Request::Ping,
        _ => return Err(()),
    };
    Ok(request)
}

/// `data` by `dataType` (json when absent): text must be a string, binary standard base64,
/// json anything but null, taken from the frame's own bytes so it travels exactly as sent.
/// A frame with `metadata` and no `data` carries empty text.
fn decode_data(v: &Value, frame: &[u8]) -> Result<Payload, ()> {
    let metadata = Metadata::from_json(v.get("metadata")).map_err(|_| ())?;
    let Some(data) = v.get("data") else {
        return match v.get("metadata") {
            Some(m) if !m.is_null() => Ok((DataKind::Text, Bytes::new(), metadata)),
            _ => Err(()),
        };
    };
    let (kind, body) = match v.get("dataType").and_then(Value::as_str).unwrap_or("json") {
        "text" => (
            DataKind::Text,
            Bytes::from(data.as_str().ok_or(())?.to_string()),
        ),
        "json" if !data.is_null() => {
            #[derive(serde::Deserialize)]
            struct RawData<'a> {
                #[serde(borrow)]
                data: &'a RawValue,
            }
            let raw: RawData = serde_json::from_slice(frame).map_err(|_| ())?;
            (
                DataKind::Json,
                Bytes::copy_from_slice(raw.data.get().as_bytes()),
            )
        }
        "binary" => {
            let s = data.as_str().ok_or(())?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| ())?;
            (DataKind::Binary, Bytes::from(bytes))
        }
        _ => return Err(()),
    };
    Ok((kind, body, metadata))
}

/// The first frame; on reliable connections it carries the token that recovers the
/// connection (null when none was issued).
pub(super) fn connected(
    connection_id: &str,
    user_id: Option<&str>,
    reliable: bool,
    reconnection_token: Option<String>,
) -> Utf8Bytes {
    let mut connected = json!({
        "type": "system",
        "event": "connected",
        "userId": user_id,
        "connectionId": connection_id,
    });
    if reliable {
        connected["reconnectionToken"] = reconnection_token.into();
    }
    connected.to_string().into()
}

pub(super) fn disconnected(reason: &str) -> Utf8Bytes {
    let bye = json!({"type": "system", "event": "disconnected", "message": reason});
    bye.to_string().into()
}

/// An `ack` message.
pub(super) fn ack(ack_id: u64, result: Result<(), AckError>) -> Utf8Bytes {
    let frame = match result {
        Ok(()) => json!({"type": "ack", "ackId": ack_id, "success": true}),
        Err((name, message)) => json!({
            "type": "ack", "ackId": ack_id, "success": false,
            "error": {"name": name, "message": message},
        }),
    };
    frame.to_string().into()
}

pub(super) fn pong() -> Utf8Bytes {
    Utf8Bytes::from_static(r#"{"type":"pong"}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_whole_or_not_at_all() {
        assert_eq!(
            parse(br#"{"type":"JOINgroup","group":"g","ackId":1}"#),
            Ok(Request::JoinGroup {
                group: "g".into(),
                ack_id: Some(1)
            })
        );
        // JSON data travels as the frame spelled it.
        let send = br#"{"type":"sendToGroup","group":"g","data":{ "a" : 1 },"ttlSeconds":300}"#;
        let Ok(Request::SendToGroup { data, no_echo, .. }) = parse(send) else {
            panic!("not a sendToGroup");
        };
        assert_eq!(
            (data.0, &data.1[..], no_echo),
            (DataKind::Json, &br#"{ "a" : 1 }"#[..], false)
        );
        let too_long = br#"{"type":"sendToGroup","group":"g","data":1,"ttlSeconds":301}"#;
        assert_eq!(parse(too_long), Err(()));
        assert_eq!(
            parse(br#"{"type":"event","event":"e","data":null}"#),
            Err(())
        );
        assert_eq!(parse(br#"{"type":"ping","ackId":-1}"#), Err(()));
    }
}

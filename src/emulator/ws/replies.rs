//! What the service itself tells a subprotocol client (connected, disconnected, acks, pong),
//! in the connection's framing: JSON text frames or protobuf binary frames.

use axum::extract::ws::{Message as WsMessage, Utf8Bytes};
use serde_json::json;

use super::json::{ack_frame, AckError};
use super::protobuf;
use crate::client::Protocol;
use crate::emulator::message::Outbound;

/// The first frame: the connection's id, its user and, on reliable connections, the token
/// that recovers it.
pub(super) fn connected(
    protocol: Protocol,
    connection_id: &str,
    user_id: Option<&str>,
    reconnection_token: Option<String>,
) -> WsMessage {
    if protocol.is_protobuf() {
        let token = reconnection_token.filter(|_| protocol.is_reliable());
        return WsMessage::Binary(protobuf::connected(connection_id, user_id, token));
    }
    let mut connected = json!({
        "type": "system",
        "event": "connected",
        "userId": user_id,
        "connectionId": connection_id,
    });
    if protocol.is_reliable() {
        connected["reconnectionToken"] = reconnection_token.into();
    }
    WsMessage::Text(connected.to_string().into())
}

/// Sent just before the service closes the connection.
pub(super) fn disconnected(protocol: Protocol, reason: &str) -> WsMessage {
    if protocol.is_protobuf() {
        return WsMessage::Binary(protobuf::disconnected(reason));
    }
    let bye = json!({"type": "system", "event": "disconnected", "message": reason});
    WsMessage::Text(bye.to_string().into())
}

/// The ack of a request that carried an ackId.
pub(super) fn ack(protocol: Protocol, ack_id: u64, result: Result<(), AckError>) -> Outbound {
    if protocol.is_protobuf() {
        Outbound::Binary(protobuf::ack(ack_id, result))
    } else {
        Outbound::Json(ack_frame(ack_id, result))
    }
}

/// The answer to a client's ping message.
pub(super) fn pong(protocol: Protocol) -> Outbound {
    if protocol.is_protobuf() {
        Outbound::Binary(protobuf::pong())
    } else {
        Outbound::Json(Utf8Bytes::from_static(r#"{"type":"pong"}"#))
    }
}

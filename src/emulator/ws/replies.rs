//! What the service itself tells a subprotocol client (connected, disconnected, acks, pong),
//! in the connection's framing: JSON text frames or protobuf binary frames.

use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::protocol::AckError;
use super::{json, protobuf};
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
    let reliable = protocol.is_reliable();
    WsMessage::Text(json::connected(
        connection_id,
        user_id,
        reliable,
        reconnection_token,
    ))
}

/// Sent just before the service closes the connection.
pub(super) fn disconnected(protocol: Protocol, reason: &str) -> WsMessage {
    if protocol.is_protobuf() {
        WsMessage::Binary(protobuf::disconnected(reason))
    } else {
        WsMessage::Text(json::disconnected(reason))
    }
}

/// The ack of a request that carried an ackId.
pub(super) fn ack(protocol: Protocol, ack_id: u64, result: Result<(), AckError>) -> Outbound {
    if protocol.is_protobuf() {
        Outbound::Binary(protobuf::ack(ack_id, result))
    } else {
        Outbound::Json(json::ack(ack_id, result))
    }
}

/// The answer to a client's ping message.
pub(super) fn pong(protocol: Protocol) -> Outbound {
    if protocol.is_protobuf() {
        Outbound::Binary(protobuf::pong())
    } else {
        Outbound::Json(json::pong())
    }
}

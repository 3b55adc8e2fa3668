//! The first packet of an MQTT connection: reading CONNECT (or the reply that refuses
//! anything else), checking it against the service's limits, and the session expiry it asks
//! for. Apart from the session's course (`mod.rs`) so the checks read (and test) alone.
//! Imports only `topics` among its siblings.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::topics::not_a_topic_name;
use crate::emulator::mqtt::codec::{self, Ack, AckCode, Inbound, Refusal, Version};
use crate::emulator::mqtt::store;
use crate::emulator::mqtt::{
    valid_client_id, KEEP_ALIVE_311, MAX_PACKET, MAX_WILL_MESSAGE, MAX_WILL_TOPIC,
};
use crate::emulator::transport::WebSocket;

/// How long the session outlives this connection, and what the CONNACK says about it (5.0,
/// when the emulator keeps it shorter than asked). 3.1.1's Clean Session 0 asks for as long as
/// the service keeps one.
pub(super) fn session_expiry(c: &codec::Connect) -> (Duration, Option<u32>) {
    let cap = store::MAX_EXPIRY.as_secs() as u32;
    match c.version {
        Version::V311 if c.clean_start => (Duration::ZERO, None),
        Version::V311 => (store::MAX_EXPIRY, None),
        Version::V5 => {
            let asked = c.session_expiry.unwrap_or(0);
            let kept = asked.min(cap);
            (
                Duration::from_secs(u64::from(kept)),
                (asked > cap).then_some(cap),
            )
        }
    }
}

/// Reads until the first packet is whole: a CONNECT, or the reply (if any) to send before
/// closing.
pub(super) async fn first_connect(
    socket: &mut WebSocket,
    buf: &mut BytesMut,
) -> Result<codec::Connect, Option<Bytes>> {
    loop {
        match codec::read(buf, None, MAX_PACKET) {
            Ok(Some(Inbound::Connect(c))) => return Ok(c),
            Ok(Some(_)) => return Err(None),
            Ok(None) => {}
            // A level we do not speak: answer in 3.1.1's terms, which any client reads.
            Err(codec::ReadError::UnsupportedVersion) => {
                return Err(Some(codec::connack(
                    Version::V311,
                    AckCode::Refused(Refusal::Version),
                    Ack::default(),
                )))
            }
            Err(_) => return Err(None),
        }
        match socket.next().await {
            Some(Ok(WsMessage::Binary(data))) => buf.extend_from_slice(&data),
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
            _ => return Err(None),
        }
    }
}

/// The service's limits on CONNECT ("How to connect MQTT WebSocket clients").
pub(super) fn check_connect(c: &codec::Connect) -> Option<Refusal> {
    // 5.0 may leave the id to the server ("assigned client ID"); 3.1.1 may not here.
    let id_ok =
        valid_client_id(&c.client_id) || (c.client_id.is_empty() && c.version == Version::V5);
    if !id_ok {
        return Some(Refusal::ClientId);
    }
    if c.version == Version::V311 && !KEEP_ALIVE_311.contains(&c.keep_alive) {
        return Some(Refusal::KeepAlive);
    }
    if let Some(will) = &c.will {
        if will.retain {
            return Some(Refusal::RetainNotSupported);
        }
        if will.topic.trim().is_empty()
            || not_a_topic_name(&will.topic).is_some()
            || will.topic.chars().count() > MAX_WILL_TOPIC
            || will.payload.len() > MAX_WILL_MESSAGE
        {
            return Some(Refusal::BadWill);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_will_topic_that_is_no_topic_name_refuses_the_connect() {
        for topic in ["a/+", "w#", "t\0x"] {
            let connect = codec::Connect {
                version: Version::V5,
                client_id: "c".into(),
                keep_alive: 30,
                will: Some(codec::Will {
                    topic: topic.into(),
                    payload: Bytes::from_static(b"bye"),
                    retain: false,
                    delay: 0,
                }),
                clean_start: true,
                session_expiry: None,
                username: None,
                password: None,
                user_properties: None,
            };
            assert!(
                matches!(check_connect(&connect), Some(Refusal::BadWill)),
                "{topic:?}"
            );
        }
    }
}

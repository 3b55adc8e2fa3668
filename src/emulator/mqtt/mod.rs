//! MQTT clients: `/clients/mqtt/hubs/{hub}`, WebSocket subprotocol `mqtt`, MQTT 3.1.1 and 5.0,
//! with the service's mapping (its "MQTT support" and "Data-plane REST API in the context of
//! MQTT" pages):
//!
//! - the client id is the connection id; a topic is a group: SUBSCRIBE joins (role
//!   `webpubsub.joinLeaveGroup[.<group>]`), UNSUBSCRIBE leaves, PUBLISH sends to the group
//!   (`webpubsub.sendToGroup[.<group>]`), all checked like any other client's requests;
//! - REST sends to all, a user or a connection arrive on `$webpubsub/server/messages`;
//! - wildcard and shared subscriptions, retained messages and topic aliases are refused with
//!   the reason codes MQTT 5 has for them (3.1.1: SUBACK failure, or ignored);
//! - an MQTT 5 Content Type maps to a Web PubSub data type and back (`application/json`,
//!   `text/plain`, `application/x-protobuf`, anything else or 3.1.1: binary).
//!
//! - `connect`, `connected` and `disconnected` go to event handlers with the MQTT
//!   CloudEvents extension (`ce-physicalConnectionId`, `ce-sessionId`, the `mqtt` bodies); a
//!   handler's refusal is a failed CONNACK with its `mqtt.code`;
//! - a PUBLISH to `$webpubsub/server/events/{event}` raises a user event, whose answer comes
//!   back on `.../succeeded` or `.../failed` before the PUBACK;
//! - a session outlives its connection for a client that asked (Clean Start 0), up to 30 s,
//!   with its unacknowledged QoS 1 messages (sent again on its return) and a 5.0 will's
//!   delay; the CONNECT password is binary data, passed on in base64.
//!
//! - `codec`: packets both ways, with rumqttc's 3.1.1 and 5.0 codecs;
//! - `inflight`: QoS 1 messages sent and not yet acknowledged, resent on resume;
//! - `session`: the per-connection task from CONNECT to the end;
//! - `store`: sessions by client id, live and kept.

mod codec;
mod inflight;
mod session;
pub(crate) mod store;

pub(crate) use store::Sessions;

use std::sync::Arc;

use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::client::Protocol;
use crate::emulator::auth::{string_list, token_of};
use crate::emulator::errors::{bad_request, not_an_upgrade, not_found, unauthorized};
use crate::emulator::shared::Shared;
use crate::emulator::transport::{is_upgrade, Accepted};
use crate::emulator::ws::connect_request;
use crate::emulator::{names, upstream};

/// The route's prefix.
pub(crate) const PREFIX: &str = "/clients/mqtt/hubs/";

/// Largest MQTT packet a client may send (the service's 1 MiB message limit, plus room for
/// the headers), checked from the packet's declared length before it is buffered.
const MAX_PACKET: usize = 1024 * 1024 + 64 * 1024;
/// How long a client may take to send CONNECT after the WebSocket opens.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Keep-alive the service accepts from 3.1.1 clients, in seconds.
const KEEP_ALIVE_311: std::ops::RangeInclusive<u16> = 1..=180;
/// Client ids: 1-128 characters of 0-9, a-z, A-Z.
const MAX_CLIENT_ID: usize = 128;
/// A will's topic: at most 1024 characters, not only whitespace; its message: 2,000 bytes.
const MAX_WILL_TOPIC: usize = 1024;
const MAX_WILL_MESSAGE: usize = 2000;
/// QoS 2 messages from a client waiting for its PUBREL.
const MAX_AWAITING_REL: usize = 1024;

/// Who the token says the client is, checked at the upgrade; the connection id comes later,
/// from CONNECT.
#[derive(Debug)]
pub(super) struct Admission {
    pub hub: String,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    pub groups: Vec<String>,
    /// The `connect` event's body but its `mqtt` part, which CONNECT fills in.
    pub request: upstream::ConnectRequest,
}

/// Checks an upgrade request to `/clients/mqtt/hubs/{hub}`: the session to start on its
/// socket, or the answer that refuses it.
#[allow(clippy::result_large_err)]
pub(crate) async fn check(shared: Arc<Shared>, parts: &Parts) -> Result<Accepted, Response> {
    let path = parts.uri.path();
    let Some(hub) = path.strip_prefix(PREFIX).filter(|h| !h.contains('/')) else {
        return Err(not_found(format!("no route for {path}")));
    };
    let hub = percent_decode_str(hub).decode_utf8_lossy().into_owned();
    if let Err(why) = names::hub(&hub) {
        return Err(bad_request(why));
    }
    if !is_upgrade(parts) {
        return Err(not_an_upgrade());
    }
    // MQTT over WebSocket is the `mqtt` subprotocol (MQTT 5 §6); echo it as offered.
    let Some(offered) = parts
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|p| p.eq_ignore_ascii_case(Protocol::MQTT))
        .map(str::to_string)
    else {
        return Err(bad_request(
            "MQTT clients must offer the WebSocket subprotocol 'mqtt'.",
        ));
    };
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let token = token_of(&query, &parts.headers);
    let Some(token) = token else {
        return Err(unauthorized("The request has no access_token."));
    };
    // The token's audience is this URL (`wps token --client-type mqtt` writes it so).
    let claims = shared
        .verifier
        .check_client_request(&token, parts)
        .map_err(unauthorized)?;
    let groups = string_list(&claims, "webpubsub.group");
    for g in &groups {
        names::group(g).map_err(bad_request)?;
    }
    let request = connect_request(&claims, &query, &parts.headers);
    let admission = Admission {
        request,
        hub,
        user_id: claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_string),
        roles: string_list(&claims, "role"),
        groups,
    };
    // Boxed: moved into the session's future, it would be held there for its whole life.
    let admission = Box::new(admission);
    Ok(Accepted {
        subprotocol: Some(offered),
        max_frame: MAX_PACKET,
        start: Box::new(move |socket| {
            tokio::spawn(session::run(shared, admission, Box::new(socket)));
        }),
    })
}

/// The service's client id rule.
fn valid_client_id(id: &str) -> bool {
    (1..=MAX_CLIENT_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_follow_the_service_rule() {
        assert!(valid_client_id("abcXYZ019"));
        assert!(valid_client_id(&"a".repeat(128)));
        assert!(!valid_client_id(&"a".repeat(129)));
        assert!(!valid_client_id(""));
        assert!(!valid_client_id("a-b"));
        assert!(!valid_client_id("é"));
    }
}

//! The upgrade request: route, token, subprotocol, and recovery of reliable connections.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;
use tokio::sync::mpsc;

use super::reliable::refuse;
use super::session::{self, Admission, RawMode};
use super::MAX_FRAME;
use crate::client::Protocol;
use crate::emulator::auth::{bearer, string_list};
use crate::emulator::errors::{bad_request, error, not_found, unauthorized};
use crate::emulator::{names, Shared};

pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let (mut parts, _body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let Some(hub) = path
        .strip_prefix("/client/hubs/")
        .filter(|h| !h.contains('/'))
    else {
        return not_found(format!("no route for {path}"));
    };
    let hub = percent_decode_str(hub).decode_utf8_lossy().into_owned();
    if let Err(why) = names::hub(&hub) {
        return bad_request(why);
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "Error.BadRequest",
                "The request is not a WebSocket upgrade request.",
            )
        }
    };
    let (protocol, offered) = negotiate(&parts.headers);
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };

    // Small starting buffers (they grow for a big frame): tungstenite's 128 KiB defaults cost
    // over a gigabyte at 10,000 mostly idle clients. Each frame is flushed as it is sent.
    let upgrade = upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME);
    let mut resp = if let (Some(id), Some(token)) = (
        param("awps_connection_id"),
        param("awps_reconnection_token"),
    ) {
        // A recovery: the access token is not checked (it may have expired since).
        let target = recovery_target(&shared, &hub, protocol, &id, &token);
        upgrade.on_upgrade(move |socket| async move {
            match target {
                Some(attach) => {
                    if let Err(mpsc::error::SendError(socket)) = attach.send(socket) {
                        refuse(socket).await;
                    }
                }
                None => refuse(socket).await,
            }
        })
    } else {
        match admit(&shared, hub, &parts, protocol, &param) {
            Ok(admission) => {
                upgrade.on_upgrade(move |socket: WebSocket| session::run(shared, admission, socket))
            }
            Err(resp) => return resp,
        }
    };
    if let Some(p) = offered.and_then(|p| HeaderValue::from_str(&p).ok()) {
        resp.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    resp
}

/// The first offered subprotocol we speak (case-insensitive), echoed as offered; unknown
/// ones alone mean a plain WebSocket.
fn negotiate(headers: &axum::http::HeaderMap) -> (Protocol, Option<String>) {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| match Protocol::from_subprotocol(Some(p)) {
            Protocol::Raw => None,
            known => Some((known, Some(p.to_string()))),
        })
        .unwrap_or((Protocol::Raw, None))
}

/// The session to hand a recovered socket to, if the request may recover `id`.
fn recovery_target(
    shared: &Shared,
    hub: &str,
    protocol: Protocol,
    id: &str,
    token: &str,
) -> Option<mpsc::UnboundedSender<WebSocket>> {
    if protocol != Protocol::JsonReliable || !shared.reconnect.check(token, id) {
        return None;
    }
    if shared.registry.hub(hub).protocol_of(id) != Some(Protocol::JsonReliable) {
        return None;
    }
    shared.sessions.get(id)
}

/// Checks a new connection's token and parameters.
// The error is the one response sent for the request, so its size does not matter.
#[allow(clippy::result_large_err)]
fn admit(
    shared: &Shared,
    hub: String,
    parts: &axum::http::request::Parts,
    protocol: Protocol,
    param: &dyn Fn(&str) -> Option<String>,
) -> Result<Admission, Response> {
    let token = param("access_token").or_else(|| bearer(&parts.headers).map(str::to_string));
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let Some(token) = token else {
        return Err(unauthorized("The request has no access_token."));
    };
    let aud = format!(
        "http://{host}/client/hubs/{}",
        crate::client::operations::encode(&hub)
    );
    let claims = shared
        .verifier
        .check_client(&token, &aud)
        .map_err(unauthorized)?;
    let groups = string_list(&claims, "webpubsub.group");
    for g in &groups {
        names::group(g).map_err(bad_request)?;
    }
    let mode = match param("webpubsub_mode").as_deref() {
        Some(m) if m.eq_ignore_ascii_case("sendToGroup") => {
            let g = param("group").unwrap_or_default();
            names::group(&g).map_err(bad_request)?;
            RawMode::SendToGroup(g)
        }
        _ => RawMode::SendEvent,
    };
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Admission {
        hub,
        user_id,
        roles: string_list(&claims, "role"),
        groups,
        protocol,
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_is_case_insensitive_and_echoes_the_offer() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(
                "foo, JSON.Reliable.WebPubSub.Azure.v1, json.webpubsub.azure.v1",
            ),
        );
        assert_eq!(
            negotiate(&h),
            (
                Protocol::JsonReliable,
                Some("JSON.Reliable.WebPubSub.Azure.v1".into())
            )
        );
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("foo"),
        );
        assert_eq!(negotiate(&h), (Protocol::Raw, None));
    }
}

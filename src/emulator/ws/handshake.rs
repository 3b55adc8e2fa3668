//! The upgrade request: route, token, subprotocol, and recovery of reliable connections.

use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::Value;
use tokio::sync::mpsc;

use super::reliable::refuse;
use super::session::{self, Admission, RawMode};
use super::socket::MAX_FRAME;
use crate::client::Protocol;
use crate::emulator::auth::{bearer, string_list};
use crate::emulator::errors::{bad_request, error, not_an_upgrade, not_found, unauthorized};
use crate::emulator::names;
use crate::emulator::shared::Shared;
use crate::emulator::transport::{is_upgrade, Accepted, WebSocket};
use crate::emulator::upstream::{self, Event, SystemEvent};
use crate::emulator::wire::Line;

pub(crate) type Claims = serde_json::Map<String, Value>;

/// Checks an upgrade request to `/client/hubs/{hub}`: the session to start on its socket, or
/// the answer that refuses it.
// The error is the one response sent for the request, so its size does not matter.
#[allow(clippy::result_large_err)]
pub(crate) async fn check(shared: Arc<Shared>, parts: &Parts) -> Result<Accepted, Response> {
    let path = parts.uri.path();
    let Some(hub) = path
        .strip_prefix("/client/hubs/")
        .filter(|h| !h.contains('/'))
    else {
        return Err(not_found(format!("no route for {path}")));
    };
    let hub = percent_decode_str(hub).decode_utf8_lossy().into_owned();
    if let Err(why) = names::hub(&hub) {
        return Err(bad_request(why));
    }
    if !is_upgrade(parts) {
        return Err(not_an_upgrade());
    }
    let (protocol, mut offered) = negotiate(&parts.headers);
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

    let start: Box<dyn FnOnce(WebSocket) + Send> = if let (Some(id), Some(token)) = (
        param("awps_connection_id"),
        param("awps_reconnection_token"),
    ) {
        // A recovery: the access token is not checked (it may have expired since).
        let target = recovery_target(&shared, &hub, protocol, &id, &token);
        Box::new(move |socket| {
            let socket = match target {
                Some(attach) => match attach.try_send(socket) {
                    Ok(()) => return,
                    Err(
                        mpsc::error::TrySendError::Full(socket)
                        | mpsc::error::TrySendError::Closed(socket),
                    ) => socket,
                },
                None => socket,
            };
            tokio::spawn(refuse(socket));
        })
    } else {
        let (mut admission, claims) = admit(&shared, hub, parts, protocol, &param)?;
        admission.upstream.set_subprotocol(offered.clone());
        let connect = Event::System(SystemEvent::Connect);
        if shared.upstream.handles(&admission.hub, connect) {
            let request = connect_request(&claims, &query, &parts.headers);
            match shared.upstream.connect(&admission.upstream, &request).await {
                Ok(Some(reply)) => apply_connect_reply(&mut admission, reply, &mut offered)?,
                Ok(None) => {}
                Err(failure) => return Err(refused(&failure)),
            }
        }
        // Boxed: moved into the session's future, it would be held there for its whole life.
        let admission = Box::new(admission);
        Box::new(move |socket| {
            tokio::spawn(session::run(shared, admission, socket));
        })
    };
    Ok(Accepted {
        subprotocol: offered,
        max_frame: MAX_FRAME,
        start,
    })
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
) -> Option<mpsc::Sender<WebSocket>> {
    if !protocol.is_reliable() || !shared.reconnect.check(token, id) {
        return None;
    }
    // The connection keeps its framing, so the request must offer the same subprotocol.
    let hub = shared.registry.get(hub)?;
    if hub.protocol_of(id) != Some(protocol) {
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
    parts: &Parts,
    protocol: Protocol,
    param: &dyn Fn(&str) -> Option<String>,
) -> Result<(Admission, Claims), Response> {
    let token = param("access_token").or_else(|| bearer(&parts.headers).map(str::to_string));
    let Some(token) = token else {
        return Err(unauthorized("The request has no access_token."));
    };
    // The audience is the URL as sent (HTTP/2 authority, raw path), scheme and host case aside.
    let claims = shared
        .verifier
        .check_client_request(&token, parts)
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
        None => RawMode::SendEvent,
        Some(m) if m.eq_ignore_ascii_case("sendEvent") => RawMode::SendEvent,
        Some(m) => {
            return Err(bad_request(format!(
                "Invalid webpubsub_mode '{m}': use sendEvent or sendToGroup."
            )))
        }
    };
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_string);
    let id = shared.registry.new_connection_id();
    let admission = Admission {
        upstream: upstream::Connection::new(&hub, &id, user_id.as_deref()),
        id,
        hub,
        user_id,
        roles: string_list(&claims, "role"),
        groups,
        protocol,
        // Reliable clients' frames carry their own sequence ids: always through the session.
        line: (!protocol.is_reliable())
            .then(|| parts.extensions.get::<Line>().cloned())
            .flatten(),
        mode,
    };
    Ok((admission, claims))
}

/// The `connect` event's body: the token's claims (each as a list of strings), the query
/// and headers of the upgrade request, and the subprotocols the client offered. MQTT
/// clients' `connect` starts from the same body.
pub(crate) fn connect_request(
    claims: &Claims,
    query: &[(String, String)],
    headers: &axum::http::HeaderMap,
) -> upstream::ConnectRequest {
    let claims = claims.iter().map(|(name, value)| {
        let values = match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect(),
            other => vec![other.to_string()],
        };
        (name.clone(), values)
    });
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let headers = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    upstream::ConnectRequest::new(
        claims,
        query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        headers,
        offered,
    )
}

/// Applies what the handler's `connect` answer asks for: user id, groups, roles, and the
/// subprotocol (which must be one the client offered).
#[allow(clippy::result_large_err)]
fn apply_connect_reply(
    admission: &mut Admission,
    reply: upstream::ConnectReply,
    offered: &mut Option<String>,
) -> Result<(), Response> {
    if let Some(user) = reply.user_id {
        let user = (!user.is_empty()).then_some(user);
        admission.upstream.set_user_id(user.clone());
        admission.user_id = user;
    }
    if let Some(groups) = reply.groups.filter(|g| !g.is_empty()) {
        for g in &groups {
            names::group(g).map_err(|why| {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Error.InternalServerError",
                    format!("The event handler's connect answer is invalid: {why}"),
                )
            })?;
        }
        admission.groups = groups;
    }
    if let Some(roles) = reply.roles {
        admission.roles = roles;
    }
    if let Some(chosen) = reply.subprotocol.filter(|p| !p.is_empty()) {
        admission.protocol = Protocol::from_subprotocol(Some(&chosen));
        admission.upstream.set_subprotocol(Some(chosen.clone()));
        *offered = Some(chosen);
    }
    Ok(())
}

/// The answer to a client the `connect` handler refused (or could not be asked): the
/// handler's status, without its body.
fn refused(failure: &upstream::Failure) -> Response {
    let status = StatusCode::from_u16(failure.status())
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match status {
        StatusCode::UNAUTHORIZED => "Error.Unauthorized",
        StatusCode::FORBIDDEN => "Error.Forbidden",
        s if s.is_client_error() => "Error.BadRequest",
        _ => "Error.InternalServerError",
    };
    error(
        status,
        code,
        format!(
            "The connect event handler refused the connection ({}).",
            status.as_u16()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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

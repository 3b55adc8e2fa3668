//! The REST operations longer than a few lines of `route`: a send to the hub or a group
//! (answered before a large fan-out is delivered), a permission's grant, revoke and check,
//! the paged list of a group's members, and `:generateToken`. Apart from the routing so
//! each reads as one operation. Imports `gate`, `params` and `answer`.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::OwnedRwLockReadGuard;

use super::answer::{status, Result};
use super::gate::Gate;
use super::params::{bounded, group_name, id_name, origin, Query};
use crate::emulator::errors::{bad_request, error, not_existed, Entity, Level};
use crate::emulator::filter::Filter;
use crate::emulator::hub::{Hub, Permission, Targets};
use crate::emulator::message::Message;
use crate::emulator::shared::Shared;

/// `maxpagesize` bounds of the paged connection list; 200 is also the default.
const MAX_PAGE_SIZE: u32 = 200;

/// Sends that reach at least this many connections are answered before they are delivered.
const DEFERRED_FROM: usize = 256;

/// A send to the hub or to a group.
pub(super) struct Fanout {
    pub(super) excluded: Vec<String>,
    pub(super) filter: Option<Filter>,
    pub(super) message: Arc<Message>,
}

impl Fanout {
    /// Delivers the send, or, when it reaches many connections, hands it to a task of its own
    /// once the hub's operations in flight are done, and returns. The service answers `202`
    /// once it has accepted a message, not once every client has it, and a caller should not
    /// wait for the last of thousands of writes; the task holds the hub's sole turn until it
    /// is done, so whatever the caller does next on the hub takes effect after it.
    pub(super) async fn deliver(
        self,
        hub: Option<&Arc<Hub>>,
        turn: OwnedRwLockReadGuard<()>,
        group: Option<&str>,
    ) {
        // Nobody ever connected to the hub: nobody to deliver to.
        let Some(hub) = hub else { return };
        let targets = group.map_or(Targets::All, Targets::Group);
        if hub.reach(targets) < DEFERRED_FROM {
            hub.send(targets, &self.excluded, self.filter.as_ref(), self.message);
            return;
        }
        drop(turn);
        let sole = hub.sole_turn().await;
        let (hub, group) = (hub.clone(), group.map(str::to_owned));
        // A thread of the blocking pool: thousands of writes would take one of the runtime's
        // few workers from every other connection and request for as long as they last.
        tokio::task::spawn_blocking(move || {
            let targets = group.as_deref().map_or(Targets::All, Targets::Group);
            hub.send(targets, &self.excluded, self.filter.as_ref(), self.message);
            drop(sole);
        });
    }
}

/// grant (PUT), revoke (DELETE) and check (HEAD) one permission on one group.
pub(super) fn permission_op(
    hub: &Hub,
    method: &Method,
    permission: &str,
    conn: &str,
    query: &Query,
) -> Result<Response> {
    let permission = Permission::parse(permission).ok_or_else(|| {
        bad_request(format!(
            "Invalid permission '{permission}': use sendToGroup or joinLeaveGroup."
        ))
    })?;
    id_name(conn, "connection id")?;
    let target = query
        .get("targetName")
        .ok_or_else(|| bad_request("The targetName parameter is required."))?;
    group_name(target)?;
    match *method {
        Method::HEAD if hub.allowed(conn, permission, target) => Ok(status(StatusCode::OK)),
        Method::HEAD if !hub.has_connection(conn) => {
            Err(not_existed(Level::Info, Entity::Connection, conn))
        }
        // No recording shows this answer's body: a plain 404.
        Method::HEAD => Ok(status(StatusCode::NOT_FOUND)),
        Method::PUT if hub.grant(conn, permission, target) => Ok(status(StatusCode::OK)),
        Method::PUT => Err(not_existed(Level::Info, Entity::Connection, conn)),
        _ => {
            // A revoke is an explicit deny, so it also beats a role that covers the group.
            hub.revoke(conn, permission, target);
            Ok(status(StatusCode::NO_CONTENT))
        }
    }
}

/// One page of a group's members, ordered by connection id. The continuation token is the
/// last id served (base64url), so pages stay consistent while members come and go.
pub(super) fn list_connections(
    hub: &Hub,
    parts: &axum::http::request::Parts,
    hub_name: &str,
    group: &str,
    query: &Query,
    version: &str,
) -> Result<Response> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let page_size = bounded(query, "maxpagesize", 1, MAX_PAGE_SIZE)?.unwrap_or(MAX_PAGE_SIZE);
    let top = bounded(query, "top", 1, i32::MAX as u32)?;
    let after = match query.get("continuationToken").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad_request("Invalid continuationToken."))?,
        ),
    };
    let take = top.map_or(page_size, |t| t.min(page_size)) as usize;
    let (members, more) = hub.members_page(group, after.as_deref(), take);
    let value: Vec<serde_json::Value> = members
        .iter()
        .map(|m| serde_json::json!({"connectionId": m.connection_id, "userId": m.user_id}))
        .collect();
    let remaining_top = top.map(|t| t - value.len() as u32);
    let mut body = serde_json::json!({ "value": value });
    if let (true, Some(last)) = (more && remaining_top != Some(0), members.last()) {
        use crate::client::operations::encode;
        let mut link = format!(
            "{}/api/hubs/{}/groups/{}/connections?api-version={version}&maxpagesize={page_size}",
            origin(parts),
            encode(hub_name),
            encode(group),
        );
        if let Some(t) = remaining_top {
            link.push_str(&format!("&top={t}"));
        }
        link.push_str("&continuationToken=");
        link.push_str(&URL_SAFE_NO_PAD.encode(last.connection_id.as_bytes()));
        body["nextLink"] = link.into();
    }
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

/// `:generateToken`: a client access token like the SDK's `get_client_access_token`.
pub(super) fn generate_token(
    shared: &Shared,
    parts: &axum::http::request::Parts,
    hub_name: &str,
    query: &Query,
    gate: &Gate,
) -> Result<Response> {
    let minutes = match query.get("minutesToExpire") {
        None => 60,
        Some(raw) => match raw.parse::<u64>() {
            Ok(n) if (1..=u64::from(u32::MAX)).contains(&n) => n,
            _ => {
                return Err(bad_request(format!(
                    "Invalid minutesToExpire '{raw}': it must be an integer of at least 1."
                )))
            }
        },
    };
    let groups = query.all("group");
    if !groups.is_empty() {
        gate.parameter("2022-11-01", "group")?;
    }
    if query.get("clientType").is_some() {
        gate.parameter("2024-01-01", "clientType")?;
    }
    for g in &groups {
        group_name(g)?;
    }
    let path = match query
        .get("clientType")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("mqtt") => "clients/mqtt/hubs",
        Some("socketio") => "clients/socketio/hubs",
        None | Some("default") => "client/hubs",
        Some(_) => {
            return Err(bad_request(format!(
                "Invalid clientType '{}': use Default, MQTT or SocketIO.",
                query.get("clientType").unwrap_or_default()
            )))
        }
    };
    let now = crate::client::now_secs();
    let claims = crate::client::ClientClaims {
        // The SDKs lowercase the endpoint for client tokens; so does the emulator.
        aud: format!("{}/{path}/{hub_name}", origin(parts).to_ascii_lowercase()),
        iat: now,
        exp: now + minutes * 60,
        sub: query
            .get("userId")
            .filter(|u| !u.is_empty())
            .map(str::to_string),
        role: query.all("role"),
        groups,
    };
    let token = shared
        .verifier
        .sign_client(&claims)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "Error.Internal", e))?;
    Ok((
        StatusCode::OK,
        axum::Json(serde_json::json!({ "token": token })),
    )
        .into_response())
}

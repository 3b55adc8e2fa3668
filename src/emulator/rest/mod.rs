//! The data-plane REST API, routed by hand: names are single percent-encoded segments and
//! actions are `:verb` segments, neither of which a path-template router takes well.
//!
//! This file owns the request's way through: [`handle`] reads the body, answers (HEAD
//! without a body) and records the call; `route` checks the api-version and the token, then
//! dispatches on method and path, each arm one call or a few lines. The rest is apart by
//! concern:
//!
//! - `invoke`: `:invoke`, a broadcast to the Socket.IO connections whose answer streams
//!   their acknowledgements;
//! - `operations`: the operations longer than a few lines: a send's fan-out, permissions,
//!   the paged member list, client tokens;
//! - `body`: reading the body: the size and time limits, a send's message, a batch;
//! - `gate`: what the requested api-version allows (operations and parameters);
//! - `params`: the query and the path: pairs, names checked, bounds, a filter, the origin;
//! - `answer`: the `Result` every handler returns, and the plain answers.
//!
//! Imports go one way, down this order, so no two files import each other: `mod` (this
//! file) > `invoke` > `operations` > `body` > `gate` > `params` > `answer`.
// Handlers (here and in the files below, which this attribute covers) fail with the HTTP
// response to send; it is built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod answer;
mod body;
mod gate;
mod invoke;
mod operations;
mod params;

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Version};
use axum::response::Response;
use bytes::Bytes;

use self::answer::{exists, internal, status, Result};
use self::body::{read_batch, read_limited, read_message, read_send};
use self::gate::Gate;
use self::invoke::Invoke;
use self::operations::{generate_token, list_connections, permission_op, Fanout};
use self::params::{close_reason, decode, group_name, hub_name, id_name, origin, Query};
use super::auth;
use super::errors::{
    bad_request, not_existed, not_found, unauthorized, unsupported_api_version, Entity, Level,
};
use super::hub::{Hub, Targets};
use super::message::{Message, Source};
use super::metadata::Metadata;
use super::shared::Shared;
use super::socketio::rooms;

/// API versions the service has shipped for the data plane; a missing one means the latest.
const API_VERSIONS: &[&str] = &[
    "2021-10-01",
    "2022-11-01",
    "2023-07-01",
    "2024-01-01",
    "2024-12-01",
];
const LATEST_API_VERSION: &str = "2024-12-01";

pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let (parts, body) = req.into_parts();
    // Read the whole body before answering, even to refuse the request: an answer sent with
    // the body unread makes the server drop the keep-alive connection under the client's next
    // request. A body that cannot be read whole ends the connection, and says so on HTTP/1
    // (HTTP/2 has no `Connection` header: it would turn the answer into a stream reset).
    let mut resp = match read_limited(body, shared.body_timeout).await {
        Ok(body) => route(&shared, parts, body).await.unwrap_or_else(|e| e),
        Err(mut refused) => {
            if parts.version < Version::HTTP_2 {
                refused
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            refused
        }
    };
    if method == Method::HEAD {
        // HEAD answers carry no body but keep the headers of the answer a GET would have had,
        // as the service's do: its type, its length and the error code.
        let len = resp.body().size_hint().exact();
        *resp.body_mut() = Body::empty();
        if let Some(len) = len.filter(|&n| n > 0) {
            resp.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
    }
    let status = resp.status().as_u16();
    shared
        .activity
        .rest_call(&method, uri.path(), status, started.elapsed());
    if shared.verbose >= 1 {
        eprintln!(
            "emulator: {method} {} -> {} ({} µs){}",
            uri.path(),
            resp.status().as_u16(),
            started.elapsed().as_micros(),
            socketio_room(uri.path()),
        );
    }
    resp
}

async fn route(
    shared: &Shared,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response> {
    let path = parts.uri.path();
    let query = Query::parse(parts.uri.query());
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();

    if !matches!(segs.first(), Some(&"api")) {
        return Err(not_found(format!("no route for {path}")));
    }
    let url = request_url(&parts);
    let version = match query.get("api-version") {
        None => Ok(LATEST_API_VERSION),
        Some(v) if API_VERSIONS.contains(&v) => Ok(v),
        Some(v) => Err(unsupported_api_version(&url, v)),
    };
    let method = parts.method.clone();
    // Health probes come from load balancers and monitors, which sign nothing.
    if segs == ["api", "health"] {
        version?;
        return match method {
            Method::HEAD | Method::GET => Ok(status(StatusCode::OK)),
            _ => Err(not_found(format!("no operation {method} {path}"))),
        };
    }
    // Authenticate before anything else, as the service does.
    authorize(shared, &parts)?;
    let version = version?;
    let gate = Gate { version, url: &url };
    let ["api", "hubs", hub, rest @ ..] = segs.as_slice() else {
        return Err(not_found(format!("no route for {path}")));
    };
    hub_name(hub)?;
    let hub_name = *hub;
    // Only clients bring a hub into being. Without connections every REST operation on a hub
    // is a no-op or a 404, so an empty stand-in answers for a hub that does not exist, and
    // any number of hub names in requests costs no memory.
    let empty = Hub::default();
    let hub_state = shared.registry.get(hub);
    let hub = hub_state.as_deref().unwrap_or(&empty);

    let excluded = query.all("excluded");
    let turn = hub.turn().await;
    match (&method, rest) {
        (&Method::POST, [":send"]) => {
            let (filter, message) = read_send(&gate, &query, &parts.headers, body, Source::Server)?;
            let send = Fanout {
                excluded,
                filter,
                message,
            };
            send.deliver(hub_state.as_ref(), turn, None).await;
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::POST, [":invoke"]) => {
            let invoke = Invoke {
                hub_name,
                excluded,
                filter: gate.filter(&query)?,
            };
            invoke.run(shared, hub_state.as_ref(), &parts.headers, body)
        }
        (&Method::POST, ["groups", group, ":send"]) => {
            group_name(group)?;
            let source = Source::Group {
                group: group.to_string(),
                from_user: None,
            };
            let (filter, message) = read_send(&gate, &query, &parts.headers, body, source)?;
            let send = Fanout {
                excluded,
                filter,
                message,
            };
            send.deliver(hub_state.as_ref(), turn, Some(group)).await;
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::POST, ["users", user, ":send"]) => {
            id_name(user, "user id")?;
            let (filter, message) = read_send(&gate, &query, &parts.headers, body, Source::Server)?;
            hub.send(Targets::User(user), &[], filter.as_ref(), message);
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::POST, ["connections", conn, ":send"]) => {
            id_name(conn, "connection id")?;
            // This operation takes no filter.
            gate.ttl(&query)?;
            let (kind, body) = read_message(&parts.headers, body)?;
            let metadata = Metadata::from_headers(&parts.headers).map_err(bad_request)?;
            let message = Message::with_metadata(Source::Server, kind, body, metadata);
            hub.send(Targets::Connection(conn), &[], None, message);
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::PUT, ["groups", group, "connections", conn]) => {
            group_name(group)?;
            id_name(conn, "connection id")?;
            if hub.add_connection_to_group(conn, group) {
                Ok(status(StatusCode::OK))
            } else {
                Err(not_existed(Level::Error, Entity::Connection, conn))
            }
        }
        (&Method::DELETE, ["groups", group, "connections", conn]) => {
            group_name(group)?;
            id_name(conn, "connection id")?;
            hub.remove_connection_from_group(conn, group);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, ["connections", conn, "groups"]) => {
            gate.operation("2022-11-01")?;
            id_name(conn, "connection id")?;
            hub.remove_connection_from_all_groups(conn);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::PUT, ["users", user, "groups", group]) => {
            id_name(user, "user id")?;
            group_name(group)?;
            if hub.add_user_to_group(user, group) {
                Ok(status(StatusCode::OK))
            } else {
                Err(not_existed(Level::Warning, Entity::User, user))
            }
        }
        (&Method::DELETE, ["users", user, "groups", group]) => {
            id_name(user, "user id")?;
            group_name(group)?;
            hub.remove_user_from_group(user, group);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, ["users", user, "groups"]) => {
            id_name(user, "user id")?;
            hub.remove_user_from_all_groups(user);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::POST, [":closeConnections"]) => {
            hub.close(Targets::All, &excluded, &close_reason(&query));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::POST, ["groups", group, ":closeConnections"]) => {
            group_name(group)?;
            hub.close(Targets::Group(group), &excluded, &close_reason(&query));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::POST, ["users", user, ":closeConnections"]) => {
            id_name(user, "user id")?;
            hub.close(Targets::User(user), &excluded, &close_reason(&query));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, ["connections", conn]) => {
            id_name(conn, "connection id")?;
            hub.close(Targets::Connection(conn), &[], &close_reason(&query));
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::HEAD, ["connections", conn]) => {
            id_name(conn, "connection id")?;
            exists(hub.has_connection(conn), Entity::Connection, conn)
        }
        (&Method::HEAD, ["users", user]) => {
            id_name(user, "user id")?;
            exists(hub.has_user(user), Entity::User, user)
        }
        (&Method::HEAD, ["groups", group]) => {
            group_name(group)?;
            exists(hub.has_group(group), Entity::Group, group)
        }
        (m, ["permissions", permission, "connections", conn])
            if matches!(*m, Method::PUT | Method::DELETE | Method::HEAD) =>
        {
            permission_op(hub, m, permission, conn, &query)
        }
        (&Method::POST, [action @ (":addToGroups" | ":removeFromGroups")]) => {
            // The Socket.IO extension (1.2.1) sends these through its hub's tunnel with
            // api-version 2023-07-01 and works against the service, which takes them there.
            if parts.extensions.get::<auth::TunnelCall>().is_none() {
                gate.operation("2024-01-01")?;
            }
            let batch = read_batch(&parts.headers, body)?;
            let add = *action == ":addToGroups";
            if shared.verbose >= 1 {
                for (group, room) in batch
                    .groups
                    .iter()
                    .filter_map(|g| Some((g, rooms::of_group(g)?)))
                {
                    eprintln!("emulator: {action} {group} is {room}");
                }
            }
            match (hub_state, batch.filter) {
                // A filter as large as a body may take a while to run over every connection:
                // off the async workers, and without holding the hub's lock (see the method).
                (Some(hub), Some(filter)) => {
                    let groups = batch.groups;
                    tokio::task::spawn_blocking(move || {
                        hub.change_groups_by_filter(add, &groups, Some(&filter));
                    })
                    .await
                    .map_err(|_| internal("The filter could not be evaluated."))?;
                }
                (Some(hub), None) => hub.change_groups_by_filter(add, &batch.groups, None),
                (None, _) => {}
            }
            Ok(status(StatusCode::OK))
        }
        (&Method::GET, ["groups", group, "connections"]) => {
            gate.operation("2024-12-01")?;
            group_name(group)?;
            list_connections(hub, &parts, hub_name, group, &query, version)
        }
        (&Method::POST, [":generateToken"]) => {
            generate_token(shared, &parts, hub_name, &query, &gate)
        }
        _ => Err(not_found(format!("no operation {method} {path}"))),
    }
}

/// For `-v`: the Socket.IO room a path's group stands for (` [namespace /chat, room lobby]`),
/// or nothing.
fn socketio_room(path: &str) -> String {
    path.split('/')
        .find_map(|segment| rooms::of_group(&decode(segment)))
        .map(|room| format!(" [{room}]"))
        .unwrap_or_default()
}

fn authorize(shared: &Shared, parts: &axum::http::request::Parts) -> Result<()> {
    // Through a tunnel connection: its token stood for the call (checked there, hub included).
    if parts.extensions.get::<auth::TunnelCall>().is_some() {
        return Ok(());
    }
    let token = auth::bearer(&parts.headers)
        .ok_or_else(|| unauthorized("The request has no 'Authorization: Bearer' token."))?;
    // No host means no URL to compare the audience with: refuse rather than guess one.
    let urls = auth::request_urls(parts).map_err(bad_request)?;
    shared
        .verifier
        .check_rest(token, &urls)
        .map_err(unauthorized)
}

/// The request's URL as sent (origin, path and query), as the api-version error quotes it.
fn request_url(parts: &axum::http::request::Parts) -> String {
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{}{path_and_query}", origin(parts))
}

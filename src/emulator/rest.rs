//! The data-plane REST API, routed by hand: names are single percent-encoded segments and
//! actions are `:verb` segments, neither of which a path-template router takes well.
// Handlers fail with the HTTP response to send; it is built once per request, so its size
// does not matter.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use percent_encoding::percent_decode_str;

use super::state::{DataKind, Hub, Message, Outbound, Source};
use super::Shared;

/// API versions the service has shipped for the data plane; a missing one means the latest.
const API_VERSIONS: &[&str] = &[
    "2021-10-01",
    "2022-11-01",
    "2023-07-01",
    "2024-01-01",
    "2024-12-01",
];
const MAX_BODY: usize = 1024 * 1024;
const DEFAULT_CLOSE_REASON: &str = "Closed by REST API.";

pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let resp = route(&shared, req).await.unwrap_or_else(|e| e);
    if shared.verbose >= 1 {
        eprintln!(
            "emulator: {method} {} -> {} ({} µs)",
            uri.path(),
            resp.status().as_u16(),
            started.elapsed().as_micros()
        );
    }
    resp
}

/// The service's flat error body, with `x-ms-error-code`. HEAD answers carry no body.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!({"code": code, "message": message.into(), "target": "Request"});
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(code) {
        resp.headers_mut().insert("x-ms-error-code", v);
    }
    resp
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "Error.BadRequest", message)
}

fn status(code: StatusCode) -> Response {
    code.into_response()
}

type Result<T> = std::result::Result<T, Response>;

/// Query pairs, percent-decoded (`+` stays `+`, as in the service).
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query(pairs)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

async fn route(shared: &Shared, req: Request<Body>) -> Result<Response> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let query = Query::parse(parts.uri.query());
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();

    if !matches!(segs.first(), Some(&"api")) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "Error.NotFound",
            format!("no route for {path}"),
        ));
    }
    // Authenticate before anything else, as the service does.
    authorize(shared, &parts)?;
    match query.get("api-version") {
        None => {}
        Some(v) if API_VERSIONS.contains(&v) => {}
        Some(v) => {
            return Err(bad_request(format!(
                "The api-version '{v}' is not supported. Supported versions: {}.",
                API_VERSIONS.join(", ")
            )))
        }
    }

    let method = parts.method.clone();
    if segs == ["api", "health"] {
        return Ok(status(StatusCode::OK));
    }
    let ["api", "hubs", hub, rest @ ..] = segs.as_slice() else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "Error.NotFound",
            format!("no route for {path}"),
        ));
    };
    validate_hub(hub)?;
    let hub_state = shared.registry.hub(hub);
    let hub = hub_state.as_ref();

    match (&method, rest) {
        (&Method::POST, [":send"]) => {
            let msg = read_message(&parts.headers, body).await?;
            let excluded = query.all("excluded");
            let filter = parse_filter(&query)?;
            deliver(
                hub,
                msg,
                |s| {
                    s.conns
                        .keys()
                        .filter(|id| !excluded.contains(id))
                        .cloned()
                        .collect()
                },
                filter.as_ref(),
            );
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::POST, ["groups", group, ":send"]) => {
            validate_group(group)?;
            let msg = read_message(&parts.headers, body).await?;
            let excluded = query.all("excluded");
            let filter = parse_filter(&query)?;
            let group = group.to_string();
            deliver_from(
                hub,
                msg,
                Source::Group {
                    group: group.clone(),
                    from_user: None,
                },
                |s| {
                    s.group_conn_ids(&group)
                        .into_iter()
                        .filter(|id| !excluded.contains(id))
                        .collect()
                },
                filter.as_ref(),
            );
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::POST, ["users", user, ":send"]) => {
            validate_id(user, "user id")?;
            let msg = read_message(&parts.headers, body).await?;
            let filter = parse_filter(&query)?;
            deliver(hub, msg, |s| s.user_conn_ids(user), filter.as_ref());
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::POST, ["connections", conn, ":send"]) => {
            validate_id(conn, "connection id")?;
            let msg = read_message(&parts.headers, body).await?;
            deliver(
                hub,
                msg,
                |s| {
                    if s.conns.contains_key(*conn) {
                        vec![conn.to_string()]
                    } else {
                        vec![]
                    }
                },
                None,
            );
            Ok(status(StatusCode::ACCEPTED))
        }
        (&Method::PUT, ["groups", group, "connections", conn]) => {
            validate_group(group)?;
            validate_id(conn, "connection id")?;
            if hub.write().join_group(conn, group) {
                Ok(status(StatusCode::OK))
            } else {
                Err(not_found(format!("Connection '{conn}' does not exist.")))
            }
        }
        (&Method::DELETE, ["groups", group, "connections", conn]) => {
            validate_group(group)?;
            validate_id(conn, "connection id")?;
            hub.write().leave_group(conn, group);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, ["connections", conn, "groups"]) => {
            validate_id(conn, "connection id")?;
            let mut s = hub.write();
            let groups: Vec<String> = s
                .conns
                .get(*conn)
                .map(|e| e.groups.iter().cloned().collect())
                .unwrap_or_default();
            for g in groups {
                s.leave_group(conn, &g);
            }
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::PUT, ["users", user, "groups", group]) => {
            validate_id(user, "user id")?;
            validate_group(group)?;
            let mut s = hub.write();
            let ids = s.user_conn_ids(user);
            if ids.is_empty() {
                return Err(not_found(format!("User '{user}' does not exist.")));
            }
            for id in ids {
                s.join_group(&id, group);
            }
            Ok(status(StatusCode::OK))
        }
        (&Method::DELETE, ["users", user, "groups", group]) => {
            validate_id(user, "user id")?;
            validate_group(group)?;
            let mut s = hub.write();
            for id in s.user_conn_ids(user) {
                s.leave_group(&id, group);
            }
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, ["users", user, "groups"]) => {
            validate_id(user, "user id")?;
            let mut s = hub.write();
            for id in s.user_conn_ids(user) {
                let groups: Vec<String> = s
                    .conns
                    .get(&id)
                    .map(|e| e.groups.iter().cloned().collect())
                    .unwrap_or_default();
                for g in groups {
                    s.leave_group(&id, &g);
                }
            }
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::POST, [":closeConnections"]) => {
            let excluded = query.all("excluded");
            let reason = close_reason(&query);
            close(hub, &reason, |s| {
                s.conns
                    .keys()
                    .filter(|id| !excluded.contains(id))
                    .cloned()
                    .collect()
            });
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::POST, ["groups", group, ":closeConnections"]) => {
            validate_group(group)?;
            let excluded = query.all("excluded");
            let reason = close_reason(&query);
            close(hub, &reason, |s| {
                s.group_conn_ids(group)
                    .into_iter()
                    .filter(|id| !excluded.contains(id))
                    .collect()
            });
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::POST, ["users", user, ":closeConnections"]) => {
            validate_id(user, "user id")?;
            let excluded = query.all("excluded");
            let reason = close_reason(&query);
            close(hub, &reason, |s| {
                s.user_conn_ids(user)
                    .into_iter()
                    .filter(|id| !excluded.contains(id))
                    .collect()
            });
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::DELETE, ["connections", conn]) => {
            validate_id(conn, "connection id")?;
            let reason = close_reason(&query);
            close(hub, &reason, |_| vec![conn.to_string()]);
            Ok(status(StatusCode::NO_CONTENT))
        }
        (&Method::HEAD, ["connections", conn]) => exists(hub.read().conns.contains_key(*conn)),
        (&Method::HEAD, ["users", user]) => exists(hub.read().users.contains_key(*user)),
        (&Method::HEAD, ["groups", group]) => exists(hub.read().groups.contains_key(*group)),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "Error.NotFound",
            format!("no operation {method} {path}"),
        )),
    }
}

fn authorize(shared: &Shared, parts: &axum::http::request::Parts) -> Result<()> {
    let unauthorized = |why: String| error(StatusCode::UNAUTHORIZED, "Error.Unauthorized", why);
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| unauthorized("The request has no 'Authorization: Bearer' token.".into()))?;
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("http://{host}{path_and_query}");
    shared
        .verifier
        .check_rest(token, &url)
        .map_err(unauthorized)
}

fn not_found(message: String) -> Response {
    error(StatusCode::NOT_FOUND, "Error.NotFound", message)
}

fn exists(yes: bool) -> Result<Response> {
    Ok(status(if yes {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }))
}

fn close_reason(query: &Query) -> String {
    query
        .get("reason")
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_CLOSE_REASON)
        .to_string()
}

pub(crate) fn validate_hub(hub: &str) -> Result<()> {
    let mut chars = hub.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && hub.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || "_`,.[]".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad_request(format!(
            "Invalid hub name '{hub}': it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{{0,127}}$."
        )))
    }
}

pub(crate) fn validate_group(group: &str) -> Result<()> {
    let n = group.chars().count();
    if n == 0 || n > 1024 || group.trim().is_empty() {
        Err(bad_request(
            "Invalid group name: it must have 1-1024 characters and not be only whitespace.",
        ))
    } else {
        Ok(())
    }
}

fn validate_id(id: &str, what: &str) -> Result<()> {
    if id.is_empty() {
        Err(bad_request(format!(
            "Invalid {what}: it must not be empty."
        )))
    } else {
        Ok(())
    }
}

/// Placeholder type for a parsed OData filter; evaluated per connection at delivery.
pub(crate) type Filter = super::filter::Filter;

fn parse_filter(query: &Query) -> Result<Option<Filter>> {
    match query.get("filter") {
        None | Some("") => Ok(None),
        Some(f) => super::filter::Filter::parse(f)
            .map(Some)
            .map_err(|e| bad_request(format!("Invalid syntax for filter: {e}"))),
    }
}

/// Reads a send body: 1 MiB at most, one of the three content types, JSON checked.
async fn read_message(headers: &axum::http::HeaderMap, body: Body) -> Result<(DataKind, Bytes)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let kind = match mime.as_str() {
        "text/plain" => DataKind::Text,
        "application/json" => DataKind::Json,
        "application/octet-stream" => DataKind::Binary,
        _ => {
            return Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Error.UnsupportedMediaType",
                format!("Content type '{content_type}' is not supported; use text/plain, application/json or application/octet-stream."),
            ))
        }
    };
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Error.PayloadTooLarge",
            format!("The message is larger than {MAX_BODY} bytes."),
        )
    })?;
    if kind == DataKind::Json && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
        return Err(bad_request("The body is not valid JSON."));
    }
    Ok((kind, bytes))
}

fn deliver(
    hub: &Hub,
    msg: (DataKind, Bytes),
    targets: impl FnOnce(&super::state::HubState) -> Vec<String>,
    filter: Option<&Filter>,
) {
    deliver_from(hub, msg, Source::Server, targets, filter)
}

/// Sends one message to the chosen connections (those passing `filter`, if any).
pub(crate) fn deliver_from(
    hub: &Hub,
    (kind, body): (DataKind, Bytes),
    source: Source,
    targets: impl FnOnce(&super::state::HubState) -> Vec<String>,
    filter: Option<&Filter>,
) {
    let message = Message::new(source, kind, body);
    let state = hub.read();
    for id in targets(&state) {
        if let Some(entry) = state.conns.get(&id) {
            if filter.is_none_or(|f| f.matches(entry)) {
                let _ = entry.conn.tx.send(Outbound::Data(message.clone()));
            }
        }
    }
}

/// Closes the chosen connections: removed from the hub at once, then told why.
pub(crate) fn close(
    hub: &Hub,
    reason: &str,
    targets: impl FnOnce(&super::state::HubState) -> Vec<String>,
) {
    let mut state = hub.write();
    for id in targets(&state) {
        if let Some(entry) = state.remove_conn(&id) {
            let _ = entry.conn.tx.send(Outbound::Close {
                code: 1000,
                reason: reason.to_string(),
            });
        }
    }
}

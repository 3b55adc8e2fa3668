//! The data-plane REST API, routed by hand: names are single percent-encoded segments and
//! actions are `:verb` segments, neither of which a path-template router takes well.
// Handlers fail with the HTTP response to send; it is built once per request, so its size
// does not matter.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use percent_encoding::percent_decode_str;
use tokio::sync::OwnedRwLockReadGuard;

use super::errors::{
    bad_request, error, invalid_parameter, not_existed, not_found, unauthorized,
    unsupported_api_version, Entity, Level,
};
use super::filter::Filter;
use super::hub::{Hub, Permission, Targets};
use super::message::{DataKind, Message, Source};
use super::metadata::Metadata;
use super::shared::Shared;
use super::{auth, names};

/// API versions the service has shipped for the data plane; a missing one means the latest.
const API_VERSIONS: &[&str] = &[
    "2021-10-01",
    "2022-11-01",
    "2023-07-01",
    "2024-01-01",
    "2024-12-01",
];
const LATEST_API_VERSION: &str = "2024-12-01";
/// The service's message limit (1 MB; see rest-api.md, Limits), applied to every body.
const MAX_BODY: usize = 1024 * 1024;
/// `messageTtlSeconds` upper bound (0 = never expires).
const MAX_TTL_SECONDS: u32 = 300;
/// `maxpagesize` bounds of the paged connection list; 200 is also the default.
const MAX_PAGE_SIZE: u32 = 200;
const DEFAULT_CLOSE_REASON: &str = "Closed by REST API.";

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
            "emulator: {method} {} -> {} ({} µs)",
            uri.path(),
            resp.status().as_u16(),
            started.elapsed().as_micros()
        );
    }
    resp
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

/// Sends that reach at least this many connections are answered before they are delivered.
const DEFERRED_FROM: usize = 256;

/// A send to the hub or to a group.
struct Fanout {
    excluded: Vec<String>,
    filter: Option<Filter>,
    message: Arc<Message>,
}

impl Fanout {
    /// Delivers the send, or, when it reaches many connections, hands it to a task of its own
    /// once the hub's operations in flight are done, and returns. The service answers `202`
    /// once it has accepted a message, not once every client has it, and a caller should not
    /// wait for the last of thousands of writes; the task holds the hub's sole turn until it
    /// is done, so whatever the caller does next on the hub takes effect after it.
    async fn deliver(
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

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
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
            gate.operation("2024-01-01")?;
            let batch = read_batch(&parts.headers, body)?;
            let add = *action == ":addToGroups";
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

/// A send's query and body: ttl checked, the filter parsed, the message built once for the
/// whole fan-out.
fn read_send(
    gate: &Gate,
    query: &Query,
    headers: &axum::http::HeaderMap,
    body: Bytes,
    source: Source,
) -> Result<(Option<Filter>, Arc<Message>)> {
    gate.ttl(query)?;
    let filter = gate.filter(query)?;
    let (kind, body) = read_message(headers, body)?;
    let metadata = Metadata::from_headers(headers).map_err(bad_request)?;
    Ok((filter, Message::with_metadata(source, kind, body, metadata)))
}

fn authorize(shared: &Shared, parts: &axum::http::request::Parts) -> Result<()> {
    let token = auth::bearer(&parts.headers)
        .ok_or_else(|| unauthorized("The request has no 'Authorization: Bearer' token."))?;
    // No host means no URL to compare the audience with: refuse rather than guess one.
    let urls = auth::request_urls(parts).map_err(bad_request)?;
    shared
        .verifier
        .check_rest(token, &urls)
        .map_err(unauthorized)
}

/// An existence check: 200, or the service's 404 warning that names what is missing.
fn exists(yes: bool, entity: Entity, name: &str) -> Result<Response> {
    if yes {
        Ok(status(StatusCode::OK))
    } else {
        Err(not_existed(Level::Warning, entity, name))
    }
}

/// The request's URL as sent (origin, path and query), as the api-version error quotes it.
fn request_url(parts: &axum::http::request::Parts) -> String {
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{}{path_and_query}", origin(parts))
}

fn close_reason(query: &Query) -> String {
    query
        .get("reason")
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_CLOSE_REASON)
        .to_string()
}

fn hub_name(hub: &str) -> Result<()> {
    names::hub(hub).map_err(bad_request)
}

fn group_name(group: &str) -> Result<()> {
    names::group(group).map_err(bad_request)
}

fn id_name(id: &str, what: &str) -> Result<()> {
    names::id(id, what).map_err(bad_request)
}

/// A filter from the query (`parameter` "filter") or a body ("Filter"): the service's words
/// and shape, as the SDKs' tests recorded them from Azure.
fn parse_filter(text: Option<&str>, parameter: &str) -> Result<Option<Filter>> {
    match text {
        None | Some("") => Ok(None),
        Some(f) => Filter::parse(f).map(Some).map_err(|e| {
            invalid_parameter(
                parameter,
                format!(
                    "Invalid syntax for '{f}': Syntax error at position {} in '{f}'. (Parameter 'filter')",
                    e.position
                ),
            )
        }),
    }
}

/// What the requested api-version allows: an operation added later is refused as the
/// service's API versioning refuses it (400), and so is a parameter added later.
struct Gate<'a> {
    version: &'a str,
    /// The request's URL, which the refusal quotes.
    url: &'a str,
}

impl Gate<'_> {
    // api-versions are ISO dates, so they order as strings.
    fn operation(&self, since: &str) -> Result<()> {
        if self.version < since {
            Err(unsupported_api_version(self.url, self.version))
        } else {
            Ok(())
        }
    }

    fn parameter(&self, since: &str, name: &str) -> Result<()> {
        if self.version < since {
            Err(bad_request(format!(
                "The parameter '{name}' needs api-version {since} or later; this request uses {}.",
                self.version
            )))
        } else {
            Ok(())
        }
    }

    fn filter(&self, query: &Query) -> Result<Option<Filter>> {
        if query.get("filter").is_some() {
            self.parameter("2022-11-01", "filter")?;
        }
        parse_filter(query.get("filter"), "filter")
    }

    /// `messageTtlSeconds`: an integer 0-300. Delivery here is immediate, so any valid TTL
    /// is already met.
    fn ttl(&self, query: &Query) -> Result<()> {
        let Some(raw) = query.get("messageTtlSeconds") else {
            return Ok(());
        };
        self.parameter("2024-01-01", "messageTtlSeconds")?;
        match raw.parse::<u32>() {
            Ok(n) if n <= MAX_TTL_SECONDS => Ok(()),
            _ => Err(bad_request(format!(
                "Invalid messageTtlSeconds '{raw}': it must be an integer from 0 to {MAX_TTL_SECONDS}."
            ))),
        }
    }
}

/// grant (PUT), revoke (DELETE) and check (HEAD) one permission on one group.
fn permission_op(
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

/// The body of `:addToGroups` / `:removeFromGroups`.
struct Batch {
    groups: Vec<String>,
    filter: Option<Filter>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    groups: Option<Vec<String>>,
    filter: Option<String>,
}

fn read_batch(headers: &axum::http::HeaderMap, bytes: Bytes) -> Result<Batch> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Error.UnsupportedMediaType",
            format!("Content type '{content_type}' is not supported; use application/json."),
        ));
    }
    let parsed: BatchBody = serde_json::from_slice(&bytes)
        .map_err(|e| bad_request(format!("Invalid request body: {e}")))?;
    let groups = parsed.groups.unwrap_or_default();
    if groups.is_empty() {
        return Err(bad_request(
            "The 'groups' property must list at least one group.",
        ));
    }
    for g in &groups {
        group_name(g)?;
    }
    Ok(Batch {
        groups,
        filter: parse_filter(parsed.filter.as_deref(), "Filter")?,
    })
}

/// The whole body, up to [`MAX_BODY`] bytes, within `timeout`: a declared length over the cap
/// is refused before any of it is read, a malformed body (a bad chunk size) is a 400, and a
/// body that stalls is a 408 once `timeout` has passed since its headers arrived.
async fn read_limited(body: Body, timeout: Duration) -> Result<Bytes> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Error.PayloadTooLarge",
            format!("The message is larger than {MAX_BODY} bytes."),
        )
    };
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(too_large());
    }
    let read = async {
        let mut chunks = body.into_data_stream();
        // Most bodies arrive in one chunk: keep it as it is.
        let mut first: Option<Bytes> = None;
        let mut more = BytesMut::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk
                .map_err(|e| bad_request(format!("The request body could not be read: {e}")))?;
            let len = first.as_ref().map_or(0, Bytes::len) + more.len();
            if len + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            match &first {
                None => first = Some(chunk),
                Some(_) => more.extend_from_slice(&chunk),
            }
        }
        Ok(match first {
            None => Bytes::new(),
            Some(first) if more.is_empty() => first,
            Some(first) => {
                let mut all = BytesMut::with_capacity(first.len() + more.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&more);
                all.freeze()
            }
        })
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| {
            Err(error(
                StatusCode::REQUEST_TIMEOUT,
                "Error.RequestTimeout",
                format!(
                    "The request body did not arrive within {} s.",
                    timeout.as_secs_f64()
                ),
            ))
        })
}

fn internal(message: &str) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Error.Internal",
        message.to_string(),
    )
}

/// An optional integer query parameter within bounds.
fn bounded(query: &Query, name: &str, min: u32, max: u32) -> Result<Option<u32>> {
    let Some(raw) = query.get(name) else {
        return Ok(None);
    };
    match raw.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(bad_request(format!(
            "Invalid {name} '{raw}': it must be an integer from {min} to {max}."
        ))),
    }
}

/// Where the request was sent (`scheme://host`); requests without a host are refused before
/// routing. URLs the emulator writes start with it, so they follow the scheme it is served on.
fn origin(parts: &axum::http::request::Parts) -> String {
    auth::request_origin(parts).map_or_else(|_| String::new(), |o| o.to_string())
}

/// One page of a group's members, ordered by connection id. The continuation token is the
/// last id served (base64url), so pages stay consistent while members come and go.
fn list_connections(
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
fn generate_token(
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

/// Checks a send body: one of the three content types, JSON parsed.
fn read_message(headers: &axum::http::HeaderMap, bytes: Bytes) -> Result<(DataKind, Bytes)> {
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
    // Clients get these bytes as they are, so whatever passes here must be one JSON value.
    if kind == DataKind::Json
        && serde_json::from_slice::<&serde_json::value::RawValue>(&bytes).is_err()
    {
        return Err(bad_request("The body is not valid JSON."));
    }
    Ok((kind, bytes))
}

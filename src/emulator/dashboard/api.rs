//! The dashboard's routes. None of them is part of Azure's API:
//!
//! | route                                  | what                                           |
//! |----------------------------------------|------------------------------------------------|
//! | `GET /`                                | the page                                       |
//! | `GET /_emulator/assets/{file}`         | its script and style sheet                     |
//! | `GET /_emulator/api/hubs`              | hubs with their counts                         |
//! | `GET /_emulator/api/hubs/{hub}`        | one hub's connections, groups and users        |
//! | `GET /_emulator/api/activity`          | the recent events, as JSON                     |
//! | `GET /_emulator/api/events`            | recent, then live events (server-sent events)  |
//! | `POST /_emulator/api/token`            | a client token, for the page's test client     |
//! | `POST /_emulator/api/hubs/{hub}/send`  | send as the server, through the REST API       |
// Refusals are the HTTP response to send, built once per request (as in rest.rs).
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{broadcast, OwnedSemaphorePermit};

use super::{may_change_state, Access};
use crate::client::operations::encode;
use crate::client::{ClientClaims, Protocol};
use crate::emulator::activity::Event;
use crate::emulator::errors::{bad_request, error, not_found};
use crate::emulator::shared::{stopped, Shared};
use crate::emulator::socketio::rooms;
use crate::emulator::{names, rest};

const INDEX_HTML: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/dashboard.js");
const STYLE: &str = include_str!("assets/dashboard.css");
/// Where the page's token goes in `index.html`.
const TOKEN_SLOT: &str = "{{PAGE_TOKEN}}";
/// The largest body these endpoints read: a 1 MiB message, JSON-escaped, with room to spare.
const MAX_BODY: usize = 3 * 1024 * 1024;
/// Client tokens from the token endpoint live this long unless asked otherwise.
const DEFAULT_TOKEN_MINUTES: u64 = 60;
/// A comment on an idle event stream this often, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

type Result<T> = std::result::Result<T, Response>;

pub(super) async fn route(
    shared: &Arc<Shared>,
    parts: Parts,
    body: Body,
    access: Access,
) -> Response {
    let path = parts.uri.path().to_string();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = matches!(parts.method, Method::GET | Method::HEAD);
    let post = parts.method == Method::POST;
    let result = match segs.as_slice() {
        [""] if get => Ok(page(shared, &access)),
        ["_emulator", "assets", "dashboard.js"] if get => {
            Ok(asset("text/javascript; charset=utf-8", SCRIPT))
        }
        ["_emulator", "assets", "dashboard.css"] if get => {
            Ok(asset("text/css; charset=utf-8", STYLE))
        }
        ["_emulator", "api", "hubs"] if get => Ok(hubs(shared)),
        ["_emulator", "api", "hubs", hub] if get => hub_detail(shared, hub),
        ["_emulator", "api", "activity"] if get => Ok(activity(shared)),
        ["_emulator", "api", "events"] if get => events(shared, &parts),
        ["_emulator", "api", "token"] if post => match may_change_state(&parts, &access) {
            Ok(()) => token(shared, &access, body).await,
            Err(refused) => Err(refused),
        },
        ["_emulator", "api", "hubs", hub, "send"] if post => {
            match may_change_state(&parts, &access) {
                Ok(()) => send(shared, &access, hub, body).await,
                Err(refused) => Err(refused),
            }
        }
        [""]
        | ["_emulator", "assets", "dashboard.js" | "dashboard.css"]
        | ["_emulator", "api", "hubs" | "activity" | "events"]
        | ["_emulator", "api", "hubs", _]
        | ["_emulator", "api", "token"]
        | ["_emulator", "api", "hubs", _, "send"] => Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Error.MethodNotAllowed",
            format!("{} is not allowed on {path}.", parts.method),
        )),
        _ => Err(not_found(format!("no route for {path}"))),
    };
    let mut resp = result.unwrap_or_else(|e| e);
    if parts.method == Method::HEAD {
        *resp.body_mut() = Body::empty();
    }
    resp
}

fn page(shared: &Shared, access: &Access) -> Response {
    let html = INDEX_HTML.replace(TOKEN_SLOT, &shared.dashboard.page_token);
    let mut resp = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    // Only our own script and style; the test client's WebSocket goes to this same host.
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' ws://{}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        access.host
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

fn ms_since_epoch(t: std::time::SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn hubs(shared: &Shared) -> Response {
    let hubs: Vec<Value> = shared
        .registry
        .all()
        .into_iter()
        .map(|(name, hub)| {
            let conns = hub.snapshot();
            let mut users: Vec<&str> = conns.iter().filter_map(|c| c.user_id.as_deref()).collect();
            users.sort_unstable();
            users.dedup();
            let mut groups: Vec<&str> = conns
                .iter()
                .flat_map(|c| c.groups.iter().map(String::as_str))
                .collect();
            groups.sort_unstable();
            groups.dedup();
            json!({
                "name": name,
                "connections": conns.len(),
                "users": users.len(),
                "groups": groups.len(),
            })
        })
        .collect();
    axum::Json(json!({ "hubs": hubs })).into_response()
}

fn hub_detail(shared: &Shared, name: &str) -> Result<Response> {
    let hub = shared
        .registry
        .get(name)
        .ok_or_else(|| not_found(format!("No client has connected to hub '{name}'.")))?;
    let conns = hub.snapshot();
    let mut groups: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &conns {
        for g in &c.groups {
            let (ids, members) = groups.entry(g).or_default();
            ids.push(&c.connection_id);
            members.extend(c.user_id.as_deref());
        }
        if let Some(u) = &c.user_id {
            users.entry(u).or_default().push(&c.connection_id);
        }
    }
    let connections: Vec<Value> = conns
        .iter()
        .map(|c| {
            let mut conn = json!({
                "connectionId": c.connection_id,
                "userId": c.user_id,
                "protocol": c.protocol.name().unwrap_or("raw"),
                "roles": c.roles,
                "groups": c.groups,
                "connectedAt": ms_since_epoch(c.connected_at),
            });
            if c.protocol == Protocol::SocketIo {
                conn["socketio"] = socketio_view(&c.groups);
            }
            conn
        })
        .collect();
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, (ids, mut members))| {
            members.sort_unstable();
            members.dedup();
            let mut group = json!({"name": name, "connections": ids, "users": members});
            if let Some(room) = rooms::of_group(name) {
                group["socketio"] = json!(room);
            }
            group
        })
        .collect();
    let users: Vec<Value> = users
        .into_iter()
        .map(|(user, ids)| json!({"userId": user, "connections": ids}))
        .collect();
    Ok(axum::Json(json!({
        "name": name.to_ascii_lowercase(),
        "connections": connections,
        "groups": groups,
        "users": users,
    }))
    .into_response())
}

/// A Socket.IO connection's groups by what they stand for: the namespaces it has joined, and
/// its rooms with each one's group name (which REST calls take).
fn socketio_view(groups: &[String]) -> Value {
    let mut namespaces = Vec::new();
    let mut joined = Vec::new();
    for group in groups {
        match rooms::of_group(group) {
            Some(rooms::Room {
                namespace,
                room: None,
            }) => namespaces.push(namespace),
            Some(rooms::Room {
                namespace,
                room: Some(room),
            }) => joined.push((namespace, room, group)),
            None => {}
        }
    }
    // By name, as shown (the groups are sorted by their encoded names).
    namespaces.sort_unstable();
    joined.sort_unstable();
    let joined: Vec<Value> = joined
        .into_iter()
        .map(|(namespace, room, group)| json!({"namespace": namespace, "room": room, "group": group}))
        .collect();
    json!({"namespaces": namespaces, "rooms": joined})
}

fn activity(shared: &Shared) -> Response {
    let recent = shared.activity.recent();
    let events: Vec<&Event> = recent.iter().map(|e| &**e).collect();
    axum::Json(json!({ "events": events })).into_response()
}

/// Server-sent events: the recent events after `Last-Event-ID` (all, without one), then each
/// new one as it happens. A viewer too slow for the bus gets a `lagged` event saying how
/// many it missed; the stream ends when the emulator stops.
fn events(shared: &Arc<Shared>, parts: &Parts) -> Result<Response> {
    let permit = shared
        .dashboard
        .viewers
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Error.TooManyViewers",
                "Too many event streams are open; close one and retry.",
            )
        })?;
    let after = parts
        .headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let (backlog, rx) = shared.activity.subscribe(after);
    let stream = Viewer {
        backlog: backlog.into(),
        rx,
        stopping: shared.stopping.clone(),
        _permit: permit,
    }
    .into_stream();
    let mut resp = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

struct Viewer {
    backlog: std::collections::VecDeque<Arc<Event>>,
    rx: broadcast::Receiver<Arc<Event>>,
    stopping: tokio::sync::watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

impl Viewer {
    fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = std::result::Result<SseEvent, Infallible>> {
        futures_util::stream::unfold(self, |mut v| async move {
            let event = match v.backlog.pop_front() {
                Some(e) => sse(&e),
                None => tokio::select! {
                    received = v.rx.recv() => match received {
                        Ok(e) => sse(&e),
                        Err(broadcast::error::RecvError::Lagged(n)) => SseEvent::default()
                            .event("lagged")
                            .data(json!({ "skipped": n }).to_string()),
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = stopped(&mut v.stopping) => return None,
                },
            };
            Some((Ok(event), v))
        })
    }
}

fn sse(e: &Event) -> SseEvent {
    SseEvent::default()
        .event("activity")
        .id(e.seq.to_string())
        .data(serde_json::to_string(e).unwrap_or_default())
}

async fn read_json<T: for<'de> Deserialize<'de>>(shared: &Shared, body: Body) -> Result<T> {
    let bytes: Bytes =
        tokio::time::timeout(shared.body_timeout, axum::body::to_bytes(body, MAX_BODY))
            .await
            .map_err(|_| bad_request("The request body did not arrive in time."))?
            .map_err(|e| bad_request(format!("The request body could not be read: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| bad_request(format!("Invalid request body: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenBody {
    hub: String,
    user_id: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    minutes: Option<u64>,
}

/// A client token for this host, as `:generateToken` signs one, and the URL to connect with.
async fn token(shared: &Shared, access: &Access, body: Body) -> Result<Response> {
    let req: TokenBody = read_json(shared, body).await?;
    names::hub(&req.hub).map_err(bad_request)?;
    for g in &req.groups {
        names::group(g).map_err(bad_request)?;
    }
    let minutes = req
        .minutes
        .unwrap_or(DEFAULT_TOKEN_MINUTES)
        .clamp(1, 24 * 60);
    let host = access.host.to_ascii_lowercase();
    let now = crate::client::now_secs();
    let claims = ClientClaims {
        aud: format!("{}://{host}/client/hubs/{}", access.scheme, req.hub),
        iat: now,
        exp: now + minutes * 60,
        sub: req.user_id.filter(|u| !u.is_empty()),
        role: req.roles,
        groups: req.groups,
    };
    let token = shared
        .verifier
        .sign_client(&claims)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "Error.Internal", e))?;
    let ws = if access.scheme == "https" {
        "wss"
    } else {
        "ws"
    };
    let url = format!(
        "{ws}://{host}/client/hubs/{}?access_token={token}",
        encode(&req.hub)
    );
    Ok(axum::Json(json!({ "token": token, "url": url })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SendBody {
    /// all, group, user or connection.
    target: String,
    /// The group, user or connection id (not for `all`).
    name: Option<String>,
    /// text (the default) or json.
    data_type: Option<String>,
    data: Value,
}

/// Sends as the server by making the REST call itself, signed with the key: the same checks,
/// the same answer, and the call shows in the log like any other.
async fn send(shared: &Arc<Shared>, access: &Access, hub: &str, body: Body) -> Result<Response> {
    let req: SendBody = read_json(shared, body).await?;
    let name = || -> Result<String> {
        match req.name.as_deref() {
            Some(n) if !n.is_empty() => Ok(encode(n)),
            _ => Err(bad_request(format!(
                "Sending to a {} needs its name.",
                req.target
            ))),
        }
    };
    let hub = encode(hub);
    let path = match req.target.as_str() {
        "all" => format!("/api/hubs/{hub}/:send"),
        "group" => format!("/api/hubs/{hub}/groups/{}/:send", name()?),
        "user" => format!("/api/hubs/{hub}/users/{}/:send", name()?),
        "connection" => format!("/api/hubs/{hub}/connections/{}/:send", name()?),
        other => {
            return Err(bad_request(format!(
                "Invalid target '{other}': use all, group, user or connection."
            )))
        }
    };
    let (content_type, data) = match (req.data_type.as_deref().unwrap_or("text"), req.data) {
        ("text", Value::String(s)) => ("text/plain", s),
        ("text", _) => return Err(bad_request("Text data must be a string.")),
        ("json", v) => ("application/json", v.to_string()),
        (other, _) => {
            return Err(bad_request(format!(
                "Invalid dataType '{other}': use text or json."
            )))
        }
    };
    let host = if access.host.is_empty() {
        shared.dashboard.bound.to_string()
    } else {
        access.host.clone()
    };
    let token = shared
        .dashboard
        .signer
        .rest_token(&format!("http://{host}{path}"))
        .map_err(|e| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error.Internal",
                e.to_string(),
            )
        })?;
    let call = axum::http::Request::builder()
        .method(Method::POST)
        .uri(&path)
        .header(header::HOST, &host)
        .header(header::AUTHORIZATION, format!("Bearer {}", token.expose()))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(data))
        .map_err(|e| bad_request(format!("The request could not be built: {e}")))?;
    Ok(rest::handle(shared.clone(), call).await)
}

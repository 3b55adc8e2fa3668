//! Web PubSub for Socket.IO, the client side: Engine.IO v4 at `/clients/socketio/hubs/{hub}/`
//! (the `path` socket.io-client is given), over WebSocket, HTTP long-polling, and polling
//! upgraded to WebSocket, carrying Socket.IO v5 packets.
//!
//! Each Engine.IO connection is a hub connection (protocol `socketio`, its `sid` its
//! connection id), so the REST API reaches it as it reaches any client: a message sent to it,
//! its groups or the hub is an Engine.IO payload (`text/plain`, packets joined by `\x1e`,
//! binary ones `b` + base64), which is what the Socket.IO extension
//! (`@azure/web-pubsub-socket.io`) sends; groups are rooms, named as the extension names
//! them ([`rooms::namespace_group`] for a namespace's sockets); closing the connection
//! closes the Engine.IO connection.
//!
//! Routes: a WebSocket upgrade comes through `upgrade.rs` ([`check`]), like the other client
//! endpoints'; polling requests through hyper ([`handle`]). Errors are Engine.IO's
//! (`{"code":N,"message":...}` with 400), so socket.io-client reports them as it would a
//! socket.io server's. The engine itself is in `engine.rs` (packets), `packet.rs` (Socket.IO
//! packets), `session/` (one task per connection), `polling.rs` (its long-polling queue) and
//! `server.rs` (its packets on their way to a Socket.IO server); broadcasts with
//! acknowledgements (REST `:invoke`) in `invocations.rs`.
//!
//! Default mode: when the hub has a server tunnel (or a `connect` handler), a new connection
//! is offered to the Socket.IO server behind it as the service offers it: `connect` to
//! `tunnel:///eventhandler/` (the path the extension serves), whose reply's `socketio` field
//! is the `open` packet's data; then each packet the client sends, as an Engine.IO payload in
//! a `message` event, in order; then `disconnected`. The server pings the client through
//! REST, so the emulator does not. With no server, a namespace's `CONNECT` is answered by the
//! emulator (the connection joins the namespace's group) and the client's events go nowhere:
//! REST calls still reach the clients, so the Engine.IO side stands on its own.
//!
//! Serverless mode (`--socketio-mode serverless`, or a hub's `socketio_mode`): the hub's
//! event handlers answer each namespace socket; see `serverless.rs`.
//!
//! A new connection's client token (`access_token` in the query, or `Authorization: Bearer`)
//! is checked as the other client endpoints check theirs, and its claims are the
//! connection's. Default mode needs none, as the service; serverless mode refuses a connection
//! without one (401) unless the hub allows anonymous connects. A token given is always checked.

mod engine;
pub(crate) mod engines;
pub(crate) mod invocations;
mod packet;
mod polling;
pub(crate) mod rooms;
mod server;
mod serverless;
mod session;

use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use tokio::sync::oneshot;

use super::auth::{string_list, token_of};
use super::errors::{bad_request, unauthorized};
use super::names;
use super::shared::Shared;
use super::transport::{is_upgrade, Accepted, WebSocket};
use super::upstream::settings::{Handler, SocketIoMode, UserEvents};
use super::upstream::{self, Event, SystemEvent};
use super::wire::Line;
pub(crate) use engine::is_lone_event;
use engine::{Kind, Packet};
pub(crate) use engines::Engines;
use engines::{Input, Timing};
use server::Server;
use serverless::Serverless;
use session::{Admission, Answer, Session};

/// The client endpoint's path, up to the hub's name.
pub(crate) const PREFIX: &str = "/clients/socketio/hubs/";
/// The largest Engine.IO payload taken (a polling body, a WebSocket frame): engine.io's
/// `maxHttpBufferSize` default, advertised as `maxPayload`.
pub(crate) const MAX_PAYLOAD: usize = 1_000_000;
/// Most namespaces (sockets, in serverless mode) one connection may join.
pub(crate) const MAX_NAMESPACES: usize = 64;
/// Where a hub's Socket.IO server takes its clients' events in default mode: the path the
/// extension serves on its end of the hub's tunnel.
const SERVER_HANDLER: &str = "tunnel:///eventhandler/";

/// Engine.IO's handshake and request errors.
const UNKNOWN_TRANSPORT: (u8, &str) = (0, "Transport unknown");
const UNKNOWN_SID: (u8, &str) = (1, "Session ID unknown");
const BAD_HANDSHAKE_METHOD: (u8, &str) = (2, "Bad handshake method");
const BAD_REQUEST: (u8, &str) = (3, "Bad request");
const UNSUPPORTED_VERSION: (u8, &str) = (5, "Unsupported protocol version");

/// What a request to the endpoint asks for.
struct Query {
    hub: String,
    sid: Option<String>,
    transport: String,
}

/// The hub and Engine.IO parameters of a request, or Engine.IO's error for it.
#[allow(clippy::result_large_err)]
fn query(parts: &Parts) -> Result<Query, Response> {
    let path = parts.uri.path();
    let Some(hub) = path
        .strip_prefix(PREFIX)
        .map(|h| h.strip_suffix('/').unwrap_or(h))
        .filter(|h| !h.contains('/'))
    else {
        return Err(super::errors::not_found(format!("no route for {path}")));
    };
    let hub = percent_decode_str(hub).decode_utf8_lossy().into_owned();
    if let Err(why) = names::hub(&hub) {
        return Err(super::errors::bad_request(why));
    }
    let mut eio = None;
    let mut sid = None;
    let mut transport = None;
    for (k, v) in url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "EIO" => eio = Some(v.into_owned()),
            "sid" => sid = Some(v.into_owned()),
            "transport" => transport = Some(v.into_owned()),
            _ => {}
        }
    }
    if eio.as_deref() != Some("4") {
        return Err(eio_error(UNSUPPORTED_VERSION));
    }
    let transport = match transport.as_deref() {
        Some(t @ ("polling" | "websocket")) => t.to_string(),
        _ => return Err(eio_error(UNKNOWN_TRANSPORT)),
    };
    Ok(Query {
        hub,
        sid,
        transport,
    })
}

/// Engine.IO's error answer.
fn eio_error((code, message): (u8, &str)) -> Response {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The `open` packet's data: the connection's id and timing.
fn open_packet(sid: &str, timing: Timing, upgrades: &[&str]) -> Packet {
    let data = serde_json::json!({
        "sid": sid,
        "upgrades": upgrades,
        "pingInterval": timing.ping_interval.as_millis() as u64,
        "pingTimeout": timing.ping_timeout.as_millis() as u64,
        "maxPayload": MAX_PAYLOAD,
    });
    Packet::text(Kind::Open, data.to_string())
}

/// A new connection offered to the hub's Socket.IO server, if it has one (a tunnel connected,
/// or a `connect` handler set): the `open` packet's data its reply gave, and the server as
/// the connection's events reach it. None: no server, the emulator answers the client itself.
#[allow(clippy::result_large_err)]
async fn offer(
    shared: &Shared,
    hub: &str,
    id: &str,
    identity: &Identity,
    upgrades: &[&str],
) -> Result<Option<(Packet, Server)>, Response> {
    let connect = Event::System(SystemEvent::Connect);
    if shared.upstream.tunnels().count(hub) == 0 && !shared.upstream.handles(hub, connect) {
        return Ok(None);
    }
    let mut view = upstream::Connection::new(hub, id, identity.user_id.as_deref());
    let events = vec![SystemEvent::Connect, SystemEvent::Disconnected];
    if let Ok(handler) = Handler::new(SERVER_HANDLER, events, UserEvents::All) {
        view.set_default_handler(handler);
    }
    let reply = match shared.upstream.connect(&view, &identity.request).await {
        Ok(reply) => reply.unwrap_or_default(),
        Err(failure) => {
            let body = serde_json::json!({ "code": 4, "message": failure.message }).to_string();
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            return Err(resp);
        }
    };
    // The server's own `open` data (its sid is the connection id), with the upgrades this
    // transport has (the extension's engine offers none: the service does the transports).
    let mut open = reply
        .socketio
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| {
            let timing = shared.socketio.timing();
            let Packet { data, .. } = open_packet(id, timing, upgrades);
            match data {
                engine::Data::Text(t) => serde_json::from_str(&t).unwrap_or_default(),
                engine::Data::Binary(_) => serde_json::Value::Null,
            }
        });
    open["sid"] = id.into();
    open["upgrades"] = upgrades.into();
    let open = Packet::text(Kind::Open, open.to_string());
    Ok(Some((open, Server::start(shared, view))))
}

/// Checks a WebSocket upgrade to the endpoint: a new connection, or an upgrade of a polling
/// one (`sid`).
// The error is the one response sent for the request, so its size does not matter.
#[allow(clippy::result_large_err)]
pub(crate) async fn check(shared: Arc<Shared>, parts: &Parts) -> Result<Accepted, Response> {
    let q = query(parts)?;
    if q.transport != "websocket" || !is_upgrade(parts) {
        return Err(eio_error(BAD_REQUEST));
    }
    let start: Box<dyn FnOnce(WebSocket) + Send> = match q.sid {
        Some(sid) => {
            let Some(tx) = shared.socketio.get(&sid) else {
                return Err(eio_error(UNKNOWN_SID));
            };
            Box::new(move |socket| {
                // A connection whose requests pile up gets no upgrade: the socket just closes.
                let _ = tx.try_send(Input::Upgrade(Box::new(socket)));
            })
        }
        None => {
            let mut new = admit(&shared, &q.hub, parts, &[]).await?;
            // A WebSocket from its first request on plain TCP: the hub's fan-out may write a
            // lone event straight to it (`hub/queue.rs`). Polling connections have no socket
            // to write to, and one upgraded from polling keeps its queue.
            new.admission.line = parts.extensions.get::<Line>().cloned();
            let timing = shared.socketio.timing();
            Box::new(move |socket| {
                let socket = Some(Box::new(socket));
                let NewConnection {
                    id,
                    input,
                    open,
                    admission,
                } = new;
                let session = Session::open(shared, q.hub, id, input, timing, socket, admission);
                tokio::spawn(session.run(Some(open)));
            })
        }
    };
    Ok(Accepted {
        subprotocol: None,
        max_frame: MAX_PAYLOAD,
        start,
    })
}

/// A long-polling request (anything at the endpoint that is not a WebSocket upgrade).
pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let q = match query(&parts) {
        Ok(q) => q,
        Err(resp) => return resp,
    };
    if q.transport != "polling" {
        return eio_error(BAD_REQUEST);
    }
    match (&parts.method, q.sid) {
        (&Method::GET, None) => handshake(&shared, q.hub, &parts).await,
        (_, None) => eio_error(BAD_HANDSHAKE_METHOD),
        (&Method::GET, Some(sid)) => poll(&shared, &sid).await,
        (&Method::POST, Some(sid)) => post(&shared, &sid, &parts, body).await,
        _ => eio_error(BAD_REQUEST),
    }
}

/// A new polling connection: its `open` packet is the answer.
async fn handshake(shared: &Arc<Shared>, hub: String, parts: &Parts) -> Response {
    let NewConnection {
        id,
        input,
        open,
        admission,
    } = match admit(shared, &hub, parts, &["websocket"]).await {
        Ok(new) => new,
        Err(refusal) => return refusal,
    };
    let timing = shared.socketio.timing();
    let session = Session::open(shared.clone(), hub, id, input, timing, None, admission);
    tokio::spawn(session.run(None));
    text(engine::encode_payload(&[open]))
}

/// A connection the handshake let in, not yet started.
struct NewConnection {
    id: String,
    input: tokio::sync::mpsc::Receiver<Input>,
    open: Packet,
    admission: Admission,
}

/// A new Engine.IO connection: its token checked ([`identify`]), its id, its `open` packet,
/// and who answers it: in serverless mode the hub's event handlers, in default mode its
/// Socket.IO server if it has one ([`offer`]), else the emulator.
#[allow(clippy::result_large_err)]
async fn admit(
    shared: &Arc<Shared>,
    hub: &str,
    parts: &Parts,
    upgrades: &[&str],
) -> Result<NewConnection, Response> {
    let settings = shared.upstream.settings().current();
    let mode = settings
        .socketio_mode(hub)
        .unwrap_or(shared.socketio.mode());
    let anonymous = mode == SocketIoMode::Default || settings.anonymous_connect(hub);
    drop(settings);
    let identity = identify(shared, parts, anonymous)?;
    let Some((id, input)) = shared.socketio.register(&shared.registry) else {
        return Err(eio_error(BAD_REQUEST));
    };
    let timing = shared.socketio.timing();
    let (open, answer) = match mode {
        SocketIoMode::Serverless => {
            let serverless = Serverless::start(
                shared.upstream.clone(),
                hub,
                &id,
                identity.user_id.clone(),
                identity.request,
            );
            let open = open_packet(&id, timing, upgrades);
            (open, Answer::Serverless(serverless))
        }
        SocketIoMode::Default => match offer(shared, hub, &id, &identity, upgrades).await {
            Ok(Some((open, server))) => (open, Answer::Server(server)),
            Ok(None) => (open_packet(&id, timing, upgrades), Answer::Emulator),
            Err(refusal) => {
                shared.socketio.forget(&id);
                return Err(refusal);
            }
        },
    };
    Ok(NewConnection {
        id,
        input,
        open,
        admission: Admission {
            user_id: identity.user_id,
            roles: identity.roles,
            groups: identity.groups,
            answer,
            line: None,
        },
    })
}

/// Who a connection's token says it is.
struct Identity {
    user_id: Option<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    /// The `connect` body of a serverless socket: the claims, the query and headers.
    request: upstream::ConnectRequest,
}

/// Checks the client token of a new connection, as `access_token` in the query (what the
/// SDKs' client URL and the serverless spec use) or `Authorization: Bearer`, as the other
/// client endpoints check theirs: its audience is the endpoint's URL. No token is refused
/// (401) unless `anonymous`; a token given is checked even then.
#[allow(clippy::result_large_err)]
fn identify(shared: &Shared, parts: &Parts, anonymous: bool) -> Result<Identity, Response> {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let token = token_of(&query, &parts.headers);
    let claims = match token {
        Some(token) => shared
            .verifier
            .check_client_request(&token, parts)
            .map_err(unauthorized)?,
        None if anonymous => Default::default(),
        None => return Err(unauthorized("The request has no access_token.")),
    };
    let groups = string_list(&claims, "webpubsub.group");
    for g in &groups {
        names::group(g).map_err(bad_request)?;
    }
    Ok(Identity {
        user_id: claims
            .get("sub")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string),
        roles: string_list(&claims, "role"),
        groups,
        request: super::ws::connect_request(&claims, &query, &parts.headers),
    })
}

/// A polling `GET`: answered by the connection's task once it has packets to send (at the
/// latest its next ping).
async fn poll(shared: &Shared, sid: &str) -> Response {
    let Some(tx) = shared.socketio.get(sid) else {
        return eio_error(UNKNOWN_SID);
    };
    let (reply, answer) = oneshot::channel();
    if tx.send(Input::Get(reply)).await.is_err() {
        return eio_error(UNKNOWN_SID);
    }
    // The task answers by its next ping; this bounds only a task that is gone wrong.
    let timing = shared.socketio.timing();
    let within = timing.ping_interval + timing.ping_timeout;
    match tokio::time::timeout(within, answer).await {
        Ok(Ok(packets)) => text(engine::encode_payload(&packets)),
        Ok(Err(_)) => eio_error(UNKNOWN_SID),
        Err(_) => text(engine::encode_payload(&[Packet::bare(Kind::Noop)])),
    }
}

/// A polling `POST`: its packets go to the connection's task; a body that is not Engine.IO
/// closes the connection.
async fn post(shared: &Shared, sid: &str, parts: &Parts, body: Body) -> Response {
    let Some(tx) = shared.socketio.get(sid) else {
        return eio_error(UNKNOWN_SID);
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_PAYLOAD) {
        let _ = tx.send(Input::Malformed("a payload over maxPayload")).await;
        return status(StatusCode::PAYLOAD_TOO_LARGE, "payload too large");
    }
    let read = tokio::time::timeout(shared.body_timeout, axum::body::to_bytes(body, MAX_PAYLOAD));
    let Ok(Ok(bytes)) = read.await else {
        let _ = tx.send(Input::Malformed("a payload over maxPayload")).await;
        return status(StatusCode::PAYLOAD_TOO_LARGE, "payload too large");
    };
    let input = match std::str::from_utf8(&bytes)
        .map_err(|_| engine::Malformed("a payload that is not UTF-8"))
        .and_then(engine::decode_payload)
    {
        Ok(packets) => Input::Post(packets),
        Err(m) => Input::Malformed(m.0),
    };
    let bad = matches!(input, Input::Malformed(_));
    if tx.send(input).await.is_err() {
        return eio_error(UNKNOWN_SID);
    }
    if bad {
        return eio_error(BAD_REQUEST);
    }
    let mut resp = text("ok".into());
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

fn text(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    resp
}

fn status(code: StatusCode, body: &'static str) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = code;
    resp
}

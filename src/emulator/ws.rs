//! The client endpoint `/client/hubs/{hub}`: plain WebSockets and the JSON subprotocols.
//!
//! Each connection is served by one session task that owns its outbound queue (`Conn::tx`).
//! For the reliable subprotocol the session outlives its socket: after a transport loss it
//! keeps buffering for the recovery window, and a recovery request hands it the new socket.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::auth::string_list;
use super::rest::{deliver_from, error, validate_group, validate_hub};
use super::state::{Conn, DataKind, Hub, Outbound, Protocol, Source};
use super::Shared;

/// The service's client frame limit (1 MiB).
const MAX_FRAME: usize = 1024 * 1024;
/// Frames up to this size are read whole so an oversize one gets a clean 1009.
const READ_LIMIT: usize = 16 * MAX_FRAME;
/// How long a reliable connection waits for its client to recover it, by default.
pub(crate) const RECOVERY_WINDOW_MS: u64 = 30_000;
const MAX_UNACKED: usize = 1000;
const MAX_UNACKED_BYTES: usize = 16 * 1024 * 1024;
/// Reconnection tokens live about a week, as the service's do.
const RECONNECTION_TOKEN_SECS: u64 = 7 * 24 * 3600;

/// Close frame payloads are at most 125 bytes, two of them the code.
const MAX_CLOSE_REASON: usize = 123;

const BUFFER_FULL: &str = "The reliable message buffer is full.";
const NOT_RECOVERED: &str = "The connection could not be recovered.";

/// Sessions that can take over a new socket, by connection id.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    attach: Mutex<HashMap<String, mpsc::UnboundedSender<WebSocket>>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<WebSocket>>> {
        self.attach.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Issues and checks reconnection tokens: JWTs signed with the access key whose `aud` is the
/// connection id, so a token recovers exactly one connection.
pub(crate) struct ReconnectKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for ReconnectKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReconnectKeys(<redacted>)")
    }
}

impl ReconnectKeys {
    pub(crate) fn new(access_key: &str) -> Self {
        ReconnectKeys {
            encoding: EncodingKey::from_secret(access_key.as_bytes()),
            decoding: DecodingKey::from_secret(access_key.as_bytes()),
        }
    }

    fn issue(&self, connection_id: &str) -> Option<String> {
        let exp = crate::client::now_secs() + RECONNECTION_TOKEN_SECS;
        let claims = json!({"aud": connection_id, "exp": exp});
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).ok()
    }

    fn check(&self, token: &str, connection_id: &str) -> bool {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[connection_id]);
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &self.decoding, &validation)
            .is_ok()
    }
}

/// What a plain WebSocket client's frames do (`webpubsub_mode`).
#[derive(Debug, Clone)]
enum RawMode {
    /// Each frame is a `message` event for the event handler (none is configured here).
    SendEvent,
    /// Each frame is published to this group.
    SendToGroup(String),
}

pub(crate) async fn handle(shared: Arc<Shared>, req: Request<Body>) -> Response {
    let (mut parts, _body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let Some(hub) = path
        .strip_prefix("/client/hubs/")
        .filter(|h| !h.contains('/'))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "Error.NotFound",
            format!("no route for {path}"),
        );
    };
    let hub = percent_decode_str(hub).decode_utf8_lossy().into_owned();
    if let Err(resp) = validate_hub(&hub) {
        return resp;
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
        .max_message_size(READ_LIMIT)
        .max_frame_size(READ_LIMIT);
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
        match accept_new(shared, hub, &parts, protocol, &param) {
            Ok(start) => upgrade.on_upgrade(start),
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
    let reliable_here = shared
        .registry
        .hub(hub)
        .read()
        .conns
        .get(id)
        .is_some_and(|e| e.conn.protocol == Protocol::JsonReliable);
    if !reliable_here {
        return None;
    }
    shared.sessions.lock().get(id).cloned()
}

/// A failed recovery is still upgraded, then closed with 1008 so clients stop retrying.
async fn refuse(mut socket: WebSocket) {
    let _ = socket.send(close_frame(1008, NOT_RECOVERED)).await;
}

/// A close frame; the reason is cut to the 123 bytes a control frame can carry (the full
/// text still goes out in `disconnected`).
fn close_frame(code: u16, reason: &str) -> WsMessage {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    WsMessage::Close(Some(CloseFrame {
        code,
        reason: reason[..end].into(),
    }))
}

type Start = Box<dyn FnOnce(WebSocket) -> futures_util::future::BoxFuture<'static, ()> + Send>;

/// Checks a new connection's token and parameters; on success returns what runs it.
// The error is the one response sent for the request, so its size does not matter.
#[allow(clippy::result_large_err)]
fn accept_new(
    shared: Arc<Shared>,
    hub: String,
    parts: &axum::http::request::Parts,
    protocol: Protocol,
    param: &dyn Fn(&str) -> Option<String>,
) -> Result<Start, Response> {
    let token =
        param("access_token").or_else(|| super::auth::bearer(&parts.headers).map(str::to_string));
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let unauthorized = |why: String| error(StatusCode::UNAUTHORIZED, "Error.Unauthorized", why);
    let Some(token) = token else {
        return Err(unauthorized("The request has no access_token.".into()));
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
        validate_group(g)?;
    }
    let mode = match param("webpubsub_mode").as_deref() {
        Some(m) if m.eq_ignore_ascii_case("sendToGroup") => {
            let g = param("group").unwrap_or_default();
            validate_group(&g)?;
            RawMode::SendToGroup(g)
        }
        _ => RawMode::SendEvent,
    };
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_string);
    let roles = string_list(&claims, "role");
    Ok(Box::new(move |socket| {
        Box::pin(async move {
            start_session(shared, hub, user_id, roles, groups, protocol, mode, socket).await;
        })
    }))
}

#[allow(clippy::too_many_arguments)]
async fn start_session(
    shared: Arc<Shared>,
    hub_name: String,
    user_id: Option<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    protocol: Protocol,
    mode: RawMode,
    mut socket: WebSocket,
) {
    let hub = shared.registry.hub(&hub_name);
    let id = shared.registry.new_connection_id();
    let (tx, rx) = mpsc::unbounded_channel();
    let conn = Arc::new(Conn {
        id: id.clone(),
        user_id: user_id.clone(),
        protocol,
        roles,
        tx,
    });
    let attach_rx = (protocol == Protocol::JsonReliable).then(|| {
        let (attach_tx, attach_rx) = mpsc::unbounded_channel();
        shared.sessions.lock().insert(id.clone(), attach_tx);
        attach_rx
    });
    {
        // Initial groups are joined before `connected`, and need no role.
        let mut state = hub.write();
        state.add_conn(conn.clone());
        for g in &groups {
            state.join_group(&id, g);
        }
    }
    if shared.verbose >= 1 {
        eprintln!("emulator: client {id} connected to hub {hub_name} ({protocol:?})");
    }
    let mut session = Session {
        shared: shared.clone(),
        hub,
        conn,
        mode,
        rx,
        attach_rx,
        sequence: 0,
        unacked: VecDeque::new(),
        unacked_bytes: 0,
        acked: HashSet::new(),
    };
    let connected_sent = if protocol == Protocol::Raw {
        true
    } else {
        let mut connected = json!({
            "type": "system",
            "event": "connected",
            "userId": user_id,
            "connectionId": id,
        });
        if protocol == Protocol::JsonReliable {
            connected["reconnectionToken"] = shared.reconnect.issue(&id).into();
        }
        socket
            .send(WsMessage::Text(connected.to_string().into()))
            .await
            .is_ok()
    };
    if connected_sent {
        session.run(socket).await;
    } else if protocol == Protocol::JsonReliable {
        session.run_detached().await;
    }
    session.hub.write().remove_conn(&id);
    shared.sessions.lock().remove(&id);
    if shared.verbose >= 1 {
        eprintln!("emulator: client {id} disconnected");
    }
}

/// The next socket a recovery hands over; never resolves for connections that cannot be
/// recovered (so a `select!` branch on it stays quiet instead of spinning).
async fn recovered_socket(rx: &mut Option<mpsc::UnboundedReceiver<WebSocket>>) -> WebSocket {
    if let Some(rx) = rx {
        if let Some(socket) = rx.recv().await {
            return socket;
        }
    }
    std::future::pending().await
}

/// How serving one socket ended.
enum End {
    /// The connection is over: remove it.
    Done,
    /// The transport went away without a normal close: recoverable if reliable.
    Lost,
    /// A recovery brought a new socket while the old one still looked alive.
    Replaced(Box<WebSocket>),
}

/// What one client frame asks of the session.
enum Verdict {
    Continue,
    Close(u16, Cow<'static, str>),
}

struct Session {
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    mode: RawMode,
    rx: mpsc::UnboundedReceiver<Outbound>,
    /// Where recovered sockets arrive (reliable connections only).
    attach_rx: Option<mpsc::UnboundedReceiver<WebSocket>>,
    /// Last `sequenceId` given out (reliable).
    sequence: u64,
    /// Sent but not yet acknowledged frames, oldest first (reliable).
    unacked: VecDeque<(u64, Utf8Bytes)>,
    unacked_bytes: usize,
    /// ackIds that succeeded, for `Duplicate`.
    acked: HashSet<u64>,
}

impl Session {
    fn reliable(&self) -> bool {
        self.conn.protocol == Protocol::JsonReliable
    }

    /// Serves sockets until the connection ends, recovering reliable ones in between.
    async fn run(&mut self, socket: WebSocket) {
        self.serve_from(socket, false).await;
    }

    /// For a reliable client whose socket failed before `connected` went out.
    async fn run_detached(&mut self) {
        if let Some(socket) = self.wait_for_recovery().await {
            self.serve_from(socket, true).await;
        }
    }

    async fn serve_from(&mut self, mut socket: WebSocket, mut recovered: bool) {
        loop {
            if recovered {
                if self.shared.verbose >= 1 {
                    eprintln!(
                        "emulator: client {} recovered, replaying {} messages",
                        self.conn.id,
                        self.unacked.len()
                    );
                }
                if !self.replay(&mut socket).await {
                    // The new socket failed at once; wait for another recovery.
                    match self.wait_for_recovery().await {
                        Some(new) => socket = new,
                        None => return,
                    }
                    continue;
                }
            }
            recovered = true;
            match self.serve(&mut socket).await {
                End::Done => return,
                End::Replaced(new) => socket = *new,
                End::Lost if self.reliable() => match self.wait_for_recovery().await {
                    Some(new) => socket = new,
                    None => return,
                },
                End::Lost => return,
            }
        }
    }

    /// Sends every unacknowledged message again, in order, on a recovered socket.
    async fn replay(&mut self, socket: &mut WebSocket) -> bool {
        for (_, frame) in self.unacked.clone() {
            if socket.send(WsMessage::Text(frame)).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn serve(&mut self, socket: &mut WebSocket) -> End {
        let mut stopping = self.shared.stopping.clone();
        loop {
            tokio::select! {
                out = self.rx.recv() => {
                    let Some(out) = out else { return End::Done };
                    match out {
                        Outbound::Data(msg) => {
                            let frame = match self.conn.protocol {
                                Protocol::Raw => match msg.kind {
                                    DataKind::Binary => WsMessage::Binary(msg.body.clone()),
                                    _ => WsMessage::Text(msg.raw_text()),
                                },
                                Protocol::Json => WsMessage::Text(msg.envelope_text()),
                                Protocol::JsonReliable => match self.buffer(&msg) {
                                    Some(text) => WsMessage::Text(text),
                                    None => {
                                        let _ = socket.send(close_frame(1008, BUFFER_FULL)).await;
                                        return End::Done;
                                    }
                                },
                            };
                            if socket.send(frame).await.is_err() {
                                return End::Lost;
                            }
                        }
                        Outbound::Json(text) => {
                            if socket.send(WsMessage::Text(text)).await.is_err() {
                                return End::Lost;
                            }
                        }
                        Outbound::Close { code, reason } => {
                            if self.conn.protocol != Protocol::Raw {
                                let bye = json!({"type": "system", "event": "disconnected", "message": reason});
                                let _ = socket.send(WsMessage::Text(bye.to_string().into())).await;
                            }
                            let _ = socket.send(close_frame(code, &reason)).await;
                            return End::Done;
                        }
                    }
                }
                incoming = socket.recv() => {
                    let verdict = match incoming {
                        Some(Ok(WsMessage::Text(text))) => self.on_frame(DataKind::Text, Bytes::from(text)),
                        Some(Ok(WsMessage::Binary(data))) => self.on_frame(DataKind::Binary, data),
                        Some(Ok(WsMessage::Close(frame))) => {
                            // A close without a status code is still a deliberate close, not a lost transport.
                            let normal = frame.is_none_or(|f| f.code == 1000);
                            return if normal { End::Done } else { End::Lost };
                        }
                        Some(Ok(_)) => Verdict::Continue,
                        Some(Err(e)) => {
                            // Frames past the read limit fail inside the WebSocket library.
                            let why = e.to_string().to_ascii_lowercase();
                            if why.contains("too long") || why.contains("space limit") {
                                let _ = socket.send(close_frame(1009, "The message is too large.")).await;
                                return End::Done;
                            }
                            return End::Lost;
                        }
                        None => return End::Lost,
                    };
                    match verdict {
                        Verdict::Continue => {}
                        Verdict::Close(code, reason) => {
                            let _ = socket.send(close_frame(code, &reason)).await;
                            return End::Done;
                        }
                    }
                }
                new = recovered_socket(&mut self.attach_rx) => {
                    return End::Replaced(Box::new(new));
                }
                _ = super::stopped(&mut stopping) => {
                    let _ = socket.send(close_frame(1001, "The emulator is stopping.")).await;
                    return End::Done;
                }
            }
        }
    }

    /// Keeps a reliable connection while its client is away: buffers what arrives and waits
    /// for a recovery request, the end of the window, a REST close or shutdown.
    async fn wait_for_recovery(&mut self) -> Option<WebSocket> {
        let window = self
            .shared
            .recovery_window_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_millis(window);
        let mut stopping = self.shared.stopping.clone();
        loop {
            tokio::select! {
                out = self.rx.recv() => match out {
                    Some(Outbound::Data(msg)) => {
                        self.buffer(&msg)?;
                    }
                    // Acks and pongs answer a socket that is gone.
                    Some(Outbound::Json(_)) => {}
                    Some(Outbound::Close { .. }) | None => return None,
                },
                new = recovered_socket(&mut self.attach_rx) => return Some(new),
                _ = tokio::time::sleep_until(deadline) => return None,
                _ = super::stopped(&mut stopping) => return None,
            }
        }
    }

    /// Numbers a message and keeps it until acknowledged; None when the buffer is full.
    fn buffer(&mut self, msg: &super::state::Message) -> Option<Utf8Bytes> {
        self.sequence += 1;
        let text = msg.sequenced_text(self.sequence);
        self.unacked_bytes += text.len();
        self.unacked.push_back((self.sequence, text.clone()));
        if self.unacked.len() > MAX_UNACKED || self.unacked_bytes > MAX_UNACKED_BYTES {
            return None;
        }
        Some(text)
    }

    fn on_frame(&mut self, kind: DataKind, data: Bytes) -> Verdict {
        if data.len() > MAX_FRAME {
            return Verdict::Close(1009, "The message is too large.".into());
        }
        if self.conn.protocol == Protocol::Raw {
            return self.on_raw_frame(kind, data);
        }
        if kind == DataKind::Binary {
            return Verdict::Close(
                1003,
                "Binary frames are not supported by this subprotocol.".into(),
            );
        }
        match self.on_client_message(&data) {
            Ok(()) => Verdict::Continue,
            Err(()) => Verdict::Close(1007, "Invalid message.".into()),
        }
    }

    /// A plain WebSocket frame: published to the mode's group, or an event nobody handles.
    fn on_raw_frame(&self, kind: DataKind, data: Bytes) -> Verdict {
        let RawMode::SendToGroup(group) = &self.mode else {
            return Verdict::Close(1011, "No event handler is configured for this hub.".into());
        };
        if !self.allowed("sendToGroup", group) {
            return Verdict::Close(
                1008,
                format!("The client does not have permission to send to group '{group}'.").into(),
            );
        }
        let source = Source::Group {
            group: group.clone(),
            from_user: self.conn.user_id.clone(),
        };
        deliver_from(
            &self.hub,
            (kind, data),
            source,
            |s| s.group_conn_ids(group),
            None,
        );
        Verdict::Continue
    }

    fn allowed(&self, permission: &str, group: &str) -> bool {
        self.hub
            .read()
            .conns
            .get(&self.conn.id)
            .is_some_and(|e| e.allowed(permission, group))
    }

    fn ack(&self, ack_id: Option<u64>, result: Result<(), (&str, String)>) {
        let Some(ack_id) = ack_id else { return };
        let frame = match result {
            Ok(()) => json!({"type": "ack", "ackId": ack_id, "success": true}),
            Err((name, message)) => json!({
                "type": "ack", "ackId": ack_id, "success": false,
                "error": {"name": name, "message": message},
            }),
        };
        // Through the queue, so the ack follows any data this request delivered to us.
        let _ = self.conn.tx.send(Outbound::Json(frame.to_string().into()));
    }

    /// Handles one JSON message; `Err` means it is invalid and the connection closes (1007).
    fn on_client_message(&mut self, text: &[u8]) -> Result<(), ()> {
        let v: Value = serde_json::from_slice(text).map_err(|_| ())?;
        let kind = v.get("type").and_then(Value::as_str).ok_or(())?;
        let ack_id = match v.get("ackId") {
            None | Some(Value::Null) => None,
            Some(a) => Some(a.as_u64().ok_or(())?),
        };
        let group = || -> Result<String, ()> {
            v.get("group")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or(())
        };
        match kind {
            "joinGroup" | "leaveGroup" => {
                let g = group()?;
                if self.duplicate(ack_id) {
                    return Ok(());
                }
                let result = self.join_or_leave(kind == "joinGroup", &g);
                self.finish(ack_id, result);
            }
            "sendToGroup" => {
                let g = group()?;
                let data = decode_data(&v)?;
                let no_echo = match v.get("noEcho") {
                    None | Some(Value::Null) => false,
                    Some(b) => b.as_bool().ok_or(())?,
                };
                if self.duplicate(ack_id) {
                    return Ok(());
                }
                let result = self.send_to_group(&v, &g, data, no_echo);
                self.finish(ack_id, result);
            }
            "event" => {
                v.get("event").and_then(Value::as_str).ok_or(())?;
                decode_data(&v)?;
                if self.duplicate(ack_id) {
                    return Ok(());
                }
                self.finish(
                    ack_id,
                    Err((
                        "InternalServerError",
                        "No event handler is configured for this hub.".to_string(),
                    )),
                );
            }
            "sequenceAck" => {
                let upto = v.get("sequenceId").and_then(Value::as_u64).ok_or(())?;
                while let Some((seq, frame)) = self.unacked.front() {
                    if *seq > upto {
                        break;
                    }
                    self.unacked_bytes -= frame.len();
                    self.unacked.pop_front();
                }
            }
            "ping" => {
                let _ = self
                    .conn
                    .tx
                    .send(Outbound::Json(Utf8Bytes::from_static(r#"{"type":"pong"}"#)));
            }
            _ => return Err(()),
        }
        Ok(())
    }

    /// Answers a repeated successful ackId with `Duplicate` instead of acting again.
    fn duplicate(&self, ack_id: Option<u64>) -> bool {
        match ack_id {
            Some(id) if self.acked.contains(&id) => {
                self.ack(
                    Some(id),
                    Err((
                        "Duplicate",
                        format!("Message with ack-id: {id} has been processed"),
                    )),
                );
                true
            }
            _ => false,
        }
    }

    /// Acks the outcome; only successes are remembered, so a failure may be retried.
    fn finish(&mut self, ack_id: Option<u64>, result: Result<(), (&str, String)>) {
        if let (Some(id), Ok(())) = (ack_id, &result) {
            self.acked.insert(id);
        }
        self.ack(ack_id, result);
    }

    fn join_or_leave(&self, join: bool, g: &str) -> Result<(), (&'static str, String)> {
        if validate_group(g).is_err() {
            return Err(("BadRequest", invalid_group(g)));
        }
        let mut state = self.hub.write();
        let allowed = state
            .conns
            .get(&self.conn.id)
            .is_some_and(|e| e.allowed("joinLeaveGroup", g));
        if !allowed {
            let verb = if join { "join" } else { "leave" };
            return Err((
                "Forbidden",
                format!("The client does not have permission to {verb} group '{g}'."),
            ));
        }
        if join {
            state.join_group(&self.conn.id, g);
        } else {
            state.leave_group(&self.conn.id, g);
        }
        Ok(())
    }

    fn send_to_group(
        &self,
        v: &Value,
        g: &str,
        data: (DataKind, Bytes),
        no_echo: bool,
    ) -> Result<(), (&'static str, String)> {
        if validate_group(g).is_err() {
            return Err(("BadRequest", invalid_group(g)));
        }
        if let Some(ttl) = v.get("ttlSeconds").filter(|t| !t.is_null()) {
            if ttl.as_u64().is_none_or(|t| t > 300) {
                return Err((
                    "BadRequest",
                    "ttlSeconds must be an integer between 0 and 300.".to_string(),
                ));
            }
        }
        if !self.allowed("sendToGroup", g) {
            return Err((
                "Forbidden",
                format!("The client does not have permission to send to group '{g}'."),
            ));
        }
        let source = Source::Group {
            group: g.to_string(),
            from_user: self.conn.user_id.clone(),
        };
        let me = &self.conn.id;
        deliver_from(
            &self.hub,
            data,
            source,
            |s| {
                s.group_conn_ids(g)
                    .into_iter()
                    .filter(|id| !(no_echo && id == me))
                    .collect()
            },
            None,
        );
        Ok(())
    }
}

fn invalid_group(g: &str) -> String {
    let shown: String = g.chars().take(64).collect();
    format!(
        "Invalid group name '{shown}': it must have 1-1024 characters and not be only whitespace."
    )
}

/// `data` by `dataType` (json when absent): text must be a string, binary standard base64,
/// json anything but null.
fn decode_data(v: &Value) -> Result<(DataKind, Bytes), ()> {
    let data = v.get("data").ok_or(())?;
    match v.get("dataType").and_then(Value::as_str).unwrap_or("json") {
        "text" => Ok((
            DataKind::Text,
            Bytes::from(data.as_str().ok_or(())?.to_string()),
        )),
        "json" if !data.is_null() => Ok((DataKind::Json, Bytes::from(data.to_string()))),
        "binary" => {
            let s = data.as_str().ok_or(())?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| ())?;
            Ok((DataKind::Binary, Bytes::from(bytes)))
        }
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_control_frame() {
        let long = "é".repeat(100);
        let WsMessage::Close(Some(frame)) = close_frame(1000, &long) else {
            panic!("not a close frame");
        };
        assert_eq!(frame.reason.len(), 122);
        assert!(long.starts_with(frame.reason.as_str()));
    }

    #[test]
    fn reconnection_token_is_bound_to_one_connection() {
        let keys = ReconnectKeys::new("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH");
        let token = keys.issue("c1").expect("signs");
        assert!(keys.check(&token, "c1"));
        assert!(!keys.check(&token, "c2"));
        assert!(!ReconnectKeys::new("another-key-another-key-another-key").check(&token, "c1"));
        assert!(!keys.check("garbage", "c1"));
    }

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

//! The client endpoint `/client/hubs/{hub}`: plain WebSockets and the JSON subprotocols.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::auth::string_list;
use super::rest::{deliver_from, error, validate_group, validate_hub};
use super::state::{Conn, DataKind, Hub, Outbound, Protocol, Source};
use super::Shared;

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
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let token = query
        .iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.clone())
        .or_else(|| {
            parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_string)
        });
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let unauthorized = |why: String| error(StatusCode::UNAUTHORIZED, "Error.Unauthorized", why);
    let Some(token) = token else {
        return unauthorized("The request has no access_token.".into());
    };
    let aud = format!(
        "http://{host}/client/hubs/{}",
        super::super::client::operations::encode(&hub)
    );
    let claims = match shared.verifier.check_client(&token, &aud) {
        Ok(c) => c,
        Err(why) => return unauthorized(why),
    };
    let groups = string_list(&claims, "webpubsub.group");
    for g in &groups {
        if let Err(resp) = validate_group(g) {
            return resp;
        }
    }
    let user_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_string);
    let roles = string_list(&claims, "role");

    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = upgrade.protocols([Protocol::JSON, Protocol::JSON_RELIABLE]);
    let protocol =
        Protocol::from_subprotocol(upgrade.selected_protocol().and_then(|v| v.to_str().ok()));
    upgrade
        .max_message_size(1024 * 1024)
        .on_upgrade(move |socket| async move {
            let client = Client {
                shared,
                hub_name: hub,
                user_id,
                roles,
                groups,
                protocol,
            };
            client.run(socket).await;
        })
}

struct Client {
    shared: Arc<Shared>,
    hub_name: String,
    user_id: Option<String>,
    roles: Vec<String>,
    groups: Vec<String>,
    protocol: Protocol,
}

impl Client {
    async fn run(self, mut socket: WebSocket) {
        let hub = self.shared.registry.hub(&self.hub_name);
        let id = self.shared.registry.new_connection_id();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let conn = Arc::new(Conn {
            id: id.clone(),
            user_id: self.user_id.clone(),
            protocol: self.protocol,
            roles: self.roles.clone(),
            tx,
        });
        {
            let mut state = hub.write();
            state.add_conn(conn.clone());
            for g in &self.groups {
                state.join_group(&id, g);
            }
        }
        if self.shared.verbose >= 1 {
            eprintln!(
                "emulator: client {id} connected to hub {} ({:?})",
                self.hub_name, self.protocol
            );
        }
        if self.protocol != Protocol::Raw {
            let connected = json!({
                "type": "system",
                "event": "connected",
                "userId": self.user_id,
                "connectionId": id,
            });
            if socket
                .send(WsMessage::Text(connected.to_string().into()))
                .await
                .is_err()
            {
                hub.write().remove_conn(&id);
                return;
            }
        }
        let mut sequence: u64 = 0;
        let mut stopping = self.shared.stopping.clone();
        loop {
            tokio::select! {
                out = rx.recv() => {
                    let Some(out) = out else { break };
                    match self.frame(out, &mut sequence) {
                        Frame::Send(m) => {
                            if socket.send(m).await.is_err() { break; }
                        }
                        Frame::Close(first, close) => {
                            if let Some(m) = first { let _ = socket.send(m).await; }
                            let _ = socket.send(close).await;
                            break;
                        }
                    }
                }
                incoming = socket.recv() => {
                    match incoming {
                        Some(Ok(WsMessage::Text(text))) if self.protocol != Protocol::Raw => {
                            if let Err(code) = self.on_client_message(&hub, &conn, &text) {
                                let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: "Invalid message.".into() }))).await;
                                break;
                            }
                        }
                        Some(Ok(WsMessage::Binary(_))) if self.protocol != Protocol::Raw => {
                            let _ = socket.send(WsMessage::Close(Some(CloseFrame { code: 1003, reason: "Binary frames are not supported by this subprotocol.".into() }))).await;
                            break;
                        }
                        Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    }
                }
                _ = super::stopped(&mut stopping) => {
                    let _ = socket.send(WsMessage::Close(Some(CloseFrame { code: 1001, reason: "The emulator is stopping.".into() }))).await;
                    break;
                }
            }
        }
        hub.write().remove_conn(&id);
        if self.shared.verbose >= 1 {
            eprintln!("emulator: client {id} disconnected");
        }
    }

    /// Turns what the hub sent into the frame this client's protocol expects.
    fn frame(&self, out: Outbound, sequence: &mut u64) -> Frame {
        match out {
            Outbound::Data(msg) => Frame::Send(match self.protocol {
                Protocol::Raw => match msg.kind {
                    DataKind::Binary => WsMessage::Binary(msg.body.clone()),
                    _ => WsMessage::Text(Utf8Bytes::from(
                        String::from_utf8_lossy(&msg.body).into_owned(),
                    )),
                },
                Protocol::Json => WsMessage::Text(msg.envelope_text()),
                Protocol::JsonReliable => {
                    *sequence += 1;
                    let mut env = msg.envelope().clone();
                    env.insert("sequenceId".into(), (*sequence).into());
                    WsMessage::Text(Value::Object(env).to_string().into())
                }
            }),
            Outbound::Json(text) => Frame::Send(WsMessage::Text(text)),
            Outbound::Close { code, reason } => {
                let first = (self.protocol != Protocol::Raw).then(|| {
                    WsMessage::Text(
                        json!({"type": "system", "event": "disconnected", "message": reason})
                            .to_string()
                            .into(),
                    )
                });
                Frame::Close(
                    first,
                    WsMessage::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })),
                )
            }
        }
    }

    /// Handles one JSON frame from the client; `Err(close code)` ends the connection.
    fn on_client_message(&self, hub: &Hub, conn: &Conn, text: &str) -> Result<(), u16> {
        let v: Value = serde_json::from_str(text).map_err(|_| 1007u16)?;
        let kind = v.get("type").and_then(Value::as_str).ok_or(1007u16)?;
        let ack_id = v.get("ackId").and_then(Value::as_u64);
        let ack = |result: Result<(), (&str, String)>| {
            let Some(ack_id) = ack_id else { return };
            let frame = match result {
                Ok(()) => json!({"type": "ack", "ackId": ack_id, "success": true}),
                Err((name, message)) => {
                    json!({"type": "ack", "ackId": ack_id, "success": false, "error": {"name": name, "message": message}})
                }
            };
            let _ = conn.tx.send(Outbound::Json(frame.to_string().into()));
        };
        let group = || -> Result<String, u16> {
            let g = v.get("group").and_then(Value::as_str).ok_or(1007u16)?;
            validate_group(g).map_err(|_| 1007u16)?;
            Ok(g.to_string())
        };
        match kind {
            "joinGroup" | "leaveGroup" => {
                let g = group()?;
                let mut state = hub.write();
                let allowed = state
                    .conns
                    .get(&conn.id)
                    .is_some_and(|e| e.allowed("joinLeaveGroup", &g));
                if !allowed {
                    drop(state);
                    ack(Err((
                        "Forbidden",
                        format!(
                            "The client does not have permission to join or leave group '{g}'."
                        ),
                    )));
                    return Ok(());
                }
                if kind == "joinGroup" {
                    state.join_group(&conn.id, &g);
                } else {
                    state.leave_group(&conn.id, &g);
                }
                drop(state);
                ack(Ok(()));
            }
            "sendToGroup" => {
                let g = group()?;
                let data = decode_data(&v)?;
                let allowed = hub
                    .read()
                    .conns
                    .get(&conn.id)
                    .is_some_and(|e| e.allowed("sendToGroup", &g));
                if !allowed {
                    ack(Err((
                        "Forbidden",
                        format!("The client does not have permission to send to group '{g}'."),
                    )));
                    return Ok(());
                }
                let no_echo = v.get("noEcho").and_then(Value::as_bool).unwrap_or(false);
                let source = Source::Group {
                    group: g.clone(),
                    from_user: conn.user_id.clone(),
                };
                deliver_from(
                    hub,
                    data,
                    source,
                    |s| {
                        s.group_conn_ids(&g)
                            .into_iter()
                            .filter(|id| !(no_echo && id == &conn.id))
                            .collect()
                    },
                    None,
                );
                ack(Ok(()));
            }
            "event" => {
                decode_data(&v)?;
                // No event handler is configured in the emulator, so nothing consumes events.
                ack(Err((
                    "InternalServerError",
                    "No event handler is configured for this hub.".to_string(),
                )));
            }
            "sequenceAck" => {}
            "ping" => {
                let _ = conn
                    .tx
                    .send(Outbound::Json(Utf8Bytes::from_static(r#"{"type":"pong"}"#)));
            }
            _ => return Err(1007),
        }
        Ok(())
    }
}

enum Frame {
    Send(WsMessage),
    Close(Option<WsMessage>, WsMessage),
}

/// `data` by `dataType` (json when absent): text must be a string, binary standard base64.
fn decode_data(v: &Value) -> Result<(DataKind, Bytes), u16> {
    let data = v.get("data").ok_or(1007u16)?;
    match v.get("dataType").and_then(Value::as_str).unwrap_or("json") {
        "text" => Ok((
            DataKind::Text,
            Bytes::from(data.as_str().ok_or(1007u16)?.to_string()),
        )),
        "json" if !data.is_null() => Ok((DataKind::Json, Bytes::from(data.to_string()))),
        "binary" => {
            let s = data.as_str().ok_or(1007u16)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| 1007u16)?;
            Ok((DataKind::Binary, Bytes::from(bytes)))
        }
        _ => Err(1007),
    }
}

//! What the hub sends a connection (REST), as its session task takes it from the queue: the
//! body is an Engine.IO payload (what the Socket.IO extension sends), whose packets go to the
//! client in order; an invocation's delivery becomes the connection's own packets; a server's
//! `DISCONNECT` and Engine.IO close are acted on, not only passed on. Apart from the task's
//! loop (`mod.rs`), which reads the client and the timers: these only turn a message into
//! what the client gets.

use super::{End, Session};
use crate::emulator::message::Outbound;
use crate::emulator::socketio::engine::{self, Data, Kind, Packet};
use crate::emulator::socketio::packet::{self, Type};
use crate::emulator::socketio::rooms::namespace_group;
use crate::emulator::ws::flush;

impl Session {
    /// A message from the hub (REST): its body is an Engine.IO payload, as the Socket.IO
    /// extension sends them; one that is not is dropped (the client did nothing wrong).
    pub(super) async fn on_outbound(&mut self, out: Outbound) -> Result<(), End> {
        match out {
            Outbound::Data(message) => {
                let invocations = &self.shared.socketio.invocations;
                if let Some(packets) = invocations.claim(&self.conn.id, &message) {
                    for p in packets {
                        self.emit(p).await?;
                    }
                    return Ok(());
                }
                let Ok(text) = std::str::from_utf8(&message.body) else {
                    return Ok(());
                };
                let Ok(packets) = engine::decode_payload(text) else {
                    if self.shared.verbose >= 1 {
                        eprintln!(
                            "emulator: Socket.IO client {}: a message that is not an Engine.IO \
                             payload was dropped",
                            self.conn.id
                        );
                    }
                    return Ok(());
                };
                for mut p in packets {
                    let mut close_after = false;
                    if let Some((packet, close)) = self.server_disconnect(&p) {
                        p = packet;
                        close_after = close;
                    }
                    if close_after {
                        self.emit(p).await?;
                        let _ = self.emit(Packet::bare(Kind::Close)).await;
                        self.close_sent = true;
                        return Err(End("io server disconnect".into()));
                    }
                    // A server closing the connection sends Engine.IO's close packet (the
                    // extension's transport does): it is the last thing the client gets.
                    let closing = p.kind == Kind::Close;
                    self.emit(p).await?;
                    if closing {
                        self.close_sent = true;
                        return Err(End("server close".into()));
                    }
                }
                Ok(())
            }
            Outbound::Close { reason, .. } => {
                let _ = self.emit(Packet::bare(Kind::Close)).await;
                self.close_sent = true;
                Err(End(reason))
            }
            // The rest of a frame the fan-out wrote straight to the socket.
            Outbound::Flush => match self.socket.as_mut() {
                Some(socket) => flush(socket, &self.conn)
                    .await
                    .map_err(|_| End("the client does not take its messages".into())),
                None => Ok(()),
            },
            Outbound::Json(_) | Outbound::Binary(_) => Ok(()),
        }
    }

    /// A server's DISCONNECT for a namespace: the extension's `disconnectSockets` sends it with
    /// `{"close":bool}`, which is the service's to act on, not the client's to read (its
    /// parser refuses a DISCONNECT with data). The client gets the bare packet, the
    /// connection leaves the namespace's group, and with `close` the connection ends.
    fn server_disconnect(&mut self, p: &Packet) -> Option<(Packet, bool)> {
        let Data::Text(text) = &p.data else {
            return None;
        };
        if p.kind != Kind::Message || !text.starts_with('1') {
            return None;
        }
        let (namespace, data) = match text[1..].strip_prefix('/') {
            Some(_) => {
                let (nsp, rest) = text[1..].split_once(',').unwrap_or((&text[1..], ""));
                (nsp.to_string(), rest)
            }
            None => ("/".to_string(), &text[1..]),
        };
        if self.namespaces.remove(&namespace) {
            let group = namespace_group(&namespace);
            self.hub.remove_connection_from_group(&self.conn.id, &group);
        }
        if let Some(serverless) = self.serverless.as_mut() {
            serverless.server_disconnect(&namespace, &self.hub);
        }
        let close = serde_json::from_str::<serde_json::Value>(data)
            .ok()
            .and_then(|v| v.get("close").and_then(serde_json::Value::as_bool))
            .unwrap_or(false);
        let bare = packet::encode(Type::Disconnect, &namespace, "");
        Some((Packet::text(Kind::Message, bare), close))
    }
}

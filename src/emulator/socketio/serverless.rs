//! Serverless mode: a hub's Socket.IO clients are answered by its event handlers alone, as
//! the service's "Socket.IO Serverless Mode Specification" describes. No Socket.IO server
//! runs; the emulator is the Socket.IO server, and asks the handlers what to do.
//!
//! Each namespace a client connects to is a *socket*, with a random socket id, and the
//! handler hears of each socket, not of the Engine.IO connection: `connect` (blocking: a 2xx
//! accepts the socket, anything else refuses it with CONNECT_ERROR), then `connected`, each
//! event the client emits as a user event named after it (its body the packet as an
//! Engine.IO payload, `text/plain`; the handler's reply body, an Engine.IO payload such as
//! an ACK, goes back to the client as it is), then `disconnected`. Every request carries
//! `ce-namespace` and `ce-socketId` besides the connection's headers.
//!
//! A connected socket is in two hub groups: its namespace's ([`namespace_group`]) and the
//! room named by its socket id ([`room_group`]), so REST reaches a socket, a room or a
//! namespace by sending an Engine.IO payload to a group, and `:addToGroups` with the filter
//! `'<socket group>' in groups` puts the connection in a room. When the socket goes, the
//! connection leaves every group of that namespace.
//!
//! The handler calls run on one task per connection, in the order the client caused them, so
//! a slow handler delays only its own client. What the client can make us hold is bounded:
//! [`MAX_NAMESPACES`] sockets (pending ones included), [`EVENT_QUEUE`] calls waiting (a client
//! that gets further ahead of its handler is closed), one binary event being assembled
//! (within [`MAX_PAYLOAD`] of base64). Each call has the upstream deadline. A connection closed
//! for outrunning its handler has its waiting events dropped (only the `disconnected`s go), so
//! a stalled handler is not owed hundreds of calls for a client that is gone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::engine::{self, Kind, Packet};
use super::packet::{self, Header, Type};
use super::rooms::{namespace_group, room_group, socket_id};
use super::{MAX_NAMESPACES, MAX_PAYLOAD};
use crate::emulator::hub::Hub;
use crate::emulator::upstream::{self, ConnectRequest, DataKind, Upstream};

/// Handler calls a connection may have waiting behind the one in flight.
pub(crate) const EVENT_QUEUE: usize = 256;
/// Replies waiting for the connection's task (it reads them as they come).
const REPLY_QUEUE: usize = 8;
/// socket.io's reasons for a socket's end.
const CLIENT_DISCONNECT: &str = "client namespace disconnect";
const SERVER_DISCONNECT: &str = "server namespace disconnect";

/// Why the connection must end.
pub(crate) enum Fault {
    /// The client sent something socket.io would not take.
    Malformed(&'static str),
    /// The client is [`EVENT_QUEUE`] calls ahead of its handler.
    Behind,
}

/// A namespace socket of the connection.
struct Socket {
    view: Arc<upstream::Connection>,
    /// The handler accepted it (else its `connect` is in flight).
    connected: bool,
}

/// A binary event waiting for its attachments.
struct Partial {
    /// None: the packet is dropped once complete (a socket not connected, a client's ACK).
    event: Option<(Arc<upstream::Connection>, String)>,
    payload: String,
    left: usize,
}

/// What the handler task does, in order.
enum Job {
    Connect(Arc<upstream::Connection>),
    Connected(Arc<upstream::Connection>),
    Event {
        view: Arc<upstream::Connection>,
        name: String,
        payload: String,
    },
    Disconnected(Arc<upstream::Connection>, String),
}

/// What the handler task tells the connection.
pub(crate) enum Reply {
    Accepted(Arc<upstream::Connection>),
    Refused(Arc<upstream::Connection>, String),
    /// A user event's reply body, for the client.
    Payload(String),
}

/// How far the handler task goes once the connection is over. A connection that ended
/// normally still has its events delivered (the client sent them), but no new socket offered;
/// one closed for outrunning its handler has nothing more delivered but the `disconnected`s.
const LIVE: u8 = 0;
const ENDED: u8 = 1;
const ABANDONED: u8 = 2;

/// A connection's sockets and its handler task.
pub(crate) struct Serverless {
    hub: String,
    connection_id: String,
    user_id: Option<String>,
    sockets: HashMap<String, Socket>,
    partial: Option<Partial>,
    jobs: mpsc::Sender<Job>,
    replies: mpsc::Receiver<Reply>,
    /// [`LIVE`], [`ENDED`] or [`ABANDONED`], read by the handler task.
    state: Arc<AtomicU8>,
}

impl Serverless {
    /// Starts the connection's handler task; `request` is the `connect` body of each socket
    /// (the Engine.IO handshake's claims, query and headers).
    pub fn start(
        upstream: Upstream,
        hub: &str,
        connection_id: &str,
        user_id: Option<String>,
        request: ConnectRequest,
    ) -> Serverless {
        // The reserve behind the client's calls: one `disconnected` per socket always fits.
        let (jobs, rx) = mpsc::channel(EVENT_QUEUE + MAX_NAMESPACES);
        let (tx, replies) = mpsc::channel(REPLY_QUEUE);
        let state = Arc::new(AtomicU8::new(LIVE));
        tokio::spawn(work(upstream, request, rx, tx, state.clone()));
        Serverless {
            hub: hub.to_string(),
            connection_id: connection_id.to_string(),
            user_id,
            sockets: HashMap::new(),
            partial: None,
            jobs,
            replies,
            state,
        }
    }

    /// The next reply from the handler task.
    pub async fn reply(&mut self) -> Option<Reply> {
        self.replies.recv().await
    }

    /// A call the client caused: refused when the client is too far ahead.
    fn queue(&self, job: Job) -> Result<(), Fault> {
        if self.jobs.capacity() <= MAX_NAMESPACES || self.jobs.try_send(job).is_err() {
            self.state.store(ABANDONED, Ordering::Relaxed);
            return Err(Fault::Behind);
        }
        Ok(())
    }

    /// A socket's end, for the handler: it uses the reserve, so it is lost only if the task
    /// is gone.
    fn ended(&self, view: Arc<upstream::Connection>, reason: &str) {
        let _ = self
            .jobs
            .try_send(Job::Disconnected(view, reason.to_string()));
    }

    /// A Socket.IO packet from the client: the packets to answer it with now.
    pub fn on_packet(&mut self, text: &str, hub: &Hub) -> Result<Vec<Packet>, Fault> {
        if self.partial.is_some() {
            return Err(Fault::Malformed(
                "a packet where a binary attachment was due",
            ));
        }
        let header = packet::parse(text).map_err(|m| Fault::Malformed(m.0))?;
        match header.kind {
            Type::Connect => self.connect(&header.namespace),
            Type::Disconnect => {
                if let Some(socket) = self.sockets.remove(&header.namespace) {
                    self.leave(hub, &header.namespace);
                    if socket.connected {
                        self.ended(socket.view, CLIENT_DISCONNECT);
                    }
                }
                Ok(Vec::new())
            }
            Type::ConnectError => Err(Fault::Malformed("CONNECT_ERROR from a client")),
            Type::Event | Type::BinaryEvent => {
                let event = match self.sockets.get(&header.namespace) {
                    // socket.io drops what comes for a namespace the client is not in.
                    Some(s) if s.connected => Some((s.view.clone(), event_name(&header)?)),
                    _ => None,
                };
                let mut payload = String::new();
                Packet::text(Kind::Message, text).encode_record(&mut payload);
                if header.attachments > 0 {
                    self.partial = Some(Partial {
                        event,
                        payload,
                        left: header.attachments,
                    });
                    return Ok(Vec::new());
                }
                if let Some((view, name)) = event {
                    self.queue(Job::Event {
                        view,
                        name,
                        payload,
                    })?;
                }
                Ok(Vec::new())
            }
            // An ACK of a server's emit: there is no server to hand it to.
            Type::Ack | Type::BinaryAck => {
                if header.attachments > 0 {
                    self.partial = Some(Partial {
                        event: None,
                        payload: String::new(),
                        left: header.attachments,
                    });
                }
                Ok(Vec::new())
            }
        }
    }

    fn connect(&mut self, namespace: &str) -> Result<Vec<Packet>, Fault> {
        if let Some(socket) = self.sockets.get(namespace) {
            // Asked again: a connected socket is answered again, a pending one in time.
            return Ok(match socket.connected {
                true => vec![connect_packet(&socket.view)],
                false => Vec::new(),
            });
        }
        if self.sockets.len() >= MAX_NAMESPACES {
            return Err(Fault::Malformed("too many namespaces"));
        }
        let mut view = upstream::Connection::new(&self.hub, &self.connection_id, None);
        view.set_user_id(self.user_id.clone());
        view.set_socket(namespace, &socket_id());
        let view = Arc::new(view);
        self.queue(Job::Connect(view.clone()))?;
        let socket = Socket {
            view,
            connected: false,
        };
        self.sockets.insert(namespace.to_string(), socket);
        Ok(Vec::new())
    }

    /// A binary attachment of the event being assembled.
    pub fn on_attachment(&mut self, bytes: Bytes) -> Result<(), Fault> {
        let Some(partial) = self.partial.as_mut() else {
            return Err(Fault::Malformed("a binary packet no packet announced"));
        };
        if partial.event.is_some() {
            partial.payload.push(engine::SEPARATOR);
            Packet::binary(bytes).encode_record(&mut partial.payload);
            if partial.payload.len() > MAX_PAYLOAD {
                return Err(Fault::Malformed("a binary event over maxPayload"));
            }
        }
        partial.left -= 1;
        if partial.left > 0 {
            return Ok(());
        }
        let Some(Partial {
            event: Some((view, name)),
            payload,
            ..
        }) = self.partial.take()
        else {
            return Ok(());
        };
        self.queue(Job::Event {
            view,
            name,
            payload,
        })
    }

    /// The handler task's news: the packets for the client.
    pub fn on_reply(&mut self, reply: Reply, hub: &Hub) -> Result<Vec<Packet>, Fault> {
        match reply {
            Reply::Accepted(view) => {
                let Some((namespace, _)) = view.socket() else {
                    return Ok(Vec::new());
                };
                let namespace = namespace.to_string();
                let socket = self
                    .sockets
                    .get_mut(&namespace)
                    .filter(|s| Arc::ptr_eq(&s.view, &view));
                let Some(socket) = socket else {
                    // The client left before the handler answered: its socket is over.
                    self.ended(view, CLIENT_DISCONNECT);
                    return Ok(Vec::new());
                };
                socket.connected = true;
                // Joined before `connected`, so a handler that adds the socket to a room
                // by its group finds it there.
                hub.add_connection_to_group(&self.connection_id, &namespace_group(&namespace));
                if let Some((_, id)) = view.socket() {
                    hub.add_connection_to_group(&self.connection_id, &room_group(&namespace, id));
                }
                self.queue(Job::Connected(view.clone()))?;
                Ok(vec![connect_packet(&view)])
            }
            Reply::Refused(view, message) => {
                let Some((namespace, _)) = view.socket() else {
                    return Ok(Vec::new());
                };
                let ours = self
                    .sockets
                    .get(namespace)
                    .is_some_and(|s| Arc::ptr_eq(&s.view, &view));
                if !ours {
                    return Ok(Vec::new());
                }
                self.sockets.remove(namespace);
                let data = serde_json::json!({ "message": message }).to_string();
                let text = packet::encode(Type::ConnectError, namespace, &data);
                Ok(vec![Packet::text(Kind::Message, text)])
            }
            Reply::Payload(text) => match engine::decode_payload(&text) {
                Ok(packets) => Ok(packets),
                // The handler's mistake, not the client's: nothing goes out.
                Err(_) => Ok(Vec::new()),
            },
        }
    }

    /// A DISCONNECT for `namespace` sent through REST: the socket is over.
    pub fn server_disconnect(&mut self, namespace: &str, hub: &Hub) {
        if let Some(socket) = self.sockets.remove(namespace) {
            self.leave(hub, namespace);
            if socket.connected {
                self.ended(socket.view, SERVER_DISCONNECT);
            }
        }
    }

    /// The Engine.IO connection ended: every connected socket with it.
    pub fn end(&mut self, reason: &str) {
        let _ = self
            .state
            .compare_exchange(LIVE, ENDED, Ordering::Relaxed, Ordering::Relaxed);
        for (_, socket) in self.sockets.drain() {
            if socket.connected {
                let _ = self
                    .jobs
                    .try_send(Job::Disconnected(socket.view, reason.to_string()));
            }
        }
    }

    /// The connection leaves the namespace's group and its rooms.
    fn leave(&self, hub: &Hub, namespace: &str) {
        let prefix = namespace_group(namespace);
        for group in hub.groups_of(&self.connection_id) {
            if group.starts_with(&prefix) {
                hub.remove_connection_from_group(&self.connection_id, &group);
            }
        }
    }
}

/// The handler task: one call at a time, in order.
async fn work(
    upstream: Upstream,
    request: ConnectRequest,
    mut jobs: mpsc::Receiver<Job>,
    replies: mpsc::Sender<Reply>,
    state: Arc<AtomicU8>,
) {
    while let Some(job) = jobs.recv().await {
        let state = state.load(Ordering::Relaxed);
        match job {
            Job::Connect(_) if state != LIVE => {}
            Job::Event { .. } if state == ABANDONED => {}
            Job::Connect(view) => {
                // No `connect` handler: accepted, as the service accepts a WebSocket client.
                let reply = match upstream.connect(&view, &request).await {
                    Ok(_) => Reply::Accepted(view),
                    Err(failure) => Reply::Refused(view, failure.message),
                };
                // The connection is gone if this fails; what is queued still goes out.
                let _ = replies.send(reply).await;
            }
            Job::Connected(view) => upstream.connected(&view),
            Job::Event {
                view,
                name,
                payload,
            } => {
                let data = Bytes::from(payload);
                let sent = upstream.user_event(&view, &name, DataKind::Text, data, &[]);
                // A failure is reported by the upstream side; the client gets nothing.
                if let Ok(reply) = sent.await {
                    if let Ok(text) = String::from_utf8(reply.data.to_vec()) {
                        if !text.is_empty() {
                            let _ = replies.send(Reply::Payload(text)).await;
                        }
                    }
                }
            }
            Job::Disconnected(view, reason) => upstream.disconnected(&view, &reason),
        }
    }
}

/// The event's name: the first element of its data, a string (or a number, which socket.io
/// clients may emit).
fn event_name(header: &Header) -> Result<String, Fault> {
    let bad = Fault::Malformed("an event without a name");
    let value: serde_json::Value = serde_json::from_str(&header.data).map_err(|_| bad)?;
    match value.get(0) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        _ => Err(Fault::Malformed("an event without a name")),
    }
}

/// The CONNECT answer that accepts a socket: `{"sid": socket id}`.
fn connect_packet(view: &upstream::Connection) -> Packet {
    let (namespace, id) = view.socket().unwrap_or(("/", ""));
    let data = serde_json::json!({ "sid": id }).to_string();
    Packet::text(
        Kind::Message,
        packet::encode(Type::Connect, namespace, &data),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_named_by_its_first_element() {
        let name = |text: &str| event_name(&packet::parse(text).ok()?).ok();
        assert_eq!(
            name(r#"2/ns,13["hello","world"]"#).as_deref(),
            Some("hello")
        );
        assert_eq!(name(r#"2[7]"#).as_deref(), Some("7"));
    }
}

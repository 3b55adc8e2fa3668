//! One Engine.IO connection: its own task, whichever transport the client is on.
//!
//! The task owns everything about the connection (the WebSocket if there is one, the
//! long-polling queue, the ping timer, the namespaces joined) and is told about HTTP requests
//! through a bounded channel ([`Input`]): a polling `GET` hands it a one-shot to answer when
//! there is something to send (at the latest the next ping), a `POST` hands it the packets
//! it carried, an upgrade hands it the new WebSocket to probe. So no lock is shared between
//! requests, and the order of what the client sees is the order the task wrote it in.
//!
//! In serverless mode the task hands the client's Socket.IO packets to its [`Serverless`]
//! sockets (serverless.rs), which call the hub's event handlers on a task of their own, and
//! takes their replies in the same `select!` as everything else.
//!
//! A message from the hub that is one Socket.IO event, on a connection that opened as a
//! WebSocket on plain TCP, may not reach the task at all: while the task waits on an empty
//! queue, the hub's fan-out writes it straight to the socket as the text frame the task would
//! send (`hub/queue.rs`, `emulator/wire.rs`), as it does for plain clients. The task holds that
//! off ([`Inbox::hold`]) whenever it is about to write or join of its own accord, so its own
//! frames and the hub's keep their order.
//!
//! What the hub sends the connection (REST) is read in `outbound.rs`; the long-polling queue
//! is `../polling.rs`, and in default mode the task that passes the client's packets on to the
//! hub's Socket.IO server is `../server.rs`.
//!
//! Everything a client can fill is bounded: its polling queue
//! ([`MAX_QUEUED`](super::polling::MAX_QUEUED)), attachments ([`packet::MAX_ATTACHMENTS`], each
//! a frame within the payload limit), namespaces ([`MAX_NAMESPACES`]). Everything it can stall
//! has a deadline: a ping unanswered within the ping timeout drops it, an upgrade not
//! completed within [`UPGRADE_TIMEOUT`] is abandoned (the connection goes on polling), a write
//! not taken within the WebSocket write timeout ends it.

mod outbound;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::engine::{Data, Kind, Packet};
use super::engines::{Input, Timing};
use super::packet::{self, Type};
use super::polling::{Overlapping, Polling};
use super::rooms::{namespace_group, socket_id};
use super::server::Server;
use super::serverless::{Fault, Reply, Serverless};
use super::MAX_NAMESPACES;
use crate::emulator::activity::ClientTap;
use crate::emulator::hub::{Conn, Hub, Inbox};
use crate::emulator::message::{DataKind, Outbound};
use crate::emulator::shared::{stopped, Shared};
use crate::emulator::transport::WebSocket;
use crate::emulator::wire::Line;
use crate::emulator::ws::send_frame;

/// How long an upgrade may take from the WebSocket's opening to its `5` (engine.io's
/// default `upgradeTimeout`), never longer than the ping timeout.
pub(crate) const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);
/// Why a connection whose WebSocket closed or failed ended (socket.io's reason).
const TRANSPORT_CLOSE: &str = "transport close";
/// How long the close of a WebSocket may take before the socket is dropped anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A WebSocket being tried as the connection's transport.
struct Probe {
    socket: Box<WebSocket>,
    deadline: Instant,
}

/// Binary attachments still to come for a packet.
struct Partial {
    left: usize,
}

pub(crate) struct Session {
    shared: Arc<Shared>,
    hub_name: String,
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    inbox: Inbox,
    input: mpsc::Receiver<Input>,
    activity: ClientTap,
    timing: Timing,
    socket: Option<Box<WebSocket>>,
    probe: Option<Probe>,
    polling: Polling,
    /// The next ping, when no pong is awaited; a ping waits for the pong of the one before.
    next_ping: Option<Instant>,
    pong_by: Option<Instant>,
    /// The close packet went out (a REST close): not sent twice.
    close_sent: bool,
    namespaces: HashSet<String>,
    partial: Option<Partial>,
    end_reason: String,
    /// Default mode: the hub's Socket.IO server, which gets the client's packets (as
    /// Engine.IO payloads, one a `message` event, in order) and pings the client itself.
    server: Option<Server>,
    /// Serverless mode: the namespace sockets, which the hub's event handlers answer.
    serverless: Option<Serverless>,
}

/// Who a new connection is (its token's claims, if it gave one) and who answers it.
pub(crate) struct Admission {
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    pub groups: Vec<String>,
    pub answer: Answer,
    /// The socket, when the hub's fan-out may write lone events to it directly.
    pub line: Option<Line>,
}

/// Who answers a connection's Socket.IO packets.
pub(crate) enum Answer {
    /// Default mode with no server: the emulator, which accepts every namespace.
    Emulator,
    /// Default mode: the hub's Socket.IO server.
    Server(Server),
    /// Serverless mode: the hub's event handlers.
    Serverless(Serverless),
}

/// What woke the task.
enum Wake {
    Input(Option<Input>),
    Frame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
    ProbeFrame(Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>),
    ProbeExpired,
    Outbound(Outbound),
    Ping,
    PongLate,
    Overflowed,
    Serverless(Reply),
    Stop,
}

/// Why the task ends.
struct End(String);

impl Session {
    /// Registers a new connection in its hub; `socket` when it opened as a WebSocket.
    pub fn open(
        shared: Arc<Shared>,
        hub_name: String,
        id: String,
        input: mpsc::Receiver<Input>,
        timing: Timing,
        socket: Option<Box<WebSocket>>,
        admission: Admission,
    ) -> Session {
        let hub = shared.registry.hub(&hub_name);
        let (conn, inbox) = Conn::new(
            id,
            admission.user_id,
            crate::client::Protocol::SocketIo,
            admission.roles,
            admission.line,
        );
        let activity = shared.activity.client(&hub_name, &conn);
        hub.connect(conn.clone(), &admission.groups);
        let (server, serverless) = match admission.answer {
            Answer::Emulator => (None, None),
            Answer::Server(server) => (Some(server), None),
            Answer::Serverless(serverless) => (None, Some(serverless)),
        };
        activity.connected();
        if shared.verbose >= 1 {
            let how = if socket.is_some() {
                "websocket"
            } else {
                "polling"
            };
            eprintln!(
                "emulator: Socket.IO client {} connected to hub {hub_name} ({how})",
                conn.id
            );
        }
        let mut session = Session {
            shared,
            hub_name,
            hub,
            conn,
            inbox,
            input,
            activity,
            timing,
            socket,
            probe: None,
            polling: Polling::default(),
            // With a server, its pings reach the client through REST; the emulator's own
            // would be answered to the emulator, and the server's socket would time out.
            next_ping: server
                .is_none()
                .then(|| Instant::now() + timing.ping_interval),
            pong_by: None,
            close_sent: false,
            namespaces: HashSet::new(),
            partial: None,
            end_reason: String::new(),
            server,
            serverless,
        };
        if session.server.is_some() {
            session.pong_by = Some(session.silence_deadline());
        }
        session
    }

    /// Serves the connection until it ends, then takes it out of everything.
    pub async fn run(mut self, open: Option<Packet>) {
        let ended = match open {
            Some(open) => match self.emit(open).await {
                Ok(()) => self.serve().await,
                Err(end) => end,
            },
            None => self.serve().await,
        };
        self.end_reason = ended.0;
        self.finish().await;
    }

    async fn serve(&mut self) -> End {
        loop {
            let wake = self.wait().await;
            if let Err(end) = self.on(wake).await {
                return end;
            }
        }
    }

    /// The next thing to act on.
    async fn wait(&mut self) -> Wake {
        let mut stop = self.shared.stopping.clone();
        // Messages are taken from the hub only when they can go out: a polling client that
        // is not polling leaves them in its hub queue, whose bound then closes it.
        let can_send = self.socket.is_some() || self.polling.is_waiting();
        let probe_deadline = self.probe.as_ref().map(|p| p.deadline);
        let (pong_by, next_ping) = (self.pong_by, self.next_ping);
        tokio::select! {
            biased;
            _ = stopped(&mut stop) => Wake::Stop,
            i = self.input.recv() => Wake::Input(i),
            f = next(&mut self.socket) => Wake::Frame(f),
            f = next_probe(&mut self.probe) => Wake::ProbeFrame(f),
            _ = sleep_until(probe_deadline) => Wake::ProbeExpired,
            _ = sleep_until(pong_by) => Wake::PongLate,
            _ = sleep_until(next_ping) => Wake::Ping,
            _ = self.conn.overflowed() => Wake::Overflowed,
            o = self.inbox.recv(), if can_send => Wake::Outbound(o),
            r = serverless_reply(&mut self.serverless) => Wake::Serverless(r),
        }
    }

    async fn on(&mut self, wake: Wake) -> Result<(), End> {
        if !matches!(wake, Wake::Outbound(_)) {
            // What follows may write frames of the task's own (a pong, a CONNECT's answer) or
            // join a group: until the task next waits on an empty queue, the hub's messages
            // queue behind them instead of going straight to the socket (`hub/queue.rs`).
            self.inbox.hold();
        }
        if self.server.is_some() && matches!(wake, Wake::Input(Some(_)) | Wake::Frame(Some(_))) {
            self.pong_by = Some(self.silence_deadline());
        }
        match wake {
            Wake::Stop => Err(End("the emulator stopped".into())),
            Wake::Input(None) => Err(End("gone".into())),
            Wake::Input(Some(input)) => self.on_input(input).await,
            Wake::Frame(Some(Ok(frame))) => self.on_frame(frame).await,
            Wake::Frame(_) => Err(End(TRANSPORT_CLOSE.into())),
            Wake::ProbeFrame(frame) => self.on_probe(frame).await,
            Wake::ProbeExpired => {
                self.drop_probe().await;
                Ok(())
            }
            Wake::PongLate => Err(End("ping timeout".into())),
            Wake::Ping => {
                self.next_ping = None;
                self.pong_by = Some(Instant::now() + self.timing.ping_timeout);
                self.emit(Packet::bare(Kind::Ping)).await
            }
            Wake::Overflowed => Err(End("the client does not take its messages".into())),
            Wake::Outbound(out) => self.on_outbound(out).await,
            Wake::Serverless(reply) => {
                let Some(serverless) = self.serverless.as_mut() else {
                    return Ok(());
                };
                let packets = serverless.on_reply(reply, &self.hub);
                for p in packets.map_err(|f| self.fault(f))? {
                    self.emit(p).await?;
                }
                Ok(())
            }
        }
    }

    fn fault(&self, fault: Fault) -> End {
        match fault {
            Fault::Malformed(why) => self.malformed(why),
            Fault::Behind => End("the event handler does not keep up".into()),
        }
    }

    async fn on_input(&mut self, input: Input) -> Result<(), End> {
        match input {
            Input::Get(reply) => {
                if self.socket.is_some() {
                    // Polling is over once upgraded; a late poll gets a noop.
                    let _ = reply.send(vec![Packet::bare(Kind::Noop)]);
                    return Ok(());
                }
                self.polling
                    .get(reply)
                    .map_err(|Overlapping| End("overlapping polling requests".into()))
            }
            Input::Post(packets) => {
                for p in packets {
                    self.on_packet(p).await?;
                }
                Ok(())
            }
            Input::Malformed(why) => Err(self.malformed(why)),
            Input::Upgrade(socket) => {
                if self.socket.is_some() || self.probe.is_some() {
                    close(socket).await;
                } else {
                    self.probe = Some(Probe {
                        socket,
                        deadline: Instant::now() + UPGRADE_TIMEOUT.min(self.timing.ping_timeout),
                    });
                }
                Ok(())
            }
        }
    }

    async fn on_frame(&mut self, frame: WsMessage) -> Result<(), End> {
        let packet = match frame {
            WsMessage::Text(text) => Packet::from_text(&text).map_err(|m| self.malformed(m.0))?,
            WsMessage::Binary(bytes) => Packet::binary(bytes),
            WsMessage::Close(_) => return Err(End(TRANSPORT_CLOSE.into())),
            _ => return Ok(()),
        };
        self.on_packet(packet).await
    }

    /// A frame on the WebSocket being tried: `2probe` is answered `3probe` (and a waiting
    /// poll is let go with a noop, so the client can pause polling); `5` makes it the
    /// transport. Anything else abandons it.
    async fn on_probe(
        &mut self,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), End> {
        let text = match frame {
            Some(Ok(WsMessage::Text(t))) => t,
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => return Ok(()),
            _ => {
                self.drop_probe().await;
                return Ok(());
            }
        };
        match text.as_str() {
            "2probe" => {
                let Some(probe) = self.probe.as_mut() else {
                    return Ok(());
                };
                let pong = WsMessage::text("3probe");
                if send_frame(&mut probe.socket, pong, None).await.is_err() {
                    self.drop_probe().await;
                    return Ok(());
                }
                self.push(Packet::bare(Kind::Noop))
            }
            "5" => {
                let Some(probe) = self.probe.take() else {
                    return Ok(());
                };
                self.socket = Some(probe.socket);
                for p in self.polling.upgraded() {
                    self.emit(p).await?;
                }
                Ok(())
            }
            _ => {
                self.drop_probe().await;
                Ok(())
            }
        }
    }

    async fn drop_probe(&mut self) {
        if let Some(probe) = self.probe.take() {
            close(probe.socket).await;
        }
    }

    async fn on_packet(&mut self, packet: Packet) -> Result<(), End> {
        if self.server.is_some() {
            return self.pass_to_server(packet);
        }
        match (packet.kind, packet.data) {
            (Kind::Pong, _) => {
                if self.pong_by.take().is_some() {
                    self.next_ping = Some(Instant::now() + self.timing.ping_interval);
                }
                Ok(())
            }
            (Kind::Ping, Data::Text(t)) => self.emit(Packet::text(Kind::Pong, t)).await,
            (Kind::Close, _) => Err(End("client close".into())),
            (Kind::Noop, _) => Ok(()),
            (Kind::Message, Data::Text(t)) => self.on_socketio(&t).await,
            (Kind::Message, Data::Binary(b)) => self.on_attachment(b),
            _ => Err(self.malformed("a packet a client does not send")),
        }
    }

    /// With a server, which pings the client itself, a client silent for longer than a ping
    /// interval and its timeout (no pong, no poll, no frame) is gone: this bounds a
    /// connection whose client and server both went away.
    fn silence_deadline(&self) -> Instant {
        Instant::now() + self.timing.ping_interval + self.timing.ping_timeout
    }

    /// Default mode: the client's packet goes to the server as it came (Socket.IO packets
    /// checked first, and a namespace's group joined or left as the client asks).
    fn pass_to_server(&mut self, packet: Packet) -> Result<(), End> {
        match (&packet.kind, &packet.data) {
            (Kind::Pong | Kind::Close, _) => {}
            (Kind::Message, Data::Text(t)) => {
                if self.partial.is_some() {
                    return Err(self.malformed("a packet where a binary attachment was due"));
                }
                let header = packet::parse(t).map_err(|m| self.malformed(m.0))?;
                match header.kind {
                    Type::Connect if !self.namespaces.contains(&header.namespace) => {
                        if self.namespaces.len() >= MAX_NAMESPACES {
                            return Err(self.malformed("too many namespaces"));
                        }
                        let group = namespace_group(&header.namespace);
                        self.hub.add_connection_to_group(&self.conn.id, &group);
                        self.namespaces.insert(header.namespace);
                    }
                    Type::Disconnect if self.namespaces.remove(&header.namespace) => {
                        let group = namespace_group(&header.namespace);
                        self.hub.remove_connection_from_group(&self.conn.id, &group);
                    }
                    Type::ConnectError => {
                        return Err(self.malformed("CONNECT_ERROR from a client"));
                    }
                    // An answer to a broadcast with acknowledgements: the invocation's.
                    Type::Ack | Type::BinaryAck
                        if self
                            .shared
                            .socketio
                            .invocations
                            .answer(&self.conn.id, &header, t) =>
                    {
                        self.expect_attachments(header.attachments);
                        return Ok(());
                    }
                    _ if header.attachments > 0 => {
                        self.partial = Some(Partial {
                            left: header.attachments,
                        });
                    }
                    _ => {}
                }
            }
            (Kind::Message, Data::Binary(bytes)) => {
                let Some(partial) = self.partial.as_mut() else {
                    return Err(self.malformed("a binary packet no packet announced"));
                };
                partial.left -= 1;
                if partial.left == 0 {
                    self.partial = None;
                }
                if self
                    .shared
                    .socketio
                    .invocations
                    .attachment(&self.conn.id, bytes)
                {
                    return Ok(());
                }
            }
            // Engine.IO's own business, the emulator's.
            (Kind::Noop | Kind::Ping | Kind::Upgrade, _) => return Ok(()),
            (Kind::Open, _) => return Err(self.malformed("a packet a client does not send")),
        }
        let closing = packet.kind == Kind::Close;
        let Some(server) = self.server.as_ref() else {
            return Ok(());
        };
        let mut record = String::new();
        packet.encode_record(&mut record);
        if server.send(record).is_err() {
            return Err(End("the Socket.IO server does not keep up".into()));
        }
        if closing {
            return Err(End("client close".into()));
        }
        Ok(())
    }

    /// A Socket.IO packet. With no Socket.IO server for the hub, the emulator answers a
    /// namespace's `CONNECT` itself, as the service does for a hub with no event handler,
    /// and takes the client's events (they have nobody to go to).
    async fn on_socketio(&mut self, text: &str) -> Result<(), End> {
        if let Some(serverless) = self.serverless.as_mut() {
            let packets = serverless.on_packet(text, &self.hub);
            for p in packets.map_err(|f| self.fault(f))? {
                self.emit(p).await?;
            }
            return Ok(());
        }
        if self.partial.is_some() {
            return Err(self.malformed("a packet where a binary attachment was due"));
        }
        let header = packet::parse(text).map_err(|m| self.malformed(m.0))?;
        match header.kind {
            Type::Connect => {
                if !self.namespaces.contains(&header.namespace) {
                    if self.namespaces.len() >= MAX_NAMESPACES {
                        return Err(self.malformed("too many namespaces"));
                    }
                    self.namespaces.insert(header.namespace.clone());
                    self.hub.add_connection_to_group(
                        &self.conn.id,
                        &namespace_group(&header.namespace),
                    );
                }
                let sid = serde_json::json!({ "sid": socket_id() }).to_string();
                let reply = packet::encode(Type::Connect, &header.namespace, &sid);
                self.activity
                    .message("connect", None, Some(&header.namespace), None, None);
                self.emit(Packet::text(Kind::Message, reply)).await
            }
            Type::Disconnect => {
                if self.namespaces.remove(&header.namespace) {
                    self.hub.remove_connection_from_group(
                        &self.conn.id,
                        &namespace_group(&header.namespace),
                    );
                }
                self.activity
                    .message("disconnect", None, Some(&header.namespace), None, None);
                Ok(())
            }
            Type::ConnectError => Err(self.malformed("CONNECT_ERROR from a client")),
            Type::Ack | Type::BinaryAck
                if self
                    .shared
                    .socketio
                    .invocations
                    .answer(&self.conn.id, &header, text) =>
            {
                self.expect_attachments(header.attachments);
                Ok(())
            }
            Type::Event | Type::Ack | Type::BinaryEvent | Type::BinaryAck => {
                if header.attachments > 0 {
                    self.partial = Some(Partial {
                        left: header.attachments,
                    });
                }
                self.activity.message(
                    "event",
                    None,
                    Some(&header.namespace),
                    Some((DataKind::Text, text.as_bytes())),
                    None,
                );
                Ok(())
            }
        }
    }

    fn on_attachment(&mut self, bytes: Bytes) -> Result<(), End> {
        if let Some(serverless) = self.serverless.as_mut() {
            let taken = serverless.on_attachment(bytes);
            return taken.map_err(|f| self.fault(f));
        }
        let Some(partial) = self.partial.as_mut() else {
            return Err(self.malformed("a binary packet no packet announced"));
        };
        partial.left -= 1;
        if partial.left == 0 {
            self.partial = None;
        }
        self.shared
            .socketio
            .invocations
            .attachment(&self.conn.id, &bytes);
        Ok(())
    }

    fn expect_attachments(&mut self, left: usize) {
        if left > 0 {
            self.partial = Some(Partial { left });
        }
    }

    /// Sends a packet on the WebSocket, or queues it for the next poll.
    async fn emit(&mut self, packet: Packet) -> Result<(), End> {
        if let Some(socket) = self.socket.as_mut() {
            let frame = match packet.ws_text() {
                Some(text) => WsMessage::text(text),
                None => match packet.data {
                    Data::Binary(b) => WsMessage::Binary(b),
                    Data::Text(_) => return Ok(()),
                },
            };
            return send_frame(socket, frame, Some(&self.conn))
                .await
                .map_err(|_| End("the client does not take its messages".into()));
        }
        self.push(packet)
    }

    /// Queues a packet for the next poll (and answers a waiting one).
    fn push(&mut self, packet: Packet) -> Result<(), End> {
        self.polling
            .push(packet)
            .map_err(|_| End("the client does not poll for its messages".into()))
    }

    fn malformed(&self, why: &str) -> End {
        if self.shared.verbose >= 1 {
            eprintln!(
                "emulator: Socket.IO client {} sent {why}; closing it",
                self.conn.id
            );
        }
        End(format!("parse error: {why}"))
    }

    /// The connection is over: the client is told where it can be, and it leaves the hub.
    async fn finish(mut self) {
        self.inbox.hold();
        if let Some(mut socket) = self.socket.take() {
            if self.end_reason != TRANSPORT_CLOSE && !self.close_sent {
                let packet = send_frame(&mut socket, WsMessage::text("1"), None);
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, packet).await;
            }
            close(socket).await;
        } else {
            self.polling.close();
        }
        self.drop_probe().await;
        self.shared.socketio.forget(&self.conn.id);
        self.hub.disconnect_conn(&self.conn);
        self.activity.disconnected(&self.end_reason);
        if let Some(serverless) = self.serverless.as_mut() {
            serverless.end(&self.end_reason);
        }
        if let Some(server) = &self.server {
            server.ended(&self.end_reason);
        }
        if self.shared.verbose >= 1 {
            eprintln!(
                "emulator: Socket.IO client {} disconnected ({})",
                self.conn.id, self.end_reason
            );
        }
        let (shared, hub_name) = (self.shared.clone(), self.hub_name.clone());
        drop(self);
        shared.registry.release(&hub_name);
    }
}

async fn next(
    socket: &mut Option<Box<WebSocket>>,
) -> Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>> {
    match socket {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// The serverless handler task's next reply; never, without one (or once it is gone).
async fn serverless_reply(serverless: &mut Option<Serverless>) -> Reply {
    if let Some(s) = serverless {
        if let Some(reply) = s.reply().await {
            return reply;
        }
    }
    std::future::pending().await
}

async fn next_probe(
    probe: &mut Option<Probe>,
) -> Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>> {
    match probe {
        Some(p) => p.socket.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Closes a WebSocket within [`CLOSE_TIMEOUT`].
async fn close(mut socket: Box<WebSocket>) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close(None)).await;
}

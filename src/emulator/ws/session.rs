//! One task per connection: it owns the socket and the outbound queue. While it waits on an
//! empty queue, the hub's fan-out may write a message straight to the socket instead of
//! queueing it (`hub.rs`, `emulator/wire.rs`); [`Inbox::hold`] ends that before a close. For
//! the reliable subprotocol the session outlives its socket: after a transport loss it keeps
//! buffering for the recovery window, and a recovery request hands it the new socket.

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

use super::events::{Events, Job, NO_HANDLER};
use super::reliable::{self, BUFFER_FULL, NOT_RECOVERED};
use super::requests::Context;
use super::socket::{close_frame, flush, send_frame, Unsent, CLOSE_TIMEOUT, MAX_FRAME};
use super::{json, protobuf, replies};
use crate::client::Protocol;
use crate::emulator::activity::ClientTap;
use crate::emulator::hub::{Conn, Hub, Inbox, Permission, Targets};
use crate::emulator::message::{DataKind, Message, Outbound, Source};
use crate::emulator::shared::{stopped, Shared};
use crate::emulator::transport::WebSocket;
use crate::emulator::upstream;
use crate::emulator::wire::Line;

/// What a plain WebSocket client's frames do (`webpubsub_mode`).
#[derive(Debug, Clone)]
pub(super) enum RawMode {
    /// Each frame is a `message` event for the event handler (none is configured here).
    SendEvent,
    /// Each frame is published to this group.
    SendToGroup(String),
}

/// A connection the handshake accepted: who it is and what it may do.
#[derive(Debug)]
pub(super) struct Admission {
    pub id: String,
    pub hub: String,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    /// Joined before `connected`, with no role needed.
    pub groups: Vec<String>,
    pub protocol: Protocol,
    /// The socket, when the fan-out may write this connection's messages to it directly.
    pub line: Option<Line>,
    pub mode: RawMode,
    /// The connection as event handlers see it (connect may have changed its user).
    pub upstream: upstream::Connection,
}

/// Serves one accepted connection from its first socket to its end.
///
/// The set-up runs before the connection's future exists: whatever a future holds across an
/// await it holds for the connection's whole life (its largest state is its size), so only
/// the session and its socket go in.
pub(super) fn run(
    shared: Arc<Shared>,
    admission: Box<Admission>,
    socket: WebSocket,
) -> impl Future<Output = ()> + Send {
    // Both boxed: moved into the future by value, each would be held twice.
    Box::new(Session::open(shared, *admission)).live(Box::new(socket))
}

/// The next socket a recovery hands over; never resolves for connections that cannot be
/// recovered (so a `select!` branch on it stays quiet instead of spinning).
async fn recovered_socket(rx: &mut Option<mpsc::Receiver<WebSocket>>) -> Box<WebSocket> {
    if let Some(rx) = rx {
        if let Some(socket) = rx.recv().await {
            return Box::new(socket);
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

const QUEUE_FULL: &str = "The connection's outbound queue is full.";
const LOST: &str = "The connection was lost.";

/// What one client frame asks of the session.
enum Verdict {
    Continue,
    Close(u16, Cow<'static, str>),
}

struct Session {
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    /// The connection as event handlers see it.
    view: Arc<upstream::Connection>,
    mode: RawMode,
    rx: Inbox,
    /// Where recovered sockets arrive (reliable connections only).
    attach_rx: Option<mpsc::Receiver<WebSocket>>,
    /// Sent but unacknowledged messages (reliable).
    buffer: reliable::Buffer,
    /// User events on their way to the event handler.
    events: Events,
    /// Why the connection ended, for the `disconnected` event.
    end_reason: String,
    /// What the client does, for the dashboard's log.
    activity: ClientTap,
}

impl Session {
    /// Registers the connection everywhere it is seen (hub, recovery, dashboard, handlers).
    fn open(shared: Arc<Shared>, admission: Admission) -> Session {
        let Admission {
            id,
            hub: hub_name,
            user_id,
            roles,
            groups,
            protocol,
            line,
            mode,
            upstream: view,
        } = admission;
        let hub = shared.registry.hub(&hub_name);
        let attach_rx = protocol
            .is_reliable()
            .then(|| shared.sessions.register(&id));
        if shared.verbose >= 1 {
            eprintln!("emulator: client {id} connected to hub {hub_name} ({protocol:?})");
        }
        let (conn, rx) = Conn::new(id, user_id, protocol, roles, line);
        let activity = shared.activity.client(&hub_name, &conn);
        hub.connect(conn.clone(), &groups);
        activity.connected();
        let view = Arc::new(view);
        shared.upstream.connected(&view);
        let events = Events::new(shared.upstream.clone(), conn.clone(), view.clone());
        Session {
            shared,
            hub,
            conn,
            view,
            mode,
            rx,
            attach_rx,
            buffer: reliable::Buffer::default(),
            events,
            end_reason: String::new(),
            activity,
        }
    }

    /// Says `connected`, serves the connection until it ends, then unregisters it.
    async fn live(mut self: Box<Self>, mut socket: Box<WebSocket>) {
        let protocol = self.conn.protocol;
        let connected_sent = if protocol == Protocol::Raw {
            true
        } else {
            let token = protocol
                .is_reliable()
                .then(|| self.shared.reconnect.issue(&self.conn.id))
                .flatten();
            let frame =
                replies::connected(protocol, &self.conn.id, self.conn.user_id.as_deref(), token);
            self.write(&mut socket, frame).await.is_ok()
        };
        if connected_sent {
            self.serve_from(socket, false).await;
        } else if protocol.is_reliable() {
            // The socket failed before `connected` went out: the client may still recover it.
            if let Some(socket) = Box::pin(self.wait_for_recovery()).await {
                Box::pin(self.serve_from(socket, true)).await;
            }
        }
        self.close();
    }

    /// The connection is over: gone from the hub, the dashboard and the handlers' view.
    fn close(self: Box<Self>) {
        let shared = self.shared.clone();
        let id = self.conn.id.clone();
        self.hub.disconnect(&id);
        self.activity.disconnected(&self.end_reason);
        shared.sessions.forget(&id);
        shared.upstream.disconnected(&self.view, &self.end_reason);
        let view = self.view.clone();
        drop(self);
        shared.registry.release(view.hub());
        if shared.verbose >= 1 {
            eprintln!("emulator: client {id} disconnected");
        }
    }

    /// Closes the socket and remembers why, for `disconnected`.
    async fn end(&mut self, socket: &mut WebSocket, code: u16, reason: &str) -> End {
        self.rx.hold();
        self.end_reason = reason.to_string();
        // Boxed, like every rare path here: a future's size is its largest state, and each
        // session task holds one for its whole life.
        Box::pin(close(socket, code, reason)).await
    }

    fn reliable(&self) -> bool {
        self.conn.protocol.is_reliable()
    }

    /// Serves sockets until the connection ends, recovering reliable ones in between.
    async fn serve_from(&mut self, mut socket: Box<WebSocket>, mut recovered: bool) {
        loop {
            if recovered {
                let pending = self.buffer.pending();
                if self.shared.verbose >= 1 {
                    eprintln!(
                        "emulator: client {} recovered, replaying {} messages",
                        self.conn.id,
                        pending.len()
                    );
                }
                if !Box::pin(self.replay(&mut socket, pending)).await {
                    // The new socket failed at once; wait for another recovery.
                    drop(socket);
                    match Box::pin(self.wait_for_recovery()).await {
                        Some(new) => socket = new,
                        None => return,
                    }
                    continue;
                }
            }
            recovered = true;
            match self.serve(&mut socket).await {
                End::Done => return,
                End::Replaced(new) => socket = new,
                End::Lost if self.reliable() => {
                    // Let the old TCP connection go while the client finds its way back.
                    drop(socket);
                    match Box::pin(self.wait_for_recovery()).await {
                        Some(new) => socket = new,
                        None => return,
                    }
                }
                End::Lost => return,
            }
        }
    }

    async fn serve(&mut self, socket: &mut WebSocket) -> End {
        let mut stopping = self.shared.stopping.clone();
        let keepalive = Duration::from_millis(self.shared.keepalive_ms.load(Ordering::Relaxed));
        let mut ticks = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Whether a frame arrived since the last tick, and whether a ping is unanswered.
        let mut heard = false;
        let mut pinged = false;
        loop {
            // Biased, queue first: a fan-out wakes every session for one queued item, and this
            // way that wake polls nothing else (each other branch would take a lock or a timer
            // to poll). Tokio's cooperative budget still lets the other branches in when the
            // queue never empties. An overflowed queue is full, so it always wakes this branch.
            tokio::select! {
                biased;
                out = self.rx.recv() => {
                    if self.conn.is_overflowed() {
                        return self.end(socket, 1008, QUEUE_FULL).await;
                    }
                    if let Err(end) = self.send_out(socket, out).await {
                        return end;
                    }
                }
                incoming = socket.next() => {
                    heard = true;
                    let verdict = match incoming {
                        Some(Ok(WsMessage::Text(text))) => self.on_frame(DataKind::Text, Bytes::from(text)),
                        Some(Ok(WsMessage::Binary(data))) => self.on_frame(DataKind::Binary, data),
                        Some(Ok(WsMessage::Close(frame))) => {
                            self.rx.hold();
                            // Answer the close (the library queued the echo; reading flushes
                            // it), then let TCP go. A close without a status code is still a
                            // deliberate close, not a lost transport.
                            Box::pin(finish_close(socket)).await;
                            self.end_reason = frame.as_ref().map(|f| f.reason.to_string()).unwrap_or_default();
                            let normal = frame.is_none_or(|f| u16::from(f.code) == 1000);
                            return if normal { End::Done } else { End::Lost };
                        }
                        Some(Ok(_)) => Verdict::Continue,
                        Some(Err(e)) => match violation(e) {
                            Some((code, reason)) => Verdict::Close(code, reason.into()),
                            None => return End::Lost,
                        },
                        None => return End::Lost,
                    };
                    if let Verdict::Close(code, reason) = verdict {
                        return self.end(socket, code, &reason).await;
                    }
                }
                _ = ticks.tick() => {
                    if std::mem::take(&mut heard) {
                        pinged = false;
                    } else if pinged {
                        // Silent through a whole interval after a ping: the client is gone, or
                        // stalled in the middle of a frame.
                        return End::Lost;
                    } else {
                        pinged = true;
                        if let Err(end) = Box::pin(self.write(socket, WsMessage::Ping(Bytes::new()))).await {
                            return end;
                        }
                    }
                }
                new = recovered_socket(&mut self.attach_rx) => {
                    return End::Replaced(new);
                }
                _ = stopped(&mut stopping) => {
                    return self.end(socket, 1001, "The emulator is stopping.").await;
                }
            }
        }
    }

    /// Writes one queued item in the connection's framing.
    async fn send_out(&mut self, socket: &mut WebSocket, out: Outbound) -> Result<(), End> {
        let frame = match out {
            // (MQTT connections are served by `emulator::mqtt`, never by this task.)
            Outbound::Data(msg) => match msg.shared_frame(self.conn.protocol) {
                Some(frame) => frame,
                // Reliable: the frame carries this connection's sequence id.
                None => match self.buffer.push(&msg, self.conn.protocol.is_protobuf()) {
                    Some(frame) => frame,
                    None => return Err(self.end(socket, 1008, BUFFER_FULL).await),
                },
            },
            Outbound::Flush => {
                return match flush(socket, &self.conn).await {
                    Ok(()) => Ok(()),
                    Err(unsent) => Err(self.unsent(socket, unsent).await),
                };
            }
            Outbound::Json(text) => WsMessage::Text(text),
            Outbound::Binary(bytes) => WsMessage::Binary(bytes),
            Outbound::Close { code, reason } => {
                if self.conn.protocol != Protocol::Raw {
                    let bye = replies::disconnected(self.conn.protocol, &reason);
                    let _ = self.write(socket, bye).await;
                }
                return Err(self.end(socket, code, &reason).await);
            }
        };
        self.write(socket, frame).await
    }

    /// Sends every unacknowledged message again, in order, on a recovered socket.
    async fn replay(&mut self, socket: &mut WebSocket, frames: Vec<WsMessage>) -> bool {
        for frame in frames {
            if self.write(socket, frame).await.is_err() {
                return false;
            }
        }
        true
    }

    /// One frame out, unless the client stops taking them (write timeout) or its queue
    /// overflows meanwhile.
    async fn write(&mut self, socket: &mut WebSocket, frame: WsMessage) -> Result<(), End> {
        match send_frame(socket, frame, Some(&self.conn)).await {
            Ok(()) => Ok(()),
            Err(unsent) => Err(self.unsent(socket, unsent).await),
        }
    }

    /// How the connection ends when a write did not go out.
    async fn unsent(&mut self, socket: &mut WebSocket, unsent: Unsent) -> End {
        match unsent {
            Unsent::Overflowed => self.end(socket, 1008, QUEUE_FULL).await,
            Unsent::Lost => {
                self.end_reason = LOST.into();
                End::Lost
            }
        }
    }

    /// Keeps a reliable connection while its client is away: buffers what arrives and waits
    /// for a recovery request, the end of the window, a REST close or shutdown.
    async fn wait_for_recovery(&mut self) -> Option<Box<WebSocket>> {
        let window = self
            .shared
            .recovery_window_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_millis(window);
        let mut stopping = self.shared.stopping.clone();
        loop {
            tokio::select! {
                out = self.rx.recv() => match out {
                    Outbound::Data(msg) => {
                        self.buffer.push(&msg, self.conn.protocol.is_protobuf())?;
                    }
                    // Acks and pongs answer a socket that is gone (and reliable connections
                    // get no direct writes to flush).
                    Outbound::Json(_) | Outbound::Binary(_) | Outbound::Flush => {}
                    Outbound::Close { reason, .. } => {
                        self.end_reason = reason;
                        return None;
                    }
                },
                new = recovered_socket(&mut self.attach_rx) => return Some(new),
                _ = tokio::time::sleep_until(deadline) => {
                    self.end_reason = NOT_RECOVERED.into();
                    return None;
                }
                _ = stopped(&mut stopping) => return None,
            }
        }
    }

    fn on_frame(&mut self, kind: DataKind, data: Bytes) -> Verdict {
        if data.len() > MAX_FRAME {
            return Verdict::Close(1009, "The message is too large.".into());
        }
        if self.conn.protocol == Protocol::Raw {
            return self.on_raw_frame(kind, data);
        }
        if self.conn.protocol.is_protobuf() {
            if kind != DataKind::Binary {
                let reason = format!(
                    "The {} subprotocol requires binary messages.",
                    self.conn.protocol.name().unwrap_or_default()
                );
                return Verdict::Close(1003, reason.into());
            }
            return match protobuf::parse(data) {
                Ok(request) => {
                    self.context().execute(request);
                    Verdict::Continue
                }
                Err(why) => Verdict::Close(1007, why.0.into()),
            };
        }
        if kind == DataKind::Binary {
            return Verdict::Close(
                1003,
                "Binary frames are not supported by this subprotocol.".into(),
            );
        }
        match json::parse(&data) {
            Ok(request) => {
                self.context().execute(request);
                Verdict::Continue
            }
            Err(()) => Verdict::Close(1007, "Invalid message.".into()),
        }
    }

    /// What a subprotocol request may touch of this session.
    fn context(&mut self) -> Context<'_> {
        Context {
            hub: &self.hub,
            conn: &self.conn,
            buffer: &mut self.buffer,
            events: &mut self.events,
            activity: &self.activity,
        }
    }

    /// A plain WebSocket frame: published to the mode's group, or the `message` event.
    fn on_raw_frame(&mut self, kind: DataKind, data: Bytes) -> Verdict {
        let RawMode::SendToGroup(group) = &self.mode else {
            // A second handle on the same bytes, for the dashboard's log.
            let copy = data.clone();
            let seen = Some((kind, &copy[..]));
            if !self.events.handled("message") {
                self.activity
                    .message("event", None, Some("message"), seen, Some(NO_HANDLER));
                return Verdict::Close(1011, NO_HANDLER.into());
            }
            let job = Job {
                name: "message".into(),
                kind,
                data,
                metadata: Default::default(),
                ack_id: None,
            };
            let submitted = self.events.submit(job);
            self.activity
                .message("event", None, Some("message"), seen, submitted.err());
            return match submitted {
                Ok(()) => Verdict::Continue,
                Err(why) => Verdict::Close(1008, why.into()),
            };
        };
        if !self.allowed(Permission::SendToGroup, group) {
            self.activity.message(
                "sendToGroup",
                Some(group),
                None,
                Some((kind, &data[..])),
                Some("no permission to send to the group"),
            );
            return Verdict::Close(
                1008,
                format!("The client does not have permission to send to group '{group}'.").into(),
            );
        }
        let source = Source::Group {
            group: group.clone(),
            from_user: self.conn.user_id.clone(),
        };
        self.activity.message(
            "sendToGroup",
            Some(group),
            None,
            Some((kind, &data[..])),
            None,
        );
        let message = Message::new(source, kind, data);
        self.hub.send(Targets::Group(group), &[], None, message);
        Verdict::Continue
    }

    fn allowed(&self, permission: Permission, group: &str) -> bool {
        self.hub.allowed(&self.conn.id, permission, group)
    }
}

/// Sends a close frame and waits briefly for the client's echo, then lets TCP go (RFC 6455
/// §5.5.1). The connection is over either way.
async fn close(socket: &mut WebSocket, code: u16, reason: &str) -> End {
    if tokio::time::timeout(CLOSE_TIMEOUT, socket.send(close_frame(code, reason)))
        .await
        .is_ok_and(|sent| sent.is_ok())
    {
        finish_close(socket).await;
    }
    End::Done
}

/// Reads until the close handshake completes (this also flushes a queued close echo), for
/// at most a second.
async fn finish_close(socket: &mut WebSocket) {
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
}

/// The close code and reason for a frame that breaks the protocol (RFC 6455 §7.4.1); None
/// when the transport itself failed.
fn violation(e: tungstenite::Error) -> Option<(u16, &'static str)> {
    use tungstenite::error::{CapacityError, Error, ProtocolError};
    match e {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((1009, "The message is too large."))
        }
        Error::Capacity(_) => Some((1009, "The frame is too large.")),
        Error::Utf8(_) => Some((1007, "Text frames must be valid UTF-8.")),
        // A dropped TCP connection is a lost transport (recoverable), not a violation.
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        Error::Protocol(_) => Some((1002, "The frame breaks the WebSocket protocol.")),
        _ => None,
    }
}

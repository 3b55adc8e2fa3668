//! A two-way client connection that outlives a dropped transport: what `wps listen` and
//! `wps client` run on.
//!
//! [`Session::connect`] opens the first WebSocket and hands it to a task that owns it from
//! then on. The caller reads [`SessionEvent`]s with [`Session::next`] and queues frames on
//! [`Session::sender`]; both are channels, so the caller can wait on them together with its
//! own input (`select!`) without ever cancelling a half-done reconnect or send.
//!
//! What the task does so that callers need not:
//! - on a reliable subprotocol (`json.reliable.webpubsub.azure.v1`,
//!   `protobuf.reliable.webpubsub.azure.v1`), keeps the connection id and reconnection token
//!   from `connected`, drops replayed messages (a `sequenceId` already seen) and acknowledges
//!   the highest id with `sequenceAck` once a second, as the SDKs do;
//! - when the transport drops or the service closes with a code other than 1000 (closed on
//!   purpose) or 1008 (not recoverable), reconnects with backoff, at most
//!   [`SessionOptions::max_reconnects`] times in a row: a reliable connection resumes
//!   (`awps_connection_id` + `awps_reconnection_token`, no message lost), any other starts
//!   afresh;
//! - when the server breaks the WebSocket protocol (a text frame that is not UTF-8, a frame
//!   header announcing more than the size limit), says so ([`SessionEvent::ProtocolError`])
//!   and reconnects with a backoff that keeps growing across such connections, even though
//!   each said `connected`; the [`MAX_PROTOCOL_ERRORS`]th in a row with nothing good between
//!   ends the session ([`SessionEvent::Failed`] with a [`ClientError::Protocol`]);
//! - a request (a frame with an `ackId`) is kept until its ack arrives and sent again on the
//!   next connection, like a frame whose send failed: what the dropped transport swallowed
//!   is not lost. A resumed connection's service answers a repeat of what it already did
//!   with a `Duplicate` ack, so there each request takes effect once; a new connection has
//!   no such memory (at least once);
//! - [`Session::close`] sends what is queued, then a close frame (1000), and waits briefly
//!   for the service's.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::subscriber::{Event, Subscriber, CLOSE_WAIT};
use super::{operations, ClientError, Protocol};

/// Reconnection attempts in a row that `listen` and `client` allow.
pub const DEFAULT_MAX_RECONNECTS: u32 = 5;

/// Connections in a row that may end in a protocol error, with no frame but `connected`
/// between them, before the session gives up: the server will not behave differently on the
/// next one.
pub const MAX_PROTOCOL_ERRORS: u32 = 3;

/// Frames queued for sending before [`Session::sender`] makes its caller wait.
const SEND_QUEUE: usize = 64;
/// Events held for a caller that is busy (e.g. printing to a slow pipe) before the task stops
/// reading the socket, which in turn makes the service hold them.
const EVENT_QUEUE: usize = 256;
/// Requests awaiting their ack that are kept for sending again; the caller bounds them
/// (`wps client` waits for acks at 1,000), this only guards the session's memory.
const MAX_IN_FLIGHT: usize = 4096;
/// How often a reliable session acknowledges what it received (the SDKs' 1 s).
const SEQUENCE_ACK_EVERY: Duration = Duration::from_secs(1);

/// What to connect to and how hard to try.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The client access URL (`ws[s]://.../client/hubs/{hub}?access_token=...`). It holds a
    /// token: nothing here ever prints it.
    pub url: String,
    /// The subprotocol to offer; `None` for a plain WebSocket.
    pub subprotocol: Option<String>,
    /// Reconnection attempts in a row before giving up.
    pub max_reconnects: u32,
    /// How long one connection attempt (the first, or a reconnection) may take, upgrade and
    /// handshake included: a server that accepts and then says nothing must not hold the
    /// session for ever. `wps` gives its per-attempt `--timeout`.
    pub attempt_timeout: Duration,
}

/// What the session reports.
#[derive(Debug)]
pub enum SessionEvent {
    /// A frame arrived (on a reliable connection, never one already reported). A close frame
    /// from the service is reported too; after a 1000 or 1008 the session ends.
    Frame(Event),
    /// The `connected` system frame.
    Connected {
        /// The frame as received.
        frame: Value,
        /// It came on a resumed reliable connection (the service may send it again then):
        /// groups and permissions are intact.
        recovered: bool,
    },
    /// The connection was lost; an attempt to get it back follows.
    Reconnecting {
        /// 1 for the first attempt since something last arrived.
        attempt: u32,
        /// Why the last connection ended or the last attempt failed.
        reason: String,
    },
    /// The server broke the WebSocket protocol, and the connection was dropped; a
    /// [`Reconnecting`](Self::Reconnecting) follows. The [`MAX_PROTOCOL_ERRORS`]th in a row is
    /// reported as [`Failed`](Self::Failed) instead.
    ProtocolError {
        /// What was wrong.
        error: ClientError,
        /// 1 for the first since a good frame arrived.
        in_a_row: u32,
    },
    /// A new transport is open.
    Reopened {
        /// The same connection, resumed; otherwise a new connection (a json one announces
        /// itself with `Connected`) that is in no group it joined by request.
        recovered: bool,
    },
    /// Reconnecting failed [`SessionOptions::max_reconnects`] times, or the server broke the
    /// protocol [`MAX_PROTOCOL_ERRORS`] times in a row; the session has ended.
    Failed(ClientError),
}

/// One client connection kept open by a background task; see the module docs.
#[derive(Debug)]
pub struct Session {
    outgoing: mpsc::Sender<String>,
    events: mpsc::Receiver<SessionEvent>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Session {
    /// Opens the first connection; its failure (refused upgrade, unreachable host) is
    /// returned as is, with no retry. Needs a Tokio runtime.
    pub async fn connect(options: SessionOptions) -> Result<Session, ClientError> {
        let socket = connect_once(&options, &options.url).await?;
        let (outgoing, outgoing_rx) = mpsc::channel(SEND_QUEUE);
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let (stop, stop_rx) = oneshot::channel();
        let reliable = Protocol::from_subprotocol(options.subprotocol.as_deref()).is_reliable();
        let task = Worker {
            options,
            reliable,
            state: State::default(),
            recovering: false,
            protocol_errors: 0,
            outgoing: outgoing_rx,
            events: events_tx,
            stop: stop_rx,
            unsent: None,
            in_flight: std::collections::BTreeMap::new(),
        };
        Ok(Session {
            outgoing,
            events,
            stop: Some(stop),
            task: tokio::spawn(task.run(socket)),
        })
    }

    /// The next event; `None` once the session has ended (closed by the service, or
    /// [`SessionEvent::Failed`] reported). Cancel-safe.
    pub async fn next(&mut self) -> Option<SessionEvent> {
        self.events.recv().await
    }

    /// Where to queue frames: serialised JSON-protocol requests on a json or protobuf
    /// subprotocol (a protobuf connection sends each as the protobuf request it stands for),
    /// any text on a plain WebSocket. Sent in order, on the current or the next connection.
    /// On a protobuf connection a request with no protobuf form is dropped.
    pub fn sender(&self) -> mpsc::Sender<String> {
        self.outgoing.clone()
    }

    /// Sends what is queued, closes with code 1000 and waits for the task (bounded). Events
    /// arriving meanwhile are discarded.
    pub async fn close(mut self) {
        drop(self.stop.take());
        let Session {
            mut events, task, ..
        } = self;
        let wait = async {
            let mut task = task;
            loop {
                tokio::select! {
                    _ = &mut task => return,
                    e = events.recv() => if e.is_none() {
                        let _ = (&mut task).await;
                        return;
                    },
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_WAIT * 2, wait).await;
    }
}

/// What a reliable connection needs to resume.
#[derive(Debug, Default)]
struct State {
    connection_id: Option<String>,
    reconnection_token: Option<String>,
    /// The highest `sequenceId` reported.
    last_sequence: u64,
    /// The highest `sequenceId` not yet acknowledged to the service.
    unacked_sequence: Option<u64>,
}

/// Why a connection stopped being driven.
enum Stop {
    /// The caller closed or went away: close cleanly and end.
    Finished,
    /// The service closed the connection with this code.
    Closed(u16),
    /// The transport failed.
    Dropped(String),
    /// The server broke the protocol; the detail of the [`ClientError::Protocol`].
    Broken(String),
}

struct Worker {
    options: SessionOptions,
    reliable: bool,
    state: State,
    /// The current connection is a recovery attempt.
    recovering: bool,
    /// Connections in a row that ended in a protocol error.
    protocol_errors: u32,
    outgoing: mpsc::Receiver<String>,
    events: mpsc::Sender<SessionEvent>,
    stop: oneshot::Receiver<()>,
    /// A frame whose send failed, sent first on the next connection.
    unsent: Option<String>,
    /// Requests sent and not yet acked, by ackId: sent again on the next connection.
    in_flight: std::collections::BTreeMap<u64, String>,
}

impl Worker {
    async fn run(mut self, first: Subscriber) {
        let mut socket = first;
        let mut attempt = 0u32;
        loop {
            let reason = match self.drive(&mut socket, &mut attempt).await {
                Stop::Finished => {
                    // Whatever the caller queued before closing still goes out.
                    while let Ok(text) = self.outgoing.try_recv() {
                        match socket.send_frame(&text).await {
                            Ok(()) | Err(ClientError::Invalid(_)) => {}
                            Err(_) => return,
                        }
                    }
                    socket.close().await;
                    return;
                }
                Stop::Closed(1000 | 1008) => return,
                Stop::Closed(code) => format!("the service closed the connection ({code})"),
                Stop::Dropped(why) => why,
                Stop::Broken(detail) => {
                    self.protocol_errors += 1;
                    if self.protocol_errors >= MAX_PROTOCOL_ERRORS {
                        let n = self.protocol_errors;
                        let error = ClientError::Protocol {
                            detail: format!("{detail} ({n} times in a row; gave up)"),
                        };
                        let _ = self.events.send(SessionEvent::Failed(error)).await;
                        return;
                    }
                    let error = ClientError::Protocol { detail };
                    let reason = error.to_string();
                    let note = SessionEvent::ProtocolError {
                        error,
                        in_a_row: self.protocol_errors,
                    };
                    if self.events.send(note).await.is_err() {
                        return;
                    }
                    reason
                }
            };
            drop(socket);
            socket = match self.reconnect(&mut attempt, reason).await {
                Some(s) => s,
                None => return,
            };
        }
    }

    /// Reconnects with backoff; `None` when the caller went away or the attempts ran out
    /// (then [`SessionEvent::Failed`] has been sent).
    async fn reconnect(&mut self, attempt: &mut u32, mut reason: String) -> Option<Subscriber> {
        loop {
            *attempt += 1;
            if *attempt > self.options.max_reconnects {
                let error = ClientError::Transport {
                    attempts: *attempt,
                    detail: format!(
                        "the client connection dropped and could not be re-established ({reason})"
                    ),
                };
                let _ = self.events.send(SessionEvent::Failed(error)).await;
                return None;
            }
            let note = SessionEvent::Reconnecting {
                attempt: *attempt,
                reason: reason.clone(),
            };
            if self.events.send(note).await.is_err() {
                return None;
            }
            // Protocol errors keep the delay growing: their connections each said `connected`,
            // which starts `attempt` over.
            tokio::select! {
                _ = tokio::time::sleep(backoff(*attempt + self.protocol_errors)) => {}
                _ = &mut self.stop => return None,
            }
            let url = self.url();
            let connecting = connect_once(&self.options, &url);
            let result = tokio::select! {
                r = connecting => r,
                _ = &mut self.stop => return None,
            };
            match result {
                Ok(socket) => {
                    let reopened = SessionEvent::Reopened {
                        recovered: self.recovering,
                    };
                    if !self.recovering {
                        // A new connection: the old one's sequence numbering is gone with it.
                        self.state = State::default();
                    }
                    if self.events.send(reopened).await.is_err() {
                        return None;
                    }
                    return Some(socket);
                }
                Err(e) => reason = e.to_string(),
            }
        }
    }

    /// The URL of the next attempt: a recovery of the current connection when it is reliable
    /// and said who it is, else the original URL.
    fn url(&mut self) -> String {
        let url = &self.options.url;
        match (&self.state.connection_id, &self.state.reconnection_token) {
            (Some(id), Some(token)) if self.reliable => {
                self.recovering = true;
                let sep = if url.contains('?') { '&' } else { '?' };
                format!(
                    "{url}{sep}awps_connection_id={}&awps_reconnection_token={}",
                    operations::encode(id),
                    operations::encode(token)
                )
            }
            _ => {
                self.recovering = false;
                url.clone()
            }
        }
    }

    /// Reads, writes and acknowledges on one connection until it stops.
    async fn drive(&mut self, socket: &mut Subscriber, attempt: &mut u32) -> Stop {
        // What the last connection may have lost: requests without their ack, in order,
        // and a frame whose send failed (already among them if it was a request).
        let mut again: Vec<String> = self.in_flight.values().cloned().collect();
        again.extend(self.unsent.take().filter(|t| ack_id_of(t).is_none()));
        for text in again {
            match socket.send_frame(&text).await {
                Ok(()) | Err(ClientError::Invalid(_)) => {}
                Err(e) => return Stop::Dropped(e.to_string()),
            }
        }
        let mut ack_timer = tokio::time::interval(SEQUENCE_ACK_EVERY);
        ack_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                frame = socket.next() => match frame {
                    Ok(Some(Event::Closed { code, reason })) => {
                        let _ = self.events.send(SessionEvent::Frame(Event::Closed { code, reason })).await;
                        return Stop::Closed(code);
                    }
                    Ok(Some(event)) => {
                        // Something arrived: this connection works, so the count starts over.
                        *attempt = 0;
                        // Only what follows `connected` shows the server keeps the protocol.
                        if !is_connected_frame(&event) {
                            self.protocol_errors = 0;
                        }
                        if let Some(e) = self.accept(event) {
                            if self.events.send(e).await.is_err() {
                                return Stop::Finished;
                            }
                        }
                    }
                    Ok(None) => return Stop::Dropped("the connection dropped".into()),
                    Err(ClientError::Protocol { detail }) => return Stop::Broken(detail),
                    Err(e) => return Stop::Dropped(e.to_string()),
                },
                text = self.outgoing.recv() => match text {
                    Some(text) => {
                        if let Some(id) = ack_id_of(&text) {
                            if self.in_flight.len() < MAX_IN_FLIGHT {
                                self.in_flight.insert(id, text.clone());
                            }
                        }
                        match socket.send_frame(&text).await {
                            Ok(()) => {}
                            // Nothing to send it as (a protobuf connection): never sent.
                            Err(ClientError::Invalid(_)) => {
                                if let Some(id) = ack_id_of(&text) {
                                    self.in_flight.remove(&id);
                                }
                            }
                            Err(e) => {
                                self.unsent = Some(text);
                                return Stop::Dropped(e.to_string());
                            }
                        }
                    }
                    None => return Stop::Finished,
                },
                _ = ack_timer.tick(), if self.reliable => {
                    if let Some(seq) = self.state.unacked_sequence.take() {
                        let ack = json!({"type": "sequenceAck", "sequenceId": seq}).to_string();
                        if let Err(e) = socket.send_frame(&ack).await {
                            self.state.unacked_sequence = Some(seq);
                            return Stop::Dropped(e.to_string());
                        }
                    }
                }
                _ = &mut self.stop => return Stop::Finished,
                _ = self.events.closed() => return Stop::Finished,
            }
        }
    }

    /// Keeps what resuming needs and drops replays; `None` for a frame not to report.
    fn accept(&mut self, event: Event) -> Option<SessionEvent> {
        let Event::Json(v) = event else {
            return Some(SessionEvent::Frame(event));
        };
        match v["type"].as_str() {
            Some("system") if v["event"] == "connected" => {
                if let Some(id) = v["connectionId"].as_str() {
                    self.state.connection_id = Some(id.to_string());
                }
                if let Some(token) = v["reconnectionToken"].as_str() {
                    self.state.reconnection_token = Some(token.to_string());
                }
                Some(SessionEvent::Connected {
                    frame: v,
                    recovered: self.recovering,
                })
            }
            Some("ack") => {
                if let Some(id) = v["ackId"].as_u64() {
                    self.in_flight.remove(&id);
                }
                Some(SessionEvent::Frame(Event::Json(v)))
            }
            Some("message") => {
                if let Some(seq) = v["sequenceId"].as_u64() {
                    if seq <= self.state.last_sequence {
                        return None; // a replay of what was already reported
                    }
                    self.state.last_sequence = seq;
                    self.state.unacked_sequence = Some(seq);
                }
                Some(SessionEvent::Frame(Event::Json(v)))
            }
            _ => Some(SessionEvent::Frame(Event::Json(v))),
        }
    }
}

/// The `ackId` of a JSON request frame, if it has one.
fn ack_id_of(text: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Request {
        #[serde(rename = "ackId")]
        ack_id: Option<u64>,
    }
    if !text.contains("\"ackId\"") {
        return None;
    }
    serde_json::from_str::<Request>(text).ok()?.ack_id
}

/// The `connected` system frame a json connection opens with.
fn is_connected_frame(event: &Event) -> bool {
    matches!(event, Event::Json(v) if v["type"] == "system" && v["event"] == "connected")
}

/// One connection attempt to `url`, bounded by [`SessionOptions::attempt_timeout`].
async fn connect_once(options: &SessionOptions, url: &str) -> Result<Subscriber, ClientError> {
    let connecting = Subscriber::connect(url, options.subprotocol.as_deref());
    match tokio::time::timeout(options.attempt_timeout, connecting).await {
        Ok(result) => result,
        Err(_) => Err(ClientError::Timeout {
            attempts: 1,
            after: Some(options.attempt_timeout),
        }),
    }
}

/// The ceiling of the wait before attempt `attempt`: 0.4 s, 0.8 s, ... up to 5 s.
fn backoff_cap(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)).min(5_000))
}

/// The wait before attempt `attempt`: between half the [`backoff_cap`] and all of it, so that
/// clients dropped together do not come back together.
fn backoff(attempt: u32) -> Duration {
    backoff_cap(attempt).mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_known_by_their_ack_id() {
        assert_eq!(
            ack_id_of(r#"{"type":"joinGroup","group":"g","ackId":7}"#),
            Some(7)
        );
        assert_eq!(ack_id_of(r#"{"type":"sequenceAck","sequenceId":3}"#), None);
        assert_eq!(ack_id_of("plain text with \"ackId\" in it"), None);
    }

    #[test]
    fn backoff_grows_to_a_cap_with_jitter() {
        assert_eq!(backoff_cap(1), Duration::from_millis(400));
        assert_eq!(backoff_cap(2), Duration::from_millis(800));
        assert_eq!(backoff_cap(10), Duration::from_secs(5));
        for attempt in [1, 2, 3, 10] {
            let cap = backoff_cap(attempt);
            let waits: Vec<Duration> = (0..200).map(|_| backoff(attempt)).collect();
            assert!(
                waits.iter().all(|w| *w >= cap / 2 && *w <= cap),
                "{attempt}"
            );
            assert!(waits.iter().any(|w| *w != waits[0]), "jittered: {attempt}");
        }
    }

    #[test]
    fn only_the_connected_frame_is_no_proof_of_a_working_server() {
        let connected = json!({"type": "system", "event": "connected", "connectionId": "c"});
        assert!(is_connected_frame(&Event::Json(connected)));
        let message = json!({"type": "message", "from": "server", "data": "x"});
        assert!(!is_connected_frame(&Event::Json(message)));
        assert!(!is_connected_frame(&Event::Text("connected".into())));
    }
}

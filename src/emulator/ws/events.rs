//! User events on their way to the app's event handler: subprotocol clients' `event` messages and
//! plain clients' frames (the `message` event). One worker per connection calls the handler
//! in order, so replies and acks come back in the order the client sent its events, while
//! the session goes on reading and writing.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::protocol::AckIds;
use super::replies;
use crate::client::Protocol;
use crate::emulator::hub::Conn;
use crate::emulator::message::{DataKind, Message, Outbound, Source};
use crate::emulator::metadata::Metadata;
use crate::emulator::upstream::{self, Upstream};

/// Events a connection may have waiting for the handler; more are refused until it catches up.
const MAX_PENDING_EVENTS: usize = 64;

pub(super) const NO_HANDLER: &str = "No event handler is configured for this hub.";
const TOO_MANY: &str = "Too many events are waiting for the event handler.";

/// One event for the handler.
pub(super) struct Job {
    pub name: String,
    pub kind: DataKind,
    pub data: Bytes,
    pub metadata: Metadata,
    pub ack_id: Option<u64>,
}

/// The connection's queue of events, its worker started on first use.
pub(super) struct Events {
    upstream: Upstream,
    conn: Arc<Conn>,
    view: Arc<upstream::Connection>,
    /// ackIds that succeeded, for `Duplicate`: shared by the session and the worker, made
    /// when first needed (most connections never send with an ackId).
    acked: OnceLock<Arc<Mutex<AckIds>>>,
    tx: Option<mpsc::Sender<Job>>,
}

impl Events {
    pub fn new(upstream: Upstream, conn: Arc<Conn>, view: Arc<upstream::Connection>) -> Events {
        Events {
            upstream,
            conn,
            view,
            acked: OnceLock::new(),
            tx: None,
        }
    }

    fn acked_ids(&self) -> &Arc<Mutex<AckIds>> {
        self.acked.get_or_init(Arc::default)
    }

    /// The ackIds that succeeded, the session's and the worker's.
    pub fn acked(&self) -> MutexGuard<'_, AckIds> {
        self.acked_ids().lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a handler takes this event now.
    pub fn handled(&self, name: &str) -> bool {
        self.upstream
            .handles(self.view.hub(), upstream::Event::User(name))
    }

    /// Queues an event for the handler; Err when too many are already waiting.
    pub fn submit(&mut self, job: Job) -> Result<(), &'static str> {
        let acked = self.acked_ids().clone();
        let tx = self.tx.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel(MAX_PENDING_EVENTS);
            let worker = Worker {
                upstream: self.upstream.clone(),
                conn: self.conn.clone(),
                view: self.view.clone(),
                acked,
            };
            tokio::spawn(worker.run(rx));
            tx
        });
        tx.try_send(job).map_err(|_| TOO_MANY)
    }
}

struct Worker {
    upstream: Upstream,
    conn: Arc<Conn>,
    view: Arc<upstream::Connection>,
    acked: Arc<Mutex<AckIds>>,
}

impl Worker {
    /// Ends when the session drops its sender (the connection is over).
    async fn run(self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            let result = self
                .upstream
                .user_event(
                    &self.view,
                    &job.name,
                    job.kind,
                    job.data,
                    job.metadata.pairs(),
                )
                .await;
            match result {
                Ok(reply) => {
                    if !reply.data.is_empty() || !reply.metadata.is_empty() {
                        // A reply's metadata the service would refuse is dropped, not the reply.
                        let metadata = Metadata::from_pairs(reply.metadata).unwrap_or_default();
                        let message = Message::with_metadata(
                            Source::Server,
                            reply.kind,
                            reply.data,
                            metadata,
                        );
                        self.conn.push(Outbound::Data(message));
                    }
                    if let Some(id) = job.ack_id {
                        self.acked
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remember(id);
                        self.conn.push(replies::ack(self.conn.protocol, id, Ok(())));
                    }
                }
                Err(failure) if self.conn.protocol == Protocol::Raw => {
                    // A plain client has no acks: the service closes it.
                    let reason = if failure.kind == upstream::FailureKind::NoHandler {
                        NO_HANDLER.to_string()
                    } else {
                        "The event handler failed.".to_string()
                    };
                    self.conn.push(Outbound::Close { code: 1011, reason });
                    return;
                }
                Err(failure) => {
                    if let Some(id) = job.ack_id {
                        let message = if failure.kind == upstream::FailureKind::NoHandler {
                            NO_HANDLER.to_string()
                        } else {
                            format!("The event handler failed: {}", failure.message)
                        };
                        let error = Err(("InternalServerError", message));
                        self.conn.push(replies::ack(self.conn.protocol, id, error));
                    }
                }
            }
        }
    }
}

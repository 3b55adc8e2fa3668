//! Default mode: the hub's Socket.IO server (behind its tunnel, or its event handler) as one
//! connection's packets reach it. A task of its own per connection sends each client packet
//! as a `message` event, one at a time and in order (the server reads them so), then
//! `disconnected` once the connection ends.
//!
//! Apart from `session.rs` because it is the upstream side of a connection: it reads nothing
//! of the session, which hands it records. Bounded: [`SERVER_QUEUE`] records on their way; a
//! client that sends faster than the server takes them is closed by its session.

use tokio::sync::mpsc;

use crate::emulator::shared::Shared;
use crate::emulator::upstream;

/// Packets on their way to the server; a client that sends faster than the server takes
/// them is closed.
const SERVER_QUEUE: usize = 256;

/// The hub's Socket.IO server, as this connection's events reach it.
pub(crate) struct Server {
    events: mpsc::Sender<ToServer>,
}

/// What the connection's server task sends, in order.
enum ToServer {
    /// An Engine.IO payload, as a `message` event.
    Payload(String),
    /// The connection ended, for this reason: `disconnected`, after every payload before it.
    Ended(String),
}

/// The server does not take the connection's packets as fast as the client sends them.
pub(crate) struct Behind;

impl Server {
    /// Starts the task that sends the connection's packets to the server, one event at a
    /// time (the server reads them in order).
    pub fn start(shared: &Shared, view: upstream::Connection) -> Server {
        // One more than the packets, so the end always fits behind them.
        let (events, mut rx) = mpsc::channel::<ToServer>(SERVER_QUEUE + 1);
        let upstream = shared.upstream.clone();
        tokio::spawn(async move {
            while let Some(item) = rx.recv().await {
                match item {
                    ToServer::Payload(payload) => {
                        let kind = upstream::DataKind::Text;
                        let data = payload.into();
                        let _ = upstream.user_event(&view, "message", kind, data, &[]).await;
                    }
                    ToServer::Ended(reason) => {
                        upstream.disconnected(&view, &reason);
                        return;
                    }
                }
            }
        });
        Server { events }
    }

    /// Queues one Engine.IO payload (a record) for the server, never waiting.
    pub fn send(&self, record: String) -> Result<(), Behind> {
        // The last slot is the end's: a client that fills the rest is closed.
        if self.events.capacity() <= 1 || self.events.try_send(ToServer::Payload(record)).is_err() {
            return Err(Behind);
        }
        Ok(())
    }

    /// The connection ended: queued behind its packets, so the server reads them first.
    pub fn ended(&self, reason: &str) {
        let _ = self.events.try_send(ToServer::Ended(reason.to_string()));
    }
}

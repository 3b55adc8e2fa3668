//! The emulator's Socket.IO state, which `Shared` holds: the live Engine.IO connections by
//! `sid` (each one's input channel) and the timing new ones are given; and what a request
//! hands a connection's task. It is kept apart from the routes and sessions, which read
//! `Shared`, so that `Shared` depends on this file and this file not on `Shared`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::engine::Packet;
use super::invocations::{Call, Event, Invocations};
use crate::emulator::hub::Registry;
use crate::emulator::transport::WebSocket;
use crate::emulator::upstream::settings::SocketIoMode;

/// The ping interval and timeout advertised by default (the service's and engine.io's).
pub(crate) const PING_INTERVAL_MS: u64 = 25_000;
pub(crate) const PING_TIMEOUT_MS: u64 = 20_000;
/// Most Engine.IO connections at once; a polling connection holds no socket between its
/// requests, so the server's connection cap does not bound them.
const MAX_SESSIONS: usize = crate::emulator::DEFAULT_MAX_CONNECTIONS;
/// Requests a connection's task may have waiting for it.
const INPUT_QUEUE: usize = 8;

/// What an HTTP request tells the connection's task.
pub(crate) enum Input {
    /// A polling `GET`: answer with the packets to send, once there are any.
    Get(oneshot::Sender<Vec<Packet>>),
    /// A polling `POST`'s packets.
    Post(Vec<Packet>),
    /// A `POST` that was not Engine.IO: the connection ends.
    Malformed(&'static str),
    /// A WebSocket opened with this connection's `sid`: an upgrade to probe.
    Upgrade(Box<WebSocket>),
}

/// The connection's timing, as its open packet advertised it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
}

/// The live Engine.IO connections by `sid`, and their timing.
#[derive(Debug)]
pub(crate) struct Engines {
    sessions: Mutex<HashMap<String, mpsc::Sender<Input>>>,
    /// Broadcasts with acknowledgements in flight (`:invoke`).
    pub invocations: Invocations,
    ping_interval_ms: AtomicU64,
    ping_timeout_ms: AtomicU64,
    /// The resource's mode (`--socketio-mode`), for hubs the settings file gives none.
    mode: SocketIoMode,
}

impl Default for Engines {
    fn default() -> Self {
        Engines::new(SocketIoMode::Default)
    }
}

impl Engines {
    pub fn new(mode: SocketIoMode) -> Engines {
        Engines {
            sessions: Mutex::new(HashMap::new()),
            invocations: Invocations::default(),
            ping_interval_ms: AtomicU64::new(PING_INTERVAL_MS),
            ping_timeout_ms: AtomicU64::new(PING_TIMEOUT_MS),
            mode,
        }
    }

    /// The resource-wide mode.
    pub(super) fn mode(&self) -> SocketIoMode {
        self.mode
    }

    /// Test hook: the ping interval and timeout new connections are given (1 ms to a day,
    /// so deadlines computed from them cannot overflow).
    pub fn set_timing(&self, interval: Duration, timeout: Duration) {
        const DAY_MS: u64 = 24 * 3600 * 1000;
        let ms = |d: Duration| {
            u64::try_from(d.as_millis())
                .unwrap_or(DAY_MS)
                .clamp(1, DAY_MS)
        };
        self.ping_interval_ms.store(ms(interval), Ordering::Relaxed);
        self.ping_timeout_ms.store(ms(timeout), Ordering::Relaxed);
    }

    pub(super) fn timing(&self) -> Timing {
        Timing {
            ping_interval: Duration::from_millis(self.ping_interval_ms.load(Ordering::Relaxed)),
            ping_timeout: Duration::from_millis(self.ping_timeout_ms.load(Ordering::Relaxed)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::Sender<Input>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn get(&self, sid: &str) -> Option<mpsc::Sender<Input>> {
        self.lock().get(sid).cloned()
    }

    /// A new connection's id and input channel; None when there are too many.
    pub(super) fn register(&self, registry: &Registry) -> Option<(String, mpsc::Receiver<Input>)> {
        let mut sessions = self.lock();
        if sessions.len() >= MAX_SESSIONS {
            return None;
        }
        let id = registry.new_connection_id();
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        sessions.insert(id.clone(), tx);
        Some((id, rx))
    }

    /// The connection's task has ended: it is no longer found, and its invocations count
    /// it as answered (in that order: see [`Engines::enlist`]).
    pub fn forget(&self, sid: &str) {
        self.lock().remove(sid);
        self.invocations.forget(sid);
    }

    /// Makes `message`, about to be queued for connection `sid`, one of `call`'s deliveries;
    /// false when the connection's task has ended (or has too many invocations unanswered).
    pub(crate) fn enlist(
        &self,
        call: &mut Call,
        sid: &str,
        message: &Arc<crate::emulator::message::Message>,
        event: &Arc<Event>,
    ) -> bool {
        self.invocations
            .enlist(call, sid, message, event, || self.lock().contains_key(sid))
    }
}

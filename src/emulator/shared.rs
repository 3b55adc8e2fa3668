//! What every part of the emulator shares: the hubs, the token verifier, the sessions that
//! outlive a socket, the event handlers, the activity bus, and the stop signal.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::dashboard::state::Dashboard;
use super::hub::Registry;
use super::mqtt::store::Sessions as MqttSessions;
use super::socketio::engines::Engines;
use super::ws::reliable::{ReconnectKeys, Sessions};
use super::{activity, auth, upstream};

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub registry: Registry,
    pub verifier: auth::Verifier,
    /// Signs and checks reliable clients' reconnection tokens.
    pub reconnect: ReconnectKeys,
    /// Reliable sessions that a recovery request can hand a new socket to.
    pub sessions: Sessions,
    /// MQTT sessions by client id: live ones, and those kept for a client coming back.
    pub mqtt_sessions: MqttSessions,
    /// Engine.IO connections (Web PubSub for Socket.IO) by `sid`.
    pub socketio: Engines,
    /// How long a reliable connection waits to be recovered, in milliseconds.
    pub recovery_window_ms: AtomicU64,
    /// How long a client may stay silent before it is pinged, in milliseconds; one unanswered
    /// ping and it is dropped.
    pub keepalive_ms: AtomicU64,
    pub verbose: u8,
    /// The app's event handlers.
    pub upstream: upstream::Upstream,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
    /// Flips to true when the emulator stops, so WebSocket tasks end too.
    pub stopping: watch::Receiver<bool>,
    /// What happened, for the dashboard's live log.
    pub activity: Arc<activity::Activity>,
    /// The page at `/` and its endpoints under `/_emulator/`.
    pub dashboard: Dashboard,
}

/// Resolves once the emulator is told to stop; never, if its handle was dropped without it.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

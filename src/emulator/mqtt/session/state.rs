//! What one MQTT connection's session holds ([`Session`]), how serving it ends ([`End`]),
//! and where it goes at the end: its will out (a 5.0 will with a delay waits with the kept
//! session, on the one timer that also ends it, [`keep_for`]), then kept in the store for the
//! client's return, or ended (out of the hub, `disconnected`). The struct is here, below the loop
//! (`serve`) and the packet handlers (`packets`) that add to its `impl`, so that neither
//! imports the other or the session's course (`mod.rs`). Imports `events`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;

use super::events::Events;
use crate::emulator::activity::ClientTap;
use crate::emulator::hub::{Conn, Hub, Inbox, Permission, Targets};
use crate::emulator::message::{DataKind, Message, Source};
use crate::emulator::mqtt::codec::{self, Goodbye, Version};
use crate::emulator::mqtt::inflight::Inflight;
use crate::emulator::mqtt::store::{self, Released};
use crate::emulator::shared::{stopped, Shared};
use crate::emulator::{names, upstream};

/// What an older connection is told when a new one takes its client id.
pub(super) const TAKEN_OVER: &str = "Another connection with the same client id connected.";

/// Ends a kept session: out of the hub already; the handler hears of it.
pub(super) fn end_kept(shared: &Arc<Shared>, kept: store::Kept) {
    let hub_name = kept.view.hub().to_string();
    shared
        .upstream
        .mqtt_disconnected(&kept.view, kept.reason.as_deref(), &kept.ended);
    drop(kept);
    shared.registry.release(&hub_name);
}

pub(super) struct Session {
    pub(super) shared: Arc<Shared>,
    pub(super) hub: Arc<Hub>,
    pub(super) conn: Arc<Conn>,
    pub(super) version: Version,
    /// Seconds; 0 = none.
    pub(super) keep_alive: u16,
    pub(super) will: Option<codec::Will>,
    pub(super) rx: Inbox,
    pub(super) activity: ClientTap,
    /// Bytes read but not yet a whole packet.
    pub(super) buf: BytesMut,
    /// User events on their way to the handler, and its answers.
    pub(super) events: Events,
    /// Granted QoS per subscribed topic; groups joined otherwise (token, REST) count as QoS 1.
    pub(super) subscriptions: HashMap<String, u8>,
    /// QoS 1 messages sent and not yet acknowledged.
    pub(super) inflight: Inflight,
    /// QoS 2 packet ids received and waiting for PUBREL (so a resent PUBLISH is not
    /// delivered twice).
    pub(super) awaiting_rel: HashSet<u16>,
    /// Why the connection ended, for the dashboard.
    pub(super) end_reason: String,
    /// Ended by the client's DISCONNECT (no will, unless it asked for one).
    pub(super) clean: bool,
    pub(super) clean_with_will: bool,
    /// Which claim on the client id this connection holds (see `store`).
    pub(super) generation: u64,
    pub(super) session_id: String,
    /// How long the session outlives the connection (zero: not at all).
    pub(super) expiry: Duration,
    /// The Session Expiry Interval CONNECT gave (a DISCONNECT may change a nonzero one).
    pub(super) connect_expiry: u32,
    /// False once the end is one no session survives (closed by the server, taken over).
    pub(super) keepable: bool,
    /// For the `disconnected` event: the reason (a 5.0 client's reason string, or ours) and
    /// the DISCONNECT either side sent.
    pub(super) event_reason: Option<String>,
    pub(super) ended: upstream::mqtt::MqttDisconnected,
}

/// How serving ends: with a DISCONNECT (5.0) and a close frame, or just gone.
pub(super) enum End {
    Quit(Goodbye, String),
    Gone,
}

/// Publishes a will to its topic, as `conn` sending to that group would: with its permission
/// (checked now, so the connection must still be in the hub), at QoS 1, as binary.
pub(super) fn publish_will(hub: &Hub, conn: &Conn, will: codec::Will) {
    let allowed = hub.allowed(&conn.id, Permission::SendToGroup, &will.topic);
    if allowed && names::group(&will.topic).is_ok() {
        let source = Source::Group {
            group: will.topic.clone(),
            from_user: conn.user_id.clone(),
        };
        let msg = Message::published(source, DataKind::Binary, will.payload, 1);
        hub.send(Targets::Group(&will.topic), &[], None, msg);
    }
}

impl Session {
    /// The end of the connection: its will (now, or after its 5.0 delay if the session is
    /// kept), then the session is kept for the client's return or ends (out of the hub,
    /// `disconnected`).
    pub(super) fn finish(mut self, view: Arc<upstream::Connection>, client_id: &str) {
        let will = if !self.clean || self.clean_with_will {
            self.will.take()
        } else {
            None
        };
        self.activity.disconnected(&self.end_reason);
        let stopping = *self.shared.stopping.borrow();
        let keep = self.keepable && !stopping && !self.expiry.is_zero();
        let expiry = self.expiry;
        // A delayed will waits with the kept session; any other goes now.
        let (now, delayed) = match will {
            Some(w) if w.delay > 0 && keep => (None, Some(w)),
            w => (w, None),
        };
        if let Some(will) = now {
            publish_will(&self.hub, &self.conn, will);
        }
        // Capped by the session's expiry: the will goes when the session ends, at the latest.
        let will_delay = delayed
            .as_ref()
            .map(|w| Duration::from_secs(u64::from(w.delay)).min(expiry));
        let session = Box::new(store::Kept {
            session_id: self.session_id,
            hub: self.hub,
            conn: self.conn,
            rx: self.rx,
            subscriptions: self.subscriptions,
            inflight: self.inflight,
            awaiting_rel: self.awaiting_rel,
            will: delayed,
            generation: 0,
            view,
            reason: self.event_reason,
            ended: self.ended,
        });
        let hub = session.hub.clone();
        match self
            .shared
            .mqtt_sessions
            .release(client_id, self.generation, session, keep)
        {
            Released::TakenOver(session) => {
                // A new connection for the client id came first: a delayed will is dropped
                // (MQTT 5 §3.1.2.5), and the hub goes back with no handle of ours left on it.
                drop(hub);
                end_kept(&self.shared, *session);
            }
            Released::Ended(mut session) => {
                drop(hub);
                if let Some(will) = session.will.take() {
                    publish_will(&session.hub, &session.conn, will);
                }
                session.hub.disconnect_conn(&session.conn);
                end_kept(&self.shared, *session);
            }
            Released::Kept => {
                let generation = self.generation;
                tokio::spawn(keep_for(
                    self.shared,
                    hub,
                    client_id.to_string(),
                    generation,
                    will_delay,
                    expiry,
                ));
            }
        }
    }
}

/// The one timer of a kept session: its will when the delay runs out, unless the client came
/// back; then its end at expiry (with its will, if still there), unless the client came back.
/// The emulator's stop cuts both short.
async fn keep_for(
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    client_id: String,
    generation: u64,
    will_delay: Option<Duration>,
    expiry: Duration,
) {
    let mut stopping = shared.stopping.clone();
    let started = tokio::time::Instant::now();
    let will_due = |shared: &Shared| {
        if let Some((will, conn)) = shared.mqtt_sessions.take_will(&hub, &client_id, generation) {
            publish_will(&hub, &conn, will);
        }
    };
    if let Some(delay) = will_delay {
        tokio::select! {
            () = tokio::time::sleep_until(started + delay) => {}
            _ = stopped(&mut stopping) => {}
        }
        will_due(&shared);
    }
    tokio::select! {
        () = tokio::time::sleep_until(started + expiry) => {}
        _ = stopped(&mut stopping) => {}
    }
    will_due(&shared);
    let expired = shared.mqtt_sessions.expire(&hub, &client_id, generation);
    drop(hub);
    if let Some(session) = expired {
        if shared.verbose >= 1 {
            eprintln!("emulator: MQTT session of client {client_id} expired");
        }
        end_kept(&shared, *session);
    }
}

//! What one MQTT connection's session holds ([`Session`]), how serving it ends ([`End`]),
//! and where it goes at the end: its will out, then kept in the store for the client's
//! return, or ended (out of the hub, `disconnected`). The struct is here, below the loop
//! (`serve`) and the packet handlers (`packets`) that add to its `impl`, so that neither
//! imports the other or the session's course (`mod.rs`). Imports no sibling.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;

use crate::emulator::activity::ClientTap;
use crate::emulator::hub::{Conn, Hub, Inbox, Permission, Targets};
use crate::emulator::message::{DataKind, Message, Source};
use crate::emulator::mqtt::codec::{self, Goodbye, Version};
use crate::emulator::mqtt::inflight::Inflight;
use crate::emulator::mqtt::store;
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

impl Session {
    /// The end of the connection: its will, then the session is kept for the client's return
    /// or ends (out of the hub, `disconnected`).
    pub(super) fn finish(mut self, view: upstream::Connection, client_id: &str) {
        if !self.clean || self.clean_with_will {
            if let Some(will) = self.will.take() {
                let allowed = self
                    .hub
                    .allowed(&self.conn.id, Permission::SendToGroup, &will.topic);
                if allowed && names::group(&will.topic).is_ok() {
                    let source = Source::Group {
                        group: will.topic.clone(),
                        from_user: self.conn.user_id.clone(),
                    };
                    let msg = Message::published(source, DataKind::Binary, will.payload, 1);
                    self.hub.send(Targets::Group(&will.topic), &[], None, msg);
                }
            }
        }
        self.activity.disconnected(&self.end_reason);
        let stopping = *self.shared.stopping.borrow();
        let keep = self.keepable && !stopping && !self.expiry.is_zero();
        let expiry = self.expiry;
        let session = Box::new(store::Kept {
            session_id: self.session_id,
            hub: self.hub,
            conn: self.conn,
            rx: self.rx,
            subscriptions: self.subscriptions,
            inflight: self.inflight,
            awaiting_rel: self.awaiting_rel,
            view,
            reason: self.event_reason,
            ended: self.ended,
        });
        let (hub, session_id) = (session.hub.clone(), session.session_id.clone());
        match self
            .shared
            .mqtt_sessions
            .release(client_id, self.generation, session, keep)
        {
            Err(session) => {
                // The hub goes back to the registry with no handle of ours left on it.
                drop(hub);
                end_kept(&self.shared, *session);
            }
            Ok(()) => {
                let shared = self.shared;
                let client_id = client_id.to_string();
                tokio::spawn(async move {
                    let mut stopping = shared.stopping.clone();
                    tokio::select! {
                        () = tokio::time::sleep(expiry) => {}
                        _ = stopped(&mut stopping) => {}
                    }
                    let expired = shared.mqtt_sessions.expire(&hub, &client_id, &session_id);
                    drop(hub);
                    if let Some(session) = expired {
                        if shared.verbose >= 1 {
                            eprintln!("emulator: MQTT session of client {client_id} expired");
                        }
                        end_kept(&shared, *session);
                    }
                });
            }
        }
    }
}

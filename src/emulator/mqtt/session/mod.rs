//! One task per MQTT connection: CONNECT, then packets in and messages out until the end.
//! MQTT packets may span WebSocket frames and a frame may hold several (MQTT 5 §6), so the
//! bytes are read as a stream.
//!
//! This file owns the connection's course ([`run`]): the first CONNECT, its admission (the
//! service's limits, the `connect` event handler, the claim on the client id) and the
//! CONNACK, then the loop, then the end. The rest is apart by concern:
//!
//! - `serve`: the loop: queued messages out, packets in, keep-alive, and how it ends;
//! - `packets`: what each packet kind does (PUBLISH, SUBSCRIBE, UNSUBSCRIBE, the acks,
//!   DISCONNECT) and how a queued message becomes a PUBLISH;
//! - `state`: what a session holds, and where it goes at the end (kept, or ended);
//! - `events`: user events (`$webpubsub/server/events/...`) on their way to the handler;
//! - `connect`: reading the first CONNECT and checking it against the service's limits;
//! - `topics`: topic names and content types in Web PubSub's terms (pure, tested alone);
//! - `socket`: a packet in a binary frame, and the close handshake.
//!
//! Imports go one way, down this order, so no two files import each other: `mod` (this
//! file) > `serve` > `packets` > `state` > `events` > `connect` > `topics` > `socket`.
//! `serve` and `packets` add to `impl Session`, whose struct `state` declares below them; a
//! method is only called from a file above the one that defines it.

mod connect;
mod events;
mod packets;
mod serve;
mod socket;
mod state;
mod topics;

use std::sync::Arc;

use bytes::BytesMut;

use self::connect::{check_connect, first_connect, session_expiry};
use self::events::Events;
use self::socket::{close, send};
use self::state::{end_kept, Session, TAKEN_OVER};
use super::codec::{self, Ack, AckCode, Refusal};
use super::{Admission, CONNECT_TIMEOUT};
use crate::client::Protocol;
use crate::emulator::hub::Conn;
use crate::emulator::shared::Shared;
use crate::emulator::transport::WebSocket;
use crate::emulator::upstream;
use crate::emulator::upstream::mqtt::MqttConnect;
use crate::emulator::upstream::{Event, SystemEvent};

/// Serves one MQTT WebSocket from its first byte to its end.
///
/// The socket and the admission come boxed, and the connect phase's big futures are boxed:
/// a future holds its largest state for the connection's whole life (see `ws::session`).
pub(super) async fn run(
    shared: Arc<Shared>,
    admission: Box<Admission>,
    mut socket: Box<WebSocket>,
) {
    let mut buf = BytesMut::new();
    let first = tokio::time::timeout(CONNECT_TIMEOUT, first_connect(&mut socket, &mut buf));
    let connect = match Box::pin(first).await {
        Ok(Ok(c)) => c,
        Ok(Err(reply)) => {
            if let Some(bytes) = reply {
                let _ = send(&mut socket, bytes).await;
            }
            close(&mut socket, 1002, "").await;
            return;
        }
        Err(_) => {
            close(&mut socket, 1002, "No CONNECT in time.").await;
            return;
        }
    };
    let version = connect.version;
    if let Some(refusal) = check_connect(&connect) {
        if shared.verbose >= 1 {
            eprintln!(
                "emulator: MQTT {} CONNECT from '{}' refused: {refusal:?}",
                version.as_str(),
                connect.client_id
            );
        }
        // 3.1.1 has no code for a keep-alive out of range: the connection just closes.
        if refusal != Refusal::KeepAlive {
            let ack = codec::connack(version, AckCode::Refused(refusal), Ack::default());
            let _ = send(&mut socket, ack).await;
        }
        close(&mut socket, 1000, "").await;
        return;
    }
    let (id, assigned) = if connect.client_id.is_empty() {
        let id = shared.registry.new_connection_id().replace('-', "");
        (id.clone(), Some(id))
    } else {
        (connect.client_id.clone(), None)
    };
    let Admission {
        hub: hub_name,
        mut user_id,
        mut roles,
        mut groups,
        mut request,
    } = *admission;
    // Each WebSocket is a physical connection; the client id names the logical one.
    let physical = shared.registry.new_connection_id();
    let mut view = upstream::Connection::new(&hub_name, &id, user_id.as_deref());
    view.set_subprotocol(Some(Protocol::MQTT.to_string()));
    view.set_mqtt(&physical, None);
    let mut ack_properties = Vec::new();
    if shared
        .upstream
        .handles(&hub_name, Event::System(SystemEvent::Connect))
    {
        request.mqtt = Some(MqttConnect::new(
            version.level(),
            connect.clean_start,
            connect.username.as_deref(),
            connect.password.as_deref(),
            connect.user_properties.clone(),
        ));
        match Box::pin(
            shared
                .upstream
                .mqtt_connect(&view, &request, version.level()),
        )
        .await
        {
            Ok(None) => {}
            Ok(Some((reply, properties))) => {
                if let Some(user) = reply.user_id {
                    user_id = (!user.is_empty()).then_some(user);
                    view.set_user_id(user_id.clone());
                }
                if let Some(g) = reply.groups.filter(|g| !g.is_empty()) {
                    groups = g;
                }
                if let Some(r) = reply.roles {
                    roles = r;
                }
                ack_properties = properties;
            }
            Err(refusal) => {
                if shared.verbose >= 1 {
                    eprintln!(
                        "emulator: MQTT client {id} refused by the connect event handler ({}): code {}",
                        refusal.why, refusal.code
                    );
                }
                let ack = Ack {
                    reason: refusal.reason.as_deref(),
                    user_properties: refusal.user_properties,
                    ..Ack::default()
                };
                let _ = send(
                    &mut socket,
                    codec::connack(version, AckCode::Handler(refusal.code), ack),
                )
                .await;
                close(&mut socket, 1000, "").await;
                return;
            }
        }
    }
    let (expiry, expiry_notice) = session_expiry(&connect);
    let hub = shared.registry.hub(&hub_name);
    let mut fresh = None;
    let claim = shared
        .mqtt_sessions
        .claim(&hub, &id, connect.clean_start, TAKEN_OVER, |resumed| {
            if let Some(kept) = resumed {
                return kept.conn.clone();
            }
            let (conn, rx) = Conn::new(id.clone(), user_id.clone(), Protocol::Mqtt, roles, None);
            hub.connect(conn.clone(), &groups);
            fresh = Some((conn.clone(), rx));
            conn
        });
    if let Some(discarded) = claim.discarded {
        end_kept(&shared, *discarded);
    }
    let (conn, rx, carried, session_id, present) = match (claim.resumed, fresh) {
        (Some(kept), _) => {
            let kept = *kept;
            // A resumed session keeps its user; the connect reply's has no say (the docs).
            view.set_user_id(kept.conn.user_id.clone());
            let carried = (kept.subscriptions, kept.inflight, kept.awaiting_rel);
            (kept.conn, kept.rx, carried, kept.session_id, true)
        }
        (None, Some((conn, rx))) => {
            let session_id = shared.registry.new_connection_id();
            (conn, rx, Default::default(), session_id, false)
        }
        (None, None) => return,
    };
    let (subscriptions, inflight, awaiting_rel) = carried;
    view.set_mqtt(&physical, Some(&session_id));
    let view = Arc::new(view);
    let activity = shared.activity.client(&hub_name, &conn);
    activity.connected();
    if shared.verbose >= 1 {
        eprintln!(
            "emulator: MQTT {} client {id} connected to hub {hub_name}{}",
            version.as_str(),
            if present { " (session resumed)" } else { "" }
        );
    }
    let mut session = Session {
        shared: shared.clone(),
        hub,
        conn,
        version,
        keep_alive: connect.keep_alive,
        will: connect.will,
        rx,
        activity,
        buf,
        events: Events::new(shared.upstream.clone(), view.clone()),
        subscriptions,
        inflight,
        awaiting_rel,
        end_reason: String::new(),
        clean: false,
        clean_with_will: false,
        generation: claim.generation,
        session_id,
        expiry,
        connect_expiry: connect.session_expiry.unwrap_or(0),
        keepable: true,
        event_reason: None,
        ended: upstream::mqtt::MqttDisconnected::default(),
    };
    let ack = Ack {
        session_present: present,
        assigned_id: assigned.as_deref(),
        session_expiry: expiry_notice,
        reason: None,
        user_properties: ack_properties,
    };
    let acked = send(&mut socket, codec::connack(version, AckCode::Accepted, ack)).await;
    if acked.is_ok() {
        // `connected` is for a new session only (a CONNACK with Session Present 0).
        if !present {
            shared.upstream.connected(&view);
        }
        session.serve(&mut socket).await;
    } else {
        session.end_reason = "The connection was lost.".into();
        session.event_reason = Some(session.end_reason.clone());
        // A session the client never heard of is not kept for it.
        session.keepable = present;
    }
    session.finish(view, &id);
    if shared.verbose >= 1 {
        eprintln!("emulator: MQTT client {id} disconnected");
    }
}

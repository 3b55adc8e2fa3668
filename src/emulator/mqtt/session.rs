//! One task per MQTT connection: CONNECT, then packets in and messages out until the end.
//! MQTT packets may span WebSocket frames and a frame may hold several (MQTT 5 §6), so the
//! bytes are read as a stream.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use super::codec::{self, Ack, AckCode, Goodbye, Inbound, PubResult, Refusal, SubResult, Version};
use super::store;
use super::{
    valid_client_id, Admission, CONNECT_TIMEOUT, KEEP_ALIVE_311, MAX_AWAITING_REL, MAX_INFLIGHT,
    MAX_PACKET, MAX_WILL_MESSAGE, MAX_WILL_TOPIC,
};
use crate::client::Protocol;
use crate::emulator::activity::ClientTap;
use crate::emulator::hub::{Conn, Hub, Inbox, Permission, Targets};
use crate::emulator::message::{DataKind, Message, Outbound, Source};
use crate::emulator::shared::{stopped, Shared};
use crate::emulator::upstream::mqtt::MqttConnect;
use crate::emulator::upstream::{Event, SystemEvent};
use crate::emulator::ws::send_frame;
use crate::emulator::{names, upstream};

/// The topic on which REST sends to all, a user or a connection arrive.
pub(super) const SERVER_TOPIC: &str = "$webpubsub/server/messages";
/// What an older connection is told when a new one takes its client id.
const TAKEN_OVER: &str = "Another connection with the same client id connected.";
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

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
    let (conn, rx, subscriptions, session_id, present) = match (claim.resumed, fresh) {
        (Some(kept), _) => {
            let kept = *kept;
            // A resumed session keeps its user; the connect reply's has no say (the docs).
            view.set_user_id(kept.conn.user_id.clone());
            (
                kept.conn,
                kept.rx,
                kept.subscriptions,
                kept.session_id,
                true,
            )
        }
        (None, Some((conn, rx))) => {
            let session_id = shared.registry.new_connection_id();
            (conn, rx, HashMap::new(), session_id, false)
        }
        (None, None) => return,
    };
    view.set_mqtt(&physical, Some(&session_id));
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
        subscriptions,
        inflight: HashSet::new(),
        next_pkid: 0,
        awaiting_rel: HashSet::new(),
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

/// How long the session outlives this connection, and what the CONNACK says about it (5.0,
/// when the emulator keeps it shorter than asked). 3.1.1's Clean Session 0 asks for as long as
/// the service keeps one.
fn session_expiry(c: &codec::Connect) -> (Duration, Option<u32>) {
    let cap = store::MAX_EXPIRY.as_secs() as u32;
    match c.version {
        Version::V311 if c.clean_start => (Duration::ZERO, None),
        Version::V311 => (store::MAX_EXPIRY, None),
        Version::V5 => {
            let asked = c.session_expiry.unwrap_or(0);
            let kept = asked.min(cap);
            (
                Duration::from_secs(u64::from(kept)),
                (asked > cap).then_some(cap),
            )
        }
    }
}

/// Ends a kept session: out of the hub already; the handler hears of it.
fn end_kept(shared: &Arc<Shared>, kept: store::Kept) {
    let hub_name = kept.view.hub().to_string();
    shared
        .upstream
        .mqtt_disconnected(&kept.view, kept.reason.as_deref(), &kept.ended);
    drop(kept);
    shared.registry.release(&hub_name);
}

/// Reads until the first packet is whole: a CONNECT, or the reply (if any) to send before
/// closing.
async fn first_connect(
    socket: &mut WebSocket,
    buf: &mut BytesMut,
) -> Result<codec::Connect, Option<Bytes>> {
    loop {
        match codec::read(buf, None, MAX_PACKET) {
            Ok(Some(Inbound::Connect(c))) => return Ok(c),
            Ok(Some(_)) => return Err(None),
            Ok(None) => {}
            // A level we do not speak: answer in 3.1.1's terms, which any client reads.
            Err(codec::ReadError::UnsupportedVersion) => {
                return Err(Some(codec::connack(
                    Version::V311,
                    AckCode::Refused(Refusal::Version),
                    Ack::default(),
                )))
            }
            Err(_) => return Err(None),
        }
        match socket.recv().await {
            Some(Ok(WsMessage::Binary(data))) => buf.extend_from_slice(&data),
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
            _ => return Err(None),
        }
    }
}

/// The service's limits on CONNECT ("How to connect MQTT WebSocket clients").
fn check_connect(c: &codec::Connect) -> Option<Refusal> {
    // 5.0 may leave the id to the server ("assigned client ID"); 3.1.1 may not here.
    let id_ok =
        valid_client_id(&c.client_id) || (c.client_id.is_empty() && c.version == Version::V5);
    if !id_ok {
        return Some(Refusal::ClientId);
    }
    if c.version == Version::V311 && !KEEP_ALIVE_311.contains(&c.keep_alive) {
        return Some(Refusal::KeepAlive);
    }
    if let Some(will) = &c.will {
        if will.retain {
            return Some(Refusal::RetainNotSupported);
        }
        if will.topic.trim().is_empty()
            || not_a_topic_name(&will.topic).is_some()
            || will.topic.chars().count() > MAX_WILL_TOPIC
            || will.payload.len() > MAX_WILL_MESSAGE
        {
            return Some(Refusal::BadWill);
        }
    }
    None
}

/// Why `topic` is no MQTT topic name at all: a wildcard (MQTT-3.3.2-2), U+0000 (3.1.1's
/// MQTT-1.5.3-2, 5.0's MQTT-1.5.4-2), or nothing (MQTT-4.7.3-1). A client that publishes to
/// one breaks the protocol and is disconnected; a topic name the service does not take
/// (`$...`, a name no group may have) is refused in the PUBACK instead.
fn not_a_topic_name(topic: &str) -> Option<&'static str> {
    if topic.contains(['+', '#']) {
        Some("A PUBLISH topic name may not contain a wildcard (+ or #).")
    } else if topic.contains('\0') {
        Some("A PUBLISH topic name may not contain U+0000.")
    } else if topic.is_empty() {
        Some("A PUBLISH topic name may not be empty.")
    } else {
        None
    }
}

struct Session {
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    conn: Arc<Conn>,
    version: Version,
    /// Seconds; 0 = none.
    keep_alive: u16,
    will: Option<codec::Will>,
    rx: Inbox,
    activity: ClientTap,
    /// Bytes read but not yet a whole packet.
    buf: BytesMut,
    /// Granted QoS per subscribed topic; groups joined otherwise (token, REST) count as QoS 1.
    subscriptions: HashMap<String, u8>,
    /// Packet ids of QoS 1 messages sent and not yet acknowledged.
    inflight: HashSet<u16>,
    next_pkid: u16,
    /// QoS 2 packet ids received and waiting for PUBREL (so a resent PUBLISH is not
    /// delivered twice).
    awaiting_rel: HashSet<u16>,
    /// Why the connection ended, for the dashboard.
    end_reason: String,
    /// Ended by the client's DISCONNECT (no will, unless it asked for one).
    clean: bool,
    clean_with_will: bool,
    /// Which claim on the client id this connection holds (see `store`).
    generation: u64,
    session_id: String,
    /// How long the session outlives the connection (zero: not at all).
    expiry: Duration,
    /// The Session Expiry Interval CONNECT gave (a DISCONNECT may change a nonzero one).
    connect_expiry: u32,
    /// False once the end is one no session survives (closed by the server, taken over).
    keepable: bool,
    /// For the `disconnected` event: the reason (a 5.0 client's reason string, or ours) and
    /// the DISCONNECT either side sent.
    event_reason: Option<String>,
    ended: upstream::mqtt::MqttDisconnected,
}

/// How serving ends: with a DISCONNECT (5.0) and a close frame, or just gone.
enum End {
    Quit(Goodbye, String),
    Gone,
}

impl Session {
    async fn serve(&mut self, socket: &mut WebSocket) {
        let mut stopping = self.shared.stopping.clone();
        // MQTT: one and a half keep-alive periods without a packet and the client is gone.
        let allowance =
            (self.keep_alive > 0).then(|| Duration::from_millis(u64::from(self.keep_alive) * 1500));
        let mut deadline = allowance.map(|a| Instant::now() + a);
        let end = loop {
            // Biased, queue first, as in `ws::session`: a fan-out's wake polls nothing else,
            // and a full queue (overflow) always wakes this branch.
            tokio::select! {
                biased;
                out = self.rx.recv() => {
                    if self.conn.is_overflowed() {
                        break End::Quit(Goodbye::QuotaExceeded, "The connection's outbound queue is full.".into());
                    }
                    match self.outbound(out) {
                        Ok(Some(bytes)) => {
                            if send(socket, bytes).await.is_err() {
                                break End::Gone;
                            }
                        }
                        Ok(None) => {}
                        Err(end) => break end,
                    }
                }
                incoming = socket.recv() => {
                    if let Some(a) = allowance {
                        deadline = Some(Instant::now() + a);
                    }
                    match incoming {
                        Some(Ok(WsMessage::Binary(data))) => {
                            self.buf.extend_from_slice(&data);
                            match self.packets(socket).await {
                                Ok(()) => {}
                                Err(end) => break end,
                            }
                            if self.clean {
                                break End::Gone;
                            }
                        }
                        Some(Ok(WsMessage::Text(_))) => {
                            // MQTT over WebSocket is binary frames only (MQTT 5 §6).
                            break End::Quit(Goodbye::ProtocolError, "MQTT packets must be sent in binary frames.".into());
                        }
                        Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break End::Gone,
                        Some(Ok(_)) => {}
                    }
                }
                () = until(deadline) => {
                    break End::Quit(Goodbye::KeepAliveTimeout, "Keep-alive timeout.".into());
                }
                _ = stopped(&mut stopping) => {
                    break End::Quit(Goodbye::ShuttingDown, "The emulator is stopping.".into());
                }
            }
        };
        match end {
            End::Quit(why, reason) => {
                if let Some(bytes) = codec::disconnect(self.version, why, &reason) {
                    let _ = send(socket, bytes).await;
                    self.ended = upstream::mqtt::MqttDisconnected {
                        initiated_by_client: false,
                        packet: Some((why.code(), None)),
                    };
                }
                if matches!(
                    why,
                    Goodbye::Administrative
                        | Goodbye::SessionTakenOver
                        | Goodbye::ShuttingDown
                        | Goodbye::QuotaExceeded
                ) {
                    self.keepable = false;
                }
                self.end_reason = reason.clone();
                self.event_reason = Some(reason.clone());
                close(socket, 1000, &reason).await;
            }
            End::Gone => {
                if self.end_reason.is_empty() && !self.clean {
                    self.end_reason = "The connection was lost.".into();
                    self.event_reason = Some(self.end_reason.clone());
                }
                close(socket, 1000, "").await;
            }
        }
    }

    /// Handles every whole packet in the buffer, writing the replies.
    async fn packets(&mut self, socket: &mut WebSocket) -> Result<(), End> {
        loop {
            let packet = match codec::read(&mut self.buf, Some(self.version), MAX_PACKET) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(codec::ReadError::TooLarge) => {
                    return Err(End::Quit(
                        Goodbye::TooLarge,
                        "The packet is too large.".into(),
                    ))
                }
                Err(codec::ReadError::Malformed(why)) => {
                    return Err(End::Quit(
                        Goodbye::Malformed,
                        format!("Malformed packet: {why}."),
                    ))
                }
                Err(codec::ReadError::UnsupportedVersion) => {
                    return Err(End::Quit(
                        Goodbye::ProtocolError,
                        "A second CONNECT.".into(),
                    ))
                }
            };
            if let Some(reply) = self.on_packet(packet)? {
                if send(socket, reply).await.is_err() {
                    return Err(End::Gone);
                }
            }
            if self.clean {
                return Ok(());
            }
        }
    }

    fn on_packet(&mut self, packet: Inbound) -> Result<Option<Bytes>, End> {
        let v = self.version;
        Ok(match packet {
            Inbound::Publish(p) => self.on_publish(p)?,
            Inbound::PubAck(pkid) => {
                self.inflight.remove(&pkid);
                None
            }
            // Messages go out at QoS 0 or 1 only, so these answer nothing of ours.
            Inbound::PubRec(pkid) => Some(codec::pubrel(v, pkid)),
            Inbound::PubComp => None,
            Inbound::PubRel(pkid) => {
                self.awaiting_rel.remove(&pkid);
                Some(codec::pubcomp(v, pkid))
            }
            Inbound::Subscribe(pkid, filters) => {
                let results: Vec<SubResult> = filters
                    .into_iter()
                    .map(|(filter, qos)| self.subscribe(filter, qos))
                    .collect();
                Some(codec::suback(v, pkid, &results))
            }
            Inbound::Unsubscribe(pkid, topics) => {
                for t in &topics {
                    self.subscriptions.remove(t);
                    if t != SERVER_TOPIC && names::group(t).is_ok() {
                        let left = self.hub.join_or_leave(&self.conn.id, t, false);
                        self.activity.message(
                            "leaveGroup",
                            Some(t),
                            None,
                            None,
                            left.err().map(|_| "no permission to leave the group"),
                        );
                    }
                }
                Some(codec::unsuback(v, pkid, topics.len()))
            }
            Inbound::PingReq => Some(codec::pingresp(v)),
            Inbound::Disconnect(d) => {
                // A will goes out unless the client says otherwise (5.0's 0x04 asks for it).
                self.clean = true;
                if d.with_will() {
                    self.clean_with_will = true;
                }
                // 5.0: a DISCONNECT may change a nonzero Session Expiry Interval, not set one.
                if let (Some(secs), true) = (d.session_expiry, self.connect_expiry > 0) {
                    self.expiry = Duration::from_secs(u64::from(secs)).min(store::MAX_EXPIRY);
                }
                self.end_reason = String::new();
                self.event_reason = d.reason.clone();
                self.ended = upstream::mqtt::MqttDisconnected {
                    initiated_by_client: true,
                    packet: Some((d.code, d.user_properties)),
                };
                None
            }
            Inbound::Connect(_) => {
                return Err(End::Quit(
                    Goodbye::ProtocolError,
                    "A second CONNECT.".into(),
                ))
            }
            Inbound::Unexpected(what) => {
                return Err(End::Quit(
                    Goodbye::ProtocolError,
                    format!("Unexpected {what} from a client."),
                ))
            }
        })
    }

    /// SUBSCRIBE to one filter: join the group of that name, as a joinGroup request would.
    fn subscribe(&mut self, filter: String, qos: u8) -> SubResult {
        // Messages go out at QoS 1 at most: that is what a subscription is granted.
        let granted = qos.min(1);
        let refused = if filter.starts_with("$share/") {
            Some(SubResult::Shared)
        } else if filter.contains(['+', '#']) {
            Some(SubResult::Wildcard)
        } else if filter == SERVER_TOPIC {
            // Server messages come to every MQTT connection anyway.
            self.subscriptions.insert(filter, granted);
            return SubResult::Granted(granted);
        } else if names::group(&filter).is_err() || filter.starts_with('$') {
            Some(SubResult::InvalidFilter)
        } else {
            None
        };
        let result = match refused {
            Some(r) => r,
            None => match self.hub.join_or_leave(&self.conn.id, &filter, true) {
                Ok(()) => {
                    self.subscriptions.insert(filter.clone(), granted);
                    SubResult::Granted(granted)
                }
                Err(_) => SubResult::NotAuthorized,
            },
        };
        let error = match result {
            SubResult::Granted(_) => None,
            SubResult::NotAuthorized => Some("no permission to join the group"),
            SubResult::Wildcard => Some("wildcard subscriptions are not supported"),
            SubResult::Shared => Some("shared subscriptions are not supported"),
            SubResult::InvalidFilter => Some("invalid topic filter"),
        };
        self.activity
            .message("joinGroup", Some(&filter), None, None, error);
        result
    }

    /// PUBLISH from the client: a send to the group named by the topic.
    fn on_publish(&mut self, p: codec::Publish) -> Result<Option<Bytes>, End> {
        if p.topic_alias {
            return Err(End::Quit(
                Goodbye::TopicAliasInvalid,
                "Topic aliases are not supported.".into(),
            ));
        }
        if let Some(why) = not_a_topic_name(&p.topic) {
            // 5.0: DISCONNECT 0x90 (Topic Name invalid), then close; 3.1.1: close. Nothing
            // is sent to any group, and no PUBACK says it was.
            return Err(End::Quit(Goodbye::TopicNameInvalid, why.into()));
        }
        if p.retain && self.version == Version::V5 {
            // CONNACK said Retain Available = 0 (MQTT 5 §3.3.1.3).
            return Err(End::Quit(
                Goodbye::RetainNotSupported,
                "Retained messages are not supported.".into(),
            ));
        }
        if p.qos == 2 && self.awaiting_rel.contains(&p.pkid) {
            // A resent QoS 2 PUBLISH: delivered already.
            return Ok(Some(codec::pubrec(
                self.version,
                p.pkid,
                PubResult::Success,
            )));
        }
        let kind = data_kind(p.content_type.as_deref(), &p.payload);
        let result = if p.topic.starts_with('$') || names::group(&p.topic).is_err() {
            PubResult::TopicNameInvalid
        } else if !self
            .hub
            .allowed(&self.conn.id, Permission::SendToGroup, &p.topic)
        {
            PubResult::NotAuthorized
        } else {
            PubResult::Success
        };
        let error = match result {
            PubResult::Success => None,
            PubResult::NotAuthorized => Some("no permission to send to the group"),
            PubResult::TopicNameInvalid => Some("invalid topic name"),
        };
        self.activity.message(
            "sendToGroup",
            Some(&p.topic),
            None,
            Some((kind, &p.payload[..])),
            error,
        );
        if result == PubResult::Success {
            let source = Source::Group {
                group: p.topic.clone(),
                from_user: self.conn.user_id.clone(),
            };
            let message = Message::published(source, kind, p.payload, p.qos.min(1));
            self.hub.send(Targets::Group(&p.topic), &[], None, message);
        }
        Ok(match p.qos {
            0 => None,
            1 => Some(codec::puback(self.version, p.pkid, result)),
            _ => {
                // 5.0 ends the exchange at a failed PUBREC; 3.1.1 cannot fail it.
                if result == PubResult::Success || self.version == Version::V311 {
                    if self.awaiting_rel.len() >= MAX_AWAITING_REL {
                        return Err(End::Quit(
                            Goodbye::QuotaExceeded,
                            "Too many QoS 2 messages awaiting PUBREL.".into(),
                        ));
                    }
                    self.awaiting_rel.insert(p.pkid);
                }
                Some(codec::pubrec(self.version, p.pkid, result))
            }
        })
    }

    /// One queued item as packet bytes, or the end it asks for.
    fn outbound(&mut self, out: Outbound) -> Result<Option<Bytes>, End> {
        let msg = match out {
            Outbound::Data(msg) => msg,
            // Web PubSub replies: nothing an MQTT client reads.
            Outbound::Json(_) | Outbound::Binary(_) | Outbound::Flush => return Ok(None),
            Outbound::Close { reason, .. } => {
                let why = if reason == TAKEN_OVER {
                    Goodbye::SessionTakenOver
                } else {
                    Goodbye::Administrative
                };
                return Err(End::Quit(why, reason));
            }
        };
        let (topic, qos) = match &msg.source {
            // REST messages are published at QoS 1.
            Source::Server => (SERVER_TOPIC, 1),
            Source::Group { group, .. } => {
                let granted = self.subscriptions.get(group).copied().unwrap_or(1);
                (group.as_str(), msg.qos.min(granted))
            }
        };
        let pkid = if qos > 0 {
            if self.inflight.len() >= MAX_INFLIGHT {
                return Err(End::Quit(
                    Goodbye::QuotaExceeded,
                    "Too many unacknowledged messages.".into(),
                ));
            }
            loop {
                self.next_pkid = self.next_pkid.checked_add(1).unwrap_or(1);
                if !self.inflight.contains(&self.next_pkid) {
                    break;
                }
            }
            self.inflight.insert(self.next_pkid);
            self.next_pkid
        } else {
            0
        };
        let content_type = match msg.kind {
            DataKind::Text => "text/plain",
            DataKind::Json => "application/json",
            DataKind::Binary => "application/octet-stream",
            DataKind::Protobuf => "application/x-protobuf",
        };
        Ok(Some(codec::publish(
            self.version,
            topic,
            qos,
            pkid,
            msg.body.clone(),
            content_type,
        )))
    }

    /// The end of the connection: its will, then the session is kept for the client's return
    /// or ends (out of the hub, `disconnected`).
    fn finish(mut self, view: upstream::Connection, client_id: &str) {
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

/// The Web PubSub data type of an MQTT payload, from its 5.0 Content Type (the service's
/// table); a payload that is not what its type says travels as binary.
fn data_kind(content_type: Option<&str>, payload: &Bytes) -> DataKind {
    use prost::Message as _;
    let Some(ct) = content_type else {
        return DataKind::Binary;
    };
    let ct = ct.split(';').next().unwrap_or("").trim();
    if ct.eq_ignore_ascii_case("application/json")
        && serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_ok()
    {
        DataKind::Json
    } else if ct.eq_ignore_ascii_case("text/plain") && std::str::from_utf8(payload).is_ok() {
        DataKind::Text
    } else if ct.eq_ignore_ascii_case("application/x-protobuf")
        && crate::client::proto::Any::decode(payload.clone()).is_ok()
    {
        DataKind::Protobuf
    } else {
        DataKind::Binary
    }
}

/// Resolves at the deadline; never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// One packet (or several) in a binary frame.
async fn send(socket: &mut WebSocket, bytes: Bytes) -> Result<(), ()> {
    send_frame(socket, WsMessage::Binary(bytes), None)
        .await
        .map_err(|_| ())
}

/// A close frame, then a short wait for the echo.
async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let reason: String = reason.chars().take(60).collect();
    let frame = WsMessage::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    if let Ok(Ok(())) = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(frame)).await {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Some(Ok(_)) = socket.recv().await {}
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_nul_and_nothing_are_no_topic_names() {
        for bad in ["a/+", "+", "a/#", "#", "t\0x", ""] {
            assert!(not_a_topic_name(bad).is_some(), "{bad:?}");
        }
        for fine in ["a/b", "$webpubsub/x", " ", "é/ü"] {
            assert_eq!(not_a_topic_name(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn a_will_topic_that_is_no_topic_name_refuses_the_connect() {
        for topic in ["a/+", "w#", "t\0x"] {
            let connect = codec::Connect {
                version: Version::V5,
                client_id: "c".into(),
                keep_alive: 30,
                will: Some(codec::Will {
                    topic: topic.into(),
                    payload: Bytes::from_static(b"bye"),
                    retain: false,
                }),
                clean_start: true,
                session_expiry: None,
                username: None,
                password: None,
                user_properties: None,
            };
            assert!(
                matches!(check_connect(&connect), Some(Refusal::BadWill)),
                "{topic:?}"
            );
        }
    }

    #[test]
    fn content_types_map_to_data_types_as_the_service_documents() {
        let json = Bytes::from_static(b"{\"a\":1}");
        assert_eq!(data_kind(Some("application/json"), &json), DataKind::Json);
        assert_eq!(data_kind(Some("text/plain"), &json), DataKind::Text);
        assert_eq!(
            data_kind(Some("application/octet-stream"), &json),
            DataKind::Binary
        );
        assert_eq!(data_kind(None, &json), DataKind::Binary);
        let not_json = Bytes::from_static(b"{oops");
        assert_eq!(
            data_kind(Some("application/json"), &not_json),
            DataKind::Binary
        );
    }
}

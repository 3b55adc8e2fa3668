//! What each MQTT packet from the client does (PUBLISH sends to a group, SUBSCRIBE and
//! UNSUBSCRIBE join and leave, the acks, PINGREQ, DISCONNECT), and how a queued message goes
//! out as a PUBLISH, each checked and recorded like a Web PubSub client's request. Apart from
//! the loop (`serve`) that reads and writes the socket: these only turn a packet into its
//! reply. Imports `state` and `topics`.

use std::time::Duration;

use bytes::Bytes;

use super::events::{is_mime_type, Done, Job, EVENTS_PREFIX, MAX_PENDING_EVENTS};
use super::state::{End, Session, TAKEN_OVER};
use super::topics::{data_kind, not_a_topic_name, SERVER_TOPIC};
use crate::emulator::hub::{Permission, Targets};
use crate::emulator::message::{DataKind, Message, Outbound, Source};
use crate::emulator::mqtt::codec::{self, Goodbye, Inbound, PubResult, SubResult, Version};
use crate::emulator::mqtt::store;
use crate::emulator::mqtt::MAX_AWAITING_REL;
use crate::emulator::{names, upstream};

impl Session {
    pub(super) fn on_packet(&mut self, packet: Inbound) -> Result<Option<Bytes>, End> {
        let v = self.version;
        Ok(match packet {
            Inbound::Publish(p) => self.on_publish(p)?,
            Inbound::PubAck(pkid) => {
                self.inflight.ack(pkid);
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
        if let Some(name) = p.topic.strip_prefix(EVENTS_PREFIX) {
            let name = name.to_string();
            return self.on_event(name, p);
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
            PubResult::NotAuthorized => Some("no permission to send to the group"),
            PubResult::TopicNameInvalid => Some("invalid topic name"),
            _ => None,
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
        self.ack(p.qos, p.pkid, result)
    }

    /// The PUBACK (QoS 1) or PUBREC (QoS 2) of a client's PUBLISH, if it has one.
    fn ack(&mut self, qos: u8, pkid: u16, result: PubResult) -> Result<Option<Bytes>, End> {
        Ok(match qos {
            0 => None,
            1 => Some(codec::puback(self.version, pkid, result)),
            _ => {
                // 5.0 ends the exchange at a failed PUBREC; 3.1.1 cannot fail it.
                if !result.is_failure() || self.version == Version::V311 {
                    self.await_rel(pkid)?;
                } else {
                    self.awaiting_rel.remove(&pkid);
                }
                Some(codec::pubrec(self.version, pkid, result))
            }
        })
    }

    /// A QoS 2 packet id now waits for its PUBREL (so a resent PUBLISH is not taken twice).
    fn await_rel(&mut self, pkid: u16) -> Result<(), End> {
        if !self.awaiting_rel.contains(&pkid) && self.awaiting_rel.len() >= MAX_AWAITING_REL {
            return Err(End::Quit(
                Goodbye::QuotaExceeded,
                "Too many QoS 2 messages awaiting PUBREL.".into(),
            ));
        }
        self.awaiting_rel.insert(pkid);
        Ok(())
    }

    /// A PUBLISH to `$webpubsub/server/events/{name}`: a user event for the handler; its
    /// PUBACK / PUBREC waits for the handler's answer. Any client may raise one (the service
    /// asks no role for events).
    fn on_event(&mut self, name: String, p: codec::Publish) -> Result<Option<Bytes>, End> {
        let kind = data_kind(p.content_type.as_deref(), &p.payload);
        let refused = if names::event(&name).is_err() {
            Some((PubResult::TopicNameInvalid, "invalid event name"))
        } else if p
            .content_type
            .as_deref()
            .is_some_and(|ct| !is_mime_type(ct))
        {
            Some((
                PubResult::PayloadFormatInvalid,
                "the content type is no MIME type",
            ))
        } else {
            None
        };
        self.activity.message(
            "event",
            None,
            Some(&name),
            Some((kind, &p.payload[..])),
            refused.map(|(_, why)| why),
        );
        if let Some((result, _)) = refused {
            return self.ack(p.qos, p.pkid, result);
        }
        if p.qos == 2 {
            // Taken now: a resent PUBLISH before the answer is not raised again.
            self.await_rel(p.pkid)?;
        }
        let job = Job {
            name,
            content_type: p
                .content_type
                .unwrap_or_else(|| "application/octet-stream".into()),
            payload: p.payload,
            user_properties: p.user_properties,
            correlation_data: p.correlation_data,
            qos: p.qos,
            pkid: p.pkid,
        };
        if self.events.submit(job).is_err() {
            return Err(End::Quit(
                Goodbye::QuotaExceeded,
                format!("More than {MAX_PENDING_EVENTS} events are waiting for the event handler."),
            ));
        }
        Ok(None)
    }

    /// The handler's answer to a user event: back to the client on `.../succeeded` or
    /// `.../failed` (at the request's QoS, at most 1), then the request's PUBACK / PUBREC.
    /// No answer at all (no handler, unreachable, ...) sends only the acknowledgement, whose
    /// 5.0 reason says so.
    pub(super) fn on_event_done(&mut self, done: Done) -> Result<Vec<Bytes>, End> {
        let mut packets = Vec::with_capacity(2);
        let result = match done.outcome {
            Ok(reply) => {
                let verdict = if (200..300).contains(&reply.status) {
                    "succeeded"
                } else {
                    "failed"
                };
                let topic = format!("{EVENTS_PREFIX}{}/{verdict}", done.name);
                let mut user_properties = reply.user_properties;
                user_properties.push(("azure-status-code".into(), reply.status.to_string()));
                let properties = codec::Properties {
                    content_type: reply.content_type,
                    correlation_data: done.correlation_data,
                    user_properties,
                };
                let qos = done.qos.min(1);
                let version = self.version;
                let body = reply.body;
                packets.push(self.publish_out(qos, |pkid| {
                    codec::publish(version, &topic, qos, pkid, body, properties)
                })?);
                PubResult::Success
            }
            Err(failure) if failure.kind == upstream::FailureKind::NoHandler => {
                PubResult::NoMatchingSubscribers
            }
            Err(_) => PubResult::UnspecifiedError,
        };
        if let Some(ack) = self.ack(done.qos, done.pkid, result)? {
            packets.push(ack);
        }
        Ok(packets)
    }

    /// One queued item as packet bytes, or the end it asks for.
    pub(super) fn outbound(&mut self, out: Outbound) -> Result<Option<Bytes>, End> {
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
        let content_type = match msg.kind {
            DataKind::Text => "text/plain",
            DataKind::Json => "application/json",
            DataKind::Binary => "application/octet-stream",
            DataKind::Protobuf => "application/x-protobuf",
        };
        let version = self.version;
        let topic = topic.to_string();
        self.publish_out(qos, |pkid| {
            let properties = codec::Properties {
                content_type: Some(content_type.to_string()),
                ..Default::default()
            };
            codec::publish(version, &topic, qos, pkid, msg.body.clone(), properties)
        })
        .map(Some)
    }

    /// A PUBLISH to the client, written by `write` with its packet id; at QoS 1 it is kept
    /// until acknowledged, and past the cap the client is ended (not kept: quota exceeded).
    pub(super) fn publish_out(
        &mut self,
        qos: u8,
        write: impl FnOnce(u16) -> Bytes,
    ) -> Result<Bytes, End> {
        if qos == 0 {
            return Ok(write(0));
        }
        let full = || {
            End::Quit(
                Goodbye::QuotaExceeded,
                "Too many unacknowledged messages.".into(),
            )
        };
        let pkid = self.inflight.next_pkid().map_err(|_| full())?;
        let packet = write(pkid);
        self.inflight
            .record(pkid, packet.clone())
            .map_err(|_| full())?;
        Ok(packet)
    }
}

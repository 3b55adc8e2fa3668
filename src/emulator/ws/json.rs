//! What a `json.webpubsub.azure.v1` (or reliable) client may ask: join and leave groups, send
//! to a group, raise events, acknowledge sequence ids, ping. Each request with an ackId gets
//! one ack, through the outbound queue so it follows any data the request delivered.

use std::collections::{HashSet, VecDeque};

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use base64::Engine;
use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::events::{Job, NO_HANDLER};
use super::replies;
use super::session::Session;
use crate::emulator::hub::{Denied, Permission, Targets};
use crate::emulator::message::{DataKind, Message, Source};
use crate::emulator::metadata::Metadata;
use crate::emulator::names;

/// `ttlSeconds` upper bound on a client's sendToGroup (0 = never expires).
pub(super) const MAX_TTL_SECONDS: u64 = 300;

/// A failed ack: the error name the protocol defines and a message.
pub(super) type AckError = (&'static str, String);

/// An `ack` message.
pub(super) fn ack_frame(ack_id: u64, result: Result<(), AckError>) -> Utf8Bytes {
    let frame = match result {
        Ok(()) => json!({"type": "ack", "ackId": ack_id, "success": true}),
        Err((name, message)) => json!({
            "type": "ack", "ackId": ack_id, "success": false,
            "error": {"name": name, "message": message},
        }),
    };
    frame.to_string().into()
}

/// How many successful ackIds a connection remembers for `Duplicate`: the latest ones, so a
/// long-lived client cannot grow the emulator one id at a time.
const REMEMBERED_ACK_IDS: usize = 10_000;

/// The latest successful ackIds, oldest forgotten first.
#[derive(Debug, Default)]
pub(super) struct AckIds {
    set: HashSet<u64>,
    order: VecDeque<u64>,
}

impl AckIds {
    fn contains(&self, id: u64) -> bool {
        self.set.contains(&id)
    }

    pub(super) fn remember(&mut self, id: u64) {
        if self.set.insert(id) {
            self.order.push_back(id);
            if self.order.len() > REMEMBERED_ACK_IDS {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

impl Session {
    /// Handles one JSON message; `Err` means it is invalid and the connection closes (1007).
    pub(super) fn on_client_message(&mut self, text: &[u8]) -> Result<(), ()> {
        let v: Value = serde_json::from_slice(text).map_err(|_| ())?;
        // The service matches the type case-insensitively.
        let kind = match v.get("type").and_then(Value::as_str).ok_or(())? {
            t if t.eq_ignore_ascii_case("joinGroup") => "joinGroup",
            t if t.eq_ignore_ascii_case("leaveGroup") => "leaveGroup",
            t if t.eq_ignore_ascii_case("sendToGroup") => "sendToGroup",
            t if t.eq_ignore_ascii_case("event") => "event",
            t if t.eq_ignore_ascii_case("sequenceAck") => "sequenceAck",
            t if t.eq_ignore_ascii_case("ping") => "ping",
            _ => return Err(()),
        };
        let ack_id = match v.get("ackId") {
            None | Some(Value::Null) => None,
            Some(a) => Some(a.as_u64().ok_or(())?),
        };
        // A missing or invalid group or event name makes the message invalid (1007), as in
        // the service.
        let group = || -> Result<String, ()> {
            let g = v.get("group").and_then(Value::as_str).ok_or(())?;
            names::group(g).map_err(|_| ())?;
            Ok(g.to_string())
        };
        match kind {
            "joinGroup" | "leaveGroup" => {
                let g = group()?;
                self.join_or_leave_request(kind == "joinGroup", &g, ack_id);
            }
            "sendToGroup" => {
                let g = group()?;
                let (kind, body, metadata) = decode_data(&v, text)?;
                let no_echo = match v.get("noEcho") {
                    None | Some(Value::Null) => false,
                    Some(b) => b.as_bool().ok_or(())?,
                };
                if let Some(ttl) = v.get("ttlSeconds").filter(|t| !t.is_null()) {
                    if ttl.as_u64().is_none_or(|t| t > MAX_TTL_SECONDS) {
                        return Err(());
                    }
                }
                self.send_to_group_request(&g, (kind, body, metadata), no_echo, ack_id);
            }
            "event" => {
                let name = v.get("event").and_then(Value::as_str).ok_or(())?;
                names::event(name).map_err(|_| ())?;
                let data = decode_data(&v, text)?;
                self.event_request(name, data, ack_id);
            }
            "sequenceAck" => {
                let upto = v.get("sequenceId").and_then(Value::as_u64).ok_or(())?;
                self.buffer.ack(upto);
            }
            "ping" => self.conn.push(replies::pong(self.conn.protocol)),
            _ => return Err(()),
        }
        Ok(())
    }

    /// `joinGroup`/`leaveGroup`, whichever protocol asked.
    pub(super) fn join_or_leave_request(&mut self, join: bool, g: &str, ack_id: Option<u64>) {
        if self.duplicate(ack_id) {
            return;
        }
        let result = self.join_or_leave(join, g);
        let refused = result.as_ref().err().map(|e| e.1.as_str());
        let kind = if join { "joinGroup" } else { "leaveGroup" };
        self.activity.message(kind, Some(g), None, None, refused);
        self.finish(ack_id, result);
    }

    /// `sendToGroup` once its fields are valid, whichever protocol asked.
    pub(super) fn send_to_group_request(
        &mut self,
        g: &str,
        (kind, body, metadata): (DataKind, Bytes, Metadata),
        no_echo: bool,
        ack_id: Option<u64>,
    ) {
        if self.duplicate(ack_id) {
            return;
        }
        let seen = body.clone();
        let message = |source| Message::with_metadata(source, kind, body, metadata);
        let result = self.send_to_group(g, message, no_echo);
        let refused = result.as_ref().err().map(|e| e.1.as_str());
        let data = Some((kind, &seen[..]));
        self.activity
            .message("sendToGroup", Some(g), None, data, refused);
        self.finish(ack_id, result);
    }

    /// A user event for the event handler, whichever protocol raised it; the worker acks
    /// once the handler has answered.
    pub(super) fn event_request(
        &mut self,
        name: &str,
        (kind, data, metadata): (DataKind, Bytes, Metadata),
        ack_id: Option<u64>,
    ) {
        if self.duplicate(ack_id) {
            return;
        }
        let seen = Some((kind, &data[..]));
        if !self.events.handled(name) {
            self.activity
                .message("event", None, Some(name), seen, Some(NO_HANDLER));
            self.finish(ack_id, Err(("InternalServerError", NO_HANDLER.into())));
            return;
        }
        self.activity.message("event", None, Some(name), seen, None);
        let job = Job {
            name: name.to_string(),
            kind,
            data,
            metadata,
            ack_id,
        };
        if let Err(why) = self.events.submit(job) {
            self.finish(ack_id, Err(("InternalServerError", why.into())));
        }
    }

    /// Acks in the connection's framing, if the request had an ackId.
    fn ack(&self, ack_id: Option<u64>, result: Result<(), AckError>) {
        if let Some(id) = ack_id {
            self.conn.push(replies::ack(self.conn.protocol, id, result));
        }
    }

    /// Answers a repeated successful ackId with `Duplicate` instead of acting again.
    fn duplicate(&self, ack_id: Option<u64>) -> bool {
        match ack_id {
            Some(id) if self.acked().contains(id) => {
                self.ack(
                    Some(id),
                    Err((
                        "Duplicate",
                        format!("Message with ack-id: {id} has been processed"),
                    )),
                );
                true
            }
            _ => false,
        }
    }

    /// Acks the outcome; only successes are remembered, so a failure may be retried.
    fn finish(&mut self, ack_id: Option<u64>, result: Result<(), AckError>) {
        if let (Some(id), Ok(())) = (ack_id, &result) {
            self.acked().remember(id);
        }
        self.ack(ack_id, result);
    }

    fn join_or_leave(&self, join: bool, g: &str) -> Result<(), AckError> {
        self.hub
            .join_or_leave(&self.conn.id, g, join)
            .map_err(|Denied| {
                let verb = if join { "join" } else { "leave" };
                (
                    "Forbidden",
                    format!("The client does not have permission to {verb} group '{g}'."),
                )
            })
    }

    fn send_to_group(
        &self,
        g: &str,
        message: impl FnOnce(Source) -> Arc<Message>,
        no_echo: bool,
    ) -> Result<(), AckError> {
        if !self.allowed(Permission::SendToGroup, g) {
            return Err((
                "Forbidden",
                format!("The client does not have permission to send to group '{g}'."),
            ));
        }
        let source = Source::Group {
            group: g.to_string(),
            from_user: self.conn.user_id.clone(),
        };
        let me = [self.conn.id.clone()];
        let excluded: &[String] = if no_echo { &me } else { &[] };
        self.hub
            .send(Targets::Group(g), excluded, None, message(source));
        Ok(())
    }
}

/// `data` by `dataType` (json when absent): text must be a string, binary standard base64,
/// json anything but null, taken from the frame's own bytes so it travels exactly as sent.
/// A frame with `metadata` and no `data` carries empty text.
fn decode_data(v: &Value, frame: &[u8]) -> Result<(DataKind, Bytes, Metadata), ()> {
    let metadata = Metadata::from_json(v.get("metadata")).map_err(|_| ())?;
    let Some(data) = v.get("data") else {
        return match v.get("metadata") {
            Some(m) if !m.is_null() => Ok((DataKind::Text, Bytes::new(), metadata)),
            _ => Err(()),
        };
    };
    let (kind, body) = match v.get("dataType").and_then(Value::as_str).unwrap_or("json") {
        "text" => (
            DataKind::Text,
            Bytes::from(data.as_str().ok_or(())?.to_string()),
        ),
        "json" if !data.is_null() => {
            #[derive(serde::Deserialize)]
            struct RawData<'a> {
                #[serde(borrow)]
                data: &'a RawValue,
            }
            let raw: RawData = serde_json::from_slice(frame).map_err(|_| ())?;
            (
                DataKind::Json,
                Bytes::copy_from_slice(raw.data.get().as_bytes()),
            )
        }
        "binary" => {
            let s = data.as_str().ok_or(())?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| ())?;
            (DataKind::Binary, Bytes::from(bytes))
        }
        _ => return Err(()),
    };
    Ok((kind, body, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_ack_ids_are_remembered() {
        let mut ids = AckIds::default();
        for id in 0..(REMEMBERED_ACK_IDS as u64 + 5) {
            ids.remember(id);
        }
        ids.remember(7);
        assert!(!ids.contains(0) && !ids.contains(4));
        assert!(ids.contains(5) && ids.contains(REMEMBERED_ACK_IDS as u64 + 4));
        assert_eq!(ids.set.len(), REMEMBERED_ACK_IDS);
    }
}

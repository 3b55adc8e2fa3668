//! What a subprotocol client's requests do, whichever codec read them: join and leave
//! groups, send to a group, raise events, acknowledge sequence ids, ping. Each request with
//! an ackId gets one ack, through the outbound queue so it follows any data the request
//! delivered; a repeated successful ackId gets `Duplicate` instead of acting twice.

use std::sync::Arc;

use super::events::{Events, Job, NO_HANDLER};
use super::protocol::{AckError, Payload, Request};
use super::reliable;
use super::replies;
use crate::emulator::activity::ClientTap;
use crate::emulator::hub::{Conn, Denied, Hub, Permission, Targets};
use crate::emulator::message::{Message, Source};

/// The parts of a session one request may touch, borrowed for that request.
pub(super) struct Context<'a> {
    pub hub: &'a Hub,
    pub conn: &'a Conn,
    /// Sent but unacknowledged messages (reliable).
    pub buffer: &'a mut reliable::Buffer,
    /// User events on their way to the event handler, and the ackIds that succeeded.
    pub events: &'a mut Events,
    pub activity: &'a ClientTap,
}

impl Context<'_> {
    /// Carries out one valid request.
    pub(super) fn execute(self, request: Request) {
        match request {
            Request::JoinGroup { group, ack_id } => {
                self.join_or_leave_request(true, &group, ack_id)
            }
            Request::LeaveGroup { group, ack_id } => {
                self.join_or_leave_request(false, &group, ack_id)
            }
            Request::SendToGroup {
                group,
                data,
                no_echo,
                ack_id,
            } => self.send_to_group_request(&group, data, no_echo, ack_id),
            Request::Event { name, data, ack_id } => self.event_request(name, data, ack_id),
            Request::SequenceAck(upto) => self.buffer.ack(upto),
            Request::Ping => self.conn.push(replies::pong(self.conn.protocol)),
        }
    }

    fn join_or_leave_request(self, join: bool, g: &str, ack_id: Option<u64>) {
        if self.duplicate(ack_id) {
            return;
        }
        let result = self.join_or_leave(join, g);
        let refused = result.as_ref().err().map(|e| e.1.as_str());
        let kind = if join { "joinGroup" } else { "leaveGroup" };
        self.activity.message(kind, Some(g), None, None, refused);
        self.finish(ack_id, result);
    }

    fn send_to_group_request(
        self,
        g: &str,
        (kind, body, metadata): Payload,
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

    /// A user event for the event handler; the worker acks once the handler has answered.
    fn event_request(self, name: String, (kind, data, metadata): Payload, ack_id: Option<u64>) {
        if self.duplicate(ack_id) {
            return;
        }
        let seen = Some((kind, &data[..]));
        if !self.events.handled(&name) {
            self.activity
                .message("event", None, Some(&name), seen, Some(NO_HANDLER));
            self.finish(ack_id, Err(("InternalServerError", NO_HANDLER.into())));
            return;
        }
        self.activity
            .message("event", None, Some(&name), seen, None);
        let job = Job {
            name,
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
            Some(id) if self.events.acked().contains(id) => {
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
    fn finish(&self, ack_id: Option<u64>, result: Result<(), AckError>) {
        if let (Some(id), Ok(())) = (ack_id, &result) {
            self.events.acked().remember(id);
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
        if !self.hub.allowed(&self.conn.id, Permission::SendToGroup, g) {
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

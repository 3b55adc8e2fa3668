//! What the two subprotocols have in common, whichever framing carries it: the requests a
//! client may make, how a request with an ackId is answered, and the limits on them. The
//! codecs (`json`, `protobuf`) read frames into these words; `requests` acts on them.

use std::collections::{HashSet, VecDeque};

use bytes::Bytes;

use crate::emulator::message::DataKind;
use crate::emulator::metadata::Metadata;

/// `ttlSeconds` upper bound on a client's sendToGroup (0 = never expires).
pub(super) const MAX_TTL_SECONDS: u64 = 300;

/// A request's data: its kind, its bytes as sent, and its metadata.
pub(super) type Payload = (DataKind, Bytes, Metadata);

/// One valid request from a JSON or protobuf subprotocol client.
#[derive(Debug, PartialEq)]
pub(super) enum Request {
    JoinGroup {
        group: String,
        ack_id: Option<u64>,
    },
    LeaveGroup {
        group: String,
        ack_id: Option<u64>,
    },
    SendToGroup {
        group: String,
        data: Payload,
        no_echo: bool,
        ack_id: Option<u64>,
    },
    /// A user event for the event handler.
    Event {
        name: String,
        data: Payload,
        ack_id: Option<u64>,
    },
    /// The client has every reliable message up to this sequence id.
    SequenceAck(u64),
    Ping,
}

/// A failed ack: the error name the protocol defines and a message.
pub(super) type AckError = (&'static str, String);

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
    pub(super) fn contains(&self, id: u64) -> bool {
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

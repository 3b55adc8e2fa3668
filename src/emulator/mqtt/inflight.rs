//! QoS 1 messages sent to a client and not yet acknowledged, kept as the bytes that went out
//! so that a resumed session sends them again, in order, with DUP set and the same packet
//! ids (MQTT 3.1.1 §4.4, 5.0 §4.4). They belong to the session, not the connection: the
//! store keeps them with a session whose client is away.
//!
//! Bounded by count ([`MAX_INFLIGHT`]) and bytes ([`MAX_INFLIGHT_BYTES`], a connection's
//! outbound queue's share); a client that leaves that much unacknowledged is not keeping up,
//! and the caller ends it.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// QoS 1 messages a client may leave unacknowledged (MQTT's packet ids allow 65,535).
pub(super) const MAX_INFLIGHT: usize = 1024;
/// Their bytes, as the outbound queue bounds a connection's (16 MiB).
pub(super) const MAX_INFLIGHT_BYTES: usize = 16 * 1024 * 1024;

/// The unacknowledged PUBLISHes of one session, oldest first.
#[derive(Debug, Default)]
pub(super) struct Inflight {
    sent: VecDeque<(u16, Bytes)>,
    bytes: usize,
    last_pkid: u16,
}

/// The cap is reached: the message was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Full;

impl Inflight {
    /// A free packet id for the next QoS 1 message (never 0).
    pub fn next_pkid(&mut self) -> Result<u16, Full> {
        if self.sent.len() >= MAX_INFLIGHT {
            return Err(Full);
        }
        // At most MAX_INFLIGHT ids are taken, so a free one comes within that many steps.
        loop {
            self.last_pkid = self.last_pkid.checked_add(1).unwrap_or(1);
            if !self.sent.iter().any(|(id, _)| *id == self.last_pkid) {
                return Ok(self.last_pkid);
            }
        }
    }

    /// Records the PUBLISH written with `pkid` (from [`Inflight::next_pkid`]).
    pub fn record(&mut self, pkid: u16, packet: Bytes) -> Result<(), Full> {
        if self.sent.len() >= MAX_INFLIGHT || self.bytes + packet.len() > MAX_INFLIGHT_BYTES {
            return Err(Full);
        }
        self.bytes += packet.len();
        self.sent.push_back((pkid, packet));
        Ok(())
    }

    /// The client's PUBACK: that message is done. An id not in flight is ignored.
    pub fn ack(&mut self, pkid: u16) {
        // Acks mostly come in order: the match is at the front.
        if let Some(at) = self.sent.iter().position(|(id, _)| *id == pkid) {
            if let Some((_, packet)) = self.sent.remove(at) {
                self.bytes -= packet.len();
            }
        }
    }

    /// Every unacknowledged PUBLISH again, oldest first, with DUP set (the first byte's bit 3,
    /// the same in both versions), for a resumed session.
    pub fn resend(&self) -> impl Iterator<Item = Bytes> + '_ {
        self.sent.iter().map(|(_, packet)| {
            let mut again = BytesMut::from(&packet[..]);
            if let Some(first) = again.first_mut() {
                *first |= 0x08;
            }
            again.freeze()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(pkid: u16, size: usize) -> Bytes {
        let mut p = vec![0x32, 0x00];
        p.extend_from_slice(&pkid.to_be_bytes());
        p.resize(size.max(4), 0);
        Bytes::from(p)
    }

    #[test]
    fn unacknowledged_messages_come_again_in_order_with_dup_and_their_ids() {
        let mut f = Inflight::default();
        let ids: Vec<u16> = (0..3)
            .map(|_| {
                let id = f.next_pkid().unwrap();
                f.record(id, publish(id, 10)).unwrap();
                id
            })
            .collect();
        assert_eq!(ids, vec![1, 2, 3]);
        f.ack(2);
        f.ack(99);
        let again: Vec<Bytes> = f.resend().collect();
        assert_eq!(again.len(), 2);
        assert_eq!(again[0][0], 0x3A, "DUP set");
        assert_eq!(&again[0][2..4], &1u16.to_be_bytes());
        assert_eq!(&again[1][2..4], &3u16.to_be_bytes());
        // Ids in flight are skipped when the counter wraps.
        f.last_pkid = u16::MAX;
        assert_eq!(f.next_pkid(), Ok(2));
    }

    #[test]
    fn the_caps_refuse_the_next_message() {
        let mut f = Inflight::default();
        for _ in 0..MAX_INFLIGHT {
            let id = f.next_pkid().unwrap();
            f.record(id, publish(id, 4)).unwrap();
        }
        assert_eq!(f.next_pkid(), Err(Full));
        assert_eq!(f.record(7, publish(7, 4)), Err(Full));
        f.ack(1);
        assert!(f.next_pkid().is_ok());

        let mut f = Inflight::default();
        f.record(1, publish(1, MAX_INFLIGHT_BYTES - 10)).unwrap();
        assert_eq!(f.record(2, publish(2, 11)), Err(Full));
        f.record(2, publish(2, 10)).unwrap();
        f.ack(1);
        assert_eq!(f.bytes, 10);
    }
}

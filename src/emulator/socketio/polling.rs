//! The long-polling side of one Engine.IO connection: the packets waiting for the client's
//! next `GET`, and the `GET` waiting for packets. The session task owns it (no lock); a `GET`
//! is answered with everything queued as soon as there is anything.
//!
//! Apart from `session.rs` because it is the one transport whose writes wait for the client to
//! ask: bounded by [`MAX_QUEUED`] bytes, past which the client is closed.

use std::collections::VecDeque;

use tokio::sync::oneshot;

use super::engine::{Kind, Packet};

/// Most bytes of packets waiting for a polling client's next `GET`: a client that stops
/// polling while messages arrive is dropped once this is full (or at its ping timeout).
pub(crate) const MAX_QUEUED: usize = 16 * 1024 * 1024;

/// What waits on either side of a polling connection.
#[derive(Default)]
pub(crate) struct Polling {
    /// A polling `GET` waiting for packets.
    waiting: Option<oneshot::Sender<Vec<Packet>>>,
    /// Packets for the next polling `GET`.
    queued: VecDeque<Packet>,
    queued_bytes: usize,
}

/// The client does not poll for its packets: [`MAX_QUEUED`] bytes wait.
pub(crate) struct Full;

/// A `GET` came while another was still waiting.
pub(crate) struct Overlapping;

impl Polling {
    /// Whether a `GET` waits for packets.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// A `GET`: answered at once if anything is queued, else when something is.
    pub fn get(&mut self, reply: oneshot::Sender<Vec<Packet>>) -> Result<(), Overlapping> {
        if self.waiting.as_ref().is_some_and(|w| !w.is_closed()) {
            return Err(Overlapping);
        }
        self.waiting = Some(reply);
        self.answer();
        Ok(())
    }

    /// Queues a packet for the next `GET` and answers a waiting one.
    pub fn push(&mut self, packet: Packet) -> Result<(), Full> {
        if self.queued_bytes + packet.size() > MAX_QUEUED {
            return Err(Full);
        }
        self.queued_bytes += packet.size();
        self.queued.push_back(packet);
        self.answer();
        Ok(())
    }

    /// The connection moved to a WebSocket: a waiting `GET` is let go with a noop, and what
    /// was queued (but noops) is for the WebSocket now, in order.
    pub fn upgraded(&mut self) -> Vec<Packet> {
        if let Some(waiting) = self.waiting.take() {
            let _ = waiting.send(vec![Packet::bare(Kind::Noop)]);
        }
        self.queued_bytes = 0;
        self.queued
            .drain(..)
            .filter(|p| p.kind != Kind::Noop)
            .collect()
    }

    /// The connection ended: a waiting `GET` gets the close packet.
    pub fn close(&mut self) {
        if let Some(waiting) = self.waiting.take() {
            let _ = waiting.send(vec![Packet::bare(Kind::Close)]);
        }
    }

    /// Answers a waiting `GET` with everything queued, if anything is.
    fn answer(&mut self) {
        if self.queued.is_empty() {
            return;
        }
        let Some(waiting) = self.waiting.take() else {
            return;
        };
        let packets: Vec<Packet> = self.queued.drain(..).collect();
        self.queued_bytes = 0;
        if let Err(packets) = waiting.send(packets) {
            // The client gave up on that request: the packets wait for its next one.
            for p in packets.into_iter().rev() {
                self.queued_bytes += p.size();
                self.queued.push_front(p);
            }
        }
    }
}

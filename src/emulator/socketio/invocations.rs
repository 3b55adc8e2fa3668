//! Broadcasts with acknowledgements: REST `:invoke`, which the Socket.IO extension's adapter
//! calls for `io.timeout(ms).emitWithAck(...)`, as the Socket.IO connections see it.
//!
//! The body is one Socket.IO `EVENT` (or `BINARY_EVENT` and its attachments) as an Engine.IO
//! payload. The extension sends it without an ack id (socket.io's own adapter numbers the
//! packet; the extension's does not), so the emulator gives each delivery an ack id of its
//! own, from a counter of its own that starts at 2^32: the ids a Socket.IO server numbers its
//! own acked emits with (from 0, per namespace) never reach it, so the client's `ACK` to an
//! invocation is told apart from its `ACK` to the server. That `ACK` (with its attachments)
//! is taken here, not passed to the server, and becomes one line of the invocation's answer:
//! `{"Payload":"<the ACK as an Engine.IO payload>"}`.
//!
//! The delivery goes through the connection's hub queue like any message, so it keeps its
//! place among the sends before and after it; [`Invocations::claim`] recognises it (the very
//! message, by identity) when the connection's task takes it from the queue, and turns it
//! into the connection's own packets. Everything is bounded: invocations in flight per hub
//! ([`MAX_PER_HUB`]), per connection ([`MAX_PER_CONNECTION`]), the time an invocation waits
//! ([`WAIT`]) and the answer bytes waiting for the caller to read them ([`MAX_UNREAD`]).
//!
//! This file reads no `Shared` (the state lives in [`super::Engines`], which `Shared` holds);
//! the REST operation that starts an invocation is `rest/invoke.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::engine::{self, Data, Kind, Packet};
use super::packet::{self, Header, Type};
use crate::emulator::message::Message;

/// Invocations in flight on one hub; more are refused (429).
pub(crate) const MAX_PER_HUB: usize = 128;
/// Invocations one connection may have unanswered; an invocation past it skips the
/// connection (as if it had gone).
pub(crate) const MAX_PER_CONNECTION: usize = 32;
/// How long an invocation waits for its answers before its body ends with those that came.
/// A Socket.IO server gives `timeout(ms)` per broadcast and socket.io has no default; a
/// minute covers the timeouts servers use, so a server sees its own timeout fire (with the
/// answers so far), as with socket.io, and not an answer cut short.
pub(crate) const WAIT: Duration = Duration::from_secs(60);
/// Answer bytes of one invocation waiting for the caller to read them; an answer past it is
/// dropped (counted as answered, without a line).
pub(crate) const MAX_UNREAD: usize = 16 * 1024 * 1024;
/// The first ack id the emulator gives a delivery (see the module doc).
const FIRST_ACK_ID: u64 = 1 << 32;

/// The event an invocation delivers, read from its body once for every target.
#[derive(Debug)]
pub(crate) struct Event {
    /// The packet's text up to where the ack id goes: type, attachment count, namespace.
    head: String,
    /// The packet's JSON data, after the ack id.
    data: String,
    /// The binary attachments that follow it.
    attachments: Vec<Packet>,
}

impl Event {
    /// Reads an invocation's body: an Engine.IO payload holding one Socket.IO `EVENT`, or a
    /// `BINARY_EVENT` followed by exactly its attachments.
    pub(crate) fn parse(payload: &str) -> Result<Event, &'static str> {
        let bad = |_| "The body is not an Engine.IO payload.";
        let mut packets = engine::decode_payload(payload).map_err(bad)?.into_iter();
        let Some(Packet {
            kind: Kind::Message,
            data: Data::Text(text),
        }) = packets.next()
        else {
            return Err("The body's first packet is not a Socket.IO packet.");
        };
        let header = packet::parse(&text).map_err(|m| m.0)?;
        let digit = match header.kind {
            Type::Event => '2',
            Type::BinaryEvent => '5',
            _ => return Err("The body's packet is not a Socket.IO EVENT."),
        };
        let attachments: Vec<Packet> = packets.collect();
        let all_binary = attachments
            .iter()
            .all(|p| matches!(p.data, Data::Binary(_)));
        if attachments.len() != header.attachments || !all_binary {
            return Err("The body's attachments are not the ones its packet announces.");
        }
        let mut head = digit.to_string();
        if header.attachments > 0 {
            head.push_str(&format!("{}-", header.attachments));
        }
        if header.namespace != "/" {
            head.push_str(&header.namespace);
            head.push(',');
        }
        Ok(Event {
            head,
            data: header.data,
            attachments,
        })
    }

    /// The event as one connection gets it: with its ack id.
    fn packets(&self, id: u64) -> Vec<Packet> {
        let text = format!("{}{id}{}", self.head, self.data);
        let mut packets = Vec::with_capacity(1 + self.attachments.len());
        packets.push(Packet::text(Kind::Message, text));
        packets.extend(self.attachments.iter().cloned());
        packets
    }
}

/// The invocations in flight, as the connections' tasks and the REST operation share them.
/// Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Invocations {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    /// Connections with something pending: when none has, a message taken from a queue is
    /// not looked up.
    busy: AtomicUsize,
    /// Test hook: [`WAIT`] in milliseconds, when set.
    wait_ms: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    conns: HashMap<String, Pending>,
    /// Invocations in flight by hub (lowercased, as hubs are named).
    hubs: HashMap<String, usize>,
    next_call: u64,
    /// Ack ids given so far (from [`FIRST_ACK_ID`]); never reused, so a late `ACK` to an
    /// invocation that is over matches nothing.
    next_ack: u64,
}

/// One connection's part in the invocations in flight.
#[derive(Debug, Default)]
struct Pending {
    /// Deliveries in the connection's hub queue, not yet taken by its task.
    queued: Vec<Queued>,
    /// Deliveries sent, by ack id, awaiting the client's `ACK`.
    sent: HashMap<u64, Reply>,
    /// A `BINARY_ACK` whose attachments are still arriving.
    capture: Option<Capture>,
}

impl Pending {
    fn len(&self) -> usize {
        self.queued.len() + self.sent.len() + usize::from(self.capture.is_some())
    }
}

#[derive(Debug)]
struct Queued {
    message: Arc<Message>,
    event: Arc<Event>,
    reply: Reply,
}

#[derive(Debug)]
struct Capture {
    reply: Reply,
    packets: Vec<Packet>,
    left: usize,
}

/// Where one connection's answer goes: the invocation's channel. Dropping it unsent counts
/// the connection as answered without a line.
#[derive(Debug, Clone)]
struct Reply {
    call: u64,
    tx: mpsc::Sender<Bytes>,
    unread: Arc<AtomicUsize>,
}

impl Reply {
    fn send(self, packets: &[Packet]) {
        let payload = engine::encode_payload(packets);
        let mut line = serde_json::json!({ "Payload": payload }).to_string();
        line.push('\n');
        let len = line.len();
        if self.unread.fetch_add(len, Ordering::Relaxed) + len > MAX_UNREAD {
            self.unread.fetch_sub(len, Ordering::Relaxed);
            return;
        }
        // The channel holds one line per target, so it has room; a caller gone is no matter.
        if self.tx.try_send(Bytes::from(line)).is_err() {
            self.unread.fetch_sub(len, Ordering::Relaxed);
        }
    }
}

impl Invocations {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps [`Inner::busy`] in step after a change to `conn`'s part.
    fn settle(&self, state: &mut State, conn: &str) {
        if state.conns.get(conn).is_some_and(|p| p.len() == 0) {
            state.conns.remove(conn);
        }
        self.inner.busy.store(state.conns.len(), Ordering::Relaxed);
    }

    /// Test hook: how long invocations wait ([`WAIT`] by default).
    pub(crate) fn set_wait(&self, wait: Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        self.inner.wait_ms.store(ms, Ordering::Relaxed);
    }

    fn wait(&self) -> Duration {
        match self.inner.wait_ms.load(Ordering::Relaxed) {
            0 => WAIT,
            ms => Duration::from_millis(ms),
        }
    }

    /// A new invocation on `hub` for up to `targets` connections; None when the hub has
    /// [`MAX_PER_HUB`] in flight.
    pub(crate) fn start(&self, hub: &str, targets: usize) -> Option<Call> {
        let hub = hub.to_ascii_lowercase();
        let mut state = self.lock();
        let count = state.hubs.entry(hub.clone()).or_default();
        if *count >= MAX_PER_HUB {
            return None;
        }
        *count += 1;
        state.next_call += 1;
        let id = state.next_call;
        drop(state);
        // One line per target at most: a reply never waits for room.
        let (tx, rx) = mpsc::channel(targets.max(1));
        Some(Call {
            id,
            hub,
            invocations: self.clone(),
            reply: Some(Reply {
                call: id,
                tx,
                unread: Arc::default(),
            }),
            rx,
            conns: Vec::new(),
            deadline: Instant::now() + self.wait(),
        })
    }

    /// Makes `message`, about to be queued for `conn`, one of `call`'s deliveries; false
    /// (the connection is skipped) when `alive` says its task has ended or it has
    /// [`MAX_PER_CONNECTION`] invocations unanswered. `alive` is asked under this state's
    /// lock, which the end of a connection's task takes after it is no longer alive, so a
    /// delivery is either refused here or dropped by [`Invocations::forget`].
    pub(crate) fn enlist(
        &self,
        call: &mut Call,
        conn: &str,
        message: &Arc<Message>,
        event: &Arc<Event>,
        alive: impl FnOnce() -> bool,
    ) -> bool {
        let Some(reply) = call.reply.as_ref() else {
            return false;
        };
        let mut state = self.lock();
        if !alive() || state.conns.get(conn).map_or(0, Pending::len) >= MAX_PER_CONNECTION {
            return false;
        }
        state
            .conns
            .entry(conn.to_string())
            .or_default()
            .queued
            .push(Queued {
                message: message.clone(),
                event: event.clone(),
                reply: reply.clone(),
            });
        self.settle(&mut state, conn);
        call.conns.push(conn.to_string());
        true
    }

    /// A message `conn`'s task took from its queue: when it is an invocation's delivery, the
    /// packets to send instead (the event with this delivery's ack id).
    pub(crate) fn claim(&self, conn: &str, message: &Arc<Message>) -> Option<Vec<Packet>> {
        if self.inner.busy.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut state = self.lock();
        let pending = state.conns.get_mut(conn)?;
        let at = pending
            .queued
            .iter()
            .position(|q| Arc::ptr_eq(&q.message, message))?;
        let queued = pending.queued.remove(at);
        let id = FIRST_ACK_ID + state.next_ack;
        state.next_ack += 1;
        if let Some(pending) = state.conns.get_mut(conn) {
            pending.sent.insert(id, queued.reply);
        }
        Some(queued.event.packets(id))
    }

    /// A client's Socket.IO packet (`text`, read as `header`): true when it is an `ACK` to
    /// one of its invocations, taken (and its attachments after it, see
    /// [`Invocations::attachment`]); otherwise it goes on as before.
    pub(crate) fn answer(&self, conn: &str, header: &Header, text: &str) -> bool {
        let (Type::Ack | Type::BinaryAck, Some(id)) = (header.kind, header.id) else {
            return false;
        };
        if self.inner.busy.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let mut state = self.lock();
        let Some(reply) = state.conns.get_mut(conn).and_then(|p| p.sent.remove(&id)) else {
            return false;
        };
        let packets = vec![Packet::text(Kind::Message, text)];
        if header.attachments == 0 {
            reply.send(&packets);
        } else if let Some(pending) = state.conns.get_mut(conn) {
            pending.capture = Some(Capture {
                reply,
                packets,
                left: header.attachments,
            });
        }
        self.settle(&mut state, conn);
        true
    }

    /// A binary packet from `conn`'s client: true when it is an attachment of an invocation's
    /// `ACK` (taken; the answer goes once the last one is in).
    pub(crate) fn attachment(&self, conn: &str, bytes: &Bytes) -> bool {
        if self.inner.busy.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let mut state = self.lock();
        let Some(pending) = state.conns.get_mut(conn) else {
            return false;
        };
        let Some(capture) = pending.capture.as_mut() else {
            return false;
        };
        capture.packets.push(Packet::binary(bytes.clone()));
        capture.left -= 1;
        if capture.left == 0 {
            if let Some(done) = pending.capture.take() {
                done.reply.send(&done.packets);
            }
        }
        self.settle(&mut state, conn);
        true
    }

    /// `conn`'s task ended: its invocations count it as answered.
    pub(crate) fn forget(&self, conn: &str) {
        let mut state = self.lock();
        state.conns.remove(conn);
        self.inner.busy.store(state.conns.len(), Ordering::Relaxed);
    }

    /// `call` is over: what is still pending of it goes. An `ACK` whose attachments are still
    /// arriving keeps being taken until its last one (they would reach the server without
    /// their packet otherwise); its answer then goes nowhere.
    fn end(&self, call: &Call) {
        let mut state = self.lock();
        for conn in &call.conns {
            if let Some(pending) = state.conns.get_mut(conn) {
                pending.queued.retain(|q| q.reply.call != call.id);
                pending.sent.retain(|_, r| r.call != call.id);
            }
            self.settle(&mut state, conn);
        }
        if let Some(count) = state.hubs.get_mut(&call.hub) {
            *count -= 1;
            if *count == 0 {
                state.hubs.remove(&call.hub);
            }
        }
    }
}

/// One invocation in flight: its slot on the hub, its deliveries, and the answers coming
/// back. Dropped (its body ended, or the caller went away), it lets go of all of them.
#[derive(Debug)]
pub(crate) struct Call {
    id: u64,
    hub: String,
    invocations: Invocations,
    /// The invocation's own sender, which deliveries clone; let go once they are out, so the
    /// channel closes when the last target has answered or gone.
    reply: Option<Reply>,
    rx: mpsc::Receiver<Bytes>,
    /// Connections enlisted.
    conns: Vec<String>,
    deadline: Instant,
}

impl Call {
    /// The answer's body: a line per `ACK`, as they come, until every target has answered
    /// or gone, or the wait is over.
    pub(crate) fn into_body(mut self) -> Body {
        let unread = self.reply.take().map(|r| r.unread).unwrap_or_default();
        let lines = futures_util::stream::unfold((self, unread), |(mut call, unread)| async move {
            let line = tokio::time::timeout_at(call.deadline, call.rx.recv()).await;
            let line = line.ok().flatten()?;
            unread.fetch_sub(line.len(), Ordering::Relaxed);
            Some((Ok::<_, std::convert::Infallible>(line), (call, unread)))
        });
        Body::from_stream(lines)
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.invocations.end(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::message::{DataKind, Source};

    fn message() -> Arc<Message> {
        Message::new(Source::Server, DataKind::Text, Bytes::from_static(b"x"))
    }

    #[test]
    fn an_event_is_read_and_numbered_per_delivery() {
        let e = Event::parse(r#"42/chat,["q",1]"#).expect("event");
        let text = |p: &Packet| p.ws_text().unwrap_or_default();
        assert_eq!(text(&e.packets(7)[0]), r#"42/chat,7["q",1]"#);
        // An ack id the caller gave is replaced.
        let e = Event::parse(r#"4212["q"]"#).expect("event");
        assert_eq!(text(&e.packets(9)[0]), r#"429["q"]"#);
        let e =
            Event::parse("451-[\"f\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID").expect("binary");
        let packets = e.packets(3);
        assert_eq!(
            text(&packets[0]),
            r#"451-3["f",{"_placeholder":true,"num":0}]"#
        );
        assert_eq!(packets[1], Packet::binary(Bytes::from_static(&[1, 2, 3])));
        for bad in [
            "",
            "40",
            r#"43["a"]"#,
            "2",
            "4x",
            r#"451-["f",{"_placeholder":true,"num":0}]"#,
            "42[\"a\"]\x1ebAQID",
        ] {
            assert!(Event::parse(bad).is_err(), "{bad:?} was taken");
        }
    }

    #[tokio::test]
    async fn answers_come_back_and_the_body_ends_when_every_target_has_answered_or_gone() {
        let inv = Invocations::default();
        let mut call = inv.start("Hub", 3).expect("a slot");
        let event = Arc::new(Event::parse(r#"42["q"]"#).expect("event"));
        let msg = message();
        for conn in ["a", "b", "c"] {
            assert!(inv.enlist(&mut call, conn, &msg, &event, || true));
        }
        assert!(!inv.enlist(&mut call, "gone", &msg, &event, || false));
        // An unrelated message is not claimed; the delivery is, with a fresh ack id each.
        assert_eq!(inv.claim("a", &message()), None);
        let sent = inv.claim("a", &msg).expect("claimed");
        let a_text = sent[0].ws_text().unwrap_or_default();
        assert_eq!(a_text, format!("42{FIRST_ACK_ID}[\"q\"]"));
        let sent = inv.claim("b", &msg).expect("claimed");
        assert_eq!(
            sent[0].ws_text().unwrap_or_default(),
            format!("42{}[\"q\"]", FIRST_ACK_ID + 1)
        );
        // a answers; an ACK with another id is not taken; b answers with an attachment; c goes.
        let ack = |t: &str| packet::parse(t).expect("ack");
        let other = format!("3{}[\"no\"]", FIRST_ACK_ID + 5);
        assert!(!inv.answer("a", &ack(&other), &other));
        let a = format!("3{FIRST_ACK_ID}[\"yes\"]");
        assert!(inv.answer("a", &ack(&a), &a));
        let b = format!(
            "61-{}[{{\"_placeholder\":true,\"num\":0}}]",
            FIRST_ACK_ID + 1
        );
        assert!(inv.answer("b", &ack(&b), &b));
        assert!(inv.attachment("b", &Bytes::from_static(&[1, 2, 3])));
        assert!(!inv.attachment("b", &Bytes::from_static(&[4])));
        inv.forget("c");
        let body = axum::body::to_bytes(call.into_body(), usize::MAX)
            .await
            .expect("body");
        let lines: Vec<serde_json::Value> = std::str::from_utf8(&body)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["Payload"], format!("4{a}"));
        assert_eq!(lines[1]["Payload"], format!("4{b}\x1ebAQID"));
        // Over: nothing pending is left, and the hub's slot is free.
        assert_eq!(inv.inner.busy.load(Ordering::Relaxed), 0);
        assert!(inv.lock().hubs.is_empty());
    }

    #[test]
    fn attachments_of_an_answer_are_taken_even_when_its_invocation_ends_between() {
        let inv = Invocations::default();
        let mut call = inv.start("hub", 1).expect("a slot");
        let event = Arc::new(Event::parse(r#"42["q"]"#).expect("event"));
        let msg = message();
        assert!(inv.enlist(&mut call, "a", &msg, &event, || true));
        inv.claim("a", &msg).expect("claimed");
        let ack = format!("62-{FIRST_ACK_ID}[{{\"_placeholder\":true,\"num\":0}},1]");
        assert!(inv.answer("a", &packet::parse(&ack).expect("ack"), &ack));
        drop(call);
        assert!(inv.attachment("a", &Bytes::from_static(&[1])));
        assert!(inv.attachment("a", &Bytes::from_static(&[2])));
        assert!(
            !inv.attachment("a", &Bytes::from_static(&[3])),
            "the client's own"
        );
        assert_eq!(inv.inner.busy.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn bounds_per_hub_and_per_connection_and_the_wait() {
        let inv = Invocations::default();
        inv.set_wait(Duration::from_millis(1));
        let mut calls: Vec<Call> = (0..MAX_PER_HUB)
            .map(|_| inv.start("hub", 1).expect("a slot"))
            .collect();
        assert!(inv.start("HUB", 1).is_none(), "the hub is full");
        assert!(inv.start("other", 1).is_some(), "another hub is not");
        let event = Arc::new(Event::parse(r#"42["q"]"#).expect("event"));
        let mut enlisted = 0;
        for call in calls.iter_mut().take(MAX_PER_CONNECTION + 1) {
            if inv.enlist(call, "a", &message(), &event, || true) {
                enlisted += 1;
            }
        }
        assert_eq!(enlisted, MAX_PER_CONNECTION);
        // A call whose target never answers ends at the wait, and lets go of its slot.
        let mut call = calls.pop().expect("a call");
        assert!(inv.enlist(&mut call, "b", &message(), &event, || true));
        let body = axum::body::to_bytes(call.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(body.is_empty());
        assert!(!inv.lock().conns.contains_key("b"));
        assert!(inv.start("hub", 1).is_some(), "its slot is free again");
    }
}

//! The activity bus: what happened in the emulator. Sessions, REST routes and the event
//! handlers publish on it; the dashboard's live log and `-v` are its readers.
//!
//! Every REST call, client message and event-handler call becomes one [`Event`]. Events go to
//! a bounded broadcast channel (live viewers) and a bounded ring (what a new viewer sees
//! first). Publishing never waits: a viewer that falls more than [`BUS_CAPACITY`] events
//! behind skips the ones it missed (it is told how many), and the emulator goes on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::Method;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::emulator::hub::Conn;
use crate::emulator::message::DataKind;
use crate::emulator::upstream::CallReport;

/// Events a live viewer may fall behind before it skips some.
pub(crate) const BUS_CAPACITY: usize = 1024;
/// Recent events kept for viewers that arrive later (and `GET /_emulator/api/activity`).
pub(crate) const RECENT_EVENTS: usize = 500;
/// How much of a message's data an event shows.
const PREVIEW_BYTES: usize = 200;

/// One thing that happened.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event {
    /// Increases by one per event, from 1; `Last-Event-ID` of the event stream.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub time: u64,
    /// The hub, when the event belongs to one.
    pub hub: Option<String>,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(crate) enum What {
    /// A data-plane REST call, answered.
    Rest {
        method: String,
        path: String,
        /// The SDK's name for the operation (`sendToGroup`), or `METHOD PATH` when unknown.
        operation: String,
        /// Whom the operation names (`group g1`, `user alice, group g1`).
        #[serde(skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        status: u16,
        ms: f64,
    },
    /// Something a WebSocket client did: connected, joined, sent, raised an event, left.
    Client {
        connection_id: String,
        user_id: Option<String>,
        protocol: &'static str,
        action: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<Preview>,
        /// Why the service refused it (or, for `disconnected`, why the connection ended).
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// One call to an event handler, retries included.
    Handler {
        event: String,
        connection_id: String,
        /// The final HTTP status; none when there was no answer (see `error`).
        status: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        attempts: u32,
        ms: f64,
        /// Query values redacted.
        url: String,
    },
    /// A server tunnel connection came or went, or served a REST call it sent.
    Tunnel {
        connection_id: String,
        /// `connected`, `disconnected` or `request`.
        action: &'static str,
        /// Why it went; the call and its answer.
        #[serde(skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

/// The start of a message's data.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Preview {
    pub data_type: &'static str,
    /// Its size in bytes.
    pub size: usize,
    /// Text and JSON: the first bytes as text; binary: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub truncated: bool,
}

impl Preview {
    fn new(kind: DataKind, data: &[u8]) -> Preview {
        let (text, truncated) = match kind {
            DataKind::Binary => (None, false),
            _ => {
                let mut end = data.len().min(PREVIEW_BYTES);
                // Cut on a character boundary: back up over UTF-8 continuation bytes.
                while end < data.len() && end > 0 && (data[end] & 0xC0) == 0x80 {
                    end -= 1;
                }
                let text = String::from_utf8_lossy(&data[..end]).into_owned();
                (Some(text), end < data.len())
            }
        };
        Preview {
            data_type: kind.as_str(),
            size: data.len(),
            text,
            truncated,
        }
    }
}

struct Ring {
    next_seq: u64,
    recent: VecDeque<Arc<Event>>,
}

/// The bus. One per emulator.
pub(crate) struct Activity {
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Arc<Event>>,
    verbose: u8,
}

impl std::fmt::Debug for Activity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activity").finish_non_exhaustive()
    }
}

impl Activity {
    pub fn new(verbose: u8) -> Activity {
        let (tx, _) = broadcast::channel(BUS_CAPACITY);
        Activity {
            ring: Mutex::new(Ring {
                next_seq: 1,
                recent: VecDeque::with_capacity(RECENT_EVENTS),
            }),
            tx,
            verbose,
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Numbers the event, keeps it and hands it to live viewers. The ring's lock is held
    /// across the send so that a new viewer (see [`Activity::subscribe`]) sees each event
    /// exactly once, in order; `send` never waits.
    fn publish(&self, hub: Option<String>, what: What) {
        let mut ring = self.ring();
        let event = Arc::new(Event {
            seq: ring.next_seq,
            time: now_ms(),
            hub,
            what,
        });
        ring.next_seq += 1;
        if ring.recent.len() == RECENT_EVENTS {
            ring.recent.pop_front();
        }
        ring.recent.push_back(event.clone());
        // No viewer is not an error.
        let _ = self.tx.send(event);
    }

    /// The recent events after `after` (all, without it), and the live events that follow.
    pub fn subscribe(
        &self,
        after: Option<u64>,
    ) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        let ring = self.ring();
        let rx = self.tx.subscribe();
        let recent = ring
            .recent
            .iter()
            .filter(|e| after.is_none_or(|a| e.seq > a))
            .cloned()
            .collect();
        (recent, rx)
    }

    /// The recent events, oldest first.
    pub fn recent(&self) -> Vec<Arc<Event>> {
        self.ring().recent.iter().cloned().collect()
    }

    /// A REST call and its answer (`rest::handle` calls this for every request).
    pub fn rest_call(&self, method: &Method, path: &str, status: u16, elapsed: Duration) {
        let (hub, operation, target) = describe_rest(method, path);
        self.publish(
            hub,
            What::Rest {
                method: method.to_string(),
                path: path.to_string(),
                operation,
                target,
                status,
                ms: millis(elapsed),
            },
        );
    }

    /// A call to an event handler (the upstream reporter calls this).
    pub fn handler_call(&self, call: &CallReport) {
        let (status, error) = match &call.outcome {
            Ok(status) => (Some(*status), None),
            Err(why) => (None, Some(why.clone())),
        };
        self.publish(
            Some(call.hub.clone()),
            What::Handler {
                event: call.event.clone(),
                connection_id: call.connection_id.clone(),
                status,
                error,
                attempts: call.attempts,
                ms: millis(call.elapsed),
                url: call.url.clone(),
            },
        );
    }

    /// A tunnel connection's coming, going (`detail`: why) or REST call (`detail`: the call).
    pub fn tunnel(
        &self,
        hub: &str,
        connection_id: &str,
        action: &'static str,
        detail: Option<&str>,
    ) {
        self.publish(
            Some(hub.to_string()),
            What::Tunnel {
                connection_id: connection_id.to_string(),
                action,
                detail: detail.map(str::to_string),
            },
        );
    }

    /// What one WebSocket connection reports through.
    pub fn client(self: &Arc<Self>, hub: &str, conn: &Arc<Conn>) -> ClientTap {
        ClientTap {
            activity: self.clone(),
            hub: hub.to_string(),
            conn: conn.clone(),
        }
    }
}

/// One connection's reports: the session holds it and calls it as its client acts.
#[derive(Debug)]
pub(crate) struct ClientTap {
    activity: Arc<Activity>,
    hub: String,
    /// Its id, user and protocol (held, not copied: a tap lives as long as its connection).
    conn: Arc<Conn>,
}

impl ClientTap {
    pub fn connected(&self) {
        self.publish("connected", None, None, None, None);
    }

    pub fn disconnected(&self, reason: &str) {
        let reason = (!reason.is_empty()).then_some(reason);
        self.publish("disconnected", None, None, None, reason);
    }

    /// A client message: `action` is its type (`joinGroup`, `sendToGroup`, `event`, ...);
    /// `error` is why it was refused.
    pub fn message(
        &self,
        action: &'static str,
        group: Option<&str>,
        event: Option<&str>,
        data: Option<(DataKind, &[u8])>,
        error: Option<&str>,
    ) {
        if self.activity.verbose >= 1 {
            let mut line = format!("emulator: client {} {action}", self.conn.id);
            if let Some(g) = group {
                line.push_str(&format!(" group={g}"));
            }
            if let Some(e) = event {
                line.push_str(&format!(" event={e}"));
            }
            if let Some((_, d)) = data {
                line.push_str(&format!(" ({} bytes)", d.len()));
            }
            match error {
                None => line.push_str(" -> ok"),
                Some(why) => line.push_str(&format!(" -> refused: {why}")),
            }
            eprintln!("{line}");
        }
        self.publish(action, group, event, data, error);
    }

    fn publish(
        &self,
        action: &'static str,
        group: Option<&str>,
        event: Option<&str>,
        data: Option<(DataKind, &[u8])>,
        error: Option<&str>,
    ) {
        self.activity.publish(
            Some(self.hub.clone()),
            What::Client {
                connection_id: self.conn.id.clone(),
                user_id: self.conn.user_id.clone(),
                protocol: self.conn.protocol.name().unwrap_or("raw"),
                action,
                group: group.map(str::to_string),
                event: event.map(str::to_string),
                data: data.map(|(kind, bytes)| Preview::new(kind, bytes)),
                error: error.map(str::to_string),
            },
        );
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Milliseconds with a tenth's precision (most calls take well under one).
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The hub, the operation's name as the SDKs call it, and whom it names, from a REST path.
fn describe_rest(method: &Method, path: &str) -> (Option<String>, String, Option<String>) {
    let decoded: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
    let unknown = || format!("{method} {path}");
    if segs == ["api", "health"] {
        return (None, "healthCheck".into(), None);
    }
    let ["api", "hubs", hub, rest @ ..] = segs.as_slice() else {
        return (None, unknown(), None);
    };
    let m = method.as_str();
    let (op, target) = match (m, rest) {
        ("POST", [":send"]) => ("sendToAll", None),
        ("POST", ["groups", g, ":send"]) => ("sendToGroup", Some(group_target(g))),
        ("POST", ["users", u, ":send"]) => ("sendToUser", Some(format!("user {u}"))),
        ("POST", ["connections", c, ":send"]) => {
            ("sendToConnection", Some(format!("connection {c}")))
        }
        ("PUT", ["groups", g, "connections", c]) => (
            "addConnectionToGroup",
            Some(format!("connection {c}, {}", group_target(g))),
        ),
        ("DELETE", ["groups", g, "connections", c]) => (
            "removeConnectionFromGroup",
            Some(format!("connection {c}, {}", group_target(g))),
        ),
        ("DELETE", ["connections", c, "groups"]) => (
            "removeConnectionFromAllGroups",
            Some(format!("connection {c}")),
        ),
        ("PUT", ["users", u, "groups", g]) => (
            "addUserToGroup",
            Some(format!("user {u}, {}", group_target(g))),
        ),
        ("DELETE", ["users", u, "groups", g]) => (
            "removeUserFromGroup",
            Some(format!("user {u}, {}", group_target(g))),
        ),
        ("DELETE", ["users", u, "groups"]) => {
            ("removeUserFromAllGroups", Some(format!("user {u}")))
        }
        ("POST", [":closeConnections"]) => ("closeAllConnections", None),
        ("POST", ["groups", g, ":closeConnections"]) => {
            ("closeGroupConnections", Some(group_target(g)))
        }
        ("POST", ["users", u, ":closeConnections"]) => {
            ("closeUserConnections", Some(format!("user {u}")))
        }
        ("DELETE", ["connections", c]) => ("closeConnection", Some(format!("connection {c}"))),
        ("HEAD", ["connections", c]) => ("connectionExists", Some(format!("connection {c}"))),
        ("HEAD", ["users", u]) => ("userExists", Some(format!("user {u}"))),
        ("HEAD", ["groups", g]) => ("groupExists", Some(group_target(g))),
        (verb @ ("PUT" | "DELETE" | "HEAD"), ["permissions", p, "connections", c]) => (
            match verb {
                "PUT" => "grantPermission",
                "DELETE" => "revokePermission",
                _ => "checkPermission",
            },
            Some(format!("{p}, connection {c}")),
        ),
        ("POST", [":addToGroups"]) => ("addConnectionsToGroups", None),
        ("POST", [":removeFromGroups"]) => ("removeConnectionsFromGroups", None),
        ("GET", ["groups", g, "connections"]) => ("listConnectionsInGroup", Some(group_target(g))),
        ("POST", [":generateToken"]) => ("getClientAccessToken", None),
        // The Socket.IO extension's broadcast with acknowledgements.
        ("POST", [":invoke"]) => ("invoke", None),
        _ => return (Some(hub.to_ascii_lowercase()), unknown(), None),
    };
    (Some(hub.to_ascii_lowercase()), op.to_string(), target)
}

/// A group as a REST call's target: a Socket.IO room's group also by the room's name.
fn group_target(group: &str) -> String {
    match super::socketio::rooms::of_group(group) {
        Some(room) => format!("group {group} ({room})"),
        None => format!("group {group}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_paths_are_named_as_the_sdks_name_them() {
        let d = |m: Method, p: &str| describe_rest(&m, p);
        assert_eq!(
            d(Method::POST, "/api/hubs/Chat/groups/g%201/:send"),
            (
                Some("chat".into()),
                "sendToGroup".into(),
                Some("group g 1".into())
            )
        );
        assert_eq!(
            d(
                Method::PUT,
                "/api/hubs/chat/permissions/sendToGroup/connections/c1"
            )
            .1,
            "grantPermission"
        );
        assert_eq!(
            d(
                Method::PUT,
                "/api/hubs/chat/groups/0~L2NoYXQ~bG9iYnk/connections/c1"
            )
            .2,
            Some("connection c1, group 0~L2NoYXQ~bG9iYnk (namespace /chat, room lobby)".into())
        );
        assert_eq!(d(Method::POST, "/api/hubs/chat/:invoke").1, "invoke");
        assert_eq!(d(Method::HEAD, "/api/health").1, "healthCheck");
        assert_eq!(d(Method::GET, "/api/nothing").1, "GET /api/nothing");
    }

    #[test]
    fn the_ring_keeps_the_latest_and_viewers_resume_after_an_id() {
        let bus = Activity::new(0);
        for _ in 0..RECENT_EVENTS + 3 {
            bus.rest_call(&Method::POST, "/api/hubs/chat/:send", 202, Duration::ZERO);
        }
        let recent = bus.recent();
        assert_eq!(recent.len(), RECENT_EVENTS);
        assert_eq!(recent[0].seq, 4);
        let (after, mut rx) = bus.subscribe(Some(RECENT_EVENTS as u64 + 1));
        assert_eq!(after.len(), 2);
        bus.rest_call(&Method::POST, "/api/hubs/chat/:send", 202, Duration::ZERO);
        assert_eq!(rx.try_recv().unwrap().seq, RECENT_EVENTS as u64 + 4);
    }

    #[test]
    fn a_slow_viewer_skips_and_never_blocks_the_emulator() {
        let bus = Activity::new(0);
        let (_, mut rx) = bus.subscribe(None);
        for _ in 0..BUS_CAPACITY + 10 {
            bus.rest_call(&Method::GET, "/", 200, Duration::ZERO);
        }
        assert!(matches!(
            rx.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(10))
        ));
        assert_eq!(rx.try_recv().unwrap().seq, 11);
    }

    #[test]
    fn previews_cut_on_a_character_boundary() {
        let text = "é".repeat(150);
        let p = Preview::new(DataKind::Text, text.as_bytes());
        assert!(p.truncated);
        assert_eq!(p.text.as_deref(), Some("é".repeat(100).as_str()));
        let p = Preview::new(DataKind::Binary, &[1, 2, 3]);
        assert_eq!((p.size, p.text), (3, None));
        let json = serde_json::to_value(What::Client {
            connection_id: "c".into(),
            user_id: None,
            protocol: "raw",
            action: "connected",
            group: None,
            event: None,
            data: None,
            error: None,
        })
        .unwrap();
        assert_eq!(json["kind"], "client");
        assert_eq!(json["connectionId"], "c");
    }
}

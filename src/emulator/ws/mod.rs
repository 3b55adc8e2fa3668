//! The client endpoint `/client/hubs/{hub}`: plain WebSockets, the JSON and the protobuf
//! subprotocols.
//!
//! - `handshake`: the upgrade request: token, subprotocol, recovery requests;
//! - `session`: one task per connection that owns its outbound queue and its socket (which a
//!   fan-out may write a message to directly while the task is idle, `emulator/wire.rs`); it
//!   reads each frame with the connection's codec and hands the request to `requests`;
//! - `protocol`: what both subprotocols share: the requests, acks, ackIds and limits;
//! - `json`, `protobuf`: codecs only: a frame into a request, and the service's own frames;
//! - `replies`: connected, disconnected, acks and pong in the connection's framing;
//! - `requests`: what a request does (join, leave, send, event, acks), whichever codec read it;
//! - `events`: user events on their way to the event handler, one worker per connection;
//! - `reliable`: sequence ids, the unacknowledged buffer and reconnection;
//! - `socket`: writing and closing a WebSocket, for every session here and MQTT's.
//!
//! Imports go one way, down this order, so no two files import each other and a codec can
//! be read (and tested) without the session: `handshake` > `session` > `requests` >
//! `events` > `replies` > `json`, `protobuf` > `protocol`; `reliable` > `socket` sit below
//! `handshake`, `session` and `requests`. This file only declares and re-exports, so no file
//! imports it back. `requests` borrows the session's parts (`requests::Context`) rather than
//! adding to `impl Session`, which would make it import `session` back.

mod events;
mod handshake;
mod json;
mod protobuf;
mod protocol;
pub(crate) mod reliable;
mod replies;
mod requests;
mod session;
mod socket;

pub(crate) use handshake::{check, connect_request};
pub(crate) use reliable::{ReconnectKeys, Sessions, RECOVERY_WINDOW_MS};
pub(crate) use socket::{flush, send_frame};

/// How long a client may stay silent before it is pinged, by default.
pub(crate) const KEEPALIVE_MS: u64 = 20_000;

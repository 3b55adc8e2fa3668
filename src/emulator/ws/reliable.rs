//! `json.reliable.webpubsub.azure.v1` and `protobuf.reliable.webpubsub.azure.v1`: numbered
//! messages kept until acknowledged, and the reconnection tokens and session hand-over that
//! let a client recover its connection.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use futures_util::SinkExt;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::socket::close_frame;
use crate::emulator::message::Message;
use crate::emulator::transport::WebSocket;

/// How long a reliable connection waits for its client to recover it, by default.
pub(crate) const RECOVERY_WINDOW_MS: u64 = 30_000;
const MAX_UNACKED: usize = 1000;
const MAX_UNACKED_BYTES: usize = 16 * 1024 * 1024;
/// Reconnection tokens live about a week, as the service's do.
const RECONNECTION_TOKEN_SECS: u64 = 7 * 24 * 3600;

pub(super) const BUFFER_FULL: &str = "The reliable message buffer is full.";
pub(super) const NOT_RECOVERED: &str = "The connection could not be recovered.";

/// Sessions that can take over a new socket, by connection id.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    attach: Mutex<HashMap<String, mpsc::Sender<WebSocket>>>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, mpsc::Sender<WebSocket>>> {
        self.attach.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a connection recoverable; recovered sockets arrive on the returned receiver.
    pub(super) fn register(&self, id: &str) -> mpsc::Receiver<WebSocket> {
        // One socket waits at most: a burst of recovery requests for one connection is
        // refused beyond that, not queued.
        let (tx, rx) = mpsc::channel(1);
        self.lock().insert(id.to_string(), tx);
        rx
    }

    pub(super) fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    pub(super) fn get(&self, id: &str) -> Option<mpsc::Sender<WebSocket>> {
        self.lock().get(id).cloned()
    }
}

/// Issues and checks reconnection tokens: JWTs signed with the access key whose `aud` is the
/// connection id, so a token recovers exactly one connection.
pub(crate) struct ReconnectKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for ReconnectKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReconnectKeys(<redacted>)")
    }
}

impl ReconnectKeys {
    pub(crate) fn new(access_key: &str) -> Self {
        ReconnectKeys {
            encoding: EncodingKey::from_secret(access_key.as_bytes()),
            decoding: DecodingKey::from_secret(access_key.as_bytes()),
        }
    }

    pub(super) fn issue(&self, connection_id: &str) -> Option<String> {
        let exp = crate::client::now_secs() + RECONNECTION_TOKEN_SECS;
        let claims = json!({"aud": connection_id, "exp": exp});
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).ok()
    }

    pub(super) fn check(&self, token: &str, connection_id: &str) -> bool {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[connection_id]);
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &self.decoding, &validation)
            .is_ok()
    }
}

/// A failed recovery is still upgraded, then closed with 1008 so clients stop retrying.
pub(super) async fn refuse(mut socket: WebSocket) {
    let _ = socket.send(close_frame(1008, NOT_RECOVERED)).await;
}

/// Sent but not yet acknowledged frames (JSON text or protobuf binary), oldest first.
#[derive(Debug, Default)]
pub(super) struct Buffer {
    /// Last `sequenceId` given out.
    sequence: u64,
    unacked: VecDeque<(u64, WsMessage)>,
    bytes: usize,
}

impl Buffer {
    /// Numbers a message in the connection's framing and keeps it until acknowledged; None
    /// when the buffer is full.
    pub fn push(&mut self, msg: &Message, protobuf: bool) -> Option<WsMessage> {
        self.sequence += 1;
        let frame = if protobuf {
            WsMessage::Binary(msg.sequenced_protobuf(self.sequence))
        } else {
            WsMessage::Text(msg.sequenced_text(self.sequence))
        };
        self.bytes += frame_len(&frame);
        self.unacked.push_back((self.sequence, frame.clone()));
        if self.unacked.len() > MAX_UNACKED || self.bytes > MAX_UNACKED_BYTES {
            return None;
        }
        Some(frame)
    }

    /// `sequenceAck`: drops every frame up to and including `upto`.
    pub fn ack(&mut self, upto: u64) {
        while let Some((seq, frame)) = self.unacked.front() {
            if *seq > upto {
                break;
            }
            self.bytes -= frame_len(frame);
            self.unacked.pop_front();
        }
    }

    /// The frames to send again on a recovered socket, in order.
    pub fn pending(&self) -> Vec<WsMessage> {
        self.unacked.iter().map(|(_, f)| f.clone()).collect()
    }
}

fn frame_len(frame: &WsMessage) -> usize {
    match frame {
        WsMessage::Text(text) => text.len(),
        WsMessage::Binary(bytes) => bytes.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnection_token_is_bound_to_one_connection() {
        let keys = ReconnectKeys::new("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH");
        let token = keys.issue("c1").expect("signs");
        assert!(keys.check(&token, "c1"));
        assert!(!keys.check(&token, "c2"));
        assert!(!ReconnectKeys::new("another-key-another-key-another-key").check(&token, "c1"));
        assert!(!keys.check("garbage", "c1"));
    }
}

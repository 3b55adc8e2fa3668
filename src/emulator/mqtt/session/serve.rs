//! The loop of one MQTT connection: a resumed session's unacknowledged messages again, then
//! queued messages out, the handler's answers to user events, packets in (read as a stream, a
//! packet may span frames), the keep-alive deadline and the emulator's stop, until one side
//! ends it; then the DISCONNECT (5.0) and the close. What each packet does is `packets`'s.
//! Imports `state` and `socket`, and calls the methods `packets` adds.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::socket::{close, send};
use super::state::{End, Session};
use crate::emulator::mqtt::codec::{self, Goodbye};
use crate::emulator::mqtt::MAX_PACKET;
use crate::emulator::shared::stopped;
use crate::emulator::transport::WebSocket;
use crate::emulator::upstream;

impl Session {
    pub(super) async fn serve(&mut self, socket: &mut WebSocket) {
        // A resumed session's unacknowledged messages first, then what waited in its queue.
        let again: Vec<_> = self.inflight.resend().collect();
        for packet in again {
            if send(socket, packet).await.is_err() {
                self.end_reason = "The connection was lost.".into();
                self.event_reason = Some(self.end_reason.clone());
                return;
            }
        }
        let mut stopping = self.shared.stopping.clone();
        // MQTT: one and a half keep-alive periods without a packet and the client is gone.
        let allowance =
            (self.keep_alive > 0).then(|| Duration::from_millis(u64::from(self.keep_alive) * 1500));
        let mut deadline = allowance.map(|a| Instant::now() + a);
        let end = loop {
            // Biased, queue first, as in `ws::session`: a fan-out's wake polls nothing else,
            // and a full queue (overflow) always wakes this branch.
            tokio::select! {
                biased;
                out = self.rx.recv() => {
                    if self.conn.is_overflowed() {
                        break End::Quit(Goodbye::QuotaExceeded, "The connection's outbound queue is full.".into());
                    }
                    match self.outbound(out) {
                        Ok(Some(bytes)) => {
                            if send(socket, bytes).await.is_err() {
                                break End::Gone;
                            }
                        }
                        Ok(None) => {}
                        Err(end) => break end,
                    }
                }
                done = self.events.done() => {
                    match self.on_event_done(done) {
                        Ok(packets) => {
                            let mut lost = false;
                            for bytes in packets {
                                if send(socket, bytes).await.is_err() {
                                    lost = true;
                                    break;
                                }
                            }
                            if lost {
                                break End::Gone;
                            }
                        }
                        Err(end) => break end,
                    }
                }
                incoming = socket.next() => {
                    if let Some(a) = allowance {
                        deadline = Some(Instant::now() + a);
                    }
                    match incoming {
                        Some(Ok(WsMessage::Binary(data))) => {
                            self.buf.extend_from_slice(&data);
                            match self.packets(socket).await {
                                Ok(()) => {}
                                Err(end) => break end,
                            }
                            if self.clean {
                                break End::Gone;
                            }
                        }
                        Some(Ok(WsMessage::Text(_))) => {
                            // MQTT over WebSocket is binary frames only (MQTT 5 §6).
                            break End::Quit(Goodbye::ProtocolError, "MQTT packets must be sent in binary frames.".into());
                        }
                        Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break End::Gone,
                        Some(Ok(_)) => {}
                    }
                }
                () = until(deadline) => {
                    break End::Quit(Goodbye::KeepAliveTimeout, "Keep-alive timeout.".into());
                }
                _ = stopped(&mut stopping) => {
                    break End::Quit(Goodbye::ShuttingDown, "The emulator is stopping.".into());
                }
            }
        };
        match end {
            End::Quit(why, reason) => {
                if let Some(bytes) = codec::disconnect(self.version, why, &reason) {
                    let _ = send(socket, bytes).await;
                    self.ended = upstream::mqtt::MqttDisconnected {
                        initiated_by_client: false,
                        packet: Some((why.code(), None)),
                    };
                }
                if matches!(
                    why,
                    Goodbye::Administrative
                        | Goodbye::SessionTakenOver
                        | Goodbye::ShuttingDown
                        | Goodbye::QuotaExceeded
                ) {
                    self.keepable = false;
                }
                self.end_reason = reason.clone();
                self.event_reason = Some(reason.clone());
                close(socket, 1000, &reason).await;
            }
            End::Gone => {
                if self.end_reason.is_empty() && !self.clean {
                    self.end_reason = "The connection was lost.".into();
                    self.event_reason = Some(self.end_reason.clone());
                }
                close(socket, 1000, "").await;
            }
        }
    }

    /// Handles every whole packet in the buffer, writing the replies.
    async fn packets(&mut self, socket: &mut WebSocket) -> Result<(), End> {
        loop {
            let packet = match codec::read(&mut self.buf, Some(self.version), MAX_PACKET) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(codec::ReadError::TooLarge) => {
                    return Err(End::Quit(
                        Goodbye::TooLarge,
                        "The packet is too large.".into(),
                    ))
                }
                Err(codec::ReadError::Malformed(why)) => {
                    return Err(End::Quit(
                        Goodbye::Malformed,
                        format!("Malformed packet: {why}."),
                    ))
                }
                Err(codec::ReadError::UnsupportedVersion) => {
                    return Err(End::Quit(
                        Goodbye::ProtocolError,
                        "A second CONNECT.".into(),
                    ))
                }
            };
            if let Some(reply) = self.on_packet(packet)? {
                if send(socket, reply).await.is_err() {
                    return Err(End::Gone);
                }
            }
            if self.clean {
                return Ok(());
            }
        }
    }
}

/// Resolves at the deadline; never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

//! Writing MQTT to the WebSocket: packets in a binary frame, and the close handshake with
//! its wait for the echo. Apart because both the session's course and its loop write, and
//! neither should import the other for it. Imports no sibling.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::emulator::transport::WebSocket;
use crate::emulator::ws::send_frame;

const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// One packet (or several) in a binary frame.
pub(super) async fn send(socket: &mut WebSocket, bytes: Bytes) -> Result<(), ()> {
    send_frame(socket, WsMessage::Binary(bytes), None)
        .await
        .map_err(|_| ())
}

/// A close frame, then a short wait for the echo.
pub(super) async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let reason: String = reason.chars().take(60).collect();
    let frame = WsMessage::Close(Some(CloseFrame {
        code: code.into(),
        reason: reason.into(),
    }));
    if let Ok(Ok(())) = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(frame)).await {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            while let Some(Ok(_)) = socket.next().await {}
        })
        .await;
    }
}

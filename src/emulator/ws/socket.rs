//! Writing to and closing a client's WebSocket, for every WebSocket session (json,
//! protobuf, plain, MQTT): the frame limit, the write deadline, close frames.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message as WsMessage};

use crate::emulator::hub::Conn;
use crate::emulator::transport::WebSocket;

/// The service's client frame limit (1 MiB). The WebSocket library refuses a longer frame
/// from its header, so a client cannot make us buffer more than this for a frame in progress.
pub(super) const MAX_FRAME: usize = 1024 * 1024;
/// A write the client does not take within this long means the client is gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a close handshake may take before the TCP connection is dropped anyway.
pub(super) const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Close frame payloads are at most 125 bytes, two of them the code.
const MAX_CLOSE_REASON: usize = 123;

/// A close frame; the reason is cut to the 123 bytes a control frame can carry (the full
/// text still goes out in `disconnected`).
pub(super) fn close_frame(code: u16, reason: &str) -> WsMessage {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    WsMessage::Close(Some(CloseFrame {
        code: code.into(),
        reason: reason[..end].into(),
    }))
}

/// Why a frame did not go out.
pub(crate) enum Unsent {
    /// The client did not take it within [`WRITE_TIMEOUT`], or the socket failed.
    Lost,
    /// The connection's queue overflowed while the client was not taking it.
    Overflowed,
}

/// Writes one frame, for every WebSocket session (json, protobuf, plain, MQTT). Nearly always
/// the socket takes it at once: then no timer and no overflow watch are set up (both take a
/// lock), which is most of a fan-out's cost per client. Otherwise the client has
/// [`WRITE_TIMEOUT`] to take it, and with `conn` the wait ends when its queue overflows.
pub(crate) async fn send_frame(
    socket: &mut WebSocket,
    frame: WsMessage,
    conn: Option<&Conn>,
) -> Result<(), Unsent> {
    finish(socket.send(frame), conn).await
}

/// Sends the rest of a frame the fan-out wrote straight to the socket (`wire.rs`), with the
/// same deadline and overflow watch as a frame of the session's own.
pub(crate) async fn flush(socket: &mut WebSocket, conn: &Conn) -> Result<(), Unsent> {
    finish(SinkExt::<WsMessage>::flush(socket), Some(conn)).await
}

async fn finish(
    send: impl Future<Output = Result<(), Error>>,
    conn: Option<&Conn>,
) -> Result<(), Unsent> {
    let mut send = std::pin::pin!(send);
    match std::future::poll_fn(|cx| Poll::Ready(send.as_mut().poll(cx))).await {
        Poll::Ready(Ok(())) => return Ok(()),
        Poll::Ready(Err(_)) => return Err(Unsent::Lost),
        Poll::Pending => {}
    }
    // Boxed: this rare path stays out of every session's future.
    Box::pin(async move {
        let overflowed = async {
            match conn {
                Some(conn) => conn.overflowed().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            sent = tokio::time::timeout(WRITE_TIMEOUT, send) => match sent {
                Ok(Ok(())) => Ok(()),
                _ => Err(Unsent::Lost),
            },
            () = overflowed => Err(Unsent::Overflowed),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_control_frame() {
        let long = "é".repeat(100);
        let WsMessage::Close(Some(frame)) = close_frame(1000, &long) else {
            panic!("not a close frame");
        };
        assert_eq!(frame.reason.len(), 122);
        assert!(long.starts_with(frame.reason.as_str()));
    }
}

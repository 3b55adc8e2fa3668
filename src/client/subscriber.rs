//! A WebSocket client of the service's client endpoint, for `wps listen`, `wps client` and
//! `wps demo`; [`super::session`] keeps one alive across drops.

use futures_util::{SinkExt, StreamExt};
use prost::Message as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::proto::json::{downstream_to_json, upstream_from_json};
use super::proto::DownstreamMessage;
use super::{ClientError, Protocol};

/// How long [`Subscriber::close`] waits for the service to answer its close frame.
pub const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What arrives on a client connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A JSON frame of a `json.*.webpubsub.azure.v1` subprotocol, as sent; or a protobuf
    /// frame of a `protobuf.*.webpubsub.azure.v1` subprotocol in the same JSON shape.
    Json(serde_json::Value),
    /// A text frame on a plain WebSocket (or a non-JSON text frame).
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The service closed the connection.
    Closed {
        /// WebSocket close code (1005 when the close frame carried none).
        code: u16,
        /// Close reason as sent, possibly empty.
        reason: String,
    },
}

/// A failed read: the server breaking the protocol ([`ClientError::Protocol`]) told apart from
/// the transport failing ([`ClientError::Transport`]), since only the second may heal by
/// connecting again.
fn read_error(e: tokio_tungstenite::tungstenite::Error) -> ClientError {
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    use tokio_tungstenite::tungstenite::Error;
    match e {
        // A connection cut without a close frame is a drop, not a broken frame.
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => ClientError::Transport {
            attempts: 1,
            detail: format!("WebSocket error: {e}"),
        },
        Error::Protocol(_) | Error::Capacity(_) | Error::Utf8(_) | Error::AttackAttempt => {
            ClientError::Protocol {
                detail: e.to_string(),
            }
        }
        other => ClientError::Transport {
            attempts: 1,
            detail: format!("WebSocket error: {other}"),
        },
    }
}

/// One open WebSocket connection to the client endpoint
/// (`/client/hubs/{hub}`), receiving what the REST API sends to it.
///
/// Get the URL from [`client_access_token`](super::client_access_token) (key) or
/// `Client::generate_client_token` (Entra ID), then [`connect`](Self::connect) and
/// read with [`next`](Self::next).
pub struct Subscriber {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The subprotocol the service chose (Raw when none).
    protocol: Protocol,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("protocol", &self.protocol)
            .finish()
    }
}

impl Subscriber {
    /// Connects to a client access URL (`ws[s]://.../client/hubs/{hub}?access_token=...`),
    /// offering `subprotocol` if given. The URL holds a token, so errors never repeat it.
    pub async fn connect(url: &str, subprotocol: Option<&str>) -> Result<Self, ClientError> {
        let shown = url.split('?').next().unwrap_or("");
        let mut request = url
            .into_client_request()
            .map_err(|e| ClientError::Invalid(format!("invalid client URL {shown}: {e}")))?;
        if let Some(p) = subprotocol {
            let value = HeaderValue::from_str(p)
                .map_err(|_| ClientError::Invalid(format!("invalid subprotocol '{p}'")))?;
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", value);
        }
        let tls = match request.uri().scheme_str() {
            Some("wss") => Some(tokio_tungstenite::Connector::Rustls(
                super::roots::websocket_tls()?,
            )),
            _ => None,
        };
        let (socket, response) =
            tokio_tungstenite::connect_async_tls_with_config(request, None, false, tls)
                .await
                .map_err(|e| connect_error(shown, e))?;
        let chosen = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        // A subprotocol we do not know is read as JSON, as before.
        let protocol = match (chosen, Protocol::from_subprotocol(chosen)) {
            (Some(_), Protocol::Raw) => Protocol::Json,
            (_, known) => known,
        };
        Ok(Subscriber { socket, protocol })
    }

    /// The subprotocol the service chose (`Raw` when it chose none).
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The next event; `None` once the connection is gone. A frame that breaks the protocol
    /// is a [`ClientError::Protocol`]; any other failure a [`ClientError::Transport`].
    pub async fn next(&mut self) -> Result<Option<Event>, ClientError> {
        loop {
            let Some(frame) = self.socket.next().await else {
                return Ok(None);
            };
            let frame = frame.map_err(read_error)?;
            let json = self.protocol != Protocol::Raw;
            return Ok(Some(match frame {
                Message::Binary(b) if self.protocol.is_protobuf() => {
                    match DownstreamMessage::decode(b.clone())
                        .ok()
                        .and_then(downstream_to_json)
                    {
                        Some(v) => Event::Json(v),
                        None => Event::Binary(b.to_vec()),
                    }
                }
                Message::Text(t) if json => match serde_json::from_str(&t) {
                    Ok(v) => Event::Json(v),
                    Err(_) => Event::Text(t.to_string()),
                },
                Message::Text(t) => Event::Text(t.to_string()),
                Message::Binary(b) => Event::Binary(b.to_vec()),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((u16::from(CloseCode::Status), String::new()));
                    Event::Closed { code, reason }
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            }));
        }
    }

    /// Sends one JSON-protocol message (subprotocol clients); a protobuf client sends it as
    /// the protobuf request it stands for.
    pub async fn send_json(&mut self, value: &serde_json::Value) -> Result<(), ClientError> {
        let frame = if self.protocol.is_protobuf() {
            let request = upstream_from_json(value).map_err(ClientError::Invalid)?;
            Message::Binary(request.encode_to_vec().into())
        } else {
            Message::Text(value.to_string().into())
        };
        self.socket
            .send(frame)
            .await
            .map_err(|e| ClientError::Transport {
                attempts: 1,
                detail: format!("WebSocket error: {e}"),
            })
    }

    /// Sends one frame queued as text: on a protobuf subprotocol the text is a JSON-protocol
    /// request, sent as the protobuf request it stands for ([`ClientError::Invalid`] if it has
    /// none, and nothing is sent); otherwise it goes as it is, one text frame.
    pub async fn send_frame(&mut self, text: &str) -> Result<(), ClientError> {
        if !self.protocol.is_protobuf() {
            return self.send_text(text).await;
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ClientError::Invalid(format!("not a JSON request: {e}")))?;
        self.send_json(&value).await
    }

    /// Sends one text frame: a raw client's message, or a JSON frame already serialised.
    pub async fn send_text(&mut self, text: &str) -> Result<(), ClientError> {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| ClientError::Transport {
                attempts: 1,
                detail: format!("WebSocket error: {e}"),
            })
    }

    /// Closes cleanly: a close frame with code 1000 (so the service removes the connection
    /// at once instead of keeping it for a recovery), then waits up to [`CLOSE_WAIT`] for the
    /// service's close frame. A failure to close is ignored since the connection is being
    /// discarded anyway.
    pub async fn close(mut self) {
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        if self.socket.close(Some(frame)).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            while let Some(Ok(_)) = self.socket.next().await {}
        })
        .await;
    }
}

/// Why a WebSocket to `shown` (a URL without its query: it may hold a token) did not open.
pub(crate) fn connect_error(shown: &str, e: tokio_tungstenite::tungstenite::Error) -> ClientError {
    match e {
        // A redirect is not followed here either: the URL holds a token.
        tokio_tungstenite::tungstenite::Error::Http(resp) if resp.status().is_redirection() => {
            ClientError::Redirect {
                from: "the service",
                status: resp.status().as_u16(),
                // Without its query: a server may echo the token back there.
                location: super::error::shown_location(resp.headers().get("location"))
                    .map(|l| l.split('?').next().unwrap_or("").to_string()),
                attempts: 1,
            }
        }
        tokio_tungstenite::tungstenite::Error::Http(resp) => ClientError::Status {
            status: resp.status().as_u16(),
            code: None,
            message: Some(format!("WebSocket connection to {shown} refused")),
            attempts: 1,
        },
        other => match super::error::certificate_error(&other) {
            Some(e) => ClientError::certificate(shown, e),
            None => ClientError::Transport {
                attempts: 1,
                detail: format!("could not open a WebSocket to {shown}: {other}"),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
    use tokio_tungstenite::tungstenite::Error;

    #[test]
    fn a_broken_frame_is_a_protocol_error_and_a_cut_is_a_drop() {
        for broken in [
            Error::Utf8("invalid utf-8".into()),
            Error::Capacity(CapacityError::MessageTooLong {
                size: 1 << 40,
                max_size: 16 << 20,
            }),
            Error::Protocol(ProtocolError::InvalidOpcode(3)),
            Error::AttackAttempt,
        ] {
            let e = read_error(broken);
            assert!(matches!(e, ClientError::Protocol { .. }), "{e:?}");
            assert_eq!(e.kind(), crate::client::ErrorKind::Unavailable);
        }
        for dropped in [
            Error::Protocol(ProtocolError::ResetWithoutClosingHandshake),
            Error::Io(std::io::ErrorKind::ConnectionReset.into()),
            Error::ConnectionClosed,
        ] {
            let e = read_error(dropped);
            assert!(matches!(e, ClientError::Transport { .. }), "{e:?}");
        }
    }
}

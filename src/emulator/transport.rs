//! What a client's connection is read and written through once it is a WebSocket, whichever
//! way it came: plain TCP, TLS, or (rarely) an upgrade hyper served.
//!
//! Nearly every WebSocket starts with its connection's first request: the accept loop reads
//! that request's head itself (`upgrade.rs`) and hands the socket straight to tungstenite, so
//! no hyper connection, read buffer or request future is ever made for it; those came to over
//! 30 KiB per upgrade, freed once the WebSocket was up, and the holes they left among the
//! sessions' small blocks cost about 2 KiB of RSS per idle client (benches/ANALYSIS.md). An
//! upgrade on a keep-alive connection, after a REST request, still goes through hyper and
//! arrives here as [`Transport::Upgraded`]. Every session (json, protobuf, plain, MQTT) runs
//! on the one [`WebSocket`] type below. Imports nothing of the emulator but `wire`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use hyper::http::request::Parts;
use hyper::http::{header, HeaderValue, Method, Version};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_rustls::server::TlsStream;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::wire::Wire;

/// A client's WebSocket, for every session.
pub(crate) type WebSocket = WebSocketStream<Transport>;

/// Each WebSocket's first read buffer, allocated whole per client; a bigger frame grows it.
/// tungstenite's default is 128 KiB, over a gigabyte at 10,000 mostly idle clients; 128
/// bytes hold a typical client message.
pub(crate) const READ_BUFFER: usize = 128;

/// The WebSocket settings every session uses: frames and messages up to `max_frame` (refused
/// from the frame's header, so a client cannot make us buffer more), the small read buffer,
/// and each frame written out as it is sent (no write buffer to keep per client; `wire.rs`
/// relies on whole frames going out from the start of the buffer).
pub(crate) fn config(max_frame: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(max_frame))
        .max_frame_size(Some(max_frame))
}

/// A server WebSocket on `transport`; `read` is what the client sent after the request's
/// head (the start of its first frames), read along with the head.
pub(crate) async fn websocket(transport: Transport, read: Vec<u8>, max_frame: usize) -> WebSocket {
    let config = Some(config(max_frame));
    if read.is_empty() {
        WebSocketStream::from_raw_socket(transport, Role::Server, config).await
    } else {
        WebSocketStream::from_partially_read(transport, read, Role::Server, config).await
    }
}

/// An upgrade request the client endpoint accepted: what the `101` names, and what takes the
/// socket once it is a WebSocket. Made by `ws` and `mqtt`, used by whichever path (`upgrade.rs`
/// or hyper) answered the request.
pub(crate) struct Accepted {
    /// The subprotocol the `101` names, if any.
    pub subprotocol: Option<String>,
    /// The largest frame and message the session takes.
    pub max_frame: usize,
    /// Starts the session on the WebSocket (in a task of its own).
    pub start: Box<dyn FnOnce(WebSocket) + Send>,
}

/// Whether `parts` ask for a WebSocket (RFC 6455 §4.2.1): an HTTP/1 `GET` whose
/// `Connection` names `upgrade`, with `Upgrade: websocket`, version 13 and a key. The same
/// test, header for header, as axum's, which the endpoint used before.
pub(crate) fn is_upgrade(parts: &Parts) -> bool {
    let header = |name| parts.headers.get(name).map(HeaderValue::as_bytes);
    parts.version <= Version::HTTP_11
        && parts.method == Method::GET
        && header(header::CONNECTION)
            .and_then(|v| std::str::from_utf8(v).ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("upgrade"))
        && header(header::UPGRADE).is_some_and(|v| v.eq_ignore_ascii_case(b"websocket"))
        && header(header::SEC_WEBSOCKET_VERSION) == Some(b"13")
        && parts.headers.contains_key(header::SEC_WEBSOCKET_KEY)
}

/// The connection under a WebSocket.
pub(crate) enum Transport {
    /// Plain TCP, which the hub's fan-out may also write to (`wire.rs`).
    Plain(Socket<Wire>),
    /// TLS. Boxed: rustls's state is kilobytes, and most clients are plain.
    Tls(Box<Socket<TlsStream<Socket<TcpStream>>>>),
    /// Upgraded by hyper: a WebSocket asked for after other requests on its connection.
    Upgraded(Box<TokioIo<Upgraded>>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Plain(_) => "Transport::Plain",
            Transport::Tls(_) => "Transport::Tls",
            Transport::Upgraded(_) => "Transport::Upgraded",
        })
    }
}

/// A connection with bytes already read from it put back in front (the first bytes, read to
/// tell the protocol, or a whole request head), and (outermost) the permit that counts it
/// against the connection cap until it closes, as a WebSocket too.
pub(crate) struct Socket<S> {
    prefix: Bytes,
    stream: S,
    _permit: Option<OwnedSemaphorePermit>,
}

impl<S> Socket<S> {
    pub(crate) fn new(prefix: Bytes, stream: S, permit: Option<OwnedSemaphorePermit>) -> Self {
        Socket {
            prefix,
            stream,
            _permit: permit,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Socket<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            if self.prefix.is_empty() {
                // Let its allocation go: a WebSocket may keep this socket for its whole life.
                self.prefix = Bytes::new();
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Socket<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Runs `$call` on whichever stream the transport holds.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self.get_mut() {
            Transport::Plain($s) => $call,
            Transport::Tls($s) => $call,
            Transport::Upgraded($s) => $call,
        }
    };
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}

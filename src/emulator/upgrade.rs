//! WebSocket upgrades to the client endpoints (`/client/hubs/{hub}`, `/clients/mqtt/hubs/{hub}`,
//! `/clients/socketio/hubs/{hub}/`) and to the server tunnel (`/server/tunnel?hub=`), answered
//! without hyper when they are a connection's first request, as nearly all are.
//!
//! hyper serving an upgrade made a connection task (~16 KiB), two 8 KiB buffers and a
//! request future (~5 KiB) per client, all freed once the WebSocket was up, and the holes
//! they left among the small blocks the sessions keep cost about 2 KiB of RSS per idle
//! client: 5.6 KiB then, 3.4 now (benches/ANALYSIS.md, fifth pass). Here the accept loop
//! reads the first request's head itself ([`read_head`]) into a buffer that grows only as the
//! head needs, parses it with `httparse`, runs the endpoint's own checks ([`check`]: route,
//! token, subprotocol, recovery, the `connect` event), writes the `101` and hands the socket
//! to tungstenite ([`serve`]). What this path decides itself:
//!
//! - a request goes to hyper, with the bytes read put back in front, as soon as its request
//!   line shows it is not a `GET` of a client endpoint, or once its head shows it asks for no
//!   upgrade, or is not one `httparse` reads; hyper's limits and answers apply to it as before;
//! - a client endpoint's head must be whole within the connection's header deadline (the
//!   accept loop's, from the first byte) and [`MAX_HEAD`] bytes, or it gets `431` and the
//!   connection closes;
//! - bytes sent after the head, before the `101` (a client that does not wait), are the
//!   WebSocket's first bytes;
//! - a refusal (the endpoint's status and body, as hyper's path sends them) also closes the
//!   connection: its client asked for a WebSocket, not for more requests.
//!
//! An upgrade that is not its connection's first request reaches [`handle`] through hyper and
//! runs the same checks. Imports `ws`, `mqtt`, `socketio` and `tunnel`, which never import
//! this back.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, StatusCode, Version};
use axum::response::Response;
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::origin::Connection;
use super::shared::Shared;
use super::transport::{self, Accepted, Socket, Transport};
use super::wire::Line;
use super::{mqtt, socketio, tunnel, ws};

/// The largest request head a WebSocket client may send: room for a token with hundreds of
/// groups and roles in its query and a browser's headers. The buffer grows to it only as a
/// head needs (Node's HTTP server allows 16 KiB).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The head buffer's first size: a typical upgrade request (an SDK's, token included) fits.
const FIRST_READ: usize = 1024;
/// Header lines a head may have, as hyper allows; more and hyper answers it.
const MAX_HEADERS: usize = 100;
/// The largest answer body this path sends (the endpoints' error bodies are a few hundred
/// bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// The request lines served here start with one of these; anything else is hyper's.
const CLIENT_REQUESTS: [&[u8]; 4] = [
    b"GET /client/",
    b"GET /clients/mqtt/hubs/",
    b"GET /clients/socketio/hubs/",
    b"GET /server/tunnel?",
];

/// The answer to a client endpoint's head over [`MAX_HEAD`].
const TOO_LARGE: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\n\
content-type: text/plain; charset=utf-8\r\ncontent-length: 39\r\n\r\n\
The request's headers are too large.\r\n\r\n";

/// What a connection's first request turned out to be.
pub(crate) enum Head {
    /// The client closed, failed, or did not send a whole head by the deadline.
    Gone,
    /// A client endpoint's head over [`MAX_HEAD`].
    TooLarge,
    /// An upgrade for a client endpoint: [`serve`] answers it. Boxed, to keep the
    /// connection's future small.
    Upgrade(Box<Upgrade>),
    /// For hyper, these bytes first.
    Http(Bytes),
}

/// A parsed upgrade request.
pub(crate) struct Upgrade {
    parts: Parts,
    /// What followed the head: the start of the client's first frames.
    rest: Vec<u8>,
}

/// Reads the first request's head, starting with the bytes `first` already read, until it
/// is clear who serves it (see the module's doc), within `deadline`.
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    first: Bytes,
    deadline: Instant,
) -> Head {
    let mut buf = Vec::with_capacity(FIRST_READ.max(first.len()));
    buf.extend_from_slice(&first);
    drop(first);
    // Where to look on for the blank line that ends the head, so a client trickling its head
    // a byte at a time costs one scan, not one parse per byte.
    let mut scanned = 0;
    loop {
        if let Some(head) = classify(&buf, &mut scanned) {
            return head;
        }
        if buf.len() == buf.capacity() {
            let more = buf
                .capacity()
                .min(MAX_HEAD.saturating_sub(buf.len()))
                .max(1);
            buf.reserve_exact(more);
        }
        match tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return Head::Gone,
        }
    }
}

/// Who serves the request `buf` starts, or None while more bytes are needed to tell.
fn classify(buf: &[u8], scanned: &mut usize) -> Option<Head> {
    let http = || Some(Head::Http(Bytes::copy_from_slice(buf)));
    let ours = CLIENT_REQUESTS.iter().any(|start| buf.starts_with(start));
    if !ours {
        let may_be = CLIENT_REQUESTS.iter().any(|start| start.starts_with(buf));
        return if may_be { None } else { http() };
    }
    let Some(end) = head_end(buf, scanned) else {
        return (buf.len() >= MAX_HEAD).then_some(Head::TooLarge);
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&buf[..end]) {
        Ok(httparse::Status::Complete(len)) => {
            // HTTP/1.0 and requests that ask for no upgrade: hyper answers them as before.
            let asks = req.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case(header::UPGRADE.as_str()) && !h.value.is_empty()
            });
            if req.version != Some(1) || !asks {
                return http();
            }
            match parts(&req) {
                Some(parts) => Some(Head::Upgrade(Box::new(Upgrade {
                    parts,
                    rest: buf[len..].to_vec(),
                }))),
                None => http(),
            }
        }
        Ok(httparse::Status::Partial) | Err(_) => http(),
    }
}

/// The end of the head (past its blank line) if `buf` holds it all; `scanned` is how far
/// earlier calls looked. Bare LF line ends count, as `httparse` reads them.
fn head_end(buf: &[u8], scanned: &mut usize) -> Option<usize> {
    let from = scanned.saturating_sub(2);
    *scanned = buf.len();
    let at = buf[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| from + i)?;
    let mut at = at;
    loop {
        match buf.get(at + 1..) {
            Some([b'\n', ..]) => return Some(at + 2),
            Some([b'\r', b'\n', ..]) => return Some(at + 3),
            _ => {}
        }
        at = buf[at + 1..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| at + 1 + i)?;
    }
}

/// The request as the endpoints' checks read it; None when a part is not valid HTTP to the
/// `http` crate (hyper then answers it).
fn parts(req: &httparse::Request<'_, '_>) -> Option<Parts> {
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(req.path?)
        .version(Version::HTTP_11);
    let headers = builder.headers_mut()?;
    for h in req.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        headers.append(name, HeaderValue::from_bytes(h.value).ok()?);
    }
    Some(builder.body(()).ok()?.into_parts().0)
}

/// Answers a head over [`MAX_HEAD`] and closes.
pub(crate) async fn too_large<S: AsyncWrite + Unpin>(socket: &mut S, within: Duration) {
    if write(socket, TOO_LARGE, within).await {
        let _ = tokio::time::timeout(within, socket.shutdown()).await;
    }
}

/// Serves an upgrade read by [`read_head`]: the endpoint's checks, then the `101` and the
/// session on `socket` (made a [`Transport`] by `wrap`), or the refusal and the close. Each
/// write to the client must be done `within`.
pub(crate) async fn serve<S>(
    shared: Arc<Shared>,
    upgrade: Box<Upgrade>,
    mut socket: Socket<S>,
    wrap: fn(Socket<S>) -> Transport,
    connection: Connection,
    line: Option<Line>,
    within: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Upgrade { mut parts, rest } = *upgrade;
    parts.extensions.insert(connection);
    if let Some(line) = line {
        parts.extensions.insert(line);
    }
    match check(&shared, &parts).await {
        Ok(accepted) => {
            let answer = to_wire(switching_protocols(&parts, &accepted), false).await;
            drop(parts);
            if write(&mut socket, &answer, within).await {
                let socket = transport::websocket(wrap(socket), rest, accepted.max_frame).await;
                (accepted.start)(socket);
            }
        }
        Err(refusal) => {
            drop(parts);
            let answer = to_wire(refusal, true).await;
            if write(&mut socket, &answer, within).await {
                let _ = tokio::time::timeout(within, socket.shutdown()).await;
            }
        }
    }
}

/// An upgrade that came through hyper (not its connection's first request): the same checks,
/// then the session on hyper's upgraded connection.
pub(crate) async fn handle(shared: Arc<Shared>, mut req: Request<Body>) -> Response {
    let upgraded = hyper::upgrade::on(&mut req);
    let (parts, _body) = req.into_parts();
    let accepted = match check(&shared, &parts).await {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal,
    };
    let answer = switching_protocols(&parts, &accepted);
    tokio::spawn(async move {
        if let Ok(upgraded) = upgraded.await {
            let transport = Transport::Upgraded(Box::new(TokioIo::new(upgraded)));
            let socket = transport::websocket(transport, Vec::new(), accepted.max_frame).await;
            (accepted.start)(socket);
        }
    });
    answer
}

/// The endpoint's checks for an upgrade request: its session to start, or the answer.
async fn check(shared: &Arc<Shared>, parts: &Parts) -> Result<Accepted, Response> {
    // Boxed: the checks' futures (the `connect` event's call among them) are larger than
    // everything else the connection's task holds.
    let path = parts.uri.path();
    if path.starts_with(mqtt::PREFIX) {
        Box::pin(mqtt::check(shared.clone(), parts)).await
    } else if path.starts_with(socketio::PREFIX) {
        Box::pin(socketio::check(shared.clone(), parts)).await
    } else if path == tunnel::PATH {
        Box::pin(tunnel::check(shared.clone(), parts)).await
    } else {
        Box::pin(ws::check(shared.clone(), parts)).await
    }
}

/// The `101`; `parts` passed [`transport::is_upgrade`], so the key is there.
fn switching_protocols(parts: &Parts, accepted: &Accepted) -> Response {
    let key = parts
        .headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| derive_accept_key(k.as_bytes()))
        .unwrap_or_default();
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(key) = HeaderValue::from_str(&key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, key);
    }
    // A subprotocol the `connect` handler named may be anything: only a valid value goes out.
    if let Some(p) = accepted
        .subprotocol
        .as_deref()
        .and_then(|p| HeaderValue::from_str(p).ok())
    {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    resp
}

/// `resp` as HTTP/1.1 bytes, as hyper would write it (with `date` and, but for a `101`,
/// `content-length`); `close` adds `connection: close`.
async fn to_wire(resp: Response, close: bool) -> Vec<u8> {
    let (head, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, MAX_ANSWER)
        .await
        .unwrap_or_default();
    let mut out = Vec::with_capacity(256 + body.len());
    let status = head.status;
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in &head.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if status != StatusCode::SWITCHING_PROTOCOLS
        && !head.headers.contains_key(header::CONTENT_LENGTH)
    {
        let _ = write!(out, "content-length: {}\r\n", body.len());
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    let _ = write!(
        out,
        "date: {}\r\n\r\n",
        httpdate::fmt_http_date(SystemTime::now())
    );
    out.extend_from_slice(&body);
    out
}

/// Writes `bytes` whole within `within`; false when the client did not take them.
async fn write<S: AsyncWrite + Unpin>(socket: &mut S, bytes: &[u8], within: Duration) -> bool {
    let written = async {
        socket.write_all(bytes).await?;
        socket.flush().await
    };
    matches!(tokio::time::timeout(within, written).await, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_all(buf: &[u8]) -> Option<Head> {
        classify(buf, &mut 0)
    }

    #[test]
    fn only_a_client_endpoints_upgrade_is_served_here() {
        let upgrade = b"GET /client/hubs/chat?access_token=t HTTP/1.1\r\nHost: h\r\n\
Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n\x81\x80";
        match classify_all(upgrade) {
            Some(Head::Upgrade(u)) => {
                assert_eq!(u.parts.uri.path(), "/client/hubs/chat");
                assert!(transport::is_upgrade(&u.parts));
                assert_eq!(
                    u.rest, b"\x81\x80",
                    "what follows the head is the WebSocket's"
                );
            }
            _ => panic!("not served here"),
        }
        // Told apart from the request line alone: no need to wait for the head.
        assert!(
            matches!(classify_all(b"POST /api/hubs/chat/:send"), Some(Head::Http(b)) if &b[..] == b"POST /api/hubs/chat/:send")
        );
        assert!(matches!(
            classify_all(b"GET /api/health"),
            Some(Head::Http(_))
        ));
        assert!(classify_all(b"GET /clie").is_none());
        assert!(classify_all(b"GET /clients/mqtt/hu").is_none());
        // A client endpoint without an upgrade, or in HTTP/1.0: hyper answers as before.
        let plain = b"GET /client/hubs/chat HTTP/1.1\r\nHost: h\r\n\r\n";
        assert!(matches!(classify_all(plain), Some(Head::Http(_))));
        let old = b"GET /client/hubs/chat HTTP/1.0\r\nUpgrade: websocket\r\n\r\n";
        assert!(matches!(classify_all(old), Some(Head::Http(_))));
        // Not HTTP that httparse reads: hyper's 400.
        let bad = b"GET /client/hubs/chat HTTP/1.1\r\nBad Header\r\n\r\n";
        assert!(matches!(classify_all(bad), Some(Head::Http(_))));
        // Incomplete: wait, until the head is over the limit.
        let mut long = b"GET /client/hubs/chat HTTP/1.1\r\nX: ".to_vec();
        assert!(classify_all(&long).is_none());
        long.resize(MAX_HEAD, b'a');
        assert!(matches!(classify_all(&long), Some(Head::TooLarge)));
    }

    #[test]
    fn the_end_of_a_head_is_found_however_it_arrives() {
        let head = b"GET /client/hubs/a HTTP/1.1\r\nHost: h\r\n\r\nrest";
        for split in 0..head.len() {
            let mut scanned = 0;
            let first = head_end(&head[..split], &mut scanned);
            let end = first.or_else(|| head_end(head, &mut scanned));
            assert_eq!(end, Some(head.len() - 4), "split at {split}");
        }
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nx", &mut 0), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: h\r\n", &mut 0), None);
    }
}

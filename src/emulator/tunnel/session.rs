//! One tunnel connection, from ConnectionConnected to its end.
//!
//! A reader (this task) and a writer (spawned) share the socket. The writer drains a bounded
//! outbox of frames under a write deadline, and pings on the keepalive interval: a client that
//! stops reading, or answers nothing between two pings, is dropped, so it cannot stall the
//! senders of requests (they wait on the outbox) or hold a half-sent frame. The reader hands
//! HttpResponses to the requests waiting for them and serves the client's HttpRequests as REST
//! calls, at most [`MAX_CLIENT_REQUESTS`] at once. A frame that does not decode, a text frame,
//! or a message only the service sends ends the connection with 1003/1008.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::http::{HeaderName, HeaderValue, Method, Request};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use percent_encoding::percent_decode_str;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::client::tunnel::{self as wire, Headers, HttpRequest, HttpResponse, Message};
use crate::emulator::auth::TunnelCall;
use crate::emulator::origin::Connection;
use crate::emulator::shared::{stopped, Shared};
use crate::emulator::transport::WebSocket;

use super::{Link, MAX_ANSWER};

/// The largest WebSocket message a tunnel client may send: one frame, prefix included.
pub(super) const MAX_MESSAGE: usize = 4 + wire::MAX_FRAME;
/// Frames queued for the writer; senders wait when it is full.
const OUTBOX: usize = 64;
/// How long one frame may take to write before the client counts as not reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// REST calls from the client served at once; more are answered 429.
pub(super) const MAX_CLIENT_REQUESTS: usize = 64;
/// The largest body chunk of a streamed answer in one HttpResponse.
const STREAM_CHUNK: usize = 64 * 1024;

/// Who is connecting, checked at the upgrade.
#[derive(Debug)]
pub(super) struct Admission {
    pub hub: String,
    pub user_id: Option<String>,
    /// The upgrade's Host, which REST calls through the tunnel are served as sent to.
    pub host: Option<String>,
    pub connection: Option<Connection>,
}

pub(super) async fn run(shared: Arc<Shared>, admission: Box<Admission>, socket: Box<WebSocket>) {
    let id = shared.registry.new_connection_id();
    let (tx, rx) = mpsc::channel(OUTBOX);
    let link = Arc::new(Link::new(id.clone(), admission.hub.clone(), tx.clone()));
    let (sink, stream) = socket.split();
    let alive = Arc::new(AtomicBool::new(true));
    let (close_tx, close_rx) = oneshot::channel();
    let keepalive = Duration::from_millis(shared.keepalive_ms.load(Ordering::Relaxed).max(1));
    let mut writer = tokio::spawn(write(sink, rx, close_rx, alive.clone(), keepalive));
    let connected = wire::encode(&Message::ConnectionConnected {
        connection_id: id.clone(),
        user_id: admission.user_id.clone(),
        reconnection_token: None,
    });
    // The outbox is empty: this cannot be full.
    let _ = tx.try_send(connected);
    let tunnels = shared.upstream.tunnels().clone();
    if let Err(why) = tunnels.add(link.clone()) {
        let close = Message::ConnectionClose {
            message: why.clone(),
        };
        let _ = tx.try_send(wire::encode(&close));
        let _ = close_tx.send((1008, why));
        let _ = writer.await;
        return;
    }
    shared
        .activity
        .tunnel(&admission.hub, &id, "connected", None);
    if shared.verbose >= 1 {
        eprintln!(
            "emulator: tunnel {id} connected to hub {} ({} open)",
            admission.hub,
            tunnels.count(&admission.hub)
        );
    }
    let context = Arc::new(Context {
        shared: shared.clone(),
        admission,
        id: id.clone(),
        tx,
        permits: Arc::new(Semaphore::new(MAX_CLIENT_REQUESTS)),
    });
    let mut calls = JoinSet::new();
    let mut stop = shared.stopping.clone();
    let reason = tokio::select! {
        r = read(stream, &link, &context, &alive, &mut calls) => r,
        _ = &mut writer => Ending::Quiet("the client stopped reading or answering pings".into()),
        _ = stopped(&mut stop) => Ending::Close(1001, "the emulator is stopping".into()),
    };
    tunnels.remove(&link);
    calls.abort_all();
    let why = match reason {
        Ending::Close(code, why) => {
            let _ = close_tx.send((code, why.clone()));
            // The writer sends the close under its deadline, then ends.
            let _ = tokio::time::timeout(WRITE_TIMEOUT, &mut writer).await;
            why
        }
        Ending::Quiet(why) => why,
    };
    writer.abort();
    let hub = &context.admission.hub;
    shared.activity.tunnel(hub, &id, "disconnected", Some(&why));
    if shared.verbose >= 1 {
        eprintln!("emulator: tunnel {id} of hub {hub} disconnected: {why}");
    }
}

/// How a connection ended: with a close frame to send, or with the socket already gone.
enum Ending {
    Close(u16, String),
    Quiet(String),
}

/// What the serving of the client's REST calls needs.
struct Context {
    shared: Arc<Shared>,
    admission: Box<Admission>,
    id: String,
    tx: mpsc::Sender<Vec<u8>>,
    permits: Arc<Semaphore>,
}

async fn read(
    mut stream: SplitStream<Box<WebSocket>>,
    link: &Link,
    context: &Arc<Context>,
    alive: &AtomicBool,
    calls: &mut JoinSet<()>,
) -> Ending {
    loop {
        let message = match stream.next().await {
            None => return Ending::Quiet("the client went away".into()),
            Some(Err(e)) => return Ending::Quiet(format!("the socket failed: {e}")),
            Some(Ok(m)) => m,
        };
        alive.store(true, Ordering::Relaxed);
        // Reap finished calls so the set stays as small as the running ones.
        while calls.try_join_next().is_some() {}
        let frame = match message {
            WsMessage::Binary(frame) => frame,
            WsMessage::Text(_) => {
                return Ending::Close(1003, "tunnel messages are binary".into());
            }
            WsMessage::Close(_) => return Ending::Quiet("the client closed the tunnel".into()),
            WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_) => continue,
        };
        match wire::decode(&frame) {
            Err(e) => return Ending::Close(1003, e.to_string()),
            Ok(Message::HttpResponse(response)) => link.answer(response),
            Ok(Message::HttpRequest(request)) => {
                let Ok(permit) = context.permits.clone().try_acquire_owned() else {
                    let busy =
                        answer_to(&request, 429, "text/plain", b"Too many requests.".to_vec());
                    // A client whose outbox is full is not reading: the writer drops it.
                    let _ = context
                        .tx
                        .try_send(wire::encode(&Message::HttpResponse(busy)));
                    continue;
                };
                let context = context.clone();
                calls.spawn(async move {
                    let mut permit = Some(permit);
                    if let Some(response) = serve(&context, request, &mut permit).await {
                        let _ = context
                            .tx
                            .send(wire::encode(&Message::HttpResponse(response)))
                            .await;
                    }
                    drop(permit);
                });
            }
            Ok(Message::ServiceStatus { .. }) => {}
            Ok(_) => {
                return Ending::Close(
                    1008,
                    "the client sent a message only the service sends".into(),
                )
            }
        }
    }
}

/// Writes queued frames, pings when the client has been quiet for the keepalive interval,
/// and ends (dropping the client) when a write misses its deadline or a ping goes unanswered.
async fn write(
    mut sink: SplitSink<Box<WebSocket>, WsMessage>,
    mut rx: mpsc::Receiver<Vec<u8>>,
    mut close: oneshot::Receiver<(u16, String)>,
    alive: Arc<AtomicBool>,
    keepalive: Duration,
) {
    let mut ticks = tokio::time::interval(keepalive);
    ticks.tick().await;
    loop {
        let message = tokio::select! {
            frame = rx.recv() => match frame {
                Some(frame) => WsMessage::Binary(frame.into()),
                None => return,
            },
            _ = ticks.tick() => {
                if !alive.swap(false, Ordering::Relaxed) {
                    return;
                }
                WsMessage::Ping(Default::default())
            }
            c = &mut close => {
                let (code, reason) = c.unwrap_or((1000, String::new()));
                // A close reason is at most 123 bytes; cut on a character boundary.
                let mut end = reason.len().min(123);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                let frame = CloseFrame { code: code.into(), reason: reason[..end].into() };
                let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.send(WsMessage::Close(Some(frame)))).await;
                return;
            }
        };
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(message)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

fn answer_to(
    request: &HttpRequest,
    status: u16,
    content_type: &str,
    body: Vec<u8>,
) -> HttpResponse {
    let mut headers = Headers::new();
    headers.insert("Content-Type".into(), vec![content_type.to_string()]);
    HttpResponse {
        ack_id: request.ack_id,
        local_routing: request.local_routing,
        status_code: status,
        channel_name: request.channel_name.clone(),
        not_completed: false,
        headers,
        content: body.into(),
    }
}

/// Serves a REST call from the client as the REST API serves one over HTTP, with the tunnel's
/// authority for its hub: the answer whole, in one HttpResponse; or, for an answer that
/// streams (`:invoke`), sent here as it comes ([`stream`]) and None. `permit` is the call's
/// place among the [`MAX_CLIENT_REQUESTS`], held until its answer is queued; a streamed answer
/// gives it back once its status is known (an invocation may wait a minute for its answers,
/// and has bounds of its own), so invocations waiting on silent clients never hold up the
/// client's other calls.
async fn serve(
    context: &Context,
    request: HttpRequest,
    permit: &mut Option<OwnedSemaphorePermit>,
) -> Option<HttpResponse> {
    let started = std::time::Instant::now();
    let hub = &context.admission.hub;
    let refuse = |status: u16, why: &str| {
        let body = serde_json::json!({ "code": "Error.BadRequest", "message": why });
        answer_to(
            &request,
            status,
            "application/json",
            body.to_string().into_bytes(),
        )
    };
    let path_and_query = match url::Url::parse(&request.url) {
        // A tunnel client builds its query with URLSearchParams, which writes a space `+`
        // (the Socket.IO extension's filters: `'0~Lw~'+in+groups`); the service reads
        // them as spaces there, so `+` is made `%20` before the REST API reads it.
        Ok(url) => match url.query() {
            Some(q) => format!("{}?{}", url.path(), q.replace('+', "%20")),
            None => url.path().to_string(),
        },
        Err(_) if request.url.starts_with('/') => request.url.clone(),
        Err(_) => return Some(refuse(400, "The request's Url is not a URL.")),
    };
    let Ok(method) = Method::from_bytes(request.method.as_bytes()) else {
        return Some(refuse(
            400,
            "The request's HttpMethod is not an HTTP method.",
        ));
    };
    // The tunnel speaks for its own hub only.
    let path = path_and_query.split('?').next().unwrap_or("");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["api", "hubs", named, ..] = segments.as_slice() {
        let named = percent_decode_str(named).decode_utf8_lossy();
        if !named.eq_ignore_ascii_case(hub) {
            return Some(refuse(
                403,
                &format!(
                    "A tunnel connection of hub '{hub}' cannot call the API of hub '{named}'."
                ),
            ));
        }
    }
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(&path_and_query);
    for (name, values) in &request.headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        // The body's length is the content's; where it was sent is the tunnel's host.
        if matches!(
            name.as_str(),
            "host" | "content-length" | "transfer-encoding"
        ) {
            continue;
        }
        for v in values {
            if let Ok(v) = HeaderValue::from_str(v) {
                builder = builder.header(name.clone(), v);
            }
        }
    }
    if let Some(host) = &context.admission.host {
        builder = builder.header(axum::http::header::HOST, host.as_str());
    }
    let Ok(mut req) = builder.body(Body::from(request.content.clone())) else {
        return Some(refuse(
            400,
            "The request's Url is not a valid request target.",
        ));
    };
    if let Some(c) = context.admission.connection {
        req.extensions_mut().insert(c);
    }
    req.extensions_mut().insert(TunnelCall);
    let resp = crate::emulator::rest::handle(context.shared.clone(), req).await;
    let status = resp.status().as_u16();
    let mut headers = Headers::new();
    for (name, value) in resp.headers() {
        if let Ok(v) = value.to_str() {
            headers
                .entry(name.as_str().to_string())
                .or_default()
                .push(v.to_string());
        }
    }
    let log = || {
        context.shared.activity.tunnel(
            hub,
            &context.id,
            "request",
            Some(&format!(
                "{method} {path} -> {status} ({} ms)",
                started.elapsed().as_millis()
            )),
        );
    };
    if resp.body().size_hint().exact().is_none() {
        log();
        permit.take();
        stream(context, &request, status, headers, resp.into_body()).await;
        return None;
    }
    let body = match axum::body::to_bytes(resp.into_body(), MAX_ANSWER).await {
        Ok(b) => b,
        Err(_) => return Some(refuse(500, "The answer could not be read.")),
    };
    log();
    Some(HttpResponse {
        ack_id: request.ack_id,
        local_routing: request.local_routing,
        status_code: status,
        channel_name: request.channel_name,
        not_completed: false,
        headers,
        content: body,
    })
}

/// An answer whose body streams: its status and headers at once, then each chunk as it comes
/// (cut to at most [`STREAM_CHUNK`] bytes, on a UTF-8 boundary: the extension decodes each
/// chunk as text on its own), each an HttpResponse with NotCompleted, then an empty last one.
/// A tunnel that stops reading stops it (and the body is dropped).
async fn stream(
    context: &Context,
    request: &HttpRequest,
    status: u16,
    headers: Headers,
    body: Body,
) {
    let part = |not_completed: bool, headers: Headers, content: bytes::Bytes| {
        wire::encode(&Message::HttpResponse(HttpResponse {
            ack_id: request.ack_id,
            local_routing: request.local_routing,
            status_code: status,
            channel_name: request.channel_name.clone(),
            not_completed,
            headers,
            content,
        }))
    };
    if context
        .tx
        .send(part(true, headers, Default::default()))
        .await
        .is_err()
    {
        return;
    }
    let mut chunks = body.into_data_stream();
    while let Some(Ok(mut chunk)) = chunks.next().await {
        while !chunk.is_empty() {
            let piece = chunk.split_to(utf8_cut(&chunk, STREAM_CHUNK));
            if context
                .tx
                .send(part(true, Headers::new(), piece))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    let last = part(false, Headers::new(), Default::default());
    let _ = context.tx.send(last).await;
}

/// Where to cut `bytes` to at most `max` bytes without splitting a UTF-8 character.
fn utf8_cut(bytes: &[u8], max: usize) -> usize {
    if bytes.len() <= max {
        return bytes.len();
    }
    let mut at = max;
    while at > 0 && bytes[at] & 0xC0 == 0x80 {
        at -= 1;
    }
    if at == 0 {
        max
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::utf8_cut;

    #[test]
    fn a_streamed_chunk_is_cut_on_a_character_boundary() {
        assert_eq!(utf8_cut(b"abc", 8), 3);
        assert_eq!(utf8_cut(b"abcdef", 4), 4);
        // "é" is two bytes (at 3 and 4): a cut at 4 would split it.
        let text = "abcé".as_bytes();
        assert_eq!(utf8_cut(text, 4), 3);
        assert!(std::str::from_utf8(&text[..utf8_cut(text, 4)]).is_ok());
    }
}

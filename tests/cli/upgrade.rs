//! What the accept loop decides itself about a connection's first request
//! (`src/emulator/upgrade.rs`): a WebSocket upgrade is read, answered and handed to the session
//! without hyper; anything else goes to hyper with the bytes read put back in front.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use wps::client::Payload;
use wps::emulator::{self, EmulatorConfig, ServerLimits};

use crate::abuse_http::{read_response, read_to_close, status_of};
use crate::abuse_ws::frame;
use crate::common::{World, PATIENCE};

const JSON: &str = "json.webpubsub.azure.v1";
/// The largest head a WebSocket request may have (`upgrade::MAX_HEAD`).
const MAX_HEAD: usize = 64 * 1024;

/// A WebSocket upgrade request's head for `path_and_query`, offering `protocol`.
fn upgrade_head(world: &World, path_and_query: &str, protocol: &str) -> String {
    format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n",
        world.emulator.addr()
    )
}

/// Reads a response head byte by byte (so no frame bytes are taken with it).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut b))
            .await
            .expect("answered")
            .expect("read");
        assert_eq!(n, 1, "cut short: {}", String::from_utf8_lossy(&head));
        head.push(b[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The next text frame as JSON.
async fn next_json(socket: &mut WebSocketStream<TcpStream>) -> Value {
    loop {
        let msg = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame arrives")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

#[tokio::test]
async fn an_oversized_websocket_request_head_is_refused() {
    let world = World::new().await;
    let mut stream = TcpStream::connect(world.emulator.addr())
        .await
        .expect("connect");
    let path = format!(
        "/client/hubs/chat?access_token={}",
        world.client_token("chat", None, &[], &[])
    );
    let mut head = upgrade_head(&world, &path, JSON).into_bytes();
    // The head, its blank line cut off, padded with one long header to exactly the limit:
    // all of it is read (so the close is a clean one), and it is still not whole.
    head.truncate(head.len() - 2);
    head.extend_from_slice(b"X-Padding: ");
    head.resize(MAX_HEAD, b'a');
    stream.write_all(&head).await.expect("write");
    let got = read_to_close(&mut stream).await;
    assert_eq!(status_of(&got), 431, "{}", String::from_utf8_lossy(&got));

    // The same head a little shorter, and whole, is a WebSocket.
    let mut stream = TcpStream::connect(world.emulator.addr())
        .await
        .expect("connect");
    let mut head = upgrade_head(&world, &path, JSON).into_bytes();
    head.truncate(head.len() - 2);
    head.extend_from_slice(b"X-Padding: ");
    head.resize(MAX_HEAD - 4, b'a');
    head.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&head).await.expect("write");
    let answer = read_head(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    let mut socket = WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
    assert_eq!(next_json(&mut socket).await["event"], "connected");
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn a_websocket_request_head_that_never_ends_is_dropped_at_the_deadline() {
    const SHORT: Duration = Duration::from_millis(300);
    let world = World::with_config(EmulatorConfig {
        limits: ServerLimits {
            header_timeout: SHORT,
            ..ServerLimits::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let addr = world.emulator.addr();
    let path = format!(
        "/client/hubs/chat?access_token={}",
        world.client_token("chat", None, &[], &[])
    );
    let head = upgrade_head(&world, &path, JSON);
    let unfinished = &head[..head.len() - 2];

    // All but the blank line, then silence: closed, unanswered. (Timed from before the
    // connection, which the deadline cannot start before: a lower bound only.)
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    silent
        .write_all(unfinished.as_bytes())
        .await
        .expect("write");
    let got = read_to_close(&mut silent).await;
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(started.elapsed() >= SHORT, "closed before the deadline");

    // Headers trickling a byte at a time for as long as the socket takes them: each byte
    // does not put the deadline off.
    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    let (mut read_half, mut write_half) = trickle.split();
    let writer = async {
        let _ = write_half.write_all(unfinished.as_bytes()).await;
        while write_half.write_all(b"X").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        std::future::pending::<()>().await;
    };
    let reader = async {
        let mut got = Vec::new();
        let _ = read_half.read_to_end(&mut got).await;
        got
    };
    let got = tokio::time::timeout(PATIENCE, async {
        tokio::select! {
            got = reader => got,
            () = writer => unreachable!(),
        }
    })
    .await
    .unwrap_or_else(|_| panic!("a trickling head kept its socket for {PATIENCE:?}"));
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));

    // The emulator still serves a whole head at once.
    let mut whole = TcpStream::connect(addr).await.expect("connect");
    whole.write_all(head.as_bytes()).await.expect("write");
    let answer = read_head(&mut whole).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn frames_sent_with_the_request_head_reach_the_session() {
    let world = World::new().await;
    let roles = ["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"];
    let token = world.client_token("chat", Some("ann"), &roles, &[]);
    let path = format!("/client/hubs/chat?access_token={token}");
    let join = serde_json::json!({"type": "joinGroup", "group": "g", "ackId": 7});
    let send = serde_json::json!({
        "type": "sendToGroup", "group": "g", "dataType": "text", "data": "first", "ackId": 8,
    });
    // The head and two frames in one write, before any answer: the frames are read with the
    // head and must not be lost.
    let mut bytes = upgrade_head(&world, &path, JSON).into_bytes();
    bytes.extend(frame(0x81, join.to_string().as_bytes(), true));
    bytes.extend(frame(0x81, send.to_string().as_bytes(), true));
    let mut stream = TcpStream::connect(world.emulator.addr())
        .await
        .expect("connect");
    stream.write_all(&bytes).await.expect("write");
    let answer = read_head(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains(&format!("sec-websocket-protocol: {JSON}")),
        "{answer}"
    );
    let mut socket = WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
    assert_eq!(next_json(&mut socket).await["event"], "connected");
    let ack = next_json(&mut socket).await;
    assert_eq!(
        (ack["ackId"].as_u64(), &ack["success"]),
        (Some(7), &Value::Bool(true)),
        "{ack}"
    );
    // The member gets its own group message (no `noEcho`), then the send's ack, in some order.
    let (mut got_message, mut got_ack) = (false, false);
    while !(got_message && got_ack) {
        let next = next_json(&mut socket).await;
        match next["type"].as_str() {
            Some("message") => {
                assert_eq!(next["data"], "first", "{next}");
                got_message = true;
            }
            Some("ack") => {
                assert_eq!(
                    (&next["ackId"], &next["success"]),
                    (&Value::from(8), &Value::Bool(true)),
                    "{next}"
                );
                got_ack = true;
            }
            _ => panic!("unexpected {next}"),
        }
    }
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn a_websocket_asked_for_after_a_rest_request_on_the_same_connection_works() {
    let world = World::new().await;
    let mut stream = TcpStream::connect(world.emulator.addr())
        .await
        .expect("connect");
    let health = format!(
        "GET /api/health HTTP/1.1\r\nHost: {}\r\n\r\n",
        world.emulator.addr()
    );
    stream.write_all(health.as_bytes()).await.expect("write");
    assert_eq!(read_response(&mut stream).await.0, 200);
    // The second request on the connection: hyper's upgrade, the same checks and session.
    let path = format!(
        "/client/hubs/chat?access_token={}",
        world.client_token("chat", None, &[], &[])
    );
    let head = upgrade_head(&world, &path, JSON);
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_head(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 101"), "{answer}");
    let mut socket = WebSocketStream::from_raw_socket(stream, Role::Client, None).await;
    assert_eq!(next_json(&mut socket).await["event"], "connected");
    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/:send",
            &[],
            Some(Payload::text("hello")),
        )
        .await;
    assert_eq!(resp.status, 202);
    let message = next_json(&mut socket).await;
    assert_eq!(message["data"], "hello", "{message}");

    // A refused upgrade there is hyper's answer too, and the connection stays usable.
    let mut stream = TcpStream::connect(world.emulator.addr())
        .await
        .expect("connect");
    stream.write_all(health.as_bytes()).await.expect("write");
    assert_eq!(read_response(&mut stream).await.0, 200);
    let head = upgrade_head(&world, "/client/hubs/chat?access_token=nope", JSON);
    stream.write_all(head.as_bytes()).await.expect("write");
    assert_eq!(read_response(&mut stream).await.0, 401);
    stream.write_all(health.as_bytes()).await.expect("write");
    assert_eq!(read_response(&mut stream).await.0, 200);
    world.emulator.shutdown().await;
}

#[tokio::test]
async fn requests_that_ask_for_no_websocket_are_still_served_by_hyper() {
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let addr = emulator.addr();
    // A client endpoint without an upgrade: its 400, and the connection kept alive (a refusal
    // on the WebSocket path would close it), so a second request is served.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let plain = format!("GET /client/hubs/chat HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(plain.as_bytes()).await.expect("write");
    let (status, body) = read_response(&mut stream).await;
    assert_eq!(status, 400);
    assert!(body.contains("not a WebSocket upgrade request"), "{body}");
    let health = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(health.as_bytes()).await.expect("write");
    assert_eq!(read_response(&mut stream).await.0, 200);

    // A REST request whose head arrives in pieces, the first shorter than the request line:
    // the bytes read to tell it from an upgrade reach hyper in order.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    for piece in [&health[..3], &health[3..9], &health[9..]] {
        stream.write_all(piece.as_bytes()).await.expect("write");
        stream.flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(read_response(&mut stream).await.0, 200);

    // A refused upgrade on a connection's first request: the endpoint's status and body,
    // then the connection closes.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let refused = format!(
        "GET /client/hubs/chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(refused.as_bytes()).await.expect("write");
    let got = read_to_close(&mut stream).await;
    let text = String::from_utf8_lossy(&got);
    assert_eq!(status_of(&got), 401, "{text}");
    assert!(text.contains("\"code\":\"Error.Unauthorized\""), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("x-ms-error-code: error.unauthorized"),
        "{text}"
    );
    emulator.shutdown().await;
}

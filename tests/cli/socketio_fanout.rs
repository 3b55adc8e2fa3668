//! Socket.IO broadcasts as the extension sends them (`io.emit`: a send to the hub filtered on
//! the root namespace's group, one `EVENT` as an Engine.IO payload). The emulator writes such
//! an event straight to an idle WebSocket client's socket, as it does for plain clients, and
//! sends everything else through the connection's task (an `:invoke` delivery gets its ack id
//! there, a binary event its attachments): whatever way each goes, a client gets them all,
//! whole, in the order they were sent, however slowly it reads.

use std::time::Duration;

use base64::Engine as _;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use wps::client::Payload;

use crate::common::{Socket, World, PATIENCE};
use crate::socketio::{next_data, send_text};

const HUB: &str = "chat";
const ROOT: &str = "'0~Lw~' in groups";

/// A Socket.IO WebSocket client in the root namespace; with `slow`, a tiny receive buffer, so
/// the emulator's writes to it fill its socket and are taken in part.
async fn client(world: &World, slow: bool) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let addr = world.emulator.addr();
    let socket = TcpSocket::new_v4().expect("socket");
    if slow {
        socket.set_recv_buffer_size(4096).expect("rcvbuf");
    }
    let tcp = socket.connect(addr).await.expect("connect");
    let req = format!("ws://{addr}/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket")
        .into_client_request()
        .expect("request");
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (mut socket, _) = tokio_tungstenite::client_async(req, tcp)
        .await
        .expect("connects");
    let open = text(&mut socket).await;
    assert!(open.starts_with("0{"), "{open}");
    send_text(&mut socket, "40").await;
    let connected = text(&mut socket).await;
    assert!(connected.starts_with("40{"), "{connected}");
    socket
}

/// The next text frame but Engine.IO pings, which are answered.
async fn text(socket: &mut Socket) -> String {
    loop {
        match next_data(socket).await {
            Some(Message::Text(t)) if t.as_str() == "2" => send_text(socket, "3").await,
            Some(Message::Text(t)) => return t.to_string(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// What the i-th send is.
#[derive(Clone, Copy)]
enum Kind {
    /// `io.emit`: a lone event, large enough to fill a slow reader's socket.
    Event,
    /// `io.timeout().emitWithAck()`: an `:invoke`, which each client gets with an ack id.
    Invoke,
    /// A binary event: its packet, then its attachment in a frame of its own.
    Binary,
}

const SENDS: usize = 150;

fn kind(i: usize) -> Kind {
    match i % 10 {
        5 => Kind::Invoke,
        2 | 8 => Kind::Binary,
        _ => Kind::Event,
    }
}

fn filler(i: usize) -> String {
    format!("{i:05}{}", "x".repeat(64 * 1024))
}

fn attachment(i: usize) -> Vec<u8> {
    vec![i as u8; 3]
}

/// Reads every send in order and whole; then answers the invocations. Returns how many.
async fn read_all(mut socket: Socket, slow: bool) -> usize {
    let mut acks = Vec::new();
    for i in 0..SENDS {
        let got = text(&mut socket).await;
        match kind(i) {
            Kind::Event => assert!(
                got == format!(r#"42["ev",{i},"{}"]"#, filler(i)),
                "send {i}: {}",
                &got[..got.len().min(40)]
            ),
            Kind::Invoke => {
                let rest = got.strip_prefix("42").expect("an EVENT");
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                assert!(digits > 0, "send {i}: an ack id in {got}");
                assert_eq!(&rest[digits..], format!(r#"["inv",{i}]"#), "send {i}");
                acks.push(rest[..digits].to_string());
            }
            Kind::Binary => {
                assert_eq!(
                    got,
                    format!(r#"451-["bin",{i},{{"_placeholder":true,"num":0}}]"#),
                    "send {i}"
                );
                match next_data(&mut socket).await {
                    Some(Message::Binary(b)) => assert_eq!(&b[..], attachment(i), "send {i}"),
                    other => panic!("send {i}: expected the attachment, got {other:?}"),
                }
            }
        }
        if slow && i % 8 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    for id in &acks {
        send_text(&mut socket, &format!(r#"43{id}["ok"]"#)).await;
    }
    // Nothing more was sent: the next frame is the sentinel, sent after every answer.
    assert_eq!(text(&mut socket).await, r#"42["end"]"#);
    let _ = socket.close(None).await;
    acks.len()
}

async fn emit(world: &World, body: &str) {
    let resp = world
        .rest(
            "POST",
            &format!("/api/hubs/{HUB}/:send"),
            &[("filter", ROOT)],
            Some(Payload::text(body)),
        )
        .await;
    assert_eq!(resp.status, 202, "{body:.40}");
}

/// Starts `:invoke` to the root namespace; the answer, its body still streaming.
async fn invoke(world: &World, payload: &str) -> reqwest::Response {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let url = format!("http://{}/api/hubs/{HUB}/:invoke", world.emulator.addr());
    let full = format!(
        "{url}?api-version=2024-01-01&filter={}",
        utf8_percent_encode(ROOT, NON_ALPHANUMERIC)
    );
    let resp = tokio::time::timeout(
        PATIENCE,
        reqwest::Client::new()
            .post(&full)
            .bearer_auth(world.rest_token(&url))
            .header("content-type", "text/plain")
            .body(payload.to_string())
            .send(),
    )
    .await
    .expect("answered")
    .expect("POST");
    assert_eq!(resp.status(), 200);
    resp
}

/// Broadcasts written straight to the socket, in part, and through the queue, interleaved
/// with invocations and binary events (which always go through the queue), to a client that
/// reads as fast as it can and one that reads slowly through a tiny buffer: each gets every
/// one whole and in the order sent, and answers every invocation.
#[tokio::test]
async fn socketio_broadcasts_arrive_whole_and_in_order_among_queued_ones_however_slow_the_reader() {
    let world = World::new().await;
    let fast = client(&world, false).await;
    let slow = client(&world, true).await;
    let readers = [
        tokio::spawn(read_all(fast, false)),
        tokio::spawn(read_all(slow, true)),
    ];
    let mut invocations = Vec::new();
    for i in 0..SENDS {
        match kind(i) {
            Kind::Event => emit(&world, &format!(r#"42["ev",{i},"{}"]"#, filler(i))).await,
            Kind::Invoke => invocations.push(invoke(&world, &format!(r#"42["inv",{i}]"#)).await),
            Kind::Binary => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(attachment(i));
                let packet = format!(r#"451-["bin",{i},{{"_placeholder":true,"num":0}}]"#);
                emit(&world, &format!("{packet}\x1eb{b64}")).await;
            }
        }
    }
    // Each invocation ends once both clients answered it: a line each.
    for resp in invocations {
        let body = tokio::time::timeout(PATIENCE, resp.text())
            .await
            .expect("the invocation ends")
            .expect("body");
        assert_eq!(body.lines().count(), 2, "{body}");
        assert!(
            body.contains(r#"43"#) && body.contains(r#"[\"ok\"]"#),
            "{body}"
        );
    }
    emit(&world, r#"42["end"]"#).await;
    for reader in readers {
        let answered = tokio::time::timeout(PATIENCE * 2, reader)
            .await
            .expect("the reader is done")
            .expect("every send, whole and in order");
        assert_eq!(answered, SENDS / 10);
    }
}

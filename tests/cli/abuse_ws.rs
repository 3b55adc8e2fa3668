//! Hostile WebSocket clients: stalled readers, half-sent frames, protocol violations, and the
//! close handshake. Each talks to the emulator over a real socket, most of them byte by byte.

use std::io::BufRead;
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use wps::client::{ClientOptions, ConnectionString, Payload, SendOptions};

use crate::common::*;

/// Opens a WebSocket to `path_and_query` by hand, so the test can then write any bytes.
async fn raw_upgrade(
    addr: std::net::SocketAddr,
    path_and_query: &str,
    protocol: Option<&str>,
) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let protocol = protocol
        .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n{protocol}\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    // Read the 101 response head byte by byte so no frame bytes are taken with it.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut b))
            .await
            .expect("upgrade answered")
            .expect("read");
        assert_eq!(
            n,
            1,
            "upgrade response cut short: {}",
            String::from_utf8_lossy(&head)
        );
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// A client frame: `first` is FIN/RSV/opcode, the payload masked unless `masked` is false.
pub(crate) fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [1u8, 2, 3, 4];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// Reads server frames until a close frame and returns its code; None if TCP ends first.
async fn read_close_code(stream: &mut TcpStream) -> Option<u16> {
    let read = async {
        loop {
            let mut hdr = [0u8; 2];
            stream.read_exact(&mut hdr).await.ok()?;
            let mut len = u64::from(hdr[1] & 0x7f);
            if len == 126 {
                let mut b = [0u8; 2];
                stream.read_exact(&mut b).await.ok()?;
                len = u64::from(u16::from_be_bytes(b));
            } else if len == 127 {
                let mut b = [0u8; 8];
                stream.read_exact(&mut b).await.ok()?;
                len = u64::from_be_bytes(b);
            }
            let mut payload = vec![0u8; len as usize];
            stream.read_exact(&mut payload).await.ok()?;
            if hdr[0] & 0x0f == 0x8 {
                return Some(u16::from_be_bytes([payload[0], payload[1]]));
            }
        }
    };
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("the server answers")
}

/// Whether the server closes TCP within `PATIENCE` (reads and discards until EOF).
async fn tcp_closed(stream: &mut TcpStream) -> bool {
    let mut sink = vec![0u8; 64 * 1024];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

fn client_path(world: &World, subprotocol_user: Option<&str>) -> String {
    let token = world.client_token("chat", subprotocol_user, &[], &[]);
    format!("/client/hubs/chat?access_token={token}")
}

#[tokio::test]
async fn protocol_violations_get_the_rfc_close_code() {
    let world = World::new().await;
    let cases: [(&str, Vec<u8>, u16); 5] = [
        ("invalid UTF-8 text", frame(0x81, &[0xff, 0xfe], true), 1007),
        ("RSV1 without an extension", frame(0xC1, b"hi", true), 1002),
        ("an unmasked client frame", frame(0x81, b"hi", false), 1002),
        (
            "a ping over 125 bytes",
            frame(0x89, &[0u8; 126], true),
            1002,
        ),
        ("reserved opcode 3", frame(0x83, b"hi", true), 1002),
    ];
    for (what, bytes, want) in cases {
        let mut stream = raw_upgrade(world.emulator.addr(), &client_path(&world, None), None).await;
        stream.write_all(&bytes).await.expect("write");
        assert_eq!(read_close_code(&mut stream).await, Some(want), "{what}");
        assert!(
            tcp_closed(&mut stream).await,
            "{what}: TCP closed after the close frame"
        );
    }
}

#[tokio::test]
async fn a_frame_declared_past_the_limit_is_refused_from_its_header() {
    let world = World::new().await;
    let mut stream = raw_upgrade(world.emulator.addr(), &client_path(&world, None), None).await;
    // Declares 16 MiB, sends four bytes of it and stops.
    let mut head = vec![0x82u8, 0x80 | 127];
    head.extend_from_slice(&(16u64 * 1024 * 1024).to_be_bytes());
    head.extend_from_slice(&[1, 2, 3, 4, 0, 0, 0, 0]);
    stream.write_all(&head).await.expect("write");
    assert_eq!(read_close_code(&mut stream).await, Some(1009));
}

#[tokio::test]
async fn a_client_stalled_inside_a_frame_is_dropped_after_an_unanswered_ping() {
    let world = World::new().await;
    world.emulator.set_keepalive(Duration::from_millis(200));
    let mut stream = raw_upgrade(world.emulator.addr(), &client_path(&world, None), None).await;
    // Half a frame: 500 KB declared, ten bytes sent. No pong can come until it is finished.
    let mut head = vec![0x82u8, 0x80 | 127];
    head.extend_from_slice(&(500_000u64).to_be_bytes());
    head.extend_from_slice(&[1, 2, 3, 4]);
    head.extend_from_slice(&[0u8; 10]);
    stream.write_all(&head).await.expect("write");
    assert!(
        tcp_closed(&mut stream).await,
        "held past two keep-alive intervals"
    );
}

#[tokio::test]
async fn an_idle_client_that_answers_pings_stays() {
    let world = World::new().await;
    world.emulator.set_keepalive(Duration::from_millis(100));
    let (mut client, id) = world.connect_json("chat", None, &[], &[]).await;
    // Reading answers the emulator's pings; nothing else arrives meanwhile. Five answered
    // pings: a client that answered none would have been dropped after the first.
    let mut pings = 0;
    let quiet = tokio::time::timeout(PATIENCE, async {
        while pings < 5 {
            match client.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                other => return Err(other),
            }
        }
        Ok(())
    })
    .await
    .expect("pinged while idle");
    assert!(quiet.is_ok(), "nothing but pings: {quiet:?}");
    // Still there, asked while the client goes on reading (and so answering pings): a pause
    // in the reading longer than a keep-alive would get it dropped, rightly.
    let answering = async {
        loop {
            match client.next().await {
                Some(Ok(Message::Ping(_))) => {}
                other => return other,
            }
        }
    };
    let path = format!("/api/hubs/chat/connections/{id}");
    tokio::select! {
        resp = world.rest("HEAD", &path, &[], None) => assert_eq!(resp.status, 200),
        other = answering => panic!("nothing but pings: {other:?}"),
    }
}

#[tokio::test]
async fn a_client_close_is_echoed_then_tcp_ends() {
    let world = World::new().await;
    for (subprotocol, code) in [
        (None, 1000u16),
        (Some("json.webpubsub.azure.v1"), 1000),
        (Some(RELIABLE), 4000),
        (Some(RELIABLE), 1000),
    ] {
        let mut client = world.connect("chat", None, &[], &[], subprotocol).await;
        if subprotocol.is_some() {
            next_json(&mut client).await;
        }
        client
            .send(Message::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: "bye".into(),
            })))
            .await
            .expect("send close");
        let echo = tokio::time::timeout(PATIENCE, client.next())
            .await
            .unwrap_or_else(|_| panic!("{subprotocol:?} {code}: no close echo"));
        match echo {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), code, "{subprotocol:?}")
            }
            other => panic!("{subprotocol:?} {code}: expected the close echo, got {other:?}"),
        }
        let end = tokio::time::timeout(PATIENCE, client.next())
            .await
            .unwrap_or_else(|_| panic!("{subprotocol:?} {code}: TCP still open"));
        assert!(end.is_none(), "{subprotocol:?} {code}: {end:?}");
    }
}

/// Resident memory of a process, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// A WebSocket client at `path_and_query` whose receive buffer is 4 KiB, so what the server
/// writes backs up soon unless it reads.
async fn small_buffer_client(
    addr: std::net::SocketAddr,
    path_and_query: &str,
    subprotocol: Option<&str>,
) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let tcp = socket.connect(addr).await.expect("connect");
    let mut req = format!("ws://{addr}{path_and_query}")
        .into_client_request()
        .expect("request");
    if let Some(p) = subprotocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", p.parse().expect("header"));
    }
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (socket, _) = tokio_tungstenite::client_async(req, tcp)
        .await
        .expect("connects");
    socket
}

/// `wps emulator` as a process of its own, so its memory is its own: the child, a REST client
/// for it, and a client token maker.
struct ChildEmulator {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    client: wps::client::Client,
}

impl ChildEmulator {
    /// With a keep-alive of an hour: its stalled clients never answer a ping, and a test
    /// that takes longer than 20 s on a loaded machine must not lose them for that.
    fn start() -> ChildEmulator {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wps"))
            .env_clear()
            .env("WPS_TEST_EMULATOR_KEEPALIVE_MS", "3600000")
            .args(["emulator", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("connection string");
        let cs = ConnectionString::parse(line.trim()).expect("connection string");
        let port: u16 = line
            .split("Port=")
            .nth(1)
            .and_then(|p| p.split(';').next())
            .and_then(|p| p.parse().ok())
            .expect("port");
        let addr = ([127, 0, 0, 1], port).into();
        let client = wps::client::Client::new(cs, ClientOptions::default()).expect("client");
        ChildEmulator {
            child,
            addr,
            client,
        }
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    fn token_for(&self, user: &str) -> String {
        let signer = wps::client::KeySigner::new(&wps::client::Secret::new(
            wps::emulator::DEFAULT_ACCESS_KEY,
        ));
        let now = wps::client::now_secs();
        let claims = wps::client::ClientClaims {
            aud: format!("http://{}/client/hubs/chat", self.addr),
            iat: now,
            exp: now + 3600,
            sub: Some(user.to_string()),
            role: vec![],
            groups: vec![],
        };
        signer.sign(&claims).expect("sign").expose().to_string()
    }

    /// A client of `user` with a tiny receive buffer that never reads.
    async fn stalled_client(&self, user: &str, subprotocol: Option<&str>) -> Socket {
        let path = format!("/client/hubs/chat?access_token={}", self.token_for(user));
        let socket = small_buffer_client(self.addr, &path, subprotocol).await;
        self.joined(user).await;
        socket
    }

    /// Waits until `user` is in the hub (a client joins just after its upgrade, so a send
    /// made as soon as it is upgraded could miss it); fails after `PATIENCE`.
    async fn joined(&self, user: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !self.client.user_exists("chat", user).await.expect("exists") {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{user} never joined"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for ChildEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_and_memory_stays_bounded() {
    let emulator = ChildEmulator::start();
    let (addr, client, pid) = (emulator.addr, &emulator.client, emulator.child.id());
    // The stalled client: a tiny receive buffer, and it never reads.
    let _stalled = emulator.stalled_client("stalled", None).await;
    // A healthy client that reads everything.
    let url = format!(
        "ws://{addr}/client/hubs/chat?access_token={}",
        emulator.token_for("healthy")
    );
    let (mut healthy, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connects");
    emulator.joined("healthy").await;

    let before = rss_kib(pid);
    let payload = Payload::binary(vec![7u8; 1024 * 1024]);
    const SENDS: usize = 200;
    let reader = tokio::spawn(async move {
        let mut got = 0;
        while got < SENDS {
            match tokio::time::timeout(Duration::from_secs(30), healthy.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) if b.len() == 1024 * 1024 => got += 1,
                Ok(Some(Ok(Message::Ping(_)))) => {}
                other => panic!("healthy client after {got}: {other:?}"),
            }
        }
        got
    });
    let mut peak = before;
    for i in 0..SENDS {
        client
            .send_to_all("chat", &payload, &SendOptions::default())
            .await
            .expect("send");
        if i % 20 == 0 {
            peak = peak.max(rss_kib(pid));
        }
    }
    assert_eq!(
        reader.await.expect("reader"),
        SENDS,
        "the healthy client got every message"
    );
    peak = peak.max(rss_kib(pid));
    // Closed with 1008 once its queue overflowed (the close itself may wait a second).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut stalled_there = true;
    while stalled_there && tokio::time::Instant::now() < deadline {
        stalled_there = client.user_exists("chat", "stalled").await.expect("exists");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(emulator);
    let grown_mib = peak.saturating_sub(before) / 1024;
    assert!(
        grown_mib < 100,
        "{SENDS} x 1 MiB to a stalled client grew the emulator by {grown_mib} MiB"
    );
    assert!(!stalled_there, "the stalled client was closed");
}

/// A client that reads slowly (a tiny receive buffer, nothing read until every send is done)
/// still gets every message whole and in order: the emulator writes a message straight to an
/// idle client's socket, finishes a frame the socket took only in part before anything else,
/// and queues the rest behind it.
#[tokio::test]
async fn a_slow_reader_gets_every_message_whole_and_in_order() {
    let world = World::new().await;
    let addr = world.emulator.addr();
    let slow = |protocol: Option<&'static str>| {
        let path = client_path(&world, None);
        async move { small_buffer_client(addr, &path, protocol).await }
    };
    let known = world.connection_ids("chat").await;
    let mut plain = slow(None).await;
    let mut json = slow(Some("json.webpubsub.azure.v1")).await;
    // Both in the hub before the first send (each joins just after its upgrade).
    world.joined("chat", &known, 2).await;

    const SENDS: usize = 200;
    fn body(i: usize) -> String {
        format!("{i:05}{}", "x".repeat(20 * 1024))
    }
    // Reading while the sends go on, and slower than they come: the socket keeps filling and
    // draining, so messages go out directly, in part, and through the queue, in turn.
    let readers = tokio::spawn(async move {
        let connected = next_json(&mut json).await;
        assert_eq!(connected["event"], "connected", "{connected}");
        for i in 0..SENDS {
            match next_frame(&mut plain).await {
                Message::Text(text) => assert!(text.as_str() == body(i), "plain message {i}"),
                other => panic!("plain message {i}: {other:?}"),
            }
            let message = next_json(&mut json).await;
            assert_eq!(message["type"], "message");
            assert!(message["data"] == body(i), "json message {i}");
            if i % 8 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let client = world.rest_client();
    for i in 0..SENDS {
        client
            .send_to_all("chat", &Payload::text(body(i)), &SendOptions::default())
            .await
            .expect("send");
    }
    readers.await.expect("every message, whole and in order");
}

/// A queued message costs its bytes and a small constant, not the request's read buffer: one
/// json client that never reads, with close to its queue's 8,192 messages of 100 bytes queued.
#[tokio::test]
async fn a_stalled_client_queue_costs_the_messages_bytes_not_their_buffers() {
    let emulator = ChildEmulator::start();
    let _stalled = emulator
        .stalled_client("stalled", Some("json.webpubsub.azure.v1"))
        .await;
    let options = SendOptions::default();
    // More than the kernel's socket buffers take, so what follows is queued.
    let filler = Payload::text("f".repeat(1024 * 1024));
    for _ in 0..6 {
        emulator
            .client
            .send_to_all("chat", &filler, &options)
            .await
            .expect("send");
    }
    let before = emulator.rss_kib();
    let payload = Payload::text("x".repeat(100));
    const SENDS: usize = 8_000;
    let sends = (0..SENDS).map(|_| emulator.client.send_to_all("chat", &payload, &options));
    // A few in flight at a time, as a bulk run sends.
    let mut sends = futures_util::stream::iter(sends).buffer_unordered(8);
    while let Some(sent) = sends.next().await {
        sent.expect("send");
    }
    let after = emulator.rss_kib();
    assert!(
        emulator
            .client
            .user_exists("chat", "stalled")
            .await
            .expect("exists"),
        "the stalled client's queue did not overflow"
    );
    let grown_kib = after.saturating_sub(before);
    eprintln!("{SENDS} queued messages: RSS {before} -> {after} KiB");
    assert!(
        grown_kib < 8 * 1024,
        "{SENDS} queued messages of 100 bytes grew the emulator by {grown_kib} KiB"
    );
}

/// Memory a burst of clients used goes back to the system once they are gone: rounds of 60
/// clients, half of them reliable (each holding its own copy of every message it has not
/// acknowledged, and it acknowledges none) and closing cleanly, half plain and dropped without
/// a close, each getting 60 messages of 4-33 KiB; then RSS falls back near where it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_goes_back_to_the_system_after_clients_come_and_go() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    const CLIENTS: usize = 60;
    const SENDS: usize = 60;
    let emulator = ChildEmulator::start();
    let connect = |user: String, reliable: bool| {
        let url = format!(
            "ws://{}/client/hubs/chat?access_token={}",
            emulator.addr,
            emulator.token_for(&user)
        );
        let emulator = &emulator;
        async move {
            let mut req = url.into_client_request().expect("request");
            if reliable {
                req.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    "json.reliable.webpubsub.azure.v1".parse().expect("header"),
                );
            }
            let socket = tokio_tungstenite::connect_async(req)
                .await
                .expect("connects")
                .0;
            // In the hub before the sends start: a send made sooner would miss it.
            emulator.joined(&user).await;
            (socket, user, reliable)
        }
    };
    // Reads every message, and gives the socket back once they are all in.
    let read_all = |(mut socket, user, reliable): (Socket, String, bool)| {
        tokio::spawn(async move {
            let mut got = 0;
            while got < SENDS {
                let next = tokio::time::timeout(PATIENCE, socket.next()).await;
                match next.unwrap_or_else(|_| panic!("{user} after {got} messages: no more")) {
                    Some(Ok(Message::Binary(_))) => got += 1,
                    Some(Ok(Message::Text(t))) if t.contains(r#""type":"message""#) => got += 1,
                    Some(Ok(_)) => {}
                    other => panic!("{user} after {got} messages: {other:?}"),
                }
            }
            (socket, reliable)
        })
    };
    let options = SendOptions::default();
    let round = async |r: usize| {
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            clients.push(read_all(connect(format!("u{r}-{i}"), i % 2 == 0).await));
        }
        for i in 0..SENDS {
            let size = 4 + i % 30;
            let payload = Payload::binary(vec![b'm'; size * 1024]);
            emulator
                .client
                .send_to_all("chat", &payload, &options)
                .await
                .expect("send");
        }
        for client in clients {
            let (mut socket, reliable) = client.await.expect("every message");
            if reliable {
                socket.close(None).await.expect("close");
                tokio::time::timeout(PATIENCE, async {
                    while let Some(Ok(_)) = socket.next().await {}
                })
                .await
                .expect("the close is answered");
            }
            // A plain client just goes: its socket is dropped without a close.
        }
    };
    // Every client of round `r` has left the hub.
    let gone = async |r: usize| {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        for i in 0..CLIENTS {
            let user = format!("u{r}-{i}");
            while emulator
                .client
                .user_exists("chat", &user)
                .await
                .expect("exists")
            {
                assert!(tokio::time::Instant::now() < deadline, "{user} still there");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    round(0).await;
    gone(0).await;
    let before = emulator.rss_kib();
    let mut peak = before;
    for r in 1..=10 {
        round(r).await;
        peak = peak.max(emulator.rss_kib());
        gone(r).await;
    }
    // Given back within seconds of the last close: a bound on whether, not on how fast.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut now = emulator.rss_kib();
    while now > before + 16 * 1024 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        now = emulator.rss_kib();
    }
    eprintln!("churn: RSS {before} KiB, peak {peak} KiB, after {now} KiB");
    assert!(
        now <= before + 16 * 1024,
        "RSS stayed at {now} KiB after the clients left (from {before}, peak {peak})"
    );
}

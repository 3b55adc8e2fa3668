//! Web PubSub for Socket.IO, the client side: Engine.IO v4 over WebSocket, long-polling and
//! polling upgraded, with the edge cases a real client library does not produce (bad
//! packets, a client that never answers pings, an upgrade that never completes, an oversized
//! payload). Each ends only the connection at fault; a bystander is served after it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use wps::client::Payload;

use crate::common::{Socket, World, PATIENCE};

const HUB: &str = "chat";

fn endpoint(world: &World) -> String {
    format!(
        "http://{}/clients/socketio/hubs/{HUB}/",
        world.emulator.addr()
    )
}

/// A WebSocket client (no polling first) and its `open` packet.
async fn ws_client(world: &World) -> (Socket, Value) {
    let path = format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket");
    let (mut socket, _) = world.try_connect_url(&path, &[]).await.expect("connects");
    let open = next_text(&mut socket).await;
    let open = open.strip_prefix('0').expect("an open packet first");
    (
        socket,
        serde_json::from_str(open).expect("open data is JSON"),
    )
}

/// The next text frame (WebSocket pings skipped); fails after `PATIENCE`.
pub(crate) async fn next_text(socket: &mut Socket) -> String {
    match next_data(socket).await {
        Some(Message::Text(t)) => t.to_string(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next data frame, None once the socket closes; fails after `PATIENCE`.
pub(crate) async fn next_data(socket: &mut Socket) -> Option<Message> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame or the close arrives");
        match frame {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(other)) => return Some(other),
        }
    }
}

/// Reads until the socket closes, skipping Engine.IO pings; returns the texts seen.
pub(crate) async fn until_closed(socket: &mut Socket) -> Vec<String> {
    let mut seen = Vec::new();
    while let Some(frame) = next_data(socket).await {
        if let Message::Text(t) = frame {
            seen.push(t.to_string());
        }
    }
    seen
}

pub(crate) async fn send_text(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.to_string().into()))
        .await
        .expect("send");
}

/// A REST send of an Engine.IO payload to the hub, `to` a group, or to a connection.
pub(crate) async fn rest_send(world: &World, to: Option<(&str, &str)>, payload: &str) {
    let path = match to {
        None => format!("/api/hubs/{HUB}/:send"),
        Some(("group", g)) => format!("/api/hubs/{HUB}/groups/{g}/:send"),
        Some((_, c)) => format!("/api/hubs/{HUB}/connections/{c}/:send"),
    };
    let resp = world
        .rest("POST", &path, &[], Some(Payload::text(payload)))
        .await;
    assert_eq!(resp.status, 202, "send {payload:?} to {to:?}");
}

/// A polling handshake: the sid and the `open` data.
async fn poll_open(world: &World) -> (String, Value) {
    let (status, body) = poll_get(world, None).await;
    assert_eq!(status, 200, "{body}");
    let open: Value = serde_json::from_str(body.strip_prefix('0').expect("open")).expect("JSON");
    let sid = open["sid"].as_str().expect("sid").to_string();
    (sid, open)
}

async fn poll_get(world: &World, sid: Option<&str>) -> (u16, String) {
    let mut url = format!("{}?EIO=4&transport=polling", endpoint(world));
    if let Some(sid) = sid {
        url.push_str(&format!("&sid={sid}"));
    }
    let resp = tokio::time::timeout(PATIENCE, reqwest::get(&url))
        .await
        .expect("answered")
        .expect("GET");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn poll_post(world: &World, sid: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let url = format!("{}?EIO=4&transport=polling&sid={sid}", endpoint(world));
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// GETs until packets starting with `want` have all arrived (in order, others between them
/// allowed).
async fn poll_until(world: &World, sid: &str, want: &[&str]) {
    let mut seen: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !contains_in_order(&seen, want) {
        assert!(tokio::time::Instant::now() < deadline, "saw only {seen:?}");
        let (status, body) = poll_get(world, Some(sid)).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(body.split('\x1e').map(str::to_string));
    }
}

fn contains_in_order(seen: &[String], want: &[&str]) -> bool {
    let mut it = seen.iter();
    want.iter().all(|w| it.any(|s| s.starts_with(w)))
}

/// A bystander WebSocket client joined to `/`: after the thing under test, it must still get
/// a REST send.
async fn bystander(world: &World) -> Socket {
    let (mut socket, _) = ws_client(world).await;
    send_text(&mut socket, "40").await;
    assert!(next_text(&mut socket).await.starts_with("40{"));
    socket
}

async fn bystander_is_served(world: &World, socket: &mut Socket) {
    rest_send(world, None, r#"42["still here"]"#).await;
    loop {
        let t = next_text(socket).await;
        if t == "2" {
            send_text(socket, "3").await;
            continue;
        }
        assert_eq!(t, r#"42["still here"]"#);
        return;
    }
}

#[tokio::test]
async fn websocket_handshake_namespaces_and_rest_sends_reach_the_client() {
    let world = World::new().await;
    let (mut socket, open) = ws_client(&world).await;
    assert_eq!(open["upgrades"], serde_json::json!([]));
    assert_eq!(open["pingInterval"], 25000);
    assert_eq!(open["pingTimeout"], 20000);
    assert_eq!(open["maxPayload"], 1_000_000);
    let sid = open["sid"].as_str().expect("sid");

    send_text(&mut socket, r#"40{"token":"t"}"#).await;
    let connected = next_text(&mut socket).await;
    let data: Value =
        serde_json::from_str(connected.strip_prefix("40").expect("CONNECT")).expect("JSON");
    assert!(data["sid"].is_string(), "{connected}");
    send_text(&mut socket, "40/admin,").await;
    assert!(next_text(&mut socket)
        .await
        .starts_with("40/admin,{\"sid\":"));

    // The connection is the hub's, in its namespaces' groups (named as the extension does).
    rest_send(
        &world,
        Some(("group", "0~L2FkbWlu~")),
        r#"42/admin,["to admin"]"#,
    )
    .await;
    assert_eq!(next_text(&mut socket).await, r#"42/admin,["to admin"]"#);
    rest_send(&world, Some(("connection", sid)), r#"42["to you",1]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"42["to you",1]"#);
    // A binary event: its placeholder packet, then the attachment as a binary frame.
    let binary = "451-[\"b\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID";
    rest_send(&world, None, binary).await;
    assert_eq!(
        next_text(&mut socket).await,
        r#"451-["b",{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(
        next_data(&mut socket).await,
        Some(Message::Binary(vec![1, 2, 3].into()))
    );

    // Leaving a namespace leaves its group: a send there is not delivered, the sentinel is.
    send_text(&mut socket, "41/admin,").await;
    rest_send(
        &world,
        Some(("group", "0~L2FkbWlu~")),
        r#"42/admin,["gone"]"#,
    )
    .await;
    rest_send(&world, None, r#"42["sentinel"]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"42["sentinel"]"#);
    // A message that is not an Engine.IO payload is dropped, not fatal.
    rest_send(&world, None, "").await;
    rest_send(&world, None, r#"42["after"]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"42["after"]"#);

    // A server's close packet in a payload is the last thing the client gets.
    let (mut second, open) = ws_client(&world).await;
    let second_id = open["sid"].as_str().expect("sid").to_string();
    rest_send(
        &world,
        Some(("connection", &second_id)),
        "42[\"last\"]\x1e1\x1e42[\"never\"]",
    )
    .await;
    assert_eq!(
        until_closed(&mut second).await,
        vec![r#"42["last"]"#.to_string(), "1".to_string()]
    );

    // Closing the connection over REST: Engine.IO's close packet, then the socket closes.
    let path = format!("/api/hubs/{HUB}/connections/{sid}");
    assert_eq!(world.rest("DELETE", &path, &[], None).await.status, 204);
    assert_eq!(until_closed(&mut socket).await, vec!["1".to_string()]);
}

#[tokio::test]
async fn polling_carries_packets_both_ways_and_upgrades_to_websocket() {
    let world = World::new().await;
    let (sid, open) = poll_open(&world).await;
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(poll_post(&world, &sid, "40").await, (200, "ok".to_string()));
    let (_, body) = poll_get(&world, Some(&sid)).await;
    assert!(body.starts_with("40{\"sid\":"), "{body}");

    // Two sends and a binary one reach the next polls, in order, binary as `b` + base64.
    rest_send(&world, None, r#"42["one"]"#).await;
    rest_send(
        &world,
        None,
        "451-[\"two\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID",
    )
    .await;
    poll_until(
        &world,
        &sid,
        &[
            r#"42["one"]"#,
            r#"451-["two",{"_placeholder":true,"num":0}]"#,
            "bAQID",
        ],
    )
    .await;

    // Upgrade: a poll waits while the probe runs; `3probe` answers `2probe`, the waiting poll
    // is let go with a noop, `5` moves the connection to the WebSocket.
    let waiting = {
        let url = format!("{}?EIO=4&transport=polling&sid={sid}", endpoint(&world));
        tokio::spawn(async move {
            reqwest::get(&url)
                .await
                .expect("GET")
                .text()
                .await
                .expect("body")
        })
    };
    let path = format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket&sid={sid}");
    let (mut socket, _) = world.try_connect_url(&path, &[]).await.expect("connects");
    send_text(&mut socket, "2probe").await;
    assert_eq!(next_text(&mut socket).await, "3probe");
    let let_go = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(let_go, "6");
    send_text(&mut socket, "5").await;
    rest_send(&world, Some(("connection", &sid)), r#"42["upgraded"]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"42["upgraded"]"#);
    // The client's packets now come over the WebSocket too.
    send_text(&mut socket, "40/admin,").await;
    assert!(next_text(&mut socket).await.starts_with("40/admin,"));
}

#[tokio::test]
async fn malformed_packets_close_only_their_connection() {
    let world = World::new().await;
    let mut other = bystander(&world).await;
    for bad in [
        "9",
        "",
        "4",
        "4{}",
        r#"42{}"#,
        r#"45["no count"]"#,
        r#"44{"message":"x"}"#,
        "0",
    ] {
        let (mut socket, _) = ws_client(&world).await;
        send_text(&mut socket, bad).await;
        until_closed(&mut socket).await;
    }
    // A binary frame no packet announced.
    let (mut socket, _) = ws_client(&world).await;
    socket
        .send(Message::Binary(vec![1u8].into()))
        .await
        .expect("send");
    until_closed(&mut socket).await;
    // A text packet where an announced attachment was due.
    let (mut socket, _) = ws_client(&world).await;
    send_text(&mut socket, r#"451-["b",{"_placeholder":true,"num":0}]"#).await;
    send_text(&mut socket, r#"42["a"]"#).await;
    until_closed(&mut socket).await;

    // Polling: a body that is not Engine.IO is refused and ends the connection.
    let (sid, _) = poll_open(&world).await;
    assert_eq!(poll_post(&world, &sid, "xyz").await.0, 400);
    let (status, body) = poll_get(&world, Some(&sid)).await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"code":1,"message":"Session ID unknown"}"#)
    );

    // Engine.IO's request errors.
    let url = |q: &str| format!("{}?{q}", endpoint(&world));
    for (query, code) in [
        ("EIO=3&transport=polling", 5),
        ("EIO=4&transport=flash", 0),
        ("EIO=4&transport=polling&sid=nope", 1),
    ] {
        let resp = reqwest::get(url(query)).await.expect("GET");
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("JSON");
        assert_eq!(body["code"], code, "{query}");
    }
    let resp = reqwest::Client::new()
        .post(url("EIO=4&transport=polling"))
        .body("40")
        .send()
        .await
        .expect("POST");
    assert_eq!(resp.status(), 400);

    bystander_is_served(&world, &mut other).await;
}

#[tokio::test]
async fn a_client_that_never_answers_pings_is_dropped() {
    let world = World::new().await;
    // Pings every 100 ms; a client has 2 s to answer one (a loaded machine answers sooner).
    world
        .emulator
        .set_socketio_timing(Duration::from_millis(100), Duration::from_secs(2));
    let mut other = bystander(&world).await;
    let (tx, mut bystander_saw) = tokio::sync::mpsc::channel::<String>(16);
    // The bystander answers every ping while the silent clients are dropped.
    let answering = tokio::spawn(async move {
        loop {
            let t = next_text(&mut other).await;
            if t == "2" {
                send_text(&mut other, "3").await;
            } else if tx.send(t).await.is_err() {
                return;
            }
        }
    });

    let (mut silent, _) = ws_client(&world).await;
    // One ping (the next waits for its pong), then Engine.IO's close packet.
    let seen = until_closed(&mut silent).await;
    assert_eq!(seen, vec!["2".to_string(), "1".to_string()]);
    // A polling client that stops polling: its pings go unanswered too.
    let (sid, _) = poll_open(&world).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let url = format!("{}?EIO=4&transport=polling&sid={sid}", endpoint(&world));
        let resp = reqwest::Client::new()
            .post(&url)
            .body("6")
            .send()
            .await
            .expect("POST");
        if resp.status() == 400 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    rest_send(&world, None, r#"42["still here"]"#).await;
    let got = tokio::time::timeout(PATIENCE, bystander_saw.recv())
        .await
        .expect("arrives");
    assert_eq!(got.as_deref(), Some(r#"42["still here"]"#));
    answering.abort();
}

#[tokio::test]
async fn an_upgrade_that_never_completes_is_abandoned_and_polling_goes_on() {
    let world = World::new().await;
    // The upgrade must complete within the ping timeout (here 300 ms); pings are far off.
    world
        .emulator
        .set_socketio_timing(Duration::from_secs(600), Duration::from_millis(300));
    let (sid, _) = poll_open(&world).await;
    let path = format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket&sid={sid}");
    // Silent after opening, then probed but never finished: both are closed.
    let (mut silent, _) = world.try_connect_url(&path, &[]).await.expect("connects");
    assert!(until_closed(&mut silent).await.is_empty());
    let (mut probed, _) = world.try_connect_url(&path, &[]).await.expect("connects");
    send_text(&mut probed, "2probe").await;
    assert_eq!(until_closed(&mut probed).await, vec!["3probe".to_string()]);
    // The connection goes on polling.
    assert_eq!(poll_post(&world, &sid, "40").await.0, 200);
    poll_until(&world, &sid, &["40{\"sid\":"]).await;
    rest_send(&world, Some(("connection", &sid)), r#"42["polled"]"#).await;
    poll_until(&world, &sid, &[r#"42["polled"]"#]).await;
}

#[tokio::test]
async fn an_oversized_payload_closes_only_its_connection() {
    let world = World::new().await;
    let mut other = bystander(&world).await;
    let big = format!("4{}", "a".repeat(1_000_000));
    let (mut socket, _) = ws_client(&world).await;
    // The write may fail once the emulator has refused the frame from its header.
    let _ = socket.send(Message::Text(big.clone().into())).await;
    until_closed(&mut socket).await;

    let (sid, _) = poll_open(&world).await;
    assert_eq!(poll_post(&world, &sid, big).await.0, 413);
    let (status, _) = poll_get(&world, Some(&sid)).await;
    assert_eq!(status, 400, "the connection ended");

    bystander_is_served(&world, &mut other).await;
}

#[tokio::test]
async fn overlapping_polls_and_too_many_namespaces_close_the_connection() {
    let world = World::new().await;
    let mut other = bystander(&world).await;
    // Two GETs waiting at once: engine.io closes the connection, and so does the emulator:
    // the one that waited gets the close packet, the one that overlapped it a 400.
    let (sid, _) = poll_open(&world).await;
    let first = {
        let url = format!("{}?EIO=4&transport=polling&sid={sid}", endpoint(&world));
        tokio::spawn(async move {
            let resp = reqwest::get(&url).await.expect("GET");
            (resp.status().as_u16(), resp.text().await.expect("body"))
        })
    };
    let second = poll_get(&world, Some(&sid)).await;
    let first = tokio::time::timeout(PATIENCE, first)
        .await
        .expect("answered")
        .expect("task");
    let mut answers = [first, second];
    answers.sort();
    assert_eq!(answers[0], (200, "1".to_string()), "{answers:?}");
    assert_eq!(answers[1].0, 400, "{answers:?}");
    let (status, _) = poll_get(&world, Some(&sid)).await;
    assert_eq!(status, 400, "the connection ended");

    // Namespaces are bounded per connection: the 65th closes it.
    let (mut socket, _) = ws_client(&world).await;
    for i in 0..64 {
        send_text(&mut socket, &format!("40/n{i},")).await;
        assert!(next_text(&mut socket)
            .await
            .starts_with(&format!("40/n{i},")));
    }
    send_text(&mut socket, "40/one-too-many,").await;
    assert_eq!(until_closed(&mut socket).await, vec!["1".to_string()]);

    bystander_is_served(&world, &mut other).await;
}

/// Default mode against a raw tunnel client (the extension's end, written from the protocol):
/// the connect carries the Engine.IO query and the reply's `socketio` is the open packet; the
/// client's packets arrive as `message` events in order, `disconnected` after them; a client
/// silent past a ping interval and timeout is dropped even though the emulator does not ping it.
#[tokio::test]
async fn default_mode_offers_the_connection_to_the_hubs_tunnel() {
    use crate::tunnel::{header, next_request, raw_tunnel, response, send_message};

    let world = World::new().await;
    world
        .emulator
        .set_socketio_timing(Duration::from_millis(100), Duration::from_millis(200));
    let (mut tunnel, _) = raw_tunnel(&world, HUB).await;
    // The client connects in a task: its open packet waits for the server's answer.
    let opening = {
        let path = format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket&extra=1");
        let url = format!("ws://{}{path}", world.emulator.addr());
        tokio::spawn(async move {
            let (mut socket, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("connects");
            let open = next_text(&mut socket).await;
            (socket, open)
        })
    };
    let mut connect = next_request(&mut tunnel).await;
    while connect.method == "OPTIONS" {
        let allowed = response(&connect, 200, &[("WebHook-Allowed-Origin", "*")], b"");
        send_message(&mut tunnel, &allowed).await;
        connect = next_request(&mut tunnel).await;
    }
    assert!(connect.url.contains("/eventhandler/"), "{}", connect.url);
    assert_eq!(
        header(&connect, "ce-type"),
        Some("azure.webpubsub.sys.connect")
    );
    let id = header(&connect, "ce-connectionId")
        .expect("connection id")
        .to_string();
    let body: Value = serde_json::from_slice(&connect.content).expect("JSON");
    assert_eq!(body["query"]["EIO"], serde_json::json!(["4"]));
    assert_eq!(body["query"]["extra"], serde_json::json!(["1"]));
    let open = serde_json::json!({"socketio": {"sid": id, "upgrades": [], "pingInterval": 100,
        "pingTimeout": 200, "maxPayload": 1_000_000}});
    let reply = response(
        &connect,
        200,
        &[("content-type", "application/json")],
        open.to_string().as_bytes(),
    );
    send_message(&mut tunnel, &reply).await;
    let (mut socket, open) = tokio::time::timeout(PATIENCE, opening)
        .await
        .expect("opened")
        .expect("task");
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).expect("JSON");
    assert_eq!(open["sid"], id.as_str());
    assert_eq!(open["pingInterval"], 100);

    // Two packets, then silence: two message events in order, then disconnected.
    send_text(&mut socket, r#"40{"token":"t"}"#).await;
    send_text(&mut socket, r#"42["hello"]"#).await;
    let mut seen = Vec::new();
    loop {
        let r = next_request(&mut tunnel).await;
        send_message(&mut tunnel, &response(&r, 200, &[], b"")).await;
        let kind = header(&r, "ce-type").unwrap_or("").to_string();
        let body = String::from_utf8_lossy(&r.content).into_owned();
        seen.push((kind.clone(), body));
        if kind == "azure.webpubsub.sys.disconnected" {
            break;
        }
    }
    assert_eq!(
        seen[0],
        (
            "azure.webpubsub.user.message".into(),
            r#"40{"token":"t"}"#.into()
        )
    );
    assert_eq!(
        seen[1],
        (
            "azure.webpubsub.user.message".into(),
            r#"42["hello"]"#.into()
        )
    );
    assert_eq!(seen.len(), 3, "{seen:?}");
    // No ping came from the emulator (the server pings), and the silent client was closed.
    assert_eq!(until_closed(&mut socket).await, vec!["1".to_string()]);
}

/// The first ack id the emulator gives an invocation's delivery (2^32; see
/// `socketio/invocations.rs`).
const FIRST_ACK_ID: u64 = 1 << 32;

/// Starts `:invoke` on the hub with `payload`; the answer, its body still streaming.
async fn invoke(
    world: &World,
    query: &[(&str, &str)],
    content_type: &str,
    payload: &str,
) -> reqwest::Response {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let url = format!("http://{}/api/hubs/{HUB}/:invoke", world.emulator.addr());
    // Spaces as %20: the REST API over HTTP reads `+` as itself, as the service does.
    let mut full = format!("{url}?api-version=2024-01-01");
    for (k, v) in query {
        full.push_str(&format!(
            "&{k}={}",
            utf8_percent_encode(v, NON_ALPHANUMERIC)
        ));
    }
    tokio::time::timeout(
        PATIENCE,
        reqwest::Client::new()
            .post(&full)
            .bearer_auth(world.rest_token(&url))
            .header("content-type", content_type)
            .body(payload.to_string())
            .send(),
    )
    .await
    .expect("answered")
    .expect("POST")
}

/// The rest of an invocation's body, its lines' payloads in order; fails after `PATIENCE`.
async fn payloads(resp: reqwest::Response) -> Vec<String> {
    let body = tokio::time::timeout(PATIENCE, resp.text())
        .await
        .expect("the body ends")
        .expect("body");
    assert!(body.is_empty() || body.ends_with('\n'), "{body:?}");
    body.lines()
        .map(|l| {
            let line: Value = serde_json::from_str(l).expect("a JSON line");
            line["Payload"].as_str().expect("Payload").to_string()
        })
        .collect()
}

/// A WebSocket client joined to `/`, and its connection id.
async fn joined_client(world: &World) -> (Socket, String) {
    let (mut socket, open) = ws_client(world).await;
    send_text(&mut socket, "40").await;
    assert!(next_text(&mut socket).await.starts_with("40{"));
    (socket, open["sid"].as_str().expect("sid").to_string())
}

/// The event an invocation delivered (`42<id>[...]`, pings answered on the way): its ack id
/// and data.
async fn invoked(socket: &mut Socket) -> (u64, String) {
    loop {
        let t = next_text(socket).await;
        if t == "2" {
            send_text(socket, "3").await;
            continue;
        }
        let rest = t.strip_prefix("42").expect("an EVENT");
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let id = rest[..digits].parse().expect("an ack id");
        return (id, rest[digits..].to_string());
    }
}

/// `:invoke` over plain HTTP, no Socket.IO server: a WebSocket client and a polling client
/// answer (one with a binary ACK), a client the filter leaves out and a plain WebSocket
/// client get nothing, and the body ends once the two have answered, a line each.
#[tokio::test]
async fn invoke_gathers_the_acks_of_the_socketio_clients_it_reaches() {
    let world = World::new().await;
    let (mut alice, _) = joined_client(&world).await;
    let (bob, _) = poll_open(&world).await;
    assert_eq!(poll_post(&world, &bob, "40").await.0, 200);
    poll_until(&world, &bob, &["40{\"sid\":"]).await;
    let (mut carol, carol_id) = joined_client(&world).await;
    let path = format!("/api/hubs/{HUB}/groups/0~Lw~b3V0/connections/{carol_id}");
    assert_eq!(world.rest("PUT", &path, &[], None).await.status, 200);
    let mut plain = world.connect(HUB, None, &[], &[], None).await;

    let filter = "'0~Lw~' in groups and not ('0~Lw~b3V0' in groups)";
    let resp = invoke(&world, &[("filter", filter)], "text/plain", r#"42["q",1]"#).await;
    assert_eq!(resp.status(), 200);
    let (alice_id, data) = invoked(&mut alice).await;
    assert_eq!(data, r#"["q",1]"#);
    assert!(alice_id >= FIRST_ACK_ID, "{alice_id}");
    // The polling client gets it on its next GET.
    let (status, body) = poll_get(&world, Some(&bob)).await;
    assert_eq!(status, 200);
    let bob_id: u64 = body
        .strip_prefix("42")
        .and_then(|r| r.strip_suffix(r#"["q",1]"#))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an EVENT with an ack id, got {body:?}"));
    assert_ne!(alice_id, bob_id);

    // An ACK with an id nobody invoked is the client's own business; then the answers.
    send_text(&mut alice, r#"437["not an answer"]"#).await;
    send_text(&mut alice, &format!(r#"43{alice_id}["alice says 1"]"#)).await;
    let binary_ack = format!("461-{bob_id}[{{\"_placeholder\":true,\"num\":0}}]\x1ebAQID");
    assert_eq!(poll_post(&world, &bob, binary_ack.clone()).await.0, 200);
    let mut got = payloads(resp).await;
    got.sort();
    let mut want = vec![
        format!(r#"43{alice_id}["alice says 1"]"#),
        format!("461-{bob_id}[{{\"_placeholder\":true,\"num\":0}}]\x1ebAQID"),
    ];
    want.sort();
    assert_eq!(got, want);

    // Carol (filtered out) and the plain client (not Socket.IO) got nothing before a sentinel.
    rest_send(&world, None, r#"42["sentinel"]"#).await;
    assert_eq!(next_text(&mut carol).await, r#"42["sentinel"]"#);
    match next_data(&mut plain).await {
        Some(Message::Text(t)) => assert_eq!(t.as_str(), r#"42["sentinel"]"#),
        other => panic!("expected the sentinel, got {other:?}"),
    }
    assert_eq!(next_text(&mut alice).await, r#"42["sentinel"]"#);
    poll_until(&world, &bob, &[r#"42["sentinel"]"#]).await;

    // Each delivery has an id of its own, never given before; all three answer this one.
    let filter = "'0~Lw~' in groups";
    let resp = invoke(
        &world,
        &[("filter", filter)],
        "text/plain",
        r#"42["again"]"#,
    )
    .await;
    let (carol_again, _) = invoked(&mut carol).await;
    let (alice_again, _) = invoked(&mut alice).await;
    let (_, body) = poll_get(&world, Some(&bob)).await;
    let bob_again: u64 = body
        .strip_prefix("42")
        .and_then(|r| r.strip_suffix(r#"["again"]"#))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the event, got {body:?}"));
    let mut ids = vec![alice_id, bob_id, alice_again, bob_again, carol_again];
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "{ids:?}");
    send_text(&mut carol, &format!(r#"43{carol_again}["c"]"#)).await;
    send_text(&mut alice, &format!(r#"43{alice_again}["a"]"#)).await;
    let ack = format!(r#"43{bob_again}["b"]"#);
    assert_eq!(poll_post(&world, &bob, ack).await.0, 200);
    assert_eq!(payloads(resp).await.len(), 3);
}

/// A client that closes while invoked counts as answered (no line); one that never answers
/// is left behind when the wait is over, and the body ends with the answers that came.
#[tokio::test]
async fn invoke_ends_without_the_clients_that_close_or_never_answer() {
    let world = World::new().await;
    let (mut alice, _) = joined_client(&world).await;
    let (mut leaving, leaving_id) = joined_client(&world).await;
    // The delivery keeps its place between the sends around it.
    rest_send(&world, Some(("connection", &leaving_id)), r#"42["before"]"#).await;
    let resp = invoke(&world, &[], "text/plain", r#"42["q"]"#).await;
    rest_send(&world, Some(("connection", &leaving_id)), r#"42["after"]"#).await;
    let (id, _) = invoked(&mut alice).await;
    assert_eq!(next_text(&mut leaving).await, r#"42["before"]"#);
    invoked(&mut leaving).await;
    assert_eq!(next_text(&mut leaving).await, r#"42["after"]"#);
    leaving.close(None).await.expect("close");
    send_text(&mut alice, &format!(r#"43{id}["here"]"#)).await;
    // With the default wait (a minute), the body ends as soon as both are accounted for.
    assert_eq!(payloads(resp).await, vec![format!(r#"43{id}["here"]"#)]);

    world
        .emulator
        .set_socketio_invoke_wait(Duration::from_millis(500));
    let (mut silent, _) = joined_client(&world).await;
    let resp = invoke(&world, &[], "text/plain", r#"42["q"]"#).await;
    let (id, _) = invoked(&mut alice).await;
    invoked(&mut silent).await;
    send_text(&mut alice, &format!(r#"43{id}["here"]"#)).await;
    assert_eq!(payloads(resp).await, vec![format!(r#"43{id}["here"]"#)]);
    // A late answer is no invocation's any more: it goes nowhere, and nothing breaks.
    send_text(&mut silent, &format!(r#"43{}["late"]"#, id + 1)).await;
    let resp = invoke(&world, &[], "text/plain", r#"42["once more"]"#).await;
    let (a, _) = invoked(&mut alice).await;
    let (s, _) = invoked(&mut silent).await;
    send_text(&mut alice, &format!(r#"43{a}["a"]"#)).await;
    send_text(&mut silent, &format!(r#"43{s}["s"]"#)).await;
    assert_eq!(payloads(resp).await.len(), 2);
}

/// What is not a Socket.IO event is refused as a send refuses a bad body; invocations in
/// flight are capped per connection (an invocation past it skips the connection) and per hub
/// (429).
#[tokio::test]
async fn invoke_refuses_bad_bodies_and_keeps_its_bounds() {
    let world = World::new().await;
    for (content_type, body, status) in [
        ("application/json", r#"["q"]"#, 415),
        ("application/octet-stream", "42[\"q\"]", 415),
        ("text/plain", "", 400),
        ("text/plain", "40", 400),
        ("text/plain", r#"43["q"]"#, 400),
        (
            "text/plain",
            "451-[\"f\",{\"_placeholder\":true,\"num\":0}]",
            400,
        ),
    ] {
        let resp = invoke(&world, &[], content_type, body).await;
        assert_eq!(resp.status(), status, "{content_type} {body:?}");
    }
    // No Socket.IO client at all: an empty answer at once.
    let resp = invoke(&world, &[], "text/plain", r#"42["q"]"#).await;
    assert_eq!(resp.status(), 200);
    assert!(payloads(resp).await.is_empty());

    // Four silent clients, 32 invocations each (the per-connection cap): 128, the hub's cap.
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(joined_client(&world).await);
    }
    let mut pending = Vec::new();
    for (i, (_, id)) in silent.iter().enumerate() {
        let filter = format!("connectionId eq '{id}'");
        for _ in 0..32 {
            let resp = invoke(&world, &[("filter", &filter)], "text/plain", r#"42["q"]"#).await;
            assert_eq!(resp.status(), 200);
            pending.push(resp);
        }
        if i == 0 {
            // A 33rd for the first client skips it: an empty answer at once.
            let resp = invoke(&world, &[("filter", &filter)], "text/plain", r#"42["q"]"#).await;
            assert_eq!(resp.status(), 200);
            assert!(payloads(resp).await.is_empty());
        }
    }
    let resp = invoke(&world, &[], "text/plain", r#"42["q"]"#).await;
    assert_eq!(resp.status(), 429);
    // Closing the clients ends every invocation; the hub takes invocations again.
    for (socket, _) in &mut silent {
        socket.close(None).await.expect("close");
    }
    for resp in pending {
        assert!(payloads(resp).await.is_empty());
    }
    let resp = invoke(&world, &[], "text/plain", r#"42["q"]"#).await;
    assert_eq!(resp.status(), 200);
    assert!(payloads(resp).await.is_empty());
}

/// A Socket.IO client accepted by a raw tunnel (the server's end): the connect answered with
/// the emulator's own open data (after a validation, if any). The client and its sid.
async fn client_through(world: &World, tunnel: &mut Socket) -> (Socket, String) {
    use crate::tunnel::{next_request, response, send_message};
    let opening = {
        let path = format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket");
        let url = format!("ws://{}{path}", world.emulator.addr());
        tokio::spawn(async move {
            let (mut socket, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("connects");
            let open = next_text(&mut socket).await;
            (socket, open)
        })
    };
    let mut connect = next_request(tunnel).await;
    while connect.method == "OPTIONS" {
        let allowed = response(&connect, 200, &[("WebHook-Allowed-Origin", "*")], b"");
        send_message(tunnel, &allowed).await;
        connect = next_request(tunnel).await;
    }
    send_message(tunnel, &response(&connect, 200, &[], b"")).await;
    let (socket, open) = tokio::time::timeout(PATIENCE, opening)
        .await
        .expect("opened")
        .expect("task");
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).expect("JSON");
    (socket, open["sid"].as_str().expect("sid").to_string())
}

/// A REST call as the extension sends one through the tunnel (`text/plain`, api-version
/// 2023-07-01): `path_and_query` after the hub.
fn tunnel_call(ack_id: u64, path_and_query: &str, body: &str) -> wps::client::tunnel::Message {
    use wps::client::tunnel::{Headers, HttpRequest, Message as Tunnel};
    let mut headers = Headers::new();
    headers.insert("Content-Type".into(), vec!["text/plain".into()]);
    Tunnel::HttpRequest(HttpRequest {
        ack_id,
        local_routing: true,
        channel_name: String::new(),
        method: "POST".into(),
        url: format!("https://host/api/hubs/{HUB}/{path_and_query}"),
        headers,
        content: body.to_string().into_bytes().into(),
    })
}

/// A tunnel answer's ack id, status, NotCompleted and body.
fn answer_part(message: wps::client::tunnel::Message) -> (u64, u16, bool, String) {
    match message {
        wps::client::tunnel::Message::HttpResponse(r) => (
            r.ack_id,
            r.status_code,
            r.not_completed,
            String::from_utf8(r.content.to_vec()).expect("UTF-8"),
        ),
        other => panic!("expected an answer, got {other:?}"),
    }
}

/// `:invoke` through the hub's tunnel, as the extension calls it: the status at once, then
/// each answer in an HttpResponse with NotCompleted as it comes, then an empty last one; the
/// client's ACK is the invocation's, not a `message` event for the server.
#[tokio::test]
async fn invoke_through_the_tunnel_streams_each_answer_as_it_comes() {
    use crate::tunnel::{next_message, raw_tunnel, send_message};

    let world = World::new().await;
    let (mut tunnel, _) = raw_tunnel(&world, HUB).await;
    let (mut socket, _) = client_through(&world, &mut tunnel).await;
    let call = tunnel_call(1, ":invoke?api-version=2023-07-01", r#"42["q"]"#);
    send_message(&mut tunnel, &call).await;
    let part = |m| {
        let (ack, status, more, body) = answer_part(m);
        assert_eq!((ack, status), (1, 200));
        (more, body)
    };
    assert_eq!(part(next_message(&mut tunnel).await), (true, String::new()));
    let (id, data) = invoked(&mut socket).await;
    assert_eq!(data, r#"["q"]"#);
    send_text(&mut socket, &format!(r#"43{id}["a"]"#)).await;
    let line = format!(
        "{}\n",
        serde_json::json!({ "Payload": format!(r#"43{id}["a"]"#) })
    );
    assert_eq!(part(next_message(&mut tunnel).await), (true, line));
    assert_eq!(
        part(next_message(&mut tunnel).await),
        (false, String::new())
    );
}

/// Invocations waiting on silent clients do not count against the REST calls a tunnel
/// connection may have in flight (64): past that many, the client's other calls still go.
#[tokio::test]
async fn invocations_waiting_through_the_tunnel_leave_room_for_other_calls() {
    use crate::tunnel::{next_message, raw_tunnel, send_message};

    let world = World::new().await;
    let (mut tunnel, _) = raw_tunnel(&world, HUB).await;
    // Three silent clients, each taking at most 32 invocations: 65 in flight, one each.
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(client_through(&world, &mut tunnel).await);
    }
    let mut ack_id = 0;
    for (i, (_, sid)) in clients.iter().enumerate() {
        let filter = format!("connectionId%20eq%20%27{sid}%27");
        for _ in 0..if i < 2 { 32 } else { 1 } {
            ack_id += 1;
            let path = format!(":invoke?api-version=2023-07-01&filter={filter}");
            send_message(&mut tunnel, &tunnel_call(ack_id, &path, r#"42["q"]"#)).await;
            let (ack, status, more, _) = answer_part(next_message(&mut tunnel).await);
            assert_eq!((ack, status, more), (ack_id, 200, true));
        }
    }
    assert_eq!(ack_id, 65);
    let send = tunnel_call(100, ":send?api-version=2023-07-01", r#"42["still"]"#);
    send_message(&mut tunnel, &send).await;
    assert_eq!(answer_part(next_message(&mut tunnel).await).1, 202);
}

/// The dashboard's API names a Socket.IO connection's namespaces and rooms (decoded from the
/// groups the extension names), keeping each room's group name, and marks the groups too.
#[tokio::test]
async fn the_dashboard_names_namespaces_and_rooms() {
    let world = World::new().await;
    let (mut socket, open) = ws_client(&world).await;
    let sid = open["sid"].as_str().expect("sid").to_string();
    for nsp in ["40", "40/chat,"] {
        send_text(&mut socket, nsp).await;
        assert!(next_text(&mut socket).await.starts_with(nsp));
    }
    let lobby = "0~L2NoYXQ~bG9iYnk";
    for group in [lobby, "plain"] {
        let path = format!("/api/hubs/{HUB}/groups/{group}/connections/{sid}");
        assert_eq!(world.rest("PUT", &path, &[], None).await.status, 200);
    }
    let url = format!("http://{}/_emulator/api/hubs/{HUB}", world.emulator.addr());
    let body = reqwest::get(&url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let hub: Value = serde_json::from_str(&body).expect("JSON");
    let conn = &hub["connections"][0];
    assert_eq!(conn["protocol"], "socketio");
    assert_eq!(
        conn["socketio"],
        serde_json::json!({
            "namespaces": ["/", "/chat"],
            "rooms": [{"namespace": "/chat", "room": "lobby", "group": lobby}],
        })
    );
    let groups: Vec<(String, Value)> = hub["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap_or("").to_string(),
                g["socketio"].clone(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            (
                "0~L2NoYXQ~".into(),
                serde_json::json!({"namespace": "/chat", "room": null})
            ),
            (
                lobby.into(),
                serde_json::json!({"namespace": "/chat", "room": "lobby"})
            ),
            (
                "0~Lw~".into(),
                serde_json::json!({"namespace": "/", "room": null})
            ),
            ("plain".into(), Value::Null),
        ]
    );
}

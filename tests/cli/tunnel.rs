//! The server tunnel end to end: the emulator's `/server/tunnel` with `tunnel:///` event
//! handlers, `wps tunnel` forwarding to a small recording upstream (event_handlers' own), and
//! raw tunnel clients written here from the protocol's messages (`wps::client::tunnel`) for
//! what a well-behaved client never does.

use std::process::{Child, Stdio};
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use wps::client::tunnel::{self as wire, Headers, HttpRequest, HttpResponse, Message};
use wps::client::{now_secs, Payload};
use wps::emulator::EventHandlerConfig;

use crate::common::*;
use crate::event_handlers::{
    allowing, client_path, close_with, refused_status, send_event, world_with, Answer, Upstream,
};

const JSON: &str = "json.webpubsub.azure.v1";

/// `chat=tunnel:///eventhandler/{event}`, a 5 s call timeout and 1 ms retry steps.
fn tunnel_handler(timeout: Duration) -> EventHandlerConfig {
    EventHandlerConfig {
        flags: vec!["chat=tunnel:///eventhandler/{event}".to_string()],
        timeout,
        retry_base: Duration::from_millis(1),
        ..EventHandlerConfig::default()
    }
}

/// The tunnel URL a key-signed token names, as the official client writes it.
fn tunnel_aud(world: &World, hub: &str) -> String {
    format!("ws://{}/server/tunnel?hub={hub}", world.emulator.addr())
}

fn tunnel_token(world: &World, aud: &str) -> String {
    world.sign_claims(
        &json!({"aud": aud, "sub": "test-tunnel", "iat": now_secs(), "exp": now_secs() + 3600}),
    )
}

/// A raw tunnel client for `hub`, past ConnectionConnected; returns it and its connection id.
pub(crate) async fn raw_tunnel(world: &World, hub: &str) -> (Socket, String) {
    let token = tunnel_token(world, &tunnel_aud(world, hub));
    let (mut socket, _) = world
        .try_connect_url(
            &format!("/server/tunnel?hub={hub}&access_token={token}"),
            &[],
        )
        .await
        .expect("the tunnel opens");
    match next_message(&mut socket).await {
        Message::ConnectionConnected { connection_id, .. } => (socket, connection_id),
        other => panic!("expected ConnectionConnected first, got {other:?}"),
    }
}

pub(crate) async fn next_message(socket: &mut Socket) -> Message {
    match next_frame(socket).await {
        WsMessage::Binary(b) => wire::decode(&b).expect("a tunnel message"),
        other => panic!("expected a binary tunnel frame, got {other:?}"),
    }
}

pub(crate) async fn next_request(socket: &mut Socket) -> HttpRequest {
    match next_message(socket).await {
        Message::HttpRequest(r) => r,
        other => panic!("expected an HttpRequest, got {other:?}"),
    }
}

pub(crate) async fn send_message(socket: &mut Socket, message: &Message) {
    socket
        .send(WsMessage::Binary(wire::encode(message).into()))
        .await
        .expect("send");
}

pub(crate) fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

pub(crate) fn response(
    r: &HttpRequest,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Message {
    let mut h = Headers::new();
    for (k, v) in headers {
        h.insert(k.to_string(), vec![v.to_string()]);
    }
    Message::HttpResponse(HttpResponse {
        ack_id: r.ack_id,
        local_routing: r.local_routing,
        status_code: status,
        channel_name: r.channel_name.clone(),
        not_completed: false,
        headers: h,
        content: Bytes::copy_from_slice(body),
    })
}

/// Answers requests as a handler would (validation allowed, the rest 200) until `until`
/// says stop; returns the requests seen.
async fn serve_until(
    socket: &mut Socket,
    mut until: impl FnMut(&HttpRequest) -> bool,
) -> Vec<HttpRequest> {
    let mut seen = Vec::new();
    loop {
        let r = next_request(socket).await;
        let answer = if r.method == "OPTIONS" {
            response(&r, 200, &[("WebHook-Allowed-Origin", "*")], b"")
        } else {
            response(&r, 200, &[], b"")
        };
        send_message(socket, &answer).await;
        let stop = until(&r);
        seen.push(r);
        if stop {
            return seen;
        }
    }
}

/// `wps tunnel --upstream URL -o json` for hub chat, its output read as it comes.
fn spawn_tunnel(world: &World, upstream: &str) -> (Child, Piped, Piped) {
    let mut cmd = world.wps();
    cmd.args(["tunnel", "--upstream", upstream, "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("wps tunnel runs");
    let out = Piped::new(child.stdout.take().expect("stdout"));
    let err = Piped::new(child.stderr.take().expect("stderr"));
    (child, out, err)
}

/// A recent activity event of the tunnel with this action, from the dashboard's API.
async fn activity_has(world: &World, action: &str, connection_id: &str) -> bool {
    let url = format!("http://{}/_emulator/api/activity", world.emulator.addr());
    let Ok(resp) = reqwest::Client::new()
        .get(&url)
        .bearer_auth(world.rest_token(&url))
        .send()
        .await
    else {
        return false;
    };
    let text = resp.text().await.unwrap_or_default();
    let events: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    events["events"].as_array().into_iter().flatten().any(|e| {
        e["kind"] == "tunnel" && e["action"] == action && e["connectionId"] == connection_id
    })
}

async fn wait_activity(world: &World, action: &str, connection_id: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !activity_has(world, action, connection_id).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no tunnel {action} of {connection_id} in the activity log"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn wps_tunnel_carries_every_event_to_the_upstream_and_the_replies_back() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "connect" => Answer::ok().json(json!({"userId": "tunnelled", "groups": ["g1"]})),
        "echo" => Answer::ok().text(&format!("echo:{}", String::from_utf8_lossy(&seen.body))),
        _ => Answer::ok(),
    }))
    .await;
    let world = world_with(tunnel_handler(Duration::from_secs(30))).await;
    let (mut child, out, err) = spawn_tunnel(&world, &up.url("/"));
    err.wait_for("tunnel connected to hub 'chat'").await;

    let (mut socket, _) = world
        .try_connect_url(
            &client_path(&world, "chat", "alice"),
            &[("Sec-WebSocket-Protocol", JSON)],
        )
        .await
        .expect("connects through the tunnel's handler");
    let connected = next_json(&mut socket).await;
    // The connect reply took effect: its user id, and its group below.
    assert_eq!(connected["userId"], "tunnelled", "{connected}");
    let id = connected["connectionId"].as_str().expect("id").to_string();

    let connect = up.event(&id, "connect").await;
    assert_eq!(connect.path, "/eventhandler/connect");
    assert_eq!(connect.ce("ce-type"), "azure.webpubsub.sys.connect");
    assert_eq!(connect.ce("ce-userid"), "alice");
    assert_eq!(connect.ce("ce-hub"), "chat");
    assert_eq!(connect.ce("ce-awpsversion"), "1.0");
    assert!(connect.ce("ce-signature").starts_with("sha256="));
    assert_eq!(connect.json()["claims"]["sub"], json!(["alice"]));
    // Validation went through the tunnel too, before any event.
    let first = &up.all()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("OPTIONS", "/eventhandler/validate")
    );
    assert!(first.header("webhook-request-origin").is_some());
    up.event(&id, "connected").await;

    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/groups/g1/:send",
            &[],
            Some(Payload::text("to g1")),
        )
        .await;
    assert_eq!(resp.status, 202);
    assert_eq!(next_json(&mut socket).await["data"], "to g1");

    send_event(&mut socket, "echo", "text", json!("hi"), 1).await;
    let mut reply = None;
    loop {
        let frame = next_json(&mut socket).await;
        if frame["type"] == "message" && frame["from"] == "server" {
            reply = Some(frame["data"].clone());
        }
        if frame["type"] == "ack" && frame["ackId"] == 1 {
            assert_eq!(frame["success"], true, "{frame}");
            break;
        }
    }
    assert_eq!(
        reply,
        Some(json!("echo:hi")),
        "the reply reaches the client before the ack"
    );
    let echo = up.event(&id, "echo").await;
    assert_eq!(echo.ce("ce-type"), "azure.webpubsub.user.echo");

    close_with(&mut socket, "bye").await;
    let gone = up.event(&id, "disconnected").await;
    assert_eq!(gone.json()["reason"], "bye");

    // One JSON line per request, the validation included.
    out.wait_for("azure.webpubsub.sys.disconnected").await;
    let lines: Vec<Value> = out
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let connect_line = lines
        .iter()
        .find(|l| l["event"] == "azure.webpubsub.sys.connect")
        .expect("a line for connect");
    assert_eq!(connect_line["method"], "POST");
    assert_eq!(connect_line["path"], "/eventhandler/connect");
    assert_eq!(connect_line["status"], 200);
    assert!(connect_line["ms"].is_number());
    assert!(lines.iter().any(|l| l["method"] == "OPTIONS"));

    sigterm(&child);
    let status = wait_exit(&mut child).await;
    assert!(status.success(), "{status:?}: {}", err.text());
}

#[tokio::test]
async fn wps_tunnel_answers_500_with_the_error_when_the_upstream_is_down() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let world = world_with(tunnel_handler(Duration::from_secs(3600))).await;
    let (mut child, out, err) = spawn_tunnel(&world, &format!("http://127.0.0.1:{port}"));
    err.wait_for("tunnel connected").await;
    let refused = world
        .try_connect_url(
            &client_path(&world, "chat", "u"),
            &[("Sec-WebSocket-Protocol", JSON)],
        )
        .await;
    // Validation failed (500 from the tunnel client), so the connect is refused.
    assert_eq!(refused_status(refused), 500);
    out.wait_for("could not be reached").await;
    let line: Value =
        serde_json::from_str(out.text().lines().next().expect("a line")).expect("JSON");
    assert_eq!(line["status"], 500);
    sigterm(&child);
    assert!(wait_exit(&mut child).await.success());
}

#[tokio::test]
async fn without_a_tunnel_the_connect_is_refused_as_with_an_unreachable_handler() {
    // An hour's timeout: the refusal comes from there being no tunnel, not from the clock.
    let world = world_with(tunnel_handler(Duration::from_secs(3600))).await;
    let refused = world
        .try_connect_url(
            &client_path(&world, "chat", "u"),
            &[("Sec-WebSocket-Protocol", JSON)],
        )
        .await;
    assert_eq!(refused_status(refused), 500);
    // Another hub has no handler at all: it connects as ever.
    let (_socket, _) = world.connect_json("other", None, &[], &[]).await;
}

#[tokio::test]
async fn bad_auth_on_the_tunnel_is_401_and_good_auth_in_either_place_connects() {
    let world = world_with(tunnel_handler(Duration::from_secs(5))).await;
    let aud = tunnel_aud(&world, "chat");
    let wrong_key = wps::client::KeySigner::new(&wps::client::Secret::new(
        "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
    ))
    .sign(&json!({"aud": aud, "exp": now_secs() + 60}))
    .expect("sign")
    .expose()
    .to_string();
    let other_hub = tunnel_token(&world, &tunnel_aud(&world, "news"));
    let cases = [
        ("/server/tunnel?hub=chat".to_string(), 401),
        (
            format!("/server/tunnel?hub=chat&access_token={wrong_key}"),
            401,
        ),
        (
            format!("/server/tunnel?hub=chat&access_token={other_hub}"),
            401,
        ),
        (
            format!("/server/tunnel?access_token={}", tunnel_token(&world, &aud)),
            400,
        ),
    ];
    for (path, status) in cases {
        let refused = world.try_connect_url(&path, &[]).await;
        assert_eq!(refused_status(refused), status, "{path}");
    }
    // The official client's way (query) and a bearer header both open it.
    let (_a, _) = raw_tunnel(&world, "chat").await;
    let bearer = format!("Bearer {}", tunnel_token(&world, &aud));
    let (mut b, _) = world
        .try_connect_url("/server/tunnel?hub=chat", &[("Authorization", &bearer)])
        .await
        .expect("a bearer token opens it");
    assert!(matches!(
        next_message(&mut b).await,
        Message::ConnectionConnected { user_id: Some(u), .. } if u == "test-tunnel"
    ));
}

#[tokio::test]
async fn rest_calls_through_the_tunnel_are_served_for_its_hub_only() {
    let world = world_with(EventHandlerConfig::default()).await;
    let (mut listener, _) = world.connect_json("chat", None, &[], &[]).await;
    let (mut tunnel, _) = raw_tunnel(&world, "chat").await;
    let mut headers = Headers::new();
    headers.insert("Content-Type".into(), vec!["text/plain".into()]);
    let request = |ack_id, url: &str, content: &'static [u8]| {
        Message::HttpRequest(HttpRequest {
            ack_id,
            local_routing: true,
            channel_name: String::new(),
            method: "POST".into(),
            url: url.into(),
            headers: headers.clone(),
            content: Bytes::from_static(content),
        })
    };
    // As the Socket.IO extension sends them: https://host/..., no Authorization of their own.
    send_message(
        &mut tunnel,
        &request(
            1,
            "https://host/api/hubs/chat/:send?api-version=2024-01-01",
            b"through",
        ),
    )
    .await;
    send_message(
        &mut tunnel,
        &request(
            2,
            "https://host/api/hubs/news/:send?api-version=2024-01-01",
            b"elsewhere",
        ),
    )
    .await;
    send_message(
        &mut tunnel,
        &request(
            3,
            "https://host/api/hubs/chat/:send?api-version=1999-01-01",
            b"old",
        ),
    )
    .await;
    let mut answers = std::collections::BTreeMap::new();
    while answers.len() < 3 {
        match next_message(&mut tunnel).await {
            Message::HttpResponse(r) => {
                assert!(!r.not_completed);
                assert!(r.local_routing, "echoed");
                answers.insert(r.ack_id, r.status_code);
            }
            other => panic!("expected an HttpResponse, got {other:?}"),
        }
    }
    assert_eq!(
        answers.into_iter().collect::<Vec<_>>(),
        [(1, 202), (2, 403), (3, 400)]
    );
    assert_eq!(next_json(&mut listener).await["data"], "through");
    assert_nothing_before_sentinel(&world, "chat", &mut [&mut listener]).await;
}

#[tokio::test]
async fn garbage_from_a_tunnel_client_closes_it_and_the_emulator_serves_the_next() {
    let world = world_with(tunnel_handler(Duration::from_secs(30))).await;
    let oversized = {
        let mut f = ((wire::MAX_FRAME + 1) as u32).to_le_bytes().to_vec();
        f.extend_from_slice(&[0x93, 0x01]);
        f
    };
    let unknown = {
        // [3, "{}", nil]: a type nobody defines.
        let mut f = 6u32.to_le_bytes().to_vec();
        f.extend_from_slice(&[0x93, 0x03, 0xa2, b'{', b'}', 0xc0]);
        f
    };
    let frames: Vec<WsMessage> = vec![
        WsMessage::Binary(vec![1, 2].into()),
        WsMessage::Binary(oversized.into()),
        WsMessage::Binary(unknown.into()),
        WsMessage::Binary({
            let mut f = 3u32.to_le_bytes().to_vec();
            f.extend_from_slice(&[0x92, 0x01, 0xc0]);
            f.into()
        }),
        WsMessage::Text("{\"Type\":1}".into()),
        // A message only the service sends.
        WsMessage::Binary(
            wire::encode(&Message::ConnectionConnected {
                connection_id: "x".into(),
                user_id: None,
                reconnection_token: None,
            })
            .into(),
        ),
    ];
    for frame in frames {
        let shown = format!("{frame:?}");
        let (mut tunnel, _) = raw_tunnel(&world, "chat").await;
        tunnel.send(frame).await.expect("send");
        let (code, _) = next_close(&mut tunnel).await;
        assert!(matches!(code, 1003 | 1008), "{shown}: closed with {code}");
    }
    // Every one of them is gone from the hub's set: a well-behaved tunnel gets the events.
    a_good_tunnel_serves(&world, "chat").await;
}

#[tokio::test]
async fn a_tunnel_client_that_never_answers_times_out_and_one_that_stops_reading_is_dropped() {
    let world = world_with(EventHandlerConfig {
        flags: vec!["*=tunnel:///eventhandler/{event}".to_string()],
        ..tunnel_handler(Duration::from_millis(500))
    })
    .await;
    // Allows validation, then never answers: the connect fails at the handler's 500 ms
    // timeout (timeouts are not retried), though the request did reach the client.
    let (mut mute, _) = raw_tunnel(&world, "chat").await;
    let path = client_path(&world, "chat", "u");
    let addr = world.emulator.addr();
    let connecting = tokio::spawn(async move {
        let url = format!("ws://{addr}{path}");
        let mut req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                .expect("request");
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", JSON.parse().expect("header"));
        tokio_tungstenite::connect_async(req).await
    });
    let seen = serve_until(&mut mute, |r| r.method == "OPTIONS").await;
    assert_eq!(seen.len(), 1);
    let connect = next_request(&mut mute).await;
    assert_eq!(header(&connect, "ce-eventname"), Some("connect"));
    let refused = connecting.await.expect("join");
    assert_eq!(refused_status(refused), 500);

    // Stops reading (so it answers no ping either): dropped at the keepalive.
    world.emulator.set_keepalive(Duration::from_millis(100));
    let (_deaf, deaf_id) = raw_tunnel(&world, "news").await;
    wait_activity(&world, "disconnected", &deaf_id).await;
    // One that reads (and so answers pings) is kept, and serves the hub's events.
    a_good_tunnel_serves(&world, "news").await;
}

#[tokio::test]
async fn wps_tunnel_reconnects_after_a_drop_and_events_flow_again() {
    let up = Upstream::start(allowing(|_, _| Answer::ok())).await;
    let world = world_with(tunnel_handler(Duration::from_secs(30))).await;
    // wps tunnel reaches the emulator through a proxy that can cut its connection.
    let proxy = CuttingProxy::start(world.emulator.addr()).await;
    let mut cmd = world.wps();
    cmd.env(
        "WPS_CONNECTION_STRING",
        format!(
            "Endpoint=http://127.0.0.1;Port={};AccessKey={};Version=1.0;",
            proxy.port,
            wps::emulator::DEFAULT_ACCESS_KEY
        ),
    )
    .args(["tunnel", "--upstream", &up.url("/"), "-o", "json"])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("wps tunnel runs");
    let _out = Piped::new(child.stdout.take().expect("stdout"));
    let err = Piped::new(child.stderr.take().expect("stderr"));
    err.wait_for("tunnel connected").await;

    proxy.cut_all();
    err.wait_for("reconnecting in").await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while err.text().matches("tunnel connected").count() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "{}", err.text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The old connection left the hub's set, the new one serves its events.
    let (_socket, id) = world.connect_json("chat", Some("back"), &[], &[]).await;
    up.event(&id, "connected").await;
    sigterm(&child);
    assert!(wait_exit(&mut child).await.success(), "{}", err.text());
}

#[tokio::test]
async fn wps_tunnel_with_a_wrong_key_fails_at_once() {
    let world = world_with(EventHandlerConfig::default()).await;
    let mut cmd = world.wps();
    cmd.env(
        "WPS_CONNECTION_STRING",
        world
            .connection_string()
            .replace(wps::emulator::DEFAULT_ACCESS_KEY, &"Z".repeat(44)),
    )
    .args(["tunnel", "--upstream", "http://127.0.0.1:9"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
    // And a bad upstream URL is a usage error before anything is opened.
    let mut cmd = world.wps();
    cmd.args(["tunnel", "--upstream", "localhost:3000"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

/// A well-behaved tunnel client that connects now gets the hub's events: a client's
/// `connected` reaches it.
async fn a_good_tunnel_serves(world: &World, hub: &str) {
    let (mut good, _) = raw_tunnel(world, hub).await;
    let served = tokio::spawn(async move {
        serve_until(&mut good, |r| {
            header(r, "ce-eventname") == Some("connected")
        })
        .await
    });
    let (_socket, id) = world.connect_json(hub, Some("u"), &[], &[]).await;
    let seen = served.await.expect("served");
    assert!(seen
        .iter()
        .any(|r| header(r, "ce-connectionid") == Some(&id)));
}

//! Web PubSub for Socket.IO in serverless mode (`wps emulator --socketio-mode serverless`):
//! raw Engine.IO clients against an in-test event handler that follows the service's
//! "Socket.IO Serverless Mode Specification": one `connect`/`connected`/`disconnected` per
//! namespace socket, each emit a user event whose reply body goes back to the client, REST
//! reaching sockets, rooms and namespaces through groups, client tokens checked.

use std::time::Duration;

use base64::Engine as _;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use wps::client::Payload;
use wps::emulator::{self, EmulatorConfig, EventHandlerConfig, SocketIoMode};

use crate::common::{Socket, World, PATIENCE};
use crate::event_handlers::{allowing, refused_status, Answer, Seen, Upstream};
use crate::socketio::{next_text, rest_send, send_text, until_closed};

const HUB: &str = "chat";

/// The spec's group of a namespace's room: `0~b64url(namespace)~b64url(room)`.
fn room(namespace: &str, room: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("0~{}~{}", b64(namespace), b64(room))
}

/// A serverless emulator whose hub `chat` sends every event to `up`; `settings` is an
/// optional TOML settings file's text.
async fn serverless(up: &Upstream, settings: Option<&str>) -> World {
    serverless_with(up, settings, Duration::from_secs(60)).await
}

/// [`serverless`] with this deadline for each handler call.
async fn serverless_with(up: &Upstream, settings: Option<&str>, timeout: Duration) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings_file = settings.map(|text| {
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, text).expect("settings file");
        path
    });
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        socketio_mode: SocketIoMode::Serverless,
        event_handlers: EventHandlerConfig {
            flags: vec![format!("{HUB}={}", up.url("/api/{hub}/{event}"))],
            settings_file,
            timeout,
            retry_base: Duration::from_millis(1),
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    World { emulator, dir }
}

/// A client token for the Socket.IO endpoint, as `wps token --client-type socketio` signs it.
fn token(world: &World, user: &str) -> String {
    world.sign_claims(&json!({
        "aud": format!("http://{}/clients/socketio/hubs/{HUB}", world.emulator.addr()),
        "exp": now() + 300,
        "sub": user,
        "role": ["webpubsub.sendToGroup"],
        "webpubsub.group": ["from-token"],
    }))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A WebSocket Engine.IO client with this token; its socket and Engine.IO connection id.
async fn client(world: &World, token: &str) -> (Socket, String) {
    let mut path = format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket");
    if !token.is_empty() {
        path.push_str(&format!("&access_token={token}"));
    }
    let (mut socket, _) = world.try_connect_url(&path, &[]).await.expect("connects");
    let open = next_text(&mut socket).await;
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).expect("JSON");
    (socket, open["sid"].as_str().expect("sid").to_string())
}

/// Connects the namespace and returns the socket id its CONNECT answer gave.
async fn join(socket: &mut Socket, namespace: &str) -> String {
    let prefix = if namespace == "/" {
        "40".to_string()
    } else {
        format!("40{namespace},")
    };
    send_text(socket, &prefix).await;
    let answer = next_text(socket).await;
    let data: Value = serde_json::from_str(
        answer
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("CONNECT for {namespace}, got {answer}")),
    )
    .expect("JSON");
    data["sid"].as_str().expect("sid").to_string()
}

/// The handler's POST of `event` for this socket, once it has arrived.
async fn socket_event(up: &Upstream, socket_id: &str, event: &str) -> Seen {
    up.wait_for(&format!("{event} of socket {socket_id}"), |seen| {
        seen.iter()
            .find(|s| {
                s.method == "POST"
                    && s.event() == event
                    && s.header("ce-socketid") == Some(socket_id)
            })
            .cloned()
    })
    .await
}

/// The handler of the tests: refuses sockets of `/refused`, answers `hello` with an ACK of
/// the ack id 13 in the emit's namespace.
fn handler() -> impl Fn(&Seen, &[Seen]) -> Answer + Send + Sync + 'static {
    allowing(
        |seen, _| match (seen.event(), seen.header("ce-namespace")) {
            ("connect", Some("/refused")) => Answer::status(401),
            ("hello", Some(ns)) => {
                let ns = if ns == "/" {
                    String::new()
                } else {
                    format!("{ns},")
                };
                Answer::ok().text(&format!("43{ns}13[\"bar\"]"))
            }
            _ => Answer::ok(),
        },
    )
}

#[tokio::test]
async fn sockets_are_offered_to_the_handler_and_its_ack_reaches_the_client() {
    let up = Upstream::start(handler()).await;
    let world = serverless(&up, None).await;
    let (mut socket, connection) = client(&world, &token(&world, "alice")).await;

    let sid = join(&mut socket, "/ns").await;
    assert_eq!(sid.len(), 20, "{sid}");
    let connect = socket_event(&up, &sid, "connect").await;
    assert_eq!(connect.ce("ce-type"), "azure.webpubsub.sys.connect");
    assert_eq!(connect.ce("ce-namespace"), "/ns");
    assert_eq!(connect.ce("ce-connectionid"), connection);
    assert_eq!(connect.ce("ce-hub"), HUB);
    assert_eq!(connect.ce("ce-userid"), "alice");
    assert!(connect.ce("ce-signature").starts_with("sha256="));
    let body = connect.json();
    assert_eq!(body["claims"]["sub"], json!(["alice"]));
    assert_eq!(body["query"]["EIO"], json!(["4"]));
    assert!(body["query"].get("access_token").is_none(), "{body}");
    assert!(body["headers"].is_object() && body["clientCertificates"].is_array());
    let connected = socket_event(&up, &sid, "connected").await;
    assert_eq!(connected.ce("ce-type"), "azure.webpubsub.sys.connected");

    // An emit with an ack: the handler gets the Engine.IO payload, its body comes back.
    send_text(&mut socket, r#"42/ns,13["hello","world"]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"43/ns,13["bar"]"#);
    let hello = socket_event(&up, &sid, "hello").await;
    assert_eq!(hello.ce("ce-type"), "azure.webpubsub.user.message");
    assert_eq!(hello.ce("ce-eventname"), "hello");
    assert_eq!(hello.ce("ce-namespace"), "/ns");
    let media = hello.header("content-type").expect("a content type");
    assert!(media.starts_with("text/plain"), "{media}");
    assert_eq!(&hello.body[..], br#"42/ns,13["hello","world"]"#);
    assert_eq!(hello.path, "/api/chat/hello");

    // A binary event: the packet and its attachment, as one Engine.IO payload. One for a
    // namespace the client is not in is dropped; the ack after it is the sentinel.
    send_text(
        &mut socket,
        r#"451-/elsewhere,["up",{"_placeholder":true,"num":0}]"#,
    )
    .await;
    let frame = Message::Binary(vec![9].into());
    socket.send(frame).await.expect("send");
    send_text(
        &mut socket,
        r#"451-/ns,["up",{"_placeholder":true,"num":0}]"#,
    )
    .await;
    socket
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .expect("send");
    send_text(&mut socket, r#"42/ns,13["hello","after"]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"43/ns,13["bar"]"#);
    let up_event = socket_event(&up, &sid, "up").await;
    assert_eq!(
        &up_event.body[..],
        b"451-/ns,[\"up\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID"
    );
    assert_eq!(up.posts().iter().filter(|s| s.event() == "up").count(), 1);

    // A handler's refusal: CONNECT_ERROR, no `connected`; the connection goes on.
    send_text(&mut socket, "40/refused,").await;
    let refusal = next_text(&mut socket).await;
    assert!(refusal.starts_with("44/refused,{\"message\":"), "{refusal}");
    // A socket of `/`, which the client leaves: `disconnected` for it alone.
    let root = join(&mut socket, "/").await;
    assert_ne!(root, sid);
    send_text(&mut socket, "41").await;
    let left = socket_event(&up, &root, "disconnected").await;
    assert_eq!(left.json()["reason"], "client namespace disconnect");
    assert_eq!(left.ce("ce-namespace"), "/");
    // Events stay in order behind it: this one's ack is the sentinel.
    send_text(&mut socket, r#"42/ns,13["hello","again"]"#).await;
    assert_eq!(next_text(&mut socket).await, r#"43/ns,13["bar"]"#);
    let refused_ones: Vec<Seen> = up
        .posts()
        .into_iter()
        .filter(|s| s.header("ce-namespace") == Some("/refused"))
        .collect();
    assert_eq!(refused_ones.len(), 1, "only the refused connect");
    assert_eq!(up.count(&connection, "disconnected"), 1);

    // The Engine.IO connection ends: `disconnected` for each socket still connected.
    drop(socket);
    let gone = socket_event(&up, &sid, "disconnected").await;
    assert_eq!(gone.json()["reason"], "transport close");
}

#[tokio::test]
async fn rest_reaches_sockets_rooms_and_namespaces_through_their_groups() {
    let up = Upstream::start(handler()).await;
    let world = serverless(&up, None).await;
    let (mut a, _) = client(&world, &token(&world, "a")).await;
    let (mut b, _) = client(&world, &token(&world, "b")).await;
    let a_sid = join(&mut a, "/ns").await;
    let b_sid = join(&mut b, "/ns").await;
    let _ = join(&mut b, "/other").await;
    // `connected` comes after the socket is in its groups.
    socket_event(&up, &a_sid, "connected").await;

    // To a socket: its room, named by its id.
    rest_send(
        &world,
        Some(("group", &room("/ns", &a_sid))),
        r#"42/ns,["to a"]"#,
    )
    .await;
    rest_send(&world, Some(("group", "0~L25z~")), r#"42/ns,["to all"]"#).await;
    assert_eq!(next_text(&mut a).await, r#"42/ns,["to a"]"#);
    assert_eq!(next_text(&mut a).await, r#"42/ns,["to all"]"#);
    assert_eq!(next_text(&mut b).await, r#"42/ns,["to all"]"#);

    // A room: a joins it through :addToGroups with the spec's filter; b does not get it.
    let add = json!({
        "filter": format!("'{}' in groups", room("/ns", &a_sid)),
        "groups": [room("/ns", "rm")],
    });
    let body = Payload {
        content_type: "application/json".into(),
        body: add.to_string().into(),
    };
    let resp = world
        .rest(
            "POST",
            &format!("/api/hubs/{HUB}/:addToGroups"),
            &[],
            Some(body),
        )
        .await;
    assert_eq!(resp.status, 200);
    rest_send(
        &world,
        Some(("group", &room("/ns", "rm"))),
        r#"42/ns,["to rm"]"#,
    )
    .await;
    rest_send(&world, Some(("group", "0~L25z~")), r#"42/ns,["sentinel"]"#).await;
    assert_eq!(next_text(&mut a).await, r#"42/ns,["to rm"]"#);
    assert_eq!(next_text(&mut a).await, r#"42/ns,["sentinel"]"#);
    assert_eq!(next_text(&mut b).await, r#"42/ns,["sentinel"]"#);

    // Disconnecting a socket by REST: the client gets the DISCONNECT, the handler hears of
    // it, and the connection leaves that namespace's groups (the room too).
    rest_send(&world, Some(("group", &room("/ns", &a_sid))), "41/ns,").await;
    assert_eq!(next_text(&mut a).await, "41/ns,");
    let ended = socket_event(&up, &a_sid, "disconnected").await;
    assert_eq!(ended.json()["reason"], "server namespace disconnect");
    rest_send(
        &world,
        Some(("group", &room("/ns", "rm"))),
        r#"42/ns,["gone"]"#,
    )
    .await;
    rest_send(&world, Some(("group", "0~L25z~")), r#"42/ns,["gone too"]"#).await;
    rest_send(&world, None, r#"42/other,["hub sentinel"]"#).await;
    assert_eq!(next_text(&mut a).await, r#"42/other,["hub sentinel"]"#);
    assert_eq!(next_text(&mut b).await, r#"42/ns,["gone too"]"#);
    // b's own socket is untouched, and its claims came with the token.
    assert_ne!(a_sid, b_sid);
    let resp = world
        .rest("HEAD", &format!("/api/hubs/{HUB}/users/b"), &[], None)
        .await;
    assert_eq!(resp.status, 200, "the token's user id is the connection's");
    rest_send(
        &world,
        Some(("group", "from-token")),
        r#"42/other,["token group"]"#,
    )
    .await;
    assert_eq!(next_text(&mut a).await, r#"42/other,["token group"]"#);
}

#[tokio::test]
async fn polling_clients_are_served_too() {
    let up = Upstream::start(handler()).await;
    let world = serverless(&up, None).await;
    let base = format!(
        "http://{}/clients/socketio/hubs/{HUB}/?EIO=4&transport=polling&access_token={}",
        world.emulator.addr(),
        token(&world, "p")
    );
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let resp = tokio::time::timeout(PATIENCE, http.get(url).send())
                .await
                .expect("answered")
                .expect("GET");
            resp.text().await.expect("body")
        }
    };
    let open = get(base.clone()).await;
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("open")).expect("JSON");
    let url = format!("{base}&sid={}", open["sid"].as_str().expect("sid"));
    let post = |body: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let resp = http.post(url).body(body).send().await.expect("POST");
            assert_eq!(resp.status(), 200);
        }
    };
    post("40").await;
    let answer = get(url.clone()).await;
    assert!(answer.starts_with("40{\"sid\":"), "{answer}");
    post("4213[\"hello\",1]").await;
    assert_eq!(get(url.clone()).await, "4313[\"bar\"]");
}

#[tokio::test]
async fn tokens_are_required_unless_the_hub_allows_anonymous_connects() {
    let up = Upstream::start(handler()).await;
    let world = serverless(&up, None).await;
    let ws =
        |query: &str| format!("/clients/socketio/hubs/{HUB}/?EIO=4&transport=websocket{query}");
    let poll = |query: &str| {
        format!(
            "http://{}/clients/socketio/hubs/{HUB}/?EIO=4&transport=polling{query}",
            world.emulator.addr()
        )
    };
    // None, then one for another endpoint: refused with 401 on both transports.
    let wrong = world.client_token(HUB, Some("x"), &[], &[]);
    for query in [String::new(), format!("&access_token={wrong}")] {
        let refused = world.try_connect_url(&ws(&query), &[]).await;
        assert_eq!(refused_status(refused), 401, "{query}");
        let resp = reqwest::get(poll(&query)).await.expect("GET");
        assert_eq!(resp.status(), 401, "{query}");
    }
    // As a bearer token it is taken too.
    let good = token(&world, "bearer-user");
    let bearer = format!("Bearer {good}");
    let (mut socket, _) = world
        .try_connect_url(&ws(""), &[("authorization", &bearer)])
        .await
        .expect("a bearer token is taken");
    assert!(next_text(&mut socket).await.starts_with('0'));
    let sid = join(&mut socket, "/").await;
    let connect = socket_event(&up, &sid, "connect").await;
    assert_eq!(connect.json()["claims"]["sub"], json!(["bearer-user"]));
    assert!(connect.json()["headers"].get("authorization").is_none());

    // A hub that allows anonymous connects (settings file) takes a client with no token.
    let up = Upstream::start(handler()).await;
    let settings = format!("[hubs.{HUB}]\nanonymous_connect = true\n");
    let open = serverless(&up, Some(&settings)).await;
    let (mut socket, _) = client(&open, "").await;
    let sid = join(&mut socket, "/").await;
    assert!(socket_event(&up, &sid, "connect")
        .await
        .header("ce-userid")
        .is_none());
    // ... but a bad token is still refused.
    let refused = open
        .try_connect_url(&ws(&format!("&access_token={wrong}")), &[])
        .await;
    assert_eq!(refused_status(refused), 401);

    // Default mode needs no token, and refuses a bad one.
    let world = World::new().await;
    let refused = world
        .try_connect_url(&ws(&format!("&access_token={wrong}")), &[])
        .await;
    assert_eq!(refused_status(refused), 401);
    let (mut socket, _) = world
        .try_connect_url(&ws(""), &[])
        .await
        .expect("anonymous");
    assert!(next_text(&mut socket).await.starts_with('0'));
}

#[tokio::test]
async fn too_many_namespaces_and_a_stalled_handler_close_only_their_connection() {
    // The handler never answers `slow`: each call of it ends at the emulator's deadline.
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "slow" => Answer::ok().delay(Duration::from_secs(3600)),
        _ => Answer::ok(),
    }))
    .await;
    let world = serverless_with(&up, None, Duration::from_secs(5)).await;

    let (mut greedy, _) = client(&world, &token(&world, "greedy")).await;
    for i in 0..64 {
        send_text(&mut greedy, &format!("40/n{i},")).await;
    }
    send_text(&mut greedy, "40/one-too-many,").await;
    let seen = until_closed(&mut greedy).await;
    assert_eq!(seen.last().map(String::as_str), Some("1"), "{seen:?}");
    assert!(!seen.iter().any(|t| t.contains("one-too-many")), "{seen:?}");

    // A client far ahead of its handler: closed once its calls waiting are full.
    let (mut hasty, _) = client(&world, &token(&world, "hasty")).await;
    let sid = join(&mut hasty, "/").await;
    socket_event(&up, &sid, "connected").await;
    for i in 0..400 {
        // The emulator may close the socket before the last ones are written.
        let frame = Message::Text(format!("42[\"slow\",{i}]").into());
        if hasty.send(frame).await.is_err() {
            break;
        }
    }
    until_closed(&mut hasty).await;
    // Only the first reached the handler; the rest, held behind it, are dropped with the
    // connection: once the first call gives up, the socket's `disconnected` is next.
    socket_event(&up, &sid, "slow").await;
    let ended = socket_event(&up, &sid, "disconnected").await;
    assert_eq!(ended.json()["reason"], "the event handler does not keep up");
    let slow = up.posts().iter().filter(|s| s.event() == "slow").count();
    assert_eq!(slow, 1);

    // A bystander is served.
    let (mut fine, _) = client(&world, &token(&world, "fine")).await;
    let _ = join(&mut fine, "/").await;
    rest_send(&world, None, r#"42["still here"]"#).await;
    assert_eq!(next_text(&mut fine).await, r#"42["still here"]"#);
}

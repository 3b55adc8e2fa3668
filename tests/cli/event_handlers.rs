//! Event handlers (upstream webhooks) end to end: a small axum upstream on 127.0.0.1 that
//! records every request it gets, the emulator (in process, or the real binary where stderr
//! matters), and real WebSocket clients. The official handler library's own suite runs in
//! tests/handlers; these cover each rule of issue 12 one by one.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use wps::client::Payload;
use wps::emulator::{self, EmulatorConfig, EventHandlerConfig, DEFAULT_ACCESS_KEY};

use crate::common::*;

const JSON: &str = "json.webpubsub.azure.v1";
const TEXT: &str = "text/plain; charset=utf-8";

// --- the upstream ---------------------------------------------------------------------------

/// One request the upstream received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    /// Path and query.
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII"))
    }

    pub(crate) fn ce(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} in {} {}", self.method, self.path))
    }

    pub(crate) fn event(&self) -> &str {
        self.header("ce-eventname").unwrap_or("")
    }

    pub(crate) fn connection(&self) -> &str {
        self.header("ce-connectionid").unwrap_or("")
    }

    pub(crate) fn is(&self, connection: &str, event: &str) -> bool {
        self.method == "POST" && self.connection() == connection && self.event() == event
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// What the upstream answers: status, headers, body, after a delay.
pub(crate) struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Answer {
    pub(crate) fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }
    pub(crate) fn ok() -> Answer {
        Answer::status(200)
    }
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Answer {
        self.headers.push((name, value.to_string()));
        self
    }
    pub(crate) fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Answer {
        self.body = body.into();
        self.header("content-type", content_type)
    }
    pub(crate) fn text(self, text: &str) -> Answer {
        self.body("text/plain", text)
    }
    pub(crate) fn json(self, value: Value) -> Answer {
        self.body("application/json", value.to_string())
    }
    pub(crate) fn delay(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

/// Answers a request, given every request received before it.
type Behaviour = dyn Fn(&Seen, &[Seen]) -> Answer + Send + Sync;

pub(crate) struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Bumped after each request is recorded, so waits wake on news instead of sleeping.
    news: watch::Sender<usize>,
}

impl Upstream {
    /// Serves `behave` for every request, validation included (see [`allowing`]).
    pub(crate) async fn start(
        behave: impl Fn(&Seen, &[Seen]) -> Answer + Send + Sync + 'static,
    ) -> Upstream {
        let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
        let (news, _) = watch::channel(0usize);
        let behave: Arc<Behaviour> = Arc::new(behave);
        let (log, tell) = (seen.clone(), news.clone());
        let app = axum::Router::new().fallback(move |req: Request| {
            let (log, tell, behave) = (log.clone(), tell.clone(), behave.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .expect("request body");
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.to_string(),
                    headers: parts.headers,
                    body,
                };
                let answer = {
                    let mut log = log.lock().unwrap();
                    let answer = behave(&seen, &log);
                    log.push(seen);
                    answer
                };
                tell.send_modify(|n| *n += 1);
                tokio::time::sleep(answer.delay).await;
                let mut response = Response::new(Body::from(answer.body));
                *response.status_mut() = StatusCode::from_u16(answer.status).expect("status");
                for (name, value) in answer.headers {
                    response
                        .headers_mut()
                        .append(name, HeaderValue::from_str(&value).expect("header"));
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("upstream serves") });
        Upstream { addr, seen, news }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn posts(&self) -> Vec<Seen> {
        self.all()
            .into_iter()
            .filter(|s| s.method == "POST")
            .collect()
    }

    /// Waits (bounded) until `pick` finds something in what the upstream has seen.
    pub(crate) async fn wait_for<T>(
        &self,
        what: &str,
        mut pick: impl FnMut(&[Seen]) -> Option<T>,
    ) -> T {
        let mut news = self.news.subscribe();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = pick(&self.seen.lock().unwrap()) {
                return found;
            }
            if !matches!(
                tokio::time::timeout_at(deadline, news.changed()).await,
                Ok(Ok(()))
            ) {
                let got: Vec<String> = self
                    .all()
                    .iter()
                    .map(|s| format!("{} {} {}", s.method, s.path, s.connection()))
                    .collect();
                panic!("timed out waiting for {what}; the upstream saw {got:#?}");
            }
        }
    }

    /// The POST of `event` for `connection`, once it has arrived.
    pub(crate) async fn event(&self, connection: &str, event: &str) -> Seen {
        self.wait_for(&format!("{event} of {connection}"), |seen| {
            seen.iter().find(|s| s.is(connection, event)).cloned()
        })
        .await
    }

    /// How many POSTs of `event` the upstream got for `connection`.
    pub(crate) fn count(&self, connection: &str, event: &str) -> usize {
        self.all()
            .iter()
            .filter(|s| s.is(connection, event))
            .count()
    }
}

/// Validation passes (`WebHook-Allowed-Origin: *`); every other request gets `answer`.
pub(crate) fn allowing(
    answer: impl Fn(&Seen, &[Seen]) -> Answer + Send + Sync + 'static,
) -> impl Fn(&Seen, &[Seen]) -> Answer + Send + Sync + 'static {
    move |seen, before| {
        if seen.method == "OPTIONS" {
            Answer::ok().header("WebHook-Allowed-Origin", "*")
        } else {
            answer(seen, before)
        }
    }
}

/// `chat=<upstream>/api/{hub}/{event}`, a 5 s call timeout and 1 ms retry steps.
fn handler_for(up: &Upstream) -> EventHandlerConfig {
    EventHandlerConfig {
        flags: vec![format!("chat={}", up.url("/api/{hub}/{event}"))],
        timeout: Duration::from_secs(5),
        retry_base: Duration::from_millis(1),
        ..EventHandlerConfig::default()
    }
}

/// A world whose emulator calls these handlers.
pub(crate) async fn world_with(handlers: EventHandlerConfig) -> World {
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        event_handlers: handlers,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    World {
        emulator,
        dir: tempfile::tempdir().expect("temp dir"),
    }
}

/// `sha256=` + hex HMAC-SHA256(access key, connection id), computed here with ring directly.
fn signature(connection_id: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, DEFAULT_ACCESS_KEY.as_bytes());
    let hex: String = ring::hmac::sign(&key, connection_id.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

pub(crate) async fn send_event(
    socket: &mut Socket,
    event: &str,
    data_type: &str,
    data: Value,
    ack_id: u64,
) {
    send_json(
        socket,
        json!({"type": "event", "event": event, "dataType": data_type, "data": data, "ackId": ack_id}),
    )
    .await;
}

/// Reads JSON frames until the ack for `ack_id` and returns it.
pub(crate) async fn ack(socket: &mut Socket, ack_id: u64) -> Value {
    loop {
        let frame = next_json(socket).await;
        if frame["type"] == "ack" && frame["ackId"] == ack_id {
            return frame;
        }
    }
}

pub(crate) async fn close_with(socket: &mut Socket, reason: &str) {
    socket
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: reason.into(),
        }))
        .await
        .expect("close");
    // Drain until the close handshake is done.
    let _ = next_close(socket).await;
}

/// The HTTP status a refused WebSocket upgrade got.
pub(crate) fn refused_status(
    result: Result<
        (
            Socket,
            tokio_tungstenite::tungstenite::handshake::client::Response,
        ),
        tokio_tungstenite::tungstenite::Error,
    >,
) -> u16 {
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other:?}"),
        Ok(_) => panic!("expected a refusal, the upgrade succeeded"),
    }
}

pub(crate) fn client_path(world: &World, hub: &str, user: &str) -> String {
    let token = world.client_token(hub, Some(user), &[], &[]);
    format!("/client/hubs/{hub}?access_token={token}")
}

/// A json client that connected, closed and was heard of as `disconnected`: everything the
/// emulator did before it has reached the upstream's log, as far as a test can tell.
async fn barrier(world: &World, up: &Upstream) {
    let (mut socket, id) = world.connect_json("chat", Some("barrier"), &[], &[]).await;
    close_with(&mut socket, "barrier").await;
    up.event(&id, "disconnected").await;
}

// --- validation and the CloudEvents envelope ------------------------------------------------

#[tokio::test]
async fn validation_first_then_every_event_with_the_exact_cloudevents_headers() {
    let up = Upstream::start(allowing(|_, _| Answer::ok())).await;
    let world = world_with(handler_for(&up)).await;
    let token = world.client_token("chat", Some("alice"), &[], &[]);
    let (mut socket, _) = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}&room=lobby&room=hall"),
            &[("Sec-WebSocket-Protocol", JSON), ("X-Test", "yes")],
        )
        .await
        .expect("connects");
    let connected = next_json(&mut socket).await;
    let id = connected["connectionId"].as_str().expect("id").to_string();
    send_event(&mut socket, "hello", "text", json!("hi"), 1).await;
    assert_eq!(ack(&mut socket, 1).await["success"], true);
    close_with(&mut socket, "bye").await;
    up.event(&id, "disconnected").await;

    // Validation came first: OPTIONS on the template with {event} = validate.
    let all = up.all();
    let origin = world.emulator.addr().to_string();
    assert_eq!(
        (all[0].method.as_str(), all[0].path.as_str()),
        ("OPTIONS", "/api/chat/validate")
    );
    assert_eq!(all[0].header("webhook-request-origin"), Some(&*origin));
    assert_eq!(all[0].header("ce-awpsversion"), Some("1.0"));
    assert_eq!(
        all.iter().filter(|s| s.method == "OPTIONS").count(),
        1,
        "one validation for the URL"
    );

    let expect = [
        ("connect", "azure.webpubsub.sys.connect", "0"),
        ("connected", "azure.webpubsub.sys.connected", "1"),
        ("hello", "azure.webpubsub.user.hello", "2"),
        ("disconnected", "azure.webpubsub.sys.disconnected", "3"),
    ];
    for (event, ce_type, ce_id) in expect {
        let seen = up.event(&id, event).await;
        assert_eq!(seen.path, format!("/api/chat/{event}"));
        let mut names: Vec<&str> = seen
            .headers
            .keys()
            .map(|k| k.as_str())
            .filter(|k| k.starts_with("ce-"))
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "ce-awpsversion",
                "ce-connectionid",
                "ce-eventname",
                "ce-hub",
                "ce-id",
                "ce-signature",
                "ce-source",
                "ce-specversion",
                "ce-subprotocol",
                "ce-time",
                "ce-type",
                "ce-userid",
            ],
            "{event}: exactly these attributes (no state was set)"
        );
        assert_eq!(seen.ce("ce-specversion"), "1.0", "{event}");
        assert_eq!(seen.ce("ce-awpsversion"), "1.0", "{event}");
        assert_eq!(seen.ce("ce-type"), ce_type);
        assert_eq!(seen.ce("ce-id"), ce_id, "{event}");
        assert_eq!(seen.ce("ce-source"), format!("/hubs/chat/client/{id}"));
        assert_eq!(seen.ce("ce-hub"), "chat");
        assert_eq!(seen.ce("ce-connectionid"), id);
        assert_eq!(seen.ce("ce-userid"), "alice");
        assert_eq!(seen.ce("ce-eventname"), event);
        assert_eq!(seen.ce("ce-subprotocol"), JSON);
        assert_eq!(seen.ce("ce-signature"), signature(&id), "{event}");
        assert_eq!(seen.header("webhook-request-origin"), Some(&*origin));
        let time = seen.ce("ce-time").as_bytes();
        let shape = time.len() == 20
            && time.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'Z',
                _ => c.is_ascii_digit(),
            });
        assert!(shape, "{event}: ce-time {:?}", seen.ce("ce-time"));
    }

    // The bodies: connect's request, connected's {}, the event's data, disconnected's reason.
    let connect = up.event(&id, "connect").await;
    assert_eq!(
        connect.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body = connect.json();
    assert_eq!(body["claims"]["sub"], json!(["alice"]));
    for claim in ["aud", "iat", "exp"] {
        assert!(body["claims"][claim].is_array(), "{claim} in {body}");
    }
    assert_eq!(body["query"], json!({"room": ["lobby", "hall"]}));
    assert_eq!(body["headers"]["x-test"], json!(["yes"]));
    assert_eq!(body["subprotocols"], json!([JSON]));
    assert_eq!(body["clientCertificates"], json!([]));
    let text = String::from_utf8_lossy(&connect.body);
    assert!(
        !text.contains(&token) && !text.contains("access_token"),
        "the token stays out of connect: {text}"
    );
    assert_eq!(up.event(&id, "connected").await.json(), json!({}));
    let hello = up.event(&id, "hello").await;
    assert_eq!(
        (hello.header("content-type"), &hello.body[..]),
        (Some(TEXT), &b"hi"[..])
    );
    assert_eq!(
        up.event(&id, "disconnected").await.json(),
        json!({"reason": "bye"})
    );
}

#[tokio::test]
async fn a_handler_that_does_not_allow_the_origin_gets_no_events() {
    // 200 without WebHook-Allowed-Origin, and a wrong origin: neither may get events.
    for allowed in [None, Some("elsewhere.example")] {
        let up = Upstream::start(move |seen, _| match (seen.method.as_str(), allowed) {
            ("OPTIONS", Some(origin)) => Answer::ok().header("WebHook-Allowed-Origin", origin),
            _ => Answer::ok(),
        })
        .await;
        let world = world_with(handler_for(&up)).await;
        for user in ["a", "b"] {
            let refused = world
                .try_connect_url(
                    &client_path(&world, "chat", user),
                    &[("Sec-WebSocket-Protocol", JSON)],
                )
                .await;
            assert_eq!(refused_status(refused), 500, "{allowed:?}");
        }
        assert!(up.posts().is_empty(), "{allowed:?}: {:?}", up.posts());
        // The verdict is kept for both clients (a refused URL is asked again after 1 s, which
        // a slow machine may reach between the two).
        assert!(up.all().len() <= 2, "{allowed:?}: {:?}", up.all());
    }
}

// --- connect --------------------------------------------------------------------------------

#[tokio::test]
async fn the_connect_reply_sets_user_groups_roles_and_subprotocol() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "connect" => Answer::ok().json(json!({
            "userId": "bob",
            "groups": ["g1"],
            "roles": ["webpubsub.sendToGroup.g2"],
            "subprotocol": JSON,
        })),
        _ => Answer::ok(),
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    let token = world.client_token("chat", Some("alice"), &[], &["g0"]);
    let offered = format!("{RELIABLE}, {JSON}");
    let (mut socket, resp) = world
        .try_connect_url(
            &format!("/client/hubs/chat?access_token={token}"),
            &[("Sec-WebSocket-Protocol", &offered)],
        )
        .await
        .expect("connects");
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some(JSON.as_bytes()),
        "the handler's subprotocol, not the first offered"
    );
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["userId"], "bob");
    assert!(
        connected.get("reconnectionToken").is_none(),
        "plain json, not reliable: {connected}"
    );
    let id = connected["connectionId"].as_str().expect("id").to_string();

    let connect = up.event(&id, "connect").await;
    assert_eq!(
        connect.ce("ce-userid"),
        "alice",
        "connect has the token's user"
    );
    assert_eq!(connect.json()["subprotocols"], json!([RELIABLE, JSON]));
    let seen = up.event(&id, "connected").await;
    assert_eq!(
        (seen.ce("ce-userid"), seen.ce("ce-subprotocol")),
        ("bob", JSON)
    );

    // Groups: the reply's g1 replaced the token's g0.
    for group in ["g0", "g1"] {
        let resp = world
            .rest(
                "POST",
                &format!("/api/hubs/chat/groups/{group}/:send"),
                &[],
                Some(Payload::text(format!("to {group}"))),
            )
            .await;
        assert_eq!(resp.status, 202);
    }
    let msg = next_json(&mut socket).await;
    assert_eq!(
        (&msg["group"], &msg["data"]),
        (&json!("g1"), &json!("to g1"))
    );
    // Roles: sendToGroup.g2 was granted, g3 was not.
    for (ack_id, group, ok) in [(1, "g2", true), (2, "g3", false)] {
        send_json(
            &mut socket,
            json!({"type":"sendToGroup","group":group,"data":"x","dataType":"text","ackId":ack_id}),
        )
        .await;
        assert_eq!(ack(&mut socket, ack_id).await["success"], ok, "{group}");
    }
    // The user is bob for the service too.
    let resp = world
        .rest(
            "POST",
            "/api/hubs/chat/users/bob/:send",
            &[],
            Some(Payload::text("to bob")),
        )
        .await;
    assert_eq!(resp.status, 202);
    assert_eq!(next_json(&mut socket).await["data"], "to bob");
}

#[tokio::test]
async fn connect_refusals_carry_the_status_and_no_connected_or_disconnected_follows() {
    let up = Upstream::start(allowing(|seen, _| {
        match (seen.event(), seen.header("ce-userid")) {
            ("connect", Some("mallory")) => Answer::status(401),
            ("connect", Some("broken")) => Answer::status(500),
            ("connect", Some("forbidden")) => Answer::status(403),
            _ => Answer::ok(),
        }
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    for (user, status) in [("mallory", 401), ("broken", 500), ("forbidden", 403)] {
        let refused = world
            .try_connect_url(
                &client_path(&world, "chat", user),
                &[("Sec-WebSocket-Protocol", JSON)],
            )
            .await;
        assert_eq!(refused_status(refused), status, "{user}");
    }
    // A plain client is refused the same way.
    let refused = world
        .try_connect_url(&client_path(&world, "chat", "mallory"), &[])
        .await;
    assert_eq!(refused_status(refused), 401);

    barrier(&world, &up).await;
    // Refused clients were only ever asked about: no connected, no disconnected.
    let refused: Vec<Seen> = up
        .posts()
        .into_iter()
        .filter(|s| s.header("ce-userid") != Some("barrier"))
        .collect();
    assert!(!refused.is_empty());
    for seen in &refused {
        assert_eq!(seen.event(), "connect", "{seen:?}");
    }
    // The 500 was retried (same event id), the 401 and 403 were not.
    let tries = |user: &str| {
        up.posts()
            .iter()
            .filter(|s| s.header("ce-userid") == Some(user))
            .count()
    };
    assert_eq!(
        (tries("mallory"), tries("broken"), tries("forbidden")),
        (2, 4, 1)
    );
}

#[tokio::test]
async fn an_upstream_that_is_down_refuses_the_client() {
    // A port nobody listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // A handler timeout of an hour: the refusal must come from the failures, not from it.
    let world = world_with(EventHandlerConfig {
        flags: vec![format!("chat=http://127.0.0.1:{port}/{{event}}")],
        timeout: Duration::from_secs(3600),
        retry_base: Duration::from_millis(1),
        ..EventHandlerConfig::default()
    })
    .await;
    let refused = tokio::time::timeout(
        PATIENCE,
        world.try_connect_url(
            &client_path(&world, "chat", "u"),
            &[("Sec-WebSocket-Protocol", JSON)],
        ),
    )
    .await
    .expect("refused once the handler cannot be reached, not at the timeout");
    assert_eq!(refused_status(refused), 500);
}

#[tokio::test]
async fn a_slow_upstream_fails_at_the_timeout() {
    // Answered after PATIENCE: had the 400 ms timeout not fired, the answer would be a success.
    let up = Upstream::start(allowing(|seen, _| {
        let slow = Answer::ok().delay(PATIENCE);
        match (seen.event(), seen.header("ce-userid")) {
            ("connect", Some("slow")) | ("slow", _) => slow,
            ("connect", _) => Answer::ok(),
            _ => Answer::ok().text("fast"),
        }
    }))
    .await;
    let world = world_with(EventHandlerConfig {
        timeout: Duration::from_millis(400),
        ..handler_for(&up)
    })
    .await;
    let refused = world
        .try_connect_url(
            &client_path(&world, "chat", "slow"),
            &[("Sec-WebSocket-Protocol", JSON)],
        )
        .await;
    assert_eq!(refused_status(refused), 500);

    let (mut socket, id) = world.connect_json("chat", Some("quick"), &[], &[]).await;
    send_event(&mut socket, "slow", "text", json!("x"), 1).await;
    let failed = ack(&mut socket, 1).await;
    assert_eq!(failed["success"], false);
    assert_eq!(failed["error"]["name"], "InternalServerError");
    // A timeout is not retried: the handler may still be working on it.
    assert_eq!(up.count(&id, "slow"), 1);
    // The connection goes on.
    send_event(&mut socket, "other", "text", json!("x"), 2).await;
    assert_eq!(next_json(&mut socket).await["data"], "fast");
    assert_eq!(ack(&mut socket, 2).await["success"], true);
}

#[tokio::test]
async fn a_500_then_200_is_retried_and_succeeds() {
    // Each event's first attempt fails with 500; the retry (the same event) succeeds.
    let up = Upstream::start(allowing(|seen, before| {
        let first = !before.iter().any(|s| {
            s.method == "POST"
                && s.header("ce-id") == seen.header("ce-id")
                && s.connection() == seen.connection()
        });
        match seen.event() {
            "flaky" | "connect" if first => Answer::status(500),
            "flaky" => Answer::ok().text("recovered"),
            _ => Answer::ok(),
        }
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    let (mut socket, id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    send_event(&mut socket, "flaky", "text", json!("x"), 1).await;
    let msg = next_json(&mut socket).await;
    assert_eq!(
        (&msg["from"], &msg["data"]),
        (&json!("server"), &json!("recovered"))
    );
    assert_eq!(ack(&mut socket, 1).await["success"], true);
    for event in ["connect", "flaky"] {
        let tries: Vec<String> = up
            .posts()
            .iter()
            .filter(|s| s.is(&id, event))
            .map(|s| s.ce("ce-id").to_string())
            .collect();
        assert_eq!(tries.len(), 2, "{event}");
        assert_eq!(
            tries[0], tries[1],
            "{event}: a retry resends the same event"
        );
    }
}

#[tokio::test]
async fn a_reply_over_16_mib_fails_the_event() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "big" => Answer::ok().body("application/octet-stream", vec![b'x'; 16 * 1024 * 1024 + 1]),
        _ => Answer::ok(),
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    let (mut socket, _) = world.connect_json("chat", Some("u"), &[], &[]).await;
    send_event(&mut socket, "big", "text", json!("x"), 7).await;
    let failed = next_json(&mut socket).await;
    assert_eq!(
        failed["ackId"], 7,
        "no message before the failed ack: {failed}"
    );
    assert_eq!(failed["success"], false);
    assert_eq!(failed["error"]["name"], "InternalServerError");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("16 MiB"),
        "{failed}"
    );

    // A plain client has no ack: it is closed with 1011, as the service does.
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "message" => {
            Answer::ok().body("application/octet-stream", vec![b'x'; 16 * 1024 * 1024 + 1])
        }
        _ => Answer::ok(),
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    let mut plain = world.connect("chat", Some("u"), &[], &[], None).await;
    plain.send(Message::Text("hi".into())).await.expect("send");
    assert_eq!(next_close(&mut plain).await.0, 1011);
}

// --- user events ----------------------------------------------------------------------------

/// Echoes each user event back with the content type it came with.
fn echo() -> impl Fn(&Seen, &[Seen]) -> Answer + Send + Sync + 'static {
    allowing(|seen, _| match seen.header("ce-type") {
        Some(t) if t.starts_with("azure.webpubsub.user.") => Answer::ok().body(
            seen.header("content-type").unwrap_or(""),
            seen.body.to_vec(),
        ),
        _ => Answer::ok(),
    })
}

#[tokio::test]
async fn json_events_map_data_types_and_the_reply_comes_before_the_ack() {
    let up = Upstream::start(echo()).await;
    let world = world_with(handler_for(&up)).await;
    let (mut socket, id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    let b64 = base64::engine::general_purpose::STANDARD.encode([0u8, 1, 0xff]);
    let cases = [
        ("text", json!("hi there"), TEXT, b"hi there".to_vec()),
        (
            "json",
            json!({"a": [1, "two"]}),
            "application/json",
            br#"{"a":[1,"two"]}"#.to_vec(),
        ),
        (
            "binary",
            json!(b64),
            "application/octet-stream",
            vec![0, 1, 0xff],
        ),
    ];
    for (i, (data_type, data, content_type, body)) in cases.into_iter().enumerate() {
        let ack_id = i as u64 + 1;
        let event = format!("echo-{data_type}");
        send_event(&mut socket, &event, data_type, data.clone(), ack_id).await;
        // The reply first, as a server message of the same kind, then the ack.
        let reply = next_json(&mut socket).await;
        assert_eq!(
            reply,
            json!({"type": "message", "from": "server", "dataType": data_type, "data": data})
        );
        assert_eq!(
            next_json(&mut socket).await,
            json!({"type": "ack", "ackId": ack_id, "success": true})
        );
        let seen = up.event(&id, &event).await;
        assert_eq!(
            seen.header("content-type"),
            Some(content_type),
            "{data_type}"
        );
        assert_eq!(seen.body.to_vec(), body, "{data_type}");
        assert_eq!(seen.ce("ce-type"), format!("azure.webpubsub.user.{event}"));
    }
}

#[tokio::test]
async fn plain_frames_are_the_message_event_and_replies_keep_their_kind() {
    let up = Upstream::start(echo()).await;
    let world = world_with(handler_for(&up)).await;
    let mut plain = world.connect("chat", Some("u"), &[], &[], None).await;
    plain
        .send(Message::Text("plain text".into()))
        .await
        .expect("send");
    assert_eq!(
        next_frame(&mut plain).await,
        Message::Text("plain text".into())
    );
    plain
        .send(Message::Binary(Bytes::from_static(&[9, 0, 9])))
        .await
        .expect("send");
    assert_eq!(
        next_frame(&mut plain).await,
        Message::Binary(Bytes::from_static(&[9, 0, 9]))
    );
    let messages: Vec<Seen> = up
        .posts()
        .into_iter()
        .filter(|s| s.event() == "message")
        .collect();
    assert_eq!(messages.len(), 2);
    let id = messages[0].connection().to_string();
    assert_eq!(messages[0].ce("ce-type"), "azure.webpubsub.user.message");
    assert_eq!(messages[0].header("content-type"), Some(TEXT));
    assert_eq!(&messages[0].body[..], b"plain text");
    assert_eq!(
        messages[1].header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(&messages[1].body[..], &[9, 0, 9]);
    assert!(
        messages[0].header("ce-subprotocol").is_none(),
        "a plain client has no subprotocol"
    );
    assert_eq!(
        (messages[0].ce("ce-id"), messages[1].ce("ce-id")),
        ("2", "3"),
        "connect 0, connected 1, then the frames"
    );
    assert_eq!(up.event(&id, "connect").await.ce("ce-id"), "0");
}

#[tokio::test]
async fn a_reused_successful_ack_id_does_not_call_the_handler_again() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "fails" => Answer::status(400),
        _ => Answer::ok(),
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    let (mut socket, id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    send_event(&mut socket, "once", "text", json!("1"), 5).await;
    assert_eq!(ack(&mut socket, 5).await["success"], true);
    send_event(&mut socket, "once", "text", json!("2"), 5).await;
    let dup = ack(&mut socket, 5).await;
    assert_eq!(
        (&dup["success"], &dup["error"]["name"]),
        (&json!(false), &json!("Duplicate"))
    );
    // A failed ackId may be used again, and it calls the handler again.
    for _ in 0..2 {
        send_event(&mut socket, "fails", "text", json!("x"), 6).await;
        assert_eq!(
            ack(&mut socket, 6).await["error"]["name"],
            "InternalServerError"
        );
    }
    assert_eq!((up.count(&id, "once"), up.count(&id, "fails")), (1, 2));
}

#[tokio::test]
async fn connection_state_and_cookies_travel_with_later_events() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "connect" => Answer::ok()
            .header("ce-connectionState", "c3RhcnQ=")
            .header("set-cookie", "session=abc; Path=/; HttpOnly"),
        "set" => Answer::ok().header("ce-connectionState", "bmV4dA=="),
        _ => Answer::ok(),
    }))
    .await;
    let world = world_with(handler_for(&up)).await;
    let (mut socket, id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    let connect = up.event(&id, "connect").await;
    assert!(connect.header("ce-connectionstate").is_none());
    assert!(connect.header("cookie").is_none());
    for (ack_id, event) in [(1, "get"), (2, "set"), (3, "get-again")] {
        send_event(&mut socket, event, "text", json!("x"), ack_id).await;
        assert_eq!(ack(&mut socket, ack_id).await["success"], true);
    }
    close_with(&mut socket, "").await;
    let expect = [
        ("connected", "c3RhcnQ="),
        ("get", "c3RhcnQ="),
        ("set", "c3RhcnQ="),
        ("get-again", "bmV4dA=="),
        ("disconnected", "bmV4dA=="),
    ];
    for (event, state) in expect {
        let seen = up.event(&id, event).await;
        assert_eq!(seen.header("ce-connectionstate"), Some(state), "{event}");
        assert_eq!(seen.header("cookie"), Some("session=abc"), "{event}");
    }
}

#[tokio::test]
async fn disconnected_carries_the_reason_and_comes_once() {
    let up = Upstream::start(allowing(|_, _| Answer::ok())).await;
    let world = world_with(handler_for(&up)).await;

    // The client closes with a reason.
    let (mut socket, by_client) = world.connect_json("chat", Some("a"), &[], &[]).await;
    close_with(&mut socket, "see you").await;
    // The server closes it (REST, with a reason).
    let (mut socket, by_server) = world.connect_json("chat", Some("b"), &[], &[]).await;
    let resp = world
        .rest(
            "DELETE",
            &format!("/api/hubs/chat/connections/{by_server}"),
            &[("reason", "kicked")],
            None,
        )
        .await;
    assert_eq!(resp.status, 204);
    next_close(&mut socket).await;
    // A plain client that just goes away.
    let plain = world.connect("chat", Some("c"), &[], &[], None).await;
    drop(plain);

    assert_eq!(
        up.event(&by_client, "disconnected").await.json(),
        json!({"reason": "see you"})
    );
    assert_eq!(
        up.event(&by_server, "disconnected").await.json(),
        json!({"reason": "kicked"})
    );
    let gone = up
        .wait_for("the plain client's disconnected", |seen| {
            seen.iter()
                .find(|s| s.event() == "disconnected" && s.header("ce-userid") == Some("c"))
                .cloned()
        })
        .await;
    assert!(gone.json()["reason"].is_string(), "{:?}", gone.json());
    barrier(&world, &up).await;
    for id in [&by_client, &by_server, &gone.connection().to_string()] {
        assert_eq!(up.count(id, "connected"), 1, "{id}");
        assert_eq!(up.count(id, "disconnected"), 1, "{id}");
    }
}

#[tokio::test]
async fn a_reliable_recovery_sends_no_second_connect_connected_or_disconnected() {
    let up = Upstream::start(echo()).await;
    let world = world_with(handler_for(&up)).await;
    let (socket, id, token) = world.connect_reliable("chat", Some("r"), &[], &[]).await;
    up.event(&id, "connected").await;
    // Lose the transport without a close frame.
    drop(socket);
    let (mut recovered, _) = world
        .try_connect_url(
            &format!("/client/hubs/chat?awps_connection_id={id}&awps_reconnection_token={token}"),
            &[("Sec-WebSocket-Protocol", RELIABLE)],
        )
        .await
        .expect("recovered");
    // The recovered connection still reaches the handler, with the same identity.
    send_event(&mut recovered, "after", "text", json!("back"), 1).await;
    let reply = next_json(&mut recovered).await;
    assert_eq!(reply["data"], "back", "{reply}");
    assert_eq!(ack(&mut recovered, 1).await["success"], true);
    assert_eq!(up.event(&id, "after").await.ce("ce-id"), "2");
    assert_eq!(up.count(&id, "disconnected"), 0, "not while recovered");
    close_with(&mut recovered, "done").await;
    assert_eq!(
        up.event(&id, "disconnected").await.json(),
        json!({"reason": "done"})
    );
    barrier(&world, &up).await;
    for event in ["connect", "connected", "disconnected"] {
        assert_eq!(up.count(&id, event), 1, "{event}");
    }
}

// --- settings files -------------------------------------------------------------------------

#[tokio::test]
async fn a_toml_settings_file_picks_the_first_matching_handler_per_hub() {
    let up = Upstream::start(allowing(|_, _| Answer::ok())).await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("handlers.toml");
    let base = up.url("");
    std::fs::write(
        &file,
        format!(
            r#"
[[hubs.chat.handlers]]
url_template = "{base}/first/{{event}}"
system_events = ["connect"]
user_events = "alpha, beta"

[[hubs.chat.handlers]]
url_template = "{base}/second/{{event}}"
system_events = ["connect", "connected", "disconnected"]
user_events = "*"

[[hubs."*".handlers]]
url_template = "{base}/any/{{hub}}/{{event}}"
system_events = ["connected"]
user_events = "gamma"
"#
        ),
    )
    .expect("write");
    let world = world_with(EventHandlerConfig {
        settings_file: Some(file),
        retry_base: Duration::from_millis(1),
        ..EventHandlerConfig::default()
    })
    .await;
    let (mut chat, chat_id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    for (ack_id, event) in [(1, "ALPHA"), (2, "beta"), (3, "gamma")] {
        send_event(&mut chat, event, "text", json!("x"), ack_id).await;
        assert_eq!(ack(&mut chat, ack_id).await["success"], true, "{event}");
    }
    let (mut news, news_id) = world.connect_json("news", Some("u"), &[], &[]).await;
    send_event(&mut news, "gamma", "text", json!("x"), 1).await;
    assert_eq!(ack(&mut news, 1).await["success"], true);
    send_event(&mut news, "alpha", "text", json!("x"), 2).await;
    let no = ack(&mut news, 2).await;
    assert_eq!(no["error"]["name"], "InternalServerError", "{no}");
    close_with(&mut chat, "").await;
    close_with(&mut news, "").await;
    up.event(&chat_id, "disconnected").await;

    let path = |id: &str, event: &str| {
        up.posts()
            .iter()
            .find(|s| s.is(id, event))
            .map(|s| s.path.clone())
    };
    assert_eq!(path(&chat_id, "connect").as_deref(), Some("/first/connect"));
    assert_eq!(
        path(&chat_id, "connected").as_deref(),
        Some("/second/connected")
    );
    assert_eq!(path(&chat_id, "ALPHA").as_deref(), Some("/first/ALPHA"));
    assert_eq!(path(&chat_id, "beta").as_deref(), Some("/first/beta"));
    // chat has its own list, so `*`'s gamma handler is not chat's.
    assert_eq!(path(&chat_id, "gamma").as_deref(), Some("/second/gamma"));
    up.event(&news_id, "connected").await;
    assert_eq!(
        path(&news_id, "connected").as_deref(),
        Some("/any/news/connected")
    );
    assert_eq!(path(&news_id, "gamma").as_deref(), Some("/any/news/gamma"));
    assert_eq!(
        path(&news_id, "connect"),
        None,
        "no connect handler for news"
    );
    assert_eq!(path(&news_id, "alpha"), None);
    assert_eq!(path(&news_id, "disconnected"), None);
    // Each URL is validated with {event} = validate.
    let mut validated: Vec<String> = up
        .all()
        .iter()
        .filter(|s| s.method == "OPTIONS")
        .map(|s| s.path.clone())
        .collect();
    validated.sort();
    assert_eq!(
        validated,
        ["/any/news/validate", "/first/validate", "/second/validate"]
    );
}

#[tokio::test]
async fn the_official_appsettings_json_is_read_as_is() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "connect" => Answer::ok().json(json!({"userId": "from-handler"})),
        _ => Answer::ok(),
    }))
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("appsettings.json");
    let base = up.url("");
    let settings = json!({
        "Logging": {"LogLevel": {"Default": "Information"}},
        "WebPubSub": {
            "Hubs": {
                "chat": {
                    "EventHandlers": [
                        {
                            "UrlTemplate": format!("{base}/eventhandler/{{hub}}/{{event}}"),
                            "SystemEvents": ["connect", "connected", "disconnected"],
                            "EventPattern": "*"
                        }
                    ]
                },
                "_default": {
                    "EventHandlers": [
                        {"UrlTemplate": format!("{base}/default/{{event}}"), "EventPattern": "message"}
                    ]
                }
            }
        }
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&settings).expect("json")).expect("write");
    let world = world_with(EventHandlerConfig {
        settings_file: Some(file),
        retry_base: Duration::from_millis(1),
        ..EventHandlerConfig::default()
    })
    .await;
    let (mut chat, chat_id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    send_event(&mut chat, "anything", "json", json!({"k": 1}), 1).await;
    assert_eq!(ack(&mut chat, 1).await["success"], true);
    assert_eq!(
        up.event(&chat_id, "connect").await.path,
        "/eventhandler/chat/connect"
    );
    assert_eq!(
        up.event(&chat_id, "anything").await.ce("ce-userid"),
        "from-handler"
    );
    // Other hubs: `_default` takes plain frames only.
    let mut plain = world.connect("other", Some("p"), &[], &[], None).await;
    plain
        .send(Message::Text("hello".into()))
        .await
        .expect("send");
    let seen = up
        .wait_for("other's message", |seen| {
            seen.iter().find(|s| s.event() == "message").cloned()
        })
        .await;
    assert_eq!(seen.path, "/default/message");
    assert_eq!(seen.ce("ce-hub"), "other");
}

#[tokio::test]
async fn the_settings_file_is_reloaded_without_dropping_a_client() {
    let up = Upstream::start(allowing(|seen, _| match seen.path.as_str() {
        p if !p.ends_with("/e") => Answer::ok(),
        p if p.starts_with("/v2") => Answer::ok().text("v2"),
        _ => Answer::ok().text("v1"),
    }))
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("handlers.toml");
    let write = |version: &str| {
        let text = format!(
            "[[hubs.chat.handlers]]\nurl_template = \"{}\"\nsystem_events = [\"connect\", \"connected\", \"disconnected\"]\nuser_events = \"*\"\n",
            up.url(&format!("/{version}/{{event}}"))
        );
        std::fs::write(&file, text).expect("write");
    };
    write("v1");
    let world = world_with(EventHandlerConfig {
        settings_file: Some(file.clone()),
        retry_base: Duration::from_millis(1),
        ..EventHandlerConfig::default()
    })
    .await;
    let (mut socket, id) = world.connect_json("chat", Some("u"), &[], &[]).await;
    send_event(&mut socket, "e", "text", json!("x"), 1).await;
    assert_eq!(next_json(&mut socket).await["data"], "v1");
    assert_eq!(ack(&mut socket, 1).await["success"], true);

    write("v2-longer");
    // The handlers in force, as the emulator lists them: wait for the new URL there.
    let deadline = Instant::now() + PATIENCE;
    while !world.emulator.event_handlers().contains("/v2-longer/") {
        assert!(Instant::now() < deadline, "the settings were not reloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    send_event(&mut socket, "e", "text", json!("x"), 2).await;
    assert_eq!(next_json(&mut socket).await["data"], "v2");
    assert_eq!(ack(&mut socket, 2).await["success"], true);
    close_with(&mut socket, "").await;
    let disconnected = up.event(&id, "disconnected").await;
    assert_eq!(disconnected.path, "/v2-longer/disconnected");
    // The new URL was validated before its first event; the client was never dropped.
    assert!(up
        .all()
        .iter()
        .any(|s| s.method == "OPTIONS" && s.path == "/v2-longer/validate"));
    assert_eq!(up.count(&id, "connect"), 1);
    assert_eq!(up.count(&id, "connected"), 1);
}

// --- the real binary: stderr ----------------------------------------------------------------

/// `wps ARGS` running as a child (killed on drop), its stderr collected as it comes.
pub(crate) struct Binary {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    _home: tempfile::TempDir,
}

impl Binary {
    pub(crate) async fn start(args: Vec<String>) -> Binary {
        tokio::task::spawn_blocking(move || {
            let home = tempfile::tempdir().expect("home");
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wps"))
                .env_clear()
                .env("HOME", home.path())
                .env("WPS_CONFIG", home.path().join("config.toml"))
                .env("WPS_TEST_RETRY_BASE_MS", "1")
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("wps emulator starts");
            let stderr = Arc::new(Mutex::new(String::new()));
            let (sink, pipe) = (stderr.clone(), child.stderr.take().expect("stderr"));
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut all = sink.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("stdout"))
                .read_line(&mut line)
                .expect("connection string");
            let port: u16 = line
                .split("Port=")
                .nth(1)
                .and_then(|p| p.split(';').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no port in {line:?}: {}", stderr.lock().unwrap()));
            Binary {
                child,
                addr: ([127, 0, 0, 1], port).into(),
                stderr,
                _home: home,
            }
        })
        .await
        .expect("join")
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (bounded) until stderr has a line containing every one of `parts`.
    pub(crate) async fn line_with(&self, parts: &[&str]) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self
                .stderr()
                .lines()
                .find(|l| parts.iter().all(|p| l.contains(p)))
            {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no stderr line with {parts:?} in:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) async fn connect(
        &self,
        user: &str,
        subprotocol: Option<&str>,
    ) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let signer = wps::client::KeySigner::new(&wps::client::Secret::new(DEFAULT_ACCESS_KEY));
        let now = wps::client::now_secs();
        let claims = wps::client::ClientClaims {
            aud: format!("http://{}/client/hubs/chat", self.addr),
            iat: now,
            exp: now + 3600,
            sub: Some(user.to_string()),
            role: vec![],
            groups: vec![],
        };
        let token = signer.sign(&claims).expect("sign");
        let mut req = format!(
            "ws://{}/client/hubs/chat?access_token={}",
            self.addr,
            token.expose()
        )
        .into_client_request()
        .expect("request");
        if let Some(p) = subprotocol {
            req.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_str(p).expect("p"),
            );
        }
        tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn emulator_args(extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = ["-v", "emulator", "--port", "0"].map(String::from).to_vec();
    args.extend_from_slice(extra);
    args
}

#[tokio::test]
async fn the_binary_lists_handlers_and_logs_each_upstream_call_with_v() {
    let up = Upstream::start(allowing(|seen, _| match seen.header("ce-userid") {
        Some("mallory") if seen.event() == "connect" => Answer::status(401),
        _ => Answer::ok(),
    }))
    .await;
    let template = up.url("/api/{hub}/{event}?code=secret-value");
    let emu = Binary::start(emulator_args(&[
        "--event-handler".into(),
        format!("chat={template}"),
    ]))
    .await;
    // The handlers in force, query values hidden.
    let listed = emu
        .line_with(&[
            "hub chat #1:",
            "system: connect,connected,disconnected; user: *",
        ])
        .await;
    assert!(
        listed.contains("code=<redacted>") && !emu.stderr().contains("secret-value"),
        "{listed}"
    );

    let mut socket = emu.connect("alice", Some(JSON)).await.expect("connects");
    let connected = next_json(&mut socket).await;
    let id = connected["connectionId"].as_str().expect("id").to_string();
    send_event(&mut socket, "hello", "text", json!("x"), 1).await;
    assert_eq!(ack(&mut socket, 1).await["success"], true);
    close_with(&mut socket, "").await;
    let refused = emu.connect("mallory", Some(JSON)).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401),
        "{refused:?}"
    );

    let conn = format!("connection={id}");
    for event in ["connect", "connected", "hello", "disconnected"] {
        let line = emu
            .line_with(&[&format!("upstream {event} hub=chat"), &conn, "-> 200 in "])
            .await;
        let ms = line
            .split("-> 200 in ")
            .nth(1)
            .and_then(|rest| rest.split(" ms").next())
            .and_then(|n| n.parse::<u64>().ok());
        assert!(ms.is_some(), "milliseconds in {line:?}");
        assert!(
            line.contains(&format!("/api/chat/{event}?code=<redacted>")),
            "{line}"
        );
    }
    emu.line_with(&["upstream connect hub=chat", "-> 401 in "])
        .await;
    assert!(!emu.stderr().contains("secret-value"));
}

#[tokio::test]
async fn the_binary_says_once_why_a_handler_gets_no_events() {
    let up = Upstream::start(|_, _| Answer::ok()).await;
    let emu = Binary::start(emulator_args(&[
        "--event-handler".into(),
        format!("chat={}", up.url("/hook/{event}")),
    ]))
    .await;
    for user in ["a", "b", "c"] {
        let refused = emu.connect(user, Some(JSON)).await;
        assert!(
            matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 500),
            "{refused:?}"
        );
    }
    let why = emu
        .line_with(&["event handler", "/hook/validate", "gets no events"])
        .await;
    assert!(why.contains("WebHook-Allowed-Origin"), "{why}");
    // Three refused clients (and perhaps a background recheck), one explanation.
    let count = emu
        .stderr()
        .lines()
        .filter(|l| l.contains("gets no events"))
        .count();
    assert_eq!(count, 1, "{}", emu.stderr());
    assert!(up.posts().is_empty());
    assert!(up
        .all()
        .iter()
        .all(|s| s.header("webhook-request-origin") == Some(&*emu.addr.to_string())));
}

#[tokio::test]
async fn the_binary_keeps_its_handlers_when_the_settings_file_breaks() {
    let up = Upstream::start(allowing(|seen, _| match seen.event() {
        "e" => Answer::ok().text(&seen.path),
        _ => Answer::ok(),
    }))
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("wps.toml");
    let write = |path: &str| {
        std::fs::write(
            &file,
            format!(
                "[[hubs.chat.handlers]]\nurl_template = \"{}\"\nuser_events = \"*\"\n",
                up.url(path)
            ),
        )
        .expect("write")
    };
    write("/one/{event}");
    let emu = Binary::start(emulator_args(&[
        "--settings".into(),
        file.display().to_string(),
    ]))
    .await;
    emu.line_with(&["hub chat #1:", "/one/{event}"]).await;
    let mut socket = emu.connect("u", Some(JSON)).await.expect("connects");
    next_json(&mut socket).await;

    std::fs::write(&file, "[[hubs.chat.handlers]]\nurl = 'typo'\n").expect("write");
    emu.line_with(&["not reloaded (the previous handlers stay)", "unknown field"])
        .await;
    send_event(&mut socket, "e", "text", json!("x"), 1).await;
    let frames = until_ack(&mut socket, 1).await;
    assert_eq!(reply_then_ack(&frames), Some("/one/e".into()), "{frames:?}");

    write("/two-now/{event}");
    emu.line_with(&["settings reloaded"]).await;
    emu.line_with(&["hub chat #1:", "/two-now/{event}"]).await;
    send_event(&mut socket, "e", "text", json!("x"), 2).await;
    let frames = until_ack(&mut socket, 2).await;
    assert_eq!(
        reply_then_ack(&frames),
        Some("/two-now/e".into()),
        "{frames:?}"
    );
}

/// Every JSON frame up to and including the ack for `ack_id`.
async fn until_ack(socket: &mut Socket, ack_id: u64) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = next_json(socket).await;
        let done = frame["type"] == "ack" && frame["ackId"] == ack_id;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

/// The data of the handler's reply when it came right before a successful ack.
fn reply_then_ack(frames: &[Value]) -> Option<String> {
    let [.., reply, ack] = frames else {
        return None;
    };
    (ack["success"] == true && reply["type"] == "message")
        .then(|| reply["data"].as_str().map(str::to_string))
        .flatten()
}

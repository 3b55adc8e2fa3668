//! The dashboard (`GET /`) and its emulator-only endpoints under `/_emulator/`: what they
//! show, what the live stream delivers, and every rule about who may use them (loopback
//! peers, the Host header, the page token, the key, no CORS).
//!
//! Tests cannot connect from another machine, so "a non-loopback peer" is simulated with the
//! documented test hook `Emulator::treat_peers_as_remote`.

use std::time::Duration;

use base64::Engine;
use reqwest::header::{self, HeaderMap};
use serde_json::{json, Value};
use wps::emulator::{self, EmulatorConfig, DEFAULT_ACCESS_KEY};

use crate::common::{code, next_json, run, send_json, stderr, stdout, World};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn url(world: &World, path: &str) -> String {
    format!("http://{}{path}", world.emulator.addr())
}

/// GETs one of the emulator's JSON endpoints (loopback, no credentials needed).
async fn get_json(world: &World, path: &str) -> Value {
    let text = http()
        .get(url(world, path))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&text).expect("JSON")
}

/// The page's token, read from the served page as the browser would.
async fn page_token(world: &World) -> String {
    let page = http()
        .get(url(world, "/"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    let start = page
        .find(r#"name="wps-page-token" content=""#)
        .expect("token meta")
        + r#"name="wps-page-token" content=""#.len();
    page[start..start + 64].to_string()
}

fn no_cors(headers: &HeaderMap) {
    let cors: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "CORS headers: {cors:?}");
}

fn basic(password: &str) -> String {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("me:{password}"));
    format!("Basic {creds}")
}

#[tokio::test]
async fn the_page_is_served_with_its_assets_and_a_strict_policy() {
    let world = World::new().await;
    let resp = http().get(url(&world, "/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert!(h[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h["cross-origin-resource-policy"], "same-origin");
    no_cors(&h);
    let html = resp.text().await.unwrap();
    assert!(!html.contains("{{PAGE_TOKEN}}"));
    // Everything the page needs comes from the emulator itself.
    assert!(!html.contains("https://") && !html.contains("//cdn"));
    assert_eq!(page_token(&world).await.len(), 64);
    for (path, kind) in [
        ("/_emulator/assets/dashboard.js", "text/javascript"),
        ("/_emulator/assets/dashboard.css", "text/css"),
    ] {
        let resp = http().get(url(&world, path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(kind));
    }
    let missing = http()
        .get(url(&world, "/_emulator/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // The REST API keeps its own 404 for everything else.
    let other = http().get(url(&world, "/other")).send().await.unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn hubs_show_connections_with_users_protocols_groups_and_roles() {
    let world = World::new().await;
    let (_alice, alice_id) = world
        .connect_json("chat", Some("alice"), &["webpubsub.sendToGroup"], &["g1"])
        .await;
    let _raw = world.connect("chat", None, &[], &[], None).await;
    let _other = world.connect("Other", Some("bob"), &[], &[], None).await;

    // Plain clients have no `connected` message to wait for: the listing is read until it
    // has them (the deadline only bounds a failure).
    let expected = json!({"hubs": [
        {"name": "chat", "connections": 2, "users": 1, "groups": 1},
        {"name": "other", "connections": 1, "users": 1, "groups": 0},
    ]});
    let deadline = tokio::time::Instant::now() + crate::common::PATIENCE;
    let hubs = loop {
        let hubs: Value = get_json(&world, "/_emulator/api/hubs").await;
        if hubs == expected || tokio::time::Instant::now() >= deadline {
            break hubs;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(hubs, expected);

    let chat: Value = get_json(&world, "/_emulator/api/hubs/chat").await;
    let conns = chat["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    let alice = conns
        .iter()
        .find(|c| c["connectionId"] == alice_id.as_str())
        .expect("alice listed");
    assert_eq!(alice["userId"], "alice");
    assert_eq!(alice["protocol"], "json.webpubsub.azure.v1");
    assert_eq!(alice["groups"], json!(["g1"]));
    assert_eq!(alice["roles"], json!(["webpubsub.sendToGroup"]));
    assert!(alice["connectedAt"].as_u64().unwrap() > 1_600_000_000_000);
    assert!(conns
        .iter()
        .any(|c| c["protocol"] == "raw" && c["userId"].is_null()));
    assert_eq!(
        chat["groups"],
        json!([{"name": "g1", "connections": [alice_id], "users": ["alice"]}])
    );
    assert_eq!(
        chat["users"],
        json!([{"userId": "alice", "connections": [alice_id]}])
    );

    let unknown = http()
        .get(url(&world, "/_emulator/api/hubs/nobody"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_host_the_emulator_does_not_serve_is_refused() {
    let world = World::new().await;
    let port = world.emulator.addr().port();
    // DNS rebinding: a hostile name resolved to 127.0.0.1 still says its own name.
    for host in [
        format!("evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        "localhost".to_string(),
    ] {
        for path in ["/", "/_emulator/api/hubs", "/_emulator/api/events"] {
            let resp = http()
                .get(url(&world, path))
                .header(header::HOST, &host)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 403, "{host} {path}");
            no_cors(resp.headers());
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let resp = http()
            .get(url(&world, "/_emulator/api/hubs"))
            .header(header::HOST, &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn other_machines_need_the_key() {
    let world = World::new().await;
    world.emulator.treat_peers_as_remote(true);
    for path in ["/", "/_emulator/api/hubs", "/_emulator/api/events"] {
        let resp = http().get(url(&world, path)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        assert!(resp.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
    }
    let wrong = http()
        .get(url(&world, "/"))
        .header(header::AUTHORIZATION, basic("not-the-key"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // A browser signs in with the key as the password...
    let page = http()
        .get(url(&world, "/"))
        .header(header::AUTHORIZATION, basic(DEFAULT_ACCESS_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // ... and a script signs like a REST call.
    let target = url(&world, "/_emulator/api/hubs");
    let signed = http()
        .get(&target)
        .bearer_auth(world.rest_token(&target))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    let elsewhere = http()
        .get(&target)
        .bearer_auth(world.rest_token(&url(&world, "/_emulator/api/activity")))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 401, "a token for another URL");

    let mut cmd = world.wps();
    cmd.args(["api", "GET", "/_emulator/api/hubs"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(body["status"], 200);
    assert_eq!(body["body"], json!({"hubs": []}));
}

#[tokio::test]
async fn bound_beyond_loopback_the_page_requires_the_key_even_locally() {
    let emulator = emulator::start(EmulatorConfig {
        host: "0.0.0.0".parse().unwrap(),
        port: 0,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let page = format!("http://127.0.0.1:{}/", emulator.addr().port());
    let resp = http().get(&page).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = http()
        .get(&page)
        .header(header::AUTHORIZATION, basic(DEFAULT_ACCESS_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn changing_state_needs_the_page_token_or_the_key() {
    let world = World::new().await;
    let (mut alice, _) = world
        .connect_json("chat", Some("alice"), &[], &["g1"])
        .await;
    let token = page_token(&world).await;
    let send = url(&world, "/_emulator/api/hubs/chat/send");
    let body = json!({"target": "group", "name": "g1", "data": "from the page"});
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = http()
            .post(&send)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };

    // No token, a wrong one, or a right one from another site: refused, and nothing sent.
    let refused = [
        vec![],
        vec![("x-wps-page-token", "0".repeat(64))],
        vec![
            ("x-wps-page-token", token.clone()),
            ("origin", "http://evil.example".to_string()),
        ],
        vec![
            ("x-wps-page-token", token.clone()),
            ("sec-fetch-site", "cross-site".to_string()),
        ],
        // Basic credentials are sent by browsers on cross-site requests too: not enough.
        vec![("authorization", basic(DEFAULT_ACCESS_KEY))],
    ];
    for headers in refused {
        let shown = format!("{headers:?}");
        let resp = post(headers).await.unwrap();
        assert_eq!(resp.status(), 403, "{shown}");
        no_cors(resp.headers());
    }
    let token_refused = http()
        .post(url(&world, "/_emulator/api/token"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(json!({"hub": "chat"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(token_refused.status(), 403);
    crate::common::assert_nothing_before_sentinel(&world, "chat", &mut [&mut alice]).await;

    // The page's own request: same origin, token in its header.
    let resp = post(vec![
        ("x-wps-page-token", token.clone()),
        ("origin", format!("http://{}", world.emulator.addr())),
        ("sec-fetch-site", "same-origin".to_string()),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), 202);
    let got = next_json(&mut alice).await;
    assert_eq!(got["group"], "g1");
    assert_eq!(got["data"], "from the page");

    // A script signs with the key instead.
    let resp = http()
        .post(&send)
        .bearer_auth(world.rest_token(&send))
        .header(header::CONTENT_TYPE, "application/json")
        .body(
            json!({"target": "user", "name": "alice", "dataType": "json", "data": {"n": 1}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_eq!(next_json(&mut alice).await["data"], json!({"n": 1}));

    // The REST API's own checks apply to the page's sends.
    let bad = http()
        .post(&send)
        .header("x-wps-page-token", &token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(json!({"target": "group", "name": " ", "data": "x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let get = http()
        .get(&send)
        .header("x-wps-page-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn no_cors_allowance_is_ever_sent() {
    let world = World::new().await;
    let preflight = http()
        .request(
            reqwest::Method::OPTIONS,
            url(&world, "/_emulator/api/hubs/chat/send"),
        )
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-wps-page-token")
        .send()
        .await
        .unwrap();
    assert!(!preflight.status().is_success());
    no_cors(preflight.headers());
    for path in ["/", "/_emulator/api/hubs", "/_emulator/api/activity"] {
        let resp = http()
            .get(url(&world, path))
            .header("origin", "http://evil.example")
            .send()
            .await
            .unwrap();
        no_cors(resp.headers());
    }
}

/// Reads server-sent events until one matches, for at most `PATIENCE`.
async fn next_event(
    stream: &mut reqwest::Response,
    buf: &mut String,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    tokio::time::timeout(crate::common::PATIENCE, async {
        loop {
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if block.contains("event: activity") {
                    let event: Value = serde_json::from_str(&data).expect("JSON event");
                    if wanted(&event) {
                        return event;
                    }
                }
            }
            let chunk = stream.chunk().await.expect("chunk").expect("stream open");
            buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("the event arrives")
}

#[tokio::test]
async fn the_event_stream_delivers_rest_calls_client_messages_and_resumes() {
    let world = World::new().await;
    let resp = http()
        .get(url(&world, "/_emulator/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    no_cors(resp.headers());
    let mut stream = resp;
    let mut buf = String::new();

    let mut cmd = world.wps();
    cmd.args(["send-group", "--group", "g1", "--text", "hi"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rest = next_event(&mut stream, &mut buf, |e| e["kind"] == "rest").await;
    assert_eq!(rest["operation"], "sendToGroup");
    assert_eq!(rest["target"], "group g1");
    assert_eq!(rest["hub"], "chat");
    assert_eq!(rest["status"], 202);
    assert!(rest["ms"].as_f64().is_some());

    let (mut alice, id) = world
        .connect_json(
            "chat",
            Some("alice"),
            &["webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"],
            &[],
        )
        .await;
    let connected = next_event(&mut stream, &mut buf, |e| e["kind"] == "client").await;
    assert_eq!(connected["action"], "connected");
    assert_eq!(connected["connectionId"], id.as_str());
    assert_eq!(connected["userId"], "alice");
    send_json(&mut alice, json!({"type": "joinGroup", "group": "g2"})).await;
    send_json(
        &mut alice,
        json!({"type": "sendToGroup", "group": "g2", "dataType": "text", "data": "hello g2"}),
    )
    .await;
    send_json(
        &mut alice,
        json!({"type": "event", "event": "ping", "data": 1}),
    )
    .await;
    let joined = next_event(&mut stream, &mut buf, |e| e["kind"] == "client").await;
    assert_eq!(joined["action"], "joinGroup");
    assert_eq!(joined["group"], "g2");
    let sent = next_event(&mut stream, &mut buf, |e| e["kind"] == "client").await;
    assert_eq!(sent["action"], "sendToGroup");
    assert_eq!(
        sent["data"],
        json!({"dataType": "text", "size": 8, "text": "hello g2", "truncated": false})
    );
    let event = next_event(&mut stream, &mut buf, |e| e["kind"] == "client").await;
    assert_eq!(event["event"], "ping");
    assert!(event["error"]
        .as_str()
        .unwrap()
        .contains("No event handler"));

    // A viewer that reconnects with Last-Event-ID gets what followed, once.
    let resumed = http()
        .get(url(&world, "/_emulator/api/events"))
        .header("last-event-id", joined["seq"].to_string())
        .send()
        .await
        .unwrap();
    let mut stream = resumed;
    let mut buf = String::new();
    let first = next_event(&mut stream, &mut buf, |_| true).await;
    assert_eq!(first["seq"], sent["seq"]);

    let recent: Value = get_json(&world, "/_emulator/api/activity").await;
    assert!(recent["events"].as_array().unwrap().len() >= 5);
}

#[tokio::test]
async fn handler_calls_show_with_their_status_and_time() {
    use axum::http::{HeaderValue, StatusCode};
    let handler = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handler_addr = handler.local_addr().unwrap();
    let app = axum::Router::new().fallback(|req: axum::extract::Request| async move {
        let mut resp = axum::response::Response::new(axum::body::Body::empty());
        if req.method() == axum::http::Method::OPTIONS {
            resp.headers_mut()
                .insert("webhook-allowed-origin", HeaderValue::from_static("*"));
        } else {
            *resp.status_mut() = StatusCode::NO_CONTENT;
        }
        resp
    });
    tokio::spawn(async move { axum::serve(handler, app).await });
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        event_handlers: emulator::EventHandlerConfig {
            flags: vec![format!("chat=http://{handler_addr}/events")],
            ..Default::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let world = World {
        emulator,
        dir: tempfile::tempdir().unwrap(),
    };
    let (_socket, id) = world.connect_json("chat", Some("alice"), &[], &[]).await;
    let deadline = tokio::time::Instant::now() + crate::common::PATIENCE;
    loop {
        let recent: Value = get_json(&world, "/_emulator/api/activity").await;
        let calls: Vec<&Value> = recent["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "handler" && e["connectionId"] == id.as_str())
            .collect();
        if let Some(call) = calls.iter().find(|c| c["event"] == "connected") {
            assert_eq!(call["status"], 204);
            assert_eq!(call["hub"], "chat");
            assert!(call["ms"].as_f64().is_some());
            assert!(calls.iter().any(|c| c["event"] == "connect"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{recent}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_test_client_token_connects_as_asked() {
    let world = World::new().await;
    let token = page_token(&world).await;
    let resp: Value = http()
        .post(url(&world, "/_emulator/api/token"))
        .header("x-wps-page-token", &token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(
            json!({"hub": "chat", "userId": "page", "groups": ["g1"], "roles": ["webpubsub.sendToGroup"]})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str::<Value>(&t).expect("JSON"))
        .unwrap();
    let ws_url = resp["url"].as_str().unwrap();
    let path = ws_url
        .split_once(&world.emulator.addr().to_string())
        .unwrap()
        .1;
    let (mut socket, _) = world
        .try_connect_url(
            path,
            &[("Sec-WebSocket-Protocol", "json.webpubsub.azure.v1")],
        )
        .await
        .expect("the token is accepted");
    let connected = next_json(&mut socket).await;
    assert_eq!(connected["userId"], "page");
    let chat: Value = get_json(&world, "/_emulator/api/hubs/chat").await;
    assert_eq!(chat["connections"][0]["groups"], json!(["g1"]));
    assert_eq!(
        chat["connections"][0]["roles"],
        json!(["webpubsub.sendToGroup"])
    );
}

#[tokio::test]
async fn wps_api_reaches_the_emulator_only_endpoints_with_the_key() {
    let world = World::new().await;
    let (mut alice, _) = world.connect_json("chat", Some("alice"), &[], &[]).await;
    let mut cmd = world.wps();
    cmd.args([
        "api",
        "POST",
        "/_emulator/api/hubs/chat/send",
        "--json",
        r#"{"target":"all","data":"via wps api"}"#,
    ]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(next_json(&mut alice).await["data"], "via wps api");
    let mut cmd = world.wps();
    cmd.args(["api", "GET", "/_emulator/api/hubs/chat"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let body: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(body["body"]["users"][0]["userId"], "alice");
}

#[tokio::test]
async fn wps_v_emulator_logs_client_messages_and_rest_calls_but_not_the_dashboard() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wps"))
        .args(["-v", "emulator", "--port", "0"])
        .env_clear()
        .env("HOME", dir.path())
        .env("WPS_CONFIG", dir.path().join("config.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wps emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("connection string");
    let port = line
        .split(';')
        .find_map(|p| p.strip_prefix("Port="))
        .expect("port")
        .to_string();
    let log = crate::common::Piped::new(child.stderr.take().unwrap());

    let base = format!("http://127.0.0.1:{port}");
    let signer = wps::client::KeySigner::new(&wps::client::Secret::new(DEFAULT_ACCESS_KEY));
    let claims = wps::client::ClientClaims {
        aud: format!("{base}/client/hubs/chat"),
        iat: wps::client::now_secs(),
        exp: wps::client::now_secs() + 600,
        sub: Some("alice".into()),
        role: vec!["webpubsub.joinLeaveGroup".into()],
        groups: vec![],
    };
    let token = signer.sign(&claims).unwrap();
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://127.0.0.1:{port}/client/hubs/chat?access_token={}",
            token.expose()
        ))
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "json.webpubsub.azure.v1".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    next_json(&mut socket).await;
    send_json(
        &mut socket,
        json!({"type": "joinGroup", "group": "g1", "ackId": 1}),
    )
    .await;
    assert_eq!(next_json(&mut socket).await["success"], true);
    send_json(
        &mut socket,
        json!({"type": "sendToGroup", "group": "g1", "data": "x"}),
    )
    .await;
    let hubs = http()
        .get(format!("{base}/_emulator/api/hubs"))
        .send()
        .await
        .unwrap();
    assert_eq!(hubs.status(), 200);
    let send = format!("{base}/api/hubs/chat/:send");
    let resp = http()
        .post(&send)
        .bearer_auth(signer.rest_token(&send).unwrap().expose())
        .header(header::CONTENT_TYPE, "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    // The last two lines, once written, have everything logged before them ahead of them:
    // the dashboard request was answered before the :send was made.
    log.wait_for("sendToGroup group=g1 (3 bytes) -> refused")
        .await;
    log.wait_for("POST /api/hubs/chat/:send -> 202").await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let log = log.finish().await;
    assert!(log.contains("connected to hub chat"), "{log}");
    assert!(log.contains("joinGroup group=g1 -> ok"), "{log}");
    assert!(
        log.contains("sendToGroup group=g1 (3 bytes) -> refused"),
        "{log}"
    );
    assert!(log.contains("POST /api/hubs/chat/:send -> 202"), "{log}");
    assert!(!log.contains("/_emulator/"), "{log}");
}

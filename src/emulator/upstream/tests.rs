//! The upstream calls against small axum handlers on 127.0.0.1 (port 0), one per test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use super::settings::Settings;
use super::*;

const KEY: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
const ORIGIN: &str = "localhost:8080";

/// One request the test handler received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }
}

/// What the test handler answers: status, headers, body, after a delay.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Answer {
    fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }
    fn header(mut self, name: &'static str, value: &str) -> Answer {
        self.headers.push((name, value.to_string()));
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Answer {
        self.body = body.into();
        self
    }
    fn delay(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

type Behaviour = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

struct TestHandler {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestHandler {
    /// Serves `behave(request, how many POSTs came before it)`; OPTIONS answers go through
    /// `behave` too, so tests can refuse validation.
    async fn start(behave: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> TestHandler {
        let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
        let behave: Arc<Behaviour> = Arc::new(behave);
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let (log, behave) = (log.clone(), behave.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let seen = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.to_string(),
                    headers: parts.headers,
                    body,
                };
                let posts = {
                    let mut log = log.lock().unwrap();
                    log.push(seen.clone());
                    log.iter()
                        .filter(|s| s.method == "POST")
                        .count()
                        .saturating_sub(1)
                };
                let answer = behave(&seen, posts);
                tokio::time::sleep(answer.delay).await;
                let mut response = Response::new(Body::from(answer.body));
                *response.status_mut() = StatusCode::from_u16(answer.status).unwrap();
                for (name, value) in answer.headers {
                    response
                        .headers_mut()
                        .append(name, HeaderValue::from_str(&value).unwrap());
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestHandler { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn posts(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.method == "POST")
            .cloned()
            .collect()
    }

    fn all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Validation passes (`*`), everything else gets `answer`.
fn allowing(
    answer: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static,
) -> impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static {
    move |seen, posts| {
        if seen.method == "OPTIONS" {
            Answer::status(200).header("WebHook-Allowed-Origin", "*")
        } else {
            answer(seen, posts)
        }
    }
}

/// An upstream whose handlers are `flags`, with short retry delays and a report log.
fn upstream(
    flags: &[String],
    tweak: impl FnOnce(&mut Options),
) -> (Upstream, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let mut options = Options {
        retry_delays: vec![Duration::from_millis(10), Duration::from_millis(20)],
        report: Arc::new(move |r| {
            let line = match r {
                Report::Call(c) => {
                    format!("call {} {:?} attempts={}", c.event, c.outcome, c.attempts)
                }
                Report::Validation { url, refused } => format!("validation {url} {refused:?}"),
                Report::Dropped { event, .. } => format!("dropped {event}"),
            };
            sink.lock().unwrap().push(line);
        }),
        ..Options::default()
    };
    tweak(&mut options);
    let settings = SharedSettings::new(Settings::from_flags(flags).unwrap());
    (Upstream::new(settings, KEY, ORIGIN, options).unwrap(), log)
}

fn text(data: &str) -> Bytes {
    Bytes::from(data.to_string())
}

async fn eventually(mut done: impl FnMut() -> bool) {
    for _ in 0..250 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out");
}

#[tokio::test]
async fn every_event_carries_the_cloudevents_headers_and_a_checkable_signature() {
    let h = TestHandler::start(allowing(|seen, _| {
        if seen.header("ce-type") == "azure.webpubsub.sys.connect" {
            Answer::status(200)
                .header("content-type", "application/json")
                .header("ce-connectionState", "c3RhdGU=")
                .header("set-cookie", "session=abc; Path=/; HttpOnly")
                .body(r#"{"userId":"alice","groups":["g1"],"roles":["webpubsub.joinLeaveGroup"],"subprotocol":"json.webpubsub.azure.v1"}"#)
        } else {
            Answer::status(200)
                .header("content-type", "text/plain; charset=utf-8")
                .body("echo")
        }
    }))
    .await;
    let (up, _) = upstream(&[format!("chat={}", h.url("/api/{hub}/{event}"))], |_| {});
    let mut conn = Connection::new("chat", "conn-1", Some("token-user"));
    let request = ConnectRequest::new(
        [("sub".to_string(), vec!["token-user".to_string()])],
        [("access_token", "t"), ("room", "lobby")],
        [("Authorization", "Bearer t"), ("x-custom", "1")],
        vec!["json.webpubsub.azure.v1".into()],
    );
    let reply = up.connect(&conn, &request).await.unwrap().unwrap();
    assert_eq!(
        reply,
        ConnectReply {
            user_id: Some("alice".into()),
            groups: Some(vec!["g1".into()]),
            roles: Some(vec!["webpubsub.joinLeaveGroup".into()]),
            subprotocol: Some("json.webpubsub.azure.v1".into()),
            socketio: None,
        }
    );
    assert_eq!(conn.state(), "c3RhdGU=");
    conn.set_user_id(reply.user_id);
    conn.set_subprotocol(reply.subprotocol);

    up.connected(&conn);
    let metadata = vec![("Trace".to_string(), "t-1".to_string())];
    let answer = up
        .user_event(&conn, "chat", DataKind::Text, text("hello"), &metadata)
        .await
        .unwrap();
    assert_eq!(
        (answer.kind, &answer.data[..]),
        (DataKind::Text, &b"echo"[..])
    );
    up.disconnected(&conn, "bye");
    eventually(|| h.posts().len() == 4).await;

    // Validation first: OPTIONS on the template with {event} = validate.
    let options = &h.all()[0];
    assert_eq!(
        (options.method.as_str(), options.path.as_str()),
        ("OPTIONS", "/api/chat/validate")
    );
    assert_eq!(options.header("webhook-request-origin"), ORIGIN);
    assert_eq!(options.header("ce-awpsversion"), "1.0");
    assert!(options.headers.get("ce-signature").is_none());

    let mut posts = h.posts();
    posts.sort_by_key(|p| p.header("ce-id").parse::<u64>().unwrap());
    // HMAC-SHA256 of "conn-1" keyed by KEY, computed apart (Python's hmac module).
    let expected_signature =
        "sha256=261f7f58ff9fb9bb8be7e4951a807fe6091e5c074885bf63b865eccd28728881";
    let names = ["connect", "connected", "chat", "disconnected"];
    for (i, post) in posts.iter().enumerate() {
        let name = names[i];
        assert_eq!(post.path, format!("/api/chat/{name}"));
        assert_eq!(
            post.header("ce-id"),
            i.to_string(),
            "ids: connect 0, then 1, 2, ..."
        );
        assert_eq!(post.header("ce-specversion"), "1.0");
        assert_eq!(post.header("ce-awpsversion"), "1.0");
        assert_eq!(post.header("ce-source"), "/hubs/chat/client/conn-1");
        assert_eq!(post.header("ce-hub"), "chat");
        assert_eq!(post.header("ce-connectionId"), "conn-1");
        assert_eq!(post.header("ce-eventName"), name);
        assert_eq!(post.header("ce-signature"), expected_signature);
        assert_eq!(post.header("WebHook-Request-Origin"), ORIGIN);
        let time = post.header("ce-time");
        assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
        let prefix = if name == "chat" { "user" } else { "sys" };
        assert_eq!(
            post.header("ce-type"),
            format!("azure.webpubsub.{prefix}.{name}")
        );
        if i == 0 {
            assert_eq!(post.header("ce-userId"), "token-user");
            assert!(post.headers.get("ce-subprotocol").is_none());
            assert!(post.headers.get("ce-connectionState").is_none());
            assert!(post.headers.get("cookie").is_none());
        } else {
            // What connect's reply set travels with every later event.
            assert_eq!(post.header("ce-userId"), "alice");
            assert_eq!(post.header("ce-subprotocol"), "json.webpubsub.azure.v1");
            assert_eq!(post.header("ce-connectionState"), "c3RhdGU=");
            assert_eq!(post.header("cookie"), "session=abc");
        }
    }
    assert_eq!(
        posts[0].header("content-type"),
        "application/json; charset=utf-8"
    );
    let connect: serde_json::Value = serde_json::from_slice(&posts[0].body).unwrap();
    assert_eq!(
        connect,
        serde_json::json!({
            "claims": {"sub": ["token-user"]},
            "query": {"room": ["lobby"]},
            "headers": {"x-custom": ["1"]},
            "subprotocols": ["json.webpubsub.azure.v1"],
            "clientCertificates": []
        })
    );
    assert_eq!(&posts[1].body[..], b"{}");
    assert_eq!(posts[2].header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(&posts[2].body[..], b"hello");
    assert_eq!(posts[2].header("x-webpubsub-metadata-trace"), "t-1");
    assert_eq!(&posts[3].body[..], br#"{"reason":"bye"}"#);
    // Validation happened once for the URL, not per event.
    assert_eq!(h.all().iter().filter(|s| s.method == "OPTIONS").count(), 1);
}

#[tokio::test]
async fn a_handler_that_refuses_validation_gets_no_events_and_it_is_said_once() {
    let h = TestHandler::start(|seen, _| match seen.method.as_str() {
        "OPTIONS" => Answer::status(200).header("WebHook-Allowed-Origin", "someone-else.example"),
        _ => Answer::status(200),
    })
    .await;
    let (up, log) = upstream(&[format!("*={}", h.url("/h"))], |_| {});
    let conn = Connection::new("chat", "c", None);
    for _ in 0..3 {
        let e = up
            .user_event(&conn, "message", DataKind::Text, text("x"), &[])
            .await
            .unwrap_err();
        assert_eq!(e.kind, FailureKind::NotAllowed);
        assert!(e.message.contains("someone-else.example"), "{e}");
    }
    let e = up
        .connect(&conn, &ConnectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 500);
    assert!(h.posts().is_empty());
    let log = log.lock().unwrap();
    let verdicts: Vec<&String> = log.iter().filter(|l| l.starts_with("validation")).collect();
    assert_eq!(verdicts.len(), 1, "{log:?}");
    assert!(verdicts[0].contains("someone-else.example"));
}

#[tokio::test]
async fn validation_accepts_our_origin_and_falls_back_to_get_on_404() {
    let h = TestHandler::start(|seen, _| match seen.method.as_str() {
        "OPTIONS" => Answer::status(404),
        "GET" => Answer::status(200).header("WebHook-Allowed-Origin", "LOCALHOST:8080"),
        _ => Answer::status(204),
    })
    .await;
    let (up, log) = upstream(&[format!("chat={}", h.url("/h"))], |_| {});
    let conn = Connection::new("chat", "c", None);
    let reply = up
        .user_event(
            &conn,
            "message",
            DataKind::Binary,
            Bytes::from_static(&[1, 2]),
            &[],
        )
        .await
        .unwrap();
    assert!(reply.data.is_empty() && reply.metadata.is_empty());
    let methods: Vec<String> = h.all().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["OPTIONS", "GET", "POST"]);
    assert_eq!(
        h.posts()[0].header("content-type"),
        "application/octet-stream"
    );
    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .any(|l| l.starts_with("validation") && l.ends_with("None")),
        "{log:?}"
    );
}

#[tokio::test]
async fn connect_refusals_carry_the_handler_status() {
    let h = TestHandler::start(allowing(|seen, _| {
        if seen.path.starts_with("/unauthorized") {
            Answer::status(401).body("go away")
        } else {
            Answer::status(500)
        }
    }))
    .await;
    let (up, log) = upstream(
        &[
            format!("a={}", h.url("/unauthorized")),
            format!("b={}", h.url("/broken")),
        ],
        |_| {},
    );
    let e = up
        .connect(
            &Connection::new("a", "c1", None),
            &ConnectRequest::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.status()),
        (FailureKind::Status(401), 401)
    );
    assert!(
        !e.message.contains("go away"),
        "error bodies are not forwarded"
    );
    assert_eq!(h.posts().len(), 1, "401 is not retried");

    let e = up
        .connect(
            &Connection::new("b", "c2", None),
            &ConnectRequest::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 500);
    assert_eq!(
        h.posts().len(),
        1 + 3,
        "500 is retried: three attempts with two delays"
    );
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|l| l == "call connect Ok(500) attempts=3"),
        "{:?}",
        log.lock().unwrap()
    );
}

#[tokio::test]
async fn a_500_then_200_is_retried_into_a_success() {
    let h = TestHandler::start(allowing(|_, posts| {
        if posts == 0 {
            Answer::status(503)
        } else {
            Answer::status(200)
                .header("content-type", "application/json")
                .header("ce-connectionState", "bmV3")
                .header("x-webpubsub-metadata-Kind", "a, b , last ")
                .body(r#"{"ok":true}"#)
        }
    }))
    .await;
    let (up, log) = upstream(&[format!("chat={}", h.url("/h"))], |_| {});
    let conn = Connection::new("chat", "c", None);
    let reply = up
        .user_event(&conn, "ev", DataKind::Json, text(r#"{"a":1}"#), &[])
        .await
        .unwrap();
    assert_eq!(reply.kind, DataKind::Json);
    assert_eq!(&reply.data[..], br#"{"ok":true}"#);
    assert_eq!(
        reply.metadata,
        vec![("kind".to_string(), "last".to_string())]
    );
    assert_eq!(conn.state(), "bmV3");
    let posts = h.posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].header("ce-id"),
        posts[1].header("ce-id"),
        "a retry resends the same event"
    );
    assert!(log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "call ev Ok(200) attempts=2"));
}

#[tokio::test]
async fn a_handler_that_is_down_fails_after_the_retries() {
    // Bind then drop: a port nobody listens on.
    let addr = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let (up, log) = upstream(&[format!("chat=http://{addr}/h")], |_| {});
    let conn = Connection::new("chat", "c", None);
    let e = up
        .user_event(&conn, "message", DataKind::Text, text("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::NotAllowed);
    assert!(e.message.contains("could not be reached"), "{e}");
    assert!(
        !e.message.contains("http://"),
        "no URL (and its query keys) in errors: {e}"
    );
    assert!(log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("validation")));
}

#[tokio::test]
async fn a_slow_handler_times_out_without_a_retry() {
    let h = TestHandler::start(allowing(|_, _| {
        Answer::status(200).delay(Duration::from_secs(3))
    }))
    .await;
    let (up, _) = upstream(&[format!("chat={}", h.url("/h"))], |o| {
        o.timeout = Duration::from_millis(300);
    });
    let conn = Connection::new("chat", "c", None);
    let started = std::time::Instant::now();
    let e = up
        .user_event(&conn, "message", DataKind::Text, text("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(h.posts().len(), 1);
}

#[tokio::test]
async fn a_reply_over_16_mib_is_a_failure() {
    let h = TestHandler::start(allowing(|_, _| {
        Answer::status(200)
            .header("content-type", "application/octet-stream")
            .body(vec![0u8; MAX_REPLY_BYTES + 1])
    }))
    .await;
    let (up, _) = upstream(&[format!("chat={}", h.url("/h"))], |_| {});
    let conn = Connection::new("chat", "c", None);
    let e = up
        .user_event(&conn, "message", DataKind::Text, text("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::TooLarge);
    let e = up
        .connect(&conn, &ConnectRequest::default())
        .await
        .unwrap_err();
    assert_eq!((e.kind.clone(), e.status()), (FailureKind::TooLarge, 500));
}

#[tokio::test]
async fn a_streamed_reply_is_cut_off_at_the_cap() {
    // No Content-Length: the cap is found while reading.
    let app = axum::Router::new().fallback(|req: Request| async move {
        if req.method() == "OPTIONS" {
            return Response::builder()
                .header("WebHook-Allowed-Origin", "*")
                .body(Body::empty())
                .unwrap();
        }
        let chunks = futures_util::stream::iter(
            (0..64).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 1024]))),
        );
        Response::builder()
            .header("content-type", "text/plain")
            .body(Body::from_stream(chunks))
            .unwrap()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (up, _) = upstream(&[format!("chat=http://{addr}/")], |o| {
        o.max_reply_bytes = 10_000
    });
    let conn = Connection::new("chat", "c", None);
    let e = up
        .user_event(&conn, "message", DataKind::Text, text("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::TooLarge);
}

#[tokio::test]
async fn no_handler_means_no_call() {
    let (up, log) = upstream(&[], |_| {});
    let conn = Connection::new("chat", "c", None);
    assert!(!up.handles("chat", Event::System(SystemEvent::Connect)));
    assert_eq!(
        up.connect(&conn, &ConnectRequest::default()).await.unwrap(),
        None
    );
    let e = up
        .user_event(&conn, "message", DataKind::Text, text("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::NoHandler);
    up.connected(&conn);
    up.disconnected(&conn, "");
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn notifications_never_block_and_are_bounded() {
    let h = TestHandler::start(allowing(|_, _| {
        Answer::status(200).delay(Duration::from_millis(500))
    }))
    .await;
    let (up, log) = upstream(&[format!("chat={}", h.url("/h"))], |o| o.max_in_flight = 2);
    let a = Connection::new("chat", "a", None);
    let b = Connection::new("chat", "b", None);
    let started = std::time::Instant::now();
    up.connected(&a);
    up.connected(&b);
    up.disconnected(&b, "gone"); // a third at once: over the cap, dropped and reported
    assert!(started.elapsed() < Duration::from_millis(100));
    assert!(log
        .lock()
        .unwrap()
        .contains(&"dropped disconnected".to_string()));
    eventually(|| h.posts().len() == 2).await;
}

#[tokio::test]
async fn disconnected_waits_for_connected() {
    let h = TestHandler::start(allowing(|seen, _| {
        let slow = seen.header("ce-eventName") == "connected";
        Answer::status(200).delay(if slow {
            Duration::from_millis(300)
        } else {
            Duration::ZERO
        })
    }))
    .await;
    let (up, _) = upstream(&[format!("chat={}", h.url("/h"))], |_| {});
    let conn = Connection::new("chat", "c", None);
    up.connected(&conn);
    up.disconnected(&conn, "bye");
    eventually(|| h.posts().len() == 2).await;
    // The handler logs a request when it arrives, so arrival order is the send order.
    let names: Vec<String> = h
        .posts()
        .iter()
        .map(|p| p.header("ce-eventName").to_string())
        .collect();
    assert_eq!(names, ["connected", "disconnected"]);
}

#[tokio::test]
async fn a_reload_forgets_validation_verdicts() {
    let allow = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = allow.clone();
    let h = TestHandler::start(move |seen, _| {
        if seen.method == "OPTIONS" && flag.load(std::sync::atomic::Ordering::SeqCst) {
            Answer::status(200).header("WebHook-Allowed-Origin", "*")
        } else {
            Answer::status(200)
        }
    })
    .await;
    let (up, _) = upstream(&[format!("chat={}", h.url("/h"))], |_| {});
    let conn = Connection::new("chat", "c", None);
    let send = || up.user_event(&conn, "m", DataKind::Text, text("x"), &[]);
    assert_eq!(send().await.unwrap_err().kind, FailureKind::NotAllowed);
    allow.store(true, std::sync::atomic::Ordering::SeqCst);
    up.settings()
        .replace(Settings::from_flags(&[format!("chat={}", h.url("/h"))]).unwrap());
    send().await.unwrap();
}

#[test]
fn connect_replies() {
    let parse = |body: &str| parse_connect(body.as_bytes());
    assert_eq!(parse("").unwrap(), ConnectReply::default());
    assert_eq!(parse(" null ").unwrap(), ConnectReply::default());
    let r = parse(r#"{"UserId":"","Roles":[],"groups":[],"subprotocol":null,"extra":1}"#).unwrap();
    assert_eq!(
        r,
        ConnectReply {
            user_id: Some(String::new()),
            roles: Some(vec![]),
            groups: None,
            subprotocol: None,
            socketio: None,
        }
    );
    for bad in [
        "{",
        "[]",
        r#"{"groups":[1]}"#,
        r#"{"userId":5}"#,
        r#"{"groups":["  "]}"#,
        // Sent later as ce-userId / ce-subprotocol headers, which cannot carry these.
        r#"{"userId":"a\r\nb"}"#,
        r#"{"userId":"a\nx-injected: 1"}"#,
        r#"{"userId":"nul\u0000"}"#,
        r#"{"subprotocol":"json\r\n"}"#,
    ] {
        assert_eq!(parse(bad).unwrap_err().kind, FailureKind::BadReply, "{bad}");
    }
    let why = parse(r#"{"userId":"a\r\nb"}"#).unwrap_err().message;
    assert!(why.contains("userId") && why.contains("ce-userId"), "{why}");
    // UTF-8 and tabs are fine in a header value.
    let r = parse(r#"{"userId":"zoë\tö"}"#).unwrap();
    assert_eq!(r.user_id.as_deref(), Some("zoë\tö"));
}

#[test]
fn user_reply_kinds() {
    let reply = |ct: Option<&str>, body: &'static [u8]| {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert("content-type", HeaderValue::from_str(ct).unwrap());
        }
        parse_user_reply(&delivery::Reply {
            status: StatusCode::OK,
            headers,
            body: Bytes::from_static(body),
        })
    };
    assert_eq!(reply(None, b"x").unwrap().kind, DataKind::Binary);
    assert_eq!(
        reply(Some("TEXT/PLAIN; charset=utf-8"), b"x").unwrap().kind,
        DataKind::Text
    );
    assert_eq!(
        reply(Some("application/json; charset=utf-8"), b"1")
            .unwrap()
            .kind,
        DataKind::Json
    );
    assert_eq!(
        reply(Some("application/octet-stream"), b"\xff")
            .unwrap()
            .kind,
        DataKind::Binary
    );
    // A packed google.protobuf.Any (type_url "t", value 08 01).
    assert_eq!(
        reply(Some("application/x-protobuf"), b"\x0a\x01t\x12\x02\x08\x01")
            .unwrap()
            .kind,
        DataKind::Protobuf
    );
    assert_eq!(
        reply(Some("application/xml"), b"").unwrap().kind,
        DataKind::Text,
        "empty is text"
    );
    assert!(reply(None, b"").unwrap().data.is_empty());
    for (ct, body) in [
        ("application/xml", &b"<a/>"[..]),
        ("text/plain", &b"\xff"[..]),
        ("application/json", &b"{"[..]),
        // Not an Any: a length past the end.
        ("application/x-protobuf", &b"\x0a\x09t"[..]),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static(ct));
        let e = parse_user_reply(&delivery::Reply {
            status: StatusCode::OK,
            headers,
            body: Bytes::copy_from_slice(body),
        })
        .unwrap_err();
        assert_eq!(e.kind, FailureKind::BadReply, "{ct}");
    }
}

#[test]
fn retry_base_scales_the_official_delays() {
    let o = Options::default().with_retry_base(Duration::from_millis(2));
    assert_eq!(o.retry_delays, [2, 6, 10].map(Duration::from_millis));
    assert_eq!(
        Options::default().retry_delays,
        [1, 3, 5].map(Duration::from_secs)
    );
}

#[test]
fn call_reports_read_well() {
    let r = CallReport {
        hub: "chat".into(),
        event: "message".into(),
        connection_id: "c1".into(),
        url: "http://localhost:3000/h?code=<redacted>".into(),
        outcome: Ok(200),
        attempts: 2,
        elapsed: Duration::from_millis(12),
    };
    assert_eq!(
        r.to_string(),
        "upstream message hub=chat connection=c1 -> 200 in 12 ms after 2 attempts [http://localhost:3000/h?code=<redacted>]"
    );
}

#[test]
fn a_tunnelled_answer_is_capped_as_an_http_one() {
    assert_eq!(crate::emulator::tunnel::MAX_ANSWER, MAX_REPLY_BYTES);
}

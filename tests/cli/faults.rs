//! Retries, timeouts and resets against a local fault server; `--dry-run` and `-v`/`-vv`
//! logging, and that no secret ever reaches the output.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::Router;
use tokio::sync::watch;

use crate::common::*;

/// The key fault servers are given in their connection string (they do not check it).
pub const FAULT_KEY: &str = "FAULTKEYFAULTKEYFAULTKEYFAULTKEYFAULTKEY0123=";

/// One request the fault server saw.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub authorized: bool,
    /// When the server saw it (its own clock: the gap between two hits is a lower bound on
    /// any wait the client made between them).
    pub at: Instant,
}

/// What the server answers.
pub enum Reply {
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Answers 202 only after this long.
    Hang(Duration),
    /// Answers 202 once the test calls [`FaultServer::release`], and never before: a request
    /// that stays in flight for exactly as long as the test needs.
    Held,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Status {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn with_body(status: u16, body: &str) -> Reply {
        Reply::Status {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.into(),
        }
    }
}

/// Decides the answer from the request and how many requests came before it (0-based).
pub type Script = Arc<dyn Fn(&Hit, usize) -> Reply + Send + Sync>;

#[derive(Clone)]
struct FaultState {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Script,
    released: watch::Receiver<bool>,
}

/// A local HTTP server that answers by script and records every request.
pub struct FaultServer {
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Connections taken, counted in the accept loop (so in the order they were made).
    accepted: Arc<AtomicUsize>,
    /// The connections of [`FaultServer::settle`]'s own requests.
    sentinels: AtomicUsize,
    release: watch::Sender<bool>,
}

/// The path of [`FaultServer::settle`]'s own request, answered and not recorded.
const SENTINEL: &str = "/_sentinel";

impl FaultServer {
    pub async fn start(script: impl Fn(&Hit, usize) -> Reply + Send + Sync + 'static) -> Self {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (release, released) = watch::channel(false);
        let state = FaultState {
            hits: hits.clone(),
            script: Arc::new(script),
            released,
        };
        let app = Router::new().fallback(answer).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let listener = listener.tap_io(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultServer {
            addr,
            hits,
            accepted,
            sentinels: AtomicUsize::new(0),
            release,
        }
    }

    pub fn connection_string(&self) -> String {
        connection_string_for(self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }

    /// Answers every [`Reply::Held`] request, those in flight and those to come.
    pub fn release(&self) {
        self.release.send_replace(true);
    }

    /// How many connections others made to the server before now. A sentinel request of its
    /// own is answered first: the accept loop takes connections first come, first served, so
    /// every connection made before it has been counted (a fixed sleep would only make that
    /// likely).
    pub async fn settle(&self) -> usize {
        let sentinels = self.sentinels.fetch_add(1, Ordering::SeqCst) + 1;
        let resp = reqwest::Client::new()
            .get(format!("http://{}{SENTINEL}", self.addr))
            .timeout(PATIENCE)
            .send()
            .await
            .expect("the fault server answers");
        assert_eq!(resp.status(), 204);
        self.accepted.load(Ordering::SeqCst) - sentinels
    }
}

pub fn connection_string_for(addr: SocketAddr) -> String {
    format!(
        "Endpoint=http://{};Port={};AccessKey={FAULT_KEY};Version=1.0;",
        addr.ip(),
        addr.port()
    )
}

async fn answer(
    State(state): State<FaultState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response {
    if uri.path() == SENTINEL {
        return StatusCode::NO_CONTENT.into_response();
    }
    let hit = Hit {
        at: Instant::now(),
        method: method.to_string(),
        path: uri.path().to_string(),
        authorized: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer ey")),
    };
    let n = {
        let mut hits = state.hits.lock().expect("lock");
        hits.push(hit.clone());
        hits.len() - 1
    };
    match (state.script)(&hit, n) {
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut resp = (
                StatusCode::from_u16(status).expect("status"),
                body.into_bytes(),
            )
                .into_response();
            for (k, v) in headers {
                resp.headers_mut()
                    .insert(k, v.parse().expect("header value"));
            }
            resp
        }
        Reply::Hang(d) => {
            tokio::time::sleep(d).await;
            StatusCode::ACCEPTED.into_response()
        }
        Reply::Held => {
            let mut released = state.released.clone();
            let _ = released.wait_for(|r| *r).await;
            StatusCode::ACCEPTED.into_response()
        }
    }
}

/// `wps` pointed at a fault server, hub `chat`.
pub fn wps_at(world: &World, cs: &str) -> std::process::Command {
    let mut c = world.bare_wps();
    c.env("WPS_CONNECTION_STRING", cs).env("WPS_HUB", "chat");
    c
}

fn error_lines(out: &std::process::Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn throttled_with_retry_after_then_accepted() {
    let world = World::new().await;
    let server = FaultServer::start(|_, n| {
        if n == 0 {
            Reply::Status {
                status: 429,
                headers: vec![("retry-after", "1".into())],
                body: String::new(),
            }
        } else {
            Reply::status(202)
        }
    })
    .await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-user", "--user", "u1", "--text", "hi", "-v"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    // The test hook makes backoff 1 ms, so only Retry-After explains a 1 s wait between the
    // two attempts, as the server saw them.
    let waited = hits[1].at - hits[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    let err = stderr(&out);
    assert!(err.contains("-> 429"), "{err}");
    assert!(err.contains("-> 202"), "{err}");
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let world = World::new().await;
    let server = FaultServer::start(|_, n| {
        if n == 0 {
            let when = std::time::SystemTime::now() + Duration::from_secs(2);
            Reply::Status {
                status: 503,
                headers: vec![("retry-after", httpdate::fmt_http_date(when))],
                body: String::new(),
            }
        } else {
            Reply::status(202)
        }
    })
    .await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hi"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    // HTTP dates have whole seconds: 2 s ahead is at least 1 s away (less a little: the
    // date is read against the wall clock, the hits are timed by the monotonic one).
    let waited = hits[1].at - hits[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
}

#[tokio::test]
async fn unavailable_then_accepted_is_retried() {
    let world = World::new().await;
    let server = FaultServer::start(|_, n| {
        if n == 0 {
            Reply::status(503)
        } else {
            Reply::status(202)
        }
    })
    .await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-group", "--group", "g1", "--text", "hi"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(server.hits().len(), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["status"], 202);
}

#[tokio::test]
async fn every_retryable_status_is_retried_up_to_the_limit() {
    for status in [408u16, 429, 500, 502, 503, 504] {
        let world = World::new().await;
        let server = FaultServer::start(move |_, _| Reply::status(status)).await;
        let out = run({
            let mut c = wps_at(&world, &server.connection_string());
            c.args(["send-all", "--text", "hi", "--retries", "2"]);
            c
        })
        .await;
        assert_eq!(code(&out), 6, "{status}: {}", stderr(&out));
        assert_eq!(server.hits().len(), 3, "{status}");
        let errs = error_lines(&out);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains(&status.to_string()), "{errs:?}");
        assert!(errs[0].contains("gave up after 3 attempts"), "{errs:?}");
    }
}

#[tokio::test]
async fn retries_zero_disables_them_and_4xx_is_never_retried() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(503)).await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hi", "--retries", "0"]);
        c
    })
    .await;
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
    assert_eq!(server.hits().len(), 1);

    let server = FaultServer::start(|_, _| Reply::status(404)).await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hi"]);
        c
    })
    .await;
    assert_eq!(code(&out), 5, "stderr: {}", stderr(&out));
    assert_eq!(server.hits().len(), 1);
}

#[tokio::test]
async fn a_hang_past_the_timeout_is_retried_then_reported() {
    let world = World::new().await;
    // Answers after PATIENCE: a timeout that did not fire would end in a 202 (exit 0).
    let server = FaultServer::start(|_, _| Reply::Hang(PATIENCE)).await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args([
            "send-all",
            "--text",
            "hi",
            "--timeout",
            "0.5",
            "--retries",
            "1",
        ]);
        c
    })
    .await;
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
    assert_eq!(server.hits().len(), 2);
    let errs = error_lines(&out);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("no answer within the 0.5 s timeout (gave up after 2 attempts)"),
        "{errs:?}"
    );
}

#[tokio::test]
async fn a_connection_reset_is_retried_and_counted() {
    let world = World::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(Mutex::new(0usize));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            *count.lock().expect("lock") += 1;
            // Linger 0 turns the close into a TCP reset.
            let _ = socket.set_zero_linger();
            drop(socket);
        }
    });
    let out = run({
        let mut c = wps_at(&world, &connection_string_for(addr));
        c.args(["send-all", "--text", "hi", "--retries", "2"]);
        c
    })
    .await;
    assert_eq!(code(&out), 6, "stderr: {}", stderr(&out));
    assert_eq!(*accepted.lock().expect("lock"), 3);
    let errs = error_lines(&out);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("gave up after 3 attempts"), "{errs:?}");
    assert!(!stderr(&out).contains("panicked"));
}

#[tokio::test]
async fn dry_run_sends_nothing_and_redacts_auth() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::status(202)).await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args([
            "send-user",
            "--user",
            "u1",
            "--user",
            "u 2",
            "--json",
            r#"{"a":1}"#,
            "--dry-run",
            "-o",
            "json",
        ]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(
        lines[1]["url"],
        format!(
            "http://{}/api/hubs/chat/users/u%202/:send?api-version=2024-12-01",
            server.addr
        )
    );
    assert_eq!(lines[0]["headers"]["authorization"], "Bearer <redacted>");
    assert!(lines[0]["bodyPreview"]
        .as_str()
        .expect("preview")
        .contains(":1}"));
    // Not a single connection, let alone a request.
    assert_eq!(server.settle().await, 0);
    assert!(server.hits().is_empty(), "{:?}", server.hits());

    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hi", "--dry-run", "-o", "table"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("POST http://"), "{text}");
    assert!(text.contains("authorization: Bearer <redacted>"), "{text}");
    assert!(!text.contains("eyJ") && !text.contains(FAULT_KEY));
    assert_eq!(server.settle().await, 0);
    assert!(server.hits().is_empty());
}

#[tokio::test]
async fn verbose_logs_method_url_status_elapsed_and_request_id() {
    let world = World::new().await;
    let server = FaultServer::start(|_, _| Reply::Status {
        status: 202,
        headers: vec![("x-ms-request-id", "req-42".into())],
        body: String::new(),
    })
    .await;
    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hello there", "-v"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("POST http://"))
        .expect("a request line");
    assert!(line.contains("/api/hubs/chat/:send?api-version="), "{line}");
    assert!(line.contains("-> 202 [request id req-42]"), "{line}");
    assert!(line.contains(" ms)"), "{line}");
    assert!(!err.contains("hello there"), "-v shows no bodies: {err}");

    let out = run({
        let mut c = wps_at(&world, &server.connection_string());
        c.args(["send-all", "--text", "hello there", "-vv"]);
        c
    })
    .await;
    let err = stderr(&out);
    assert!(err.contains("> authorization: Bearer <redacted>"), "{err}");
    assert!(err.contains("> content-type: text/plain"), "{err}");
    assert!(err.contains("> body: hello there"), "{err}");
}

/// Every command, -vv, on success and failure paths: no key, no token, no connection string.
#[tokio::test]
async fn no_secret_in_any_output_at_any_verbosity() {
    let world = World::new().await;
    let key = wps::emulator::DEFAULT_ACCESS_KEY;
    let emulator_cs = world.connection_string();
    let failing = FaultServer::start(|_, n| {
        if n % 2 == 0 {
            Reply::with_body(
                400,
                r#"{"code":"InvalidRequest","message":"no such thing"}"#,
            )
        } else {
            Reply::status(503)
        }
    })
    .await;
    let fault_cs = failing.connection_string();
    let wrong_key_cs = emulator_cs.replace(key, &"Q".repeat(44));
    let commands: Vec<Vec<&str>> = vec![
        vec!["send-all", "--text", "hi"],
        vec!["send-all", "--json", "{bad"],
        vec![
            "send-group",
            "--group",
            "g1",
            "--group",
            "g2",
            "--text",
            "hi",
        ],
        vec!["send-user", "--user", "u1", "--text", "hi", "--ttl", "5"],
        vec!["send-user", "--user", "u1", "--text", "hi", "--ttl", "999"],
        vec!["send-connection", "--connection", "c1", "--text", "hi"],
        vec![
            "send-connection",
            "--connection",
            "c1",
            "--connection",
            "c2",
            "--text",
            "hi",
        ],
        vec!["send-all", "--text", "hi", "--dry-run"],
        vec!["listen", "--count", "1", "--within", "1"],
        vec!["demo"],
        vec!["add-to-group", "--group", "g1", "--connection", "c1"],
        vec![
            "add-to-group",
            "--group",
            "g1",
            "--user",
            "u1",
            "--user",
            "u2",
        ],
        vec!["remove-from-group", "--group", "g1", "--connection", "c1"],
        vec!["remove-from-group", "--all-groups", "--user", "u1"],
        vec!["close", "--connection", "c1", "--reason", "bye"],
        vec!["close", "--all"],
        vec![
            "grant",
            "--connection",
            "c1",
            "--permission",
            "send-to-group",
            "--group",
            "g1",
        ],
        vec![
            "revoke",
            "--connection",
            "c1",
            "--permission",
            "join-leave-group",
        ],
        vec![
            "check",
            "--connection",
            "c1",
            "--permission",
            "send-to-group",
        ],
        vec!["exists", "--group", "g1"],
        vec!["list-connections", "--group", "g1"],
        vec!["api", "GET", "/api/hubs/chat/groups/g1/connections"],
        vec!["api", "POST", "/api/hubs/chat/:send", "--text", "hi"],
    ];
    let mut runs = 0;
    for (cs, secret) in [
        (emulator_cs.as_str(), key.to_string()),
        (fault_cs.as_str(), FAULT_KEY.to_string()),
        (wrong_key_cs.as_str(), "Q".repeat(44)),
    ] {
        for args in &commands {
            for output in ["json", "table"] {
                let out = run({
                    let mut c = wps_at(&world, cs);
                    c.args(args.iter().copied())
                        .args(["-vv", "--retries", "1", "-o", output]);
                    c
                })
                .await;
                runs += 1;
                let all = format!("{}{}", stdout(&out), stderr(&out));
                assert!(!all.contains(&secret), "{args:?}: key leaked: {all}");
                assert!(!all.contains("eyJ"), "{args:?}: token leaked: {all}");
                assert!(
                    !all.contains(cs),
                    "{args:?}: connection string leaked: {all}"
                );
                assert!(!all.contains("panicked"), "{args:?}: {all}");
            }
        }
    }
    // A bad connection string on the flag must not come back either.
    for cs in [
        format!("Endpoint=nope;AccessKey={key}"),
        format!("Endpoint=http://a AccessKey={key}"),
        format!("Endpoint=http://127.0.0.1;Port=1 AccessKey={key}"),
    ] {
        let out = run({
            let mut c = world.bare_wps();
            c.args(["send-all", "--text", "hi", "--hub", "chat", "-vv"])
                .args(["--connection-string", &cs]);
            c
        })
        .await;
        runs += 1;
        assert_eq!(code(&out), 3, "{}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(key), "{all}");
    }
    assert!(runs >= 130);
}

/// `profile` and `token`, -vv, success and failure: the key and connection string never show
/// (`token` prints a JWT by design, so only the key is checked there).
#[tokio::test]
async fn profile_and_token_never_print_the_key() {
    let world = World::new().await;
    let key = wps::emulator::DEFAULT_ACCESS_KEY;
    let cs = world.connection_string();
    let bad_cs = format!("Endpoint=nope;AccessKey={key}");
    let runs: Vec<(Vec<&str>, bool)> = vec![
        (
            vec![
                "profile",
                "add",
                "p",
                "--connection-string",
                &cs,
                "--hub",
                "chat",
                "--default",
            ],
            false,
        ),
        (
            vec!["profile", "add", "q", "--connection-string", &bad_cs],
            false,
        ),
        (vec!["profile", "list"], false),
        (vec!["profile", "show", "p"], false),
        (vec!["profile", "show"], false),
        (vec!["profile", "show", "nosuch"], false),
        (vec!["profile", "use", "p"], false),
        (vec!["token", "--user", "u1"], true),
        (vec!["token", "--expires", "0"], true),
        (vec!["-p", "p", "send-all", "--text", "hi"], false),
        (vec!["-p", "nosuch", "send-all", "--text", "hi"], false),
        (vec!["profile", "remove", "p"], false),
    ];
    for (args, prints_a_token) in runs {
        for output in ["json", "table"] {
            let out = run({
                let mut c = world.wps();
                c.args(&args).args(["-vv", "-o", output]);
                c
            })
            .await;
            let all = format!("{}{}", stdout(&out), stderr(&out));
            assert!(!all.contains(key), "{args:?}: key leaked: {all}");
            assert!(
                !all.contains(&cs),
                "{args:?}: connection string leaked: {all}"
            );
            assert!(!all.contains("panicked"), "{args:?}: {all}");
            if !prints_a_token {
                assert!(!all.contains("eyJ"), "{args:?}: token leaked: {all}");
            }
        }
    }
}

//! The emulator's HTTP server against clients that misbehave on purpose: silent and trickling
//! sockets, stalled and malformed bodies, HTTP/2 without a Host header, tokens for a URL that
//! is almost the one requested, and floods of connections or hub names (issue 13).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wps::client::{now_secs, KeySigner, Secret};
use wps::emulator::{self, Emulator, EmulatorConfig, ServerLimits, DEFAULT_ACCESS_KEY};

use crate::common::{sigterm, World, PATIENCE};

const SHORT: Duration = Duration::from_millis(300);

/// An emulator whose header and body deadlines are `SHORT`.
async fn short_deadlines() -> Emulator {
    emulator::start(EmulatorConfig {
        port: 0,
        limits: ServerLimits {
            header_timeout: SHORT,
            body_timeout: SHORT,
            ..ServerLimits::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn default_emulator() -> Emulator {
    emulator::start(EmulatorConfig {
        port: 0,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

/// A REST token whose `aud` is `aud`.
fn token(aud: &str) -> String {
    KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY))
        .sign(&json!({"aud": aud, "exp": now_secs() + 300}))
        .expect("sign")
        .expose()
        .to_string()
}

/// Reads until the server closes the socket; returns what arrived. Fails the test if the
/// socket is still open after `PATIENCE`.
pub(crate) async fn read_to_close(socket: &mut TcpStream) -> Vec<u8> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + PATIENCE).into(), socket.read(&mut buf)).await {
            Err(_) => panic!(
                "the server kept the socket open for {PATIENCE:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// The status code of the first HTTP/1 response in `bytes`.
pub(crate) fn status_of(bytes: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(bytes);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 response: {text:?}"))
}

/// Reads one HTTP/1 response head and its `Content-Length` body; fails after `PATIENCE`.
pub(crate) async fn read_response(socket: &mut TcpStream) -> (u16, String) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return (status_of(&got), text[end + 4..end + 4 + length].to_string());
            }
        }
        match tokio::time::timeout_at((started + PATIENCE).into(), socket.read(&mut buf)).await {
            Err(_) => panic!("no whole response within {PATIENCE:?}; got {text:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => panic!("closed before a whole response; got {text:?}"),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn silent_trickling_and_idle_sockets_are_closed_after_the_header_timeout() {
    let emulator = short_deadlines().await;
    let addr = emulator.addr();

    // Says nothing at all. (Timed from before the connection, which the deadline cannot
    // start before: a lower bound, which a slow machine cannot break.)
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    read_to_close(&mut silent).await;
    let took = started.elapsed();
    assert!(took >= SHORT, "closed too early: {took:?}");

    // Sends its headers one byte every 50 ms for as long as the socket takes them: closed all
    // the same (a deadline that each byte put off would keep it forever).
    let started = Instant::now();
    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    let (mut read_half, mut write_half) = trickle.split();
    let writer = async {
        let _ = write_half
            .write_all(b"GET /api/health HTTP/1.1\r\nX-Slow: ")
            .await;
        while write_half.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        std::future::pending::<()>().await;
    };
    let reader = async {
        let mut buf = [0u8; 1024];
        loop {
            match read_half.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, async {
        tokio::select! {
            () = reader => {}
            () = writer => {}
        }
    })
    .await
    .unwrap_or_else(|_| panic!("a trickling client kept its socket for {PATIENCE:?}"));
    let took = started.elapsed();
    assert!(took >= SHORT, "closed too early: {took:?}");

    // Asks once, then keeps the connection open without a word.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let got = read_to_close(&mut idle).await;
    assert_eq!(status_of(&got), 200);

    // Starts like HTTP/2, then stops: part of the preface, then all of it and no SETTINGS.
    let mut half_preface = TcpStream::connect(addr).await.expect("connect");
    half_preface.write_all(b"PRI * HT").await.expect("write");
    read_to_close(&mut half_preface).await;
    let mut preface_only = TcpStream::connect(addr).await.expect("connect");
    preface_only
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("write");
    read_to_close(&mut preface_only).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_stalled_body_is_a_408_and_a_declared_oversize_one_a_413_at_once() {
    let emulator = short_deadlines().await;
    let started = Instant::now();
    let mut stalled = TcpStream::connect(emulator.addr()).await.expect("connect");
    stalled
        .write_all(
            b"POST /api/hubs/chat/:send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
              Content-Length: 10\r\n\r\nabc",
        )
        .await
        .expect("write");
    let got = read_to_close(&mut stalled).await;
    let took = started.elapsed();
    assert_eq!(status_of(&got), 408, "{}", String::from_utf8_lossy(&got));
    assert!(String::from_utf8_lossy(&got).contains("Error.RequestTimeout"));
    assert!(took >= SHORT, "{took:?}");
    emulator.shutdown().await;

    // Default deadlines (30 s for a body): the answer must not wait for 100 MB to arrive
    // (waiting, it would be that deadline's 408, or none within PATIENCE).
    let emulator = default_emulator().await;
    let mut huge = TcpStream::connect(emulator.addr()).await.expect("connect");
    huge.write_all(
        b"POST /api/hubs/chat/:send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
          Content-Length: 100000000\r\n\r\nabc",
    )
    .await
    .expect("write");
    let (status, body) = read_response(&mut huge).await;
    assert_eq!(status, 413);
    let body: Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(body["code"], "Error.PayloadTooLarge");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_chunked_body_with_a_bad_chunk_size_is_a_400() {
    let emulator = default_emulator().await;
    let mut socket = TcpStream::connect(emulator.addr()).await.expect("connect");
    socket
        .write_all(
            b"POST /api/hubs/chat/:send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
              Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        )
        .await
        .expect("write");
    let (status, body) = read_response(&mut socket).await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(body["code"], "Error.BadRequest");
    emulator.shutdown().await;
}

/// Asks for /api/health on a new connection. Once it is answered, every connection made
/// before it has been taken in (the listen backlog is first come, first served).
async fn health(addr: impl tokio::net::ToSocketAddrs) {
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    socket
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    assert_eq!(read_response(&mut socket).await.0, 200);
}

#[tokio::test]
async fn shutdown_finishes_while_clients_stall() {
    // Deadlines of an hour: the stop must not wait for them.
    let hour = Duration::from_secs(3600);
    let emulator = emulator::start(EmulatorConfig {
        port: 0,
        limits: ServerLimits {
            header_timeout: hour,
            body_timeout: hour,
            ..ServerLimits::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let addr = emulator.addr();
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let mut trickle = TcpStream::connect(addr).await.expect("connect");
    trickle
        .write_all(b"GET /api/health HTTP/1.1\r\nX-Slow: a")
        .await
        .expect("write");
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(
            b"POST /api/hubs/chat/:send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
              Content-Length: 10\r\n\r\nabc",
        )
        .await
        .expect("write");
    // The server has taken all three in.
    health(addr).await;
    let started = Instant::now();
    tokio::time::timeout(PATIENCE, emulator.shutdown())
        .await
        .expect("shutdown finishes long before the clients' deadlines");
    let took = started.elapsed();
    for socket in [&mut silent, &mut trickle, &mut stalled] {
        read_to_close(socket).await;
    }
    eprintln!("shutdown with three stalled clients took {took:?}");
}

/// `wps emulator --port 0` under `sh` (for `ulimit`); returns the child and its address.
fn spawn_emulator(shell_prefix: &str, env: &[(&str, &str)]) -> (Child, String) {
    spawn_emulator_with(shell_prefix, "", env, Stdio::null())
}

/// As `spawn_emulator`, with global flags before `emulator` and stderr where the test wants it.
fn spawn_emulator_with(
    shell_prefix: &str,
    global: &str,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> (Child, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "{shell_prefix} exec \"$0\" {global} emulator --port 0"
        ))
        .arg(env!("CARGO_BIN_EXE_wps"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("wps emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("connection string");
    let host = line
        .split(';')
        .find_map(|p| p.strip_prefix("Endpoint=http://"))
        .expect("endpoint");
    let port = line
        .split(';')
        .find_map(|p| p.strip_prefix("Port="))
        .expect("port");
    (child, format!("{host}:{port}"))
}

/// Waits for a child to exit, up to `within`.
async fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait") {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn sigterm_stops_wps_emulator_while_a_client_stalls() {
    // Deadlines of an hour: the stop must not wait for them.
    let (mut child, addr) = spawn_emulator("", &[("WPS_TEST_EMULATOR_TIMEOUT_MS", "3600000")]);
    let mut silent = TcpStream::connect(&addr).await.expect("connect");
    let mut stalled = TcpStream::connect(&addr).await.expect("connect");
    stalled
        .write_all(
            b"POST /api/hubs/chat/:send HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
              Content-Length: 10\r\n\r\nabc",
        )
        .await
        .expect("write");
    health(&addr).await;
    let started = Instant::now();
    sigterm(&child);
    let status = wait_exit(&mut child, PATIENCE).await;
    if status.is_none() {
        let _ = child.kill();
    }
    let status = status.expect("wps emulator exits on SIGTERM, long before the clients' deadlines");
    assert!(status.success(), "{status:?}");
    eprintln!(
        "SIGTERM to exit with two stalled clients: {:?}",
        started.elapsed()
    );
    read_to_close(&mut silent).await;
}

#[tokio::test]
async fn silent_connections_past_the_descriptor_limit_do_not_starve_health() {
    // 300 silent sockets against 256 descriptors: before timeouts, the emulator held every
    // socket it took and never took another, so /api/health went unanswered.
    let (mut child, addr) = spawn_emulator(
        "ulimit -n 256 &&",
        &[("WPS_TEST_EMULATOR_TIMEOUT_MS", "500")],
    );
    let mut silent = Vec::new();
    let started = Instant::now();
    for _ in 0..300 {
        silent.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    eprintln!("300 connects: {:?}", started.elapsed());
    let started = Instant::now();
    // While the silent sockets hold every descriptor, a new connection is refused with 503
    // (as a client told "Retry-After: 1" would, try again); once they time out it is served.
    let answer = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut health = TcpStream::connect(&addr).await.expect("connect");
            health
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("write");
            let answer = read_response(&mut health).await;
            if answer.0 != 503 {
                break answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let (status, _) = answer.expect("/api/health answers once the silent sockets time out");
    assert_eq!(status, 200);
    eprintln!("/api/health behind 300 silent sockets (256 descriptors, 0.5 s timeout): {took:?}");
    drop(silent);
}

/// The state of each thread of a process (`R` running or runnable, `S` asleep, ...), from
/// /proc/PID/task/*/stat.
fn thread_states(pid: u32) -> Vec<char> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc task");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("stat")).ok())
        .filter_map(|stat| stat[stat.rfind(')')? + 2..].chars().next())
        .collect()
}

/// A JSON-subprotocol client in group `g` that may send to it, or the HTTP status that
/// refused it.
async fn json_client_in_g(addr: &str) -> Result<crate::common::Socket, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{http::HeaderValue, Error};
    let signer = KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY));
    let now = now_secs();
    let claims = wps::client::ClientClaims {
        aud: format!("http://{addr}/client/hubs/chat"),
        iat: now,
        exp: now + 3600,
        sub: None,
        role: vec!["webpubsub.sendToGroup.g".into()],
        groups: vec!["g".into()],
    };
    let token = signer.sign(&claims).expect("sign").expose().to_string();
    let mut req = format!("ws://{addr}/client/hubs/chat?access_token={token}")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("json.webpubsub.azure.v1"),
    );
    // Without a refusal the connection would wait in the listen backlog.
    let attempt = tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(req));
    match attempt
        .await
        .expect("connected or refused, not left waiting")
    {
        Ok((mut socket, _)) => {
            let connected = crate::common::next_json(&mut socket).await;
            assert_eq!(connected["event"], "connected", "{connected}");
            Ok(socket)
        }
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("neither connected nor refused with a status: {e}"),
    }
}

#[tokio::test]
async fn out_of_descriptors_existing_clients_are_served_and_new_ones_refused_with_503() {
    let log = tempfile::NamedTempFile::new().expect("temp file");
    let (mut child, addr) = spawn_emulator_with(
        "ulimit -n 64 &&",
        "-v",
        &[],
        Stdio::from(log.reopen().expect("reopen")),
    );
    let mut clients = Vec::new();
    let refused = loop {
        match json_client_in_g(&addr).await {
            Ok(socket) => clients.push(socket),
            Err(status) => break status,
        }
        assert!(clients.len() < 64, "64 clients on 64 descriptors");
    };
    assert_eq!(refused, 503);
    assert!(
        clients.len() > 30,
        "only {} clients before refusal",
        clients.len()
    );

    // Refusing costs one accept each, not a spinning loop: once the refusals are answered,
    // the emulator goes to sleep, every thread of it (a spinning one never sleeps).
    for _ in 0..20 {
        assert_eq!(json_client_in_g(&addr).await.err(), Some(503));
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        let states = thread_states(child.id());
        if states.iter().all(|s| matches!(s, 'S' | 'D' | 'I')) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a thread never slept after the refusals: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Said once for the whole run of refusals, not once per refused connection.
    let stderr = std::fs::read_to_string(log.path()).expect("stderr");
    assert!(stderr.contains("file descriptors: limit 64"), "{stderr}");
    assert_eq!(
        stderr.matches("out of file descriptors").count(),
        1,
        "{stderr}"
    );

    // Those already connected are still served.
    let mut last = clients.pop().expect("a client");
    crate::common::send_json(
        &mut last,
        json!({"type": "sendToGroup", "group": "g", "data": "still served", "noEcho": true}),
    )
    .await;
    let got = crate::common::next_json(&mut clients[0]).await;
    assert_eq!(got["data"], "still served", "{got}");

    // Descriptors come back as clients leave.
    clients.truncate(clients.len() - 5);
    drop(last);
    let deadline = Instant::now() + PATIENCE;
    while json_client_in_g(&addr).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "no connection accepted after clients left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // (Once clients come and go at the limit, each new run of refusals is said again.)
    let _ = child.kill();
    let _ = child.wait();
}

fn h2_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client")
}

#[tokio::test]
async fn http2_requests_are_authorized_against_their_authority() {
    let world = World::new().await;
    let addr = world.emulator.addr();
    let (mut socket, _) = world.connect_json("chat", None, &[], &["g"]).await;
    let (_other, _) = world.connect_json("chat", None, &[], &["g"]).await;
    let h2 = h2_client();

    let url = format!("http://{addr}/api/hubs/chat/:send?api-version=2024-12-01");
    let resp = h2
        .post(&url)
        .bearer_auth(token(&url))
        .header("content-type", "text/plain")
        .body("over h2")
        .send()
        .await
        .expect("response");
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 202);
    let got = crate::common::next_json(&mut socket).await;
    assert_eq!(got["data"], "over h2", "{got}");

    // Without a Host header the audience used to be `http://localhost/...` on any port.
    let localhost = "http://localhost/api/hubs/chat/:send?api-version=2024-12-01";
    let resp = h2
        .post(&url)
        .bearer_auth(token(localhost))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status(), 401);

    // nextLink and generated tokens name the authority too.
    let list = format!(
        "http://{addr}/api/hubs/chat/groups/g/connections?api-version=2024-12-01&maxpagesize=1"
    );
    let page: Value = h2
        .get(&list)
        .bearer_auth(token(&list))
        .send()
        .await
        .expect("response")
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).expect("JSON"))
        .expect("body");
    let next = page["nextLink"].as_str().expect("nextLink");
    assert!(next.starts_with(&format!("http://{addr}/api/")), "{next}");
    let generate = format!("http://{addr}/api/hubs/chat/:generateToken?api-version=2024-12-01");
    let generated: Value = h2
        .post(&generate)
        .bearer_auth(token(&generate))
        .send()
        .await
        .expect("response")
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).expect("JSON"))
        .expect("body");
    let jwt = generated["token"].as_str().expect("token");
    let claims = jwt.split('.').nth(1).expect("payload");
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .expect("base64"),
    )
    .expect("claims");
    assert_eq!(claims["aud"], format!("http://{addr}/client/hubs/chat"));

    // An over-size body is a 413 the client can read, not a reset stream.
    let resp = h2
        .post(&url)
        .bearer_auth(token(&url))
        .header("content-type", "text/plain")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .expect("a response, not a reset stream");
    assert_eq!(resp.status(), 413);
    let body: Value =
        serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON error body");
    assert_eq!(body["code"], "Error.PayloadTooLarge");
}

#[tokio::test]
async fn a_request_without_a_host_is_refused_not_taken_for_localhost() {
    let emulator = default_emulator().await;
    let aud = "http://localhost/api/hubs/chat/groups/g?api-version=2024-12-01";
    let mut socket = TcpStream::connect(emulator.addr()).await.expect("connect");
    let request = format!(
        "HEAD /api/hubs/chat/groups/g?api-version=2024-12-01 HTTP/1.0\r\n\
         Authorization: Bearer {}\r\n\r\n",
        token(aud)
    );
    socket.write_all(request.as_bytes()).await.expect("write");
    let got = read_to_close(&mut socket).await;
    let status = String::from_utf8_lossy(&got)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    assert_eq!(status, Some(400), "{}", String::from_utf8_lossy(&got));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_token_authorizes_only_the_url_it_names() {
    let world = World::new().await;
    let base = format!("http://{}/api/hubs/chat", world.emulator.addr());
    let q = "?api-version=2024-12-01";
    let http = reqwest::Client::new();
    let put = |path: &str, aud: String| {
        http.put(format!("{base}{path}{q}"))
            .bearer_auth(token(&aud))
            .send()
    };
    // Exact, host in upper case, without the query, and spelt otherwise but the same URL
    // (RFC 3986 §6.2.2: unreserved octets encoded, hex digits in lower case): all accepted.
    let exact = format!("{base}/users/u1/groups/g1{q}");
    for (path, aud) in [
        ("/users/u1/groups/g1", exact.clone()),
        (
            "/users/u1/groups/g1",
            exact.replacen("http://", "HTTP://", 1),
        ),
        ("/users/u1/groups/g1", format!("{base}/users/u1/groups/g1")),
        (
            "/users/u1/groups/g1",
            format!("{base}/users/%751/groups/g%31{q}"),
        ),
        (
            "/users/x%2Fy/groups/g1",
            format!("{base}/users/x%2fy/groups/g1{q}"),
        ),
    ] {
        let resp = put(path, aud.clone()).await.expect("response");
        // 404: authorized, and the user has no connection.
        assert_eq!(resp.status(), 404, "PUT {path} with a token for {aud}");
    }
    let cases = [
        // Another user, by case.
        (
            "/users/u1/groups/g1",
            format!("{base}/users/U1/groups/g1{q}"),
        ),
        // A HEAD of user `a/groups/g` is not a PUT of user `a` into group `g`.
        (
            "/users/a/groups/g",
            format!("{base}/users/a%2Fgroups%2Fg{q}"),
        ),
        // Group `x%2Fy` is not group `x/y`.
        (
            "/groups/x%2Fy/connections/c",
            format!("{base}/groups/x%252Fy/connections/c{q}"),
        ),
        (
            "/groups/x%252Fy/connections/c",
            format!("{base}/groups/x%2Fy/connections/c{q}"),
        ),
        // Decoded once, not twice: `%2527` is `%27`, not `'`.
        (
            "/users/o'brien/groups/g1",
            format!("{base}/users/o%2527brien/groups/g1{q}"),
        ),
        // A trailing slash changes the URL too.
        (
            "/users/u1/groups/g1",
            format!("{base}/users/u1/groups/g1/{q}"),
        ),
    ];
    for (path, aud) in cases {
        let resp = put(path, aud.clone()).await.expect("response");
        assert_eq!(resp.status(), 401, "PUT {path} with a token for {aud}");
    }
}

/// One raw HTTP/1.1 request, exactly as written; the status and body of the answer.
async fn raw_request(addr: std::net::SocketAddr, head: &str, body: &str) -> (u16, String) {
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{head}\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.expect("write");
    read_response(&mut socket).await
}

/// The Python SDK's async client signs `filter=userId%20ne%20%27user1%27`, as its sync client
/// does, and aiohttp sends `filter=userId%20ne%20'user1'`; the service answers 202 (Microsoft's
/// recording of `test_smoke_async.test_send_with_filter`), and so does the emulator, with
/// the filter applied. A token that encodes the quote twice is for another URL.
#[tokio::test]
async fn the_async_python_clients_request_is_the_url_its_token_names() {
    let world = World::new().await;
    let addr = world.emulator.addr();
    let (mut user1, _) = world.connect_json("chat", Some("user1"), &[], &[]).await;
    let (mut user2, _) = world.connect_json("chat", Some("user2"), &[], &[]).await;
    let sent = "/api/hubs/chat/:send?api-version=2024-12-01&filter=userId%20ne%20'user1'";
    let signed = "/api/hubs/chat/:send?api-version=2024-12-01&filter=userId%20ne%20%27user1%27";
    let post = |aud: String| {
        let head = format!(
            "POST {sent} HTTP/1.1\r\nAuthorization: Bearer {}",
            token(&aud)
        );
        async move { raw_request(addr, &head, "not for user1").await }
    };
    let twice = signed.replace("%27", "%2527");
    let (status, body) = post(format!("http://{addr}{twice}")).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(format!("http://{addr}{signed}")).await;
    assert_eq!(status, 202, "{body}");
    let got = crate::common::next_json(&mut user2).await;
    assert_eq!(got["data"], "not for user1", "{got}");
    // user1 gets the next send, and nothing before it.
    let everyone = "/api/hubs/chat/:send?api-version=2024-12-01";
    let head = format!(
        "POST {everyone} HTTP/1.1\r\nAuthorization: Bearer {}",
        token(&format!("http://{addr}{everyone}"))
    );
    assert_eq!(raw_request(addr, &head, "everyone").await.0, 202);
    let got = crate::common::next_json(&mut user1).await;
    assert_eq!(got["data"], "everyone", "{got}");
}

/// The resident set of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_names_in_rest_calls_are_not_kept() {
    const HUBS: usize = 50_000;
    const PER_BATCH: usize = 500;
    let (mut child, addr) = spawn_emulator("", &[]);
    let mut socket = TcpStream::connect(&addr).await.expect("connect");
    let mut send_batch = async |from: usize| {
        let mut requests = Vec::new();
        for i in from..from + PER_BATCH {
            let path = format!("/api/hubs/h{i}/users/u/groups?api-version=2024-12-01");
            let t = token(&format!("http://{addr}{path}"));
            requests.extend_from_slice(
                format!("DELETE {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {t}\r\nContent-Length: 0\r\n\r\n")
                    .as_bytes(),
            );
        }
        socket.write_all(&requests).await.expect("write");
        let mut seen = 0;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while seen < PER_BATCH {
            let n = socket.read(&mut buf).await.expect("read");
            assert!(n > 0, "closed");
            got.extend_from_slice(&buf[..n]);
            seen = String::from_utf8_lossy(&got)
                .matches("HTTP/1.1 204")
                .count();
            assert!(
                !String::from_utf8_lossy(&got).contains("HTTP/1.1 4"),
                "{}",
                String::from_utf8_lossy(&got)
            );
        }
    };
    send_batch(0).await;
    let before = rss_kib(child.id());
    let started = Instant::now();
    for from in (PER_BATCH..HUBS).step_by(PER_BATCH) {
        send_batch(from).await;
    }
    let after = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    eprintln!(
        "{HUBS} hub names over REST in {:?}: RSS {before} -> {after} KiB",
        started.elapsed()
    );
    assert!(
        after < before + 8 * 1024,
        "RSS grew from {before} to {after} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_filter_does_not_hold_the_hub_for_other_requests() {
    // Told by order, not by time. The filter runs over the connections as they were when it
    // started (the tagged ones) and its joins land when it ends; so a connection tagged after
    // it started is left out of `big`, and one taken out of `big` before it ended is put back.
    // A tag, then a take-out, that show both were answered while the filter ran. Had the
    // filter held the hub, every request would come before it started or after it ended.
    const PAIRS: usize = 150;
    let world = World::new().await;
    // `early[i]` is tagged from the start; `late[i]` is tagged by the i-th pair of requests.
    let (mut early, mut late, mut sockets) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..PAIRS {
        let (socket, id) = world
            .connect_json("chat", Some(&format!("early{i}")), &[], &["tag"])
            .await;
        early.push(id);
        sockets.push(socket);
        let (socket, id) = world
            .connect_json("chat", Some(&format!("late{i}")), &[], &[])
            .await;
        late.push(id);
        sockets.push(socket);
    }
    let (other_socket, other) = world.connect_json("chat", Some("other"), &[], &[]).await;
    sockets.push(other_socket);
    // About 1 MB (the body's limit): a long chain of clauses, each run on every connection.
    let clause = "tolower(userId) eq 'nobody-here' or ";
    let mut filter = clause.repeat(1_000_000 / clause.len());
    filter.push_str("'tag' in groups");
    let client = world.rest_client();
    let mut batch = tokio::spawn({
        let client = world.rest_client();
        async move {
            client
                .add_to_groups("chat", &["big".to_string()], &filter)
                .await
        }
    });
    // Before the filter starts, its 1 MB is read and parsed: the pairs are spaced by joins of
    // another connection (one more after each pair), so they outlast that whatever the
    // machine, and still come often while the filter runs.
    let put = |group: &'static str, id: &str| {
        let (client, id) = (&client, id.to_string());
        async move {
            let resp = client
                .add_connection_to_group("chat", group, &id)
                .await
                .expect("join");
            assert_eq!(resp.status, 200, "PUT {group} {id}");
        }
    };
    let mut pairs = 0;
    while pairs < PAIRS && !batch.is_finished() {
        for _ in 0..pairs {
            put("small", &other).await;
        }
        put("tag", &late[pairs]).await;
        let taken_out = client
            .remove_connection_from_group("chat", "big", &early[pairs])
            .await
            .expect("take out");
        assert_eq!(taken_out.status, 204);
        pairs += 1;
    }
    let batch = tokio::time::timeout(Duration::from_secs(60), &mut batch)
        .await
        .expect("the filter ends")
        .expect("join")
        .expect(":addToGroups");
    assert_eq!(batch.status, 200);

    let big: std::collections::HashSet<String> = client
        .list_connections("chat", "big", None, None)
        .await
        .expect("members of big")
        .into_iter()
        .map(|m| m.connection_id)
        .collect();
    // Pairs not sent: the filter took the tagged and only them.
    for i in pairs..PAIRS {
        assert!(big.contains(&early[i]), "early{i} tagged, not in big");
        assert!(!big.contains(&late[i]), "late{i} untagged, in big");
    }
    let tagged_after_start = |i: usize| !big.contains(&late[i]);
    let taken_out_before_end = |i: usize| big.contains(&early[i]);
    let during = (0..pairs).filter(|&i| tagged_after_start(i) && taken_out_before_end(i));
    let shape: String = (0..pairs)
        .map(|i| match (tagged_after_start(i), taken_out_before_end(i)) {
            (false, _) => 'b',    // before the filter started
            (true, true) => 'd',  // during
            (true, false) => 'a', // after it ended
        })
        .collect();
    eprintln!("{pairs} pairs of requests around a 1 MB :addToGroups filter: {shape}");
    assert!(
        during.count() > 0,
        "no request was answered while the filter ran \
         (b: before it started, a: after it ended): {shape}"
    );
}

/// The stderr of `wps emulator` with `args`, up to its "wps emulator listening" line.
async fn emulator_stderr(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wps"))
        .arg("emulator")
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wps emulator starts");
    let stderr = child.stderr.take().expect("stderr");
    let text = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("stderr line");
            text.push_str(&line);
            text.push('\n');
            if line.starts_with("wps emulator listening") {
                break;
            }
        }
        text
    });
    let text = tokio::time::timeout(PATIENCE, text).await;
    let _ = child.kill();
    let _ = child.wait();
    text.expect("the emulator starts").expect("join")
}

#[tokio::test]
async fn listening_beyond_loopback_with_the_default_key_warns() {
    for host in ["0.0.0.0", "::"] {
        let err = emulator_stderr(&["--host", host, "--port", "0"]).await;
        assert!(
            err.contains("warning: listening on")
                && err.contains("well-known default access key")
                && err.contains("hint: pass --key"),
            "{host}: {err}"
        );
    }
    let own_key = "my-own-secret-key-my-own-secret-key-1234";
    for args in [
        &["--host", "127.0.0.1", "--port", "0"][..],
        &["--host", "::1", "--port", "0"][..],
        &["--host", "0.0.0.0", "--port", "0", "--key", own_key][..],
    ] {
        let err = emulator_stderr(args).await;
        assert!(!err.contains("warning"), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn a_client_token_is_for_the_hub_and_host_it_names() {
    let world = World::new().await;
    let addr = world.emulator.addr();
    let sign = |aud: String| world.sign_claims(&json!({"aud": aud, "exp": now_secs() + 300}));
    let refused = [
        // Another hub by case only.
        sign(format!("http://{addr}/client/hubs/Chat")),
        // `localhost` is not this host, whatever the port.
        sign("http://localhost/client/hubs/chat".to_string()),
        sign(format!("http://{addr}/client/hubs/chat/")),
    ];
    for token in refused {
        let err = world
            .try_connect_url(&format!("/client/hubs/chat?access_token={token}"), &[])
            .await
            .expect_err("refused");
        match err {
            tokio_tungstenite::tungstenite::Error::Http(resp) => {
                assert_eq!(resp.status(), 401)
            }
            other => panic!("expected a 401, got {other:?}"),
        }
    }
    let ok = sign(format!("HTTP://{addr}/client/hubs/chat"));
    world
        .try_connect_url(&format!("/client/hubs/chat?access_token={ok}"), &[])
        .await
        .expect("scheme and host compare case-insensitively");
}

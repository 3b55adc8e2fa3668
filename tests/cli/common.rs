//! Shared test fixtures: an in-process emulator, an isolated `wps` command, WebSocket clients.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wps::client::{now_secs, ClientClaims, KeySigner, Secret};
use wps::emulator::{self, Emulator, EmulatorConfig, DEFAULT_ACCESS_KEY};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something that must happen. Only a bound on a failure (a hang
/// becomes a failure instead): no test passes or fails by how fast the machine is.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// One test's world: its own emulator on a free port and its own empty config directory.
pub struct World {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
        World::with_config(EmulatorConfig::default()).await
    }

    /// A world whose emulator has this configuration (on a free port whatever it says).
    pub async fn with_config(config: EmulatorConfig) -> World {
        let emulator = emulator::start(EmulatorConfig { port: 0, ..config })
            .await
            .expect("emulator starts");
        World {
            emulator,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn connection_string(&self) -> String {
        self.emulator.connection_string()
    }

    /// `wps` with a cleared environment, a private HOME and config path, and the emulator's
    /// connection string in `WPS_CONNECTION_STRING` and hub `chat`.
    pub fn wps(&self) -> Command {
        let mut cmd = self.bare_wps();
        cmd.env("WPS_CONNECTION_STRING", self.connection_string())
            .env("WPS_HUB", "chat");
        cmd
    }

    /// `wps` with nothing configured at all.
    pub fn bare_wps(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wps"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("WPS_CONFIG", self.config_path())
            .env("WPS_TEST_RETRY_BASE_MS", "1")
            .stdin(Stdio::null());
        cmd
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// A client token for this emulator, signed like the SDK's `get_client_access_token`.
    pub fn client_token(
        &self,
        hub: &str,
        user: Option<&str>,
        roles: &[&str],
        groups: &[&str],
    ) -> String {
        let signer = KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY));
        let now = now_secs();
        let claims = ClientClaims {
            aud: format!("http://{}/client/hubs/{hub}", self.emulator.addr()),
            iat: now,
            exp: now + 3600,
            sub: user.map(str::to_string),
            role: roles.iter().map(|r| r.to_string()).collect(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
        signer.sign(&claims).expect("sign").expose().to_string()
    }

    /// Connects a WebSocket client; `subprotocol` None = plain WebSocket. A plain client gets
    /// no `connected` message, and the emulator adds it to the hub just after the upgrade, so
    /// this returns once the hub lists it: a send made sooner could miss it.
    pub async fn connect(
        &self,
        hub: &str,
        user: Option<&str>,
        roles: &[&str],
        groups: &[&str],
        subprotocol: Option<&str>,
    ) -> Socket {
        let known = match subprotocol {
            None => Some(self.connection_ids(hub).await),
            Some(_) => None,
        };
        let token = self.client_token(hub, user, roles, groups);
        let url = format!(
            "ws://{}/client/hubs/{hub}?access_token={token}",
            self.emulator.addr()
        );
        let mut req = url.into_client_request().expect("request");
        if let Some(p) = subprotocol {
            req.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_str(p).expect("header"),
            );
        }
        let (socket, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("websocket connects");
        if let Some(known) = known {
            self.joined(hub, &known, 1).await;
        }
        socket
    }

    /// Waits until `hub` lists `n` connections that `known` (its ids before they connected)
    /// does not have; fails after `PATIENCE`.
    pub async fn joined(&self, hub: &str, known: &std::collections::HashSet<String>, n: usize) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.connection_ids(hub).await.difference(known).count() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} new connection(s) never joined hub {hub}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The ids of `hub`'s connections, as the emulator's dashboard lists them.
    pub async fn connection_ids(&self, hub: &str) -> std::collections::HashSet<String> {
        let url = format!(
            "http://{}/_emulator/api/hubs/{}",
            self.emulator.addr(),
            hub.to_ascii_lowercase()
        );
        let resp = reqwest::get(&url).await.expect("the dashboard answers");
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Default::default();
        }
        let detail: serde_json::Value =
            serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON");
        detail["connections"]
            .as_array()
            .expect("connections")
            .iter()
            .filter_map(|c| c["connectionId"].as_str().map(str::to_string))
            .collect()
    }

    /// A JSON-subprotocol client; returns the socket and its connection id from `connected`.
    pub async fn connect_json(
        &self,
        hub: &str,
        user: Option<&str>,
        roles: &[&str],
        groups: &[&str],
    ) -> (Socket, String) {
        let mut socket = self
            .connect(hub, user, roles, groups, Some("json.webpubsub.azure.v1"))
            .await;
        let connected = next_json(&mut socket).await;
        assert_eq!(connected["event"], "connected", "{connected}");
        let id = connected["connectionId"]
            .as_str()
            .expect("connectionId")
            .to_string();
        (socket, id)
    }
}

/// Runs a command off the async runtime (the emulator lives on it) and returns its output.
pub async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("wps runs"))
        .await
        .expect("join")
}

/// Runs a command with `input` on stdin.
pub async fn run_with_stdin(mut cmd: Command, input: Vec<u8>) -> Output {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("wps runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("wps ends");
        writer.join().expect("writer");
        out
    })
    .await
    .expect("join")
}

/// The next data frame (text or binary), failing the test after `PATIENCE`.
pub async fn next_frame(socket: &mut Socket) -> Message {
    loop {
        let msg = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame arrives")
            .expect("socket open")
            .expect("frame ok");
        match msg {
            Message::Ping(_) | Message::Pong(_) => continue,
            other => return other,
        }
    }
}

pub async fn next_json(socket: &mut Socket) -> serde_json::Value {
    match next_frame(socket).await {
        Message::Text(t) => serde_json::from_str(&t).expect("JSON frame"),
        other => panic!("expected a JSON text frame, got {other:?}"),
    }
}

/// Asserts nothing has reached `sockets`, all of `hub`'s connections that the test still
/// holds: sends everyone in the hub a sentinel message (REST) and asserts it is the next frame
/// each of them gets. Whatever the emulator sent a connection before is ahead of it (each
/// connection's frames go out in order); a wait for silence would pass when the unwanted
/// frame is merely late. A connection of the hub left out of `sockets` gets the sentinel too.
pub async fn assert_nothing_before_sentinel(world: &World, hub: &str, sockets: &mut [&mut Socket]) {
    static SENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let sentinel = format!("sentinel-{n}");
    let sent = world
        .rest_client()
        .send_to_all(
            hub,
            &wps::client::Payload::text(sentinel.clone()),
            &wps::client::SendOptions::default(),
        )
        .await
        .expect("the sentinel is sent");
    assert_eq!(sent.status, 202);
    for socket in sockets {
        assert_next_is_sentinel(socket, &sentinel).await;
    }
}

/// Asserts the emulator has handled every frame a JSON client sent before and answered none
/// of them (no ack, no echo): sends a ping, and the pong must be the next frame (a client's
/// frames are handled in order, and what they send it goes out before the pong).
pub async fn settle_client(socket: &mut Socket) {
    send_json(socket, serde_json::json!({"type": "ping"})).await;
    let frame = next_json(socket).await;
    assert_eq!(
        frame,
        serde_json::json!({"type": "pong"}),
        "expected nothing before the pong"
    );
}

/// Asserts the next frame on `socket` is the message `sentinel` (as plain text, inside a JSON
/// message or a protobuf one).
pub async fn assert_next_is_sentinel(socket: &mut Socket, sentinel: &str) {
    let frame = next_frame(socket).await;
    let is_it = match &frame {
        Message::Text(t) => t.as_str() == sentinel || t.contains(&format!("\"{sentinel}\"")),
        Message::Binary(b) => b.windows(sentinel.len()).any(|w| w == sentinel.as_bytes()),
        _ => false,
    };
    assert!(is_it, "expected nothing before {sentinel:?}, got {frame:?}");
}

/// A child's output pipe, read as it comes by a thread of its own: a test can wait for what
/// it must see before it acts (the order it needs, where a sleep would only make it likely)
/// and still have all of it at the end.
pub struct Piped {
    bytes: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: std::thread::JoinHandle<()>,
}

impl Piped {
    pub fn new(mut pipe: impl std::io::Read + Send + 'static) -> Piped {
        let bytes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = bytes.clone();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                into.lock().expect("lock").extend_from_slice(&chunk[..n]);
            }
        });
        Piped { bytes, reader }
    }

    /// What arrived so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().expect("lock")).into_owned()
    }

    /// Waits until what arrived contains `what`; fails after `PATIENCE`.
    pub async fn wait_for(&self, what: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !self.text().contains(what) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "never saw {what:?}; got {:?}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// All of it, once the pipe has closed (the child has exited).
    pub async fn finish(self) -> String {
        let Piped { bytes, reader } = self;
        tokio::task::spawn_blocking(move || reader.join().expect("reader"))
            .await
            .expect("join");
        let text = String::from_utf8_lossy(&bytes.lock().expect("lock")).into_owned();
        text
    }
}

/// Sends SIGTERM to a child (as a service manager or `docker stop` would).
pub fn sigterm(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Waits for a child to exit; kills it and fails after `PATIENCE`.
pub async fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if tokio::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// The reliable JSON subprotocol, as the Python and JS SDKs offer it.
pub const RELIABLE: &str = "json.reliable.webpubsub.azure.v1";

impl World {
    /// The library client for this emulator, for REST calls no command makes yet.
    pub fn rest_client(&self) -> wps::client::Client {
        let cs = wps::client::ConnectionString::parse(&self.connection_string())
            .expect("connection string");
        wps::client::Client::new(cs, wps::client::ClientOptions::default()).expect("client")
    }

    /// One raw REST call: `path` under the endpoint, `query` values unencoded.
    pub async fn rest(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<wps::client::Payload>,
    ) -> wps::client::Response {
        let req = wps::client::Request {
            method: method.parse().expect("method"),
            path: path.to_string(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
            accept: "application/json",
            headers: Vec::new(),
            expect: &[],
        };
        self.rest_client().execute(&req).await.expect("REST call")
    }

    /// A REST token for exactly this URL, as the SDKs sign one.
    pub fn rest_token(&self, url: &str) -> String {
        self.sign_claims(&serde_json::json!({"aud": url, "exp": now_secs() + 300}))
    }

    /// Signs arbitrary client-token claims (e.g. `role` as a plain string).
    pub fn sign_claims(&self, claims: &serde_json::Value) -> String {
        KeySigner::new(&Secret::new(DEFAULT_ACCESS_KEY))
            .sign(claims)
            .expect("sign")
            .expose()
            .to_string()
    }

    /// Opens `ws://<emulator><path_and_query>`; the handshake error (e.g. HTTP 401) is
    /// returned, not a panic. `headers` are extra request headers.
    pub async fn try_connect_url(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Result<
        (
            Socket,
            tokio_tungstenite::tungstenite::handshake::client::Response,
        ),
        tokio_tungstenite::tungstenite::Error,
    > {
        let url = format!("ws://{}{path_and_query}", self.emulator.addr());
        let mut req = url.into_client_request().expect("request");
        for (name, value) in headers {
            req.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        tokio_tungstenite::connect_async(req).await
    }

    /// A reliable client: the socket, its connection id and its reconnection token.
    pub async fn connect_reliable(
        &self,
        hub: &str,
        user: Option<&str>,
        roles: &[&str],
        groups: &[&str],
    ) -> (Socket, String, String) {
        let mut socket = self.connect(hub, user, roles, groups, Some(RELIABLE)).await;
        let connected = next_json(&mut socket).await;
        assert_eq!(connected["event"], "connected", "{connected}");
        let id = connected["connectionId"].as_str().expect("connectionId");
        let token = connected["reconnectionToken"]
            .as_str()
            .expect("reconnectionToken");
        (socket, id.to_string(), token.to_string())
    }
}

/// Sends one JSON message on a client socket.
pub async fn send_json(socket: &mut Socket, value: serde_json::Value) {
    use futures_util::SinkExt;
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .expect("send");
}

/// Reads until the close frame; returns its code and reason (data frames before it are
/// skipped). Fails after `PATIENCE`.
pub async fn next_close(socket: &mut Socket) -> (u16, String) {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a close frame arrives")
        {
            Some(Ok(Message::Close(Some(frame)))) => {
                return (frame.code.into(), frame.reason.to_string())
            }
            Some(Ok(Message::Close(None))) => return (1005, String::new()),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// A TCP proxy in front of the emulator whose live connections can be cut at will, to drop a
/// client's transport without a close frame; new connections can be held back meanwhile, so
/// the client is away for certain while the test does what it must do then.
pub struct CuttingProxy {
    pub port: u16,
    cut: tokio::sync::watch::Sender<u32>,
    open: tokio::sync::watch::Sender<bool>,
}

impl CuttingProxy {
    pub async fn start(upstream: std::net::SocketAddr) -> CuttingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (cut, cuts) = tokio::sync::watch::channel(0u32);
        let (open, opened) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                let mut cuts = cuts.clone();
                cuts.borrow_and_update();
                let mut opened = opened.clone();
                tokio::spawn(async move {
                    if opened.wait_for(|open| *open).await.is_err() {
                        return;
                    }
                    let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut down, &mut up) => {}
                        _ = cuts.changed() => {} // dropping both sockets resets them
                    }
                });
            }
        });
        CuttingProxy { port, cut, open }
    }

    pub fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Holds new connections (accepted, not yet forwarded) until `hold_new(false)`.
    pub fn hold_new(&self, hold: bool) {
        self.open.send_replace(!hold);
    }
}

/// A reverse proxy on a free port in front of `backend`, as API Management or an Application
/// Gateway stands in front of the service: it forwards method, path, query, headers and body,
/// with the backend's own Host (as a gateway's backend setting does), and counts requests.
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    forwarded: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Proxy {
    pub async fn start(backend: std::net::SocketAddr) -> Proxy {
        use axum::body::Bytes;
        use axum::extract::State;
        use axum::http::{HeaderMap, Method, Uri};
        use axum::response::IntoResponse;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;

        let forwarded = Arc::new(AtomicUsize::new(0));
        let state = (backend, forwarded.clone(), reqwest::Client::new());
        let app = axum::Router::new()
            .fallback(
                |State((backend, count, http)): State<(
                    std::net::SocketAddr,
                    Arc<AtomicUsize>,
                    reqwest::Client,
                )>,
                 method: Method,
                 uri: Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    let mut req = http.request(method, format!("http://{backend}{path}"));
                    for (name, value) in &headers {
                        if name != "host" && name != "content-length" {
                            req = req.header(name, value);
                        }
                    }
                    let resp = req.body(body).send().await.expect("backend answers");
                    let status = resp.status();
                    let body = resp.bytes().await.expect("backend body");
                    (status, body).into_response()
                },
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { addr, forwarded }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn forwarded(&self) -> usize {
        self.forwarded.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A bulk run's summary (`... in 0.71 s` or `... in 1.20 s (83/s)`) gives a rate only for a
/// run of a second or more; how long a run took is the machine's business, so both are right.
pub fn assert_rate_only_after_a_second(summary: &str) {
    let secs: f64 = summary
        .split(" in ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {summary}"));
    // Within rounding of the second, either is right.
    if secs >= 1.01 {
        assert!(summary.ends_with("/s)"), "no rate: {summary}");
    } else if secs < 0.99 {
        assert!(!summary.contains("/s)"), "a rate under a second: {summary}");
    }
}

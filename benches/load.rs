//! The benchmark's load tool (a `harness = false` bench target, driven by `benches/run`).
//!
//! - `load raw ...`: the raw HTTP load generator: the same `send-user` requests `wps` sends,
//!   with every token signed before the clock starts, at a fixed concurrency over one
//!   keep-alive pool. The floor a bulk run of `wps` is compared with.
//! - `load fanout ...`: connects N WebSocket clients to an emulator, makes one REST send to the
//!   hub and times until every client has received it; with `--probe`, also how soon a REST
//!   call on another hub and a new client's connect are answered while it is delivered. The
//!   clients are json ones by default; `--protocol mqtt` makes them MQTT 3.1.1 clients, and
//!   `--protocol socketio` Socket.IO clients (Engine.IO v4 over WebSocket, no token, as in the
//!   service's default mode with no server), which get the REST call
//!   `@azure/web-pubsub-socket.io` makes for `io.emit("ev", payload)`: a `:send` to the whole
//!   hub filtered on the root namespace's group, `'0~Lw~' in groups`, whose `text/plain` body
//!   is the Engine.IO payload `42["ev",payload]` (its adapter's `broadcast` with no room).
//!   Every protocol's send carries the same payload, [`PAYLOAD`]. `--warm-up` sends once
//!   untimed before the timed send, so it times a later broadcast rather than the first one
//!   after the clients connected.
//! - `load events ...`: the emulator's own cost per user-event round trip. A trivial event
//!   handler runs in this process; a `wps emulator` started with `--event-handler` pointing at
//!   it carries events from one WebSocket client to it and its replies back, one at a time.
//!   The same handler is then called directly with the same CloudEvents request, so the two
//!   latency distributions differ by what the emulator adds.
//! - `cargo bench` (no arguments): each at a small size against an in-process emulator, as a
//!   smoke test of the tool itself.
//!
//! Every figure is printed as one JSON object on stdout. Only loopback endpoints are accepted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use wps::client::operations::encode;
use wps::client::{now_secs, ClientClaims, ConnectionString, KeySigner, DEFAULT_API_VERSION};

#[derive(Parser)]
#[command(name = "load", about = "wps benchmark load tool")]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// cargo bench passes --bench; accepted and ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send one text message to every user in a file, pre-signed, at a fixed concurrency.
    Raw {
        #[arg(long, env = "WPS_CONNECTION_STRING", hide_env_values = true)]
        connection_string: String,
        #[arg(long, default_value = "chat")]
        hub: String,
        /// One user id a line.
        #[arg(long)]
        users: std::path::PathBuf,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value = "hi")]
        text: String,
    },
    /// Connect N clients, send once, time until all have received it.
    Fanout {
        #[arg(long, env = "WPS_CONNECTION_STRING", hide_env_values = true)]
        connection_string: String,
        #[arg(long, default_value = "chat")]
        hub: String,
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Connections being opened at once.
        #[arg(long, default_value_t = 128)]
        connect_concurrency: usize,
        /// Also connect this many clients that never read (tiny receive buffers), first.
        #[arg(long, default_value_t = 0)]
        stalled: usize,
        /// The server's process id: its RSS before and after the clients connect, and the
        /// CPU time it spends from the send until the last client has the message.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Copied into the report, to tell servers apart.
        #[arg(long, default_value = "emulator")]
        label: String,
        /// Each client closes as soon as it has the message (the server then handles closes
        /// while still delivering), instead of all closing once every one has it.
        #[arg(long)]
        close_on_receipt: bool,
        /// What the clients speak (and so which send they get).
        #[arg(long, value_enum, default_value_t = Protocol::Json)]
        protocol: Protocol,
        /// `--protocol mqtt`, as earlier passes of benches/ANALYSIS.md ran it.
        #[arg(long, hide = true, conflicts_with = "protocol")]
        mqtt: bool,
        /// As soon as the send is answered, also time a REST call on another hub and a new
        /// client's connect to this one, both made while the fan-out is being delivered.
        #[arg(long)]
        probe: bool,
        /// Send once untimed first, and wait until every client has it: the timed send then
        /// finds made what a first send after connects builds (the hub's roster, or the
        /// group's for `--protocol socketio`), as a server's later broadcasts do.
        #[arg(long)]
        warm_up: bool,
    },
    /// One client that never reads, then `sends` REST sends of `size` bytes to the hub; the
    /// emulator's RSS (process `pid`) before, at its peak and after.
    Stall {
        #[arg(long, env = "WPS_CONNECTION_STRING", hide_env_values = true)]
        connection_string: String,
        #[arg(long, default_value = "stall")]
        hub: String,
        /// The emulator's process id, for /proc/PID/status.
        #[arg(long)]
        pid: u32,
        #[arg(long, default_value_t = 600)]
        sends: usize,
        #[arg(long, default_value_t = 1024 * 1024)]
        size: usize,
    },
    /// Time user-event round trips through `wps emulator` and straight to the same handler.
    Events {
        /// The wps binary to run as the emulator.
        #[arg(long)]
        wps: std::path::PathBuf,
        /// Round trips timed on each path (after the warm-up).
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        #[arg(long, default_value_t = 500)]
        warmup: usize,
        /// Pin the emulator to this CPU (taskset), as benches/run places its emulator.
        #[arg(long)]
        emulator_cpu: Option<usize>,
    },
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match args.command {
            Some(Cmd::Raw {
                connection_string,
                hub,
                users,
                concurrency,
                text,
            }) => {
                let cs = loopback(&connection_string)?;
                let users = std::fs::read_to_string(&users)
                    .with_context(|| format!("reading {}", users.display()))?;
                let users: Vec<&str> = users
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .collect();
                let report = raw(&cs, &hub, &users, concurrency, &text).await?;
                println!("{report}");
            }
            Some(Cmd::Fanout {
                connection_string,
                hub,
                clients,
                connect_concurrency,
                stalled,
                server_pid,
                label,
                close_on_receipt,
                protocol,
                mqtt,
                probe,
                warm_up,
            }) => {
                let cs = loopback(&connection_string)?;
                let stalled = stall_clients(&cs, &hub, stalled).await?;
                let protocol = if mqtt { Protocol::Mqtt } else { protocol };
                let mut report = fanout(
                    &cs,
                    &hub,
                    clients,
                    connect_concurrency,
                    server_pid,
                    How {
                        close_on_receipt,
                        protocol,
                        probe,
                        warm_up,
                    },
                )
                .await?;
                report["stalled"] = stalled.len().into();
                report["server"] = label.into();
                println!("{report}");
            }
            Some(Cmd::Stall {
                connection_string,
                hub,
                pid,
                sends,
                size,
            }) => {
                let cs = loopback(&connection_string)?;
                println!("{}", stall(&cs, &hub, pid, sends, size).await?);
            }
            Some(Cmd::Events {
                wps,
                events: n,
                warmup,
                emulator_cpu,
            }) => {
                let handler = events::Handler::start().await?;
                let emulator = events::Spawned::start(&wps, &handler, emulator_cpu)?;
                let report = events::measure(
                    &handler,
                    &emulator.connection_string,
                    Some(emulator.pid),
                    n,
                    warmup,
                )
                .await?;
                println!("{report}");
            }
            None => smoke().await?,
        }
        Ok(())
    })
}

/// Parses the connection string and refuses anything but a loopback endpoint.
fn loopback(connection_string: &str) -> Result<ConnectionString> {
    let cs = ConnectionString::parse(connection_string)?;
    let url = url::Url::parse(&cs.endpoint)?;
    let local = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if !local {
        bail!(
            "the load tool only sends to a loopback endpoint, not {}",
            cs.endpoint
        );
    }
    Ok(cs)
}

/// The raw generator: every request signed up front, then `concurrency` workers over one pool.
async fn raw(
    cs: &ConnectionString,
    hub: &str,
    users: &[&str],
    concurrency: usize,
    text: &str,
) -> Result<serde_json::Value> {
    let signer = KeySigner::new(&cs.access_key);
    let sign_started = Instant::now();
    let mut requests = Vec::with_capacity(users.len());
    for user in users {
        let url = format!(
            "{}/api/hubs/{}/users/{}/:send?api-version={DEFAULT_API_VERSION}",
            cs.endpoint,
            encode(hub),
            encode(user)
        );
        let token = signer.rest_token(&url)?;
        requests.push((url, format!("Bearer {}", token.expose())));
    }
    let signing = sign_started.elapsed();
    let http = reqwest::Client::new();
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let body = bytes::Bytes::from(text.to_string());
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (http, requests, next, body) =
            (http.clone(), requests.clone(), next.clone(), body.clone());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((url, auth)) = requests.get(i) else {
                    break;
                };
                let resp = http
                    .post(url)
                    .header("Authorization", auth)
                    .header("Content-Type", "text/plain")
                    .body(body.clone())
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().as_u16() == 202 => {
                        // Read the (empty) body so the connection goes back to the pool.
                        let _ = r.bytes().await;
                        ok += 1;
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for w in workers {
        let (o, f) = w.await?;
        ok += o;
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(json!({
        "tool": "raw",
        "requests": users.len(),
        "concurrency": concurrency,
        "ok": ok,
        "failed": failed,
        "signing_s": signing.as_secs_f64(),
        "elapsed_s": elapsed,
        "rate": users.len() as f64 / elapsed,
    }))
}

/// The URL a plain WebSocket client connects with (a token signed for it).
fn client_url(cs: &ConnectionString, hub: &str) -> Result<String> {
    client_url_at(cs, "client/hubs", hub)
}

/// A client URL under `path` (`client/hubs`, `clients/mqtt/hubs`) with a token for it.
fn client_url_at(cs: &ConnectionString, path: &str, hub: &str) -> Result<String> {
    let signer = KeySigner::new(&cs.access_key);
    let authority = authority(cs);
    let now = now_secs();
    let token = signer.sign(&ClientClaims {
        aud: format!("{}/{path}/{hub}", cs.endpoint.to_lowercase()),
        iat: now,
        exp: now + 3600,
        ..ClientClaims::default()
    })?;
    Ok(format!(
        "ws://{authority}/{path}/{}?access_token={}",
        encode(hub),
        token.expose()
    ))
}

/// The endpoint's host and port, for WebSocket URLs.
fn authority(cs: &ConnectionString) -> &str {
    cs.endpoint
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(&cs.endpoint)
}

/// An MQTT 3.1.1 CONNECT with a clean session, a 60 s keep-alive and no credentials.
fn mqtt_connect(client_id: &str) -> Vec<u8> {
    let id = client_id.as_bytes();
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    body.extend_from_slice(&(id.len() as u16).to_be_bytes());
    body.extend_from_slice(id);
    // Remaining length: one byte holds up to 127 (client ids here are short).
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend_from_slice(&body);
    packet
}

/// Plain clients that never read, with 4 KiB receive buffers: what a stuck browser tab or a
/// paused process looks like to the emulator. Kept open by the caller.
async fn stall_clients(
    cs: &ConnectionString,
    hub: &str,
    n: usize,
) -> Result<Vec<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>>> {
    let url = client_url(cs, hub)?;
    let addr = url::Url::parse(&cs.endpoint)?
        .socket_addrs(|| Some(80))?
        .into_iter()
        .next()
        .context("the endpoint's address")?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let tcp = socket.connect(addr).await?;
        let (ws, _) = tokio_tungstenite::client_async(url.as_str(), tcp).await?;
        out.push(ws);
    }
    Ok(out)
}

/// CPU time a process has used so far, every thread's, in nanoseconds (schedstat's first
/// field: clock ticks in /proc/PID/stat are too coarse for a 20 ms fan-out).
fn cpu_ns(pid: u32) -> Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let stat = std::fs::read_to_string(task?.path().join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(total)
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS in /proc/PID/status")
}

/// One stalled client, `sends` sends of `size` bytes: does the emulator's memory stay put?
async fn stall(
    cs: &ConnectionString,
    hub: &str,
    pid: u32,
    sends: usize,
    size: usize,
) -> Result<serde_json::Value> {
    let _stalled = stall_clients(cs, hub, 1).await?;
    let signer = KeySigner::new(&cs.access_key);
    let url = format!(
        "{}/api/hubs/{}/:send?api-version={DEFAULT_API_VERSION}",
        cs.endpoint,
        encode(hub)
    );
    let http = reqwest::Client::new();
    let body = bytes::Bytes::from(vec![b'x'; size]);
    let before = rss_kib(pid)?;
    let mut peak = before;
    let started = Instant::now();
    let mut accepted = 0;
    for i in 0..sends {
        let auth = format!("Bearer {}", signer.rest_token(&url)?.expose());
        let resp = http
            .post(&url)
            .header("Authorization", auth)
            .header("Content-Type", "application/octet-stream")
            .body(body.clone())
            .send()
            .await?;
        accepted += usize::from(resp.status().as_u16() == 202);
        if i % 10 == 0 {
            peak = peak.max(rss_kib(pid)?);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    peak = peak.max(rss_kib(pid)?);
    Ok(json!({
        "tool": "stall",
        "sends": sends,
        "size": size,
        "accepted": accepted,
        "elapsed_s": elapsed,
        "rss_before_kib": before,
        "rss_peak_kib": peak,
        "rss_after_kib": rss_kib(pid)?,
    }))
}

/// What every fan-out sends, whatever the protocol: a json client gets it wrapped in its
/// `message` envelope, a Socket.IO client as the data of an `ev` event.
const PAYLOAD: &str = "fan-out";

/// The clients of a fan-out (`load fanout --protocol`).
#[derive(Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
enum Protocol {
    /// `json.webpubsub.azure.v1` WebSocket clients; the send is a plain `:send` to the hub.
    #[default]
    Json,
    /// MQTT 3.1.1 clients (`/clients/mqtt/hubs/{hub}`), which get the send on
    /// `$webpubsub/server/messages`.
    Mqtt,
    /// Socket.IO clients of the root namespace (`/clients/socketio/hubs/{hub}/`), which get
    /// what `io.emit("ev", PAYLOAD)` sends through `@azure/web-pubsub-socket.io`.
    Socketio,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::Mqtt => "mqtt",
            Protocol::Socketio => "socketio",
        }
    }
}

/// How a fan-out's clients behave (the flags of `load fanout`).
#[derive(Clone, Copy, Default)]
struct How {
    close_on_receipt: bool,
    protocol: Protocol,
    probe: bool,
    warm_up: bool,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A Socket.IO client's way in after the WebSocket upgrade: Engine.IO's open packet (`0{...}`),
/// then the root namespace's `CONNECT` (`40`), answered with `40{"sid":...}` once the emulator
/// has put the connection in the namespace's group. A ping on the way is answered.
async fn socketio_handshake(socket: &mut Socket) -> Result<()> {
    match socket.next().await {
        Some(Ok(Message::Text(t))) if t.starts_with("0{") => {}
        other => bail!("expected Engine.IO's open packet, got {other:?}"),
    }
    socket.send(Message::Text("40".into())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                socket.send(Message::Text("3".into())).await?;
            }
            Some(Ok(Message::Text(t))) if t.starts_with("40{") => return Ok(()),
            other => bail!("expected the namespace's CONNECT answer, got {other:?}"),
        }
    }
}

/// Opens `clients` clients of `how.protocol` (each counts once the server said it is
/// connected, so the emulator has registered it), sends one message to the hub and times its
/// arrival at each.
async fn fanout(
    cs: &ConnectionString,
    hub: &str,
    clients: usize,
    connect_concurrency: usize,
    server_pid: Option<u32>,
    how: How,
) -> Result<serde_json::Value> {
    let How {
        close_on_receipt,
        protocol,
        probe,
        warm_up,
    } = how;
    let rss_idle = server_pid.map(rss_kib).transpose()?;
    let signer = KeySigner::new(&cs.access_key);
    let (ws_url, subprotocol) = match protocol {
        Protocol::Json => (client_url(cs, hub)?, Some("json.webpubsub.azure.v1")),
        Protocol::Mqtt => (client_url_at(cs, "clients/mqtt/hubs", hub)?, Some("mqtt")),
        // No token: the service's default mode lets any client in when no server decides.
        Protocol::Socketio => (
            format!(
                "ws://{}/clients/socketio/hubs/{}/?EIO=4&transport=websocket",
                authority(cs),
                encode(hub)
            ),
            None,
        ),
    };
    let (mqtt, socketio) = (protocol == Protocol::Mqtt, protocol == Protocol::Socketio);
    // Small buffers: the clients only ever read a few short frames.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);

    let connect_started = Instant::now();
    let connected: Vec<_> = futures_util::stream::iter(0..clients)
        .map(|i| {
            let ws_url = ws_url.clone();
            async move {
                let mut req = ws_url.into_client_request()?;
                if let Some(subprotocol) = subprotocol {
                    req.headers_mut().insert(
                        "Sec-WebSocket-Protocol",
                        HeaderValue::from_static(subprotocol),
                    );
                }
                let (mut socket, _) =
                    tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
                if socketio {
                    tokio::time::timeout(Duration::from_secs(30), socketio_handshake(&mut socket))
                        .await
                        .context("no Socket.IO handshake within 30 s")??;
                    return Ok(socket);
                }
                if mqtt {
                    socket
                        .send(Message::Binary(mqtt_connect(&format!("fan{i}")).into()))
                        .await?;
                }
                match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) if t.contains("\"connected\"") => Ok(socket),
                    // CONNACK, return code 0 (accepted).
                    Ok(Some(Ok(Message::Binary(b))))
                        if mqtt && b.first() == Some(&0x20) && b.get(3) == Some(&0) =>
                    {
                        Ok(socket)
                    }
                    other => bail!("expected a connected frame or CONNACK, got {other:?}"),
                }
            }
        })
        .buffer_unordered(connect_concurrency.max(1))
        .collect()
        .await;
    let connect_s = connect_started.elapsed().as_secs_f64();
    let sockets = connected.into_iter().collect::<Result<Vec<_>>>()?;

    // Every reader waits for the message before the send starts. Each keeps its socket open
    // afterwards (unless `close_on_receipt`) until every client has the message, so the
    // server's figures cover the delivery alone, not clients leaving in the middle of it.
    // Socket.IO clients answer Engine.IO's pings (`2` with `3`) all along: the emulator drops
    // one that leaves a ping unanswered, and a 10,000-client run may last a ping interval.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let mut readers = Vec::with_capacity(sockets.len());
    for mut socket in sockets {
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            // The warm-up's message, then the timed one.
            let mut waiting = if warm_up { 2 } else { 1 };
            while let Some(Ok(msg)) = socket.next().await {
                let arrived = match msg {
                    Message::Text(t) if socketio && t.as_str() == "2" => {
                        let _ = socket.send(Message::Text("3".into())).await;
                        false
                    }
                    // An EVENT of the root namespace: the broadcast (nothing else is sent).
                    Message::Text(t) if socketio => t.starts_with("42"),
                    Message::Text(t) => t.contains("\"message\""),
                    // An MQTT PUBLISH (on `$webpubsub/server/messages`).
                    Message::Binary(b) => mqtt && b.first().is_some_and(|f| f & 0xF0 == 0x30),
                    _ => false,
                };
                if arrived && waiting > 0 {
                    let _ = tx.send(Instant::now());
                    waiting -= 1;
                    if waiting == 0 && (close_on_receipt || !socketio) {
                        break;
                    }
                }
            }
            if close_on_receipt {
                let _ = socket.close(None).await;
            } else {
                std::future::pending::<()>().await;
            }
        }));
    }
    drop(tx);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut url = format!(
        "{}/api/hubs/{}/:send?api-version={DEFAULT_API_VERSION}",
        cs.endpoint,
        encode(hub)
    );
    let body = if socketio {
        // What the extension's adapter sends for `io.emit`: the namespace's sockets are the
        // members of its group, chosen by filter on a send to all (a room would be a group
        // send); the body is one Engine.IO message packet holding one Socket.IO EVENT. The
        // filter's spaces are `%20`: the service reads a `+` as a plus.
        url.push_str(&format!("&filter={}", encode("'0~Lw~' in groups")));
        format!("42{}", json!(["ev", PAYLOAD]))
    } else {
        PAYLOAD.to_string()
    };
    let auth = format!("Bearer {}", signer.rest_token(&url)?.expose());
    let http = reqwest::Client::new();
    if warm_up {
        let resp = http
            .post(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "text/plain")
            .body(body.clone())
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "the warm-up send got {}",
            resp.status()
        );
        for _ in 0..clients {
            tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .context("the warm-up send did not reach every client within 30 s")?
                .context("the readers ended")?;
        }
    }
    let rss_connected = server_pid.map(rss_kib).transpose()?;
    let cpu_before = server_pid.map(cpu_ns).transpose()?;
    let sent = Instant::now();
    let resp = http
        .post(&url)
        .header("Authorization", auth)
        .header("Content-Type", "text/plain")
        .body(body)
        .send()
        .await?;
    let rest_ms = sent.elapsed().as_secs_f64() * 1e3;
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        // Nothing will arrive: say why now rather than after the 30 s wait.
        bail!("the send got {status}: {}", resp.text().await?);
    }
    // Each probe: when it finished, in ms from the send; started the moment the send was
    // answered (before delivery ends, for a send the emulator answers on acceptance).
    let probes = probe.then(|| {
        let other = format!(
            "{}/api/hubs/{}_probe/:send?api-version={DEFAULT_API_VERSION}",
            cs.endpoint,
            encode(hub)
        );
        let rest = tokio::spawn({
            let (http, auth) = (http.clone(), signer.rest_token(&other));
            async move {
                let auth = format!("Bearer {}", auth?.expose());
                let status = http
                    .post(&other)
                    .header("Authorization", auth)
                    .header("Content-Type", "text/plain")
                    .body("probe")
                    .send()
                    .await?
                    .status();
                anyhow::ensure!(status.is_success(), "the probe send got {status}");
                Ok::<_, anyhow::Error>(sent.elapsed().as_secs_f64() * 1e3)
            }
        });
        // A json client whatever the fan-out's clients are: the probe times the connect path
        // every client shares, not a protocol's handshake.
        let connect = tokio::spawn({
            let ws_url = client_url(cs, hub);
            async move {
                let ws_url = ws_url?;
                let mut req = ws_url.into_client_request()?;
                req.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    HeaderValue::from_static("json.webpubsub.azure.v1"),
                );
                let (mut socket, _) = tokio_tungstenite::connect_async(req).await?;
                match socket.next().await {
                    Some(Ok(Message::Text(t))) if t.contains("\"connected\"") => {}
                    other => bail!("the probe client expected connected, got {other:?}"),
                }
                Ok::<_, anyhow::Error>(sent.elapsed().as_secs_f64() * 1e3)
            }
        });
        (rest, connect)
    });
    let mut arrivals = Vec::with_capacity(clients);
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    while arrivals.len() < clients {
        tokio::select! {
            got = rx.recv() => match got {
                Some(at) => arrivals.push(at.duration_since(sent).as_secs_f64() * 1e3),
                None => break,
            },
            _ = &mut deadline => break,
        }
    }
    let server_cpu_ms = match (server_pid, cpu_before) {
        (Some(pid), Some(before)) => Some((cpu_ns(pid)? - before) as f64 / 1e6),
        _ => None,
    };
    let (probe_rest_ms, probe_connect_ms) = match probes {
        Some((rest, connect)) => (Some(rest.await??), Some(connect.await??)),
        None => (None, None),
    };
    arrivals.sort_by(f64::total_cmp);
    let pct = |p: f64| -> Option<f64> {
        let n = arrivals.len();
        (n > 0).then(|| arrivals[((n as f64 * p).ceil() as usize).clamp(1, n) - 1])
    };
    let report = json!({
        "tool": "fanout",
        "clients": clients,
        "connect_s": connect_s,
        "rest_status": status,
        "rest_ms": rest_ms,
        "received": arrivals.len(),
        "first_ms": pct(0.0),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "all_ms": if arrivals.len() == clients { pct(1.0) } else { None },
        "server_cpu_ms": server_cpu_ms,
        "server_rss_idle_kib": rss_idle,
        "server_rss_connected_kib": rss_connected,
        "close_on_receipt": close_on_receipt,
        "protocol": protocol.name(),
        "probe_rest_ms": probe_rest_ms,
        "probe_connect_ms": probe_connect_ms,
    });
    for r in readers {
        r.abort();
    }
    Ok(report)
}

/// `cargo bench`: the tool against an in-process emulator at a small size.
async fn smoke() -> Result<()> {
    let emulator = wps::emulator::start(wps::emulator::EmulatorConfig {
        port: 0,
        ..Default::default()
    })
    .await?;
    let cs = ConnectionString::parse(&emulator.connection_string())?;
    let users: Vec<String> = (0..1000).map(|i| format!("user{i}")).collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    println!("{}", raw(&cs, "chat", &users, 16, "hi").await?);
    // 400 clients: both ends live in this process, within a default 1,024-descriptor limit.
    println!(
        "{}",
        fanout(
            &cs,
            "chat",
            400,
            128,
            Some(std::process::id()),
            How {
                probe: true,
                ..How::default()
            }
        )
        .await?
    );
    // The same send as `io.emit` to as many Socket.IO clients (the probe stays a json client).
    println!(
        "{}",
        fanout(
            &cs,
            "chat",
            400,
            128,
            Some(std::process::id()),
            How {
                protocol: Protocol::Socketio,
                probe: true,
                ..How::default()
            }
        )
        .await?
    );
    emulator.shutdown().await;

    let handler = events::Handler::start().await?;
    let emulator = wps::emulator::start(wps::emulator::EmulatorConfig {
        port: 0,
        event_handlers: wps::emulator::EventHandlerConfig {
            flags: vec![handler.flag()],
            ..Default::default()
        },
        ..Default::default()
    })
    .await?;
    println!(
        "{}",
        events::measure(&handler, &emulator.connection_string(), None, 300, 50).await?
    );
    emulator.shutdown().await;
    Ok(())
}

/// `load events`: user-event round trips through the emulator against the handler itself.
mod events {
    use std::io::BufRead;
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use anyhow::{bail, Context, Result};
    use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
    use axum::response::IntoResponse;
    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    use wps::client::{now_secs, ClientClaims, ConnectionString, KeySigner};

    /// The trivial event handler: validation allowed, each user event's data echoed back as
    /// text, every other event answered with an empty 200.
    pub struct Handler {
        addr: SocketAddr,
    }

    impl Handler {
        pub async fn start() -> Result<Handler> {
            async fn answer(
                method: Method,
                headers: HeaderMap,
                body: bytes::Bytes,
            ) -> axum::response::Response {
                if method == Method::OPTIONS {
                    return (StatusCode::OK, [("WebHook-Allowed-Origin", "*")]).into_response();
                }
                let user = headers
                    .get("ce-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with("azure.webpubsub.user."));
                if user {
                    (StatusCode::OK, [("content-type", "text/plain")], body).into_response()
                } else {
                    StatusCode::OK.into_response()
                }
            }
            let app = axum::Router::new().fallback(answer);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Ok(Handler { addr })
        }

        /// `--event-handler` for hub `chat`.
        pub fn flag(&self) -> String {
            format!("chat=http://{}/api/{{hub}}/{{event}}", self.addr)
        }
    }

    /// A `wps emulator` child process, killed on drop.
    pub struct Spawned {
        child: std::process::Child,
        pub pid: u32,
        pub connection_string: String,
    }

    impl Spawned {
        pub fn start(
            wps: &std::path::Path,
            handler: &Handler,
            cpu: Option<usize>,
        ) -> Result<Spawned> {
            let mut cmd = match cpu {
                Some(cpu) => {
                    let mut c = std::process::Command::new("taskset");
                    c.args(["-c", &cpu.to_string()]).arg(wps);
                    c
                }
                None => std::process::Command::new(wps),
            };
            let mut child = cmd
                .args([
                    "emulator",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--event-handler",
                ])
                .arg(handler.flag())
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", wps.display()))?;
            let mut line = String::new();
            std::io::BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
            if !line.starts_with("Endpoint=") {
                let _ = child.kill();
                bail!("no connection string from the emulator");
            }
            // taskset execs wps, so the child's pid is the emulator's.
            Ok(Spawned {
                pid: child.id(),
                child,
                connection_string: line.trim().to_string(),
            })
        }
    }

    impl Drop for Spawned {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Latencies in ms: nearest-rank percentiles and the mean.
    fn summary(mut ms: Vec<f64>) -> Value {
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let pct = |p: f64| ms[((n as f64 * p).ceil() as usize).clamp(1, n) - 1];
        json!({
            "n": n,
            "p50_ms": pct(0.5),
            "p90_ms": pct(0.9),
            "p99_ms": pct(0.99),
            "max_ms": pct(1.0),
            "mean_ms": ms.iter().sum::<f64>() / n as f64,
        })
    }

    /// User + system CPU seconds of a process so far (Linux), to price each round trip.
    fn cpu_seconds(pid: u32) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) start at its closing ')'.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0) // USER_HZ is 100 on Linux
    }

    /// `n` timed round trips each way, one at a time, after `warmup` untimed ones.
    pub async fn measure(
        handler: &Handler,
        connection_string: &str,
        emulator_pid: Option<u32>,
        n: usize,
        warmup: usize,
    ) -> Result<Value> {
        let cs = ConnectionString::parse(connection_string)?;
        let authority = cs
            .endpoint
            .split_once("://")
            .map(|(_, rest)| rest.to_string())
            .context("endpoint")?;

        // Through the emulator: a json client's event, timed until the handler's reply
        // arrives as a server message (its ack follows and is read before the next event).
        let now = now_secs();
        let token = KeySigner::new(&cs.access_key).sign(&ClientClaims {
            aud: format!("{}/client/hubs/chat", cs.endpoint.to_lowercase()),
            iat: now,
            exp: now + 3600,
            sub: Some("bench".into()),
            ..ClientClaims::default()
        })?;
        let mut req = format!(
            "ws://{authority}/client/hubs/chat?access_token={}",
            token.expose()
        )
        .into_client_request()?;
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            axum::http::HeaderValue::from_static("json.webpubsub.azure.v1"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(req).await?;
        next_text(&mut socket).await?; // connected
        let mut through = Vec::with_capacity(n);
        let mut cpu_start = None;
        for i in 0..warmup + n {
            if i == warmup {
                cpu_start = emulator_pid.and_then(cpu_seconds);
            }
            let frame = json!({"type": "event", "event": "echo", "dataType": "text", "data": "hi", "ackId": i});
            let sent = Instant::now();
            socket.send(Message::Text(frame.to_string().into())).await?;
            let reply = next_text(&mut socket).await?;
            let took = sent.elapsed();
            if !reply.contains(r#""from":"server""#) {
                bail!("expected the handler's reply, got {reply}");
            }
            let ack = next_text(&mut socket).await?;
            if !ack.contains(r#""success":true"#) {
                bail!("expected a successful ack, got {ack}");
            }
            if i >= warmup {
                through.push(took.as_secs_f64() * 1e3);
            }
        }
        let cpu = match (cpu_start, emulator_pid.and_then(cpu_seconds)) {
            (Some(a), Some(b)) => Some((b - a) / n as f64 * 1e6),
            _ => None,
        };
        let _ = socket.close(None).await;

        // Straight to the handler: the request the emulator sends, over one keep-alive
        // connection, with the same HTTP client the emulator uses.
        let http = reqwest::Client::builder().no_proxy().build()?;
        let url = format!("http://{}/api/chat/echo", handler.addr);
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("ce-specversion", "1.0"),
            ("ce-awpsversion", "1.0"),
            ("ce-type", "azure.webpubsub.user.echo"),
            ("ce-source", "/hubs/chat/client/bench"),
            ("ce-id", "1"),
            ("ce-time", "2026-01-01T00:00:00Z"),
            ("ce-hub", "chat"),
            ("ce-connectionid", "bench"),
            ("ce-eventname", "echo"),
            ("ce-userid", "bench"),
            ("ce-subprotocol", "json.webpubsub.azure.v1"),
            ("ce-signature", "sha256=00"),
            ("webhook-request-origin", "127.0.0.1"),
            ("content-type", "text/plain; charset=utf-8"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let mut direct = Vec::with_capacity(n);
        for i in 0..warmup + n {
            let sent = Instant::now();
            let resp = http
                .post(&url)
                .headers(headers.clone())
                .body("hi")
                .send()
                .await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            let took = sent.elapsed();
            if !status.is_success() || &body[..] != b"hi" {
                bail!("the handler answered {status}");
            }
            if i >= warmup {
                direct.push(took.as_secs_f64() * 1e3);
            }
        }
        let through = summary(through);
        let direct = summary(direct);
        let extra =
            |key: &str| through[key].as_f64().unwrap_or(0.0) - direct[key].as_f64().unwrap_or(0.0);
        Ok(json!({
            "tool": "events",
            "events": n,
            "warmup": warmup,
            "through_emulator": through,
            "direct": direct,
            "added_p50_ms": extra("p50_ms"),
            "added_p99_ms": extra("p99_ms"),
            "emulator_cpu_us_per_event": cpu,
        }))
    }

    async fn next_text(
        socket: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Result<String> {
        loop {
            match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                other => bail!("expected a text frame, got {other:?}"),
            }
        }
    }
}

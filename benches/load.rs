//! The benchmark's load tool (a `harness = false` bench target, driven by `benches/run`).
//!
//! - `load raw ...`: the raw HTTP load generator: the same `send-user` requests `wps` sends,
//!   with every token signed before the clock starts, at a fixed concurrency over one
//!   keep-alive pool. The floor a bulk run of `wps` is compared with.
//! - `load fanout ...`: connects N WebSocket clients to an emulator, makes one REST send to the
//!   hub and times until every client has received it.
//! - `cargo bench` (no arguments): both at a small size against an in-process emulator, as a
//!   smoke test of the tool itself.
//!
//! Every figure is printed as one JSON object on stdout. Only loopback endpoints are accepted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use futures_util::StreamExt;
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
            }) => {
                let cs = loopback(&connection_string)?;
                let stalled = stall_clients(&cs, &hub, stalled).await?;
                let mut report = fanout(&cs, &hub, clients, connect_concurrency).await?;
                report["stalled"] = stalled.len().into();
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
    let signer = KeySigner::new(&cs.access_key);
    let authority = cs
        .endpoint
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(&cs.endpoint);
    let now = now_secs();
    let token = signer.sign(&ClientClaims {
        aud: format!("{}/client/hubs/{hub}", cs.endpoint.to_lowercase()),
        iat: now,
        exp: now + 3600,
        ..ClientClaims::default()
    })?;
    Ok(format!(
        "ws://{authority}/client/hubs/{}?access_token={}",
        encode(hub),
        token.expose()
    ))
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

/// Opens `clients` JSON-subprotocol clients (each counts once its `connected` frame arrived,
/// so the emulator has registered it), sends one message to the hub and times its arrival.
async fn fanout(
    cs: &ConnectionString,
    hub: &str,
    clients: usize,
    connect_concurrency: usize,
) -> Result<serde_json::Value> {
    let signer = KeySigner::new(&cs.access_key);
    let ws_url = client_url(cs, hub)?;
    // Small buffers: the clients only ever read a few short frames.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);

    let connect_started = Instant::now();
    let connected: Vec<_> = futures_util::stream::iter(0..clients)
        .map(|_| {
            let ws_url = ws_url.clone();
            async move {
                let mut req = ws_url.into_client_request()?;
                req.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    HeaderValue::from_static("json.webpubsub.azure.v1"),
                );
                let (mut socket, _) =
                    tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
                match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) if t.contains("\"connected\"") => Ok(socket),
                    other => bail!("expected a connected frame, got {other:?}"),
                }
            }
        })
        .buffer_unordered(connect_concurrency.max(1))
        .collect()
        .await;
    let connect_s = connect_started.elapsed().as_secs_f64();
    let sockets = connected.into_iter().collect::<Result<Vec<_>>>()?;

    // Every reader waits for the message before the send starts.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let mut readers = Vec::with_capacity(sockets.len());
    for mut socket in sockets {
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(msg)) = socket.next().await {
                if let Message::Text(t) = msg {
                    if t.contains("\"message\"") {
                        let _ = tx.send(Instant::now());
                        break;
                    }
                }
            }
            let _ = socket.close(None).await;
        }));
    }
    drop(tx);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let url = format!(
        "{}/api/hubs/{}/:send?api-version={DEFAULT_API_VERSION}",
        cs.endpoint,
        encode(hub)
    );
    let auth = format!("Bearer {}", signer.rest_token(&url)?.expose());
    let http = reqwest::Client::new();
    let sent = Instant::now();
    let resp = http
        .post(&url)
        .header("Authorization", auth)
        .header("Content-Type", "text/plain")
        .body("fan-out")
        .send()
        .await?;
    let rest_ms = sent.elapsed().as_secs_f64() * 1e3;
    let status = resp.status().as_u16();
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
    println!("{}", fanout(&cs, "chat", 400, 128).await?);
    emulator.shutdown().await;
    Ok(())
}

//! `wps tunnel`: the client end of the service's server tunnel, forwarding the hub's
//! event-handler requests to a local server, as the Node tool `awps-tunnel run` does.
//!
//! One tunnel connection at a time. Requests run concurrently (at most `--max-concurrency`
//! upstream calls; beyond [`MAX_QUEUED`] waiting, a request is answered 503 at once, so a
//! burst cannot grow memory without bound), answers go back in any order (they carry their
//! AckId). After a drop it reconnects with a fresh token after a jittered, doubling delay
//! (the client's retry base and cap: 0.8 s to 30 s; `WPS_TEST_RETRY_BASE_MS` shortens it);
//! a ConnectionReconnect reconnects at once where it says, a ConnectionClose ends the
//! command. Refused before it ever connected (401, 403, 404: wrong key, hub or endpoint), it
//! fails instead of retrying forever. The socket, the token and the TLS roots come from the
//! client module; this file only runs the loop and prints.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::{ExitStatus, SUCCESS};
use crate::cli::TunnelArgs;
use crate::client::tunnel::{self as wire, Forwarder, HttpRequest, HttpResponse, Message};
use crate::client::{operations, Client, ClientError};
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

/// Requests received and not yet answered, running or waiting for a slot.
const MAX_QUEUED: usize = 1024;
/// Answers queued for the socket.
const OUTBOX: usize = 64;
/// How long one frame may take to write before the connection counts as broken.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(settings: &Settings, printer: &Printer, args: TunnelArgs) -> Result<ExitStatus> {
    let TunnelArgs {
        upstream,
        max_concurrency,
    } = args;
    let hub = settings.hub()?.to_string();
    operations::validate_hub(&hub)?;
    let client = settings.client()?;
    let forwarder = Forwarder::new(&upstream, client.options().timeout)?;
    // The tunnel client's id: the `sub` of its tokens, the same across reconnects.
    let id = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        rand::random::<u32>(),
        rand::random::<u16>(),
        rand::random::<u16>(),
        rand::random::<u16>(),
        rand::random::<u64>() & 0xffff_ffff_ffff
    );
    let ctx = Context {
        client,
        hub,
        id,
        upstream,
        forwarder,
        permits: Arc::new(Semaphore::new(max_concurrency as usize)),
        format: printer.format(),
        verbose: printer.verbose(),
    };
    let mut shutdown = std::pin::pin!(super::emulator::shutdown_signal());
    let mut redirect = Redirect::default();
    let mut ever_connected = false;
    let mut failures = 0u32;
    loop {
        let why = match serve(&ctx, printer, &redirect, shutdown.as_mut()).await {
            Ended::Stopped => return Ok(SUCCESS),
            Ended::Closed(message) => {
                printer.status(format_args!("the service closed the tunnel: {message}"));
                return Ok(SUCCESS);
            }
            Ended::Reconnect(to) => {
                printer.status(format_args!(
                    "the service asked to reconnect{}",
                    to.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ));
                redirect = to;
                failures = 0;
                continue;
            }
            Ended::Dropped { connected, error } => {
                ever_connected |= connected;
                if connected {
                    failures = 0;
                }
                if let (false, Some(e)) = (ever_connected, refusal(&error)) {
                    return Err(e.into());
                }
                error.to_string()
            }
        };
        failures += 1;
        let delay = backoff(ctx.client.options(), failures);
        printer.status(format_args!(
            "tunnel: {why}; reconnecting in {:.1} s",
            delay.as_secs_f64()
        ));
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = &mut shutdown => return Ok(SUCCESS),
        }
    }
}

/// What a refused first connection means: the service said no (not a network failure).
fn refusal(error: &TunnelError) -> Option<ClientError> {
    match error {
        TunnelError::Client(
            e @ ClientError::Status {
                status: 401 | 403 | 404,
                ..
            },
        ) => Some(e.clone()),
        TunnelError::Client(e @ (ClientError::Invalid(_) | ClientError::Signing(_))) => {
            Some(e.clone())
        }
        _ => None,
    }
}

/// Full jitter over a doubling delay: between half and all of base × 2^(n-1), capped.
fn backoff(options: &crate::client::ClientOptions, failures: u32) -> Duration {
    let ceiling = options
        .retry_base_delay
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(options.retry_max_delay);
    ceiling.mul_f64(rand::random_range(0.5..=1.0))
}

struct Context {
    client: Client,
    hub: String,
    id: String,
    upstream: String,
    forwarder: Forwarder,
    permits: Arc<Semaphore>,
    format: OutputFormat,
    verbose: u8,
}

/// Where the next connection goes (the service's ConnectionReconnect says).
#[derive(Debug, Default, Clone)]
struct Redirect {
    endpoint: Option<String>,
    target: Option<String>,
    message: Option<String>,
}

enum Ended {
    /// Ctrl-C or SIGTERM: the connection was closed cleanly.
    Stopped,
    /// ConnectionClose: stop.
    Closed(String),
    /// ConnectionReconnect: connect again at once, there.
    Reconnect(Redirect),
    /// The connection failed or broke; `connected` when it had been established.
    Dropped { connected: bool, error: TunnelError },
}

#[derive(Debug)]
enum TunnelError {
    Client(ClientError),
    Other(String),
}

impl std::fmt::Display for TunnelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TunnelError::Client(e) => write!(f, "{e}"),
            TunnelError::Other(s) => f.write_str(s),
        }
    }
}

fn dropped(connected: bool, why: impl Into<String>) -> Ended {
    Ended::Dropped {
        connected,
        error: TunnelError::Other(why.into()),
    }
}

/// One connection: open, wait for ConnectionConnected, serve until it ends or `stop` fires
/// (then the socket is closed with a close frame, so the service sees a clean goodbye).
async fn serve(
    ctx: &Context,
    printer: &Printer,
    redirect: &Redirect,
    mut stop: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
) -> Ended {
    let opening = ctx.client.open_tunnel(
        &ctx.hub,
        redirect.endpoint.as_deref(),
        redirect.target.as_deref(),
        &ctx.id,
    );
    let opened = tokio::select! {
        o = opening => o,
        _ = stop.as_mut() => return Ended::Stopped,
    };
    let socket = match opened {
        Ok(s) => s,
        Err(e) => {
            return Ended::Dropped {
                connected: false,
                error: TunnelError::Client(e),
            }
        }
    };
    let (mut sink, mut stream) = socket.split();
    // The handshake ends with ConnectionConnected; nothing else is served before it.
    let handshake = tokio::time::timeout(ctx.client.options().timeout, async {
        while let Some(m) = stream.next().await {
            let Ok(WsMessage::Binary(frame)) = m else {
                if matches!(m, Err(_) | Ok(WsMessage::Close(_))) {
                    return None;
                }
                continue;
            };
            match wire::decode(&frame) {
                Ok(Message::ConnectionConnected { connection_id, .. }) => {
                    return Some(Ok(connection_id))
                }
                Ok(Message::ConnectionClose { message }) => return Some(Err(message)),
                _ => {}
            }
        }
        None
    });
    let connected = tokio::select! {
        c = handshake => c,
        _ = stop.as_mut() => {
            let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.send(WsMessage::Close(None))).await;
            return Ended::Stopped;
        }
    };
    let connection_id = match connected {
        Ok(Some(Ok(id))) => id,
        Ok(Some(Err(message))) => return Ended::Closed(message),
        Ok(None) => return dropped(false, "the tunnel closed before it was connected"),
        Err(_) => {
            return dropped(
                false,
                "the service did not complete the tunnel handshake in time",
            )
        }
    };
    printer.status(format_args!(
        "tunnel connected to hub '{}' (connection {connection_id}); forwarding to {} (Ctrl-C stops)",
        ctx.hub, ctx.upstream
    ));
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(OUTBOX);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.as_mut() => {
                let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.send(WsMessage::Close(None))).await;
                return Ended::Stopped;
            }
            Some(frame) = rx.recv() => {
                match tokio::time::timeout(WRITE_TIMEOUT, sink.send(WsMessage::Binary(frame.into()))).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return dropped(true, format!("the tunnel broke: {e}")),
                    Err(_) => return dropped(true, "the service stopped reading the tunnel"),
                }
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            m = stream.next() => {
                let frame = match m {
                    None => return dropped(true, "the service closed the tunnel connection"),
                    Some(Err(e)) => return dropped(true, format!("the tunnel broke: {e}")),
                    Some(Ok(WsMessage::Binary(frame))) => frame,
                    Some(Ok(WsMessage::Close(c))) => {
                        let why = c.map(|c| format!(" ({} {})", u16::from(c.code), c.reason)).unwrap_or_default();
                        return dropped(true, format!("the service closed the tunnel connection{why}"));
                    }
                    Some(Ok(_)) => continue,
                };
                match wire::decode(&frame) {
                    Err(e) => return dropped(true, format!("the service sent a frame that does not decode: {e}")),
                    Ok(Message::HttpRequest(request)) => {
                        if tasks.len() >= MAX_QUEUED {
                            let busy = busy(&request);
                            let _ = tx.try_send(wire::encode(&Message::HttpResponse(busy)));
                            continue;
                        }
                        tasks.spawn(forward(
                            ctx.forwarder.clone(),
                            ctx.permits.clone(),
                            request,
                            tx.clone(),
                            ctx.format,
                        ));
                    }
                    Ok(Message::ConnectionReconnect(r)) => {
                        return Ended::Reconnect(Redirect {
                            endpoint: r.endpoint.filter(|e| !e.is_empty()),
                            target: r.target_id.filter(|t| !t.is_empty()),
                            message: r.message,
                        })
                    }
                    Ok(Message::ConnectionClose { message }) => return Ended::Closed(message),
                    Ok(Message::ServiceStatus { message }) => {
                        printer.status(format_args!("service: {message}"));
                    }
                    Ok(Message::ConnectionRebalance(r)) => {
                        // One connection carries everything here; the service balances without it.
                        if ctx.verbose > 0 {
                            eprintln!("tunnel: the service offered another connection ({}); staying on this one", r.message.unwrap_or_default());
                        }
                    }
                    Ok(Message::ConnectionConnected { .. } | Message::HttpResponse(_)) => {}
                }
            }
        }
    }
}

fn busy(request: &HttpRequest) -> HttpResponse {
    HttpResponse {
        ack_id: request.ack_id,
        local_routing: request.local_routing,
        status_code: 503,
        channel_name: request.channel_name.clone(),
        not_completed: false,
        headers: Default::default(),
        content: bytes::Bytes::from_static(b"wps tunnel has too many requests waiting"),
    }
}

/// Forwards one request when a slot is free, prints its line and queues its answer.
async fn forward(
    forwarder: Forwarder,
    permits: Arc<Semaphore>,
    request: HttpRequest,
    tx: mpsc::Sender<Vec<u8>>,
    format: OutputFormat,
) {
    let Ok(_permit) = permits.acquire_owned().await else {
        return;
    };
    let started = Instant::now();
    let forwarded = forwarder.forward(&request).await;
    let line = Line {
        method: &request.method,
        path: path_of(&request.url),
        event: header(&request, "ce-type"),
        status: forwarded.response.status_code,
        ms: started.elapsed().as_secs_f64() * 1000.0,
        error: forwarded.error.as_deref(),
    };
    print_line(&line, format);
    // Fails only when the connection has ended; the request dies with it, as the service's do.
    let _ = tx
        .send(wire::encode(&Message::HttpResponse(forwarded.response)))
        .await;
}

/// One request, as printed.
#[derive(Debug, Serialize)]
struct Line<'a> {
    method: &'a str,
    path: String,
    /// The CloudEvents type (`azure.webpubsub.sys.connect`), if the request has one.
    event: Option<&'a str>,
    status: u16,
    ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

fn print_line(line: &Line<'_>, format: OutputFormat) {
    let text = match format {
        OutputFormat::Json => serde_json::to_string(line).unwrap_or_default(),
        OutputFormat::Table => {
            let mut t = format!(
                "{:<7} {:<32} {:<36} {:>3} {:>8.1} ms",
                line.method,
                line.path,
                line.event.unwrap_or("-"),
                line.status,
                line.ms
            );
            if let Some(e) = line.error {
                t.push_str("  ");
                t.push_str(e);
            }
            crate::term::escape_control(&t).into_owned()
        }
    };
    // A closed stdout (a pipe whose reader left) loses lines, not the requests.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// The path of a request's Url (an absolute URL or a bare path).
fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.path().to_string(),
        Err(_) => url.split('?').next().unwrap_or("").to_string(),
    }
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let options = crate::client::ClientOptions {
            retry_base_delay: Duration::from_millis(100),
            retry_max_delay: Duration::from_millis(1000),
            ..Default::default()
        };
        for (n, ceiling) in [(1, 100), (2, 200), (3, 400), (5, 1000), (40, 1000)] {
            let d = backoff(&options, n).as_millis();
            assert!(d >= ceiling / 2 && d <= ceiling, "{n}: {d}");
        }
    }

    #[test]
    fn lines_name_the_path_and_event() {
        assert_eq!(path_of("http://h:1/eventhandler/x?a=b"), "/eventhandler/x");
        assert_eq!(path_of("/p?q"), "/p");
        let mut r = HttpRequest::default();
        r.headers
            .insert("Ce-Type".into(), vec!["azure.webpubsub.sys.connect".into()]);
        assert_eq!(header(&r, "ce-type"), Some("azure.webpubsub.sys.connect"));
    }
}

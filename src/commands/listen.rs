//! `wps listen`: connect as a client and print what arrives, one JSON object a line.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{ExitStatus, SUCCESS};
use crate::cli::ListenArgs;
use crate::client::subscriber::{Event, Subscriber};
use crate::client::Protocol;
use crate::client::{client_access_token, now_secs, operations, ClientTokenRequest, KeySigner};
use crate::error::{code, CliError};
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

/// Reconnection attempts after a dropped connection before giving up.
const MAX_RECONNECTS: u32 = 5;

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    args: ListenArgs,
    wait: Option<Duration>,
) -> Result<ExitStatus> {
    let ListenArgs {
        user,
        roles,
        groups,
        count,
        reliable,
        raw,
        subprotocol,
    } = args;
    let hub = settings.hub()?.to_string();
    operations::validate_hub(&hub)?;
    for g in &groups {
        operations::validate_group(g)?;
    }
    let subprotocol = match (raw, reliable, subprotocol) {
        (true, _, _) => None,
        (_, true, _) => Some(Protocol::JSON_RELIABLE.to_string()),
        (_, _, Some(p)) => Some(p),
        _ => Some(Protocol::JSON.to_string()),
    };
    let is_reliable = Protocol::from_subprotocol(subprotocol.as_deref()).is_reliable();
    // Joining after connecting needs the right; grant exactly the groups asked for.
    let mut roles = roles;
    roles.extend(
        groups
            .iter()
            .map(|g| format!("webpubsub.joinLeaveGroup.{g}")),
    );
    let url = client_url(settings, &hub, user.as_deref(), &roles).await?;

    let deadline = wait.map(|w| Instant::now() + w);
    let mut events = Events {
        format: printer.format(),
        received: 0,
    };
    let mut session = Session::default();
    let mut reconnects = 0;
    let mut ack_id = 0u64;

    'connect: loop {
        let connect_url = match (&session.connection_id, &session.reconnection_token) {
            (Some(id), Some(token)) if is_reliable => format!(
                "{url}&awps_connection_id={}&awps_reconnection_token={}",
                operations::encode(id),
                operations::encode(token)
            ),
            _ => url.clone(),
        };
        let connecting = Subscriber::connect(&connect_url, subprotocol.as_deref());
        let mut socket = match until(deadline, connecting).await {
            None => return Ok(events.finish_timed_out(count)),
            Some(Ok(s)) => s,
            Some(Err(e)) if reconnects > 0 && reconnects < MAX_RECONNECTS => {
                if printer.verbose() > 0 {
                    eprintln!("reconnect failed: {e}");
                }
                reconnects += 1;
                tokio::time::sleep(backoff(reconnects)).await;
                continue 'connect;
            }
            Some(Err(e)) => return Err(e).context("could not connect as a client"),
        };
        if reconnects == 0 {
            printer.status(format_args!("listening on hub '{hub}' (Ctrl-C stops)"));
        }
        let mut ack_timer = tokio::time::interval(Duration::from_secs(1));
        loop {
            let event = tokio::select! {
                e = until(deadline, socket.next()) => e,
                _ = ack_timer.tick(), if is_reliable => {
                    if let Some(seq) = session.unacked_sequence.take() {
                        let _ = socket.send_json(&json!({"type": "sequenceAck", "sequenceId": seq})).await;
                    }
                    continue;
                }
                _ = tokio::signal::ctrl_c() => {
                    socket.close().await;
                    return Ok(ExitStatus(code::INTERRUPTED));
                }
            };
            let event = match event {
                None => return Ok(events.finish_timed_out(count)),
                Some(Ok(Some(e))) => e,
                Some(Ok(None)) | Some(Err(_)) => {
                    // The transport dropped without a close frame: reconnect (recover if reliable).
                    reconnects += 1;
                    if reconnects > MAX_RECONNECTS {
                        anyhow::bail!(crate::client::ClientError::Transport {
                            attempts: reconnects,
                            detail: "the client connection dropped and could not be re-established"
                                .into(),
                        });
                    }
                    tokio::time::sleep(backoff(reconnects)).await;
                    continue 'connect;
                }
            };
            match event {
                Event::Json(v) => {
                    let kind = v["type"].as_str().unwrap_or("").to_string();
                    let kind = kind.as_str();
                    if kind == "system" && v["event"] == "connected" {
                        let recovered = session.connection_id.is_some() && is_reliable;
                        session.connection_id = v["connectionId"].as_str().map(str::to_string);
                        session.reconnection_token = v["reconnectionToken"].as_str().map(str::to_string);
                        if !recovered {
                            for g in &groups {
                                ack_id += 1;
                                socket.send_json(&json!({"type": "joinGroup", "group": g, "ackId": ack_id})).await?;
                            }
                        }
                        reconnects = 0;
                    }
                    if kind == "message" {
                        if let Some(seq) = v["sequenceId"].as_u64() {
                            if seq <= session.last_sequence {
                                continue; // a replay of what we already printed
                            }
                            session.last_sequence = seq;
                            session.unacked_sequence = Some(seq);
                        }
                    }
                    if kind == "ack" && v["success"] == false && v["error"]["name"] != "Duplicate" {
                        eprintln!("warning: the service refused a request: {}", v["error"]["message"]);
                    }
                    if kind == "ack" || kind == "pong" {
                        continue;
                    }
                    let mut v = v;
                    if let Some(o) = v.as_object_mut() {
                        o.remove("sequenceId");
                        o.remove("reconnectionToken");
                    }
                    events.print(&v, kind == "message")?;
                }
                Event::Text(t) => events.print(&json!({"type": "message", "dataType": "text", "data": t}), true)?,
                Event::Binary(b) => events.print(
                    &json!({"type": "message", "dataType": "binary", "data": base64::engine::general_purpose::STANDARD.encode(b)}),
                    true,
                )?,
                Event::Closed { code: close_code, reason } => {
                    events.print(&json!({"type": "closed", "code": close_code, "reason": reason}), false)?;
                    if close_code == 1000 || close_code == 1008 {
                        eprintln!("the service closed the connection ({close_code}{})", if reason.is_empty() { String::new() } else { format!(": {reason}") });
                        return Ok(events.finish_closed(count));
                    }
                    reconnects += 1;
                    if reconnects > MAX_RECONNECTS {
                        anyhow::bail!(CliError::Usage(format!("the connection keeps closing ({close_code}: {reason})")));
                    }
                    tokio::time::sleep(backoff(reconnects)).await;
                    continue 'connect;
                }
            }
            if count.is_some_and(|n| events.received >= n) {
                socket.close().await;
                return Ok(SUCCESS);
            }
        }
    }
}

#[derive(Default)]
struct Session {
    connection_id: Option<String>,
    reconnection_token: Option<String>,
    last_sequence: u64,
    unacked_sequence: Option<u64>,
}

/// What has arrived: printed, and counted for `--count`.
struct Events {
    format: OutputFormat,
    received: u64,
}

impl Events {
    /// One line per event, flushed so it pipes.
    fn print(&mut self, v: &Value, is_message: bool) -> std::io::Result<()> {
        if is_message {
            self.received += 1;
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            OutputFormat::Json => writeln!(out, "{v}")?,
            OutputFormat::Table => writeln!(out, "{}", readable(v))?,
        }
        out.flush()
    }

    fn finish_timed_out(&self, count: Option<u64>) -> ExitStatus {
        let short = match count {
            Some(n) => self.received < n,
            None => self.received == 0,
        };
        if short {
            eprintln!(
                "error: timed out with {} message(s) received",
                self.received
            );
            ExitStatus(code::UNAVAILABLE)
        } else {
            SUCCESS
        }
    }

    fn finish_closed(&self, count: Option<u64>) -> ExitStatus {
        match count {
            Some(n) if self.received < n => {
                eprintln!(
                    "error: connection closed after {} of {n} message(s)",
                    self.received
                );
                ExitStatus(code::UNAVAILABLE)
            }
            _ => SUCCESS,
        }
    }
}

/// A one-line human rendering of an event for `--output table`.
fn readable(v: &Value) -> String {
    let data = match &v["data"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match v["type"].as_str().unwrap_or("") {
        "message" => {
            let from = match v["from"].as_str() {
                Some("group") => format!(
                    "group {}{}",
                    v["group"].as_str().unwrap_or("?"),
                    v["fromUserId"]
                        .as_str()
                        .map(|u| format!(" from {u}"))
                        .unwrap_or_default()
                ),
                Some(other) => other.to_string(),
                None => "server".into(),
            };
            format!(
                "[{from}] ({}) {data}",
                v["dataType"].as_str().unwrap_or("?")
            )
        }
        "system" => format!(
            "* {} {}",
            v["event"].as_str().unwrap_or("?"),
            v["connectionId"]
                .as_str()
                .or(v["message"].as_str())
                .unwrap_or("")
        ),
        "closed" => format!(
            "* closed {} {}",
            v["code"],
            v["reason"].as_str().unwrap_or("")
        ),
        _ => v.to_string(),
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)).min(5_000))
}

/// Runs `fut` until `deadline`; `None` when the deadline passed first.
async fn until<F: std::future::Future>(deadline: Option<Instant>, fut: F) -> Option<F::Output> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// A client access URL valid for an hour: signed locally with the key, or under Entra ID
/// issued by the service's `:generateToken`.
async fn client_url(
    settings: &Settings,
    hub: &str,
    user: Option<&str>,
    roles: &[String],
) -> Result<String> {
    let request = ClientTokenRequest {
        user: user.map(str::to_string),
        roles: roles.to_vec(),
        minutes_to_expire: 60,
        ..ClientTokenRequest::default()
    };
    if settings.is_entra() {
        let client = settings.client()?;
        return Ok(client.generate_client_token(hub, &request).await?.url);
    }
    let cs = settings.connection_string()?;
    let signer = KeySigner::new(&cs.access_key);
    Ok(client_access_token(&cs.endpoint, hub, &signer, &request, now_secs())?.url)
}

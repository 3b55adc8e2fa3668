//! `wps listen`: connect as a client and print what arrives, one JSON object a line.
//!
//! `client` builds on it and imports from here (the access URL, how frames are shown);
//! nothing here imports from `client`.

use std::io::Write;

use anyhow::{Context, Result};
use base64::Engine;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{ExitStatus, SUCCESS};
use crate::cli::ListenArgs;
use crate::client::session::{
    Session, SessionEvent, SessionOptions, DEFAULT_MAX_RECONNECTS, MAX_PROTOCOL_ERRORS,
};
use crate::client::subscriber::Event;
use crate::client::{
    client_access_token, now_secs, operations, ClientTokenRequest, KeySigner, Protocol,
};
use crate::error::code;
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    args: ListenArgs,
    timeout_given: bool,
) -> Result<ExitStatus> {
    let ListenArgs {
        user,
        roles,
        groups,
        count,
        within,
        reliable,
        raw,
        subprotocol,
    } = args;
    if timeout_given && within.is_none() {
        // --timeout once bounded the whole wait: a script written for that must not wait on
        // without a word.
        printer.status(
            "note: --timeout bounds each connection attempt; --within SECS bounds the whole wait",
        );
    }
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
    // Joining after connecting needs the right; grant exactly the groups asked for.
    let mut roles = roles;
    roles.extend(
        groups
            .iter()
            .map(|g| format!("webpubsub.joinLeaveGroup.{g}")),
    );
    let request = ClientTokenRequest {
        user,
        roles,
        minutes_to_expire: 60,
        ..ClientTokenRequest::default()
    };
    let url = client_url(settings, &hub, &request).await?;

    let deadline = within.map(|w| Instant::now() + w);
    let mut events = Events {
        format: printer.format(),
        received: 0,
    };
    let mut ack_id = 0u64;
    let options = SessionOptions {
        url,
        subprotocol,
        max_reconnects: DEFAULT_MAX_RECONNECTS,
        attempt_timeout: settings.client_options.timeout,
    };
    let mut session = match until(deadline, Session::connect(options)).await {
        None => return Ok(events.finish_timed_out(count)),
        Some(connected) => connected.context("could not connect as a client")?,
    };
    printer.status(format_args!("listening on hub '{hub}' (Ctrl-C stops)"));
    let sender = session.sender();
    loop {
        let event = tokio::select! {
            e = until(deadline, session.next()) => e,
            _ = tokio::signal::ctrl_c() => {
                session.close().await;
                return Ok(ExitStatus(code::INTERRUPTED));
            }
        };
        let event = match event {
            None => return Ok(events.finish_timed_out(count)),
            // Closed by the service; the close frame has been printed.
            Some(None) => return Ok(events.finish_closed(count)),
            Some(Some(e)) => e,
        };
        match event {
            SessionEvent::Failed(e) => return Err(e.into()),
            SessionEvent::Reconnecting { reason, .. } => {
                if printer.verbose() > 0 {
                    eprintln!("reconnecting: {reason}");
                }
            }
            // Not only under -v: unlike a drop, it is the server's fault and worth knowing.
            SessionEvent::ProtocolError { error, in_a_row } => {
                eprintln!("warning: {error}; reconnecting ({in_a_row} of {MAX_PROTOCOL_ERRORS} in a row before giving up)");
            }
            SessionEvent::Reopened { .. } => {}
            SessionEvent::Connected { frame, recovered } => {
                if !recovered {
                    for g in &groups {
                        ack_id += 1;
                        let join = json!({"type": "joinGroup", "group": g, "ackId": ack_id});
                        // Fails only once the session has ended, which `next` reports.
                        let _ = sender.send(join.to_string()).await;
                    }
                }
                events.print(&printable(frame), false)?;
            }
            SessionEvent::Frame(Event::Json(v)) => {
                let kind = v["type"].as_str().unwrap_or("");
                if kind == "ack" && v["success"] == false && v["error"]["name"] != "Duplicate" {
                    eprintln!("warning: the service refused a request: {}", v["error"]["message"]);
                }
                if kind == "ack" || kind == "pong" {
                    continue;
                }
                let is_message = kind == "message";
                events.print(&printable(v), is_message)?;
            }
            SessionEvent::Frame(Event::Text(t)) => events.print(&json!({"type": "message", "dataType": "text", "data": t}), true)?,
            SessionEvent::Frame(Event::Binary(b)) => events.print(
                &json!({"type": "message", "dataType": "binary", "data": base64::engine::general_purpose::STANDARD.encode(b)}),
                true,
            )?,
            SessionEvent::Frame(Event::Closed { code: close_code, reason }) => {
                events.print(&json!({"type": "closed", "code": close_code, "reason": reason}), false)?;
                if close_code == 1000 || close_code == 1008 {
                    eprintln!("the service closed the connection ({close_code}{})", if reason.is_empty() { String::new() } else { format!(": {reason}") });
                }
            }
        }
        if count.is_some_and(|n| events.received >= n) {
            session.close().await;
            return Ok(SUCCESS);
        }
    }
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

/// A one-line human rendering of an event for `--output table` (`client` uses it too).
pub(super) fn readable(v: &Value) -> String {
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

/// Runs `fut` until `deadline`; `None` when the deadline passed first.
async fn until<F: std::future::Future>(deadline: Option<Instant>, fut: F) -> Option<F::Output> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// A client access URL valid for an hour: signed locally with the key, or under Entra ID
/// issued by the service's `:generateToken`. `client` connects with it too.
pub(super) async fn client_url(
    settings: &Settings,
    hub: &str,
    request: &ClientTokenRequest,
) -> Result<String> {
    if settings.is_entra() {
        let client = settings.client()?;
        return Ok(client.generate_client_token(hub, request).await?.url);
    }
    let cs = settings.connection_string()?;
    let signer = KeySigner::new(&cs.access_key);
    Ok(client_access_token(&cs.endpoint, hub, &signer, request, now_secs())?.url)
}

/// A frame as printed, by `client` too: what resuming needs (sequence ids, the reconnection
/// token) stays inside.
pub(super) fn printable(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("sequenceId");
        o.remove("reconnectionToken");
    }
    v
}

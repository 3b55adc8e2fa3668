//! `wps client`: a two-way client for trying a hub by hand or from a script.
//!
//! The connection is `listen`'s ([`Session`]: reconnects, resumes a reliable connection).
//! This module owns the command's run and its session loop: input lines become protocol
//! frames with ackIds ([`commands`]), what arrives is printed (the shapes `listen` prints,
//! acks included; [`out`]), and the acks are scored for the exit status. Input comes from a
//! thread of its own: a plain stdin reader ([`input`]) or, on a terminal, a rustyline prompt
//! ([`terminal`]).

mod commands;
mod input;
mod out;
mod terminal;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use self::commands::{parse_line, protobuf_form, Parsed};
use self::input::{read_stdin, Input};
use self::out::Out;
use super::listen::{client_url, printable};
use super::{ExitStatus, SUCCESS};
use crate::cli::ClientArgs;
use crate::client::session::{
    Session, SessionEvent, SessionOptions, DEFAULT_MAX_RECONNECTS, MAX_PROTOCOL_ERRORS,
};
use crate::client::subscriber::Event;
use crate::client::{operations, ClientError, ClientTokenRequest, Protocol};
use crate::error::{code, CliError};
use crate::settings::Settings;
use crate::term::Printer;

/// Requests awaiting their ack; at the cap, input waits until acks come back.
pub const MAX_OUTSTANDING_ACKS: usize = 1000;
/// The same for their size: the session keeps each until its ack, to send it again after a
/// drop.
pub const MAX_OUTSTANDING_BYTES: usize = 16 * 1024 * 1024;
/// Lines read ahead of what has been sent.
const INPUT_QUEUE: usize = 16;

pub async fn run(settings: &Settings, printer: &Printer, args: ClientArgs) -> Result<ExitStatus> {
    let ClientArgs {
        user,
        roles,
        groups,
        subprotocol,
        url,
        ack_wait,
    } = args;
    let protocol = match subprotocol.as_str() {
        "json.reliable" => Protocol::JsonReliable,
        "protobuf" => Protocol::Protobuf,
        "protobuf.reliable" => Protocol::ProtobufReliable,
        "raw" => Protocol::Raw,
        _ => Protocol::Json,
    };
    let (hub, url) = match url {
        Some(url) => {
            let url = websocket_url(&url)?;
            (hub_of(&url), url)
        }
        None => {
            let hub = settings.hub()?.to_string();
            operations::validate_hub(&hub)?;
            for g in &groups {
                operations::validate_group(g)?;
            }
            let request = ClientTokenRequest {
                user,
                roles,
                groups: groups.clone(),
                minutes_to_expire: 60,
                ..ClientTokenRequest::default()
            };
            let url = client_url(settings, &hub, &request).await?;
            (hub, url)
        }
    };
    let options = SessionOptions {
        url,
        subprotocol: protocol.name().map(str::to_string),
        max_reconnects: DEFAULT_MAX_RECONNECTS,
        attempt_timeout: settings.client_options.timeout,
    };
    let session = Session::connect(options)
        .await
        .context("could not connect as a client")?;

    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let known_groups = Arc::new(Mutex::new(groups.iter().cloned().collect::<BTreeSet<_>>()));
    let (input_tx, input) = mpsc::channel(INPUT_QUEUE);
    let terminal = if interactive {
        let prompt = format!("{hub}> ");
        match terminal::start(
            prompt,
            protocol == Protocol::Raw,
            input_tx.clone(),
            &known_groups,
        ) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("warning: no line editing on this terminal ({e}); reading plain lines");
                None
            }
        }
    } else {
        None
    };
    if terminal.is_none() {
        read_stdin(input_tx);
    }
    let out = Out {
        format: printer.format(),
        quiet: printer.is_quiet(),
        terminal: terminal.as_ref().map(|t| t.printer.clone()),
    };
    let client = Client {
        raw: protocol == Protocol::Raw,
        protobuf: protocol.is_protobuf(),
        interactive: terminal.is_some(),
        out,
        next_ack: 1,
        outstanding: BTreeMap::new(),
        outstanding_bytes: 0,
        failed: 0,
        bad_lines: 0,
        lines: 0,
        joined: BTreeSet::new(),
        known_groups,
        queue: VecDeque::new(),
        connected_once: false,
    };
    let name = protocol.name().unwrap_or("plain WebSocket");
    let how = if terminal.is_some() {
        "type `help` for the commands, Ctrl-D to end"
    } else {
        "reading commands from stdin"
    };
    client
        .out
        .note(format!("connected to hub '{hub}' ({name}); {how}"))
        .await;
    client.run(session, input, terminal, ack_wait).await
}

/// How the main loop ended.
enum Outcome {
    /// Input ended and every ack came (or there were none).
    Done,
    /// Input ended and `--ack-wait` passed with acks outstanding.
    TimedOut,
    /// The service closed the connection.
    Ended,
    /// Reconnecting failed.
    Failed(ClientError),
    Interrupted,
}

struct Client {
    raw: bool,
    /// Requests go out as protobuf: a typed frame must have a protobuf form.
    protobuf: bool,
    interactive: bool,
    out: Out,
    next_ack: u64,
    /// ackId -> the command it answers, e.g. "join g1", and the frame's size.
    outstanding: BTreeMap<u64, (String, usize)>,
    outstanding_bytes: usize,
    failed: u64,
    bad_lines: u64,
    lines: u64,
    /// Groups joined by command (and not left), joined again on a new connection.
    joined: BTreeSet<String>,
    /// Groups offered by tab completion: `--group` and those joined.
    known_groups: Arc<Mutex<BTreeSet<String>>>,
    /// Frames waiting for room in the session's send queue.
    queue: VecDeque<String>,
    connected_once: bool,
}

impl Client {
    async fn run(
        mut self,
        mut session: Session,
        mut input: mpsc::Receiver<Input>,
        terminal: Option<terminal::Terminal>,
        wait: Duration,
    ) -> Result<ExitStatus> {
        let sender = session.sender();
        let mut input_open = true;
        // The input thread has returned (end of input, `quit`, Ctrl-C at the prompt).
        let mut input_ended = false;
        let mut deadline: Option<Instant> = None;
        let outcome = loop {
            if !input_open && self.queue.is_empty() && self.outstanding.is_empty() {
                break Outcome::Done;
            }
            let read_more = input_open
                && self.queue.is_empty()
                && self.outstanding.len() < MAX_OUTSTANDING_ACKS
                && self.outstanding_bytes < MAX_OUTSTANDING_BYTES;
            tokio::select! {
                event = session.next() => match event {
                    None => break Outcome::Ended,
                    Some(SessionEvent::Failed(e)) => break Outcome::Failed(e),
                    Some(event) => self.on_event(event).await?,
                },
                permit = sender.reserve(), if !self.queue.is_empty() => {
                    // An error means the session ended; `next` says why.
                    if let (Ok(permit), Some(frame)) = (permit, self.queue.pop_front()) {
                        permit.send(frame);
                    }
                }
                line = input.recv(), if read_more => match line {
                    Some(Input::Line(line)) => {
                        if !self.on_line(&line).await {
                            // `quit`: the prompt thread has returned; a stdin reader just stops.
                            input_ended = true;
                            input_open = false;
                        }
                    }
                    Some(Input::Unreadable(why)) => {
                        self.lines += 1;
                        self.bad_line(why.to_string()).await;
                    }
                    Some(Input::Error(e)) => {
                        self.out.error(format!("could not read stdin: {e}")).await;
                        self.bad_lines += 1;
                    }
                    Some(Input::Interrupt) => {
                        input_ended = true;
                        break Outcome::Interrupted;
                    }
                    Some(Input::Eof) | None => {
                        input_ended = true;
                        input_open = false;
                    }
                },
                _ = until(deadline) => break Outcome::TimedOut,
                _ = tokio::signal::ctrl_c() => break Outcome::Interrupted,
            }
            if !input_open && deadline.is_none() {
                deadline = Some(Instant::now() + wait);
            }
        };
        drop(sender);
        match &outcome {
            Outcome::Done | Outcome::TimedOut | Outcome::Interrupted => session.close().await,
            Outcome::Ended | Outcome::Failed(_) => {}
        }
        if let Some(terminal) = terminal {
            terminal.finish(input, input_ended, &self.out).await;
        }
        self.status(outcome, input_open, wait)
    }

    /// The exit status, with the reason on stderr: a lost connection (6) before a refused
    /// request (5) before an unreadable line (2).
    fn status(self, outcome: Outcome, input_open: bool, wait: Duration) -> Result<ExitStatus> {
        match outcome {
            Outcome::Interrupted => return Ok(ExitStatus(code::INTERRUPTED)),
            Outcome::Failed(e) => return Err(e).context("the connection failed"),
            Outcome::Ended if input_open => {
                eprintln!("error: the service closed the connection before the end of input");
                return Ok(ExitStatus(code::UNAVAILABLE));
            }
            Outcome::Done | Outcome::TimedOut | Outcome::Ended => {}
        }
        if !self.outstanding.is_empty() {
            let missing: Vec<String> = self
                .outstanding
                .iter()
                .take(10)
                .map(|(id, (what, _))| format!("{id} ({what})"))
                .collect();
            eprintln!(
                "error: no ack within {:.1} s for {} request(s): ackId {}{}",
                wait.as_secs_f64(),
                self.outstanding.len(),
                missing.join(", "),
                if self.outstanding.len() > 10 {
                    ", ..."
                } else {
                    ""
                }
            );
            return Ok(ExitStatus(code::UNAVAILABLE));
        }
        if self.failed > 0 {
            eprintln!("error: the service refused {} request(s)", self.failed);
            return Ok(ExitStatus(code::REJECTED));
        }
        if self.bad_lines > 0 {
            eprintln!(
                "error: {} line(s) were not commands and were skipped",
                self.bad_lines
            );
            return Ok(ExitStatus(code::USAGE));
        }
        Ok(SUCCESS)
    }

    /// Handles one input line; false when it ends the input (`quit`).
    async fn on_line(&mut self, line: &str) -> bool {
        self.lines += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        match parse_line(line, self.raw, &mut self.next_ack) {
            Ok(Parsed::Nothing) => {}
            Ok(Parsed::Help) => self.out.help().await,
            Ok(Parsed::Quit) => return false,
            Ok(Parsed::Send { frame, ack }) => {
                if self.protobuf {
                    if let Err(why) = protobuf_form(&frame) {
                        self.bad_line(why).await;
                        return true;
                    }
                }
                if let Some((id, what)) = ack {
                    self.expect_ack(id, what, frame.len());
                }
                self.queue.push_back(frame);
            }
            Err(why) => self.bad_line(why).await,
        }
        true
    }

    async fn bad_line(&mut self, why: String) {
        if self.interactive {
            // A typo at the prompt is said and forgotten; in a script it is a failure.
            self.out.error(format!("{why} (type `help`)")).await;
        } else {
            self.bad_lines += 1;
            self.out
                .error(format!("line {}: {why}; skipped", self.lines.max(1)))
                .await;
        }
    }

    async fn on_event(&mut self, event: SessionEvent) -> std::io::Result<()> {
        match event {
            SessionEvent::Connected { frame, recovered } => {
                if !recovered && self.connected_once {
                    self.rejoin().await;
                }
                self.connected_once = true;
                self.out.frame(&printable(frame), None).await
            }
            SessionEvent::Frame(Event::Json(v)) => {
                let what = if v["type"] == "ack" {
                    self.on_ack(&v)
                } else {
                    None
                };
                self.out.frame(&printable(v), what.as_deref()).await
            }
            SessionEvent::Frame(Event::Text(t)) => {
                let v = json!({"type": "message", "dataType": "text", "data": t});
                self.out.frame(&v, None).await
            }
            SessionEvent::Frame(Event::Binary(b)) => {
                let data = base64::engine::general_purpose::STANDARD.encode(b);
                let v = json!({"type": "message", "dataType": "binary", "data": data});
                self.out.frame(&v, None).await
            }
            SessionEvent::Frame(Event::Closed { code, reason }) => {
                let v = json!({"type": "closed", "code": code, "reason": reason});
                self.out.frame(&v, None).await?;
                if code == 1000 || code == 1008 {
                    let reason = if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    };
                    self.out
                        .note(format!(
                            "the service closed the connection ({code}{reason})"
                        ))
                        .await;
                }
                Ok(())
            }
            SessionEvent::Reconnecting { attempt, reason } => {
                self.out
                    .note(format!(
                        "connection lost ({reason}); reconnecting ({attempt} of {DEFAULT_MAX_RECONNECTS})"
                    ))
                    .await;
                Ok(())
            }
            SessionEvent::ProtocolError { error, in_a_row } => {
                // A warning, not a note: it is the server's fault, and --quiet keeps it.
                self.out
                    .say(format!(
                        "warning: {error}; reconnecting ({in_a_row} of {MAX_PROTOCOL_ERRORS} in a row before giving up)"
                    ))
                    .await;
                Ok(())
            }
            SessionEvent::Reopened { recovered } => {
                let how = if recovered {
                    "the connection resumed, nothing lost"
                } else {
                    "as a new connection"
                };
                self.out.note(format!("reconnected: {how}")).await;
                Ok(())
            }
            // The loop ends on it before handing it here.
            SessionEvent::Failed(_) => Ok(()),
        }
    }

    /// Settles an ack; returns the command it answers.
    fn on_ack(&mut self, v: &Value) -> Option<String> {
        let id = v["ackId"].as_u64()?;
        let (what, size) = self.outstanding.remove(&id)?;
        self.outstanding_bytes -= size;
        // Duplicate: the service had already done it (a resend after a drop).
        let ok = v["success"] == true || v["error"]["name"] == "Duplicate";
        if !ok {
            self.failed += 1;
        } else if let Some(group) = what.strip_prefix("join ") {
            self.joined.insert(group.to_string());
            if let Ok(mut known) = self.known_groups.lock() {
                known.insert(group.to_string());
            }
        } else if let Some(group) = what.strip_prefix("leave ") {
            self.joined.remove(group);
        }
        Some(what)
    }

    /// A new connection is in none of the groups joined by command: join them again, as the
    /// SDKs do.
    async fn rejoin(&mut self) {
        let groups: Vec<String> = self.joined.iter().cloned().collect();
        if groups.is_empty() {
            return;
        }
        self.out
            .note(format!("joining again: {}", groups.join(", ")))
            .await;
        for g in groups {
            if let Ok(Parsed::Send {
                frame,
                ack: Some((id, what)),
            }) = parse_line(&format!("join {g}"), false, &mut self.next_ack)
            {
                self.expect_ack(id, what, frame.len());
                self.queue.push_back(frame);
            }
        }
    }

    fn expect_ack(&mut self, id: u64, what: String, size: usize) {
        if let Some((_, old)) = self.outstanding.insert(id, (what, size)) {
            // A typed frame reused an id still awaiting its ack: one ack will settle both.
            self.outstanding_bytes -= old;
        }
        self.outstanding_bytes += size;
    }
}

/// Waits until `deadline`; forever without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// A `--url` as a WebSocket URL (`http[s]://` is taken for `ws[s]://`). The URL holds a
/// token, so an error shows only its scheme.
fn websocket_url(url: &str) -> Result<String, CliError> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(CliError::Usage(format!(
                "--url must start with ws://, wss://, http:// or https:// (not '{other}://')"
            )))
        }
    };
    Ok(format!("{scheme}://{rest}"))
}

/// The hub a client URL is for (`.../client/hubs/{hub}?...`), for the prompt.
fn hub_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path.rsplit_once("/hubs/") {
        Some((_, hub)) if !hub.is_empty() => hub.trim_end_matches('/').to_string(),
        _ => "wps".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            websocket_url("https://h.example/client/hubs/chat?access_token=x").unwrap(),
            "wss://h.example/client/hubs/chat?access_token=x"
        );
        assert_eq!(websocket_url("ws://h:1/x").unwrap(), "ws://h:1/x");
        let e = websocket_url("ftp://h/?access_token=secret").unwrap_err();
        assert!(!e.to_string().contains("secret"));
        assert_eq!(hub_of("ws://h/client/hubs/chat?access_token=x"), "chat");
        assert_eq!(hub_of("ws://h/other"), "wps");
    }
}

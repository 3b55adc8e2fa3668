//! `wps client`: a two-way client for trying a hub by hand or from a script.
//!
//! The connection is `listen`'s ([`Session`]: reconnects, resumes a reliable connection).
//! This file turns input lines into protocol frames with ackIds, prints what arrives (the
//! shapes `listen` prints, acks included) and keeps score of the acks for the exit status.
//!
//! Input comes from a plain thread, not Tokio's stdin: Tokio reads stdin on a blocking-pool
//! thread that cannot be cancelled, so a run that ends before its input (the service closed
//! the connection, Ctrl-C) would hang until one more line came. A plain thread just ends with
//! the process. On a terminal that thread runs a rustyline prompt; what arrives meanwhile is
//! printed above it through rustyline's `ExternalPrinter`, from a thread of its own since a
//! print waits for the prompt to take it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use base64::Engine;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::listen::{client_url, printable};
use super::{ExitStatus, SUCCESS};
use crate::cli::ClientArgs;
use crate::client::proto::json::upstream_from_json;
use crate::client::session::{
    Session, SessionEvent, SessionOptions, DEFAULT_MAX_RECONNECTS, MAX_PROTOCOL_ERRORS,
};
use crate::client::subscriber::Event;
use crate::client::{operations, ClientError, ClientTokenRequest, Protocol};
use crate::error::{code, CliError};
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

/// The longest input line: the service's 1 MiB frame limit, which any longer command would
/// pass anyway. Longer lines are reported and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Requests awaiting their ack; at the cap, input waits until acks come back.
pub const MAX_OUTSTANDING_ACKS: usize = 1000;
/// The same for their size: the session keeps each until its ack, to send it again after a
/// drop.
pub const MAX_OUTSTANDING_BYTES: usize = 16 * 1024 * 1024;
/// Connecting, and waiting for acks at the end of input, when `--timeout` is not given.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);
/// Lines read ahead of what has been sent.
const INPUT_QUEUE: usize = 16;
/// Lines waiting to be printed above the prompt.
const OUTPUT_QUEUE: usize = 256;

/// The commands, for `help` and tab completion.
const COMMANDS: [&str; 8] = [
    "join",
    "leave",
    "send",
    "send-json",
    "event",
    "event-json",
    "help",
    "quit",
];

const HELP: &str = "\
commands, one a line:
  join GROUP              join a group
  leave GROUP             leave a group
  send GROUP TEXT         send text to a group
  send-json GROUP JSON    send JSON to a group
  event NAME TEXT         send a user event with text to the event handler
  event-json NAME JSON    the same with JSON
  {...}                   send this protocol frame as it is
  help                    this list
  quit                    end, as Ctrl-D does: wait for the acks, then close
Each request carries an ackId; its ack is printed when it comes.";

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    args: ClientArgs,
    wait: Option<Duration>,
) -> Result<ExitStatus> {
    let ClientArgs {
        user,
        roles,
        groups,
        subprotocol,
        url,
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
    let wait = wait.unwrap_or(DEFAULT_WAIT);
    let options = SessionOptions {
        url,
        subprotocol: protocol.name().map(str::to_string),
        max_reconnects: DEFAULT_MAX_RECONNECTS,
    };
    let session = match tokio::time::timeout(wait, Session::connect(options)).await {
        Ok(connected) => connected,
        Err(_) => Err(ClientError::Timeout {
            attempts: 1,
            after: Some(wait),
        }),
    }
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
    client.run(session, input, terminal, wait).await
}

/// What the input thread hands over.
#[derive(Debug)]
enum Input {
    Line(String),
    /// A line that cannot be a command (too long, not UTF-8), skipped.
    Unreadable(&'static str),
    /// Reading stdin failed; the input ends.
    Error(String),
    Eof,
    /// Ctrl-C at the prompt.
    Interrupt,
}

/// How the main loop ended.
enum Outcome {
    /// Input ended and every ack came (or there were none).
    Done,
    /// Input ended and `--timeout` passed with acks outstanding.
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

/// Where output goes: stdout and stderr, or on a terminal above the prompt.
struct Out {
    format: OutputFormat,
    quiet: bool,
    terminal: Option<mpsc::Sender<String>>,
}

impl Out {
    /// One received frame: a JSON line, or readable (`what` names the command an ack
    /// answers).
    async fn frame(&self, v: &Value, what: Option<&str>) -> std::io::Result<()> {
        let text = match self.format {
            OutputFormat::Json => v.to_string(),
            OutputFormat::Table => readable(v, what),
        };
        match &self.terminal {
            Some(t) => {
                let _ = t.send(text).await;
                Ok(())
            }
            None => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{text}")?;
                out.flush()
            }
        }
    }

    /// Status text: stderr, or above the prompt. `-q` silences it.
    async fn note(&self, text: String) {
        if !self.quiet {
            self.say(format!("* {text}")).await;
        }
    }

    async fn error(&self, text: String) {
        self.say(format!("error: {text}")).await;
    }

    async fn help(&self) {
        self.say(HELP.to_string()).await;
    }

    async fn say(&self, text: String) {
        match &self.terminal {
            Some(t) => {
                let _ = t.send(text).await;
            }
            None => eprintln!("{text}"),
        }
    }
}

/// A frame for a person: an ack names the command it answers; the rest as `listen` shows
/// them. Nothing from the service may drive the terminal.
fn readable(v: &Value, what: Option<&str>) -> String {
    let text = match v["type"].as_str() {
        Some("ack") => {
            let id = &v["ackId"];
            let outcome = if v["success"] == true {
                "ok".to_string()
            } else {
                let name = v["error"]["name"].as_str().unwrap_or("failed");
                match v["error"]["message"].as_str() {
                    Some(m) if !m.is_empty() => format!("{name}: {m}"),
                    _ => name.to_string(),
                }
            };
            match what {
                Some(what) => format!("[ack {id}] {what}: {outcome}"),
                None => format!("[ack {id}] {outcome}"),
            }
        }
        Some("pong") => "* pong".to_string(),
        _ => super::listen::readable(v),
    };
    crate::output::escape_control(&text).into_owned()
}

/// What one input line asks for.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// A blank line or a `#` comment.
    Nothing,
    Help,
    Quit,
    /// A text frame to send, and the ack to wait for: its id and the command, e.g. "join g1".
    Send {
        frame: String,
        ack: Option<(u64, String)>,
    },
}

/// A client frame, fields in the order the SDKs send them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    ack_id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_type: Option<&'static str>,
    /// JSON as typed (kept exactly), or a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Box<RawValue>>,
}

/// Reads one line: on a raw connection it is the frame; otherwise a command (see [`HELP`]).
/// The ack id is taken from `next_ack` only for a frame that will be sent.
fn parse_line(line: &str, raw: bool, next_ack: &mut u64) -> Result<Parsed, String> {
    if raw {
        return Ok(Parsed::Send {
            frame: line.to_string(),
            ack: None,
        });
    }
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Parsed::Nothing);
    }
    if line.starts_with('{') {
        return protocol_frame(line, next_ack);
    }
    let (command, rest) = split_word(line);
    let (target, data) = split_word(rest);
    let (kind, text) = match command {
        "help" => return Ok(Parsed::Help),
        "quit" | "exit" => return Ok(Parsed::Quit),
        "join" | "leave" => {
            if target.is_empty() || !data.is_empty() {
                return Err(format!("usage: {command} GROUP (one word)"));
            }
            group_name(target)?;
            let kind = if command == "join" {
                "joinGroup"
            } else {
                "leaveGroup"
            };
            let frame = Frame {
                kind,
                group: Some(target),
                event: None,
                ack_id: *next_ack,
                data_type: None,
                data: None,
            };
            return Ok(send(frame, format!("{command} {target}"), next_ack));
        }
        "send" => ("sendToGroup", true),
        "send-json" => ("sendToGroup", false),
        "event" => ("event", true),
        "event-json" => ("event", false),
        other => return Err(format!("unknown command '{other}'")),
    };
    let usage = match command {
        "send" => "usage: send GROUP TEXT",
        "send-json" => "usage: send-json GROUP JSON",
        "event" => "usage: event NAME TEXT",
        _ => "usage: event-json NAME JSON",
    };
    if target.is_empty() {
        return Err(usage.to_string());
    }
    let data = if text {
        serde_json::value::to_raw_value(data).map_err(|e| e.to_string())?
    } else {
        if data.is_empty() {
            return Err(usage.to_string());
        }
        RawValue::from_string(data.to_string()).map_err(|e| format!("invalid JSON: {e}"))?
    };
    let (group, event) = if kind == "event" {
        (None, Some(target))
    } else {
        group_name(target)?;
        (Some(target), None)
    };
    let frame = Frame {
        kind,
        group,
        event,
        ack_id: *next_ack,
        data_type: Some(if text { "text" } else { "json" }),
        data: Some(data),
    };
    let what = format!("{} {target}", command.trim_end_matches("-json"));
    Ok(send(frame, what, next_ack))
}

fn send(frame: Frame<'_>, what: String, next_ack: &mut u64) -> Parsed {
    let id = frame.ack_id;
    *next_ack += 1;
    Parsed::Send {
        // A struct of strings and raw JSON always serialises.
        frame: serde_json::to_string(&frame).unwrap_or_default(),
        ack: Some((id, what)),
    }
}

/// A line starting with `{`: sent as typed once it is a JSON object; an `ackId` in it is
/// waited for, and later commands number after it.
fn protocol_frame(line: &str, next_ack: &mut u64) -> Result<Parsed, String> {
    let object: serde_json::Map<String, Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let ack = object.get("ackId").and_then(Value::as_u64).map(|id| {
        *next_ack = (*next_ack).max(id.saturating_add(1));
        let kind = object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("frame");
        (id, kind.to_string())
    });
    Ok(Parsed::Send {
        frame: line.to_string(),
        ack,
    })
}

/// Whether a frame can go out on a protobuf connection: the protobuf request it stands for
/// (joinGroup, leaveGroup, sendToGroup, event, sequenceAck, ping; text, json or binary data).
fn protobuf_form(frame: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(frame).map_err(|e| format!("not JSON: {e}"))?;
    upstream_from_json(&value)
        .map(drop)
        .map_err(|e| format!("not sendable as protobuf: {e}"))
}

fn group_name(group: &str) -> Result<(), String> {
    operations::validate_group(group).map_err(|e| e.to_string())
}

/// The first word and the rest, whitespace between them dropped.
fn split_word(s: &str) -> (&str, &str) {
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Reads stdin line by line on its own thread (see the module docs).
fn read_stdin(tx: mpsc::Sender<Input>) {
    let spawned = std::thread::Builder::new()
        .name("wps-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut reader = stdin.lock();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                let input = match read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES) {
                    Ok(None) => Input::Eof,
                    Ok(Some(false)) => Input::Unreadable("the line is longer than 1 MiB"),
                    Ok(Some(true)) => match String::from_utf8(std::mem::take(&mut buf)) {
                        Ok(line) => Input::Line(line),
                        Err(_) => Input::Unreadable("the line is not UTF-8"),
                    },
                    Err(e) => Input::Error(e.to_string()),
                };
                let last = matches!(input, Input::Eof | Input::Error(_));
                if tx.blocking_send(input).is_err() || last {
                    if last {
                        let _ = tx.blocking_send(Input::Eof);
                    }
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("error: could not read stdin: {e}");
    }
}

/// One line into `buf` (without its `\n`), holding at most `cap` bytes: `None` at the end of
/// input, `Some(false)` for a longer line (the rest of it is read and dropped).
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<bool>> {
    let mut any = false;
    let mut fits = true;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(fits));
        }
        any = true;
        let (part, used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        if fits && buf.len() + part.len() > cap {
            fits = false;
            buf.clear();
        }
        if fits {
            buf.extend_from_slice(part);
        }
        reader.consume(used);
        if done {
            return Ok(Some(fits));
        }
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

/// The interactive side: a rustyline prompt on its own thread, and a printer thread that
/// puts lines above it.
mod terminal {
    use std::borrow::Cow;

    use rustyline::completion::Completer;
    use rustyline::error::ReadlineError;
    use rustyline::highlight::Highlighter;
    use rustyline::hint::Hinter;
    use rustyline::history::DefaultHistory;
    use rustyline::validate::Validator;
    use rustyline::{CompletionType, Config, Editor, ExternalPrinter, Helper};

    use super::*;

    /// How long the end waits for the printer thread to write what is queued.
    const FLUSH_WAIT: Duration = Duration::from_secs(2);

    pub(super) struct Terminal {
        pub(super) printer: mpsc::Sender<String>,
        printed: tokio::sync::oneshot::Receiver<()>,
        /// Tells the prompt thread to stop after the line being typed.
        stop: Arc<AtomicBool>,
    }

    /// Starts the prompt and printer threads; fails when the terminal cannot host them (then
    /// the caller reads plain lines).
    pub(super) fn start(
        prompt: String,
        raw: bool,
        input: mpsc::Sender<Input>,
        groups: &Arc<Mutex<BTreeSet<String>>>,
    ) -> Result<Terminal> {
        let config = Config::builder()
            .auto_add_history(false)
            .history_ignore_dups(true)?
            .max_history_size(1000)?
            .completion_type(CompletionType::List)
            .build();
        let mut editor: Editor<Completion, DefaultHistory> = Editor::with_config(config)?;
        editor.set_helper(Some(Completion {
            groups: groups.clone(),
            raw,
        }));
        let mut external = editor.create_external_printer()?;
        let (printer, mut lines) = mpsc::channel::<String>(OUTPUT_QUEUE);
        let (printed_tx, printed) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("wps-printer".into())
            .spawn(move || {
                while let Some(line) = lines.blocking_recv() {
                    if external.print(format!("{line}\n")).is_err() {
                        break;
                    }
                }
                let _ = printed_tx.send(());
            })?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::Builder::new()
            .name("wps-prompt".into())
            .spawn(move || read_prompt(editor, &prompt, raw, &input, &stopping))?;
        Ok(Terminal {
            printer,
            printed,
            stop,
        })
    }

    fn read_prompt(
        mut editor: Editor<Completion, DefaultHistory>,
        prompt: &str,
        raw: bool,
        input: &mpsc::Sender<Input>,
        stop: &AtomicBool,
    ) {
        loop {
            let line = match editor.readline(prompt) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    let _ = input.blocking_send(Input::Interrupt);
                    return;
                }
                Err(ReadlineError::Eof) => {
                    let _ = input.blocking_send(Input::Eof);
                    return;
                }
                Err(e) => {
                    let _ = input.blocking_send(Input::Error(e.to_string()));
                    let _ = input.blocking_send(Input::Eof);
                    return;
                }
            };
            if stop.load(Ordering::SeqCst) {
                let _ = input.blocking_send(Input::Eof);
                return;
            }
            if !line.trim().is_empty() {
                let _ = editor.add_history_entry(line.as_str());
            }
            let quit = !raw && matches!(line.trim(), "quit" | "exit");
            let sent = if line.len() > MAX_LINE_BYTES {
                input.blocking_send(Input::Unreadable("the line is longer than 1 MiB"))
            } else {
                input.blocking_send(Input::Line(line))
            };
            if sent.is_err() || quit {
                return;
            }
        }
    }

    impl Terminal {
        /// Ends the interactive side before the process exits: a prompt still up (the
        /// connection ended while typing) is left by the user, so the terminal gets its mode
        /// back; then what is queued for printing is written.
        pub(super) async fn finish(
            self,
            mut input: mpsc::Receiver<Input>,
            input_done: bool,
            out: &Out,
        ) {
            if !input_done {
                self.stop.store(true, Ordering::SeqCst);
                out.say("* the connection has ended: press Enter to exit".into())
                    .await;
                while let Some(i) = input.recv().await {
                    if matches!(i, Input::Eof | Input::Interrupt) {
                        break;
                    }
                }
            }
            let Terminal {
                printer, printed, ..
            } = self;
            drop(printer);
            let _ = tokio::time::timeout(FLUSH_WAIT, printed).await;
        }
    }

    /// Tab completion: the commands, then the groups known to this client.
    struct Completion {
        groups: Arc<Mutex<BTreeSet<String>>>,
        raw: bool,
    }

    impl Completer for Completion {
        type Candidate = String;

        fn complete(
            &self,
            line: &str,
            pos: usize,
            _: &rustyline::Context<'_>,
        ) -> rustyline::Result<(usize, Vec<String>)> {
            if self.raw {
                return Ok((pos, Vec::new()));
            }
            let head = &line[..pos];
            let Some(space) = head.find(char::is_whitespace) else {
                let found = COMMANDS
                    .iter()
                    .filter(|c| c.starts_with(head))
                    .map(|c| match *c {
                        "help" | "quit" => c.to_string(),
                        _ => format!("{c} "),
                    })
                    .collect();
                return Ok((0, found));
            };
            let command = &head[..space];
            let word = head[space..].trim_start();
            let takes_group = matches!(command, "join" | "leave" | "send" | "send-json");
            if !takes_group || word.contains(char::is_whitespace) {
                return Ok((pos, Vec::new()));
            }
            let groups = self.groups.lock().map(|g| g.clone()).unwrap_or_default();
            let found = groups
                .into_iter()
                .filter(|g| g.starts_with(word))
                .map(|g| format!("{g} "))
                .collect();
            Ok((pos - word.len(), found))
        }
    }

    impl Hinter for Completion {
        type Hint = String;
    }

    impl Highlighter for Completion {
        fn highlight<'l>(&self, line: &'l str, _: usize) -> Cow<'l, str> {
            Cow::Borrowed(line)
        }
    }

    impl Validator for Completion {}

    impl Helper for Completion {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Parsed, String> {
        let mut next = 1;
        parse_line(line, false, &mut next)
    }

    fn frame(line: &str) -> (String, Option<(u64, String)>) {
        match parse(line) {
            Ok(Parsed::Send { frame, ack }) => (frame, ack),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn commands_become_the_sdk_frames() {
        assert_eq!(
            frame("join g1"),
            (
                r#"{"type":"joinGroup","group":"g1","ackId":1}"#.into(),
                Some((1, "join g1".into()))
            )
        );
        assert_eq!(
            frame("  leave g1 ").0,
            r#"{"type":"leaveGroup","group":"g1","ackId":1}"#
        );
        assert_eq!(
            frame("send g1 hello  world ").0,
            r#"{"type":"sendToGroup","group":"g1","ackId":1,"dataType":"text","data":"hello  world"}"#
        );
        assert_eq!(
            frame("send g1").0,
            r#"{"type":"sendToGroup","group":"g1","ackId":1,"dataType":"text","data":""}"#
        );
        // JSON is sent exactly as typed.
        assert_eq!(
            frame(r#"send-json g1 {"b": 1.50, "a": [1e3]}"#).0,
            r#"{"type":"sendToGroup","group":"g1","ackId":1,"dataType":"json","data":{"b": 1.50, "a": [1e3]}}"#
        );
        assert_eq!(
            frame(r#"event greet "quoted" \ text"#).0,
            r#"{"type":"event","event":"greet","ackId":1,"dataType":"text","data":"\"quoted\" \\ text"}"#
        );
        assert_eq!(
            frame(r#"event-json order {"id":7}"#),
            (
                r#"{"type":"event","event":"order","ackId":1,"dataType":"json","data":{"id":7}}"#
                    .into(),
                Some((1, "event order".into()))
            )
        );
    }

    #[test]
    fn ack_ids_count_up_and_follow_a_typed_frame() {
        let mut next = 1;
        let mut id = |line: &str| match parse_line(line, false, &mut next) {
            Ok(Parsed::Send { ack, .. }) => ack.map(|a| a.0),
            other => panic!("{other:?}"),
        };
        assert_eq!(id("join a"), Some(1));
        assert_eq!(id("send a x"), Some(2));
        assert_eq!(
            id(r#"{"type":"joinGroup","group":"b","ackId":40}"#),
            Some(40)
        );
        assert_eq!(id(r#"{"type":"sequenceAck","sequenceId":3}"#), None);
        assert_eq!(id("leave a"), Some(41));
        // A refused line takes no id.
        assert!(parse_line("send", false, &mut next).is_err());
        assert_eq!(next, 42);
    }

    #[test]
    fn other_lines() {
        assert_eq!(parse(""), Ok(Parsed::Nothing));
        assert_eq!(parse("   # a comment"), Ok(Parsed::Nothing));
        assert_eq!(parse("help"), Ok(Parsed::Help));
        assert_eq!(parse("quit"), Ok(Parsed::Quit));
        for bad in [
            "jion g1",
            "join",
            "join a b",
            "send",
            "send-json g1",
            "send-json g1 {bad",
            "event-json e",
            "{not json",
            "[1]",
            "join    ",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // On a raw connection every line is a frame, as typed.
        let mut next = 1;
        assert_eq!(
            parse_line(" join g1 ", true, &mut next),
            Ok(Parsed::Send {
                frame: " join g1 ".into(),
                ack: None
            })
        );
        assert_eq!(next, 1);
    }

    #[test]
    fn lines_are_capped() {
        let mut input: &[u8] = b"short\nthis one is long\nend";
        let mut buf = Vec::new();
        assert_eq!(
            read_line_capped(&mut input, &mut buf, 8).unwrap(),
            Some(true)
        );
        assert_eq!(buf, b"short");
        buf.clear();
        assert_eq!(
            read_line_capped(&mut input, &mut buf, 8).unwrap(),
            Some(false)
        );
        buf.clear();
        assert_eq!(
            read_line_capped(&mut input, &mut buf, 8).unwrap(),
            Some(true)
        );
        assert_eq!(buf, b"end");
        buf.clear();
        assert_eq!(read_line_capped(&mut input, &mut buf, 8).unwrap(), None);
    }

    #[test]
    fn protobuf_needs_a_protobuf_request() {
        let (join, _) = frame("join g1");
        assert_eq!(protobuf_form(&join), Ok(()));
        let (send, _) = frame("send-json g1 {\"n\": 1}");
        assert_eq!(protobuf_form(&send), Ok(()));
        let typed = r#"{"type":"sendToConnection","connectionId":"c","ackId":9}"#;
        assert!(protobuf_form(typed)
            .unwrap_err()
            .contains("no protobuf request for type 'sendToConnection'"));
    }

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

    #[test]
    fn readable_acks_name_their_command() {
        let ok = json!({"type": "ack", "ackId": 1, "success": true});
        assert_eq!(readable(&ok, Some("join g1")), "[ack 1] join g1: ok");
        let refused = json!({"type": "ack", "ackId": 2, "success": false,
            "error": {"name": "Forbidden", "message": "no\u{1b}[2J"}});
        assert_eq!(
            readable(&refused, Some("send g1")),
            "[ack 2] send g1: Forbidden: no\\u{1b}[2J"
        );
    }
}

//! The interactive side of `wps client`: a rustyline prompt on its own thread (history, tab
//! completion of the commands and known groups), and a printer thread that puts what arrives
//! meanwhile above it through rustyline's `ExternalPrinter`, since a print waits for the
//! prompt to take it.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Editor, ExternalPrinter, Helper};
use tokio::sync::mpsc;

use super::commands::COMMANDS;
use super::input::{Input, MAX_LINE_BYTES};
use super::out::Out;

/// Lines waiting to be printed above the prompt.
const OUTPUT_QUEUE: usize = 256;

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

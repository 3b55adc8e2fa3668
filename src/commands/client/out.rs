//! Where `wps client` prints: received frames on stdout (a JSON line or readable text), notes
//! and errors on stderr, or all of it above the prompt on a terminal.

use std::io::Write;

use serde_json::Value;
use tokio::sync::mpsc;

use super::commands::HELP;
use crate::commands::listen;
use crate::term::OutputFormat;

/// Where output goes: stdout and stderr, or on a terminal above the prompt.
pub(super) struct Out {
    pub(super) format: OutputFormat,
    pub(super) quiet: bool,
    pub(super) terminal: Option<mpsc::Sender<String>>,
}

impl Out {
    /// One received frame: a JSON line, or readable (`what` names the command an ack
    /// answers).
    pub(super) async fn frame(&self, v: &Value, what: Option<&str>) -> std::io::Result<()> {
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
    pub(super) async fn note(&self, text: String) {
        if !self.quiet {
            self.say(format!("* {text}")).await;
        }
    }

    pub(super) async fn error(&self, text: String) {
        self.say(format!("error: {text}")).await;
    }

    pub(super) async fn help(&self) {
        self.say(HELP.to_string()).await;
    }

    pub(super) async fn say(&self, text: String) {
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
        _ => listen::readable(v),
    };
    crate::output::escape_control(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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

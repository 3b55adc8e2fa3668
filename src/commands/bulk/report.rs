//! What a run says: one report line per target (JSON lines as they finish, or a table at the
//! end), the progress bar, the closing summary and the `--failed-to` file.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::client::{ClientError, Response};
use crate::output::{self, OpResult};
use crate::term::{OutputFormat, Printer};

/// What one request is about, as its report line names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    pub target: Option<String>,
    /// The group of a membership change.
    pub group: Option<String>,
    /// The permission of a grant or revoke.
    pub permission: Option<&'static str>,
}

impl Label {
    pub fn target(target: impl Into<String>) -> Self {
        Label {
            target: Some(target.into()),
            ..Label::default()
        }
    }

    pub(super) fn result(
        &self,
        operation: &'static str,
        hub: &str,
        status: u16,
        ok: bool,
    ) -> OpResult {
        OpResult {
            operation,
            hub: hub.to_string(),
            target: self.target.clone(),
            group: self.group.clone(),
            permission: self.permission,
            status,
            ok,
        }
    }
}

/// What became of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Sent,
    Failed,
    NotSent,
    /// In flight when a second Ctrl-C abandoned it: it may or may not have been delivered.
    Unknown,
}

impl Outcome {
    fn is_sent(&self) -> bool {
        *self == Outcome::Sent
    }
}

/// One line of a bulk report: the [`OpResult`] shape plus what became of the target.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Report {
    #[serde(flatten)]
    pub(super) result: OpResult,
    /// Left out when sent, so a success line is exactly the [`OpResult`] shape.
    #[serde(skip_serializing_if = "Outcome::is_sent")]
    pub(super) outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

pub(super) fn finish(
    operation: &'static str,
    hub: &str,
    label: &Label,
    result: Result<Response, ClientError>,
) -> Report {
    let (status, outcome, error) = match result {
        Ok(resp) => (resp.status, Outcome::Sent, None),
        Err(e) => {
            let status = match &e {
                ClientError::Status { status, .. } | ClientError::Redirect { status, .. } => {
                    *status
                }
                _ => 0,
            };
            (status, Outcome::Failed, Some(e.to_string()))
        }
    };
    Report {
        result: label.result(operation, hub, status, outcome == Outcome::Sent),
        outcome,
        error,
    }
}

/// A run of at most this many targets lists every one on a terminal, sent or not; a longer
/// one lists those that did not succeed (a screenful, with the summary under it).
pub(super) const EVERY_ROW_UP_TO: usize = 20;

/// The closing line of a run, e.g. `sent 98, failed 2, not sent 0, skipped 1 in 1.20 s (83/s)`.
/// The rate only for a run that took a while: over two requests in 4 ms it is noise.
pub fn summary(
    sent: usize,
    failed: usize,
    not_sent: usize,
    skipped: usize,
    elapsed: Duration,
) -> String {
    let secs = elapsed.as_secs_f64();
    // A rate of failures reads like throughput; with nothing sent there is none to give.
    let rate = if elapsed >= RATE_AFTER && sent > 0 {
        format!(" ({:.0}/s)", (sent + failed) as f64 / secs)
    } else {
        String::new()
    };
    format!(
        "sent {sent}, failed {failed}, not sent {not_sent}, skipped {skipped} (duplicates) in {secs:.2} s{rate}"
    )
}

/// How long a run goes before it shows a progress bar.
pub(super) const SHOW_PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// How long a run goes before its summary gives a rate (as long as the bar waits).
const RATE_AFTER: Duration = SHOW_PROGRESS_AFTER;

/// How long a finished target's JSON line may wait in the buffer before it is written out.
pub(super) const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// JSON lines go out as targets finish, buffered: written when the buffer fills, at least every
/// [`FLUSH_EVERY`] while the run goes on (so a watcher sees progress) and when it ends.
///
/// The sends are the point of a run, the report is not: when stdout closes (`| head -2`) or
/// fails, the report stops with a note on stderr and the run goes on to its summary.
pub(super) struct Streamer {
    out: Option<std::io::BufWriter<std::io::Stdout>>,
    /// One serialized line, reused so each line reaches the buffer whole.
    line: Vec<u8>,
    bar: Option<ProgressBar>,
    quiet: bool,
    /// Set once the report has stopped, so the note is said once.
    stopped: bool,
}

impl Streamer {
    pub(super) fn new(printer: &Printer, bar: Option<ProgressBar>) -> Self {
        Streamer {
            out: (printer.format() == OutputFormat::Json)
                .then(|| std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout())),
            line: Vec::with_capacity(256),
            bar,
            quiet: printer.is_quiet(),
            stopped: false,
        }
    }

    pub(super) fn write(&mut self, report: &Report) {
        let Some(out) = &mut self.out else {
            return;
        };
        self.line.clear();
        // A report always serializes (strings and numbers only).
        let _ = serde_json::to_writer(&mut self.line, report);
        self.line.push(b'\n');
        if let Err(e) = out.write_all(&self.line) {
            self.stopped(e);
        }
    }

    pub(super) fn flush(&mut self) {
        if let Some(Err(e)) = self.out.as_mut().map(|out| out.flush()) {
            self.stopped(e);
        }
    }

    /// Stdout failed: no more report, and one note on stderr saying why.
    pub(super) fn stopped(&mut self, e: std::io::Error) {
        if let Some(out) = self.out.take() {
            // Dropping the writer would try to flush what it holds into the same failure.
            let _ = out.into_parts();
        }
        if std::mem::replace(&mut self.stopped, true) || self.quiet {
            return;
        }
        let why = if e.kind() == std::io::ErrorKind::BrokenPipe {
            "stdout was closed".to_string()
        } else {
            format!("could not write to stdout ({e})")
        };
        say(
            &self.bar,
            &format!("warning: {why}: the report stops here; the run goes on to its summary"),
        );
    }
}

pub(super) fn write_table(printer: &Printer, reports: &[Report]) -> std::io::Result<()> {
    let (mut header, targets) = output::target_columns(reports.iter().map(|r| &r.result));
    header.extend(["status", "outcome", "error"]);
    output::write_table(
        printer,
        &header,
        reports
            .iter()
            .zip(targets)
            .map(|(r, mut row)| {
                row.push(if r.result.status == 0 {
                    "-".into()
                } else {
                    r.result.status.to_string()
                });
                row.push(
                    match r.outcome {
                        Outcome::Sent => "sent",
                        Outcome::Failed => "failed",
                        Outcome::NotSent => "not sent",
                        Outcome::Unknown => "unknown",
                    }
                    .into(),
                );
                row.push(r.error.clone().unwrap_or_default());
                row
            })
            .collect(),
    )
}

pub(super) fn progress_bar(printer: &Printer, total: usize) -> Option<ProgressBar> {
    if !printer.shows_progress() {
        return None;
    }
    // Drawn only once the run has taken SHOW_PROGRESS_AFTER (see `many`).
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    // The bar takes what the counts leave of the terminal's width; the rate is whole
    // requests a second (indicatif's own {per_sec} shows four decimals).
    if let Ok(style) =
        ProgressStyle::with_template("{wide_bar} {pos}/{len} {rate} {elapsed_precise} eta {eta}")
    {
        let style = style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        );
        bar.set_style(style);
    }
    Some(bar)
}

/// A line on stderr that does not tear the progress bar.
pub(super) fn say(bar: &Option<ProgressBar>, line: &str) {
    match bar {
        Some(b) => b.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// Writes `--failed-to` (always, so an empty file means nothing is left to do).
pub(super) fn write_failed<'a>(
    failed_to: Option<&Path>,
    failed: impl Iterator<Item = &'a str>,
) -> Result<()> {
    let Some(path) = failed_to else {
        return Ok(());
    };
    let mut text = String::new();
    // A target failing in several requests (one per group) is still one line to retry.
    let mut seen = HashSet::new();
    for t in failed.filter(|t| seen.insert(*t)) {
        text.push_str(t);
        text.push('\n');
    }
    std::fs::write(path, text)
        .with_context(|| format!("could not write --failed-to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rate_when_nothing_was_sent() {
        let s = summary(0, 10, 1001, 0, Duration::from_secs(2));
        assert_eq!(
            s,
            "sent 0, failed 10, not sent 1001, skipped 0 (duplicates) in 2.00 s"
        );
    }

    #[test]
    fn no_rate_for_a_quick_run() {
        let s = summary(2, 0, 0, 0, Duration::from_millis(4));
        assert_eq!(
            s,
            "sent 2, failed 0, not sent 0, skipped 0 (duplicates) in 0.00 s"
        );
    }

    #[test]
    fn summary_names_every_count() {
        let s = summary(98, 2, 0, 1, Duration::from_secs(2));
        assert_eq!(
            s,
            "sent 98, failed 2, not sent 0, skipped 1 (duplicates) in 2.00 s (50/s)"
        );
    }

    #[test]
    fn report_is_the_op_result_shape_plus_outcome() {
        let r = finish(
            "send-user",
            "chat",
            &Label::target("u1"),
            Err(ClientError::Status {
                status: 503,
                code: None,
                message: None,
                attempts: 4,
            }),
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["operation"], "send-user");
        assert_eq!(v["target"], "u1");
        assert_eq!(v["status"], 503);
        assert_eq!(v["ok"], false);
        assert_eq!(v["outcome"], "failed");
        assert!(v["error"].as_str().unwrap().contains("4 attempts"));
        // No group or permission key unless the operation has one.
        assert!(v.get("group").is_none() && v.get("permission").is_none());
    }

    #[test]
    fn report_names_the_group_and_permission_when_labelled() {
        let label = Label {
            group: Some("g1".into()),
            permission: Some("sendToGroup"),
            ..Label::target("c1")
        };
        let r = finish(
            "grant",
            "chat",
            &label,
            Ok(Response {
                status: 200,
                body: Default::default(),
                request_id: None,
                attempts: 1,
            }),
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"operation":"grant","hub":"chat","target":"c1","permission":"sendToGroup","group":"g1","status":200,"ok":true})
        );
    }

    #[test]
    fn failed_targets_are_written_once() {
        let dir = std::env::temp_dir().join(format!("wps-failed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("failed.txt");
        write_failed(Some(&path), ["c1", "c2", "c1"].into_iter()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "c1\nc2\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

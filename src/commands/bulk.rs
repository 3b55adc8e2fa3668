//! Running one operation over one or many targets and reporting every outcome.
//!
//! A command describes its operation with a [`Run`], gathers its targets with [`Run::targets`]
//! (flags, then `--from-file`, duplicates dropped), builds one [`Request`] per target and hands
//! them to the run ([`Run::each`] does both for one request per target; [`Run::one`] for a
//! command without targets). One target behaves like a plain command: its error is the
//! command's error. Several run with bounded concurrency over the one shared [`Client`], and
//! every target ends up reported as sent, failed or not sent, whatever happens (including
//! Ctrl-C).

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::stream::{FuturesUnordered, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tokio::sync::mpsc;

use super::{ExitStatus, SUCCESS};
use crate::cli::BulkArgs;
use crate::client::{Client, ClientError, ErrorKind, Request, Response};
use crate::error::{code, CliError};
use crate::output::{self, OpResult};
use crate::settings::Settings;
use crate::term::{OutputFormat, Printer};

/// Requests in flight at once when the command does not say.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// A run whose first this-many outcomes are all failures of the whole service (bad key,
/// unreachable, 5xx after retries) stops starting requests: the rest would fail the same way,
/// slowly. Target-specific refusals (404, 400, ...) never stop a run.
pub const FAIL_FAST_AFTER: usize = 10;

/// One operation over its targets: what every request of the run shares, and how the run
/// behaves (`--concurrency`, `--failed-to`).
pub struct Run<'a> {
    client: &'a Client,
    printer: &'a Printer,
    dry_run: bool,
    operation: &'static str,
    hub: &'a str,
    concurrency: usize,
    /// Where to write the targets that did not succeed.
    failed_to: Option<PathBuf>,
    /// Duplicates dropped while gathering targets, for the summary.
    skipped: usize,
}

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

    fn result(&self, operation: &'static str, hub: &str, status: u16, ok: bool) -> OpResult {
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

/// The targets of a run, in order, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub list: Vec<String>,
    /// How many duplicates were dropped.
    pub skipped: usize,
}

/// True when `--from-file -` reads targets from stdin.
pub fn reads_stdin(args: &BulkArgs) -> bool {
    args.from_file.as_deref() == Some(Path::new("-"))
}

/// The longest `--from-file` line read. Every name the service takes is far shorter (group
/// names stop at 1,024 characters); a longer line means the wrong file (`/dev/zero`, a binary),
/// which could otherwise be read without end.
pub const MAX_TARGET_LINE_BYTES: usize = 4096;

/// The most targets one run takes (flags and `--from-file` lines together, duplicates counted).
/// A run of a million is hours of requests; more means the wrong input (`yes |`, `seq`), which
/// would otherwise be read until memory runs out.
pub const MAX_TARGETS: usize = 1_000_000;

/// The most of a `--from-file` input read, so that even lines near [`MAX_TARGET_LINE_BYTES`]
/// cannot fill memory before [`MAX_TARGETS`] is reached.
pub const MAX_TARGET_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How much of a targets input [`read_target_lines_within`] takes.
#[derive(Debug, Clone, Copy)]
pub struct TargetLimits {
    /// Bytes of one line, newline excluded.
    pub line_bytes: usize,
    /// Targets in all (those already in `into` included).
    pub targets: usize,
    /// Bytes of the whole input.
    pub input_bytes: u64,
}

impl Default for TargetLimits {
    fn default() -> Self {
        TargetLimits {
            line_bytes: MAX_TARGET_LINE_BYTES,
            targets: MAX_TARGETS,
            input_bytes: MAX_TARGET_FILE_BYTES,
        }
    }
}

/// A count as README writes it: `1,000,000`.
fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The targets given as flags followed by those from `--from-file`, duplicates reported once
/// on stderr and dropped.
fn targets(given: Vec<String>, args: &BulkArgs, printer: &Printer) -> Result<Targets> {
    let mut all = given;
    if let Some(path) = &args.from_file {
        if path.as_os_str() == "-" {
            read_target_lines(std::io::stdin().lock(), "-", &mut all)?;
        } else {
            if path.is_dir() {
                return Err(CliError::Usage(format!(
                    "--from-file {}: is a directory",
                    path.display()
                ))
                .into());
            }
            let file = std::fs::File::open(path)
                .with_context(|| format!("could not read --from-file {}", path.display()))?;
            read_target_lines(
                std::io::BufReader::new(file),
                &path.display().to_string(),
                &mut all,
            )?;
        }
    }
    let (list, duplicates) = dedup(all);
    if !duplicates.is_empty() {
        const SHOWN: usize = 5;
        let mut names: Vec<String> = duplicates
            .iter()
            .take(SHOWN)
            .map(|d| format!("'{}'", output::escape_control(d)))
            .collect();
        if duplicates.len() > SHOWN {
            names.push(format!("and {} more", duplicates.len() - SHOWN));
        }
        printer.status(format_args!(
            "warning: {} duplicate target{} will be sent once: {}",
            duplicates.len(),
            if duplicates.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    Ok(Targets {
        list,
        skipped: duplicates.len(),
    })
}

/// One target a line, appended to `into`; surrounding whitespace trimmed, blank lines and `#`
/// comments skipped. Read a line at a time, within the [`TargetLimits::default`] bounds.
pub fn read_target_lines(reader: impl BufRead, source: &str, into: &mut Vec<String>) -> Result<()> {
    read_target_lines_within(reader, source, into, TargetLimits::default())
}

/// [`read_target_lines`] with explicit bounds: never more than `limits.line_bytes + 1` bytes
/// of a line nor `limits.input_bytes + 1` of the input are read, and reading stops at the
/// first target past `limits.targets`. Each bound passed is a usage error naming it.
pub fn read_target_lines_within(
    reader: impl BufRead,
    source: &str,
    into: &mut Vec<String>,
    limits: TargetLimits,
) -> Result<()> {
    // One byte past the limit tells an input that is too long from one that just fits.
    let mut reader = reader.take(limits.input_bytes.saturating_add(1));
    let mut line = Vec::new();
    let mut read: u64 = 0;
    for number in 1.. {
        line.clear();
        let n = (&mut reader)
            .take(limits.line_bytes as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("could not read --from-file {source}"))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if read > limits.input_bytes {
            return Err(CliError::Usage(format!(
                "--from-file {source}: larger than {} MiB, more than any run of at most {} targets needs; split the list into several runs",
                limits.input_bytes / (1024 * 1024),
                with_commas(limits.targets as u64)
            ))
            .into());
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.len() > limits.line_bytes {
            return Err(CliError::Usage(format!(
                "--from-file {source}: line {number} is longer than {} bytes; expected one target a line",
                limits.line_bytes
            ))
            .into());
        }
        let text = std::str::from_utf8(&line).map_err(|_| {
            CliError::Usage(format!(
                "--from-file {source}: line {number} is not UTF-8 text"
            ))
        })?;
        let target = text.trim();
        if !target.is_empty() && !target.starts_with('#') {
            if into.len() >= limits.targets {
                return Err(CliError::Usage(format!(
                    "--from-file {source}: more than {} targets (at line {number}), the most one run takes; split the list into several runs",
                    with_commas(limits.targets as u64)
                ))
                .into());
            }
            into.push(target.to_string());
        }
    }
    Ok(())
}

/// Keeps the first occurrence of each target; returns the kept list and each duplicated
/// target once.
fn dedup(all: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut seen = HashSet::with_capacity(all.len());
    let mut reported = HashSet::new();
    let mut list = Vec::with_capacity(all.len());
    let mut duplicates = Vec::new();
    for t in all {
        if seen.contains(&t) {
            if reported.insert(t.clone()) {
                duplicates.push(t);
            }
        } else {
            seen.insert(t.clone());
            list.push(t);
        }
    }
    (list, duplicates)
}

impl<'a> Run<'a> {
    /// A run of `operation` on `hub`, with the default concurrency and no `--failed-to`.
    pub fn new(
        settings: &Settings,
        printer: &'a Printer,
        client: &'a Client,
        operation: &'static str,
        hub: &'a str,
    ) -> Self {
        Run {
            client,
            printer,
            dry_run: settings.dry_run,
            operation,
            hub,
            concurrency: DEFAULT_CONCURRENCY,
            failed_to: None,
            skipped: 0,
        }
    }

    /// The targets given as flags followed by those from `--from-file`, each once (a
    /// duplicate is reported on stderr and counted in the summary); the run takes
    /// `--concurrency` and `--failed-to` from the same arguments.
    pub fn targets(&mut self, given: Vec<String>, args: &BulkArgs) -> Result<Vec<String>> {
        let targets = targets(given, args, self.printer)?;
        self.concurrency = (args.concurrency as usize).max(1);
        self.failed_to = args.failed_to.clone();
        self.skipped = targets.skipped;
        Ok(targets.list)
    }

    /// One request that names no target (send to all, a filter, close all).
    pub async fn one(&self, req: Request) -> Result<ExitStatus> {
        self.labelled(vec![(Label::default(), req)]).await
    }

    /// The usual shape of a target-taking command: gathers the targets from `given` and
    /// `--from-file`, builds one request per target with `build` (all checked before anything
    /// is sent) and runs them.
    pub async fn each(
        &mut self,
        given: Vec<String>,
        args: &BulkArgs,
        mut build: impl FnMut(&str) -> Result<Request, ClientError>,
    ) -> Result<ExitStatus> {
        let targets = self.targets(given, args)?;
        if self.dry_run || targets.len() <= 1 {
            let requests = targets
                .into_iter()
                .map(|t| {
                    let req = build(&t)?;
                    Ok((Label::target(t), req))
                })
                .collect::<Result<Vec<_>, ClientError>>()?;
            return self.labelled(requests).await;
        }
        // Every target is checked before the first request goes out; the requests themselves
        // are built again as workers take them, so a large run never holds them all at once.
        for t in &targets {
            build(t)?;
        }
        let names: Vec<Label> = targets.into_iter().map(Label::target).collect();
        let requests = names
            .iter()
            .map(move |l| build(l.target.as_deref().unwrap_or_default()));
        self.many(&names, requests).await
    }

    /// Sends each prepared request (or prints it under `--dry-run`) and reports every outcome;
    /// each request labelled with what its report line names (target, group, permission).
    pub async fn labelled(&self, requests: Vec<(Label, Request)>) -> Result<ExitStatus> {
        if self.dry_run {
            for (i, (_, req)) in requests.iter().enumerate() {
                if i > 0 && self.printer.is_table() {
                    // A blank line between requests keeps each one's headers and body together.
                    writeln!(std::io::stdout())?;
                }
                output::write_dry_run(self.printer, self.client, req)?;
            }
            return Ok(SUCCESS);
        }
        match requests.len() {
            0 => {
                self.write_failed(std::iter::empty())?;
                self.printer.status("nothing to do: no targets");
                Ok(SUCCESS)
            }
            1 => {
                let mut requests = requests;
                let Some((label, req)) = requests.pop() else {
                    return Ok(SUCCESS);
                };
                self.single(label, req).await
            }
            _ => {
                let (names, requests): (Vec<Label>, Vec<Request>) = requests.into_iter().unzip();
                self.many(&names, requests.into_iter().map(Ok)).await
            }
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
struct Report {
    #[serde(flatten)]
    result: OpResult,
    /// Left out when sent, so a success line is exactly the [`OpResult`] shape.
    #[serde(skip_serializing_if = "Outcome::is_sent")]
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Run<'_> {
    /// One target: its failure is the command's error, with that error's exit code.
    async fn single(&self, label: Label, req: Request) -> Result<ExitStatus> {
        let operation = self.operation;
        match self.client.execute(&req).await {
            Ok(resp) => {
                self.write_failed(std::iter::empty())?;
                output::write_results(
                    self.printer,
                    &[label.result(operation, self.hub, resp.status, true)],
                )?;
                Ok(SUCCESS)
            }
            Err(e) => {
                self.write_failed(label.target.iter().map(String::as_str))?;
                let what = match (&label.target, &label.group) {
                    (Some(t), Some(g)) => format!(" of '{t}' (group '{g}')"),
                    (Some(t), None) => format!(" to '{t}'"),
                    _ => String::new(),
                };
                Err(e).with_context(|| format!("{operation}{what} failed"))
            }
        }
    }
}

/// A request as a worker takes it: built as it is taken, so a build error (which the checks
/// before the run make unlikely) is that target's failure.
type Built = Result<Request, ClientError>;

/// What the workers of a run share: the requests not yet started and what decides whether
/// to start more.
struct Queue<I> {
    pending: I,
    /// How many were taken: requests are taken in order, so these are the first ones.
    taken: usize,
    /// Taken and not yet answered: what a Ctrl-C waits for (finished results still on their
    /// way to the report are not in flight).
    in_flight: usize,
    /// Set by Ctrl-C or by the fail-fast rule: no worker takes another request.
    closed: bool,
    any_sent: bool,
    systemic_failures: usize,
}

impl<I: Iterator<Item = Built>> Queue<I> {
    /// The next request to start, unless the run is closed or drained.
    fn take(&mut self) -> Option<(usize, Built)> {
        if self.closed {
            return None;
        }
        let req = self.pending.next()?;
        self.taken += 1;
        self.in_flight += 1;
        Some((self.taken - 1, req))
    }

    /// Counts an outcome towards the fail-fast rule, closing the queue when it trips. Done by
    /// the worker as its request ends, so no worker starts another one in between.
    fn record(&mut self, result: &Result<Response, ClientError>) {
        self.in_flight -= 1;
        match result {
            Ok(_) => self.any_sent = true,
            Err(e) if !self.any_sent && is_systemic(e) => {
                self.systemic_failures += 1;
                if self.systemic_failures >= FAIL_FAST_AFTER {
                    self.closed = true;
                }
            }
            Err(_) => {}
        }
    }
}

/// Many targets: bounded concurrency, progress, Ctrl-C, a report for every target.
///
/// `concurrency` workers (futures of this task: one thread, no spawning) take the requests in
/// order from one queue, building each as they take it, and the finished ones are reported as
/// they arrive: beyond the targets and their outcomes, memory does not grow with the run.
impl Run<'_> {
    async fn many(
        &self,
        names: &[Label],
        requests: impl Iterator<Item = Built>,
    ) -> Result<ExitStatus> {
        let (client, printer, operation, hub) =
            (self.client, self.printer, self.operation, self.hub);
        let started = Instant::now();
        let total = names.len();
        let table = printer.is_table();
        // A person at a terminal wants what needs attention, not 20,000 rows of "sent": the
        // table there lists the targets that did not succeed (JSON and --failed-to have all).
        // A run that fits on the screen shows what went where, every row.
        let failures_only = printer.stdout_is_terminal() && total > EVERY_ROW_UP_TO;
        let keep = |r: &Report| table && !(failures_only && r.outcome == Outcome::Sent);
        // Full reports are kept only for the table printed at the end; JSON lines stream out.
        let mut reports: Vec<Option<Report>> = Vec::new();
        if table {
            reports.resize_with(total, || None);
        }
        let mut outcomes: Vec<Option<Outcome>> = vec![None; total];
        let bar = progress_bar(printer, total);
        // Installed before the first request so an early Ctrl-C or SIGTERM is never the default
        // kill.
        let mut interrupts = Interrupts::new()?;
        let queue = RefCell::new(Queue {
            pending: requests,
            taken: 0,
            in_flight: 0,
            closed: false,
            any_sent: false,
            systemic_failures: 0,
        });
        let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Result<Response, ClientError>)>();
        let worker = |tx: mpsc::UnboundedSender<(usize, Result<Response, ClientError>)>| {
            let queue = &queue;
            async move {
                loop {
                    let Some((i, req)) = queue.borrow_mut().take() else {
                        break;
                    };
                    let result = match req {
                        Ok(req) => client.execute(&req).await,
                        Err(e) => Err(e),
                    };
                    queue.borrow_mut().record(&result);
                    // The receiver outlives every worker unless the run was abandoned.
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            }
        };
        let mut workers: FuturesUnordered<_> = (0..self.concurrency.min(total))
            .map(|_| worker(tx.clone()))
            .collect();
        // The channel closes when the last worker is done.
        drop(tx);
        let in_flight = || queue.borrow().in_flight;
        let mut interrupted: Option<Signal> = None;
        let mut any_sent = false;
        let mut systemic_failures = 0usize;
        let mut stopped = false;
        // The failure that stopped the run, whose exit code the run ends with: a wrong key
        // is exit 4 whether one request or a thousand were tried.
        let mut stopped_by: Option<ErrorKind> = None;
        let mut out = Streamer::new(printer, bar.clone());
        let mut flush_tick = tokio::time::interval(FLUSH_EVERY);
        flush_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            tokio::select! {
                received = rx.recv() => {
                    let Some((i, result)) = received else {
                        break;
                    };
                    let mut systemic = None;
                    match &result {
                        Ok(_) => any_sent = true,
                        Err(e) if !any_sent && is_systemic(e) => {
                            systemic_failures += 1;
                            systemic = Some(e.kind());
                        }
                        Err(_) => {}
                    }
                    let report = finish(operation, hub, &names[i], result);
                    if !stopped && !any_sent && systemic_failures >= FAIL_FAST_AFTER {
                        stopped = true;
                        stopped_by = systemic;
                        say(&bar, &format!(
                            "error: stopping: the first {systemic_failures} requests all failed ({}); waiting for {} in flight, starting no more",
                            report.error.as_deref().unwrap_or(""),
                            in_flight()
                        ));
                    }
                    if report.outcome == Outcome::Failed && bar.is_some() {
                        say(&bar, &output::escape_control(&format!(
                            "failed: {}: {}",
                            names[i].target.as_deref().unwrap_or("-"),
                            report.error.as_deref().unwrap_or("")
                        )));
                    }
                    out.write(&report);
                    outcomes[i] = Some(report.outcome);
                    if keep(&report) {
                        reports[i] = Some(report);
                    }
                    if let Some(b) = &bar {
                        b.inc(1);
                    }
                }
                Some(()) = workers.next(), if !workers.is_empty() => {}
                _ = flush_tick.tick() => {
                    out.flush();
                    // Quick runs finish before a bar would help; a longer one gets it.
                    if let Some(b) = bar.as_ref().filter(|b| b.is_hidden()) {
                        if started.elapsed() >= SHOW_PROGRESS_AFTER {
                            b.set_draw_target(ProgressDrawTarget::stderr());
                        }
                    }
                }
                signal = interrupts.next() => {
                    if interrupted.is_some() {
                        // A second signal: the operator will not wait for the retries in flight
                        // (dropping the workers drops their requests).
                        break;
                    }
                    interrupted = Some(signal);
                    queue.borrow_mut().closed = true;
                    if !printer.is_quiet() {
                        let (what, again) = match signal {
                            Signal::Interrupt => ("interrupted", "Ctrl-C"),
                            Signal::Terminate => ("terminated", "SIGTERM"),
                        };
                        say(&bar, &format!(
                            "{what}: starting no new requests; waiting for {} in flight ({again} again to abandon them)",
                            in_flight()
                        ));
                    }
                }
            }
        }
        drop(workers);
        // Requests are taken in order: the first `taken` were started.
        let taken = queue.borrow().taken;
        if let Some(b) = &bar {
            b.finish_and_clear();
        }

        // Whatever was not reported was either never started or abandoned in flight.
        for (i, slot) in outcomes.iter_mut().enumerate() {
            if slot.is_none() {
                let (outcome, error) = if i < taken {
                    (
                        Outcome::Unknown,
                        "outcome unknown: abandoned in flight after a second interrupt",
                    )
                } else {
                    (
                        Outcome::NotSent,
                        if interrupted.is_some() {
                            "not sent: interrupted"
                        } else {
                            "not sent: the run stopped after its first requests all failed"
                        },
                    )
                };
                let report = Report {
                    result: names[i].result(operation, hub, 0, false),
                    outcome,
                    error: Some(error.into()),
                };
                out.write(&report);
                *slot = Some(outcome);
                if keep(&report) {
                    reports[i] = Some(report);
                }
            }
        }
        out.flush();
        let outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
        // Before the table: a closed stdout must not cost the list of what is left to do.
        let failed_written = self.write_failed(
            outcomes
                .iter()
                .zip(names)
                .filter(|(o, _)| **o != Outcome::Sent)
                .filter_map(|(_, l)| l.target.as_deref()),
        );
        let reports: Vec<Report> = reports.into_iter().flatten().collect();
        if table && !(failures_only && reports.is_empty()) {
            if let Err(e) = write_table(printer, &reports) {
                out.stopped(e);
            }
        }

        let count = |o: Outcome| outcomes.iter().filter(|r| **r == o).count();
        let (sent, failed, not_sent, unknown) = (
            count(Outcome::Sent),
            count(Outcome::Failed),
            count(Outcome::NotSent),
            count(Outcome::Unknown),
        );
        let mut line = summary(sent, failed, not_sent, self.skipped, started.elapsed());
        if unknown > 0 {
            line.push_str(&format!(
                ", {unknown} abandoned in flight (outcome unknown)"
            ));
        }
        printer.status(line);
        failed_written?;
        Ok(if let Some(signal) = interrupted {
            ExitStatus(signal.exit_code())
        } else if let Some(kind) = stopped_by {
            ExitStatus(crate::error::kind_code(kind))
        } else if failed + not_sent + unknown > 0 {
            ExitStatus(code::PARTIAL)
        } else {
            SUCCESS
        })
    }

    /// Writes `--failed-to` (always, so an empty file means nothing is left to do).
    fn write_failed<'a>(&self, failed: impl Iterator<Item = &'a str>) -> Result<()> {
        let Some(path) = &self.failed_to else {
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
}

/// A failure that says nothing about the target: every other target would fail the same way.
fn is_systemic(e: &ClientError) -> bool {
    matches!(e.kind(), ErrorKind::Auth | ErrorKind::Unavailable)
}

fn finish(
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
const EVERY_ROW_UP_TO: usize = 20;

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
const SHOW_PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// How long a run goes before its summary gives a rate (as long as the bar waits).
const RATE_AFTER: Duration = SHOW_PROGRESS_AFTER;

/// How long a finished target's JSON line may wait in the buffer before it is written out.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// JSON lines go out as targets finish, buffered: written when the buffer fills, at least every
/// [`FLUSH_EVERY`] while the run goes on (so a watcher sees progress) and when it ends.
///
/// The sends are the point of a run, the report is not: when stdout closes (`| head -2`) or
/// fails, the report stops with a note on stderr and the run goes on to its summary.
struct Streamer {
    out: Option<std::io::BufWriter<std::io::Stdout>>,
    /// One serialized line, reused so each line reaches the buffer whole.
    line: Vec<u8>,
    bar: Option<ProgressBar>,
    quiet: bool,
    /// Set once the report has stopped, so the note is said once.
    stopped: bool,
}

impl Streamer {
    fn new(printer: &Printer, bar: Option<ProgressBar>) -> Self {
        Streamer {
            out: (printer.format() == OutputFormat::Json)
                .then(|| std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout())),
            line: Vec::with_capacity(256),
            bar,
            quiet: printer.is_quiet(),
            stopped: false,
        }
    }

    fn write(&mut self, report: &Report) {
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

    fn flush(&mut self) {
        if let Some(Err(e)) = self.out.as_mut().map(|out| out.flush()) {
            self.stopped(e);
        }
    }

    /// Stdout failed: no more report, and one note on stderr saying why.
    fn stopped(&mut self, e: std::io::Error) {
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

fn write_table(printer: &Printer, reports: &[Report]) -> std::io::Result<()> {
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

fn progress_bar(printer: &Printer, total: usize) -> Option<ProgressBar> {
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
fn say(bar: &Option<ProgressBar>, line: &str) {
    match bar {
        Some(b) => b.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// What stopped a run from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM, what `kill`, systemd, Docker and CI runners send: handled like Ctrl-C, so a
    /// stopped run still reports every target.
    Terminate,
}

impl Signal {
    fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => code::INTERRUPTED,
            Signal::Terminate => code::TERMINATED,
        }
    }
}

/// Ctrl-C and SIGTERM as a stream, so none is missed between two waits.
struct Interrupts {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    interrupt: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Interrupts {
                interrupt: signal(SignalKind::interrupt())
                    .context("could not listen for Ctrl-C")?,
                terminate: signal(SignalKind::terminate())
                    .context("could not listen for SIGTERM")?,
            })
        }
        #[cfg(windows)]
        {
            let interrupt =
                tokio::signal::windows::ctrl_c().context("could not listen for Ctrl-C")?;
            Ok(Interrupts { interrupt })
        }
    }

    // A stream that ends means its signal driver is gone; never report a signal that did not
    // come.
    #[cfg(unix)]
    async fn next(&mut self) -> Signal {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Signal::Interrupt,
            Some(()) = self.terminate.recv() => Signal::Terminate,
            else => std::future::pending().await,
        }
    }

    #[cfg(windows)]
    async fn next(&mut self) -> Signal {
        match self.interrupt.recv().await {
            Some(()) => Signal::Interrupt,
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_skip_blanks_and_comments() {
        let mut got = Vec::new();
        read_target_lines(&b"a\n\n  # note\n b \r\n#c\nd"[..], "t", &mut got).unwrap();
        assert_eq!(got, ["a", "b", "d"]);
    }

    #[test]
    fn a_line_may_fill_the_limit_but_not_pass_it() {
        let fits = "x".repeat(MAX_TARGET_LINE_BYTES);
        let mut got = Vec::new();
        read_target_lines(format!("{fits}\n{fits}").as_bytes(), "t", &mut got).unwrap();
        assert_eq!(got.len(), 2);
        let long = format!("a\n{fits}y\n");
        let e = read_target_lines(long.as_bytes(), "t", &mut got).unwrap_err();
        assert!(
            e.to_string().contains("line 2 is longer than 4096 bytes"),
            "{e}"
        );
    }

    #[test]
    fn an_input_may_hold_the_most_targets_but_not_one_more() {
        let limits = TargetLimits {
            targets: 3,
            ..TargetLimits::default()
        };
        let mut got = vec!["flag".to_string()];
        read_target_lines_within(&b"a\n# note\n\nb\n"[..], "t", &mut got, limits).unwrap();
        assert_eq!(got, ["flag", "a", "b"]);
        // Duplicates count: the bound is on what is read, before they are dropped.
        let mut got = vec!["flag".to_string()];
        let e = read_target_lines_within(&b"a\na\na\n"[..], "-", &mut got, limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--from-file -: more than 3 targets (at line 3), the most one run takes; split the list into several runs"
        );
        assert_eq!(got.len(), 3, "nothing past the bound is kept");
    }

    #[test]
    fn an_input_may_fill_its_byte_bound_but_not_pass_it() {
        let limits = TargetLimits {
            input_bytes: 6,
            ..TargetLimits::default()
        };
        let mut got = Vec::new();
        read_target_lines_within(&b"ab\ncd\n"[..], "t", &mut got, limits).unwrap();
        assert_eq!(got, ["ab", "cd"]);
        let e = read_target_lines_within(&b"ab\ncd\ne"[..], "t", &mut got, limits).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--from-file t: larger than 0 MiB"),
            "{e}"
        );
    }

    #[test]
    fn counts_read_like_readme_writes_them() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(1_000), "1,000");
        assert_eq!(with_commas(1_000_000), "1,000,000");
    }

    #[test]
    fn duplicates_kept_once_and_reported_once() {
        let all = ["a", "b", "a", "c", "a", "b"].map(String::from).to_vec();
        let (list, dups) = dedup(all);
        assert_eq!(list, ["a", "b", "c"]);
        assert_eq!(dups, ["a", "b"]);
    }

    #[test]
    fn in_flight_counts_requests_not_unreported_results() {
        let mut queue = Queue {
            pending: (0..40).map(|_| Err(ClientError::Invalid("x".into()))),
            taken: 0,
            in_flight: 0,
            closed: false,
            any_sent: false,
            systemic_failures: 0,
        };
        // 16 workers take a request each; 15 finish (their results may sit unreported).
        let taken: Vec<_> = (0..16).filter_map(|_| queue.take()).collect();
        for (_, built) in taken.into_iter().take(15) {
            queue.record(&built.map(|_| unreachable!()));
        }
        assert_eq!(queue.in_flight, 1);
        assert_eq!(queue.taken, 16);
    }

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
        let client = Client::new(
            crate::client::ConnectionString::parse("Endpoint=http://localhost;AccessKey=k")
                .unwrap(),
            Default::default(),
        )
        .unwrap();
        let printer = Printer::new(OutputFormat::Json, true, 0, Default::default(), &|_| None);
        let run = Run {
            client: &client,
            printer: &printer,
            dry_run: false,
            operation: "send-user",
            hub: "chat",
            concurrency: 1,
            failed_to: Some(path.clone()),
            skipped: 0,
        };
        run.write_failed(["c1", "c2", "c1"].into_iter()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "c1\nc2\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

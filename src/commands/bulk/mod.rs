//! Running one operation over one or many targets and reporting every outcome.
//!
//! A command describes its operation with a [`Run`], gathers its targets with [`Run::targets`]
//! (flags, then `--from-file`, duplicates dropped), builds one [`Request`] per target and hands
//! them to the run ([`Run::each`] does both for one request per target; [`Run::one`] for a
//! command without targets). One target behaves like a plain command: its error is the
//! command's error. Several run with bounded concurrency over the one shared [`Client`], and
//! every target ends up reported as sent, failed or not sent, whatever happens (including
//! Ctrl-C).
//!
//! The parts, each using only those listed before it: `targets` (reading them), `report`
//! (what a run prints and writes), `signals` (Ctrl-C, SIGTERM), `pool` (the workers of a run of
//! many). This file holds what commands use: [`Run`] and the one-target path.

mod pool;
mod report;
mod signals;
mod targets;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::BulkArgs;
use crate::client::{Client, ClientError, Request};
use crate::output;
use crate::settings::Settings;
use crate::term::Printer;

pub use report::Label;
pub use targets::reads_stdin;
use targets::targets;

/// Requests in flight at once when the command does not say.
pub const DEFAULT_CONCURRENCY: usize = 16;

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
        self.batch().many(&names, requests).await
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
                self.batch()
                    .many(&names, requests.into_iter().map(Ok))
                    .await
            }
        }
    }
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

    /// Writes `--failed-to`, when given (always, so an empty file means nothing is left to do).
    fn write_failed<'t>(&self, failed: impl Iterator<Item = &'t str>) -> Result<()> {
        report::write_failed(self.failed_to.as_deref(), failed)
    }

    /// What [`pool`] needs of this run, for many targets.
    fn batch(&self) -> pool::Batch<'_> {
        pool::Batch {
            client: self.client,
            printer: self.printer,
            operation: self.operation,
            hub: self.hub,
            concurrency: self.concurrency,
            skipped: self.skipped,
            failed_to: self.failed_to.as_deref(),
        }
    }
}

//! Many targets at once: a fixed number of workers take the requests in order from one queue;
//! the run stops early when its first requests all fail for the same service-wide reason.

use std::cell::RefCell;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use futures_util::stream::{FuturesUnordered, StreamExt};
use indicatif::ProgressDrawTarget;
use tokio::sync::mpsc;

use super::report::{
    finish, progress_bar, say, summary, write_failed, write_table, Label, Outcome, Report,
    Streamer, EVERY_ROW_UP_TO, FLUSH_EVERY, SHOW_PROGRESS_AFTER,
};
use super::signals::{Interrupts, Signal};
use crate::client::{Client, ClientError, ErrorKind, Request, Response};
use crate::commands::{ExitStatus, SUCCESS};
use crate::error::code;
use crate::output;
use crate::term::Printer;

/// A run whose first this-many outcomes are all failures of the whole service (bad key,
/// unreachable, 5xx after retries) stops starting requests: the rest would fail the same way,
/// slowly. Target-specific refusals (404, 400, ...) never stop a run.
pub const FAIL_FAST_AFTER: usize = 10;

/// What a run of many targets needs of its [`Run`](super::Run).
pub(super) struct Batch<'a> {
    pub client: &'a Client,
    pub printer: &'a Printer,
    pub operation: &'static str,
    pub hub: &'a str,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Duplicates dropped while gathering targets, for the summary.
    pub skipped: usize,
    pub failed_to: Option<&'a Path>,
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
impl Batch<'_> {
    pub(super) async fn many(
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
        // Bounded: a worker whose result the loop below has not taken yet waits, so at most
        // one result per worker is ever held here, whatever the number of targets.
        let capacity = self.concurrency.clamp(1, total.max(1));
        let (tx, mut rx) = mpsc::channel::<(usize, Result<Response, ClientError>)>(capacity);
        let worker = |tx: mpsc::Sender<(usize, Result<Response, ClientError>)>| {
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
                    if tx.send((i, result)).await.is_err() {
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
        let failed_written = write_failed(
            self.failed_to,
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
}

/// A failure that says nothing about the target: every other target would fail the same way.
fn is_systemic(e: &ClientError) -> bool {
    matches!(e.kind(), ErrorKind::Auth | ErrorKind::Unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

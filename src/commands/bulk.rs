//! Running one operation over one or many targets and reporting every outcome.

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::client::{Client, ClientError, Request};
use crate::error::code;
use crate::output::{self, OpResult};
use crate::settings::Settings;

/// Sends each prepared request (or prints it under `--dry-run`) and reports every outcome.
pub async fn run(
    settings: &Settings,
    client: &Client,
    operation: &'static str,
    hub: &str,
    requests: Vec<(Option<String>, Request)>,
    ok: &[u16],
) -> Result<ExitStatus> {
    if settings.dry_run {
        for (_, req) in &requests {
            output::write_dry_run(settings.output, client, req)?;
        }
        return Ok(SUCCESS);
    }
    let single = requests.len() == 1;
    let mut results = Vec::with_capacity(requests.len());
    let mut failed = 0;
    for (target, req) in requests {
        match client.expect(&req, ok).await {
            Ok(resp) => results.push(OpResult {
                operation,
                hub: hub.to_string(),
                target,
                status: resp.status,
                ok: true,
            }),
            Err(e) if single => {
                let what = target.map(|t| format!(" to '{t}'")).unwrap_or_default();
                return Err(e).with_context(|| format!("{operation}{what} failed"));
            }
            Err(e) => {
                failed += 1;
                let status = match &e {
                    ClientError::Status { status, .. } => *status,
                    _ => 0,
                };
                eprintln!(
                    "error: {operation} to '{}' failed: {e}",
                    target.as_deref().unwrap_or("-")
                );
                results.push(OpResult {
                    operation,
                    hub: hub.to_string(),
                    target,
                    status,
                    ok: false,
                });
            }
        }
    }
    output::write_results(settings.output, &results)?;
    Ok(if failed > 0 {
        ExitStatus(code::PARTIAL)
    } else {
        SUCCESS
    })
}

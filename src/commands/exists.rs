//! `exists`: whether a connection, user or group exists (exit 0 yes, 1 no).

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::ExistsArgs;
use crate::error::{code, CliError};
use crate::output::{self, ExistsResult};
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(settings: &Settings, printer: &Printer, args: ExistsArgs) -> Result<ExitStatus> {
    let ExistsArgs {
        connection,
        user,
        group,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let (req, kind, target) = match (connection, user, group) {
        (Some(c), None, None) => (client.connection_exists_request(hub, &c)?, "connection", c),
        (None, Some(u), None) => (client.user_exists_request(hub, &u)?, "user", u),
        (None, None, Some(g)) => (client.group_exists_request(hub, &g)?, "group", g),
        // clap enforces exactly one; this keeps a future flag change from passing silently.
        _ => {
            return Err(CliError::Usage(
                "exists takes exactly one of --connection, --user, --group".into(),
            )
            .into())
        }
    };
    if settings.dry_run {
        output::write_dry_run(printer, &client, &req)?;
        return Ok(SUCCESS);
    }
    let exists = client
        .head_exists(&req)
        .await
        .with_context(|| format!("exists '{target}' failed"))?;
    output::write_exists(
        printer,
        &ExistsResult {
            operation: "exists",
            hub: hub.to_string(),
            kind,
            target,
            exists,
        },
    )?;
    Ok(if exists {
        SUCCESS
    } else {
        ExitStatus(code::NO)
    })
}

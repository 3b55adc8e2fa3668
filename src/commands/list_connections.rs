//! `list-connections`: the connections in a group, page after page.

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::{ListConnectionsArgs, OutputFormat};
use crate::output;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: ListConnectionsArgs) -> Result<ExitStatus> {
    let ListConnectionsArgs {
        group,
        top,
        max_page_size,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let req = client.list_connections_request(hub, &group, top, max_page_size)?;
    if settings.dry_run {
        output::write_dry_run(settings.output, &client, &req)?;
        return Ok(SUCCESS);
    }
    let mut next = Some(req);
    let mut table = Vec::new();
    while let Some(req) = next {
        let (members, following) = client
            .list_connections_page(&req)
            .await
            .with_context(|| format!("listing the connections of group '{group}' failed"))?;
        // JSON lines go out page by page, so a long listing streams into `head` or `jq`.
        match settings.output {
            OutputFormat::Json => output::write_members(OutputFormat::Json, &members)?,
            OutputFormat::Table => table.extend(members),
        }
        next = following;
    }
    if settings.output == OutputFormat::Table {
        output::write_members(OutputFormat::Table, &table)?;
    }
    Ok(SUCCESS)
}

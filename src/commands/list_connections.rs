//! `list-connections`: the connections in a group, page after page.

use anyhow::{Context, Result};

use super::{ExitStatus, SUCCESS};
use crate::cli::ListConnectionsArgs;
use crate::output;
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    args: ListConnectionsArgs,
) -> Result<ExitStatus> {
    let ListConnectionsArgs {
        group,
        top,
        max_page_size,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let req = client.list_connections_request(hub, &group, top, max_page_size)?;
    if settings.dry_run {
        output::write_dry_run(printer, &client, &req)?;
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
        if printer.is_table() {
            table.extend(members);
        } else {
            output::write_members(printer, &members)?;
        }
        next = following;
    }
    if printer.is_table() {
        output::write_members(printer, &table)?;
    }
    Ok(SUCCESS)
}

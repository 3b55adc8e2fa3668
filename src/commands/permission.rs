//! `grant`, `revoke` and `check`: a connection's permission on a group (or on every group).

use anyhow::{Context, Result};

use super::bulk::{self, Run};
use super::{ExitStatus, SUCCESS};
use crate::cli::{PermissionArg, PermissionArgs, PermissionChangeArgs};
use crate::client::operations::Permission;
use crate::error::code;
use crate::output::{self, CheckResult};
use crate::settings::Settings;
use crate::term::Printer;

fn permission(arg: PermissionArg) -> Permission {
    match arg {
        PermissionArg::SendToGroup => Permission::SendToGroup,
        PermissionArg::JoinLeaveGroup => Permission::JoinLeaveGroup,
    }
}

pub async fn grant(
    settings: &Settings,
    printer: &Printer,
    args: PermissionChangeArgs,
) -> Result<ExitStatus> {
    change(settings, printer, args, "grant").await
}

pub async fn revoke(
    settings: &Settings,
    printer: &Printer,
    args: PermissionChangeArgs,
) -> Result<ExitStatus> {
    change(settings, printer, args, "revoke").await
}

/// `grant` or `revoke` over every connection given, each outcome naming the permission and group.
async fn change(
    settings: &Settings,
    printer: &Printer,
    args: PermissionChangeArgs,
    operation: &'static str,
) -> Result<ExitStatus> {
    let PermissionChangeArgs {
        connections,
        permission: p,
        group,
        bulk: bulk_args,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let p = permission(p);
    let mut run = Run::new(settings, printer, &client, operation, hub);
    let reqs = run
        .targets(connections, &bulk_args)?
        .iter()
        .map(|c| {
            let req = if operation == "grant" {
                client.grant_permission_request(hub, p, c, Some(&group))?
            } else {
                client.revoke_permission_request(hub, p, c, Some(&group))?
            };
            let label = bulk::Label {
                group: Some(group.clone()),
                permission: Some(p.as_str()),
                ..bulk::Label::target(c.as_str())
            };
            Ok((label, req))
        })
        .collect::<Result<Vec<_>>>()?;
    run.labelled(reqs).await
}

pub async fn check(
    settings: &Settings,
    printer: &Printer,
    args: PermissionArgs,
) -> Result<ExitStatus> {
    let PermissionArgs {
        connection,
        permission: p,
        group,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let p = permission(p);
    let req = client.check_permission_request(hub, p, &connection, Some(&group))?;
    if settings.dry_run {
        output::write_dry_run(printer, &client, &req)?;
        return Ok(SUCCESS);
    }
    let allowed = client
        .head_exists(&req)
        .await
        .with_context(|| format!("check of '{connection}' failed"))?;
    output::write_check(
        printer,
        &CheckResult {
            operation: "check",
            hub: hub.to_string(),
            target: connection,
            permission: p.as_str(),
            group: Some(group),
            allowed,
        },
    )?;
    Ok(if allowed {
        SUCCESS
    } else {
        ExitStatus(code::NO)
    })
}

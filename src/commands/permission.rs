//! `grant`, `revoke` and `check`: a connection's permission on a group (or on every group).

use anyhow::{Context, Result};

use super::{bulk, ExitStatus, SUCCESS};
use crate::cli::{PermissionArg, PermissionArgs};
use crate::client::operations::Permission;
use crate::error::code;
use crate::output::{self, CheckResult};
use crate::settings::Settings;

fn permission(arg: PermissionArg) -> Permission {
    match arg {
        PermissionArg::SendToGroup => Permission::SendToGroup,
        PermissionArg::JoinLeaveGroup => Permission::JoinLeaveGroup,
    }
}

pub async fn grant(settings: &Settings, args: PermissionArgs) -> Result<ExitStatus> {
    let PermissionArgs {
        connection,
        permission: p,
        group,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let req = client.grant_permission_request(hub, permission(p), &connection, group.as_deref())?;
    bulk::run(
        settings,
        &client,
        "grant",
        hub,
        vec![(Some(connection), req)],
        &[200],
    )
    .await
}

pub async fn revoke(settings: &Settings, args: PermissionArgs) -> Result<ExitStatus> {
    let PermissionArgs {
        connection,
        permission: p,
        group,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let req =
        client.revoke_permission_request(hub, permission(p), &connection, group.as_deref())?;
    bulk::run(
        settings,
        &client,
        "revoke",
        hub,
        vec![(Some(connection), req)],
        &[204],
    )
    .await
}

pub async fn check(settings: &Settings, args: PermissionArgs) -> Result<ExitStatus> {
    let PermissionArgs {
        connection,
        permission: p,
        group,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let p = permission(p);
    let req = client.check_permission_request(hub, p, &connection, group.as_deref())?;
    if settings.dry_run {
        output::write_dry_run(settings.output, &client, &req)?;
        return Ok(SUCCESS);
    }
    let allowed = client
        .head_exists(&req)
        .await
        .with_context(|| format!("check of '{connection}' failed"))?;
    output::write_check(
        settings.output,
        &CheckResult {
            operation: "check",
            hub: hub.to_string(),
            target: connection,
            permission: p.as_str(),
            group,
            allowed,
        },
    )?;
    Ok(if allowed {
        SUCCESS
    } else {
        ExitStatus(code::NO)
    })
}

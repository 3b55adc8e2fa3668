//! `close`: connections by id, of users, of groups, or of the whole hub.

use anyhow::Result;

use super::add_to_group::kind_of;
use super::bulk::Run;
use super::ExitStatus;
use crate::cli::{CloseArgs, TargetKind};
use crate::error::CliError;
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(settings: &Settings, printer: &Printer, args: CloseArgs) -> Result<ExitStatus> {
    let CloseArgs {
        connections,
        users,
        groups,
        all,
        exclude,
        reason,
        target_kind,
        bulk: bulk_args,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let reason = reason.as_deref();
    const OP: &str = "close";
    let mut run = Run::new(settings, printer, &client, OP, hub);
    if all {
        return run
            .one(client.close_all_connections_request(hub, &exclude, reason)?)
            .await;
    }
    let (kind, given) = kind_of(
        [
            (TargetKind::Connection, connections),
            (TargetKind::User, users),
            (TargetKind::Group, groups),
        ],
        target_kind,
        OP,
    )?;
    if kind == TargetKind::Connection && !exclude.is_empty() {
        return Err(CliError::Usage(
            "--exclude applies to --user, --group and --all, not to connections".into(),
        )
        .into());
    }
    run.each(given, &bulk_args, |t| match kind {
        TargetKind::Connection => client.close_connection_request(hub, t, reason),
        TargetKind::User => client.close_user_connections_request(hub, t, &exclude, reason),
        TargetKind::Group => client.close_group_connections_request(hub, t, &exclude, reason),
    })
    .await
}

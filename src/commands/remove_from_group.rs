//! `remove-from-group`: connections or users out of groups or of every group, or a
//! filter's matches out of groups.

use anyhow::Result;

use super::add_to_group::{member_kind, pairs};
use super::bulk::{self, Run};
use super::ExitStatus;
use crate::cli::{MemberBulkArgs, RemoveFromGroupArgs, TargetKind};
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    args: RemoveFromGroupArgs,
) -> Result<ExitStatus> {
    let RemoveFromGroupArgs {
        groups,
        all_groups,
        targets,
        filter,
        bulk: MemberBulkArgs {
            target_kind,
            common: bulk_args,
        },
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    const OP: &str = "remove-from-group";
    let mut run = Run::new(settings, printer, &client, OP, hub);
    if let Some(filter) = filter {
        return run
            .one(client.remove_from_groups_request(hub, &groups, &filter)?)
            .await;
    }
    let (kind, given) = member_kind(targets, target_kind, OP)?;
    let targets = run.targets(given, &bulk_args)?;
    let reqs = if all_groups {
        targets
            .iter()
            .map(|t| {
                let req = match kind {
                    TargetKind::User => client.remove_user_from_all_groups_request(hub, t)?,
                    _ => client.remove_connection_from_all_groups_request(hub, t)?,
                };
                Ok((bulk::Label::target(t.as_str()), req))
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        pairs(&targets, &groups, |t, g| match kind {
            TargetKind::User => client.remove_user_from_group_request(hub, g, t),
            _ => client.remove_connection_from_group_request(hub, g, t),
        })?
    };
    run.labelled(reqs).await
}

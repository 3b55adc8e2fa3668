//! `remove-from-group`: connections or users out of groups or of every group, or a
//! filter's matches out of groups.

use anyhow::Result;

use super::add_to_group::{member_kind, pairs};
use super::{bulk, ExitStatus};
use crate::cli::{RemoveFromGroupArgs, TargetKind};
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: RemoveFromGroupArgs) -> Result<ExitStatus> {
    let RemoveFromGroupArgs {
        groups,
        all_groups,
        targets,
        filter,
        target_kind,
        bulk: bulk_args,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    const OP: &str = "remove-from-group";
    if let Some(filter) = filter {
        let req = client.remove_from_groups_request(hub, &groups, &filter)?;
        return bulk::run(settings, &client, OP, hub, vec![(None, req)], &[200]).await;
    }
    let (kind, given) = member_kind(targets, target_kind, OP)?;
    let targets = bulk::targets(given, &bulk_args, settings.quiet)?;
    let opts = bulk::BulkOptions::new(&bulk_args, &targets);
    let reqs = if all_groups {
        targets
            .list
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
        pairs(&targets.list, &groups, |t, g| match kind {
            TargetKind::User => client.remove_user_from_group_request(hub, g, t),
            _ => client.remove_connection_from_group_request(hub, g, t),
        })?
    };
    bulk::run_labelled(settings, &client, OP, hub, reqs, &[204], &opts).await
}

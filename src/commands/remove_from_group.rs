//! `remove-from-group`: connections or users out of a group or of every group, or a
//! filter's matches out of groups.

use anyhow::Result;

use super::add_to_group::{member_requests, single_group};
use super::{bulk, ExitStatus};
use crate::cli::RemoveFromGroupArgs;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: RemoveFromGroupArgs) -> Result<ExitStatus> {
    let RemoveFromGroupArgs {
        groups,
        all_groups,
        targets,
        filter,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    const OP: &str = "remove-from-group";
    if let Some(filter) = filter {
        let req = client.remove_from_groups_request(hub, &groups, &filter)?;
        return bulk::run(settings, &client, OP, hub, vec![(None, req)], &[200]).await;
    }
    let reqs = if all_groups {
        member_requests(
            targets,
            |c| client.remove_connection_from_all_groups_request(hub, c),
            |u| client.remove_user_from_all_groups_request(hub, u),
        )?
    } else {
        let group = single_group(&groups, OP)?;
        member_requests(
            targets,
            |c| client.remove_connection_from_group_request(hub, group, c),
            |u| client.remove_user_from_group_request(hub, group, u),
        )?
    };
    bulk::run(settings, &client, OP, hub, reqs, &[204]).await
}

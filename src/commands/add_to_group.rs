//! `add-to-group`: connections or users into a group, or a filter's matches into groups.

use anyhow::Result;

use super::{bulk, ExitStatus};
use crate::cli::{AddToGroupArgs, MemberTargetArgs};
use crate::client::{ClientError, Request};
use crate::error::CliError;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: AddToGroupArgs) -> Result<ExitStatus> {
    let AddToGroupArgs {
        groups,
        targets,
        filter,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    if let Some(filter) = filter {
        let req = client.add_to_groups_request(hub, &groups, &filter)?;
        return bulk::run(
            settings,
            &client,
            "add-to-group",
            hub,
            vec![(None, req)],
            &[200],
        )
        .await;
    }
    let group = single_group(&groups, "add-to-group")?;
    let reqs = member_requests(
        targets,
        |c| client.add_connection_to_group_request(hub, group, c),
        |u| client.add_user_to_group_request(hub, group, u),
    )?;
    bulk::run(settings, &client, "add-to-group", hub, reqs, &[200]).await
}

/// The one group of a `--connection`/`--user` run (the service has no multi-group call for them).
pub(super) fn single_group<'a>(groups: &'a [String], command: &str) -> Result<&'a str> {
    match groups {
        [one] => Ok(one),
        _ => Err(CliError::Usage(format!(
            "{command} takes one --group with --connection or --user (several only with --filter)"
        ))
        .into()),
    }
}

/// One request per connection or user, labelled with its id.
pub(super) fn member_requests(
    targets: MemberTargetArgs,
    for_connection: impl Fn(&str) -> Result<Request, ClientError>,
    for_user: impl Fn(&str) -> Result<Request, ClientError>,
) -> Result<Vec<(Option<String>, Request)>> {
    let MemberTargetArgs { connections, users } = targets;
    let mut reqs = Vec::with_capacity(connections.len() + users.len());
    for c in connections {
        let req = for_connection(&c)?;
        reqs.push((Some(c), req));
    }
    for u in users {
        let req = for_user(&u)?;
        reqs.push((Some(u), req));
    }
    Ok(reqs)
}

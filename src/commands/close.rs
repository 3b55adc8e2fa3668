//! `close`: connections by id, of users, of groups, or of the whole hub.

use anyhow::Result;

use super::{bulk, ExitStatus};
use crate::cli::CloseArgs;
use crate::settings::Settings;

pub async fn run(settings: &Settings, args: CloseArgs) -> Result<ExitStatus> {
    let CloseArgs {
        connections,
        users,
        groups,
        all,
        exclude,
        reason,
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    let reason = reason.as_deref();
    let mut reqs = Vec::new();
    if all {
        reqs.push((
            None,
            client.close_all_connections_request(hub, &exclude, reason)?,
        ));
    }
    for c in connections {
        reqs.push((
            Some(c.clone()),
            client.close_connection_request(hub, &c, reason)?,
        ));
    }
    for u in users {
        reqs.push((
            Some(u.clone()),
            client.close_user_connections_request(hub, &u, &exclude, reason)?,
        ));
    }
    for g in groups {
        reqs.push((
            Some(g.clone()),
            client.close_group_connections_request(hub, &g, &exclude, reason)?,
        ));
    }
    bulk::run(settings, &client, "close", hub, reqs, &[204]).await
}

//! `add-to-group`: connections or users into groups, or a filter's matches into groups.

use anyhow::Result;

use super::bulk::{self, Run};
use super::ExitStatus;
use crate::cli::{AddToGroupArgs, MemberBulkArgs, MemberTargetArgs, TargetKind};
use crate::client::{ClientError, Request};
use crate::error::CliError;
use crate::settings::Settings;
use crate::term::Printer;

pub async fn run(
    settings: &Settings,
    printer: &Printer,
    args: AddToGroupArgs,
) -> Result<ExitStatus> {
    let AddToGroupArgs {
        groups,
        targets,
        filter,
        bulk: MemberBulkArgs {
            target_kind,
            common: bulk_args,
        },
    } = args;
    let client = settings.client()?;
    let hub = settings.hub()?;
    const OP: &str = "add-to-group";
    let mut run = Run::new(settings, printer, &client, OP, hub);
    if let Some(filter) = filter {
        return run
            .one(client.add_to_groups_request(hub, &groups, &filter)?)
            .await;
    }
    let (kind, given) = member_kind(targets, target_kind, OP)?;
    let targets = run.targets(given, &bulk_args)?;
    let reqs = pairs(&targets, &groups, |t, g| match kind {
        TargetKind::User => client.add_user_to_group_request(hub, g, t),
        _ => client.add_connection_to_group_request(hub, g, t),
    })?;
    run.labelled(reqs).await
}

/// The kind of the targets of a `--connection`/`--user` run and those given as flags: the
/// lines of `--from-file` are of the same kind (or of `--target-kind`; connections when the
/// command names neither).
pub(super) fn member_kind(
    targets: MemberTargetArgs,
    target_kind: Option<TargetKind>,
    command: &str,
) -> Result<(TargetKind, Vec<String>)> {
    let MemberTargetArgs { connections, users } = targets;
    let flags = [
        (TargetKind::Connection, connections),
        (TargetKind::User, users),
    ];
    let (kind, given) = kind_of(flags, target_kind, command)?;
    if kind == TargetKind::Group {
        return Err(CliError::Usage(format!(
            "{command} --target-kind group: the targets are connections or users; name the groups with --group"
        ))
        .into());
    }
    Ok((kind, given))
}

/// Picks the one kind of target a run is about from the flags given (clap allows one kind of
/// flag at a time) and `--target-kind`, defaulting to connections.
pub(super) fn kind_of<const N: usize>(
    flags: [(TargetKind, Vec<String>); N],
    target_kind: Option<TargetKind>,
    command: &str,
) -> Result<(TargetKind, Vec<String>)> {
    let mut named = flags.into_iter().filter(|(_, v)| !v.is_empty());
    let flag = named.next();
    if named.next().is_some() {
        return Err(
            CliError::Usage(format!("{command} takes one kind of target at a time")).into(),
        );
    }
    match (flag, target_kind) {
        (Some((k, _)), Some(t)) if k != t => Err(CliError::Usage(format!(
            "--target-kind {} does not match --{}: a run takes one kind of target",
            kind_name(t),
            kind_name(k)
        ))
        .into()),
        (Some((k, given)), _) => Ok((k, given)),
        (None, t) => Ok((t.unwrap_or(TargetKind::Connection), Vec::new())),
    }
}

pub(super) fn kind_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Connection => "connection",
        TargetKind::User => "user",
        TargetKind::Group => "group",
    }
}

/// One request per (target, group) pair, target by target, each labelled with both.
pub(super) fn pairs(
    targets: &[String],
    groups: &[String],
    build: impl Fn(&str, &str) -> Result<Request, ClientError>,
) -> Result<Vec<(bulk::Label, Request)>> {
    let mut reqs = Vec::with_capacity(targets.len() * groups.len());
    for t in targets {
        for g in groups {
            let label = bulk::Label {
                group: Some(g.clone()),
                ..bulk::Label::target(t.as_str())
            };
            reqs.push((label, build(t, g)?));
        }
    }
    Ok(reqs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn the_file_follows_the_flag_given_else_target_kind_else_connections() {
        let (k, given) = kind_of(
            [
                (TargetKind::Connection, v(&[])),
                (TargetKind::User, v(&["alice"])),
            ],
            None,
            "t",
        )
        .unwrap();
        assert_eq!((k, given), (TargetKind::User, v(&["alice"])));
        let (k, _) = kind_of([(TargetKind::Connection, v(&[]))], None, "t").unwrap();
        assert_eq!(k, TargetKind::Connection);
        let (k, _) = kind_of(
            [
                (TargetKind::Connection, v(&[])),
                (TargetKind::Group, v(&[])),
            ],
            Some(TargetKind::Group),
            "t",
        )
        .unwrap();
        assert_eq!(k, TargetKind::Group);
        // Agreeing is fine; contradicting is a usage error.
        assert!(kind_of([(TargetKind::User, v(&["a"]))], Some(TargetKind::User), "t").is_ok());
        assert!(kind_of(
            [(TargetKind::User, v(&["a"]))],
            Some(TargetKind::Connection),
            "t"
        )
        .is_err());
    }

    #[test]
    fn membership_runs_refuse_groups_as_targets() {
        let targets = MemberTargetArgs {
            connections: Vec::new(),
            users: Vec::new(),
        };
        let err = member_kind(targets, Some(TargetKind::Group), "add-to-group").unwrap_err();
        assert!(err.to_string().contains("--group"), "{err}");
    }

    #[test]
    fn one_request_per_target_and_group() {
        let reqs = pairs(&v(&["c1", "c2"]), &v(&["g1", "g2"]), |_, _| {
            Ok(Request {
                method: reqwest::Method::PUT,
                path: "/x".into(),
                query: Vec::new(),
                body: None,
                accept: "application/json",
                headers: Vec::new(),
                expect: &[200],
            })
        });
        let labels: Vec<(String, String)> = reqs
            .unwrap()
            .into_iter()
            .map(|(l, _)| (l.target.unwrap(), l.group.unwrap()))
            .collect();
        assert_eq!(
            labels,
            [("c1", "g1"), ("c1", "g2"), ("c2", "g1"), ("c2", "g2")]
                .map(|(t, g)| (t.to_string(), g.to_string()))
        );
    }
}

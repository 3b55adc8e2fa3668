//! `add-to-group` and `remove-from-group`.

use clap::Args;

use super::bulk::MemberBulkArgs;

/// `--connection` or `--user` targets of the group commands.
#[derive(Debug, Args)]
pub struct MemberTargetArgs {
    /// Connection id (repeatable)
    #[arg(
        long = "connection",
        short = 'c',
        value_name = "CONN",
        help_heading = "Target"
    )]
    pub connections: Vec<String>,
    /// User id (repeatable)
    #[arg(
        long = "user",
        short = 'u',
        value_name = "USER",
        help_heading = "Target"
    )]
    pub users: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("who").multiple(false).args(["connections", "users", "filter"]))]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["connections", "users", "filter", "from_file"]))]
pub struct AddToGroupArgs {
    /// Group to add to (repeatable: each target is added to each group)
    #[arg(
        long = "group",
        short = 'g',
        value_name = "GROUP",
        required = true,
        help_heading = "Target"
    )]
    pub groups: Vec<String>,
    #[command(flatten)]
    pub targets: MemberTargetArgs,
    /// Every connection this OData filter matches (one :addToGroups request)
    #[arg(
        long,
        value_name = "ODATA",
        conflicts_with = "from_file",
        help_heading = "Target"
    )]
    pub filter: Option<String>,
    #[command(flatten)]
    pub bulk: MemberBulkArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("who").multiple(false).args(["connections", "users", "filter"]))]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["connections", "users", "filter", "from_file"]))]
#[command(group = clap::ArgGroup::new("from").required(true).multiple(false).args(["groups", "all_groups"]))]
pub struct RemoveFromGroupArgs {
    /// Group to remove from (repeatable: each target is removed from each group)
    #[arg(
        long = "group",
        short = 'g',
        value_name = "GROUP",
        help_heading = "Target"
    )]
    pub groups: Vec<String>,
    /// Remove from every group (with --connection or --user)
    #[arg(long, conflicts_with = "filter", help_heading = "Target")]
    pub all_groups: bool,
    #[command(flatten)]
    pub targets: MemberTargetArgs,
    /// Every connection this OData filter matches (one :removeFromGroups request)
    #[arg(
        long,
        value_name = "ODATA",
        conflicts_with = "from_file",
        help_heading = "Target"
    )]
    pub filter: Option<String>,
    #[command(flatten)]
    pub bulk: MemberBulkArgs,
}

//! The commands about connections: `close`, the permission commands (`grant`, `revoke`,
//! `check`), `exists`, `list-connections`, and `api` for any other request.

use clap::{Args, ValueEnum};

use super::bulk::{BulkArgs, TargetKind};
use super::send::{parse_metadata, PayloadArgs};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").multiple(false).args(["connections", "users", "groups", "all"]))]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["connections", "users", "groups", "all", "from_file"]))]
pub struct CloseArgs {
    /// Connection to close (repeatable)
    #[arg(
        long = "connection",
        short = 'c',
        value_name = "CONN",
        help_heading = "Target"
    )]
    pub connections: Vec<String>,
    /// Close every connection of this user (repeatable)
    #[arg(
        long = "user",
        short = 'u',
        value_name = "USER",
        help_heading = "Target"
    )]
    pub users: Vec<String>,
    /// Close every connection in this group (repeatable)
    #[arg(
        long = "group",
        short = 'g',
        value_name = "GROUP",
        help_heading = "Target"
    )]
    pub groups: Vec<String>,
    /// Close every connection in the hub
    #[arg(long, conflicts_with = "from_file", help_heading = "Target")]
    pub all: bool,
    /// Connection id to keep open (repeatable; not with --connection)
    #[arg(
        long = "exclude",
        value_name = "CONN",
        conflicts_with = "connections",
        help_heading = "Target"
    )]
    pub exclude: Vec<String>,
    /// Reason the clients are told
    #[arg(long)]
    pub reason: Option<String>,
    /// What --from-file lists: connection, user or group (default: the kind of --connection/--user/--group given, else connection)
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        requires = "from_file",
        help_heading = "Bulk"
    )]
    pub target_kind: Option<TargetKind>,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PermissionArg {
    /// Send to a group (sendToGroup)
    // The service's spelling is accepted too: it is what every output of ours prints.
    #[value(alias = "sendToGroup")]
    SendToGroup,
    /// Join and leave a group (joinLeaveGroup)
    #[value(alias = "joinLeaveGroup")]
    JoinLeaveGroup,
}

#[derive(Debug, Args)]
pub struct PermissionArgs {
    /// Connection id
    #[arg(
        long,
        short = 'c',
        value_name = "CONN",
        required = true,
        help_heading = "Target"
    )]
    pub connection: String,
    /// The permission
    #[arg(long, value_enum, required = true, help_heading = "Target")]
    pub permission: PermissionArg,
    /// The group it applies to (the service takes a permission on one group at a time)
    #[arg(
        long,
        short = 'g',
        value_name = "GROUP",
        required = true,
        help_heading = "Target"
    )]
    pub group: String,
}

/// `grant` and `revoke`: one permission for many connections.
#[derive(Debug, Args)]
pub struct PermissionChangeArgs {
    /// Connection id (repeatable)
    #[arg(
        long = "connection",
        short = 'c',
        value_name = "CONN",
        required_unless_present = "from_file",
        help_heading = "Target"
    )]
    pub connections: Vec<String>,
    /// The permission
    #[arg(long, value_enum, required = true, help_heading = "Target")]
    pub permission: PermissionArg,
    /// The group it applies to (the service takes a permission on one group at a time)
    #[arg(
        long,
        short = 'g',
        value_name = "GROUP",
        required = true,
        help_heading = "Target"
    )]
    pub group: String,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(false).args(["connection", "user", "group"]))]
pub struct ExistsArgs {
    /// Connection id
    #[arg(long, short = 'c', value_name = "CONN", help_heading = "Target")]
    pub connection: Option<String>,
    /// User id (exists while it has a connection)
    #[arg(long, short = 'u', value_name = "USER", help_heading = "Target")]
    pub user: Option<String>,
    /// Group (exists while a connection is in it)
    #[arg(long, short = 'g', value_name = "GROUP", help_heading = "Target")]
    pub group: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListConnectionsArgs {
    /// Group to list
    #[arg(
        long,
        short = 'g',
        value_name = "GROUP",
        required = true,
        help_heading = "Target"
    )]
    pub group: String,
    /// At most this many connections in all
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=2147483647), allow_negative_numbers = true)]
    pub top: Option<u32>,
    /// At most this many connections a page (1-200)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=200), allow_negative_numbers = true)]
    pub max_page_size: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// HTTP method: GET, HEAD, POST, PUT, DELETE, PATCH
    pub method: String,
    /// Path under the endpoint, starting with /api/ (may carry ?k=v), or /_emulator/ for the emulator's own endpoints
    pub path: String,
    /// Query parameter k=v, appended in order (repeatable)
    #[arg(long = "query", value_name = "K=V")]
    pub query: Vec<String>,
    /// Message metadata header X-WebPubSub-Metadata-KEY: VALUE (repeatable)
    #[arg(long = "metadata", value_name = "KEY=VALUE", value_parser = parse_metadata)]
    pub metadata: Vec<(String, String)>,
    #[command(flatten)]
    pub payload: PayloadArgs,
}

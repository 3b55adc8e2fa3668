//! The options of every command that runs over many targets (`--from-file`, `--concurrency`,
//! `--failed-to`, `--target-kind`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Options of every command that runs over many targets; flatten into its args
/// (`#[command(flatten)] pub bulk: BulkArgs`) and make the target flag
/// `required_unless_present = "from_file"`.
#[derive(Debug, Args, Clone)]
pub struct BulkArgs {
    /// Read more targets from this file, one a line (`-` = stdin; blank lines and `#` comments skipped)
    #[arg(long, value_name = "PATH", help_heading = "Bulk")]
    pub from_file: Option<PathBuf>,
    /// Requests in flight at once
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024), help_heading = "Bulk", allow_negative_numbers = true)]
    pub concurrency: u32,
    /// Write the targets that did not succeed to this file, one a line (ready for --from-file)
    #[arg(long, value_name = "PATH", help_heading = "Bulk")]
    pub failed_to: Option<PathBuf>,
}

impl Default for BulkArgs {
    fn default() -> Self {
        BulkArgs {
            from_file: None,
            concurrency: 16,
            failed_to: None,
        }
    }
}

/// The bulk options of the group commands: [`BulkArgs`] and what its file lists.
/// (`--filter` stays with each command: its help names the request it makes.)
#[derive(Debug, Args)]
pub struct MemberBulkArgs {
    /// What --from-file lists: connection or user (default: the kind of --connection/--user given, else connection)
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        requires = "from_file",
        help_heading = "Bulk"
    )]
    pub target_kind: Option<TargetKind>,
    #[command(flatten)]
    pub common: BulkArgs,
}

/// What the lines of `--from-file` are, where a command takes more than one kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    Connection,
    User,
    Group,
}

//! `send-all`, `send-group`, `send-user`, `send-connection`: the payload, the send options
//! and each command's targets. `--metadata` is parsed here for `api` too.

use std::path::PathBuf;

use clap::Args;

use super::bulk::BulkArgs;

/// The message body of the send commands. Not an arg group: --content-type goes with --file.
#[derive(Debug, Args, Default)]
#[group(skip)]
pub struct PayloadArgs {
    /// Send this text (text/plain)
    #[arg(long, help_heading = "Payload", conflicts_with_all = ["json", "file", "content_type"])]
    pub text: Option<String>,
    /// Send this JSON (application/json); checked before sending
    #[arg(long, help_heading = "Payload", conflicts_with_all = ["file", "content_type"])]
    pub json: Option<String>,
    /// Send this file's bytes (application/octet-stream); `-` reads stdin
    #[arg(long, help_heading = "Payload")]
    pub file: Option<PathBuf>,
    /// Content type for --file or stdin: text/plain, application/json or application/octet-stream
    #[arg(long, help_heading = "Payload")]
    pub content_type: Option<String>,
}

/// Options shared by the send commands.
#[derive(Debug, Args, Default)]
pub struct SendOptionsArgs {
    /// Drop the message if not delivered within this many seconds (0-300)
    #[arg(long, value_name = "SECS", help_heading = "Target", allow_negative_numbers = true,
        value_parser = clap::value_parser!(u32).range(0..=300))]
    pub ttl: Option<u32>,
    /// Send an empty message when stdin (or --file) is empty, instead of refusing it
    #[arg(long, help_heading = "Payload")]
    pub allow_empty: bool,
    /// Message metadata, sent as X-WebPubSub-Metadata-KEY: VALUE; json clients receive it
    /// with the message (repeatable)
    #[arg(long = "metadata", value_name = "KEY=VALUE", help_heading = "Payload",
        value_parser = parse_metadata)]
    pub metadata: Vec<(String, String)>,
}

/// `KEY=VALUE` of `--metadata`; the key and value rules are checked with the request.
pub(super) fn parse_metadata(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got '{s}'")),
    }
}

#[derive(Debug, Args)]
pub struct SendAllArgs {
    /// Connection id to leave out (repeatable)
    #[arg(long = "exclude", value_name = "CONN", help_heading = "Target")]
    pub exclude: Vec<String>,
    /// OData filter over userId, connectionId and groups
    #[arg(long, help_heading = "Target")]
    pub filter: Option<String>,
    // The payload before the send options, so `--help` lists --text, --json and --file first.
    #[command(flatten)]
    pub payload: PayloadArgs,
    #[command(flatten)]
    pub options: SendOptionsArgs,
}

#[derive(Debug, Args)]
pub struct SendGroupArgs {
    /// Group to send to (repeatable)
    #[arg(
        long = "group",
        short = 'g',
        value_name = "GROUP",
        required_unless_present = "from_file",
        help_heading = "Target"
    )]
    pub groups: Vec<String>,
    /// Connection id to leave out (repeatable)
    #[arg(long = "exclude", value_name = "CONN", help_heading = "Target")]
    pub exclude: Vec<String>,
    /// OData filter over userId, connectionId and groups
    #[arg(long, help_heading = "Target")]
    pub filter: Option<String>,
    // The payload before the send options, so `--help` lists --text, --json and --file first.
    #[command(flatten)]
    pub payload: PayloadArgs,
    #[command(flatten)]
    pub options: SendOptionsArgs,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

#[derive(Debug, Args)]
pub struct SendUserArgs {
    /// User to send to (repeatable)
    #[arg(
        long = "user",
        short = 'u',
        value_name = "USER",
        required_unless_present = "from_file",
        help_heading = "Target"
    )]
    pub users: Vec<String>,
    /// OData filter over the user's connections
    #[arg(long, help_heading = "Target")]
    pub filter: Option<String>,
    // The payload before the send options, so `--help` lists --text, --json and --file first.
    #[command(flatten)]
    pub payload: PayloadArgs,
    #[command(flatten)]
    pub options: SendOptionsArgs,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

#[derive(Debug, Args)]
pub struct SendConnectionArgs {
    /// Connection to send to (repeatable)
    #[arg(
        long = "connection",
        short = 'c',
        value_name = "CONN",
        required_unless_present = "from_file",
        help_heading = "Target"
    )]
    pub connections: Vec<String>,
    // The payload before the send options, so `--help` lists --text, --json and --file first.
    #[command(flatten)]
    pub payload: PayloadArgs,
    #[command(flatten)]
    pub options: SendOptionsArgs,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

//! The commands that act as a WebSocket client of the hub (`listen`, `client`) and `token`,
//! which makes the URL such a client connects with.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// User id to connect as
    #[arg(long, short = 'u')]
    pub user: Option<String>,
    /// Role for the client token, e.g. webpubsub.sendToGroup (repeatable)
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Group to join after connecting (repeatable)
    #[arg(long = "group", short = 'g', value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Exit 0 after this many messages
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this many seconds in all: exit 0 if the --count messages (without --count,
    /// any message) arrived, else 6
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub within: Option<Duration>,
    /// Use json.reliable.webpubsub.azure.v1: acks sequence ids, resumes after a drop without loss
    #[arg(long, conflicts_with_all = ["raw", "subprotocol"])]
    pub reliable: bool,
    /// Plain WebSocket: print payloads as they arrive, no envelopes
    #[arg(long, conflicts_with = "subprotocol")]
    pub raw: bool,
    /// Subprotocol to offer (default json.webpubsub.azure.v1); with
    /// protobuf.webpubsub.azure.v1 or protobuf.reliable.webpubsub.azure.v1 the lines are the same
    #[arg(long)]
    pub subprotocol: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClientArgs {
    /// User id to connect as
    #[arg(long, short = 'u', conflicts_with = "url")]
    pub user: Option<String>,
    /// Role for the client token, e.g. webpubsub.sendToGroup or webpubsub.joinLeaveGroup.g1 (repeatable)
    #[arg(long = "role", value_name = "ROLE", conflicts_with = "url")]
    pub roles: Vec<String>,
    /// Group the client is in from the start, through its token (repeatable)
    #[arg(
        long = "group",
        short = 'g',
        value_name = "GROUP",
        conflicts_with = "url"
    )]
    pub groups: Vec<String>,
    /// How to talk to the service: json, json.reliable (resumes after a drop without loss),
    /// protobuf, protobuf.reliable (the same requests as protobuf binary frames), or raw (a plain
    /// WebSocket: each line is a text frame)
    #[arg(long, value_name = "PROTOCOL", default_value = "json",
        value_parser = clap::builder::PossibleValuesParser::new(
            ["json", "json.reliable", "protobuf", "protobuf.reliable", "raw"]))]
    pub subprotocol: String,
    /// Connect to this client URL (`ws[s]://.../client/hubs/HUB?access_token=...`, e.g. from
    /// `wps token` or a server) instead of signing a token from the profile
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// At the end of input, wait this many seconds for the acks still due
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub ack_wait: Duration,
}

/// The most `--within` and `--ack-wait` take: a day. A longer wait is no wait at all (leave
/// `--within` out), and the bound keeps the deadline arithmetic far from overflowing.
const MAX_WAIT_SECS: f64 = 86_400.0;

/// SECS of `--within` and `--ack-wait`: seconds, fractions allowed, more than 0 and at most
/// [`MAX_WAIT_SECS`].
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= MAX_WAIT_SECS) {
        return Err(format!("expected 0 < SECS <= {MAX_WAIT_SECS}, got {s}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `token` creates a client token; `token decode` reads one.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub action: Option<TokenAction>,
    #[command(flatten)]
    pub create: TokenCreateArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Show a token's claims, when it expires, and (with a key configured) whether its signature is valid
    #[command(
        long_about = "Show a token's header and claims, when it was issued and expires (local time in the \
            table, RFC 3339 in UTC in JSON), whether it has \
            expired, and, when an access key is configured, whether its signature is valid. Takes a token \
            or a client URL with ?access_token=, as an argument or on stdin. Exits 0 whatever the answer.",
        after_long_help = "Examples:\n  wps token decode eyJhbGciOi...\n  wps token decode \"wss://host/client/hubs/chat?access_token=...\"\n  wps token -o json | jq -r .token | wps token decode"
    )]
    Decode(TokenDecodeArgs),
}

#[derive(Debug, Args, Default)]
pub struct TokenCreateArgs {
    /// User id (the `sub` claim)
    #[arg(long, short = 'u')]
    pub user: Option<String>,
    /// Role, e.g. webpubsub.sendToGroup or webpubsub.joinLeaveGroup.g1 (repeatable)
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Group the client joins when it connects (repeatable)
    #[arg(long = "group", short = 'g', value_name = "GROUP")]
    pub groups: Vec<String>,
    /// Minutes until the token expires (at least 1)
    #[arg(long, value_name = "MIN", default_value_t = 60,
        value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    pub expires: u32,
    /// Which client endpoint the token is for
    #[arg(long, value_enum, default_value_t)]
    pub client_type: ClientTypeArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ClientTypeArg {
    #[default]
    Default,
    Mqtt,
    Socketio,
}

#[derive(Debug, Args)]
pub struct TokenDecodeArgs {
    /// A token, or a client URL with ?access_token=; `-` or nothing reads it from stdin
    #[arg(value_name = "TOKEN|URL")]
    pub token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_positive_finite_and_at_most_a_day() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("86400"), Ok(Duration::from_secs(86_400)));
        for bad in ["0", "-1", "86401", "inf", "NaN", "1e300", "soon", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
